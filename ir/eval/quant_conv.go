package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalQLinearConv)
	register(evalConvInteger)
}

// evalQLinearConv sums (x - x_zero)*(w - w_zero[m]) + B[m] exactly, wraps
// the sum to int32 as ONNX allows, and requantizes it with the float32
// multiplier x_scale*w_scale[m]/y_scale (see ir.QLinearConv), clamping to
// the fused activation's range.
func evalQLinearConv(op *ir.QLinearConv, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	x, w := in[0], in[3]
	_, xz := scalarParam(in, 1, 2)
	acc := intConv(&op.Window, op.Group, op.Layout, x, xz, w, opt(in, 5), opt(in, 8), out)
	ch := qchannelOf(out.Shape, op.Layout)
	return requantize(acc, out, ch, in[1], in[4], in[6], opt(in, 7), op.Activation), nil
}

// evalConvInteger is the exact int32 sum of (x - x_zero)*(w - w_zero[m]).
func evalConvInteger(op *ir.ConvInteger, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	var xz int64
	if t := opt(in, 2); t != nil {
		xz = t.Ints[0]
	}
	acc := intConv(&op.Window, op.Group, op.Layout, in[0], xz, in[1], opt(in, 3), nil, out)
	y := newTensor(out)
	for i, v := range acc {
		y.Ints[i] = v
	}
	return y, nil
}

// intConv returns the int32 sums of an integer convolution in layout l, in
// the output's element order. The products are summed in float64, which
// is exact: no sum of at most 2^31 products of 8-bit differences reaches
// 2^53.
func intConv(win *ir.Window, group int, l ir.Layout, x *ir.Tensor, xz int64, w, wz, bias *ir.Tensor, out ir.Type) []int64 {
	xf := ir.Zeros(ir.Float64, x.Shape)
	for i, v := range x.Ints {
		xf.Floats[i] = float64(v - xz)
	}
	m := w.Shape[0]
	per := w.Len() / max(m, 1)
	wf := ir.Zeros(ir.Float64, w.Shape)
	for i, v := range w.Ints {
		var z int64
		if wz != nil {
			z = wz.Ints[0]
			if wz.Len() > 1 {
				z = wz.Ints[i/per]
			}
		}
		wf.Floats[i] = float64(v - z)
	}
	var bf *ir.Tensor
	if bias != nil {
		bf = ir.Zeros(ir.Float64, bias.Shape)
		for i, v := range bias.Ints {
			bf.Floats[i] = float64(v)
		}
	}
	c := &ir.Conv{Window: *win, Group: group, Layout: ir.NCHW}
	ft := ir.Type{DType: ir.Float64, Shape: out.Shape, Layout: out.Layout}
	y := channelsFirstOp(l, xf, ft, func(x *ir.Tensor, out ir.Type) *ir.Tensor {
		return conv(c, x, wf, bf, out)
	})
	acc := make([]int64, len(y.Floats))
	for i, v := range y.Floats {
		acc[i] = ir.WrapInt(ir.Int32, int64(v))
	}
	return acc
}

// qchannelOf returns the function mapping an element of a tensor of shape s
// in layout l to its channel.
func qchannelOf(s ir.Shape, l ir.Layout) func(i int) int {
	im := imageOf(s, l)
	return func(i int) int { return i / im.cs % im.c }
}

// qmult is the requantization multiplier of a product of two quantized
// operands, float32(float32(xs*ws)/ys), as ONNX Runtime (and the Go
// engine's runtime.QScale) compute it.
func qmult(xs, ws, ys float64) float32 {
	p := float32(float32(xs) * float32(ws))
	return float32(p / float32(ys))
}

// requantize turns int32 sums into the output codes: for element i of
// channel (or column) j = ch(i), y = saturate(round_half_even(float32(acc)
// * M[j]) + y_zero), then clamped to the codes of act's range.
func requantize(acc []int64, out ir.Type, ch func(int) int, xScale, wScale, yScale, yZero *ir.Tensor, act ir.Activation) *ir.Tensor {
	var yz int64
	if yZero != nil {
		yz = yZero.Ints[0]
	}
	ys := yScale.Floats[0]
	lo, hi := clampCodes(out.DType, ys, yz, act)
	mult := make([]float32, wScale.Len())
	for j := range mult {
		mult[j] = qmult(xScale.Floats[0], wScale.Floats[j], ys)
	}
	y := newTensor(out)
	for i, a := range acc {
		m := mult[0]
		if len(mult) > 1 {
			m = mult[ch(i)]
		}
		v := float32(float32(int32(a)) * m)
		y.Ints[i] = saturateRound(float64(v), yz, lo, hi)
	}
	return y
}

// clampCodes is the code range of an output of type dt with scale ys and
// zero point yz after a clamping activation: its bounds quantized as
// QuantizeLinear does (a monotone map, so quantizing the clamped value is
// clamping the code), intersected with the type's range.
func clampCodes(dt ir.DType, ys float64, yz int64, act ir.Activation) (lo, hi int64) {
	lo, hi = ir.QuantRange(dt)
	if act == nil {
		return lo, hi
	}
	a, b := ir.ClampBounds(act)
	if !math.IsInf(a, -1) {
		lo = max(lo, saturateRound(quotient(a, ys, ir.Float32, ir.Float32, ir.Invalid), yz, lo, hi))
	}
	if !math.IsInf(b, 1) {
		hi = min(hi, saturateRound(quotient(b, ys, ir.Float32, ir.Float32, ir.Invalid), yz, lo, hi))
	}
	return lo, max(lo, hi)
}
