package check

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// The step of an output: integer codes, a dequantization (per tensor,
// through a reshape, per channel), none for other values.
func TestQuantumOf(t *testing.T) {
	g := ir.NewGraph("q")
	x := g.AddInput("x", ir.Type{DType: ir.Uint8, Shape: ir.Shape{1, 2, 3}})
	s := ir.NewConst("s", ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{0.5}))
	sc := ir.NewConst("sc", ir.NewFloatTensor(ir.Float32, ir.Shape{2}, []float64{0.5, 0.25}))
	d := g.Apply("d", &ir.DequantizeLinear{To: ir.Float32}, x, s)
	r := g.Apply("r", &ir.Flatten{Axis: 1}, d)
	dc := g.Apply("dc", &ir.DequantizeLinear{Axis: 1, To: ir.Float32}, x, sc)
	rc := g.Apply("rc", &ir.Flatten{Axis: 1}, dc)
	e := g.Apply("e", &ir.Exp{}, d)
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v     *ir.Value
		scale []float64
	}{{x, []float64{1}}, {d, []float64{0.5}}, {r, []float64{0.5}}, {dc, []float64{0.5, 0.25}}, {rc, nil}, {e, nil}} {
		q := QuantumOf(tc.v)
		if (q == nil) != (tc.scale == nil) || q != nil && len(q.Scale) != len(tc.scale) {
			t.Errorf("%s: %+v, want scales %v", tc.v.Name, q, tc.scale)
		}
	}
	q := QuantumOf(dc)
	got := ir.NewFloatTensor(ir.Float32, ir.Shape{1, 2, 3}, []float64{0.5, 1, 1.5, 0.25, 0.3, 1})
	want := ir.NewFloatTensor(ir.Float32, ir.Shape{1, 2, 3}, []float64{0.5, 0.5, 0.5, 0.5, 0.5, 1})
	if c := q.Count(got, want); c != (StepCount{Equal: 2, OneStep: 2, More: 2, MaxSteps: 2}) {
		t.Errorf("count %+v", c)
	}
}
