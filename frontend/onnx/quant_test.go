package onnx

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// ms marks the last node as one of the com.microsoft domain and imports
// that domain's opset 1.
func (t *testModel) ms() *testModel {
	t.m.Graph.Node[len(t.m.Graph.Node)-1].Domain = msDomain
	for _, o := range t.m.OpsetImport {
		if o.Domain == msDomain {
			return t
		}
	}
	t.m.OpsetImport = append(t.m.OpsetImport, &pb.OperatorSetIdProto{Domain: msDomain, Version: 1})
	return t
}

func f32s(shape ir.Shape, v ...float64) *ir.Tensor { return ir.NewFloatTensor(ir.Float32, shape, v) }
func u8s(shape ir.Shape, v ...int64) *ir.Tensor    { return ir.NewIntTensor(ir.Uint8, shape, v) }

// qdqModel is x -> QuantizeLinear -> (the node under test, reading "q"
// and writing "r") -> DequantizeLinear -> y, with per-tensor parameters
// s (0.1) and z (128) as initializers.
func qdqModel(opset int64) *testModel {
	return newModel(opset).input("x", tFloat, 1, 2, 4, 4).
		init("s", f32s(ir.Shape{}, 0.1)).init("z", u8s(ir.Shape{}, 128)).
		node("QuantizeLinear", []string{"x", "s", "z"}, []string{"q"})
}

// The importers of the quantized operators: which IR ops they make, and
// the errors of bad parameters and unsupported attributes, each naming
// the node.
func TestImportQuantized(t *testing.T) {
	tests := []struct {
		name    string
		model   *testModel
		want    []string // IR op types, in order
		wantErr string
		unsup   bool
	}{
		{"qdq relu", qdqModel(13).node("DequantizeLinear", []string{"q", "s", "z"}, []string{"d"}).node("Relu", []string{"d"}, []string{"y"}).output("y"),
			[]string{"QuantizeLinear", "DequantizeLinear", "Relu"}, "", false},
		{"qlinear add", qdqModel(13).node("QLinearAdd", []string{"q", "s", "z", "q", "s", "z", "s", "z"}, []string{"r"}).ms().
			node("DequantizeLinear", []string{"r", "s", "z"}, []string{"y"}).output("y"),
			[]string{"QuantizeLinear", "QLinearAdd", "DequantizeLinear"}, "", false},
		{"qlinear sigmoid and leaky relu", qdqModel(13).node("QLinearSigmoid", []string{"q", "s", "z", "s", "z"}, []string{"r"}).ms().
			node("QLinearLeakyRelu", []string{"r", "s", "z", "s"}, []string{"r2"}, aFloat("alpha", 0.2)).ms().
			node("DequantizeLinear", []string{"r2", "s", "z"}, []string{"y"}).output("y"),
			[]string{"QuantizeLinear", "QLinearSigmoid", "QLinearLeakyRelu", "DequantizeLinear"}, "", false},
		{"qlinear pools and concat", qdqModel(13).node("QLinearAveragePool", []string{"q", "s", "z", "s", "z"}, []string{"p"}, aInts("kernel_shape", 2, 2)).ms().
			node("QLinearGlobalAveragePool", []string{"p", "s", "z", "s", "z"}, []string{"g"}).ms().
			node("QLinearConcat", []string{"s", "z", "g", "s", "z", "g", "s", "z"}, []string{"c"}, aInt("axis", 1)).ms().
			node("DequantizeLinear", []string{"c", "s", "z"}, []string{"y"}).output("y"),
			[]string{"QuantizeLinear", "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearConcat", "DequantizeLinear"}, "", false},
		{"omitted zero points", qdqModel(13).node("QLinearSigmoid", []string{"q", "s", "", "s", ""}, []string{"r"}).ms().
			node("QLinearLeakyRelu", []string{"r", "s", "", "s"}, []string{"r2"}).ms().
			node("QLinearAveragePool", []string{"r2", "s", "", "s", ""}, []string{"p"}, aInts("kernel_shape", 2, 2)).ms().output("p"),
			[]string{"QuantizeLinear", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearAveragePool"}, "", false},
		{"omitted scale", qdqModel(13).node("QLinearSigmoid", []string{"q", "s", "z", "", "z"}, []string{"r"}).ms().output("r"),
			nil, "input 3 is required but omitted", false},
		{"maxpool of codes", qdqModel(13).node("MaxPool", []string{"q"}, []string{"p"}, aInts("kernel_shape", 2, 2)).
			node("DequantizeLinear", []string{"p", "s", "z"}, []string{"y"}).output("y"),
			[]string{"QuantizeLinear", "QMaxPool", "DequantizeLinear"}, "", false},
		{"maxpool of codes before opset 12", qdqModel(11).node("MaxPool", []string{"q"}, []string{"p"}, aInts("kernel_shape", 2, 2)).output("p"),
			nil, "cnnc defines MaxPool on floating point, and on uint8 and int8 from opset 12", true},
		{"zero scale", newModel(13).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 0)).node("QuantizeLinear", []string{"x", "s"}, []string{"y"}).named("q1").output("y"),
			nil, `node "q1" (QuantizeLinear, opset 13): input 1 (a scale) holds 0 at element 0; a scale must be positive and finite`, false},
		{"per-axis scales", newModel(13).input("x", tFloat, 1, 3, 2).init("s", f32s(ir.Shape{2}, 1, 1)).node("QuantizeLinear", []string{"x", "s"}, []string{"y"}).named("q1").output("y"),
			nil, `node "q1" (QuantizeLinear, opset 13): QuantizeLinear: 2 scales (input 1) for 3 channels on axis 1`, false},
		{"axis before opset 13", newModel(10).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 1)).node("QuantizeLinear", []string{"x", "s"}, []string{"y"}, aInt("axis", 0)).output("y"),
			nil, `attribute "axis" not supported`, true},
		{"output_dtype", newModel(21).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 1)).node("QuantizeLinear", []string{"x", "s"}, []string{"y"}, aInt("output_dtype", int64(pb.TensorProto_INT8))).output("y"),
			[]string{"QuantizeLinear"}, "", false},
		{"output_dtype against zero point", newModel(21).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 1)).init("z", u8s(ir.Shape{}, 0)).
			node("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"}, aInt("output_dtype", int64(pb.TensorProto_INT8))).output("y"),
			nil, "output_dtype i8 disagrees with the zero point's type u8", false},
		{"int4 output", newModel(21).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 1)).node("QuantizeLinear", []string{"x", "s"}, []string{"y"}, aInt("output_dtype", 22)).output("y"),
			nil, "quantizing to INT4 is not supported", true},
		{"precision", newModel(23).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 1)).node("QuantizeLinear", []string{"x", "s"}, []string{"y"}, aInt("precision", int64(pb.TensorProto_BFLOAT16))).output("y"),
			nil, "precision BFLOAT16 is not supported", true},
		{"channels_last", qdqModel(13).node("QLinearGlobalAveragePool", []string{"q", "s", "z", "s", "z"}, []string{"g"}, aInt("channels_last", 1)).ms().output("g"),
			nil, "channels_last = 1 (NHWC data) is not supported", true},
		{"qlinearadd of float", newModel(13).input("x", tFloat, 4).init("s", f32s(ir.Shape{}, 1)).init("z", u8s(ir.Shape{}, 0)).
			node("QLinearAdd", []string{"x", "s", "z", "x", "s", "z", "s", "z"}, []string{"y"}).ms().output("y"),
			nil, "QLinearAdd: A is f32 and B f32; both must be uint8, or both int8", false},
		{"qlinearconcat arity", qdqModel(13).node("QLinearConcat", []string{"s", "z", "q", "s"}, []string{"c"}, aInt("axis", 1)).ms().output("c"),
			nil, "(tensor, scale, zero point) triples, has 4 inputs", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.model.load(t, Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if errors.Is(err, ErrUnsupported) != tt.unsup {
					t.Fatalf("errors.Is(err, ErrUnsupported) = %v, want %v", !tt.unsup, tt.unsup)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range g.Nodes {
				got = append(got, n.Op.OpType())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("IR ops %v, want %v", got, tt.want)
			}
		})
	}
}

// A DequantizeLinear of a constant weight stays in the graph (the QDQ pass
// packs the codes) while other constant subgraphs fold; it still runs.
func TestDequantizedWeightIsNotFolded(t *testing.T) {
	g := newModel(13).input("x", tFloat, 2).
		init("w", u8s(ir.Shape{2}, 130, 126)).init("s", f32s(ir.Shape{}, 0.5)).init("z", u8s(ir.Shape{}, 128)).
		node("DequantizeLinear", []string{"w", "s", "z"}, []string{"wf"}).
		node("Add", []string{"x", "wf"}, []string{"y"}).output("y").mustLoad(t)
	if len(g.Nodes) != 2 || g.Nodes[0].Op.OpType() != "DequantizeLinear" {
		t.Fatalf("nodes %v", g.Nodes)
	}
	out, err := eval.Run(g, []*ir.Tensor{f32s(ir.Shape{2}, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out[0].Floats, []float64{2, 0}) {
		t.Fatalf("got %v", out[0].Floats)
	}
}
