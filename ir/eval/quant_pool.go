package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalQLinearAveragePool)
	register(evalQLinearGlobalAveragePool)
	register(evalQMaxPool)
	register(evalQLinearConcat)
}

// evalQMaxPool is the largest code of each window.
func evalQMaxPool(op *ir.QMaxPool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := codesAsFloats(in[0], 0)
	ft := out
	ft.DType = ir.Float64
	y := pool(&op.Window, op.Layout, poolMax, false, x, ft)
	return floatsAsCodes(y, out), nil
}

// evalQLinearAveragePool computes com.microsoft QLinearAveragePool as
// ONNX Runtime's kernel does (see ir.QLinearAveragePool): in float32 on
// the dequantized codes, each window summed in row-major kernel order,
// divided by its count and quantized with the zero point added before
// the rounding; a kernel as large as the input with no padding is a
// global pool instead (evalQLinearGlobalAveragePool's integer path).
func evalQLinearAveragePool(op *ir.QLinearAveragePool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	xs, xz := scalarParam(in, 1, 2)
	ys, yz := scalarParam(in, 3, 4)
	x := in[0]
	xi := imageOf(x.Shape, op.Layout)
	lo, hi := ir.QuantRange(out.DType)
	y := newTensor(out)
	yi := imageOf(out.Shape, op.Layout)
	if qavgIsGlobal(&op.Window, xi.sp) {
		qglobalAvg(x, xi, y, yi, xs, xz, ys, yz, lo, hi)
		return y, nil
	}
	win := windowsOf(&op.Window, xi, yi)
	count := win.inside
	if op.CountIncludePad {
		// The whole kernel, even where a ceil_mode window passes the
		// end pad.
		count = make([]int, len(win.inside))
		for p := range count {
			count[p] = prod(op.Kernel)
		}
	}
	var deq [256]float32
	codeLo, _ := ir.QuantRange(x.DType)
	for i := range deq {
		deq[i] = float32(float32(xs) * float32(codeLo+int64(i)-xz))
	}
	plane := yi.planeOffsets()
	for n := range yi.n {
		for c := range yi.c {
			xb := n*xi.bs + c*xi.cs
			yb := n*yi.bs + c*yi.cs
			for p, yo := range plane {
				var sum float32
				for _, t := range win.taps[win.start[p]:win.start[p+1]] {
					sum = float32(sum + deq[x.Ints[xb+t]-codeLo])
				}
				v := float32(float32(sum/float32(count[p]))/float32(ys)) + float32(yz)
				y.Ints[yb+yo] = min(max(cvtps2dq(float32(v)), lo), hi)
			}
		}
	}
	return y, nil
}

// evalQLinearGlobalAveragePool computes com.microsoft
// QLinearGlobalAveragePool as ONNX Runtime's kernel (MLAS) does: the sum of
// each channel's codes, exact, requantized with one float32 multiplier
// (see ir.QLinearGlobalAveragePool).
func evalQLinearGlobalAveragePool(op *ir.QLinearGlobalAveragePool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	xs, xz := scalarParam(in, 1, 2)
	ys, yz := scalarParam(in, 3, 4)
	lo, hi := ir.QuantRange(out.DType)
	y := newTensor(out)
	qglobalAvg(in[0], imageOf(in[0].Shape, op.Layout), y, imageOf(out.Shape, op.Layout), xs, xz, ys, yz, lo, hi)
	return y, nil
}

// qglobalAvg writes to y the global average pool of the codes x: per batch
// item and channel, S = sum (x - xz) over the n spatial positions, then
// saturate(round_half_even(float32(S) * m) + yz) with the float32
// multiplier m = xs / (ys * n) (each operation rounded to float32).
func qglobalAvg(x *ir.Tensor, xi image, y *ir.Tensor, yi image, xs float64, xz int64, ys float64, yz, lo, hi int64) {
	plane := xi.planeOffsets()
	m := float32(float32(xs) / float32(float32(ys)*float32(len(plane))))
	for n := range xi.n {
		for c := range xi.c {
			xb := n*xi.bs + c*xi.cs
			var s int64
			for _, p := range plane {
				s += x.Ints[xb+p] - xz
			}
			// Clamped before the conversion, as MLAS does.
			v := min(max(float32(float32(s)*m), float32(lo-yz)), float32(hi-yz))
			y.Ints[n*yi.bs+c*yi.cs] = int64(math.RoundToEven(float64(v))) + yz
		}
	}
}

// qavgIsGlobal reports whether an average pool's kernel covers the input's
// spatial sizes sp without padding, which ONNX Runtime computes as a
// global pool.
func qavgIsGlobal(w *ir.Window, sp []int) bool {
	for d, k := range w.Kernel {
		if k != sp[d] || w.Pads[d] != 0 || w.Pads[len(w.Kernel)+d] != 0 {
			return false
		}
	}
	return true
}

// cvtps2dq is x86's conversion of a float32 to int32 that ONNX Runtime's
// kernels round with: to nearest, ties to even, and math.MinInt32 for NaN
// and values out of range.
func cvtps2dq(v float32) int64 {
	if !(v >= -(1<<31) && v < 1<<31) {
		return math.MinInt32
	}
	return int64(math.RoundToEven(float64(v)))
}

// codesAsFloats returns the codes of x minus zero as a float64 tensor.
func codesAsFloats(x *ir.Tensor, zero int64) *ir.Tensor {
	f := ir.Zeros(ir.Float64, x.Shape)
	for i, v := range x.Ints {
		f.Floats[i] = float64(v - zero)
	}
	return f
}

// floatsAsCodes converts a float64 tensor of integer values to codes of
// type out.
func floatsAsCodes(f *ir.Tensor, out ir.Type) *ir.Tensor {
	y := newTensor(out)
	for i, v := range f.Floats {
		y.Ints[i] = int64(v)
	}
	return y
}

// evalQLinearConcat requantizes every input to the output's parameters,
// y = Q(DQ(x)) in float32 (the codes as they are where the parameters
// agree), and joins the results along the axis.
func evalQLinearConcat(op *ir.QLinearConcat, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	ys, yz := scalarParam(in, 0, 1)
	lo, hi := ir.QuantRange(out.DType)
	var parts []*ir.Tensor
	for i := 2; i < len(in); i += 3 {
		x := in[i]
		xs, xz := scalarParam(in, i+1, i+2)
		r := x
		if float32(xs) != float32(ys) || xz != yz {
			r = ir.Zeros(x.DType, x.Shape)
			for j, v := range x.Ints {
				r.Ints[j] = saturateRound(quotient(dequantize(v, xz, xs, ir.Float32), ys, ir.Float32, ir.Float32, ir.Invalid), yz, lo, hi)
			}
		}
		parts = append(parts, r)
	}
	return evalConcat(&ir.Concat{Axis: op.Axis}, parts, out)
}
