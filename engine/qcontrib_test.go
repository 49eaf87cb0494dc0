package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/internal/shared"
	"github.com/cnnc/cnnc/ir"
)

// qcontribCases are the models of testdata/qcontrib: com.microsoft's
// quantized operators, each model one operator and code type with a dozen
// nodes of different scales, zero points and attributes on inputs that take
// every code, and the outputs ONNX Runtime 1.30 computes for them on x86
// (scripts/qcontrib_testdata.py wrote them). The operators' definitions
// leave the rounding open; both engines must give ONNX Runtime's
// codes exactly, except that the reference engine may be refSteps codes
// off where the case says why.
var qcontribCases = []struct {
	name     string
	refSteps int
	why      string
}{
	{name: "sigmoid_u8"},
	{name: "sigmoid_i8"},
	// The reference engine evaluates a QDQ model as ONNX defines it, the
	// float Sigmoid exact; the qdq pass tabulates it as ONNX Runtime does.
	{name: "sigmoid_qdq_u8", refSteps: 1, why: "exact float Sigmoid"},
	{name: "sigmoid_qdq_i8", refSteps: 1, why: "exact float Sigmoid"},
	{name: "sigmoid_u8_runtime"},
	{name: "sigmoid_i8_runtime"},
	{name: "leakyrelu_u8"},
	{name: "leakyrelu_i8"},
	{name: "leakyrelu_u8_runtime"},
	{name: "leakyrelu_i8_runtime"},
	{name: "averagepool_u8"},
	{name: "averagepool_i8"},
	{name: "globalaveragepool_u8"},
	{name: "globalaveragepool_i8"},
	{name: "concat_u8"},
	{name: "concat_i8"},
	{name: "add_u8"},
	{name: "add_i8"},
	{name: "mul_u8"},
	{name: "mul_i8"},
}

// TestQContribMatchesONNXRuntime runs every model of qcontribCases on the
// reference evaluator and on generated Go code (one build for all) and
// compares every output element with ONNX Runtime's.
func TestQContribMatchesONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages")
	}
	root := filepath.Join(shared.RepoRoot(t), "testdata", "qcontrib")
	listed := map[string]bool{}
	graphs := make([]*ir.Graph, len(qcontribCases))
	for i, c := range qcontribCases {
		listed[c.name] = true
		m, err := compiler.Load(filepath.Join(root, c.name, "model.onnx"), compiler.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		graphs[i] = m.Graph
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && !listed[d.Name()] {
			t.Errorf("testdata/qcontrib/%s is not in qcontribCases", d.Name())
		}
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range qcontribCases {
		t.Run(c.name, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			defer engines[i].Close()
			sets, _ := filepath.Glob(filepath.Join(root, c.name, "test_data_set_*"))
			if len(sets) == 0 {
				t.Fatal("no data sets")
			}
			for _, set := range sets {
				ins, wants, err := onnx.LoadTestDataSet(set)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range []engine.Engine{engine.Ref(graphs[i]), engines[i]} {
					got, err := e.Run(ins)
					if err != nil {
						t.Fatalf("%s, %s engine: %v", filepath.Base(set), e.Name(), err)
					}
					steps := 0
					if e.Name() == "ref" {
						steps = c.refSteps
					}
					for k, want := range wants {
						if msg := compareCodes(got[k], want, steps); msg != "" {
							t.Errorf("%s, %s engine, output %d (node %s): %s", filepath.Base(set), e.Name(), k, graphs[i].Outputs[k].Producer.Name, msg)
						}
					}
				}
			}
		})
	}
}

// compareCodes reports how got differs from want, codes compared as
// numbers, when some element is more than steps away; "" when none is.
func compareCodes(got, want *ir.Tensor, steps int) string {
	if !got.Shape.Equal(want.Shape) {
		return fmt.Sprintf("shape %v, ONNX Runtime's %v", got.Shape, want.Shape)
	}
	var bad []string
	n, most := 0, 0.0
	for j := range want.Len() {
		d := got.Float(j) - want.Float(j)
		if d < 0 {
			d = -d
		}
		most = max(most, d)
		if d > float64(steps) {
			n++
			if len(bad) < 6 {
				bad = append(bad, fmt.Sprintf("[%d] %g want %g", j, got.Float(j), want.Float(j)))
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d codes differ from ONNX Runtime's, by up to %g: %s", n, want.Len(), most, strings.Join(bad, ", "))
}
