package eval_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestBatchNorm(t *testing.T) {
	scale, bias := f32(ir.Shape{2}, 1, 2), f32(ir.Shape{2}, 0, 1)
	mean, variance := f32(ir.Shape{2}, 1, 3), f32(ir.Shape{2}, 4, 0.25)
	// Channel 0: (x-1)/2; channel 1: (x-3)/0.5*2 + 1.
	x := f32(ir.Shape{1, 2, 1, 2}, 1, 2, 3, 4)
	expect(t, run(t, &ir.BatchNormalization{}, x, scale, bias, mean, variance), ir.Shape{1, 2, 1, 2}, []float64{0, 0.5, 1, 5})
	// The same numbers channels-last: [n, h, w, c].
	xl := f32(ir.Shape{1, 1, 2, 2}, 1, 3, 2, 4)
	expect(t, run(t, &ir.BatchNormalization{Layout: ir.NHWC}, xl, scale, bias, mean, variance), ir.Shape{1, 1, 2, 2}, []float64{0, 1, 0.5, 5})
	// Rank 2 ([N, C], after a Dense layer) and epsilon.
	x2 := f32(ir.Shape{2, 2}, 1, 3, 3, 4)
	eps := &ir.BatchNormalization{Epsilon: 0.75}
	expect(t, run(t, eps, x2, scale, bias, mean, variance), ir.Shape{2, 2},
		[]float64{0, 1, 2 / math.Sqrt(4.75), 2/1.0 + 1})
	// 3D spatial.
	rng := rand.New(rand.NewSource(5))
	x5 := random(rng, 2, 2, 3, 2, 2)
	want := run(t, &ir.BatchNormalization{Epsilon: 1e-5}, x5, scale, bias, mean, variance)
	got := run(t, &ir.BatchNormalization{Epsilon: 1e-5, Layout: ir.NHWC}, channelsLast(x5), scale, bias, mean, variance)
	expectSame(t, channelsFirst(got), want, 1e-12)
	errContains(t, runErr(t, &ir.BatchNormalization{}, x, scale, bias, mean, f32(ir.Shape{3}, 1, 2, 3)), "one value per channel")
}

func TestInstanceNorm(t *testing.T) {
	// Mean 2.5, population variance 1.25.
	x := f32(ir.Shape{1, 1, 1, 4}, 1, 2, 3, 4)
	want := make([]float64, 4)
	for i, v := range []float64{1, 2, 3, 4} {
		want[i] = 2*(v-2.5)/math.Sqrt(1.25+0.01) + 1
	}
	expect(t, run(t, &ir.InstanceNormalization{Epsilon: 0.01}, x, f32(ir.Shape{1}, 2), f32(ir.Shape{1}, 1)), ir.Shape{1, 1, 1, 4}, want)

	rng := rand.New(rand.NewSource(6))
	for _, shape := range [][]int{{2, 3, 4, 5}, {1, 2, 7}, {2, 2, 2, 3, 2}} {
		x := random(rng, shape...)
		s, b := random(rng, shape[1]), random(rng, shape[1])
		nchw := run(t, &ir.InstanceNormalization{Epsilon: 1e-5}, x, s, b)
		nhwc := run(t, &ir.InstanceNormalization{Epsilon: 1e-5, Layout: ir.NHWC}, channelsLast(x), s, b)
		expectSame(t, channelsFirst(nhwc), nchw, 1e-12)
		// Every output plane has mean b[c] and variance s[c]^2 v/(v+eps).
		plane := x.Len() / (shape[0] * shape[1])
		for n := range shape[0] {
			for c := range shape[1] {
				var m float64
				for _, v := range nchw.Floats[(n*shape[1]+c)*plane : (n*shape[1]+c+1)*plane] {
					m += v
				}
				if m /= float64(plane); math.Abs(m-b.Floats[c]) > 1e-12 {
					t.Fatalf("plane (%d, %d) has mean %v, want %v", n, c, m, b.Floats[c])
				}
			}
		}
	}
}

func TestLRN(t *testing.T) {
	x := f32(ir.Shape{1, 3, 1, 1}, 1, 2, 3)
	// size 3: channels c-1..c+1; alpha/size = 1, bias 1, beta 1.
	// Square sums 1+4, 1+4+9, 4+9.
	expect(t, run(t, &ir.LRN{Size: 3, Alpha: 3, Beta: 1, Bias: 1}, x), ir.Shape{1, 3, 1, 1}, []float64{1. / 6, 2. / 15, 3. / 14})
	// size 2: floor(1/2) = 0 before, ceil(1/2) = 1 after: channels c..c+1.
	expect(t, run(t, &ir.LRN{Size: 2, Alpha: 2, Beta: 1, Bias: 1}, x), ir.Shape{1, 3, 1, 1}, []float64{1. / 6, 2. / 14, 3. / 10})
	// beta 0.5, bias 2, alpha/size = 0.5: x / sqrt(2 + sum/2).
	expect(t, run(t, &ir.LRN{Size: 1, Alpha: 0.5, Beta: 0.5, Bias: 2}, x), ir.Shape{1, 3, 1, 1},
		[]float64{1 / math.Sqrt(2.5), 2 / math.Sqrt(4), 3 / math.Sqrt(6.5)})

	rng := rand.New(rand.NewSource(7))
	xr := random(rng, 2, 5, 3, 4)
	op := func(l ir.Layout) *ir.LRN { return &ir.LRN{Size: 3, Alpha: 1e-2, Beta: 0.75, Bias: 1, Layout: l} }
	expectSame(t, channelsFirst(run(t, op(ir.NHWC), channelsLast(xr))), run(t, op(ir.NCHW), xr), 1e-12)
	for _, shape := range [][]int{{1, 4, 5}, {1, 4, 2, 3, 2}} {
		xr := random(rng, shape...)
		expectSame(t, channelsFirst(run(t, op(ir.NHWC), channelsLast(xr))), run(t, op(ir.LayoutAny), xr), 1e-12)
	}
}
