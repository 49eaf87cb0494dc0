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

// evalQLinearAveragePool sums each window's codes exactly, S = sum (x -
// x_zero), and writes saturate(round_half_even(float32(S) * m) + y_zero)
// with m = float32(x_scale / (y_scale * n)) for the window's count n (see
// ir.QLinearAveragePool).
func evalQLinearAveragePool(op *ir.QLinearAveragePool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	xs, xz := scalarParam(in, 1, 2)
	ys, yz := scalarParam(in, 3, 4)
	x := codesAsFloats(in[0], xz)
	ft := out
	ft.DType = ir.Float64
	// pool's average of the shifted codes is S/n; S is recovered exactly
	// (|S| < 2^52) by multiplying back and rounding.
	avg := pool(&op.Window, op.Layout, poolAvg, op.CountIncludePad, x, ft)
	xi := imageOf(in[0].Shape, op.Layout)
	yi := imageOf(out.Shape, op.Layout)
	div := poolDivisors(&op.Window, xi.sp, yi.sp, op.CountIncludePad)
	lo, hi := ir.QuantRange(out.DType)
	y := newTensor(out)
	plane := yi.planeOffsets()
	for n := range yi.n {
		for c := range yi.c {
			base := n*yi.bs + c*yi.cs
			for p, o := range plane {
				i := base + o
				y.Ints[i] = qavg(avg.Floats[i], div[p], xs, ys, yz, lo, hi)
			}
		}
	}
	return y, nil
}

// evalQLinearGlobalAveragePool is evalQLinearAveragePool over all spatial
// positions of each channel.
func evalQLinearGlobalAveragePool(op *ir.QLinearGlobalAveragePool, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	xs, xz := scalarParam(in, 1, 2)
	ys, yz := scalarParam(in, 3, 4)
	ft := out
	ft.DType = ir.Float64
	avg := globalPool(op.Layout, poolAvg, codesAsFloats(in[0], xz), ft)
	hw := prod(imageOf(in[0].Shape, op.Layout).sp)
	lo, hi := ir.QuantRange(out.DType)
	y := newTensor(out)
	for i, v := range avg.Floats {
		y.Ints[i] = qavg(v, hw, xs, ys, yz, lo, hi)
	}
	return y, nil
}

// qavg requantizes the average avg = S/n of shifted codes.
func qavg(avg float64, n int, xs, ys float64, yz, lo, hi int64) int64 {
	if n == 0 {
		return yz
	}
	s := math.Round(avg * float64(n))
	m := float32(float64(float32(xs)) / (float64(float32(ys)) * float64(n)))
	return saturateRound(float64(float32(float32(s)*m)), yz, lo, hi)
}

// poolDivisors lists, for every output position of a pool (row-major over
// the spatial grid), the number of its window's taps inside the input or,
// with countIncludePad, inside the input and its explicit pads, as pool
// divides by.
func poolDivisors(w *ir.Window, xsp, ysp []int, countIncludePad bool) []int {
	nsp := len(w.Kernel)
	o := make([]int, nsp)
	div := make([]int, 0, prod(ysp))
	for range prod(ysp) {
		inside, padded := 1, 1
		for d := range nsp {
			s := o[d]*w.Strides[d] - w.Pads[d]
			k0, k1 := span(w.Kernel[d], w.Dilations[d], s, 0, xsp[d])
			p0, p1 := span(w.Kernel[d], w.Dilations[d], s, -w.Pads[d], xsp[d]+w.Pads[nsp+d])
			inside *= k1 - k0
			padded *= p1 - p0
		}
		if countIncludePad {
			div = append(div, padded)
		} else {
			div = append(div, inside)
		}
		for d := nsp - 1; d >= 0; d-- {
			o[d]++
			if o[d] < ysp[d] {
				break
			}
			o[d] = 0
		}
	}
	return div
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
