package ir

import (
	"errors"
	"fmt"
	"math"
)

// QLinearConv is ONNX QLinearConv: a convolution of uint8 or int8 codes
// summed exactly in int32,
//
//	acc[m] = B[m] + sum (x - x_zero) * (w - w_zero[m])
//
// and requantized to the output's codes with the multiplier
// M[m] = x_scale * w_scale[m] / y_scale computed in float32 (product
// first, as ONNX Runtime does): y = saturate(round_half_even(float32(acc)
// * M[m]) + y_zero). Rounding comes before adding the zero point, as ONNX's
// QuantizeLinear defines it.
//
// Inputs: X, XScale, XZero, W ([M, C/Group, k...]), WScale, WZero,
// YScale, YZero, optional B (int32 [M], quantized with scale x_scale *
// w_scale and zero point 0). X and its zero point share a type, W and its
// zero point another; YZero's type is the output's. XScale and YScale are
// scalars; WScale and WZero scalars or one per output channel. A zero
// point of X or W may be omitted (0); YZero is required, as in ONNX.
type QLinearConv struct {
	Window
	Group int
	// Layout of X and of the output; LayoutAny means NCHW.
	Layout Layout
	// Activation, if set, is a Relu or Clip applied to the real result
	// before it is quantized (the QDQ pass fuses it). Quantization is
	// monotone, so it only narrows the range of the output codes.
	Activation Activation
}

// OpType returns "QLinearConv".
func (*QLinearConv) OpType() string { return "QLinearConv" }

// Infer is QLinearConv's shape rule.
func (c *QLinearConv) Infer(in []Type) ([]Type, error) {
	const op = "QLinearConv"
	if err := need(op, in, 8); err != nil {
		return nil, err
	}
	x, w, yz := in[0], in[3], in[7]
	if !Is8Bit(x.DType) || !Is8Bit(w.DType) || !Is8Bit(yz.DType) {
		return nil, fmt.Errorf("%s: input %s, weights %s and output zero point %s must be uint8 or int8 codes", op, x.DType, w.DType, yz.DType)
	}
	if err := checkClampAct(op, c.Activation); err != nil {
		return nil, err
	}
	y, err := inferIntConv(op, &c.Window, &c.Group, &c.Layout, x, w, opt(in, 8))
	if err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{1, 2}, x.DType, x.Shape, -1, 0); err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{4, 5}, w.DType, w.Shape, 0, 0); err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{6, 7}, yz.DType, y.Shape, -1, 0); err != nil {
		return nil, err
	}
	y.DType = yz.DType
	return []Type{y}, nil
}

// QuantPairs lists X's, W's and Y's parameters.
func (*QLinearConv) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}, {4, 5}, {6, 7}} }

// ConvInteger is ONNX ConvInteger: the exact int32 convolution
// sum (x - x_zero) * (w - w_zero[m]) of uint8 or int8 codes.
//
// Inputs: X, W ([M, C/Group, k...]), optional XZero (X's type, a scalar),
// optional WZero (W's type, a scalar or one per output channel). The
// output is int32.
type ConvInteger struct {
	Window
	Group  int
	Layout Layout
}

// OpType returns "ConvInteger".
func (*ConvInteger) OpType() string { return "ConvInteger" }

// Infer is ConvInteger's shape rule.
func (c *ConvInteger) Infer(in []Type) ([]Type, error) {
	const op = "ConvInteger"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	if !Is8Bit(x.DType) || !Is8Bit(w.DType) {
		return nil, fmt.Errorf("%s: input %s and weights %s must be uint8 or int8 codes", op, x.DType, w.DType)
	}
	y, err := inferIntConv(op, &c.Window, &c.Group, &c.Layout, x, w, Type{})
	if err != nil {
		return nil, err
	}
	if err := zeroArg(op, in, 2, x.DType, x.Shape, -1); err != nil {
		return nil, err
	}
	if err := zeroArg(op, in, 3, w.DType, w.Shape, 0); err != nil {
		return nil, err
	}
	y.DType = Int32
	return []Type{y}, nil
}

// QuantPairs lists the zero points (ConvInteger has no scales).
func (*ConvInteger) QuantPairs(int) []QuantPair { return []QuantPair{{-1, 2}, {-1, 3}} }

// zeroArg checks an optional zero point without a scale at input i: of
// type code, a scalar or, when axis >= 0, one per channel along axis of
// data.
func zeroArg(op string, in []Type, i int, code DType, data Shape, axis int) error {
	if i >= len(in) || !in[i].Known() {
		return nil
	}
	z := in[i]
	if z.DType != code {
		return fmt.Errorf("%s: input %d (a zero point) is %s, the codes it goes with are %s", op, i, z.DType, code)
	}
	if scalarLike(z.Shape) {
		return nil
	}
	if axis < 0 || len(z.Shape) != 1 || axis >= len(data) || z.Shape[0] != data[axis] {
		return fmt.Errorf("%s: zero point (input %d) has shape %v; want a scalar or one per channel of axis %d of %v", op, i, z.Shape, axis, data)
	}
	return nil
}

// inferIntConv is the shape rule of an integer convolution: Conv's rule
// on x, w and an optional int32 bias b, naming op in its errors. It
// canonicalizes the window, group and layout and returns the output type
// (whose DType the caller sets).
func inferIntConv(op string, win *Window, group *int, layout *Layout, x, w, b Type) (Type, error) {
	if b.Known() && b.DType != Int32 {
		return Type{}, fmt.Errorf("%s: bias is %s, want int32", op, b.DType)
	}
	f := func(t Type) Type {
		if t.Known() {
			t.DType = Float32
		}
		return t
	}
	conv := &Conv{Window: *win, Group: *group, Layout: *layout}
	ts := []Type{f(x), f(w)}
	if b.Known() {
		ts = append(ts, f(b))
	}
	out, err := conv.Infer(ts)
	if err != nil {
		var se *ShapeError
		if errors.As(err, &se) {
			se.Op = op
			return Type{}, se
		}
		return Type{}, fmt.Errorf("%s: %w", op, err)
	}
	*win, *group, *layout = conv.Window, conv.Group, conv.Layout
	return out[0], nil
}

// checkClampAct accepts the activations a quantized op can fold into the
// range of its output codes.
func checkClampAct(op string, a Activation) error {
	switch a.(type) {
	case nil, *Relu, *Clip:
		return nil
	}
	return fmt.Errorf("%s: activation %s cannot be applied as a clamp of the output codes (only Relu and Clip)", op, a.OpType())
}

// ClampBounds returns the real interval a clamping activation (Relu or
// Clip, as QLinearConv and QLinearMatMul take) limits its input to;
// (-Inf, +Inf) for none.
func ClampBounds(a Activation) (lo, hi float64) {
	switch a := a.(type) {
	case *Relu:
		return 0, posInf
	case *Clip:
		return a.Min, a.Max
	}
	return -posInf, posInf
}

var posInf = math.Inf(1)

func opt(in []Type, i int) Type {
	if i < len(in) {
		return in[i]
	}
	return Type{}
}

// MACs is output elements x (C/group x kernel size).
func (c *QLinearConv) MACs(in, out []Type) int64 {
	w := in[3].Shape
	return int64(out[0].Shape.PerBatch()) * int64(w[1]) * prod64(w[2:])
}

// MACs is output elements x (C/group x kernel size).
func (c *ConvInteger) MACs(in, out []Type) int64 {
	w := in[1].Shape
	return int64(out[0].Shape.PerBatch()) * int64(w[1]) * prod64(w[2:])
}

// ToNHWC makes a 2-D quantized convolution compute channels-last; the
// weights and parameters keep their shapes.
func (c *QLinearConv) ToNHWC(in []Type, _ bool) ([]int, bool) {
	if c.Layout == NHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	c.Layout = NHWC
	return []int{0}, true
}

// ToNHWC makes a 2-D integer convolution compute channels-last.
func (c *ConvInteger) ToNHWC(in []Type, _ bool) ([]int, bool) {
	if c.Layout == NHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	c.Layout = NHWC
	return []int{0}, true
}

// Depthwise reports whether the convolution filters each input channel on
// its own (see Conv.Depthwise).
func (c *QLinearConv) Depthwise(w Shape) bool { return c.Group > 1 && len(w) > 1 && w[1] == 1 }
