package check

import (
	"math"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestCompare(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	f32 := func(v ...float64) *ir.Tensor { return ir.NewFloatTensor(ir.Float32, ir.Shape{len(v)}, v) }
	cases := []struct {
		name       string
		got, want  *ir.Tensor
		ok         bool
		mismatches int
		worst      int
		problem    string
	}{
		{"equal", f32(1, 2, 3), f32(1, 2, 3), true, 0, 0, ""},
		{"within rtol", f32(1000.5), f32(1000), true, 0, 0, ""},
		{"outside", f32(1, 2.1, 3, 5), f32(1, 2, 3, 4), false, 2, 3, ""},
		{"atol near zero", f32(1e-8), f32(0), true, 0, 0, ""},
		{"nan matches nan", f32(nan, 1), f32(nan, 1), true, 0, 1, ""},
		{"nan vs number", f32(nan), f32(1), false, 1, 0, ""},
		{"inf", f32(inf, -inf), f32(inf, -inf), true, 0, 0, ""},
		{"inf sign", f32(inf), f32(-inf), false, 1, 0, ""},
		{"f32 vs f64", f32(1), ir.NewFloatTensor(ir.Float64, ir.Shape{1}, []float64{1}), true, 0, 0, ""},
		{"float vs int", f32(1), ir.NewIntTensor(ir.Int64, ir.Shape{1}, []int64{1}), false, 0, -1, "element types differ"},
		{"ints exact", ir.NewIntTensor(ir.Int64, ir.Shape{2}, []int64{1 << 60, 3}), ir.NewIntTensor(ir.Int64, ir.Shape{2}, []int64{1<<60 + 1, 3}), false, 1, 0, ""},
		{"int kinds", ir.NewIntTensor(ir.Int32, ir.Shape{1}, []int64{7}), ir.NewIntTensor(ir.Int64, ir.Shape{1}, []int64{7}), true, 0, 0, ""},
		{"shape", f32(1, 2), ir.NewFloatTensor(ir.Float32, ir.Shape{1, 2}, []float64{1, 2}), false, 0, -1, "shapes differ"},
		{"batch dim", ir.NewFloatTensor(ir.Float32, ir.Shape{ir.Batch, 2}, []float64{1, 2, 3, 4}), ir.NewFloatTensor(ir.Float32, ir.Shape{2, 2}, []float64{1, 2, 3, 4}), true, 0, 0, ""},
		{"missing", nil, f32(1), false, 0, -1, "missing tensor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(c.got, c.want, 1e-3, 1e-7)
			if r.OK != c.ok || r.Mismatches != c.mismatches || (c.problem == "" && r.Worst != c.worst) || !strings.Contains(r.Problem, c.problem) {
				t.Errorf("Compare = %+v", r)
			}
		})
	}
}

func TestCompareErrors(t *testing.T) {
	got := ir.NewFloatTensor(ir.Float32, ir.Shape{3}, []float64{1, 2.5, 3})
	want := ir.NewFloatTensor(ir.Float32, ir.Shape{3}, []float64{1, 2, 4})
	r := Compare(got, want, 1e-3, 1e-5)
	if r.MaxAbs != 1 || r.MaxRel != 0.25 || r.Worst != 2 || r.GotWorst != 3 || r.WantWorst != 4 {
		t.Errorf("Compare = %+v", r)
	}
	line := Line(0, "prob", r)
	want0 := `output 0 "prob": FAIL 2/3 elements differ, max abs 1  max rel 0.25 (3 elements); worst at 2: got 3, want 4`
	if line != want0 {
		t.Errorf("Line =\n  %s\nwant\n  %s", line, want0)
	}
	ok := Compare(want, want, 1e-3, 1e-5)
	if got := Line(1, "y", ok); got != `output 1 "y": ok   max abs 0  max rel 0 (3 elements)` {
		t.Errorf("Line = %s", got)
	}
}
