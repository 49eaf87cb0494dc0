package onnx

import (
	"math"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// opCase is one importer test: a model, and either the imported nodes
// (as ops() prints them) or an error substring.
type opCase struct {
	name    string
	model   *testModel
	want    string
	wantErr string
}

// x4 is a model with an NCHW float input x of shape [1,3,8,8].
func x4(opset int64) *testModel { return newModel(opset).input("x", tFloat, 1, 3, 8, 8) }

// x2 is a model with a float input x of shape [2,6].
func x2(opset int64) *testModel { return newModel(opset).input("x", tFloat, 2, 6) }

func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := c.model.load(t, Options{})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ops(g); got != c.want {
				t.Errorf("imported\n  %s\nwant\n  %s", got, c.want)
			}
		})
	}
}

func TestConvImport(t *testing.T) {
	w := f32(ir.Shape{4, 3, 3, 3})
	runOpCases(t, []opCase{
		{"explicit", x4(13).init("w", w).init("b", f32(ir.Shape{4})).
			node("Conv", []string{"x", "w", "b"}, []string{"y"}, aInts("pads", 1, 1, 1, 1), aInts("strides", 2, 2)).output("y"),
			"Conv{Kernel=[3 3] Strides=[2 2] Pads=[1 1 1 1] Dilations=[1 1] Group=1 Layout=NCHW}: f32[1,4,4,4] NCHW", ""},
		{"same_upper", x4(13).init("w", w).
			node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2), aInts("kernel_shape", 3, 3)).output("y"),
			"Conv{Kernel=[3 3] Strides=[2 2] Pads=[0 0 1 1] Dilations=[1 1] Group=1 Layout=NCHW}: f32[1,4,4,4] NCHW", ""},
		{"same_lower", x4(13).init("w", w).
			node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "SAME_LOWER"), aInts("strides", 2, 2)).output("y"),
			"Conv{Kernel=[3 3] Strides=[2 2] Pads=[1 1 0 0] Dilations=[1 1] Group=1 Layout=NCHW}: f32[1,4,4,4] NCHW", ""},
		{"valid_dilated_group", x4(11).init("w", f32(ir.Shape{3, 1, 2, 2})).
			node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "VALID"), aInts("dilations", 2, 2), aInt("group", 3)).output("y"),
			"Conv{Kernel=[2 2] Strides=[1 1] Pads=[0 0 0 0] Dilations=[2 2] Group=3 Layout=NCHW}: f32[1,3,6,6] NCHW", ""},
		{"bad_auto_pad", x4(13).init("w", w).
			node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "SAME")).output("y"),
			"", `auto_pad "SAME" is not one of`},
		{"unknown_attribute", x4(13).init("w", w).
			node("Conv", []string{"x", "w"}, []string{"y"}, aInt("quantize", 1)).output("y"),
			"", `attribute "quantize" not supported`},
		{"group_mismatch", x4(13).init("w", w).
			node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", 2)).output("y"),
			"", "group 2 does not divide"},
		{"convtranspose_output_shape", newModel(13).input("x", tFloat, 1, 1, 3, 3).init("w", f32(ir.Shape{1, 2, 3, 3})).
			node("ConvTranspose", []string{"x", "w"}, []string{"y"}, aInts("strides", 3, 2), aInts("output_shape", 10, 8)).output("y"),
			"ConvTranspose{Kernel=[3 3] Strides=[3 2] Pads=[0 0 -1 -1] Dilations=[1 1] Group=1 OutputPadding=[0 0] Layout=NCHW}: f32[1,2,10,8] NCHW", ""},
		{"convtranspose_full_output_shape", newModel(13).input("x", tFloat, 1, 1, 3, 3).init("w", f32(ir.Shape{1, 2, 3, 3})).
			node("ConvTranspose", []string{"x", "w"}, []string{"y"}, aInts("strides", 3, 2), aInts("output_shape", 1, 2, 10, 8)).output("y"),
			"ConvTranspose{Kernel=[3 3] Strides=[3 2] Pads=[0 0 -1 -1] Dilations=[1 1] Group=1 OutputPadding=[0 0] Layout=NCHW}: f32[1,2,10,8] NCHW", ""},
		{"convtranspose_padding", newModel(13).input("x", tFloat, 1, 1, 3, 3).init("w", f32(ir.Shape{1, 2, 3, 3})).
			node("ConvTranspose", []string{"x", "w"}, []string{"y"}, aInts("strides", 3, 2), aInts("output_padding", 1, 1), aInts("pads", 0, 0, 0, 0)).output("y"),
			"ConvTranspose{Kernel=[3 3] Strides=[3 2] Pads=[0 0 0 0] Dilations=[1 1] Group=1 OutputPadding=[1 1] Layout=NCHW}: f32[1,2,10,8] NCHW", ""},
		{"int_input", newModel(13).input("x", pb.TensorProto_UINT8, 1, 1, 3, 3).init("w", f32(ir.Shape{1, 1, 1, 1})).
			node("Conv", []string{"x", "w"}, []string{"y"}).output("y"),
			"", "u8 tensors are not supported"},
	})
}

func TestPoolImport(t *testing.T) {
	runOpCases(t, []opCase{
		{"maxpool_ceil_dilations", x4(12).node("MaxPool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInt("ceil_mode", 1), aInts("dilations", 1, 1), aInts("pads", 1, 1, 1, 1)).output("y"),
			"MaxPool{Kernel=[3 3] Strides=[2 2] Pads=[1 1 1 1] Dilations=[1 1] CeilMode=true Layout=NCHW}: f32[1,3,5,5] NCHW", ""},
		{"maxpool_ceil_before_10", x4(8).node("MaxPool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 3, 3), aInt("ceil_mode", 1)).output("y"),
			"", `attribute "ceil_mode" not supported`},
		{"maxpool_storage_order", x4(8).node("MaxPool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 2, 2), aInt("storage_order", 1)).output("y"),
			"MaxPool{Kernel=[2 2] Strides=[1 1] Pads=[0 0 0 0] Dilations=[1 1] Layout=NCHW}: f32[1,3,7,7] NCHW", ""},
		{"maxpool_indices_used", x4(12).node("MaxPool", []string{"x"}, []string{"y", "i"}, aInts("kernel_shape", 2, 2)).output("y", "i"),
			"", `output 1 "i" is used`},
		{"maxpool_indices_unused", x4(12).node("MaxPool", []string{"x"}, []string{"y", "i"}, aInts("kernel_shape", 2, 2)).output("y"),
			"MaxPool{Kernel=[2 2] Strides=[1 1] Pads=[0 0 0 0] Dilations=[1 1] Layout=NCHW}: f32[1,3,7,7] NCHW", ""},
		{"maxpool_no_kernel", x4(12).node("MaxPool", []string{"x"}, []string{"y"}).output("y"),
			"", "kernel_shape is required"},
		{"averagepool_count_include_pad", x4(11).node("AveragePool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 3, 3), aString("auto_pad", "SAME_UPPER"), aInt("count_include_pad", 1)).output("y"),
			"AveragePool{Kernel=[3 3] Strides=[1 1] Pads=[1 1 1 1] Dilations=[1 1] Layout=NCHW CountIncludePad=true}: f32[1,3,8,8] NCHW", ""},
		{"averagepool_dilations_19", x4(19).node("AveragePool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 2, 2), aInts("dilations", 2, 2)).output("y"),
			"AveragePool{Kernel=[2 2] Strides=[1 1] Pads=[0 0 0 0] Dilations=[2 2] Layout=NCHW}: f32[1,3,6,6] NCHW", ""},
		{"averagepool_dilations_before_19", x4(18).node("AveragePool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 2, 2), aInts("dilations", 2, 2)).output("y"),
			"", `attribute "dilations" not supported`},
		{"averagepool_count_include_pad_before_7", x4(6).node("AveragePool", []string{"x"}, []string{"y"},
			aInts("kernel_shape", 2, 2), aInt("count_include_pad", 1)).output("y"),
			"", `attribute "count_include_pad" not supported`},
		{"global", x4(13).node("GlobalAveragePool", []string{"x"}, []string{"a"}).node("GlobalMaxPool", []string{"x"}, []string{"m"}).output("a", "m"),
			"GlobalAveragePool{Layout=NCHW}: f32[1,3,1,1] NCHW; GlobalMaxPool{Layout=NCHW}: f32[1,3,1,1] NCHW", ""},
	})
}

func TestGemmImport(t *testing.T) {
	runOpCases(t, []opCase{
		{"all_attributes", x2(13).init("w", f32(ir.Shape{4, 6})).init("c", f32(ir.Shape{4})).
			node("Gemm", []string{"x", "w", "c"}, []string{"y"}, aInt("transB", 1), aFloat("alpha", 0.5), aFloat("beta", 2)).output("y"),
			"Gemm{TransB=true Alpha=0.5 Beta=2}: f32[2,4]", ""},
		{"defaults_no_c_11", x2(11).init("w", f32(ir.Shape{6, 4})).
			node("Gemm", []string{"x", "w"}, []string{"y"}).output("y"),
			"Gemm{Alpha=1 Beta=1}: f32[2,4]", ""},
		{"transA", newModel(13).input("x", tFloat, 6, 2).init("w", f32(ir.Shape{6, 4})).
			node("Gemm", []string{"x", "w"}, []string{"y"}, aInt("transA", 1)).output("y"),
			"Gemm{TransA=true Alpha=1 Beta=1}: f32[2,4]", ""},
		{"legacy_broadcast", x2(6).init("w", f32(ir.Shape{6, 4})).init("c", f32(ir.Shape{4})).
			node("Gemm", []string{"x", "w", "c"}, []string{"y"}, aInt("broadcast", 1)).output("y"),
			"Gemm{Alpha=1 Beta=1}: f32[2,4]", ""},
		{"broadcast_after_6", x2(7).init("w", f32(ir.Shape{6, 4})).init("c", f32(ir.Shape{4})).
			node("Gemm", []string{"x", "w", "c"}, []string{"y"}, aInt("broadcast", 1)).output("y"),
			"", `attribute "broadcast" not supported`},
		{"bad_trans", x2(13).init("w", f32(ir.Shape{6, 4})).
			node("Gemm", []string{"x", "w"}, []string{"y"}, aInt("transB", 2)).output("y"),
			"", "transB = 2, want 0 or 1"},
		{"matmul", newModel(13).input("x", tFloat, 2, 3, 6).init("w", f32(ir.Shape{6, 4})).
			node("MatMul", []string{"x", "w"}, []string{"y"}).output("y"),
			"MatMul{}: f32[2,3,4]", ""},
	})
}

func TestNormImport(t *testing.T) {
	c := f32(ir.Shape{3}, 1, 2, 3)
	bn := func(opset int64, attrs ...*pb.AttributeProto) *testModel {
		return x4(opset).init("s", c).init("b", c).init("m", c).init("v", c).
			node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"}, attrs...).output("y")
	}
	runOpCases(t, []opCase{
		{"bn_15", bn(15, aFloat("epsilon", 1e-3), aFloat("momentum", 0.9)),
			"BatchNormalization{Epsilon=0.0010000000474974513}: f32[1,3,8,8] NCHW", ""},
		{"bn_6_is_test_spatial", bn(6, aInt("is_test", 1), aInt("spatial", 1), aInts("consumed_inputs", 0, 0, 0, 1, 1)),
			"BatchNormalization{Epsilon=9.999999747378752e-06}: f32[1,3,8,8] NCHW", ""},
		{"bn_spatial_0", bn(7, aInt("spatial", 0)), "", "spatial=0"},
		{"bn_spatial_after_8", bn(9, aInt("spatial", 1)), "", `attribute "spatial" not supported`},
		{"bn_training_mode", bn(15, aInt("training_mode", 1)), "", "training_mode=1 is not supported"},
		{"bn_training_outputs", x4(9).init("s", c).init("b", c).init("m", c).init("v", c).
			node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y", "rm"}).output("y", "rm"),
			"", `output 1 "rm" is used`},
		{"instancenorm", x4(6).init("s", c).init("b", c).
			node("InstanceNormalization", []string{"x", "s", "b"}, []string{"y"}, aFloat("epsilon", 0.5)).output("y"),
			"InstanceNormalization{Epsilon=0.5}: f32[1,3,8,8] NCHW", ""},
		{"lrn", x4(13).node("LRN", []string{"x"}, []string{"y"}, aInt("size", 3), aFloat("alpha", 0.5), aFloat("beta", 0.25), aFloat("bias", 2)).output("y"),
			"LRN{Size=3 Alpha=0.5 Beta=0.25 Bias=2}: f32[1,3,8,8] NCHW", ""},
		{"lrn_no_size", x4(13).node("LRN", []string{"x"}, []string{"y"}).output("y"), "", "size is required"},
	})
}

func TestElementwiseImport(t *testing.T) {
	un := func(op string, attrs ...*pb.AttributeProto) *testModel {
		return x2(13).node(op, []string{"x"}, []string{"y"}, attrs...).output("y")
	}
	runOpCases(t, []opCase{
		{"relu", un("Relu"), "Relu{}: f32[2,6]", ""},
		{"leakyrelu_default", un("LeakyRelu"), "LeakyRelu{Alpha=0.009999999776482582}: f32[2,6]", ""},
		{"leakyrelu", un("LeakyRelu", aFloat("alpha", 0.5)), "LeakyRelu{Alpha=0.5}: f32[2,6]", ""},
		{"elu", un("Elu"), "Elu{Alpha=1}: f32[2,6]", ""},
		{"selu", un("Selu"), "Selu{Alpha=1.6732631921768188 Gamma=1.0507010221481323}: f32[2,6]", ""},
		{"hardsigmoid", un("HardSigmoid", aFloat("alpha", 0.5)), "HardSigmoid{Alpha=0.5 Beta=0.5}: f32[2,6]", ""},
		{"hardswish", x2(14).node("HardSwish", []string{"x"}, []string{"y"}).output("y"), "HardSwish{}: f32[2,6]", ""},
		{"hardswish_before_14", x2(13).node("HardSwish", []string{"x"}, []string{"y"}).output("y"), "", "HardSwish (ai.onnx, opset 13) [supported at opsets 14 to 25]"},
		{"unary_chain", x2(13).node("Exp", []string{"x"}, []string{"a"}).node("Log", []string{"a"}, []string{"b"}).
			node("Neg", []string{"b"}, []string{"c"}).node("Abs", []string{"c"}, []string{"d"}).node("Sqrt", []string{"d"}, []string{"e"}).
			node("Reciprocal", []string{"e"}, []string{"f"}).node("Floor", []string{"f"}, []string{"g"}).node("Ceil", []string{"g"}, []string{"h"}).
			node("Erf", []string{"h"}, []string{"i"}).node("Softplus", []string{"i"}, []string{"j"}).node("Sigmoid", []string{"j"}, []string{"k"}).
			node("Tanh", []string{"k"}, []string{"l"}).node("Identity", []string{"l"}, []string{"m"}).output("m"),
			"Exp{}: f32[2,6]; Log{}: f32[2,6]; Neg{}: f32[2,6]; Abs{}: f32[2,6]; Sqrt{}: f32[2,6]; Reciprocal{}: f32[2,6]; Floor{}: f32[2,6]; Ceil{}: f32[2,6]; Erf{}: f32[2,6]; Softplus{}: f32[2,6]; Sigmoid{}: f32[2,6]; Tanh{}: f32[2,6]; Identity{}: f32[2,6]", ""},
		{"binary", x2(14).init("c", f32(ir.Shape{6})).node("Add", []string{"x", "c"}, []string{"a"}).node("Sub", []string{"a", "c"}, []string{"b"}).
			node("Mul", []string{"b", "c"}, []string{"d"}).node("Div", []string{"d", "c"}, []string{"e"}).node("Pow", []string{"e", "c"}, []string{"f"}).
			node("Less", []string{"f", "c"}, []string{"g"}).node("Greater", []string{"f", "c"}, []string{"h"}).node("Equal", []string{"f", "c"}, []string{"i"}).
			node("Where", []string{"g", "x", "c"}, []string{"j"}).output("h", "i", "j"),
			"Add{}: f32[2,6]; Sub{}: f32[2,6]; Mul{}: f32[2,6]; Div{}: f32[2,6]; Pow{}: f32[2,6]; Less{}: bool[2,6]; Greater{}: bool[2,6]; Equal{}: bool[2,6]; Where{}: f32[2,6]", ""},
		{"variadic", x2(13).init("c", f32(ir.Shape{6})).node("Max", []string{"x", "c", "x"}, []string{"a"}).node("Min", []string{"a"}, []string{"b"}).
			node("Sum", []string{"b", "c"}, []string{"d"}).node("Mean", []string{"d", "c"}, []string{"e"}).output("e"),
			"Max{}: f32[2,6]; Min{}: f32[2,6]; Sum{}: f32[2,6]; Mean{}: f32[2,6]", ""},
		{"legacy_broadcast_axis", x4(6).init("c", f32(ir.Shape{3})).node("Add", []string{"x", "c"}, []string{"y"}, aInt("broadcast", 1), aInt("axis", 1)).output("y"),
			"Add{}: f32[1,3,8,8]", ""},
		{"legacy_broadcast_runtime", x4(6).input("c", tFloat, 3).node("Mul", []string{"x", "c"}, []string{"y"}, aInt("broadcast", 1), aInt("axis", 1)).output("y"),
			"Unsqueeze{Axes=[1 2]}: f32[3,1,1]; Mul{}: f32[1,3,8,8]", ""},
		{"legacy_broadcast_suffix", x4(6).input("c", tFloat, 8).node("Sub", []string{"x", "c"}, []string{"y"}, aInt("broadcast", 1)).output("y"),
			"Sub{}: f32[1,3,8,8]", ""},
		{"legacy_broadcast_bad_axis", x4(6).input("c", tFloat, 3, 8).node("Sub", []string{"x", "c"}, []string{"y"}, aInt("broadcast", 1), aInt("axis", 3)).output("y"),
			"", "does not fit"},
		{"broadcast_attr_after_6", x4(7).input("c", tFloat, 8).node("Add", []string{"x", "c"}, []string{"y"}, aInt("broadcast", 1)).output("y"),
			"", `attribute "broadcast" not supported`},
		{"prelu_legacy_channel", x4(6).input("s", tFloat, 3).node("PRelu", []string{"x", "s"}, []string{"y"}).output("y"),
			"Unsqueeze{Axes=[1 2]}: f32[3,1,1]; PRelu{}: f32[1,3,8,8]", ""},
		{"prelu_9", x4(9).input("s", tFloat, 3, 1, 1).node("PRelu", []string{"x", "s"}, []string{"y"}).output("y"),
			"PRelu{}: f32[1,3,8,8]", ""},
		{"int_sigmoid", newModel(13).input("x", tInt64, 3).node("Sigmoid", []string{"x"}, []string{"y"}).output("y"),
			"", "i64 tensors are not supported: cnnc defines Sigmoid on floating point only"},
		{"int_relu", newModel(14).input("x", tInt64, 3).node("Relu", []string{"x"}, []string{"y"}).output("y"),
			"Relu{}: i64[3]", ""},
	})
}

func TestClipImport(t *testing.T) {
	runOpCases(t, []opCase{
		{"attrs_6", x2(6).node("Clip", []string{"x"}, []string{"y"}, aFloat("min", -1), aFloat("max", 6)).output("y"),
			"Clip{Min=-1 Max=6}: f32[2,6]", ""},
		{"attrs_default", x2(6).node("Clip", []string{"x"}, []string{"y"}).output("y"),
			"Clip{Min=-Inf Max=+Inf}: f32[2,6]", ""},
		{"inputs_11", x2(11).init("lo", f32(ir.Shape{}, 0)).init("hi", f32(ir.Shape{}, 6)).
			node("Clip", []string{"x", "lo", "hi"}, []string{"y"}).output("y"),
			"Clip{Max=6}: f32[2,6]", ""},
		{"only_max_13", x2(13).init("hi", f32(ir.Shape{}, 6)).
			node("Clip", []string{"x", "", "hi"}, []string{"y"}).output("y"),
			"Clip{Min=-Inf Max=6}: f32[2,6]", ""},
		{"attr_after_11", x2(11).node("Clip", []string{"x"}, []string{"y"}, aFloat("min", -1)).output("y"),
			"", `attribute "min" not supported`},
		{"runtime_bound", x2(13).input("hi", tFloat).node("Clip", []string{"x", "", "hi"}, []string{"y"}).output("y"),
			"", `max computed at run time is not supported (input "hi" depends on graph input "hi")`},
	})
}

func TestSoftmaxImport(t *testing.T) {
	x3 := func(opset int64) *testModel { return newModel(opset).input("x", tFloat, 2, 3, 4) }
	runOpCases(t, []opCase{
		{"softmax_11_default", x3(11).node("Softmax", []string{"x"}, []string{"y"}).output("y"),
			"Softmax{Axis=1 Coerce2D=true}: f32[2,3,4]", ""},
		{"softmax_13_default", x3(13).node("Softmax", []string{"x"}, []string{"y"}).output("y"),
			"Softmax{Axis=2}: f32[2,3,4]", ""},
		{"logsoftmax_1_axis", x3(1).node("LogSoftmax", []string{"x"}, []string{"y"}, aInt("axis", 2)).output("y"),
			"LogSoftmax{Axis=2 Coerce2D=true}: f32[2,3,4]", ""},
		{"logsoftmax_13_negative", x3(13).node("LogSoftmax", []string{"x"}, []string{"y"}, aInt("axis", -2)).output("y"),
			"LogSoftmax{Axis=1}: f32[2,3,4]", ""},
		{"bad_axis", x3(13).node("Softmax", []string{"x"}, []string{"y"}, aInt("axis", 3)).output("y"),
			"", "axis 3 is out of range for rank 3"},
	})
}

func TestReduceImport(t *testing.T) {
	x3 := func(opset int64) *testModel { return newModel(opset).input("x", tFloat, 2, 3, 4) }
	runOpCases(t, []opCase{
		{"mean_attr", x3(13).node("ReduceMean", []string{"x"}, []string{"y"}, aInts("axes", -1, 1)).output("y"),
			"ReduceMean{Axes=[1 2] KeepDims=true}: f32[2,1,1]", ""},
		{"mean_input_18", x3(18).init("ax", i64(1)).node("ReduceMean", []string{"x", "ax"}, []string{"y"}, aInt("keepdims", 0)).output("y"),
			"ReduceMean{Axes=[1]}: f32[2,4]", ""},
		{"mean_axes_attr_18", x3(18).node("ReduceMean", []string{"x"}, []string{"y"}, aInts("axes", 1)).output("y"),
			"", `attribute "axes" not supported`},
		{"sum_input_13", x3(13).init("ax", i64(0, 2)).node("ReduceSum", []string{"x", "ax"}, []string{"y"}).output("y"),
			"ReduceSum{Axes=[0 2] KeepDims=true}: f32[1,3,1]", ""},
		{"sum_attr_11", x3(11).node("ReduceSum", []string{"x"}, []string{"y"}, aInts("axes", 0)).output("y"),
			"ReduceSum{Axes=[0] KeepDims=true}: f32[1,3,4]", ""},
		{"sum_all", x3(13).node("ReduceSum", []string{"x"}, []string{"y"}, aInt("keepdims", 0)).output("y"),
			"ReduceSum{}: f32[]", ""},
		{"sum_empty_noop", x3(13).init("ax", i64()).node("ReduceSum", []string{"x", "ax"}, []string{"y"}, aInt("noop_with_empty_axes", 1)).output("y"),
			"ReduceSum{KeepDims=true NoopWithEmptyAxes=true}: f32[2,3,4]", ""},
		{"max_min", x3(18).node("ReduceMax", []string{"x"}, []string{"a"}).node("ReduceMin", []string{"a"}, []string{"b"}).output("b"),
			"ReduceMax{KeepDims=true}: f32[1,1,1]; ReduceMin{KeepDims=true}: f32[1,1,1]", ""},
		{"runtime_axes", x3(18).input("ax", tInt64, 1).node("ReduceMax", []string{"x", "ax"}, []string{"y"}).output("y"),
			"", "axes computed at run time is not supported"},
	})
}

func TestShapeOpsImport(t *testing.T) {
	x3 := func(opset int64) *testModel { return newModel(opset).input("x", tFloat, 2, 3, 4) }
	runOpCases(t, []opCase{
		{"reshape_attr_1", x3(1).node("Reshape", []string{"x"}, []string{"y"}, aInts("shape", 6, -1)).output("y"),
			"Reshape{Shape=[6 -1]}: f32[6,4]", ""},
		{"reshape_attr_after_5", x3(5).init("s", i64(6, -1)).node("Reshape", []string{"x", "s"}, []string{"y"}, aInts("shape", 6, -1)).output("y"),
			"", `attribute "shape" not supported`},
		{"reshape_input_5", x3(5).init("s", i64(0, -1)).node("Reshape", []string{"x", "s"}, []string{"y"}).output("y"),
			"Reshape{Shape=[0 -1]}: f32[2,12]", ""},
		{"reshape_allowzero", x3(14).init("s", i64(2, 12)).node("Reshape", []string{"x", "s"}, []string{"y"}, aInt("allowzero", 1)).output("y"),
			"Reshape{Shape=[2 12] AllowZero=true}: f32[2,12]", ""},
		{"reshape_minus_two", x3(14).init("s", i64(-2, 12)).node("Reshape", []string{"x", "s"}, []string{"y"}).output("y"),
			"", "shape entry 0 is -2, out of range"},
		{"reshape_runtime", x3(14).input("s", tInt64, 2).node("Reshape", []string{"x", "s"}, []string{"y"}).output("y"),
			"", `node "Reshape_0" (Reshape, opset 14): shape computed at run time is not supported (input "s" depends on graph input "s")`},
		{"flatten", x3(13).node("Flatten", []string{"x"}, []string{"y"}, aInt("axis", -1)).output("y"),
			"Flatten{Axis=2}: f32[6,4]", ""},
		{"squeeze_attr", newModel(11).input("x", tFloat, 2, 1, 4).node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", -2)).output("y"),
			"Squeeze{Axes=[1]}: f32[2,4]", ""},
		{"squeeze_all_13", newModel(13).input("x", tFloat, 1, 2, 1).node("Squeeze", []string{"x"}, []string{"y"}).output("y"),
			"Squeeze{}: f32[2]", ""},
		{"squeeze_input_13", newModel(13).input("x", tFloat, 1, 2, 1).init("a", i64(2)).node("Squeeze", []string{"x", "a"}, []string{"y"}).output("y"),
			"Squeeze{Axes=[2]}: f32[1,2]", ""},
		{"unsqueeze_attr", x3(11).node("Unsqueeze", []string{"x"}, []string{"y"}, aInts("axes", 0, -1)).output("y"),
			"Unsqueeze{Axes=[0 4]}: f32[1,2,3,4,1]", ""},
		{"unsqueeze_input_13", x3(13).init("a", i64(1)).node("Unsqueeze", []string{"x", "a"}, []string{"y"}).output("y"),
			"Unsqueeze{Axes=[1]}: f32[2,1,3,4]", ""},
		{"unsqueeze_attr_13", x3(13).node("Unsqueeze", []string{"x"}, []string{"y"}, aInts("axes", 0)).output("y"),
			"", "needs 2 inputs, has 1"},
		{"transpose", x3(13).node("Transpose", []string{"x"}, []string{"y"}, aInts("perm", 2, 0, 1)).output("y"),
			"Transpose{Perm=[2 0 1]}: f32[4,2,3]", ""},
		{"transpose_default", x3(13).node("Transpose", []string{"x"}, []string{"y"}).output("y"),
			"Transpose{Perm=[2 1 0]}: f32[4,3,2]", ""},
		{"concat", x3(13).node("Concat", []string{"x", "x"}, []string{"y"}, aInt("axis", -1)).output("y"),
			"Concat{Axis=2}: f32[2,3,8]", ""},
		{"concat_default_axis_1", x3(1).node("Concat", []string{"x", "x"}, []string{"y"}).output("y"),
			"Concat{Axis=1}: f32[2,6,4]", ""},
		{"concat_no_axis_4", x3(4).node("Concat", []string{"x", "x"}, []string{"y"}).output("y"),
			"", "attribute axis is required"},
		{"gather", x3(13).input("i", tInt64, 5).node("Gather", []string{"x", "i"}, []string{"y"}, aInt("axis", 1)).output("y"),
			"Gather{Axis=1}: f32[2,5,4]", ""},
		{"split_equal", x3(13).node("Split", []string{"x"}, []string{"a", "b"}, aInt("axis", 2)).output("a", "b"),
			"Slice{Starts=[0] Ends=[2] Axes=[2]}: f32[2,3,2]; Slice{Starts=[2] Ends=[4] Axes=[2]}: f32[2,3,2]", ""},
		{"split_attr", x3(11).node("Split", []string{"x"}, []string{"a", "b"}, aInt("axis", 1), aInts("split", 1, 2)).output("a", "b"),
			"Slice{Starts=[0] Ends=[1] Axes=[1]}: f32[2,1,4]; Slice{Starts=[1] Ends=[3] Axes=[1]}: f32[2,2,4]", ""},
		{"split_num_outputs", x3(18).node("Split", []string{"x"}, []string{"a", "b"}, aInt("axis", 1), aInt("num_outputs", 2)).output("a", "b"),
			"Slice{Starts=[0] Ends=[2] Axes=[1]}: f32[2,2,4]; Slice{Starts=[2] Ends=[3] Axes=[1]}: f32[2,1,4]", ""},
		{"tile", x3(13).init("r", i64(1, 2, 1)).node("Tile", []string{"x", "r"}, []string{"y"}).output("y"),
			"Concat{Axis=1}: f32[2,6,4]", ""},
		{"expand", newModel(13).input("x", tFloat, 3, 1).init("s", i64(2, 1, 4)).node("Expand", []string{"x", "s"}, []string{"y"}).output("y"),
			"Add{}: f32[2,3,4]", ""},
		{"expand_noop", newModel(13).input("x", tFloat, 3, 1).init("s", i64(1, 1)).node("Expand", []string{"x", "s"}, []string{"y"}).output("y"),
			"Identity{}: f32[3,1]", ""},
	})
}

func TestPadSliceImport(t *testing.T) {
	runOpCases(t, []opCase{
		{"pad_1_paddings", x2(1).node("Pad", []string{"x"}, []string{"y"}, aInts("paddings", 0, 1, 0, 2), aString("mode", "edge")).output("y"),
			"Pad{Pads=[0 1 0 2] Mode=edge}: f32[2,9]", ""},
		{"pad_2_pads_value", x2(2).node("Pad", []string{"x"}, []string{"y"}, aInts("pads", 1, 0, 1, 0), aFloat("value", 1.5)).output("y"),
			"Pad{Pads=[1 0 1 0] Value=1.5}: f32[4,6]", ""},
		{"pad_11_inputs", x2(11).init("p", i64(0, 1, 0, 1)).init("v", f32(ir.Shape{}, -1)).
			node("Pad", []string{"x", "p", "v"}, []string{"y"}, aString("mode", "reflect")).output("y"),
			"Pad{Pads=[0 1 0 1] Mode=reflect Value=-1}: f32[2,8]", ""},
		{"pad_18_axes", x4(18).init("p", i64(1, 2, 3, 4)).init("a", i64(-1, 2)).
			node("Pad", []string{"x", "p", "", "a"}, []string{"y"}).output("y"),
			"Pad{Pads=[0 0 2 1 0 0 4 3]}: f32[1,3,14,12]", ""},
		{"pad_axes_before_18", x4(13).init("p", i64(1, 2)).init("a", i64(-1)).
			node("Pad", []string{"x", "p", "", "a"}, []string{"y"}).output("y"),
			"", "needs 2 to 3 inputs, has 4"},
		{"pad_wrap_before_19", x2(18).init("p", i64(0, 1, 0, 1)).node("Pad", []string{"x", "p"}, []string{"y"}, aString("mode", "wrap")).output("y"),
			"", `mode "wrap" is not a pad mode of this opset`},
		{"pad_wrap_19", x2(19).init("p", i64(0, 1, 0, 1)).node("Pad", []string{"x", "p"}, []string{"y"}, aString("mode", "wrap")).output("y"),
			"Pad{Pads=[0 1 0 1] Mode=wrap}: f32[2,8]", ""},
		{"pad_bad_length", x2(13).init("p", i64(0, 1)).node("Pad", []string{"x", "p"}, []string{"y"}).output("y"),
			"", "pads [0 1] must have 4 entries"},
		{"slice_attrs_1", x2(1).node("Slice", []string{"x"}, []string{"y"}, aInts("starts", 1), aInts("ends", 100), aInts("axes", 1)).output("y"),
			"Slice{Starts=[1] Ends=[100] Axes=[1]}: f32[2,5]", ""},
		{"slice_inputs_10", x2(10).init("s", i64(0, 5)).init("e", i64(1, 0)).init("a", i64(0, 1)).init("st", i64(1, -2)).
			node("Slice", []string{"x", "s", "e", "a", "st"}, []string{"y"}).output("y"),
			"Slice{Starts=[0 5] Ends=[1 0] Axes=[0 1] Steps=[1 -2]}: f32[1,3]", ""},
		{"slice_attrs_10", x2(10).init("s", i64(0)).init("e", i64(1)).node("Slice", []string{"x", "s", "e"}, []string{"y"}, aInts("starts", 0)).output("y"),
			"", `attribute "starts" not supported`},
	})
}

func TestCastConstantImport(t *testing.T) {
	runOpCases(t, []opCase{
		{"cast_6", x2(6).node("Cast", []string{"x"}, []string{"y"}, aInt("to", int64(tInt64))).output("y"),
			"Cast{To=i64}: i64[2,6]", ""},
		{"cast_1_string", x2(1).node("Cast", []string{"x"}, []string{"y"}, aString("to", "DOUBLE")).output("y"),
			"Cast{To=f64}: f64[2,6]", ""},
		{"cast_19_saturate", x2(19).node("Cast", []string{"x"}, []string{"y"}, aInt("to", 10), aInt("saturate", 1)).output("y"),
			"Cast{To=f16}: f16[2,6]", ""},
		{"cast_bfloat16", x2(13).node("Cast", []string{"x"}, []string{"y"}, aInt("to", 16)).output("y"),
			"", "element type BFLOAT16 is not supported"},
		{"castlike", x2(15).input("l", tInt64, 1).node("CastLike", []string{"x", "l"}, []string{"y"}).output("y"),
			"Cast{To=i64}: i64[2,6]", ""},
		{"constant_folds", x2(13).node("Constant", nil, []string{"c"}, aTensor("value", f32(ir.Shape{6}, 1, 2, 3, 4, 5, 6))).
			node("Relu", []string{"c"}, []string{"r"}).node("Add", []string{"x", "r"}, []string{"y"}).output("y"),
			"Add{}: f32[2,6]", ""},
		{"constant_value_floats", x2(13).node("Constant", nil, []string{"c"}, aFloats("value_floats", 1, 2, 3, 4, 5, 6)).
			node("Add", []string{"x", "c"}, []string{"y"}).output("y"),
			"Add{}: f32[2,6]", ""},
		{"constant_value_ints", x2(13).node("Constant", nil, []string{"c"}, aInts("value_ints", 6, 2)).
			node("Reshape", []string{"x", "c"}, []string{"y"}).output("y"),
			"Reshape{Shape=[6 2]}: f32[6,2]", ""},
		{"constant_two_values", x2(13).node("Constant", nil, []string{"c"}, aInt("value_int", 1), aFloat("value_float", 1)).output("c"),
			"", "needs exactly one value attribute, has 2"},
		{"constant_string", x2(13).node("Constant", nil, []string{"c"}, aString("value_string", "hi")).output("c"),
			"", "value_string constant is not supported"},
		{"constantofshape", x2(13).node("Constant", nil, []string{"s"}, aInts("value_ints", 2, 6)).
			node("ConstantOfShape", []string{"s"}, []string{"c"}, aTensor("value", f32(ir.Shape{1}, 2))).
			node("Mul", []string{"x", "c"}, []string{"y"}).output("y"),
			"Mul{}: f32[2,6]", ""},
		{"constantofshape_huge", x2(13).node("Constant", nil, []string{"s"}, aInts("value_ints", 1<<20, 1<<10)).
			node("ConstantOfShape", []string{"s"}, []string{"c"}).output("c"),
			"", "too large"},
		{"dropout_7", x2(7).node("Dropout", []string{"x"}, []string{"y"}, aFloat("ratio", 0.25)).output("y"),
			"Dropout{Ratio=0.25}: f32[2,6],bool[2,6]", ""},
		{"dropout_6_is_test", x2(6).node("Dropout", []string{"x"}, []string{"y"}, aInt("is_test", 1)).output("y"),
			"Dropout{Ratio=0.5}: f32[2,6],bool[2,6]", ""},
		{"dropout_12_ratio_mask", x2(12).init("r", f32(ir.Shape{}, 0.125)).node("Dropout", []string{"x", "r"}, []string{"y", "m"}, aInt("seed", 3)).output("y", "m"),
			"Dropout{Ratio=0.125}: f32[2,6],bool[2,6]", ""},
		{"dropout_mask_before_10", x2(9).node("Dropout", []string{"x"}, []string{"y", "m"}).output("y", "m"),
			"", `output 1 "m" is used`},
		{"dropout_training", x2(13).init("t", ir.NewIntTensor(ir.Bool, ir.Shape{}, []int64{1})).
			node("Dropout", []string{"x", "", "t"}, []string{"y"}).output("y"),
			"", "training_mode=true is not supported"},
	})
}

func TestClipDefaultsAreInfinite(t *testing.T) {
	g := x2(13).node("Clip", []string{"x"}, []string{"y"}).output("y").mustLoad(t)
	c := g.Nodes[0].Op.(*ir.Clip)
	if !math.IsInf(c.Min, -1) || !math.IsInf(c.Max, 1) {
		t.Errorf("Clip bounds = %v, %v; want -Inf, +Inf", c.Min, c.Max)
	}
}

func TestShapeFolds(t *testing.T) {
	for _, c := range []struct {
		opset int64
		attrs []*pb.AttributeProto
		want  []int64
		err   string
	}{
		{13, nil, []int64{2, 3, 4}, ""},
		{15, []*pb.AttributeProto{aInt("start", 1)}, []int64{3, 4}, ""},
		{15, []*pb.AttributeProto{aInt("start", -2), aInt("end", -1)}, []int64{3}, ""},
		{15, []*pb.AttributeProto{aInt("start", 2), aInt("end", 1)}, []int64{}, ""},
		{13, []*pb.AttributeProto{aInt("start", 1)}, nil, `attribute "start" not supported`},
	} {
		g, err := newModel(c.opset).input("x", tFloat, 2, 3, 4).node("Shape", []string{"x"}, []string{"s"}, c.attrs...).output("s").load(t, Options{})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("opset %d %v: error %v, want %q", c.opset, c.attrs, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s := g.Outputs[0]
		if len(g.Nodes) != 0 || !s.IsConst() || s.Name != "s" || s.DType != ir.Int64 || len(s.Const.Ints) != len(c.want) {
			t.Fatalf("opset %d %v: graph\n%s", c.opset, c.attrs, g)
		}
		for i, v := range c.want {
			if s.Const.Ints[i] != v {
				t.Errorf("opset %d %v: shape %v, want %v", c.opset, c.attrs, s.Const.Ints, c.want)
			}
		}
	}
}
