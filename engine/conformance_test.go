package engine_test

import (
	"errors"
	"flag"
	"fmt"
	"github.com/cnnc/cnnc/internal/shared"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/dsl"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/internal/conformance"
	"github.com/cnnc/cnnc/ir"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/go-engine.md from this run's counts")

// goCase is one model run on the Go engine: a conformance data set or a
// DSL model checked against the reference engine.
type goCase struct {
	folder, name string
	rtol, atol   float64
	graph        *ir.Graph
	inputs, want []*ir.Tensor
}

// TestGoEngineConformance compiles every conformance model that the ONNX
// frontend supports into generated Go (one build for all of them), runs
// each data set and compares with the stored outputs; the tutorial's
// three DSL models are compared with the reference engine. A model that
// uses something the code generator does not support is skipped with the
// reason; anything else failing fails.
func TestGoEngineConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds several hundred generated packages")
	}
	root := shared.Conformance(t)
	var cases []goCase
	importSkips := map[string]int{}
	for _, f := range conformance.Folders {
		dirs, err := conformance.Tests(root, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			c, err := conformance.Load(f, dir)
			if errors.Is(err, onnx.ErrUnsupported) {
				importSkips[f.Name]++
				continue
			}
			if err != nil {
				t.Errorf("%s/%s: %v", f.Name, filepath.Base(dir), err)
				continue
			}
			for _, s := range c.Sets {
				name := c.Name
				if len(c.Sets) > 1 {
					name += "/" + s.Name
				}
				cases = append(cases, goCase{f.Name, name, f.RTol, f.ATol, s.Graph, s.Inputs, s.Outputs})
			}
		}
	}
	for _, m := range []string{"tutorial_124.cnn", "tutorial_125_mnist.cnn", "tutorial_126_cifar.cnn"} {
		g, err := dsl.Load(filepath.Join(shared.RepoRoot(t), "testdata", m), dsl.Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		in := compiler.RandomInputs(g, 1, 7)
		want, err := engine.Ref(g).Run(in)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, goCase{"dsl", m, 1e-3, 1e-5, g, in, want})
	}

	graphs := make([]*ir.Graph, len(cases))
	for i, c := range cases {
		graphs[i] = c.graph
	}
	if os.Getenv("CNNC_DEBUG_CASES") != "" {
		for i, c := range cases {
			t.Logf("m%d = %s/%s", i, c.folder, c.name)
		}
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	type count struct{ pass, skip, fail int }
	counts := map[string]*count{}
	reasons := map[string]int{}
	for i, c := range cases {
		if counts[c.folder] == nil {
			counts[c.folder] = &count{}
		}
		cnt := counts[c.folder]
		t.Run(c.folder+"/"+c.name, func(t *testing.T) {
			defer func() {
				switch {
				case t.Skipped():
					cnt.skip++
				case t.Failed():
					cnt.fail++
				default:
					cnt.pass++
				}
			}()
			if errs[i] != nil {
				if codegen.IsUnsupported(errs[i]) {
					reasons[shortReason(errs[i])]++
					t.Skip(errs[i])
				}
				t.Fatal(errs[i])
			}
			e := engines[i]
			defer e.Close()
			got, err := e.Run(c.inputs)
			if err != nil {
				t.Fatal(err)
			}
			for k := range c.want {
				if r := check.Compare(got[k], c.want[k], c.rtol, c.atol); !r.OK {
					t.Error(check.Line(k, c.graph.Outputs[k].Name, r))
				}
			}
		})
	}
	var report []string
	for _, f := range append(conformance.Folders, conformance.Folder{Name: "dsl"}) {
		if cnt := counts[f.Name]; cnt != nil {
			report = append(report, fmt.Sprintf("%s: %d pass, %d skipped by the code generator, %d fail, %d skipped by the ONNX frontend",
				f.Name, cnt.pass, cnt.skip, cnt.fail, importSkips[f.Name]))
		}
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		report = append(report, fmt.Sprintf("  %3d x %s", reasons[k], k))
	}
	t.Log("Go engine conformance:\n" + strings.Join(report, "\n"))
	if *updateDocs {
		if t.Failed() {
			t.Fatal("not updating docs/go-engine.md: tests failed")
		}
		var doc strings.Builder
		doc.WriteString(goEngineDocHeader)
		doc.WriteString("| folder | pass | skipped by the code generator | fail | not imported (see onnx.md) |\n|---|---|---|---|---|\n")
		for _, f := range append(conformance.Folders, conformance.Folder{Name: "dsl"}) {
			if cnt := counts[f.Name]; cnt != nil {
				fmt.Fprintf(&doc, "| %s | %d | %d | %d | %d |\n", f.Name, cnt.pass, cnt.skip, cnt.fail, importSkips[f.Name])
			}
		}
		doc.WriteString("\nWhat the code generator skips, and how often:\n\n")
		for _, k := range keys {
			fmt.Fprintf(&doc, "- %d x %s\n", reasons[k], k)
		}
		doc.WriteString(notCompiledDoc())
		path := filepath.Join(shared.RepoRoot(t), "docs", "go-engine.md")
		if err := os.WriteFile(path, []byte(doc.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const goEngineDocHeader = `# The Go engine on the conformance data

<!-- Generated by: go test ./engine -run TestGoEngineConformance -update-docs -->

Every conformance model that the ONNX frontend imports is compiled into generated Go,
built (all in one go build) and run on its test data; its outputs are compared with the
stored ones (rtol 1e-3, atol 1e-7 for the ONNX and PyTorch tests, atol 1e-5 for the models).
The tutorial's three DSL models are compared with the reference evaluator. A model that
uses something the code generator does not handle is skipped with the reason; anything
else failing fails the test.

`

// notCompiledDoc lists the IR ops the code generator does not compile,
// with the reason each registered.
func notCompiledDoc() string {
	var b strings.Builder
	b.WriteString("\nIR ops the Go engine does not compile (the reference engine runs them):\n\n")
	for _, s := range codegen.Ops() {
		if !s.Compiled {
			fmt.Fprintf(&b, "- `%s`: %s\n", strings.TrimPrefix(s.Type.String(), "*ir."), s.Reason)
		}
	}
	return b.String()
}

// TestGoEngineDocListsOps keeps the op list of docs/go-engine.md in step
// with the code generator's registrations.
func TestGoEngineDocListsOps(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shared.RepoRoot(t), "docs", "go-engine.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), notCompiledDoc()) {
		t.Errorf("docs/go-engine.md does not end with the code generator's list of ops it does not compile; run go test ./engine -run TestGoEngineConformance -update-docs")
	}
}

// shortReason trims an unsupported-construct error to the construct.
func shortReason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
