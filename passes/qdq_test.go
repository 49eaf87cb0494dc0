package passes

import (
	"slices"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/internal/qdqtest"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// The qdq pass turns each pattern into its integer ops and keeps the
// reference results: exactly where ONNX defines them, within one step of
// the output's quantization for the sums that are scaled once. The whole
// pipeline after it (layout, memory plan) keeps them too.
func TestQDQ(t *testing.T) {
	for _, c := range qdqtest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			g := c.Graph
			in := qdqtest.RandomInputs(g, 1)
			before, err := eval.Run(g, in)
			if err != nil {
				t.Fatal(err)
			}
			opt := g.Clone()
			for _, p := range []func(*ir.Graph) error{FoldConstants, QDQ} {
				if err := p(opt); err != nil {
					t.Fatal(err)
				}
			}
			if err := opt.Verify(); err != nil {
				t.Fatalf("%v\n%s", err, opt)
			}
			got := opTypes(opt)
			for _, want := range c.Ops {
				if !slices.Contains(got, want) {
					t.Errorf("no %s after the pass: %v", want, got)
				}
			}
			for _, gone := range c.NotOps {
				if slices.Contains(got, gone) {
					t.Errorf("%s is still there: %v", gone, got)
				}
			}
			compare(t, c, opt, in, before)
			// The rest of the pipeline keeps the integer graph's results.
			after, err := eval.Run(opt, in)
			if err != nil {
				t.Fatal(err)
			}
			full := g.Clone()
			for _, p := range Codegen() {
				if err := p.Run(full); err != nil {
					t.Fatalf("%s: %v", p.Name, err)
				}
			}
			compare(t, qdqtest.Case{Name: c.Name, Exact: true}, full, in, after)
		})
	}
}

func compare(t *testing.T, c qdqtest.Case, g *ir.Graph, in, want []*ir.Tensor) {
	t.Helper()
	got, err := eval.Run(g, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, g)
	}
	for i := range want {
		if !got[i].Shape.Equal(want[i].Shape) {
			t.Fatalf("output %d: shape %v, want %v", i, got[i].Shape, want[i].Shape)
		}
		if c.Exact {
			for j := range want[i].Floats {
				if got[i].Floats[j] != want[i].Floats[j] {
					t.Fatalf("output %d[%d] = %g, want %g exactly", i, j, got[i].Floats[j], want[i].Floats[j])
				}
			}
			continue
		}
		n, most := qdqtest.Steps(got[i], want[i], c.Step)
		if most > 1.001 {
			t.Fatalf("output %d differs by up to %.2f steps of %g", i, most, c.Step)
		}
		t.Logf("output %d: %d of %d elements differ by one step", i, n, got[i].Len())
	}
}

func opTypes(g *ir.Graph) []string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.Op.OpType())
	}
	return s
}

// A DequantizeLinear of a weight no integer op takes (a float Conv whose
// input is not quantized) is folded into a float constant at the end.
func TestQDQFoldsUnusedWeights(t *testing.T) {
	b := qdqtest.NewBuilder("float conv", 1)
	x := b.Input(1, 2, 5, 5)
	w, _ := b.Weight(ir.Int8, 0, 3, 2, 3, 3)
	g := b.Out(b.Op(&ir.Conv{}, x, w))
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := QDQ(g); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(opTypes(g), " "); got != "Conv" || !g.Nodes[0].Inputs[1].IsConst() || g.Nodes[0].Inputs[1].DType != ir.Float32 {
		t.Fatalf("nodes %s, weights %v", got, g.Nodes[0].Inputs[1])
	}
}

// IntegerIO gives integer inputs and outputs float32 slots holding the
// integers: the graph computes the same values from the same integers.
func TestIntegerIO(t *testing.T) {
	g := ir.NewGraph("io")
	x := g.AddInput("x", ir.Type{DType: ir.Int8, Shape: ir.Shape{2, 3}})
	s, z := qdqtest.Scalar(0.5), qdqtest.Zero(ir.Int8, 0)
	y := g.Apply("y", &ir.QLinearAdd{}, x, s, z, x, s, z, s, z)
	m := g.Apply("m", &ir.MatMulInteger{}, y, ir.NewConst("b", ir.NewIntTensor(ir.Int8, ir.Shape{3, 1}, []int64{1, -2, 3})))
	g.Outputs = []*ir.Value{y, m, x}
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	in := ir.NewIntTensor(ir.Int8, ir.Shape{2, 3}, []int64{-128, -3, 0, 5, 60, 127})
	want, err := eval.Run(g, []*ir.Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	if err := IntegerIO(g); err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
	for _, v := range append(g.Inputs, g.Outputs...) {
		if v.DType != ir.Float32 {
			t.Fatalf("%s is %s", v.Name, v.DType)
		}
	}
	f := ir.Zeros(ir.Float32, in.Shape)
	for i, v := range in.Ints {
		f.Floats[i] = float64(v)
	}
	got, err := eval.Run(g, []*ir.Tensor{f})
	if err != nil {
		t.Fatal(err)
	}
	for k := range want {
		for i := 0; i < want[k].Len(); i++ {
			if got[k].Float(i) != want[k].Float(i) {
				t.Fatalf("output %d[%d] = %g, want %g", k, i, got[k].Float(i), want[k].Float(i))
			}
		}
	}
}
