package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalMaxPool)
	register(evalAveragePool)
	register(evalGlobalAveragePool)
	register(evalGlobalMaxPool)
}

type poolKind int

const (
	poolMax poolKind = iota
	poolAvg
)

// evalMaxPool is the maximum over each window; see pool.
func evalMaxPool(op *ir.MaxPool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return pool(&op.Window, op.Layout, poolMax, false, in[0], out), nil
}

// evalAveragePool is the mean over each window; see pool.
func evalAveragePool(op *ir.AveragePool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return pool(&op.Window, op.Layout, poolAvg, op.CountIncludePad, in[0], out), nil
}

// pool computes MaxPool and AveragePool. Window position o on a spatial
// axis starts at o*stride - pad_begin and has taps at start + k*dilation.
// Taps outside the input never contribute to the value: padding is -Inf
// for the maximum and absent from the sum. The average divides by the
// number of taps inside the input, or, with countIncludePad, by the number
// inside the input or its explicit pads; taps beyond the end pad, which
// only ceil_mode's last window can have, count in neither (ONNX's
// test_averagepool_2d_ceil_last_window_starts_on_pad and the
// *_count_include_pad_is_1_ceil_mode_is_True tests pin this down).
//
// A window whose taps all fall in the padding gives -Inf (max) or NaN
// (average excluding pads, 0/0).
func pool(w *ir.Window, layout ir.Layout, kind poolKind, countIncludePad bool, x *ir.Tensor, out ir.Type) *ir.Tensor {
	xi := imageOf(x.Shape, layout)
	y := newTensor(out)
	yi := imageOf(y.Shape, layout)
	win := windowsOf(w, xi, yi)
	taps, start := win.taps, win.start
	div := make([]float64, len(win.inside))
	for p := range div {
		div[p] = float64(win.inside[p])
		if countIncludePad {
			div[p] = float64(win.padded[p])
		}
	}
	plane := yi.planeOffsets()
	xs, ys := x.Floats, y.Floats
	for n := range yi.n {
		for c := range yi.c {
			xb := n*xi.bs + c*xi.cs
			yb := n*yi.bs + c*yi.cs
			for p, yo := range plane {
				tw := taps[start[p]:start[p+1]]
				var v float64
				if kind == poolMax {
					v = math.Inf(-1)
					for _, t := range tw {
						v = math.Max(v, xs[xb+t])
					}
				} else {
					for _, t := range tw {
						v += xs[xb+t]
					}
					v /= div[p]
				}
				ys[yb+yo] = v
			}
		}
	}
	return y
}

// windows lists the taps of every window of a pool, for the output
// positions in row-major spatial order: the plane offsets of the taps
// inside the input of position p are taps[start[p]:start[p+1]], in
// row-major kernel order, inside[p] counts them, and padded[p] counts the
// taps inside the input or its explicit pads. They are the same for every
// batch item and channel.
type windows struct {
	taps, start    []int
	inside, padded []int
}

// windowsOf plans the windows of w from input image xi to output yi.
func windowsOf(w *ir.Window, xi, yi image) windows {
	nsp := len(w.Kernel)
	win := windows{start: []int{0}}
	o := make([]int, nsp)
	box := make([]int, nsp)
	boxStride := make([]int, nsp)
	for range prod(yi.sp) {
		base := 0
		inside, padded := 1, 1
		for d := range nsp {
			s := o[d]*w.Strides[d] - w.Pads[d]
			k0, k1 := span(w.Kernel[d], w.Dilations[d], s, 0, xi.sp[d])
			p0, p1 := span(w.Kernel[d], w.Dilations[d], s, -w.Pads[d], xi.sp[d]+w.Pads[nsp+d])
			inside *= k1 - k0
			padded *= p1 - p0
			box[d] = k1 - k0
			boxStride[d] = w.Dilations[d] * xi.ss[d]
			base += (s + k0*w.Dilations[d]) * xi.ss[d]
		}
		win.taps = append(win.taps, offsets(box, boxStride, base)...)
		win.start = append(win.start, len(win.taps))
		win.inside = append(win.inside, inside)
		win.padded = append(win.padded, padded)
		for d := nsp - 1; d >= 0; d-- {
			o[d]++
			if o[d] < yi.sp[d] {
				break
			}
			o[d] = 0
		}
	}
	return win
}

// evalGlobalMaxPool is the maximum over all spatial positions.
func evalGlobalMaxPool(op *ir.GlobalMaxPool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return globalPool(op.Layout, poolMax, in[0], out), nil
}

// evalGlobalAveragePool is the mean over all spatial positions.
func evalGlobalAveragePool(op *ir.GlobalAveragePool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return globalPool(op.Layout, poolAvg, in[0], out), nil
}

// globalPool gives one value per batch item and channel.
func globalPool(layout ir.Layout, kind poolKind, x *ir.Tensor, out ir.Type) *ir.Tensor {
	xi := imageOf(x.Shape, layout)
	y := newTensor(out)
	yi := imageOf(y.Shape, layout)
	plane := xi.planeOffsets()
	for n := range xi.n {
		for c := range xi.c {
			xb := n*xi.bs + c*xi.cs
			var v float64
			if kind == poolMax {
				v = math.Inf(-1)
				for _, p := range plane {
					v = math.Max(v, x.Floats[xb+p])
				}
			} else {
				for _, p := range plane {
					v += x.Floats[xb+p]
				}
				v /= float64(len(plane))
			}
			y.Floats[n*yi.bs+c*yi.cs] = v
		}
	}
	return y
}
