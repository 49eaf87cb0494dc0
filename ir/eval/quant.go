package eval

import (
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalQuantizeLinear)
	register(evalDequantizeLinear)
	registerMulti(evalDynamicQuantizeLinear)
}

// The quantized ops follow ONNX's definitions with ONNX's float types:
// a float32 quantization divides in float32 and rounds to nearest, ties to
// even; a dequantization multiplies in float32. Unlike the rest of the
// evaluator, which keeps float32 results in float64, these kernels round
// to the declared precision at every step the specification names, since
// that is what decides which code a value gets.

// qparams reads the scale and zero point of one quantized tensor, per
// tensor, per channel along an axis, or per block along it.
type qparams struct {
	scale, zero *ir.Tensor // zero may be nil (0)
	per         bool       // per channel or per block
	axis, block int
	dims        []int // the quantized tensor's (concrete) shape
	st          []int // its strides
	sst         []int // the scale's strides (blocked)
}

// newQParams prepares the parameters of a tensor of shape dims; axis < 0
// allows per-tensor parameters only (the shape rule has checked them).
func newQParams(scale, zero *ir.Tensor, dims ir.Shape, axis, block int) *qparams {
	p := &qparams{scale: scale, zero: zero, axis: axis, block: block, dims: dims, st: strides(dims)}
	p.per = axis >= 0 && (block > 0 || scale.Len() > 1)
	if block > 0 {
		p.sst = strides(scale.Shape)
	}
	return p
}

// index maps element i of the quantized tensor to its parameters' index.
func (p *qparams) index(i int) int {
	if !p.per {
		return 0
	}
	if p.block == 0 {
		return i / p.st[p.axis] % p.dims[p.axis]
	}
	j := 0
	for d, s := range p.st {
		c := i / s % p.dims[d]
		if d == p.axis {
			c /= p.block
		}
		j += c * p.sst[d]
	}
	return j
}

// at returns the scale and zero point of element i.
func (p *qparams) at(i int) (float64, int64) {
	j := p.index(i)
	var z int64
	if p.zero != nil {
		z = p.zero.Ints[j]
	}
	return p.scale.Floats[j], z
}

// quotient is x / s computed as ONNX's reference does it: in the wider of
// the two operand types (float64, float32 or float16, whose quotient is
// rounded to float16), or in prec when it is set (QuantizeLinear's
// precision attribute).
func quotient(x, s float64, xt, st, prec ir.DType) float64 {
	t := prec
	if t == ir.Invalid {
		switch {
		case xt == ir.Float64 || st == ir.Float64:
			t = ir.Float64
		case xt == ir.Float32 || st == ir.Float32:
			t = ir.Float32
		default:
			t = ir.Float16
		}
	}
	switch t {
	case ir.Float64:
		return x / s
	case ir.Float16:
		return ir.RoundFloat16(float64(float32(ir.RoundFloat16(x)) / float32(ir.RoundFloat16(s))))
	}
	return float64(float32(x) / float32(s))
}

// saturateRound is round_half_even(v) + zero saturated to [lo, hi]; NaN
// gives the zero point (the code of 0), as the runtime's kernels do.
func saturateRound(v float64, zero, lo, hi int64) int64 {
	if math.IsNaN(v) {
		return zero
	}
	r := math.RoundToEven(v) + float64(zero)
	switch {
	case r <= float64(lo):
		return lo
	case r >= float64(hi):
		return hi
	}
	return int64(r)
}

// dequantize is (x - zero) * scale in the precision of the output type t:
// float32 (and float16, rounded at the end) multiply in float32, as
// ONNX's reference does.
func dequantize(x, zero int64, scale float64, t ir.DType) float64 {
	d := x - zero
	switch t {
	case ir.Float64:
		return float64(d) * scale
	case ir.Float16:
		return ir.RoundFloat16(float64(float32(float32(d) * float32(scale))))
	}
	return float64(float32(d) * float32(scale))
}

// evalQuantizeLinear computes y = saturate(round_half_even(x / scale) +
// zero) element by element.
func evalQuantizeLinear(op *ir.QuantizeLinear, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	x, s := in[0], in[1]
	p := newQParams(s, opt(in, 2), x.Shape, op.Axis, op.BlockSize)
	lo, hi := ir.QuantRange(op.To)
	y := newTensor(out)
	for i, v := range x.Floats {
		sc, z := p.at(i)
		y.Ints[i] = saturateRound(quotient(v, sc, x.DType, s.DType, op.Precision), z, lo, hi)
	}
	return y, nil
}

// evalDequantizeLinear computes y = (x - zero) * scale element by element.
func evalDequantizeLinear(op *ir.DequantizeLinear, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	x := in[0]
	p := newQParams(in[1], opt(in, 2), x.Shape, op.Axis, op.BlockSize)
	y := newTensor(out)
	for i, v := range x.Ints {
		sc, z := p.at(i)
		y.Floats[i] = dequantize(v, z, sc, op.To)
	}
	return y, nil
}

// evalDynamicQuantizeLinear follows ONNX's definition in float32: the
// range of x extended to include 0 gives scale = (max - min)/255 (1 when
// the range is empty, x all zeros) and zero point round(saturate(0 -
// min/scale)), and y = saturate(round(x/scale) + zero point).
func evalDynamicQuantizeLinear(_ *ir.DynamicQuantizeLinear, in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error) {
	x := in[0]
	var mx, mn float32
	for _, v := range x.Floats {
		f := float32(v)
		if f != f {
			return nil, fmt.Errorf("DynamicQuantizeLinear: input holds NaN, which has no quantization range")
		}
		mx, mn = max(mx, f), min(mn, f)
	}
	if math.IsInf(float64(mx), 0) || math.IsInf(float64(mn), 0) {
		return nil, fmt.Errorf("DynamicQuantizeLinear: input holds an infinity, which has no quantization range")
	}
	scale := float32(1)
	if mx != mn {
		scale = float32(mx-mn) / 255
	}
	izp := float32(0 - float32(mn/scale))
	zp := int64(math.RoundToEven(float64(min(max(izp, 0), 255))))
	y := newTensor(out[0])
	for i, v := range x.Floats {
		y.Ints[i] = saturateRound(float64(float32(v)/scale), zp, 0, 255)
	}
	ys := newTensor(out[1])
	ys.Floats[0] = float64(scale)
	yz := newTensor(out[2])
	yz.Ints[0] = zp
	return []*ir.Tensor{y, ys, yz}, nil
}

// scalarParam reads a per-tensor scale and zero point.
func scalarParam(in []*ir.Tensor, s, z int) (float64, int64) {
	var zero int64
	if t := opt(in, z); t != nil {
		zero = t.Ints[0]
	}
	return in[s].Floats[0], zero
}
