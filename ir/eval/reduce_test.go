package eval_test

import (
	"math"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestReduce(t *testing.T) {
	x := f32(ir.Shape{2, 3}, 1, 2, 3, 4, 5, 6)
	red := func(axes []int, keep bool) ir.Reduce { return ir.Reduce{Axes: axes, KeepDims: keep} }
	tests := []struct {
		name  string
		op    ir.Op
		shape ir.Shape
		want  []float64
	}{
		{"sum rows keep", &ir.ReduceSum{Reduce: red([]int{1}, true)}, ir.Shape{2, 1}, []float64{6, 15}},
		{"sum rows", &ir.ReduceSum{Reduce: red([]int{1}, false)}, ir.Shape{2}, []float64{6, 15}},
		{"sum all", &ir.ReduceSum{Reduce: red(nil, false)}, ir.Shape{}, []float64{21}},
		{"sum all keep", &ir.ReduceSum{Reduce: red(nil, true)}, ir.Shape{1, 1}, []float64{21}},
		{"mean columns", &ir.ReduceMean{Reduce: red([]int{0}, false)}, ir.Shape{3}, []float64{2.5, 3.5, 4.5}},
		{"max last", &ir.ReduceMax{Reduce: red([]int{-1}, false)}, ir.Shape{2}, []float64{3, 6}},
		{"min last", &ir.ReduceMin{Reduce: red([]int{-1}, true)}, ir.Shape{2, 1}, []float64{1, 4}},
		{"mean both", &ir.ReduceMean{Reduce: red([]int{1, 0}, false)}, ir.Shape{}, []float64{3.5}},
		{"noop with empty axes", &ir.ReduceSum{Reduce: ir.Reduce{NoopWithEmptyAxes: true}}, ir.Shape{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, x), tc.shape, tc.want)
		})
	}

	// Middle axes of a rank-4 tensor (GlobalAveragePool as a ReduceMean).
	x4 := f32(ir.Shape{1, 2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 9)
	expect(t, run(t, &ir.ReduceMean{Reduce: red([]int{2, 3}, true)}, x4), ir.Shape{1, 2, 1, 1}, []float64{2.5, 6.75})
	expect(t, run(t, &ir.ReduceMax{Reduce: red([]int{1}, false)}, x4), ir.Shape{1, 2, 2}, []float64{5, 6, 7, 9})

	// Empty reductions give the identity.
	e := f32(ir.Shape{2, 0})
	expect(t, run(t, &ir.ReduceSum{Reduce: red([]int{1}, false)}, e), ir.Shape{2}, []float64{0, 0})
	expect(t, run(t, &ir.ReduceMax{Reduce: red([]int{1}, false)}, e), ir.Shape{2}, []float64{math.Inf(-1), math.Inf(-1)})
	expect(t, run(t, &ir.ReduceMin{Reduce: red([]int{1}, false)}, e), ir.Shape{2}, []float64{math.Inf(1), math.Inf(1)})
	expect(t, run(t, &ir.ReduceMean{Reduce: red([]int{1}, false)}, e), ir.Shape{2}, []float64{math.NaN(), math.NaN()})

	i8 := ints(ir.Int8, ir.Shape{2}, 100, 100)
	expectInts(t, run(t, &ir.ReduceSum{Reduce: red(nil, false)}, i8), ir.Int8, ir.Shape{}, []int64{-56})
	expectInts(t, run(t, &ir.ReduceMean{Reduce: red(nil, false)}, i8), ir.Int8, ir.Shape{}, []int64{100})
	expectInts(t, run(t, &ir.ReduceMean{Reduce: red(nil, false)}, ints(ir.Int32, ir.Shape{2}, -1, -2)), ir.Int32, ir.Shape{}, []int64{-1})
	expectInts(t, run(t, &ir.ReduceMax{Reduce: red(nil, false)}, ints(ir.Int32, ir.Shape{3}, -5, 7, 2)), ir.Int32, ir.Shape{}, []int64{7})
	expectInts(t, run(t, &ir.ReduceMin{Reduce: red(nil, false)}, ints(ir.Uint64, ir.Shape{2}, -1, 3)), ir.Uint64, ir.Shape{}, []int64{3})
	expectInts(t, run(t, &ir.ReduceMax{Reduce: red([]int{0}, false)}, ints(ir.Int16, ir.Shape{0})), ir.Int16, ir.Shape{}, []int64{math.MinInt16})
	errContains(t, runErr(t, &ir.ReduceSum{Reduce: red([]int{2}, false)}, x), "out of range")
}
