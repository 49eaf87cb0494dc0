package eval_test

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// resize1 is a 1-D Resize from in to out elements at the given scale.
func resize1(out int, scale float64, mode ir.ResizeMode, coord ir.ResizeCoord) *ir.Resize {
	return &ir.Resize{Sizes: []int{out}, Scales: []float64{scale}, Mode: mode, Coord: coord, CubicCoeffA: -0.75}
}

// Hand-computed 1-D cases of every coordinate transformation, nearest
// rounding and kernel. The comments give the input coordinates.
func TestResize1D(t *testing.T) {
	two := f32(ir.Shape{2}, 1, 2)
	four := f32(ir.Shape{4}, 1, 2, 3, 4)
	pow := f32(ir.Shape{4}, 1, 2, 4, 8)
	nearest := func(out int, scale float64, coord ir.ResizeCoord, m ir.ResizeNearestMode) *ir.Resize {
		op := resize1(out, scale, ir.ResizeNearest, coord)
		op.Nearest = m
		return op
	}
	with := func(op *ir.Resize, f func(*ir.Resize)) *ir.Resize { f(op); return op }
	tests := []struct {
		name string
		op   *ir.Resize
		x    *ir.Tensor
		want []float64
	}{
		// half_pixel, 2 -> 4: -0.25 0.25 0.75 1.25.
		{"nearest half_pixel up", nearest(4, 2, ir.ResizeHalfPixel, ir.NearestRoundPreferFloor), two, []float64{1, 1, 2, 2}},
		{"linear half_pixel up", resize1(4, 2, ir.ResizeLinear, ir.ResizeHalfPixel), two, []float64{1, 1.25, 1.75, 2}},
		// half_pixel, 4 -> 2: 0.5 2.5, the four roundings.
		{"nearest round_prefer_floor", nearest(2, 0.5, ir.ResizeHalfPixel, ir.NearestRoundPreferFloor), four, []float64{1, 3}},
		{"nearest round_prefer_ceil", nearest(2, 0.5, ir.ResizeHalfPixel, ir.NearestRoundPreferCeil), four, []float64{2, 4}},
		{"nearest floor", nearest(2, 0.5, ir.ResizeHalfPixel, ir.NearestFloor), four, []float64{1, 3}},
		{"nearest ceil", nearest(2, 0.5, ir.ResizeHalfPixel, ir.NearestCeil), four, []float64{2, 4}},
		{"linear half_pixel down", resize1(2, 0.5, ir.ResizeLinear, ir.ResizeHalfPixel), four, []float64{1.5, 3.5}},
		// asymmetric, 2 -> 4: 0 0.5 1 1.5.
		{"nearest asymmetric", nearest(4, 2, ir.ResizeAsymmetric, ir.NearestRoundPreferFloor), two, []float64{1, 1, 2, 2}},
		{"nearest asymmetric ceil", nearest(4, 2, ir.ResizeAsymmetric, ir.NearestRoundPreferCeil), two, []float64{1, 2, 2, 2}},
		{"linear asymmetric", resize1(4, 2, ir.ResizeLinear, ir.ResizeAsymmetric), two, []float64{1, 1.5, 2, 2}},
		// align_corners, 4 -> 3 (sizes): 0 1.5 3; 2 -> 4: 0 1/3 2/3 1.
		{"nearest align_corners floor", nearest(3, 0.75, ir.ResizeAlignCorners, ir.NearestFloor), four, []float64{1, 2, 4}},
		{"nearest align_corners ceil", nearest(3, 0.75, ir.ResizeAlignCorners, ir.NearestRoundPreferCeil), four, []float64{1, 3, 4}},
		{"linear align_corners", resize1(4, 2, ir.ResizeLinear, ir.ResizeAlignCorners), two, []float64{1, 4.0 / 3, 5.0 / 3, 2}},
		{"linear align_corners to one", resize1(1, 0.25, ir.ResizeLinear, ir.ResizeAlignCorners), four, []float64{1}},
		// align_corners with a fractional resized length: 4 x 0.6 = 2.4, so
		// 0 and 3/1.4.
		{"linear align_corners fractional", resize1(2, 0.6, ir.ResizeLinear, ir.ResizeAlignCorners), four, []float64{1, 1 + 3/1.4}},
		// pytorch_half_pixel: 4 -> 1 reads 0; 2 -> 4 is half_pixel.
		{"linear pytorch_half_pixel to one", resize1(1, 0.25, ir.ResizeLinear, ir.ResizePytorchHalfPixel), four, []float64{1}},
		{"linear pytorch_half_pixel up", resize1(4, 2, ir.ResizeLinear, ir.ResizePytorchHalfPixel), two, []float64{1, 1.25, 1.75, 2}},
		// half_pixel_symmetric, 4 x 0.6 = 2.4 -> 2: offset 2*(1-2/2.4) = 1/3,
		// so 1/3 + 0.5/0.6 - 0.5 = 2/3 and 1/3 + 1.5/0.6 - 0.5 = 7/3.
		{"linear half_pixel_symmetric", resize1(2, 0.6, ir.ResizeLinear, ir.ResizeHalfPixelSymmetric), four, []float64{5.0 / 3, 10.0 / 3}},
		{"nearest half_pixel_symmetric", nearest(2, 0.6, ir.ResizeHalfPixelSymmetric, ir.NearestRoundPreferFloor), four, []float64{2, 3}},
		// tf_crop_and_resize, roi [0.4, 0.6] of 4 -> 3: 1.2 1.5 1.8.
		{"linear tf_crop_and_resize", with(resize1(3, 0.75, ir.ResizeLinear, ir.ResizeTFCropAndResize), func(op *ir.Resize) { op.Roi = []float64{0.4, 0.6} }),
			four, []float64{2.2, 2.5, 2.8}},
		// roi [-0.5, 0.5]: -1.5 (outside) 0 1.5.
		{"linear tf_crop_and_resize outside", with(resize1(3, 0.75, ir.ResizeLinear, ir.ResizeTFCropAndResize), func(op *ir.Resize) {
			op.Roi, op.ExtrapolationValue = []float64{-0.5, 0.5}, -9
		}), four, []float64{-9, 1, 2.5}},
		{"nearest tf_crop_and_resize outside", with(nearest(3, 0.75, ir.ResizeTFCropAndResize, ir.NearestRoundPreferCeil), func(op *ir.Resize) {
			op.Roi, op.ExtrapolationValue = []float64{-0.5, 0.5}, 7
		}), four, []float64{7, 1, 3}},
		// roi [0.5, 0.5] to one element: its centre, 1.5.
		{"linear tf_crop_and_resize to one", with(resize1(1, 0.25, ir.ResizeLinear, ir.ResizeTFCropAndResize), func(op *ir.Resize) { op.Roi = []float64{0.5, 0.5} }),
			four, []float64{2.5}},
		// Cubic, asymmetric 4 -> 8 at 0.5 (o=1) and 1 (o=2): the kernel's
		// weights at 1.5 and 0.5 are -0.09375 and 0.59375.
		{"cubic asymmetric", resize1(8, 2, ir.ResizeCubic, ir.ResizeAsymmetric), pow,
			[]float64{1, 1.3125, 2, 2.71875, 4, 6.1875, 8, 8.375}},
		// ExcludeOutside drops the tap at -1 and renormalizes: 1.40625/1.09375.
		{"cubic exclude_outside", with(resize1(8, 2, ir.ResizeCubic, ir.ResizeAsymmetric), func(op *ir.Resize) { op.ExcludeOutside = true }), pow,
			[]float64{1, 1.40625 / 1.09375, 2, 2.71875, 4, 6.9375 / 1.09375, 8, 8.75}},
		// a = -0.5 at 0.5: weights -0.0625 and 0.5625.
		{"cubic a", with(resize1(2, 2, ir.ResizeCubic, ir.ResizeAsymmetric), func(op *ir.Resize) { op.CubicCoeffA = -0.5 }), two,
			[]float64{1, -0.0625 + 0.5625 + 0.5625*2 - 0.0625*2}},
		// Antialias, 4 -> 2 at 0.5 and 2.5: the triangle stretched to 4 taps
		// weighing 1/8 3/8 3/8 1/8.
		{"linear antialias", with(resize1(2, 0.5, ir.ResizeLinear, ir.ResizeHalfPixel), func(op *ir.Resize) { op.Antialias = true }), four,
			[]float64{1.625, 3.375}},
		// Antialias changes nothing when the axis grows.
		{"linear antialias up", with(resize1(4, 2, ir.ResizeLinear, ir.ResizeHalfPixel), func(op *ir.Resize) { op.Antialias = true }), two,
			[]float64{1, 1.25, 1.75, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, tc.x), ir.Shape{len(tc.want)}, tc.want)
		})
	}
}

func TestResize2D(t *testing.T) {
	x := f32(ir.Shape{1, 1, 2, 2}, 1, 2, 3, 4)
	up := &ir.Resize{Sizes: []int{1, 1, 4, 4}, Scales: []float64{1, 1, 2, 2}, Mode: ir.ResizeLinear}
	expect(t, run(t, up, x), ir.Shape{1, 1, 4, 4}, []float64{
		1, 1.25, 1.75, 2,
		1.5, 1.75, 2.25, 2.5,
		2.5, 2.75, 3.25, 3.5,
		3, 3.25, 3.75, 4})
	// Nearest 2x3 (asymmetric, as Upsample), integers and all.
	near := &ir.Resize{Sizes: []int{1, 1, 4, 6}, Scales: []float64{1, 1, 2, 3}, Coord: ir.ResizeAsymmetric, Nearest: ir.NearestFloor}
	expect(t, run(t, near, x), ir.Shape{1, 1, 4, 6}, []float64{
		1, 1, 1, 2, 2, 2,
		1, 1, 1, 2, 2, 2,
		3, 3, 3, 4, 4, 4,
		3, 3, 3, 4, 4, 4})
	expectInts(t, run(t, near, ints(ir.Int32, ir.Shape{1, 1, 2, 2}, 5, 6, 7, 8)), ir.Int32, ir.Shape{1, 1, 4, 6},
		[]int64{5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8})
	// A crop outside the input on either axis gives the extrapolation
	// value: rows -1 0 1 (roi [-1, 1]), columns 0 0.5 1 (roi [0, 1]).
	crop := &ir.Resize{Sizes: []int{3, 3}, Scales: []float64{1.5, 1.5}, Mode: ir.ResizeLinear, Coord: ir.ResizeTFCropAndResize,
		Roi: []float64{-1, 0, 1, 1}, ExtrapolationValue: 10}
	expect(t, run(t, crop, f32(ir.Shape{2, 2}, 1, 2, 3, 4)), ir.Shape{3, 3}, []float64{10, 10, 10, 1, 1.5, 2, 3, 3.5, 4})
	// An axis that keeps its length under half_pixel is the identity.
	id := &ir.Resize{Sizes: []int{2, 2}, Scales: []float64{1, 1}, Mode: ir.ResizeCubic, CubicCoeffA: -0.75}
	expect(t, run(t, id, f32(ir.Shape{2, 2}, 1, 2, 3, 4)), ir.Shape{2, 2}, []float64{1, 2, 3, 4})
}

// A symbolic batch dimension passes through: two batch items are resized
// independently.
func TestResizeBatch(t *testing.T) {
	g := ir.NewGraph("resize")
	in := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2}})
	g.Outputs = []*ir.Value{g.Apply("r", &ir.Resize{Sizes: []int{ir.Batch, 4}, Scales: []float64{1, 2}, Mode: ir.ResizeLinear}, in)}
	outs, err := eval.Run(g, []*ir.Tensor{f32(ir.Shape{2, 2}, 1, 2, 10, 20)})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, outs[0], ir.Shape{2, 4}, []float64{1, 1.25, 1.75, 2, 10, 12.5, 17.5, 20})
}

func TestResizeErrors(t *testing.T) {
	x := f32(ir.Shape{4}, 1, 2, 3, 4)
	errContains(t, runErr(t, &ir.Resize{Sizes: []int{2}, Scales: []float64{-1}}, x), "must be positive", `node "n" (Resize)`)
	errContains(t, runErr(t, &ir.Resize{Sizes: []int{2, 2}, Scales: []float64{1, 1}}, x), "one entry per input dimension")
	errContains(t, runErr(t, &ir.Resize{Sizes: []int{2}, Scales: []float64{0.5}, Mode: ir.ResizeLinear}, ints(ir.Int64, ir.Shape{4}, 1, 2, 3, 4)), "floating-point")
	// A scale far below what the sizes say would need an absurd kernel.
	errContains(t, runErr(t, &ir.Resize{Sizes: []int{2}, Scales: []float64{1e-300}, Mode: ir.ResizeLinear, Antialias: true}, x), "taps")
}
