// Package passes holds the graph transformations that run between the
// frontends and the code generator, and the manager that runs them in
// order.
//
// A pipeline is an ordered table of named passes, as in the Go compiler's
// ssa/compile.go. The manager can verify the graph after every pass and
// dump it after a named one.
package passes

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cnnc/cnnc/ir"
)

// Pass is one named graph transformation.
type Pass struct {
	Name string
	Run  func(*ir.Graph) error
	// Doc is a one-line description for -h output.
	Doc string
}

// Manager runs a pipeline of passes.
type Manager struct {
	Passes []Pass
	// Verify runs ir.Graph.Verify after every pass and fails on a problem.
	Verify bool
	// DumpAfter names passes after which the graph is written to Dump;
	// "all" dumps after every pass.
	DumpAfter []string
	Dump      io.Writer
	// Observe, if set, is called after every pass with the graph's
	// statistics before and after it and the pass's duration (cnnc's -v).
	Observe func(p Pass, before, after Stats, d time.Duration)
}

// Stats are the numbers -v prints to show what a pass changed.
type Stats struct {
	Nodes      int
	Fused      int   // activations and residual adds applied in an epilogue
	ArenaBytes int64 // 0 before the memory plan
}

// StatsOf counts g's nodes and fusions.
func StatsOf(g *ir.Graph) Stats {
	s := Stats{Nodes: len(g.Nodes)}
	for _, n := range g.Nodes {
		if e, ok := n.Op.(ir.Epilogue); ok && e.FusedActivation() != nil {
			s.Fused++
		}
		if _, ok := n.Op.(*ir.Conv); ok && n.Input(3) != nil {
			s.Fused++
		}
	}
	if g.Plan != nil {
		s.ArenaBytes = int64(g.Plan.Size) * 4
	}
	return s
}

// Change describes the difference from s to t in words.
func (s Stats) Change(t Stats) string {
	var parts []string
	if s.Nodes != t.Nodes {
		parts = append(parts, fmt.Sprintf("nodes %d -> %d", s.Nodes, t.Nodes))
	}
	if s.Fused != t.Fused {
		parts = append(parts, fmt.Sprintf("%d fused into epilogues", t.Fused-s.Fused))
	}
	if s.ArenaBytes != t.ArenaBytes {
		parts = append(parts, fmt.Sprintf("arena %d bytes", t.ArenaBytes))
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// Run applies the passes in order. An error names the pass.
func (m *Manager) Run(g *ir.Graph) error {
	for _, p := range m.Passes {
		var before Stats
		var start time.Time
		if m.Observe != nil {
			before, start = StatsOf(g), time.Now()
		}
		if err := p.Run(g); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		if m.Observe != nil {
			m.Observe(p, before, StatsOf(g), time.Since(start))
		}
		if m.Verify {
			if err := g.Verify(); err != nil {
				return fmt.Errorf("graph is invalid after pass %s: %w", p.Name, err)
			}
		}
		if m.Dump != nil && m.dumps(p.Name) {
			fmt.Fprintf(m.Dump, "# after %s\n", p.Name)
			if err := ir.Dump(m.Dump, g); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) dumps(name string) bool {
	for _, d := range m.DumpAfter {
		if d == name || d == "all" {
			return true
		}
	}
	return false
}

// CheckNames reports an error for a -dump-after name that is not a pass
// of the pipeline, listing the valid ones.
func (m *Manager) CheckNames(names []string) error {
	valid := make([]string, 0, len(m.Passes))
	for _, p := range m.Passes {
		valid = append(valid, p.Name)
	}
	for _, n := range names {
		ok := n == "all"
		for _, v := range valid {
			ok = ok || v == n
		}
		if !ok {
			return fmt.Errorf("no pass named %q; passes: %s, or all", n, strings.Join(valid, ", "))
		}
	}
	return nil
}
