package quantize

import (
	"errors"
	"fmt"
	"math"
)

// QType is the integer type of a quantized tensor.
type QType int

// The quantized types. Activations are Uint8 (the default) or Int8,
// weights always Int8, biases Int32.
const (
	Uint8 QType = iota
	Int8
	Int32
)

// String names the type as ONNX does, lower case.
func (q QType) String() string {
	switch q {
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("QType(%d)", int(q))
}

// ParseQType reads an activation type: "uint8" or "int8".
func ParseQType(s string) (QType, error) {
	switch s {
	case "uint8", "u8":
		return Uint8, nil
	case "int8", "s8", "i8":
		return Int8, nil
	}
	return 0, fmt.Errorf("activation type %q: want uint8 or int8", s)
}

// Range is the full range of the type.
func (q QType) Range() (lo, hi int64) {
	switch q {
	case Uint8:
		return 0, 255
	case Int8:
		return -128, 127
	}
	return math.MinInt32, math.MaxInt32
}

// WeightMax is the largest magnitude of a symmetric int8 weight: the
// range is [-127, 127], not [-128, 127], so that the zero point is 0 and
// w and -w quantize to opposite values (as ONNX Runtime's quantizer does).
const WeightMax = 127

// ReducedWeightMax is the largest magnitude of a weight with
// Options.ReduceRange. x86 CPUs without VNNI multiply uint8 activations
// by int8 weights with VPMADDUBSW, which adds pairs of products into
// int16 and saturates: 2*255*127 does not fit, 2*255*64 = 32640 does.
// ONNX Runtime's integer kernels use it on AVX2 machines, so weights of
// 7 bits give exact results there (its quantizer's reduce_range).
const ReducedWeightMax = 64

// MinScale is the smallest scale cnnc writes. A range narrower than
// MinScale times the type's number of steps (all-zero activations, a
// weight channel of zeros or denormals) is degenerate: it gets scale 1
// instead, with which zero, the only value such a tensor holds to any
// useful precision, is exact. Smaller scales would make the products of
// scales that integer kernels compute (x_scale*w_scale/y_scale)
// underflow float32.
const MinScale = 0x1p-60

// Params are the quantization parameters of a tensor, or of one channel:
// real = (q - Zero) * Scale.
type Params struct {
	Scale float32
	Zero  int64
}

// RoundHalfEven rounds to the nearest integer, ties to even: the rounding
// ONNX's QuantizeLinear specifies (and numpy's round), so that a value
// written here and one ONNX Runtime quantizes at run time agree.
func RoundHalfEven(x float64) float64 { return math.RoundToEven(x) }

// Quantize maps x to the integer type with p: saturate(round(x/scale) +
// zero), as QuantizeLinear does.
func (p Params) Quantize(x float64, q QType) int64 {
	lo, hi := q.Range()
	v := RoundHalfEven(x/float64(p.Scale)) + float64(p.Zero)
	switch {
	case v != v: // NaN: callers reject NaN before; 0 keeps the result defined
		return p.Zero
	case v < float64(lo):
		return lo
	case v > float64(hi):
		return hi
	}
	return int64(v)
}

// Dequantize maps an integer back: (v - zero) * scale.
func (p Params) Dequantize(v int64) float64 { return float64(v-p.Zero) * float64(p.Scale) }

// ErrNotFinite reports a NaN or infinite value where a range is computed.
var ErrNotFinite = errors.New("not finite")

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// ActivationParams computes asymmetric parameters for an activation whose
// calibrated range is [lo, hi]: the range is first widened to include 0
// (so that zero, which padding and ReLU produce, is exact), then
//
//	scale = (hi - lo) / (qmax - qmin)
//	zero  = round_half_even(qmin - lo/scale), clamped to [qmin, qmax]
//
// with the scale rounded to float32 before the zero point is computed
// from it, as the file stores it. A degenerate range (narrower than
// MinScale steps: an all-zero activation) gets scale 1 and the zero point
// of 0's position. NaN or infinite bounds are an error.
func ActivationParams(lo, hi float64, q QType) (Params, error) {
	if !finite(lo) || !finite(hi) {
		return Params{}, fmt.Errorf("range [%g, %g] is %w", lo, hi, ErrNotFinite)
	}
	if lo > hi {
		return Params{}, fmt.Errorf("range [%g, %g] is empty", lo, hi)
	}
	lo, hi = min(lo, 0), max(hi, 0)
	qmin, qmax := q.Range()
	steps := float64(qmax - qmin)
	scale := float32((hi - lo) / steps)
	switch {
	case math.IsInf(float64(scale), 0):
		return Params{}, fmt.Errorf("range [%g, %g] is too wide for a float32 scale", lo, hi)
	case !(float64(scale) >= MinScale):
		scale = 1
	}
	zero := RoundHalfEven(float64(qmin) - lo/float64(scale))
	zero = max(float64(qmin), min(float64(qmax), zero))
	return Params{Scale: scale, Zero: int64(zero)}, nil
}

// WeightParams computes symmetric int8 parameters for weights whose
// largest magnitude is maxAbs, to be quantized into [-qmax, qmax]
// (WeightMax, or ReducedWeightMax): scale = maxAbs/qmax, zero point 0. A
// degenerate channel (all zeros, or smaller than MinScale steps) gets
// scale 1, so that it quantizes to zeros.
func WeightParams(maxAbs float64, qmax int64) (Params, error) {
	if !finite(maxAbs) {
		return Params{}, fmt.Errorf("largest weight magnitude %g is %w", maxAbs, ErrNotFinite)
	}
	scale := float32(math.Abs(maxAbs) / float64(qmax))
	if !(float64(scale) >= MinScale) {
		scale = 1
	}
	return Params{Scale: scale}, nil
}

// QuantizeWeight maps a weight with symmetric parameters p into
// [-qmax, qmax].
func QuantizeWeight(w float64, p Params, qmax int64) int64 {
	v := p.Quantize(w, Int8)
	return max(-qmax, min(qmax, v))
}

// BiasScale is the scale of an int32 bias: x_scale*w_scale, multiplied in
// float32 as the integer kernels do, so that the accumulator of
// x_q*w_q products and the bias are in the same units.
func BiasScale(x, w float32) float32 { return x * w }

// QuantizeBias maps a bias value to int32 with scale s and zero point 0.
// ok is false when it does not fit (the caller widens the weight scale).
func QuantizeBias(b float64, s float32) (v int64, ok bool) {
	r := RoundHalfEven(b / float64(s))
	if r < math.MinInt32 || r > math.MaxInt32 || r != r {
		return 0, false
	}
	return int64(r), true
}
