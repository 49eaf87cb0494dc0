package dsl

import (
	"math"
	"slices"
	"sort"

	"github.com/cnnc/cnnc/ir"
)

// param is one argument of a layer class, in Keras' positional order.
type param struct {
	name     string
	conv     converter
	def      any  // the default, already converted; nil for None
	required bool // no default: the call must give it
	kwOnly   bool // may only be given by keyword
}

// layerSpec describes one Keras layer class: its arguments with their
// defaults, and how it becomes IR nodes.
type layerSpec struct {
	class   string   // Keras class name, as LayerType and summary print it
	aliases []string // other names Keras exports for the same class
	base    string   // Keras' default-name prefix: snake_case of class
	params  []param
	// build adds the layer's nodes after x and returns its output.
	build func(b *builder, l *layer, x *ir.Value) (*ir.Value, error)
	// input marks Input and InputLayer, which declare the model input and
	// make no nodes.
	input bool
}

// commonParams are the keyword arguments every Keras layer takes through
// its base class that matter here: the name and, on the first layer, the
// input shape in one of Keras' spellings.
var commonParams = []param{
	{name: "name", conv: nameConv, kwOnly: true},
	{name: "input_shape", conv: optional(shapeConv), kwOnly: true},
	{name: "batch_input_shape", conv: optional(batchShapeConv), kwOnly: true},
	{name: "input_dim", conv: optional(intConv(1, maxDimLen)), kwOnly: true},
	{name: "batch_size", conv: optional(intConv(1, maxDimLen)), kwOnly: true},
	{name: "dtype", conv: dtypeConv, kwOnly: true},
}

// batchShapeConv accepts a shape with its batch dimension first: None for
// a variable batch size, or a fixed int.
var batchShapeConv = converter{want: "a tuple (None, ...) or (batch, ...) of positive ints", conv: func(v value) (any, string) {
	if v.kind != vSeq || len(v.seq) < 2 {
		return nil, badType
	}
	batch := -1
	switch b := v.seq[0]; {
	case b.kind == vNone:
	case b.kind == vInt && b.i >= 1 && b.i <= maxDimLen:
		batch = int(b.i)
	default:
		return nil, "the batch dimension must be None or a positive int"
	}
	rest := v
	rest.seq = v.seq[1:]
	s, why := shapeConv.conv(rest)
	if why != "" {
		return nil, why
	}
	return batchShape{batch: batch, shape: s.([]int)}, ""
}}

// batchShape is a parsed batch_input_shape.
type batchShape struct {
	batch int // -1 for None
	shape []int
}

var (
	one       = [2]int{1, 1}
	padChoice = choiceConv(true, "valid", "same")
	kernelIni = initConv("glorot_uniform", "he_uniform", "lecun_uniform", "zeros", "ones")
	biasIni   = initConv("zeros", "ones")
	rate01    = floatConv("a float in [0, 1)", func(f float64) bool { return f >= 0 && f < 1 })
	nonNeg    = floatConv("a non-negative float", func(f float64) bool { return f >= 0 })
	positive  = floatConv("a positive float", func(f float64) bool { return f > 0 })
	anyNumber = floatConv("a float", anyFloat)
)

// layerSpecs is the layer table. Positional order follows tf.keras 2.x
// (Conv2D takes groups after dilation_rate, as it has since TF 2.3).
var layerSpecs = []*layerSpec{
	{class: "Input", base: "input", input: true, params: []param{
		{name: "shape", conv: optional(shapeConv)},
		{name: "batch_size", conv: optional(intConv(1, maxDimLen))},
		{name: "name", conv: nameConv},
		{name: "dtype", conv: dtypeConv},
		{name: "batch_shape", conv: optional(batchShapeConv), kwOnly: true},
	}},
	{class: "InputLayer", base: "input", input: true, params: []param{
		{name: "input_shape", conv: optional(shapeConv)},
		{name: "batch_size", conv: optional(intConv(1, maxDimLen))},
		{name: "dtype", conv: dtypeConv},
		{name: "name", conv: nameConv, kwOnly: true},
		{name: "shape", conv: optional(shapeConv), kwOnly: true},
		{name: "batch_input_shape", conv: optional(batchShapeConv), kwOnly: true},
		{name: "batch_shape", conv: optional(batchShapeConv), kwOnly: true},
	}},
	{class: "Conv2D", aliases: []string{"Convolution2D"}, base: "conv2d", build: buildConv2D, params: []param{
		{name: "filters", conv: intConv(1, maxUnits), required: true},
		{name: "kernel_size", conv: pairConv(1, maxWindow), required: true},
		{name: "strides", conv: pairConv(1, maxWindow), def: one},
		{name: "padding", conv: padChoice, def: "valid"},
		{name: "data_format", conv: dataFormatConv},
		{name: "dilation_rate", conv: pairConv(1, maxWindow), def: one},
		{name: "groups", conv: intConv(1, maxUnits), def: 1},
		{name: "activation", conv: activationConv, def: "linear"},
		{name: "use_bias", conv: boolConv, def: true},
		{name: "kernel_initializer", conv: kernelIni, def: "glorot_uniform"},
		{name: "bias_initializer", conv: biasIni, def: "zeros"},
	}},
	{class: "MaxPooling2D", aliases: []string{"MaxPool2D"}, base: "max_pooling2d", build: buildPool, params: poolParams()},
	{class: "AveragePooling2D", aliases: []string{"AvgPool2D"}, base: "average_pooling2d", build: buildPool, params: poolParams()},
	{class: "Dense", base: "dense", build: buildDense, params: []param{
		{name: "units", conv: intConv(1, maxUnits), required: true},
		{name: "activation", conv: activationConv, def: "linear"},
		{name: "use_bias", conv: boolConv, def: true},
		{name: "kernel_initializer", conv: kernelIni, def: "glorot_uniform"},
		{name: "bias_initializer", conv: biasIni, def: "zeros"},
	}},
	{class: "Activation", base: "activation", build: buildActivation, params: []param{
		{name: "activation", conv: activationConv, required: true},
	}},
	{class: "Dropout", base: "dropout", build: buildDropout, params: []param{
		{name: "rate", conv: rate01, required: true},
		{name: "noise_shape", conv: ignoredConv},
		{name: "seed", conv: optional(intConv(math.MinInt64, math.MaxInt64))},
	}},
	{class: "Flatten", base: "flatten", build: buildFlatten, params: []param{
		{name: "data_format", conv: dataFormatConv},
	}},
	{class: "GlobalAveragePooling2D", aliases: []string{"GlobalAvgPool2D"}, base: "global_average_pooling2d", build: buildGlobalPool, params: globalPoolParams()},
	{class: "GlobalMaxPooling2D", aliases: []string{"GlobalMaxPool2D"}, base: "global_max_pooling2d", build: buildGlobalPool, params: globalPoolParams()},
	{class: "BatchNormalization", base: "batch_normalization", build: buildBatchNorm, params: []param{
		{name: "axis", conv: intConv(-4, 3), def: -1},
		{name: "momentum", conv: anyNumber, def: 0.99},
		{name: "epsilon", conv: positive, def: 1e-3},
		{name: "center", conv: boolConv, def: true},
		{name: "scale", conv: boolConv, def: true},
	}},
	{class: "ReLU", base: "re_lu", build: buildReLU, params: []param{
		{name: "max_value", conv: optional(nonNeg)},
		{name: "negative_slope", conv: nonNeg, def: 0.0},
		{name: "threshold", conv: anyNumber, def: 0.0},
	}},
	{class: "LeakyReLU", base: "leaky_re_lu", build: buildLeakyReLU, params: []param{
		// Keras 2 calls the slope alpha, Keras 3 negative_slope; both
		// default to 0.3.
		{name: "alpha", conv: optional(anyNumber)},
		{name: "negative_slope", conv: optional(anyNumber), kwOnly: true},
	}},
	{class: "ZeroPadding2D", base: "zero_padding2d", build: buildZeroPadding, params: []param{
		{name: "padding", conv: zeroPaddingConv, def: [4]int{1, 1, 1, 1}},
		{name: "data_format", conv: dataFormatConv},
	}},
	{class: "Softmax", base: "softmax", build: buildSoftmaxLayer, params: []param{
		{name: "axis", conv: intConv(-4, 3), def: -1},
	}},
}

func poolParams() []param {
	return []param{
		{name: "pool_size", conv: pairConv(1, maxWindow), def: [2]int{2, 2}},
		// None means "the pool size", resolved by the builder.
		{name: "strides", conv: optional(pairConv(1, maxWindow))},
		{name: "padding", conv: padChoice, def: "valid"},
		{name: "data_format", conv: dataFormatConv},
	}
}

func globalPoolParams() []param {
	return []param{
		{name: "data_format", conv: dataFormatConv},
		{name: "keepdims", conv: boolConv, def: false},
	}
}

// specByName maps class names and aliases to specs.
var specByName = func() map[string]*layerSpec {
	m := make(map[string]*layerSpec)
	for _, s := range layerSpecs {
		m[s.class] = s
		for _, a := range s.aliases {
			m[a] = s
		}
	}
	return m
}()

// layerNames lists every class name and alias, sorted, for hints.
func layerNames() []string {
	names := make([]string, 0, len(specByName))
	for n := range specByName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// paramNames lists the argument names a call of spec accepts.
func (s *layerSpec) paramNames() []string {
	var names []string
	for _, p := range s.allParams() {
		names = append(names, p.name)
	}
	return names
}

// allParams is the spec's own parameters followed by the common ones
// (Input and InputLayer have no common ones: they are not layers that
// transform anything).
func (s *layerSpec) allParams() []param {
	if s.input {
		return s.params
	}
	return append(slices.Clip(s.params), commonParams...)
}

// activations are the activation names the DSL knows; builder.activation
// maps each onto IR ops (GRAMMAR.md lists the mapping).
var activations = map[string]bool{
	"linear": true, "relu": true, "relu6": true, "sigmoid": true, "hard_sigmoid": true,
	"tanh": true, "softmax": true, "log_softmax": true, "elu": true, "selu": true,
	"softplus": true, "swish": true, "silu": true, "hard_swish": true, "hard_silu": true,
	"exponential": true,
}

func activationNames() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
