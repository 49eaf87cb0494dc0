package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/internal/qdqtest"
	"github.com/cnnc/cnnc/internal/shared"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// The quantized graphs of qdqtest, compiled into generated Go (one build):
// the generated code computes exactly what the reference evaluator
// computes on the optimized integer graph, bit for bit, and stays within
// one output step of the float QDQ graph it came from. Integer model
// inputs and outputs travel as float32 values.
func TestGoEngineQuantized(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages")
	}
	cases := qdqtest.Cases()
	cases = append(cases, integerIOCase())
	graphs := make([]*ir.Graph, len(cases))
	for i, c := range cases {
		graphs[i] = c.Graph
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			e := engines[i]
			defer e.Close()
			in := qdqtest.RandomInputs(c.Graph, 4)
			got, err := e.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			m, err := compiler.FromGraph(c.Graph)
			if err != nil {
				t.Fatal(err)
			}
			opt, err := m.Optimize(compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			feed := make([]*ir.Tensor, len(in))
			for j, x := range in {
				feed[j] = x
				if dt := opt.Inputs[j].DType; dt != x.DType {
					feed[j] = ir.Zeros(dt, x.Shape)
					for k := range x.Ints {
						feed[j].Floats[k] = float64(x.Ints[k])
					}
				}
			}
			exact, err := eval.Run(opt, feed)
			if err != nil {
				t.Fatal(err)
			}
			float, err := eval.Run(c.Graph, in)
			if err != nil {
				t.Fatal(err)
			}
			for k := range got {
				for j := 0; j < got[k].Len(); j++ {
					if g, w := got[k].Float(j), float32(exact[k].Float(j)); float32(g) != w {
						t.Fatalf("output %d[%d]: generated code %g, reference on the integer graph %g", k, j, g, w)
					}
				}
				step := c.Step
				if c.Exact {
					step = 1e-30
				}
				if n, most := qdqtest.Steps(got[k], float[k], step); most > 1.001 {
					t.Fatalf("output %d: %d elements differ from the float graph, by up to %.2f steps", k, n, most)
				}
			}
		})
	}
}

// integerIOCase is a graph whose input and outputs are codes: u8 in, a
// QLinearAdd, u8 and int32-free f32 out.
func integerIOCase() qdqtest.Case {
	g := ir.NewGraph("integer io")
	x := g.AddInput("x", ir.Type{DType: ir.Uint8, Shape: ir.Shape{2, 7}})
	s, z := qdqtest.Scalar(0.1), qdqtest.Zero(ir.Uint8, 128)
	y := g.Apply("add", &ir.QLinearAdd{}, x, s, z, x, s, z, qdqtest.Scalar(0.3), z)
	d := g.Apply("dq", &ir.DequantizeLinear{To: ir.Float32}, y, s, z)
	g.Outputs = []*ir.Value{y, d}
	if err := g.Infer(); err != nil {
		panic(err)
	}
	return qdqtest.Case{Name: "integer inputs and outputs", Graph: g, Exact: true}
}

// testdata/qdq_cnn is a QDQ model written by scripts/qdq_model.py, with
// the outputs ONNX Runtime 1.30 computes for it (its QDQ transformer
// running its integer kernels), and the same model in the QOperator form
// ONNX Runtime turned it into (QLinearConv and the com.microsoft ops):
// both engines must agree with them within one quantization step, element
// by element (they agree exactly when this test was written).
func TestQDQModelMatchesONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages")
	}
	dir := filepath.Join(shared.RepoRoot(t), "testdata", "qdq_cnn")
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatal("no data sets")
	}
	for _, model := range []string{"model.onnx", "model_qoperator.onnx"} {
		t.Run(model, func(t *testing.T) { checkAgainstStored(t, filepath.Join(dir, model), sets) })
	}
}

func checkAgainstStored(t *testing.T, model string, sets []string) {
	for _, set := range sets {
		ins, wants, err := onnx.LoadTestDataSet(set)
		if err != nil {
			t.Fatal(err)
		}
		m, err := compiler.Load(model, compiler.LoadOptions{Inputs: ins})
		if err != nil {
			t.Fatal(err)
		}
		goEng, err := engine.Go(m.Graph, engine.GoOptions{Log: os.Stderr})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []engine.Engine{engine.Ref(m.Graph), goEng} {
			got, err := e.Run(m.Feed)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range wants {
				q := check.QuantumOf(m.Graph.Outputs[k])
				if q == nil {
					t.Fatalf("output %d is not quantized", k)
				}
				c := q.Count(got[k], want)
				if c.More > 0 {
					t.Errorf("%s, %s engine, output %d: %s (up to %.2f steps)", filepath.Base(set), e.Name(), k, c, c.MaxSteps)
				}
				t.Logf("%s, %s engine, output %d %q: %s", filepath.Base(set), e.Name(), k, m.Graph.Outputs[k].Name, c)
			}
		}
		goEng.Close()
	}
}

// Integer convolutions and matrix products whose weights or parameters
// are computed at run time run as direct loops; one with only the data's
// zero point computed at run time (dynamic quantization) keeps the packed
// kernel. Both give the reference's integers exactly.
func TestGoEngineIntegerRunTimeOperands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages")
	}
	f32 := func(shape ...int) ir.Type { return ir.Type{DType: ir.Float32, Shape: ir.Shape(shape)} }
	codes := func(dt ir.DType, shape ...int) ir.Type { return ir.Type{DType: dt, Shape: ir.Shape(shape)} }
	bias := ir.NewConst("b", ir.NewIntTensor(ir.Int32, ir.Shape{6}, []int64{5, -300, 70, 1000, -9, 0}))
	type tc struct {
		name string
		g    *ir.Graph
		in   []*ir.Tensor
	}
	var cases []tc
	{
		g := ir.NewGraph("qlinearconv run-time weights")
		x := g.AddInput("x", codes(ir.Uint8, 1, 4, 6, 5))
		w := g.AddInput("w", codes(ir.Int8, 6, 2, 3, 3))
		ws := g.AddInput("ws", f32(6))
		y := g.Apply("conv", &ir.QLinearConv{Window: ir.Window{Pads: []int{1, 1, 1, 1}, Strides: []int{2, 2}}, Group: 2},
			x, qdqtest.Scalar(0.02), qdqtest.Zero(ir.Uint8, 120), w, ws, ir.NewConst("wz", ir.Zeros(ir.Int8, ir.Shape{6})), qdqtest.Scalar(0.05), qdqtest.Zero(ir.Uint8, 100), bias)
		g.Outputs = []*ir.Value{y}
		rng := qdqtest.RandomInputs(g, 8)
		scales := ir.NewFloatTensor(ir.Float32, ir.Shape{6}, []float64{0.01, 0.02, 0.005, 0.03, 0.011, 0.007})
		cases = append(cases, tc{g.Name, g, []*ir.Tensor{rng[0], rng[1], scales}})
	}
	{
		g := ir.NewGraph("matmulinteger per-row zero points")
		a := g.AddInput("a", codes(ir.Uint8, 3, 5))
		b := g.AddInput("b", codes(ir.Int8, 5, 4))
		az := g.AddInput("az", codes(ir.Uint8, 3))
		y := g.Apply("mm", &ir.MatMulInteger{}, a, b, az, ir.NewConst("bz", ir.NewIntTensor(ir.Int8, ir.Shape{4}, []int64{1, -2, 3, 0})))
		g.Outputs = []*ir.Value{y}
		cases = append(cases, tc{g.Name, g, qdqtest.RandomInputs(g, 9)})
	}
	{
		g := ir.NewGraph("convinteger run-time data zero point")
		x := g.AddInput("x", codes(ir.Uint8, 1, 3, 5, 5))
		xz := g.AddInput("xz", codes(ir.Uint8))
		w := ir.NewConst("w", ir.NewIntTensor(ir.Uint8, ir.Shape{2, 3, 2, 2}, []int64{0, 255, 128, 7, 9, 200, 13, 14, 100, 101, 3, 77, 250, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
		y := g.Apply("ci", &ir.ConvInteger{}, x, w, xz, qdqtest.Zero(ir.Uint8, 128))
		g.Outputs = []*ir.Value{y}
		cases = append(cases, tc{g.Name, g, qdqtest.RandomInputs(g, 10)})
	}
	{
		g := ir.NewGraph("qlinearsigmoid run-time scale")
		x := g.AddInput("x", codes(ir.Uint8, 2, 128))
		xs := g.AddInput("xs", f32())
		y := g.Apply("sig", &ir.QLinearActivation{Act: &ir.Sigmoid{}}, x, xs, qdqtest.Zero(ir.Uint8, 128), qdqtest.Scalar(1.0/256), qdqtest.Zero(ir.Uint8, 0))
		g.Outputs = []*ir.Value{y}
		xv := ir.Zeros(ir.Uint8, ir.Shape{2, 128})
		for i := range xv.Ints {
			xv.Ints[i] = int64(i)
		}
		cases = append(cases, tc{g.Name, g, []*ir.Tensor{xv, ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{0.05})}})
	}
	graphs := make([]*ir.Graph, len(cases))
	for i, c := range cases {
		if err := c.g.Infer(); err != nil {
			t.Fatal(err)
		}
		graphs[i] = c.g
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			defer engines[i].Close()
			got, err := engines[i].Run(c.in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := eval.Run(c.g, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := c.g.Nodes[0].Op.(*ir.QLinearActivation); ok {
				// A table of the runtime's float32 sigmoid: within a step.
				if n := check.QuantumOf(c.g.Outputs[0]).Count(got[0], want[0]); n.More > 0 {
					t.Fatal(n)
				}
				return
			}
			if r := check.Compare(got[0], want[0], 0, 0); !r.OK {
				t.Fatal(r)
			}
		})
	}
}
