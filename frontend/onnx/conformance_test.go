package onnx

import (
	"errors"
	"flag"
	"fmt"
	"github.com/cnnc/cnnc/internal/shared"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/onnx.md from the op table and this run's conformance counts")

// conformanceFolders are the folders of ../shared/conformance, with the
// tolerances their data was produced for.
var conformanceFolders = []struct {
	name       string
	rtol, atol float64
}{
	{"onnx-node", 1e-3, 1e-7},
	{"onnx-node-extra", 1e-3, 1e-7},
	{"onnx-pytorch-converted", 1e-3, 1e-7},
	{"onnx-pytorch-operator", 1e-3, 1e-7},
	{"models", 1e-3, 1e-5},
}

// outcome is what happened to one conformance test.
type outcome struct {
	folder, test string
	skipped      bool
	failed       bool
	reason       string
}

// TestConformance imports every model of the conformance folders, runs
// each test data set through ir/eval and compares the outputs. A model
// using something cnnc does not support is skipped with the reason; any
// other failure fails. With -update-docs it rewrites docs/onnx.md.
func TestConformance(t *testing.T) {
	root := shared.Conformance(t)
	var mu sync.Mutex
	var results []outcome
	for _, f := range conformanceFolders {
		t.Run(f.name, func(t *testing.T) {
			entries, err := os.ReadDir(filepath.Join(root, f.name))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				dir := filepath.Join(root, f.name, e.Name())
				if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
					continue
				}
				t.Run(e.Name(), func(t *testing.T) {
					t.Parallel()
					o := outcome{folder: f.name, test: e.Name()}
					defer func() {
						o.skipped, o.failed = t.Skipped(), t.Failed()
						mu.Lock()
						results = append(results, o)
						mu.Unlock()
					}()
					runConformanceTest(t, dir, f.rtol, f.atol, &o.reason)
				})
			}
		})
	}
	checkProduced(t)
	if *updateDocs {
		if t.Failed() {
			t.Fatal("not updating docs/onnx.md: conformance tests failed")
		}
		writeDocs(t, results)
	}
}

// produced records, for each ONNX op type, the IR op types its importer
// made in the conformance models (the IR nodes' LayerType is the ONNX op).
var (
	producedMu sync.Mutex
	produced   = map[string]map[string]bool{}
)

func recordProduced(g *ir.Graph) {
	producedMu.Lock()
	defer producedMu.Unlock()
	for _, n := range g.Nodes {
		if produced[n.LayerType] == nil {
			produced[n.LayerType] = map[string]bool{}
		}
		produced[n.LayerType][reflect.TypeOf(n.Op).String()] = true
	}
}

// checkProduced holds each importer to the IR ops its registry entry
// declares: what the conformance models made must be among them, and
// every declared op must have a reference kernel.
func checkProduced(t *testing.T) {
	for _, op := range SupportedOps() {
		declared := map[string]bool{}
		for _, o := range op.Produces {
			name := reflect.TypeOf(o).String()
			declared[name] = true
			if !eval.Supports(o) {
				t.Errorf("ONNX %s declares that it makes %s, which ir/eval has no kernel for", op.OpType, name)
			}
		}
		if len(op.Produces) == 0 && !op.Folded {
			t.Errorf("ONNX %s declares no IR op it makes and is not folded at import", op.OpType)
		}
		for name := range produced[op.OpType] {
			if !declared[name] {
				t.Errorf("importing ONNX %s made a %s, which its registry entry does not declare", op.OpType, name)
			}
		}
	}
}

// runConformanceTest runs one test directory. Graph inputs that the model
// needs at compile time (the node tests feed shapes, axes and pads as
// inputs) are bound to the data set's values and the model is imported
// again for each data set.
func runConformanceTest(t *testing.T, dir string, rtol, atol float64, reason *string) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	// Unsupported models are skipped before their data is read: the data
	// of a sequence-typed input, say, is no TensorProto.
	if _, err := Import(data, Options{}); errors.Is(err, ErrUnsupported) {
		*reason = err.Error()
		t.Skip(err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatal("no test_data_set_* directories")
	}
	for _, set := range sets {
		ins, outs, err := loadNamedDataSet(set)
		if err != nil {
			t.Fatal(err)
		}
		tensors := make([]*ir.Tensor, len(ins))
		for i := range ins {
			tensors[i] = ins[i].Tensor
		}
		g, feed, err := ImportWithInputs(data, Options{}, tensors)
		if errors.Is(err, ErrUnsupported) {
			*reason = err.Error()
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		recordProduced(g)
		got, err := eval.Run(g, feed)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(set), err)
		}
		if len(got) != len(outs) {
			t.Fatalf("%s: model computes %d outputs, data set has %d", filepath.Base(set), len(got), len(outs))
		}
		for i := range outs {
			r := check.Compare(got[i], outs[i].Tensor, rtol, atol)
			if !r.OK {
				t.Errorf("%s: %s", filepath.Base(set), check.Line(i, g.Outputs[i].Name, r))
			}
		}
	}
}

const (
	docPath     = "docs/onnx.md"
	opsBegin    = "<!-- BEGIN SUPPORTED OPS -->"
	opsEnd      = "<!-- END SUPPORTED OPS -->"
	countsBegin = "<!-- BEGIN CONFORMANCE -->"
	countsEnd   = "<!-- END CONFORMANCE -->"
)

// docHeader opens docs/onnx.md.
const docHeader = `# ONNX import

<!-- Generated: the operator table comes from frontend/onnx's registry and
the counts from a conformance run. Regenerate both with
    go test ./frontend/onnx -run 'TestConformance|TestDocs' -update-docs
A normal test run fails when the operator table here is stale. -->

cnnc imports ONNX models (ai.onnx domain, opsets 1 to %d, and the
quantized operators of ONNX Runtime's com.microsoft domain, opset 1)
through frontend/onnx. Shapes must be static except a symbolic batch dimension 0;
fix other unknown dimensions with ` + "`--dim NAME=VALUE`" + `. Inputs that
an op needs at compile time (Reshape's shape, Pad's pads, Clip's bounds,
Slice's starts, ...) must be constants, possibly computed by a shape
subgraph that the importer folds.

## Supported operators

`

// opsTable renders the supported-operator table.
func opsTable() string {
	var b strings.Builder
	b.WriteString(opsBegin + "\n")
	b.WriteString("| op | opsets | types | IR ops | notes |\n|---|---|---|---|---|\n")
	for _, op := range SupportedOps() {
		types := "any"
		if op.FloatOnly {
			types = "float"
		}
		var irOps []string
		for _, o := range op.Produces {
			irOps = append(irOps, o.OpType())
		}
		if op.Folded {
			irOps = append(irOps, "folded at import")
		}
		name := op.OpType
		if op.Domain != "" {
			name = op.Domain + "." + name
		}
		fmt.Fprintf(&b, "| %s | %d-%d | %s | %s | %s |\n", name, op.MinOpset, op.MaxOpset, types, strings.Join(irOps, ", "), op.Notes)
	}
	b.WriteString(opsEnd + "\n")
	return b.String()
}

// countsSection renders the conformance counts and the skip reasons.
func countsSection(results []outcome) string {
	sort.Slice(results, func(i, j int) bool {
		if results[i].folder != results[j].folder {
			return results[i].folder < results[j].folder
		}
		return results[i].test < results[j].test
	})
	var b strings.Builder
	b.WriteString(countsBegin + "\n")
	b.WriteString("Command: `go test ./frontend/onnx -run TestConformance -v` (ir/eval as the engine; rtol 1e-3, atol 1e-7, models/ atol 1e-5).\n\n")
	b.WriteString("| folder | tests | pass | skip | fail |\n|---|---|---|---|---|\n")
	for _, f := range conformanceFolders {
		var n, pass, skip, fail int
		for _, r := range results {
			if r.folder != f.name {
				continue
			}
			n++
			switch {
			case r.failed:
				fail++
			case r.skipped:
				skip++
			default:
				pass++
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", f.name, n, pass, skip, fail)
	}
	b.WriteString("\n### Skipped tests\n\n")
	for _, r := range results {
		if r.skipped {
			fmt.Fprintf(&b, "- %s/%s: %s\n", r.folder, r.test, strings.ReplaceAll(r.reason, "\n", " "))
		}
	}
	b.WriteString(countsEnd + "\n")
	return b.String()
}

func writeDocs(t *testing.T, results []outcome) {
	path := filepath.Join(shared.RepoRoot(t), docPath)
	doc := fmt.Sprintf(docHeader, MaxOpset) + opsTable() + "\n## Conformance\n\n" + countsSection(results)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// TestDocsUpToDate fails when docs/onnx.md's operator table differs from
// the registry.
func TestDocsUpToDate(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shared.RepoRoot(t), docPath))
	if err != nil {
		t.Fatalf("%v; generate it with go test ./frontend/onnx -run TestConformance -update-docs", err)
	}
	doc := string(data)
	i, j := strings.Index(doc, opsBegin), strings.Index(doc, opsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no operator table markers", docPath)
	}
	if got, want := doc[i:j+len(opsEnd)+1], opsTable(); got != want {
		t.Errorf("%s is stale: its operator table differs from the registry; regenerate it with go test ./frontend/onnx -run TestConformance -update-docs", docPath)
	}
}
