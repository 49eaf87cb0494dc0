package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func build(t *testing.T, src string, opts Options) *ir.Graph {
	t.Helper()
	f, err := Parse("t.cnn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return g
}

// nodeLines describes each node as "name Op [shape] layer Class".
func nodeLines(g *ir.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, fmt.Sprintf("%s %s %v %s %s", n.Name, n.Op.OpType(), n.Outputs[0].Shape, n.Layer, n.LayerType))
	}
	return out
}

func TestBuildLayers(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		graph string // graph name
		input string // "name type"
		nodes []string
	}{
		{
			name: "header, conv variants, pooling, batch norm, dense",
			src: `Input(shape=(12, 12, 3), name='image')
Sequential(name='demo')
Conv2D(4, 3, strides=2, padding='same', activation='relu', use_bias=False)
Conv2D(4, (3, 1), dilation_rate=2, groups=2, activation='swish')
AveragePooling2D(padding='same')
BatchNormalization()
GlobalAveragePooling2D()
BatchNormalization(epsilon=1e-5)
Dense(3, activation='softmax', name='probs')
`,
			graph: "demo", input: "image f32[N,12,12,3] NHWC",
			nodes: []string{
				"conv2d Conv [N,6,6,4] conv2d Conv2D",
				"conv2d/relu Relu [N,6,6,4] conv2d Conv2D",
				"conv2d_1 Conv [N,2,6,4] conv2d_1 Conv2D",
				"conv2d_1/swish Sigmoid [N,2,6,4] conv2d_1 Conv2D",
				"conv2d_1/swish_mul Mul [N,2,6,4] conv2d_1 Conv2D",
				"average_pooling2d AveragePool [N,1,3,4] average_pooling2d AveragePooling2D",
				"batch_normalization BatchNormalization [N,1,3,4] batch_normalization BatchNormalization",
				"global_average_pooling2d GlobalAveragePool [N,1,1,4] global_average_pooling2d GlobalAveragePooling2D",
				"global_average_pooling2d/flatten Flatten [N,4] global_average_pooling2d GlobalAveragePooling2D",
				"batch_normalization_1 BatchNormalization [N,4] batch_normalization_1 BatchNormalization",
				"probs Gemm [N,3] probs Dense",
				"probs/softmax Softmax [N,3] probs Dense",
			},
		},
		{
			name: "Sequential list, InputLayer with batch size, padding, activations",
			src: `model = Sequential([InputLayer(input_shape=(6, 6, 2), batch_size=4), ZeroPadding2D(((1, 0), (2, 3)))], 'seq')
model.add(MaxPooling2D((3, 3), strides=1))
model.add(ReLU(max_value=6.0))
model.add(ReLU(negative_slope=0.1, max_value=6))
model.add(LeakyReLU())
model.add(GlobalMaxPooling2D(keepdims=True))
model.add(Flatten())
model.add(Dropout(0.5))
model.add(Softmax())
model.add(Activation('linear'))
`,
			graph: "seq", input: "input f32[4,6,6,2] NHWC",
			nodes: []string{
				"zero_padding2d Pad [4,7,11,2] zero_padding2d ZeroPadding2D",
				"max_pooling2d MaxPool [4,5,9,2] max_pooling2d MaxPooling2D",
				"re_lu Clip [4,5,9,2] re_lu ReLU",
				"re_lu_1 LeakyRelu [4,5,9,2] re_lu_1 ReLU",
				"re_lu_1/clip Clip [4,5,9,2] re_lu_1 ReLU",
				"leaky_re_lu LeakyRelu [4,5,9,2] leaky_re_lu LeakyReLU",
				"global_max_pooling2d GlobalMaxPool [4,1,1,2] global_max_pooling2d GlobalMaxPooling2D",
				"flatten Flatten [4,2] flatten Flatten",
				"dropout Dropout [4,2] dropout Dropout",
				"softmax Softmax [4,2] softmax Softmax",
				"activation Identity [4,2] activation Activation",
			},
		},
		{
			name: "1-D input, dotted activation, initializers",
			src: `Dense(4, input_dim=5, activation=tf.nn.relu, kernel_initializer='he_uniform', bias_initializer='ones')
Activation('hard_sigmoid')
Activation(activation='selu')
`,
			graph: "sequential", input: "input f32[N,5]",
			nodes: []string{
				"dense Gemm [N,4] dense Dense",
				"dense/relu Relu [N,4] dense Dense",
				"activation HardSigmoid [N,4] activation Activation",
				"activation_1 Selu [N,4] activation_1 Activation",
			},
		},
		{
			name: "default names count per class; name= does not advance the counter",
			src: `from tensorflow.keras import layers
model = keras.Sequential()
model.add(layers.Conv2D(2, 1, batch_input_shape=(None, 4, 4, 1)))
model.add(layers.Conv2D(2, 1, name='mine'))
model.add(layers.Conv2D(2, 1))
model.add(layers.MaxPool2D(1))
model.add(layers.MaxPooling2D(1))
model.add(Convolution2D(2, 1))
`,
			graph: "sequential", input: "input f32[N,4,4,1] NHWC",
			nodes: []string{
				"conv2d Conv [N,4,4,2] conv2d Conv2D",
				"mine Conv [N,4,4,2] mine Conv2D",
				"conv2d_1 Conv [N,4,4,2] conv2d_1 Conv2D",
				"max_pooling2d MaxPool [N,4,4,2] max_pooling2d MaxPooling2D",
				"max_pooling2d_1 MaxPool [N,4,4,2] max_pooling2d_1 MaxPooling2D",
				"conv2d_2 Conv [N,4,4,2] conv2d_2 Conv2D",
			},
		},
		{
			name:  "input shape on the first layer agreeing with Input",
			src:   "Input((5, 5, 1))\nConv2D(1, 5, input_shape=(5, 5, 1))\nFlatten()\n",
			graph: "sequential", input: "input f32[N,5,5,1] NHWC",
			nodes: []string{"conv2d Conv [N,1,1,1] conv2d Conv2D", "flatten Flatten [N,1] flatten Flatten"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.src, Options{})
			if g.Name != tt.graph {
				t.Errorf("graph %q, want %q", g.Name, tt.graph)
			}
			if len(g.Inputs) != 1 || g.Inputs[0].Name+" "+g.Inputs[0].Type.String() != tt.input {
				t.Errorf("inputs %v, want %s", g.Inputs, tt.input)
			}
			got := nodeLines(g)
			if strings.Join(got, "\n") != strings.Join(tt.nodes, "\n") {
				t.Errorf("nodes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.nodes, "\n"))
			}
			if len(g.Outputs) != 1 || g.Outputs[0] != g.Nodes[len(g.Nodes)-1].Outputs[0] {
				t.Errorf("output is not the last node's")
			}
		})
	}
}

// node finds a node by name.
func node(t *testing.T, g *ir.Graph, name string) *ir.Node {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %q", name)
	return nil
}

// TestBuildAttributes checks that Keras arguments land in the right op
// fields, including the ones shape inference canonicalizes.
func TestBuildAttributes(t *testing.T) {
	g := build(t, `Conv2D(6, (3, 2), strides=(2, 1), padding='same', groups=3, use_bias=False, input_shape=(7, 7, 3))
AveragePooling2D(pool_size=(2, 3), padding='same')
MaxPooling2D()
Dropout(rate=0.25)
BatchNormalization(epsilon=0.01, momentum=0.9)
`, Options{})
	c := node(t, g, "conv2d").Op.(*ir.Conv)
	if c.Layout != ir.NHWC || c.Group != 3 || fmt.Sprint(c.Kernel, c.Strides, c.Dilations, c.Pads) != "[3 2] [2 1] [1 1] [1 0 1 1]" {
		t.Errorf("conv %+v", c)
	}
	if n := node(t, g, "conv2d"); len(n.Inputs) != 2 || n.Inputs[1].Name != "conv2d/kernel" || !n.Inputs[1].Shape.Equal(ir.Shape{6, 1, 3, 2}) {
		t.Errorf("conv inputs %v", n.Inputs)
	}
	a := node(t, g, "average_pooling2d").Op.(*ir.AveragePool)
	if a.CountIncludePad || a.Layout != ir.NHWC || fmt.Sprint(a.Kernel, a.Strides, a.Pads) != "[2 3] [2 3] [0 1 0 1]" {
		t.Errorf("average pool %+v", a)
	}
	m := node(t, g, "max_pooling2d").Op.(*ir.MaxPool)
	if fmt.Sprint(m.Kernel, m.Strides) != "[2 2] [2 2]" || m.Layout != ir.NHWC {
		t.Errorf("max pool %+v", m)
	}
	d := node(t, g, "dropout")
	if d.Op.(*ir.Dropout).Ratio != 0.25 || len(d.Outputs) != 2 {
		t.Errorf("dropout %+v with %d outputs", d.Op, len(d.Outputs))
	}
	bn := node(t, g, "batch_normalization")
	if op := bn.Op.(*ir.BatchNormalization); op.Epsilon != 0.01 || op.Layout != ir.NHWC {
		t.Errorf("batch norm %+v", op)
	}
	for i, want := range []string{"", "batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean", "batch_normalization/moving_variance"} {
		if i > 0 && bn.Inputs[i].Name != want {
			t.Errorf("batch norm input %d is %s, want %s", i, bn.Inputs[i].Name, want)
		}
	}
	g = build(t, "Dense(3, input_shape=(4,), use_bias=False)\n", Options{})
	gm := node(t, g, "dense")
	if op := gm.Op.(*ir.Gemm); op.Alpha != 1 || op.Beta != 1 || op.TransA || op.TransB || len(gm.Inputs) != 2 {
		t.Errorf("gemm %+v inputs %d", op, len(gm.Inputs))
	}
}

func TestBuildActivations(t *testing.T) {
	tests := []struct {
		act string
		ops string
	}{
		{"linear", "Identity"},
		{"relu", "Relu"},
		{"relu6", "Clip"},
		{"sigmoid", "Sigmoid"},
		{"hard_sigmoid", "HardSigmoid"},
		{"tanh", "Tanh"},
		{"softmax", "Softmax"},
		{"log_softmax", "LogSoftmax"},
		{"elu", "Elu"},
		{"selu", "Selu"},
		{"softplus", "Softplus"},
		{"swish", "Sigmoid Mul"},
		{"silu", "Sigmoid Mul"},
		{"hard_swish", "HardSwish"},
		{"hard_silu", "HardSwish"},
		{"exponential", "Exp"},
	}
	if len(tests) != len(activations) {
		t.Errorf("%d activations tested, %d known", len(tests), len(activations))
	}
	for _, tt := range tests {
		t.Run(tt.act, func(t *testing.T) {
			for _, form := range []string{"Activation('%s', input_shape=(2, 2, 3))", "Conv2D(3, 1, activation='%s', input_shape=(2, 2, 3))"} {
				g := build(t, fmt.Sprintf(form, tt.act), Options{})
				var ops []string
				for _, n := range g.Nodes {
					if _, conv := n.Op.(*ir.Conv); !conv {
						ops = append(ops, n.Op.OpType())
					}
				}
				want := tt.ops
				if strings.HasPrefix(form, "Conv2D") && tt.act == "linear" {
					want = "" // linear adds nothing after a Conv2D
				}
				if strings.Join(ops, " ") != want {
					t.Errorf("%s: ops %v, want %s", form, ops, want)
				}
				if s, ok := g.Nodes[len(g.Nodes)-1].Op.(interface{ OpType() string }); ok && s.OpType() == "Softmax" {
					if ax := g.Nodes[len(g.Nodes)-1].Op.(*ir.Softmax).Axis; ax != 3 {
						t.Errorf("softmax axis %d, want the channel axis 3", ax)
					}
				}
			}
		})
	}
	// ReLU and LeakyReLU variants.
	g := build(t, "LeakyReLU(0.2, input_shape=(3,))\nLeakyReLU(negative_slope=0.05)\nReLU(negative_slope=0.5)\nReLU(max_value=1)\nActivation('selu')\nActivation('hard_sigmoid')", Options{})
	if a := g.Nodes[0].Op.(*ir.LeakyRelu).Alpha; a != 0.2 {
		t.Errorf("alpha %v", a)
	}
	if a := g.Nodes[1].Op.(*ir.LeakyRelu).Alpha; a != 0.05 {
		t.Errorf("negative_slope %v", a)
	}
	if a := g.Nodes[2].Op.(*ir.LeakyRelu).Alpha; a != 0.5 {
		t.Errorf("ReLU negative_slope %v", a)
	}
	if c := g.Nodes[3].Op.(*ir.Clip); c.Min != 0 || c.Max != 1 {
		t.Errorf("ReLU max_value %+v", c)
	}
	if s := g.Nodes[4].Op.(*ir.Selu); math.Abs(s.Alpha-1.6732632423543772) > 1e-15 || math.Abs(s.Gamma-1.0507009873554805) > 1e-15 {
		t.Errorf("selu %+v", s)
	}
	if h := g.Nodes[5].Op.(*ir.HardSigmoid); h.Alpha != 0.2 || h.Beta != 0.5 {
		t.Errorf("hard_sigmoid %+v", h)
	}
}

func TestBuildZeroPadding(t *testing.T) {
	tests := []struct{ arg, pads, shape string }{
		{"", "[0 1 1 0 0 1 1 0]", "[N,5,6,1]"},
		{"2", "[0 2 2 0 0 2 2 0]", "[N,7,8,1]"},
		{"(1, 2)", "[0 1 2 0 0 1 2 0]", "[N,5,8,1]"},
		{"((1, 0), (0, 3))", "[0 1 0 0 0 0 3 0]", "[N,4,7,1]"},
	}
	for _, tt := range tests {
		sep := ""
		if tt.arg != "" {
			sep = ", "
		}
		g := build(t, "ZeroPadding2D("+tt.arg+sep+"input_shape=(3, 4, 1))", Options{})
		n := g.Nodes[0]
		if got := fmt.Sprint(n.Op.(*ir.Pad).Pads); got != tt.pads || n.Outputs[0].Shape.String() != tt.shape {
			t.Errorf("ZeroPadding2D(%s): pads %s shape %v, want %s %s", tt.arg, got, n.Outputs[0].Shape, tt.pads, tt.shape)
		}
	}
}

// TestBuildErrors covers semantic errors not in the golden files.
func TestBuildErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"Conv2D(8, 3, input_shape=(28, 28))", `t.cnn:1:1: layer "conv2d" (Conv2D): needs a 4-D input (None, height, width, channels), got (None, 28, 28)`},
		{"Conv2D(8, 3, groups=2, input_shape=(28, 28, 3))", `t.cnn:1:1: layer "conv2d" (Conv2D): the input's 3 channels are not divisible by groups=2`},
		{"Conv2D(9, 3, groups=2, input_shape=(28, 28, 4))", "t.cnn:1:14: Conv2D: filters (9) must be divisible by groups (2)"},
		{"MaxPooling2D(input_shape=(1, 5, 1))", `t.cnn:1:1: layer "max_pooling2d" (MaxPooling2D): input shape (None, 1, 5, 1) is smaller than the 2x2 window of pool_size=(2, 2) with padding='valid'; the layer needs an input of at least (None, 2, 5, 1)`},
		{"GlobalAveragePooling2D(input_shape=(5,))", `t.cnn:1:1: layer "global_average_pooling2d" (GlobalAveragePooling2D): needs a 4-D input`},
		{"BatchNormalization(axis=1, input_shape=(4, 4, 2))", `t.cnn:1:20: layer "batch_normalization" (BatchNormalization): axis=1 is not supported: only the channel axis (-1)`},
		{"BatchNormalization(center=False, input_shape=(4,))", "t.cnn:1:20: BatchNormalization: center=False is not supported"},
		{"ReLU(threshold=1, input_shape=(4,))", "t.cnn:1:6: ReLU: a non-zero threshold is not supported"},
		{"Dense(10, input_shape=(4,))\nDense(10, input_shape=(4,))", "t.cnn:2:11: Dense: input_shape is only meaningful on the first layer"},
		{"Input(shape=(4,))\nDense(10, input_shape=(5,))", "t.cnn:2:11: Dense: input shape (5,) disagrees with the input declared at 1:7, (4,)"},
		{"Dense(10, input_shape=(4,))\nInput(shape=(4,))", "t.cnn:2:1: Input must come before the first layer"},
		{"Input(shape=(4,))\nInput(shape=(4,))\nDense(1)", "t.cnn:2:1: the model input is already declared at 1:7"},
		{"Input(batch_size=3)\nDense(1)", "t.cnn:1:1: Input needs a shape, as in Input(shape=(28, 28, 1))"},
		{"Dense(1, input_shape=(4,), input_dim=4)", "t.cnn:1:28: Dense: give only one of input_shape and input_dim"},
		{"Dense(1, batch_input_shape=(2, 4), batch_size=2)", "t.cnn:1:36: Dense: the batch size is already in batch_input_shape"},
		{"Dense(1, input_shape=(4,))\nDense(1, batch_size=2)", "t.cnn:2:10: Dense: batch_size goes with input_shape"},
		{"Dense(1, input_shape=4)", "t.cnn:1:22: Dense argument input_shape: a shape is a tuple; write (4,)"},
		{"Dense(1, input_shape=(1, 2, 3, 4))", "t.cnn:1:22: Dense argument input_shape: want 1 to 3 dimensions"},
		{"Dense(1, input_shape=(0,))", "t.cnn:1:22: Dense argument input_shape: dimension 0 is out of range"},
		{"Dense(1, input_shape=(4,), dtype='float16')", "t.cnn:1:34: Dense argument dtype: cnnc models compute in float32 only"},
		{"Dense(1, input_shape=(4,), name='a/b')", "t.cnn:1:33: Dense argument name: name 'a/b' must be 1 to 128 letters"},
		{"Dense(1, input_shape=(4,), name='input')", `t.cnn:1:1: a layer named "input" clashes with the model input's default name`},
		{"Input((4,), name='x')\nDense(1, name='x')", `t.cnn:2:10: duplicate layer name "x" (first used at 1:13)`},
		{"Conv2D(8, (3, 3, 3), input_shape=(8, 8, 1))", "t.cnn:1:11: Conv2D argument kernel_size: want 2 values (height, width), got 3"},
		{"Conv2D(8, 'big', input_shape=(8, 8, 1))", "t.cnn:1:11: Conv2D argument kernel_size must be an int or a tuple of 2 ints, not the string 'big'"},
		{"Conv2D(8, 3, use_bias=1, input_shape=(8, 8, 1))", "t.cnn:1:23: Conv2D argument use_bias must be True or False, not 1"},
		{"Conv2D(8, 3, kernel_initializer='random', input_shape=(8, 8, 1))", "t.cnn:1:33: Conv2D argument kernel_initializer: unknown value 'random'"},
		{"Conv2D(kernel_size=3, input_shape=(8, 8, 1))", "t.cnn:1:44: Conv2D is missing its required argument filters"},
		{"Conv2D(8, 3, filters=8, input_shape=(8, 8, 1))", "t.cnn:1:14: Conv2D got multiple values for argument filters"},
		{"Conv2D(8, 3, padding='causal', input_shape=(8, 8, 1))", "t.cnn:1:22: Conv2D argument padding: unknown value 'causal'"},
		{"Dense(1, input_shape=(4,), activation=3)", "t.cnn:1:39: Dense argument activation must be None or an activation name such as 'relu', not 3"},
		{"Dense(1, input_shape=(4,), activation=f(x))", "t.cnn:1:39: Dense argument activation: f(x) is a Python expression the DSL does not evaluate"},
		{"Dense(units=-(1), input_shape=(4,))", "t.cnn:1:13: Dense argument units: -1 is out of range"},
		{"Dense(units=-'a', input_shape=(4,))", "t.cnn:1:13: Dense argument units: unary '-' needs a number, not the string 'a'"},
		{"Dense(16777216, input_shape=(16777216,))", `t.cnn:1:1: layer "dense" (Dense): the model would have more than 268435456 parameters`},
		// Shape errors found by the IR's shape rules rather than by the
		// builder's own checks.
		{"ZeroPadding2D(65536, input_shape=(16384, 16384, 1))", `t.cnn:1:1: layer "zero_padding2d" (ZeroPadding2D): shape [N,147456,147456,1] has more than 2^31 elements; input shape (None, 16384, 16384, 1)`},
		{"Conv2D(1024, 1, input_shape=(2048, 2048, 1))", `t.cnn:1:1: layer "conv2d" (Conv2D): shape [N,2048,2048,1024] has more than 2^31 elements; input shape (None, 2048, 2048, 1)`},
		{"Softmax(axis=3, input_shape=(4,))", `t.cnn:1:1: layer "softmax" (Softmax): axis 3 is out of range for rank 2; input shape (None, 4)`},
		{"x = 3", "t.cnn:1:1: only `model = Sequential(...)` assignments are supported, not x = 3"},
		{"model = Sequental()", "t.cnn:1:1: only `model = Sequential(...)` assignments are supported, not model = Sequental(): the DSL describes a model, it does not run Python; did you mean Sequential?"},
		{"model = Sequential()\nm2 = Sequential()", "t.cnn:2:1: a file defines one model; model was already assigned a Sequential model at 1:1"},
		{"model = Sequential()\nSequential()", "t.cnn:2:1: a file defines one model; Sequential(...) was already used at 1:1"},
		{"model = Sequential(name='a', nmae='b')", "t.cnn:1:30: Sequential has no argument nmae; did you mean name?"},
		{"model = Sequential(3)", "t.cnn:1:20: Sequential's layers must be a list of layer calls"},
		{"model = Sequential([3])", "t.cnn:1:21: expected a layer call such as Conv2D(32, 3), found 3"},
		{"model = Sequential([], 'a', 'b')", "t.cnn:1:29: Sequential takes at most 2 positional arguments (layers, name), got 3"},
		{"model = Sequential(name='a')\nSequential(name='b')", "t.cnn:2:1: a file defines one model"},
		{"model.add(Dense(1))", "t.cnn:1:1: model is not defined: start the model with model = Sequential()"},
		{"model = Sequential()\nmodel.add(Dense(1), Dense(2))", "t.cnn:2:7: model.add takes one layer"},
		{"model = Sequential()\nmodel.add(3)", "t.cnn:2:11: expected a layer call such as Conv2D(32, (3, 3)), found 3"},
		{"model = Sequential()\nmodel.ad(Dense(1))", "t.cnn:2:7: model.ad(...) is not supported: a model file holds the model definition only (model.add, model.summary and model.compile); did you mean add?"},
		{"model = Sequential()\nmodel.save('m.h5')", "t.cnn:2:7: model.save(...) is not supported"},
		{"net = Sequential()\nmodel.add(Dense(1))", "t.cnn:2:1: model is not defined; the model is net (assigned at 1:1)"},
		{"print('hello')", "t.cnn:1:1: print(...) is not supported"},
		{"Dense", "t.cnn:1:1: Dense does nothing: a statement must be a call"},
		{"Dense(1)(x)", "t.cnn:1:1: expected a layer call such as Conv2D(32, (3, 3)), found Dense(1)(x)"},
		{"model = Sequential()\nmodel.add(Foo(1))", "t.cnn:2:11: unknown layer Foo; cnnc knows Activation, AveragePooling2D"},
		{"Dense(1, input_shape=(4,), input_sahpe=(4,))", "t.cnn:1:28: Dense has no argument input_sahpe; did you mean input_shape?"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, err := Parse("t.cnn", []byte(tt.src))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, err = Build(f, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestBuildLimits checks the bounds on model size.
func TestBuildLimits(t *testing.T) {
	src := "Input((1,))\n" + strings.Repeat("Activation('relu')\n", maxLayers+1)
	f, err := Parse("t.cnn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(f, Options{}); err == nil || !strings.Contains(err.Error(), "more than 10000 layers") {
		t.Errorf("layer limit: %v", err)
	}
	if _, err := Build(nil, Options{}); err == nil {
		t.Error("Build(nil) succeeded")
	}
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.cnn"), Options{}); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.cnn")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), MaxSourceSize), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, Options{}); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("oversized file: %v", err)
	}
}
