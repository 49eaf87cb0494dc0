package dot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/internal/conformance"
	"github.com/cnnc/cnnc/internal/shared"
	"github.com/cnnc/cnnc/ir"
)

// drawn is one DOT text to check.
type drawn struct {
	name string
	src  []byte
}

// Graphviz accepts the DOT of every conformance model (and the
// tutorial's), as imported and after the optimizing passes, without an
// error or a warning. Models cnnc does not import are skipped; a model the
// passes reject is checked as imported only.
func TestConformanceModelsRender(t *testing.T) {
	bin := needDot(t)
	root := shared.Conformance(t)
	var all []drawn
	add := func(name string, g *ir.Graph, opts Options) {
		src, err := String(g, opts)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		all = append(all, drawn{name, []byte(src)})
	}
	both := func(name string, g *ir.Graph) {
		add(name+" (imported)", g, Options{Constants: true})
		m, err := compiler.FromGraph(g)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if opt, err := m.Optimize(compiler.Options{}); err == nil {
			add(name+" (optimized)", opt, Options{})
		}
	}
	skipped := 0
	for _, f := range conformance.Folders {
		dirs, err := conformance.Tests(root, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			c, err := conformance.Load(f, dir)
			if err != nil || len(c.Sets) == 0 {
				skipped++
				continue
			}
			both(f.Name+"/"+c.Name, c.Sets[0].Graph)
		}
	}
	dsl, _ := filepath.Glob(filepath.Join(shared.RepoRoot(t), "testdata", "*.cnn"))
	for _, path := range dsl {
		m, err := compiler.Load(path, compiler.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		both(filepath.Base(path), m.Graph)
	}
	if len(all) == 0 {
		t.Fatalf("no models found under %s", root)
	}
	t.Logf("%d drawings checked with %s; %d conformance models skipped (not imported)", len(all), bin, skipped)

	// dot takes many graphs in one input; a batch per process keeps the
	// process count low, and a failing batch is rerun graph by graph to
	// name the culprit. Two processes at a time suit a shared machine.
	const batch, workers = 40, 2
	jobs := make(chan []drawn)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				for _, err := range checkBatch(bin, b) {
					mu.Lock()
					t.Error(err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < len(all); i += batch {
		jobs <- all[i:min(i+batch, len(all))]
	}
	close(jobs)
	wg.Wait()
}

// checkBatch runs dot once on the batch and, if that fails, on each of
// its graphs to report which fail.
func checkBatch(bin string, b []drawn) []error {
	var src bytes.Buffer
	for _, d := range b {
		src.Write(d.src)
	}
	if _, err := runDot(bin, src.Bytes(), "-Tsvg", "-o", os.DevNull); err == nil {
		return nil
	}
	var errs []error
	for _, d := range b {
		if _, err := runDot(bin, d.src, "-Tsvg", "-o", os.DevNull); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w\n%s", d.name, err, firstLines(d.src, 40)))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("dot fails on a batch of graphs but on none of them alone"))
	}
	return errs
}

func firstLines(src []byte, n int) string {
	lines := strings.SplitN(string(src), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// The batch check finds a bad graph among good ones and names it.
func TestCheckBatchNamesCulprit(t *testing.T) {
	bin := needDot(t)
	good, err := String(hostileGraph("ok"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		bad  string
	}{
		{"syntax error", "digraph x { a -> ; }\n"},
		{"bad UTF-8 warning", "digraph x { a [label=\"\xff\"]; }\n"},
		{"unterminated string", "digraph x { a [label=\"a\\\"]; }\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []drawn{{"good1", []byte(good)}, {"bad", []byte(tc.bad)}, {"good2", []byte(good)}}
			errs := checkBatch(bin, b)
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "bad: ") {
				t.Errorf("checkBatch = %v, want one error naming bad", errs)
			}
			if errs := checkBatch(bin, []drawn{b[0], b[2]}); len(errs) != 0 {
				t.Errorf("good graphs fail: %v", errs)
			}
		})
	}
}
