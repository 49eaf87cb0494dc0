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
}

// Run applies the passes in order. An error names the pass.
func (m *Manager) Run(g *ir.Graph) error {
	for _, p := range m.Passes {
		if err := p.Run(g); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
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

// Analysis is the pipeline for inspecting and evaluating a model as
// written: shape inference only.
func Analysis() []Pass {
	return []Pass{
		{Name: "infer-shapes", Run: InferShapes, Doc: "resolve padding modes and compute every value's type"},
	}
}
