package ir

import "fmt"

// Conv is an N-dimensional convolution (ONNX Conv, Keras Conv2D).
//
// Inputs: X (activations in Layout), W (weights, always [M, C/Group, k1,
// k2, ...] whatever the data layout), optional B ([M]) and, after residual
// fusion, optional R (same shape as the output), added before Activation,
// and after channel-scale fusion, optional S, one factor per item and
// input channel ([N, 1, 1, C] in NHWC, [N, C, 1, 1] in NCHW) that
// multiplies X before the convolution (a squeeze-and-excitation scale).
// After pre-activation fusion, optional P and Q ([C] each) map every input
// channel before the convolution: X becomes InActivation(X*P[c] + Q[c]), a
// BatchNormalization (and its activation) that feeds the convolution and
// cannot fold into its weights (DenseNet's BatchNorm, ReLU, 1x1 Conv).
// Inputs 2 to 4 may then be nil.
type Conv struct {
	Window
	Group int
	// Layout of X and of the output; LayoutAny means NCHW.
	Layout Layout
	// Activation, if set, is applied to the result (conv + bias + R); the
	// fusion pass sets it.
	Activation Activation
	// InActivation, if set, is applied to X*P + Q when inputs P and Q are
	// present (see above).
	InActivation Activation
	// NCHWInput, with Layout NHWC, says X is channels-first although the
	// output is channels-last: a first layer that reads the model's image
	// as it arrives instead of through a Transpose (passes.ReadNCHWInput).
	// Inputs S, P and Q are then not allowed.
	NCHWInput bool
}

// OpType returns "Conv".
func (*Conv) OpType() string { return "Conv" }

// Infer is Conv's shape rule.
func (c *Conv) Infer(in []Type) ([]Type, error) {
	if err := need("Conv", in, 2); err != nil {
		return nil, err
	}
	if err := needFloat("Conv", in, 0); err != nil {
		return nil, err
	}
	if err := sameType("Conv", in, 1, 2, 3, 4, 5, 6); err != nil {
		return nil, err
	}
	c.Layout = imageLayout(c.Layout)
	x, w := in[0], in[1]
	xl := c.Layout
	if c.NCHWInput {
		if c.Layout != NHWC {
			return nil, shapeErr("Conv", in, "a channels-first input needs the NHWC layout")
		}
		for i := 4; i < len(in); i++ {
			if in[i].Known() {
				return nil, shapeErr("Conv", in, "a channels-first input takes no input channel scale or map")
			}
		}
		xl = NCHW
	}
	n, ch, sp, err := spatial("Conv", x, xl, 3)
	if err != nil {
		return nil, err
	}
	if len(w.Shape) != len(x.Shape) {
		return nil, shapeErr("Conv", in, "weights have rank %d, input has rank %d", len(w.Shape), len(x.Shape))
	}
	if c.Group == 0 {
		c.Group = 1
	}
	m := w.Shape[0]
	if c.Group < 0 || ch%c.Group != 0 || m%c.Group != 0 {
		return nil, shapeErr("Conv", in, "group %d does not divide %d input channels and %d filters", c.Group, ch, m)
	}
	if w.Shape[1]*c.Group != ch {
		return nil, shapeErr("Conv", in, "weights expect %d input channels (%d per group x %d groups), input has %d", w.Shape[1]*c.Group, w.Shape[1], c.Group, ch)
	}
	if c.Kernel == nil {
		c.Kernel = append([]int(nil), w.Shape[2:]...)
	}
	for i, k := range c.Kernel {
		if w.Shape[2+i] != k {
			return nil, shapeErr("Conv", in, "kernel %v disagrees with weight shape %v", c.Kernel, w.Shape)
		}
	}
	if c.CeilMode {
		return nil, fmt.Errorf("Conv: ceil_mode is a pooling attribute")
	}
	out, err := c.resolve(sp)
	if err != nil {
		return nil, shapeErr("Conv", in, "%v", err)
	}
	if len(in) > 2 && in[2].Known() {
		if len(in[2].Shape) != 1 || in[2].Shape[0] != m {
			return nil, shapeErr("Conv", in, "bias must have shape [%d]", m)
		}
	}
	y := Type{DType: x.DType, Shape: assemble(n, m, out, c.Layout), Layout: c.Layout}
	if len(in) > 3 && in[3].Known() && !in[3].Shape.Equal(y.Shape) {
		return nil, shapeErr("Conv", in, "residual input must have the output shape %v", y.Shape)
	}
	if len(in) > 4 && in[4].Known() {
		want := Shape{n, ch}
		if c.Layout == NHWC {
			want = Shape{n}
		}
		for range sp {
			want = append(want, 1)
		}
		if c.Layout == NHWC {
			want = append(want, ch)
		}
		if !in[4].Shape.Equal(want) {
			return nil, shapeErr("Conv", in, "input channel scale must have shape %v", want)
		}
	}
	for i := 5; i < min(len(in), 7); i++ {
		if in[i].Known() && !in[i].Shape.Equal(Shape{ch}) {
			return nil, shapeErr("Conv", in, "input channel map %d must have shape [%d]", i, ch)
		}
	}
	if len(in) > 7 {
		return nil, shapeErr("Conv", in, "at most 7 inputs")
	}
	if err := checkSize("Conv", y.Shape); err != nil {
		return nil, err
	}
	return []Type{y}, nil
}

// ConvTranspose is the transposed (fractionally strided) convolution.
//
// Inputs: X, W ([C, M/Group, k1, k2, ...]), optional B ([M]).
type ConvTranspose struct {
	Window
	Group int
	// OutputPadding adds to the end of each spatial output dimension.
	OutputPadding []int
	// OutputShape, if set, fixes the spatial output size; the pads are then
	// derived from it.
	OutputShape []int
	Layout      Layout
}

// OpType returns "ConvTranspose".
func (*ConvTranspose) OpType() string { return "ConvTranspose" }

// Infer is ConvTranspose's shape rule (ONNX operator spec).
func (c *ConvTranspose) Infer(in []Type) ([]Type, error) {
	if err := need("ConvTranspose", in, 2); err != nil {
		return nil, err
	}
	if err := needFloat("ConvTranspose", in, 0); err != nil {
		return nil, err
	}
	if err := sameType("ConvTranspose", in, 1, 2); err != nil {
		return nil, err
	}
	c.Layout = imageLayout(c.Layout)
	x, w := in[0], in[1]
	n, ch, sp, err := spatial("ConvTranspose", x, c.Layout, 3)
	if err != nil {
		return nil, err
	}
	if len(w.Shape) != len(x.Shape) {
		return nil, shapeErr("ConvTranspose", in, "weights have rank %d, input has rank %d", len(w.Shape), len(x.Shape))
	}
	if c.Group == 0 {
		c.Group = 1
	}
	if w.Shape[0] != ch || c.Group < 1 || ch%c.Group != 0 {
		return nil, shapeErr("ConvTranspose", in, "weights expect %d input channels in %d groups, input has %d", w.Shape[0], c.Group, ch)
	}
	m := w.Shape[1] * c.Group
	if c.Kernel == nil {
		c.Kernel = append([]int(nil), w.Shape[2:]...)
	}
	k := len(sp)
	if len(c.Kernel) != k {
		return nil, shapeErr("ConvTranspose", in, "kernel %v does not fit %d spatial dimensions", c.Kernel, k)
	}
	for i := range c.Kernel {
		if c.Kernel[i] != w.Shape[2+i] {
			return nil, shapeErr("ConvTranspose", in, "kernel %v disagrees with weight shape %v", c.Kernel, w.Shape)
		}
	}
	if c.Strides == nil {
		c.Strides = ints(k, 1)
	}
	if c.Dilations == nil {
		c.Dilations = ints(k, 1)
	}
	if c.Pads == nil {
		c.Pads = ints(2*k, 0)
	}
	if c.OutputPadding == nil {
		c.OutputPadding = ints(k, 0)
	}
	if len(c.Strides) != k || len(c.Dilations) != k || len(c.Pads) != 2*k || len(c.OutputPadding) != k {
		return nil, shapeErr("ConvTranspose", in, "strides %v, dilations %v, pads %v or output_padding %v do not fit %d spatial dimensions", c.Strides, c.Dilations, c.Pads, c.OutputPadding, k)
	}
	for i := 0; i < k; i++ {
		if c.Strides[i] < 1 || c.Dilations[i] < 1 || c.Strides[i] > maxDim || c.Dilations[i] > maxDim {
			return nil, shapeErr("ConvTranspose", in, "strides %v and dilations %v must be positive", c.Strides, c.Dilations)
		}
	}
	target := c.OutputShape
	if target == nil && (c.AutoPad == PadSameUpper || c.AutoPad == PadSameLower) {
		target = make([]int, k)
		for i := range target {
			target[i] = sp[i] * c.Strides[i]
		}
	}
	out := make([]int, k)
	for i := 0; i < k; i++ {
		full := c.Strides[i]*(sp[i]-1) + c.OutputPadding[i] + (c.Kernel[i]-1)*c.Dilations[i] + 1
		switch {
		case target != nil:
			if len(target) != k {
				return nil, shapeErr("ConvTranspose", in, "output_shape %v does not fit %d spatial dimensions", target, k)
			}
			// A negative total (output_shape larger than the full
			// output) gives negative pads: extra output positions that
			// only the bias reaches. Halving rounds down, as ONNX's
			// reference implementation does.
			total := full - target[i]
			half := floorDiv(total, 2)
			if c.AutoPad == PadSameUpper {
				c.Pads[i], c.Pads[k+i] = half, total-half
			} else {
				c.Pads[i], c.Pads[k+i] = total-half, half
			}
			out[i] = target[i]
		case c.AutoPad == PadValid:
			c.Pads[i], c.Pads[k+i] = 0, 0
			out[i] = full
		default:
			out[i] = full - c.Pads[i] - c.Pads[k+i]
		}
		if out[i] < 1 {
			return nil, shapeErr("ConvTranspose", in, "output would be empty on spatial axis %d", i)
		}
	}
	c.AutoPad = PadExplicit
	c.OutputShape = nil
	if len(in) > 2 && in[2].Known() && (len(in[2].Shape) != 1 || in[2].Shape[0] != m) {
		return nil, shapeErr("ConvTranspose", in, "bias must have shape [%d]", m)
	}
	y := Type{DType: x.DType, Shape: assemble(n, m, out, c.Layout), Layout: c.Layout}
	if err := checkSize("ConvTranspose", y.Shape); err != nil {
		return nil, err
	}
	return []Type{y}, nil
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Depthwise reports whether the convolution filters each input channel on
// its own (group == input channels, one input channel per filter group),
// which runs a direct kernel instead of im2col + GEMM. w is the weight
// shape [M, C/group, k...].
func (c *Conv) Depthwise(w Shape) bool { return c.Group > 1 && len(w) > 1 && w[1] == 1 }

// MACs is output elements x (C/group x kernel size).
func (c *Conv) MACs(in, out []Type) int64 {
	w := in[1].Shape
	return int64(out[0].Shape.PerBatch()) * int64(w[1]) * prod64(w[2:])
}

// ToNHWC makes a 2-D convolution compute channels-last; its residual
// input, if any, must then be NHWC too. The weights keep the IR's
// [M, C/group, kh, kw] in any layout.
func (c *Conv) ToNHWC(in []Type, _ bool) ([]int, bool) {
	if c.Layout == NHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	c.Layout = NHWC
	return []int{0, 3}, true
}

// MACs is input elements x (M/group x kernel size): every input element
// is scattered over the kernel of each of its group's output channels.
func (c *ConvTranspose) MACs(in, out []Type) int64 {
	w := in[1].Shape
	return int64(in[0].Shape.PerBatch()) * int64(w[1]) * prod64(w[2:])
}

// LiftTo2D runs a 1-D convolution with constant weights as a 2-D one.
// Its residual, if any, is lifted with the data.
func (c *Conv) LiftTo2D(in []Type) (data, weights []int, ok bool) {
	if !liftable(c.Layout, in) || c.Kernel == nil || len(c.Kernel) != 1 {
		return nil, nil, false
	}
	c.Window.lift()
	return []int{0, 3}, []int{1}, true
}

// FusedActivation returns the activation applied to the result.
func (c *Conv) FusedActivation() Activation { return c.Activation }

// SetActivation makes the convolution apply act to its result.
func (c *Conv) SetActivation(act Activation) { c.Activation = act }
