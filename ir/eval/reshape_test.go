package eval_test

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestReshapes(t *testing.T) {
	x := f32(ir.Shape{2, 3, 4}, seq(24, 0, 1)...)
	tests := []struct {
		name  string
		op    ir.Op
		shape ir.Shape
	}{
		{"reshape -1", &ir.Reshape{Shape: []int64{4, -1}}, ir.Shape{4, 6}},
		{"reshape 0 copies", &ir.Reshape{Shape: []int64{0, 0, 2, 2}}, ir.Shape{2, 3, 2, 2}},
		{"flatten 1", &ir.Flatten{Axis: 1}, ir.Shape{2, 12}},
		{"flatten 0", &ir.Flatten{Axis: 0}, ir.Shape{1, 24}},
		{"flatten -1", &ir.Flatten{Axis: -1}, ir.Shape{6, 4}},
		{"unsqueeze", &ir.Unsqueeze{Axes: []int{0, -1}}, ir.Shape{1, 2, 3, 4, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := run(t, tc.op, x)
			expect(t, y, tc.shape, x.Floats)
			// The result owns its data: changing it leaves the input be.
			y.Floats[0] = 99
			if x.Floats[0] != 0 {
				t.Fatal("output shares memory with the input")
			}
		})
	}
	s := f32(ir.Shape{1, 3, 1}, 1, 2, 3)
	expect(t, run(t, &ir.Squeeze{}, s), ir.Shape{3}, []float64{1, 2, 3})
	expect(t, run(t, &ir.Squeeze{Axes: []int{-1}}, s), ir.Shape{1, 3}, []float64{1, 2, 3})
	expectInts(t, run(t, &ir.Reshape{Shape: []int64{2, 1}}, ints(ir.Int64, ir.Shape{2}, 5, 6)), ir.Int64, ir.Shape{2, 1}, []int64{5, 6})
	errContains(t, runErr(t, &ir.Reshape{Shape: []int64{5, -1}}, x), "cannot infer")
	errContains(t, runErr(t, &ir.Squeeze{Axes: []int{1}}, s), "not 1")
}

func TestTranspose(t *testing.T) {
	x := f32(ir.Shape{2, 3}, 1, 2, 3, 4, 5, 6)
	expect(t, run(t, &ir.Transpose{}, x), ir.Shape{3, 2}, []float64{1, 4, 2, 5, 3, 6})
	expect(t, run(t, &ir.Transpose{Perm: []int{0, 1}}, x), ir.Shape{2, 3}, x.Floats)
	x3 := f32(ir.Shape{2, 3, 4}, seq(24, 0, 1)...)
	for _, perm := range [][]int{{2, 0, 1}, {1, 2, 0}, {0, 2, 1}, {2, 1, 0}} {
		expectSame(t, run(t, &ir.Transpose{Perm: perm}, x3), permute(x3, perm), 0)
	}
	x4 := f32(ir.Shape{2, 3, 4, 5}, seq(120, 0, 1)...)
	expectSame(t, run(t, &ir.Transpose{Perm: ir.PermNCHWToNHWC}, x4), channelsLast(x4), 0)
	expectInts(t, run(t, &ir.Transpose{}, ints(ir.Int32, ir.Shape{2, 2}, 1, 2, 3, 4)), ir.Int32, ir.Shape{2, 2}, []int64{1, 3, 2, 4})
	errContains(t, runErr(t, &ir.Transpose{Perm: []int{0, 0}}, x), "permutation")
}

func TestConcat(t *testing.T) {
	a := f32(ir.Shape{2, 1}, 1, 2)
	b := f32(ir.Shape{2, 2}, 3, 4, 5, 6)
	expect(t, run(t, &ir.Concat{Axis: 1}, a, b), ir.Shape{2, 3}, []float64{1, 3, 4, 2, 5, 6})
	expect(t, run(t, &ir.Concat{Axis: -1}, b, a, a), ir.Shape{2, 4}, []float64{3, 4, 1, 1, 5, 6, 2, 2})
	expect(t, run(t, &ir.Concat{Axis: 0}, b, b), ir.Shape{4, 2}, []float64{3, 4, 5, 6, 3, 4, 5, 6})
	expect(t, run(t, &ir.Concat{}, f32(ir.Shape{1}, 7)), ir.Shape{1}, []float64{7})
	expectInts(t, run(t, &ir.Concat{}, ints(ir.Int64, ir.Shape{2}, 1, 2), ints(ir.Int64, ir.Shape{0}), ints(ir.Int64, ir.Shape{1}, 3)),
		ir.Int64, ir.Shape{3}, []int64{1, 2, 3})
	// Channel concat of two NCHW images.
	x := f32(ir.Shape{1, 1, 2, 2}, 1, 2, 3, 4)
	y := f32(ir.Shape{1, 2, 2, 2}, seq(8, 5, 1)...)
	expect(t, run(t, &ir.Concat{Axis: 1}, x, y), ir.Shape{1, 3, 2, 2}, seq(12, 1, 1))
	errContains(t, runErr(t, &ir.Concat{Axis: 1}, a, f32(ir.Shape{3, 1}, 1, 2, 3)), "differ")
}
