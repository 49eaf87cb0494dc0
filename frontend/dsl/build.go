package dsl

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// Options configure Build and Load.
type Options struct {
	// Weights is the path of a Keras-compatible .npz file holding the
	// model's weights (NAME/kernel, NAME/bias, NAME/gamma, NAME/beta,
	// NAME/moving_mean, NAME/moving_variance), or "" to make up weights
	// the way a fresh Keras model does.
	Weights string
	// Seed seeds the made-up weights. The same seed gives the same
	// weights; they are not the values Keras' own RNG would give.
	Seed int64
}

// maxParams bounds the parameters of one model (2^28, a gigabyte of
// float32), so that a typo like Dense(10000000) fails fast instead of
// exhausting memory. Tests lower it.
var maxParams int64 = 1 << 28

// Load reads the model file at path, parses it and builds its graph.
func Load(path string, opts Options) (*ir.Graph, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dsl: %w", err)
	}
	defer fh.Close()
	// Read one byte past the limit so that Parse can tell an oversized
	// file without reading all of it.
	src, err := io.ReadAll(io.LimitReader(fh, MaxSourceSize+1))
	if err != nil {
		return nil, fmt.Errorf("dsl: %w", err)
	}
	f, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	return Build(f, opts)
}

// Build turns a parsed file into a typed IR graph with its weights bound.
//
// The graph has one input, named "input" unless Input(name=...) names it,
// of type float32 [batch, H, W, C] in NHWC layout (or [batch, features] for
// a 1-D input shape), and one output: the last layer's. Each layer becomes
// one or more nodes whose Layer and LayerType are the Keras layer name and
// class; shape inference runs on each node as it is added, so every value
// is typed and a shape that does not work out is reported at the layer
// that causes it.
//
// Problems with names, arguments and values are all reported at once (up
// to ten) as an ErrorList; the first shape or weight problem stops the
// build.
func Build(f *File, opts Options) (*ir.Graph, error) {
	if f == nil {
		return nil, errors.New("dsl: Build of a nil File")
	}
	m, err := resolve(f)
	if err != nil {
		return nil, err
	}
	var ws weightSource
	if opts.Weights != "" {
		nw, err := openNPZ(opts.Weights)
		if err != nil {
			return nil, err
		}
		defer nw.close()
		ws = nw
	} else {
		ws = &initWeights{seed: opts.Seed}
	}
	name := m.name
	if name == "" {
		name = "sequential" // Keras' default model name
	}
	b := &builder{g: ir.NewGraph(name), w: ws}
	in := m.input
	shape := append(ir.Shape{in.batch}, in.shape...)
	layout := ir.LayoutAny
	if len(in.shape) == 3 {
		layout = ir.NHWC
	}
	inName := in.name
	if inName == "" {
		inName = "input"
		if p, taken := namesOf(m)[inName]; taken {
			return nil, &Error{Pos: p, Msg: `a layer named "input" clashes with the model input's default name; rename the layer or name the input with Input(shape=..., name=...)`}
		}
	}
	x := b.g.AddInput(inName, ir.Type{DType: ir.Float32, Shape: shape, Layout: layout})
	for _, l := range m.layers {
		if x, err = l.spec.build(b, l, x); err != nil {
			return nil, err
		}
	}
	b.g.Outputs = []*ir.Value{x}
	if err := ws.finish(); err != nil {
		return nil, err
	}
	return b.g, nil
}

func namesOf(m *model) map[string]Pos {
	names := map[string]Pos{}
	for _, l := range m.layers {
		names[l.name] = l.pos
	}
	return names
}

// builder adds layers to a graph.
type builder struct {
	g      *ir.Graph
	w      weightSource
	params int64
}

// node adds one node of layer l, runs its shape rule and returns its first
// output.
func (b *builder) node(l *layer, name string, op ir.Op, nOut int, inputs ...*ir.Value) (*ir.Value, error) {
	n := b.g.AddNode(name, op, inputs, nOut)
	n.Layer, n.LayerType = l.name, l.spec.class
	if err := ir.InferNode(n); err != nil {
		return nil, b.shapeError(l, n, inputs[0], err)
	}
	return n.Outputs[0], nil
}

// shapeError rewrites a shape-rule failure in the layer's terms: its name,
// its class, what went wrong and the layer's input shape in Keras' notation.
func (b *builder) shapeError(l *layer, n *ir.Node, x *ir.Value, err error) error {
	msg := strings.TrimPrefix(err.Error(), n.Where()+": ")
	var se *ir.ShapeError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	// Shape rules prefix their op name ("Conv: ...");
	// the layer's name says more.
	for {
		op := n.Op.OpType() + ": "
		if !strings.HasPrefix(msg, op) {
			break
		}
		msg = strings.TrimPrefix(msg, op)
	}
	return &Error{Pos: l.pos, Msg: fmt.Sprintf("layer %q (%s): %s; input shape %s", l.name, l.spec.class, msg, x.Shape.Keras()), Err: err}
}

func (b *builder) errorf(l *layer, format string, args ...any) error {
	return &Error{Pos: l.pos, Msg: fmt.Sprintf("layer %q (%s): ", l.name, l.spec.class) + fmt.Sprintf(format, args...)}
}

// shapeErrorf reports a shape problem the builder finds before the IR's
// shape rule would; like the rule's errors it wraps an *ir.ShapeError, so
// callers can tell shape errors from others.
func (b *builder) shapeErrorf(l *layer, x *ir.Value, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &Error{
		Pos: l.pos,
		Msg: fmt.Sprintf("layer %q (%s): %s", l.name, l.spec.class, msg),
		Err: &ir.ShapeError{Op: l.spec.class, Inputs: []ir.Shape{x.Shape.Clone()}, Msg: msg},
	}
}

// needRank checks the rank of a layer's input.
func (b *builder) needRank(l *layer, x *ir.Value, rank int, form, hint string) error {
	if len(x.Shape) == rank {
		return nil
	}
	return b.shapeErrorf(l, x, "needs a %d-D input %s, got %s%s", rank, form, x.Shape.Keras(), hint)
}

// needImage checks that a layer's input is a batch of images.
func (b *builder) needImage(l *layer, x *ir.Value) error {
	return b.needRank(l, x, 4, "(None, height, width, channels)", "")
}

// checkWindow reports a window that does not fit a 'valid'-padded input in
// the layer's own terms, with both shapes: the input and the smallest input
// that would do. (The shape rule would catch it too, in IR terms.)
func (b *builder) checkWindow(l *layer, x *ir.Value, kernel, dilation [2]int, what string) error {
	if l.str("padding") != "valid" {
		return nil
	}
	need := x.Shape.Clone()
	small := false
	for i := 0; i < 2; i++ {
		eff := (kernel[i]-1)*dilation[i] + 1
		if x.Shape[1+i] < eff {
			small = true
		}
		need[1+i] = max(need[1+i], eff)
	}
	if !small {
		return nil
	}
	return b.shapeErrorf(l, x, "input shape %s is smaller than the %dx%d window of %s with padding='valid'; the layer needs an input of at least %s (use padding='same' or a smaller window)",
		x.Shape.Keras(), (kernel[0]-1)*dilation[0]+1, (kernel[1]-1)*dilation[1]+1, what, need.Keras())
}

// weight fetches a weight in Keras' shape (from the .npz or made up),
// counting it against maxParams first.
func (b *builder) weight(l *layer, param string, shape []int, init string, fanIn, fanOut int) ([]float64, error) {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d) // each factor is at most 2^24 and checked below
		if n > maxParams {
			break
		}
	}
	if n > maxParams || b.params+n > maxParams {
		return nil, b.errorf(l, "the model would have more than %d parameters (%s needs %d); cnnc refuses models that large", maxParams, param, n)
	}
	b.params += n
	data, err := b.w.get(l, param, shape, init, fanIn, fanOut)
	if err != nil {
		return nil, &Error{Pos: l.pos, Msg: fmt.Sprintf("layer %q (%s): %v", l.name, l.spec.class, err), Err: err}
	}
	return data, nil
}

// constant makes a float32 constant named after the layer and parameter.
func (b *builder) constant(l *layer, param string, shape ir.Shape, data []float64) *ir.Value {
	t := ir.NewFloatTensor(ir.Float32, shape, data)
	t.RoundToType()
	return ir.NewConst(l.name+"/"+param, t)
}

func autoPad(padding string) ir.AutoPad {
	if padding == "same" {
		return ir.PadSameUpper // Keras/TF 'same': the odd pad goes at the end
	}
	return ir.PadValid
}

func buildConv2D(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	if err := b.needImage(l, x); err != nil {
		return nil, err
	}
	cin, filters, groups := x.Shape[3], l.int("filters"), l.int("groups")
	if cin%groups != 0 {
		return nil, b.shapeErrorf(l, x, "the input's %d channels are not divisible by groups=%d; input shape %s", cin, groups, x.Shape.Keras())
	}
	k, s, d := l.pair("kernel_size"), l.pair("strides"), l.pair("dilation_rate")
	if err := b.checkWindow(l, x, k, d, fmt.Sprintf("kernel_size=%s, dilation_rate=%s", tuple(k[:]), tuple(d[:]))); err != nil {
		return nil, err
	}
	cg := cin / groups
	rf := k[0] * k[1]
	hwio, err := b.weight(l, "kernel", []int{k[0], k[1], cg, filters}, l.str("kernel_initializer"), rf*cg, rf*filters)
	if err != nil {
		return nil, err
	}
	inputs := []*ir.Value{x, b.constant(l, "kernel", ir.Shape{filters, cg, k[0], k[1]}, hwioToOIHW(hwio, k[0], k[1], cg, filters))}
	if l.bool("use_bias") {
		bias, err := b.weight(l, "bias", []int{filters}, l.str("bias_initializer"), 0, 0)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, b.constant(l, "bias", ir.Shape{filters}, bias))
	}
	op := &ir.Conv{
		Window: ir.Window{Kernel: k[:], Strides: s[:], Dilations: d[:], AutoPad: autoPad(l.str("padding"))},
		Group:  groups,
		Layout: ir.NHWC,
	}
	y, err := b.node(l, l.name, op, 1, inputs...)
	if err != nil {
		return nil, err
	}
	return b.activation(l, l.str("activation"), y, false)
}

// hwioToOIHW moves a Keras kernel [kh, kw, in, out] into the IR's [out, in,
// kh, kw].
func hwioToOIHW(w []float64, kh, kw, cin, cout int) []float64 {
	out := make([]float64, len(w))
	for h := 0; h < kh; h++ {
		for x := 0; x < kw; x++ {
			for i := 0; i < cin; i++ {
				for o := 0; o < cout; o++ {
					out[((o*cin+i)*kh+h)*kw+x] = w[((h*kw+x)*cin+i)*cout+o]
				}
			}
		}
	}
	return out
}

func buildPool(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	if err := b.needImage(l, x); err != nil {
		return nil, err
	}
	k := l.pair("pool_size")
	s := k // strides=None means the pool size
	if v, ok := l.args["strides"].([2]int); ok {
		s = v
	}
	if err := b.checkWindow(l, x, k, one, "pool_size="+tuple(k[:])); err != nil {
		return nil, err
	}
	w := ir.Window{Kernel: k[:], Strides: s[:], AutoPad: autoPad(l.str("padding"))}
	var op ir.Op
	if l.spec.class == "MaxPooling2D" {
		op = &ir.MaxPool{Window: w, Layout: ir.NHWC}
	} else {
		// Keras averages over the input elements in the window only.
		op = &ir.AveragePool{Window: w, Layout: ir.NHWC, CountIncludePad: false}
	}
	return b.node(l, l.name, op, 1, x)
}

func buildDense(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	hint := ""
	if len(x.Shape) > 2 {
		hint = "; put a Flatten() or GlobalAveragePooling2D() before it"
	}
	if err := b.needRank(l, x, 2, "(None, features)", hint); err != nil {
		return nil, err
	}
	in, units := x.Shape[1], l.int("units")
	kernel, err := b.weight(l, "kernel", []int{in, units}, l.str("kernel_initializer"), in, units)
	if err != nil {
		return nil, err
	}
	inputs := []*ir.Value{x, b.constant(l, "kernel", ir.Shape{in, units}, kernel)}
	if l.bool("use_bias") {
		bias, err := b.weight(l, "bias", []int{units}, l.str("bias_initializer"), 0, 0)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, b.constant(l, "bias", ir.Shape{units}, bias))
	}
	y, err := b.node(l, l.name, &ir.Gemm{Alpha: 1, Beta: 1}, 1, inputs...)
	if err != nil {
		return nil, err
	}
	return b.activation(l, l.str("activation"), y, false)
}

func buildActivation(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	return b.activation(l, l.str("activation"), x, true)
}

// Keras' SELU constants.
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

// activation applies a named activation. own says the activation is the
// whole layer (Activation('relu')): its first node takes the layer's name.
// Otherwise it follows a Conv2D or Dense in the same layer, its nodes are
// named layer/relu, and linear adds nothing.
func (b *builder) activation(l *layer, act string, x *ir.Value, own bool) (*ir.Value, error) {
	name := l.name + "/" + act
	if own {
		name = l.name
	}
	var op ir.Op
	switch act {
	case "linear":
		if !own {
			return x, nil
		}
		op = &ir.Identity{}
	case "relu":
		op = &ir.Relu{}
	case "relu6":
		op = &ir.Clip{Min: 0, Max: 6}
	case "sigmoid":
		op = &ir.Sigmoid{}
	case "hard_sigmoid":
		op = &ir.HardSigmoid{Alpha: 0.2, Beta: 0.5}
	case "tanh":
		op = &ir.Tanh{}
	case "softmax":
		op = &ir.Softmax{Axis: -1}
	case "log_softmax":
		op = &ir.LogSoftmax{Axis: -1}
	case "elu":
		op = &ir.Elu{Alpha: 1}
	case "selu":
		op = &ir.Selu{Alpha: seluAlpha, Gamma: seluScale}
	case "softplus":
		op = &ir.Softplus{}
	case "hard_swish", "hard_silu":
		op = &ir.HardSwish{}
	case "exponential":
		op = &ir.Exp{}
	case "swish", "silu":
		// x * sigmoid(x): the IR has no Swish op.
		s, err := b.node(l, name, &ir.Sigmoid{}, 1, x)
		if err != nil {
			return nil, err
		}
		return b.node(l, l.name+"/"+act+"_mul", &ir.Mul{}, 1, x, s)
	default:
		// The converter admits only names of the activations table.
		return nil, b.errorf(l, "activation %q has no IR mapping", act)
	}
	return b.node(l, name, op, 1, x)
}

func buildDropout(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	// Two outputs, as ONNX Dropout has: the value and the (unused) mask.
	return b.node(l, l.name, &ir.Dropout{Ratio: l.float("rate")}, 2, x)
}

func buildFlatten(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	// Axis 1 on NHWC data gives Keras' H, W, C order.
	return b.node(l, l.name, &ir.Flatten{Axis: 1}, 1, x)
}

func buildGlobalPool(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	if err := b.needImage(l, x); err != nil {
		return nil, err
	}
	var op ir.Op = &ir.GlobalAveragePool{Layout: ir.NHWC}
	if l.spec.class == "GlobalMaxPooling2D" {
		op = &ir.GlobalMaxPool{Layout: ir.NHWC}
	}
	y, err := b.node(l, l.name, op, 1, x)
	if err != nil || l.bool("keepdims") {
		return y, err
	}
	// Keras gives (None, C); the IR op keeps (None, 1, 1, C).
	return b.node(l, l.name+"/flatten", &ir.Flatten{Axis: 1}, 1, y)
}

func buildBatchNorm(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	r := len(x.Shape)
	if a := l.int("axis"); a != -1 && a != r-1 {
		return nil, &Error{Pos: l.at("axis"), Msg: fmt.Sprintf("layer %q (%s): axis=%d is not supported: only the channel axis (-1) of channels-last data; input shape %s", l.name, l.spec.class, a, x.Shape.Keras())}
	}
	c := x.Shape[r-1]
	inputs := []*ir.Value{x}
	for _, p := range []struct{ name, init string }{
		{"gamma", "ones"}, {"beta", "zeros"}, {"moving_mean", "zeros"}, {"moving_variance", "ones"},
	} {
		data, err := b.weight(l, p.name, []int{c}, p.init, 0, 0)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, b.constant(l, p.name, ir.Shape{c}, data))
	}
	// NHWC's channel axis is the last one whatever the rank, which is
	// Keras' axis=-1 for images and for Dense outputs alike.
	return b.node(l, l.name, &ir.BatchNormalization{Epsilon: l.float("epsilon"), Layout: ir.NHWC}, 1, inputs...)
}

func buildReLU(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	slope := l.float("negative_slope")
	maxv, capped := l.args["max_value"].(float64)
	switch {
	case slope == 0 && !capped:
		return b.node(l, l.name, &ir.Relu{}, 1, x)
	case slope == 0:
		return b.node(l, l.name, &ir.Clip{Min: 0, Max: maxv}, 1, x)
	}
	y, err := b.node(l, l.name, &ir.LeakyRelu{Alpha: slope}, 1, x)
	if err != nil || !capped {
		return y, err
	}
	return b.node(l, l.name+"/clip", &ir.Clip{Min: math.Inf(-1), Max: maxv}, 1, y)
}

func buildLeakyReLU(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	alpha := 0.3
	if v, ok := l.args["alpha"].(float64); ok {
		alpha = v
	} else if v, ok := l.args["negative_slope"].(float64); ok {
		alpha = v
	}
	return b.node(l, l.name, &ir.LeakyRelu{Alpha: alpha}, 1, x)
}

func buildZeroPadding(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	if err := b.needImage(l, x); err != nil {
		return nil, err
	}
	p := l.args["padding"].([4]int) // top, bottom, left, right
	op := &ir.Pad{Pads: []int{0, p[0], p[2], 0, 0, p[1], p[3], 0}, Mode: ir.PadConstant}
	return b.node(l, l.name, op, 1, x)
}

func buildSoftmaxLayer(b *builder, l *layer, x *ir.Value) (*ir.Value, error) {
	return b.node(l, l.name, &ir.Softmax{Axis: l.int("axis")}, 1, x)
}
