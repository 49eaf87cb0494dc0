package eval_test

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestPad(t *testing.T) {
	x := f32(ir.Shape{3}, 1, 2, 3)
	tests := []struct {
		name string
		op   *ir.Pad
		want []float64
	}{
		{"constant", &ir.Pad{Pads: []int{2, 2}, Value: 9}, []float64{9, 9, 1, 2, 3, 9, 9}},
		{"edge", &ir.Pad{Pads: []int{2, 2}, Mode: ir.PadEdge}, []float64{1, 1, 1, 2, 3, 3, 3}},
		{"reflect", &ir.Pad{Pads: []int{2, 2}, Mode: ir.PadReflect}, []float64{3, 2, 1, 2, 3, 2, 1}},
		{"wrap", &ir.Pad{Pads: []int{2, 2}, Mode: ir.PadWrap}, []float64{2, 3, 1, 2, 3, 1, 2}},
		// Wrap further than the input is long: coordinates -4..-1 -> 2, 0, 1, 2.
		{"wrap twice", &ir.Pad{Pads: []int{4, 0}, Mode: ir.PadWrap}, []float64{3, 1, 2, 3, 1, 2, 3}},
		// A negative pad crops.
		{"crop and pad", &ir.Pad{Pads: []int{-1, 1}}, []float64{2, 3, 0}},
		{"crop edge", &ir.Pad{Pads: []int{1, -2}, Mode: ir.PadEdge}, []float64{1, 1}},
		{"nothing", &ir.Pad{Pads: []int{0, 0}, Mode: ir.PadReflect}, []float64{1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, x), ir.Shape{len(tc.want)}, tc.want)
		})
	}
	// 2-D, pads [top, left, bottom, right] = [1, 0, 0, 1].
	x2 := f32(ir.Shape{2, 2}, 1, 2, 3, 4)
	expect(t, run(t, &ir.Pad{Pads: []int{1, 0, 0, 1}}, x2), ir.Shape{3, 3}, []float64{0, 0, 0, 1, 2, 0, 3, 4, 0})
	expect(t, run(t, &ir.Pad{Pads: []int{1, 1, 1, 1}, Mode: ir.PadEdge}, x2), ir.Shape{4, 4},
		[]float64{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4})
	x3 := f32(ir.Shape{3, 3}, seq(9, 1, 1)...)
	expect(t, run(t, &ir.Pad{Pads: []int{1, 1, 1, 1}, Mode: ir.PadReflect}, x3), ir.Shape{5, 5},
		[]float64{5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 8, 7, 8, 9, 8, 5, 4, 5, 6, 5})
	// Integers: the value truncates toward zero.
	expectInts(t, run(t, &ir.Pad{Pads: []int{1, 1}, Value: -7.9}, ints(ir.Int32, ir.Shape{1}, 5)), ir.Int32, ir.Shape{3}, []int64{-7, 5, -7})
	errContains(t, runErr(t, &ir.Pad{Pads: []int{3, 0}, Mode: ir.PadReflect}, x), "reflect")
	errContains(t, runErr(t, &ir.Pad{Pads: []int{-4, 0}}, x), "below zero")
}

func TestSlice(t *testing.T) {
	x := f32(ir.Shape{10}, seq(10, 0, 1)...)
	i64 := func(v ...int64) []int64 { return v }
	tests := []struct {
		name string
		op   *ir.Slice
		want []float64
	}{
		{"step 3", &ir.Slice{Starts: i64(1), Ends: i64(8), Steps: i64(3)}, []float64{1, 4, 7}},
		{"negative start", &ir.Slice{Starts: i64(-3), Ends: i64(1 << 62)}, []float64{7, 8, 9}},
		{"reverse all", &ir.Slice{Starts: i64(-1), Ends: i64(-11), Steps: i64(-1)}, []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"reverse step 2", &ir.Slice{Starts: i64(8), Ends: i64(1), Steps: i64(-2)}, []float64{8, 6, 4, 2}},
		{"clamped empty", &ir.Slice{Starts: i64(20), Ends: i64(30)}, []float64{}},
		{"reverse empty", &ir.Slice{Starts: i64(2), Ends: i64(5), Steps: i64(-1)}, []float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, x), ir.Shape{len(tc.want)}, tc.want)
		})
	}
	x2 := f32(ir.Shape{3, 4}, seq(12, 0, 1)...)
	expect(t, run(t, &ir.Slice{Starts: i64(1), Ends: i64(3), Axes: i64(1)}, x2), ir.Shape{3, 2}, []float64{1, 2, 5, 6, 9, 10})
	expect(t, run(t, &ir.Slice{Starts: i64(2, -1), Ends: i64(0, 0), Axes: i64(0, -1), Steps: i64(-2, -3)}, x2), ir.Shape{1, 1}, []float64{11})
	expectInts(t, run(t, &ir.Slice{Starts: i64(1), Ends: i64(2)}, ints(ir.Int64, ir.Shape{3}, 4, 5, 6)), ir.Int64, ir.Shape{1}, []int64{5})
	errContains(t, runErr(t, &ir.Slice{Starts: i64(0), Ends: i64(1), Steps: i64(0)}, x), "step is zero")
}

func TestGather(t *testing.T) {
	x := f32(ir.Shape{3, 2}, 1, 2, 3, 4, 5, 6)
	expect(t, run(t, &ir.Gather{}, x, ints(ir.Int64, ir.Shape{2}, 2, -3)), ir.Shape{2, 2}, []float64{5, 6, 1, 2})
	expect(t, run(t, &ir.Gather{Axis: 1}, x, ints(ir.Int32, ir.Shape{2, 1}, 1, 0)), ir.Shape{3, 2, 1}, []float64{2, 1, 4, 3, 6, 5})
	// A scalar index removes the axis.
	expect(t, run(t, &ir.Gather{Axis: -1}, x, ints(ir.Int64, ir.Shape{}, -1)), ir.Shape{3}, []float64{2, 4, 6})
	expectInts(t, run(t, &ir.Gather{}, ints(ir.Int64, ir.Shape{4}, 10, 20, 30, 40), ints(ir.Int64, ir.Shape{3}, 3, 3, 0)),
		ir.Int64, ir.Shape{3}, []int64{40, 40, 10})
	errContains(t, runErr(t, &ir.Gather{}, x, ints(ir.Int64, ir.Shape{2}, 0, 3)), "index 3", "out of range", `node "n" (Gather)`)
	errContains(t, runErr(t, &ir.Gather{}, x, ints(ir.Int64, ir.Shape{1}, -4)), "index -4")
	errContains(t, runErr(t, &ir.Gather{}, x, f32(ir.Shape{1}, 0)), "indices")
}

func TestShapeOf(t *testing.T) {
	x := f32(ir.Shape{2, 3, 4}, seq(24, 0, 1)...)
	tests := []struct {
		op   *ir.ShapeOf
		want []int64
	}{
		{&ir.ShapeOf{Start: 0, End: 3}, []int64{2, 3, 4}},
		{&ir.ShapeOf{Start: 1, End: -1}, []int64{3}},
		{&ir.ShapeOf{Start: -2, End: 100}, []int64{3, 4}},
		{&ir.ShapeOf{Start: 2, End: 1}, []int64{}},
	}
	for _, tc := range tests {
		expectInts(t, run(t, tc.op, x), ir.Int64, ir.Shape{len(tc.want)}, tc.want)
	}
}
