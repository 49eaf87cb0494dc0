package onnx

import (
	"fmt"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// testModel builds small ONNX models in Go for the unit tests.
type testModel struct {
	m *pb.ModelProto
}

// newModel starts a model at the given ai.onnx opset.
func newModel(opset int64) *testModel {
	return &testModel{m: &pb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*pb.OperatorSetIdProto{{Domain: "", Version: opset}},
		Graph:       &pb.GraphProto{Name: "test"},
	}}
}

// valueInfo declares a tensor value; each dim is an int (dim_value), a
// string (dim_param) or nil (unknown).
func valueInfo(name string, dt pb.TensorProto_DataType, dims ...any) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		dim := &pb.TensorShapeProto_Dimension{}
		switch d := d.(type) {
		case int:
			dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		case string:
			dim.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: d}
		case nil:
		default:
			panic(fmt.Sprintf("bad dim %v", d))
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: int32(dt), Shape: shape}}}}
}

func (t *testModel) input(name string, dt pb.TensorProto_DataType, dims ...any) *testModel {
	t.m.Graph.Input = append(t.m.Graph.Input, valueInfo(name, dt, dims...))
	return t
}

// output declares a graph output with no type (inference gives it).
func (t *testModel) output(names ...string) *testModel {
	for _, n := range names {
		t.m.Graph.Output = append(t.m.Graph.Output, &pb.ValueInfoProto{Name: n})
	}
	return t
}

func (t *testModel) init(name string, v *ir.Tensor) *testModel {
	p, err := encodeTensor(name, v)
	if err != nil {
		panic(err)
	}
	t.m.Graph.Initializer = append(t.m.Graph.Initializer, p)
	return t
}

func (t *testModel) node(op string, ins, outs []string, attrs ...*pb.AttributeProto) *testModel {
	t.m.Graph.Node = append(t.m.Graph.Node, &pb.NodeProto{OpType: op, Input: ins, Output: outs, Attribute: attrs})
	return t
}

// named sets the name of the last node.
func (t *testModel) named(name string) *testModel {
	t.m.Graph.Node[len(t.m.Graph.Node)-1].Name = name
	return t
}

func (t *testModel) bytes() []byte {
	data, err := t.m.Marshal()
	if err != nil {
		panic(err)
	}
	return data
}

func (t *testModel) load(tb testing.TB, opts Options) (*ir.Graph, error) {
	tb.Helper()
	return Import(t.bytes(), opts)
}

func (t *testModel) mustLoad(tb testing.TB) *ir.Graph {
	tb.Helper()
	g, err := t.load(tb, Options{})
	if err != nil {
		tb.Fatalf("import: %v", err)
	}
	return g
}

func aInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: v}
}

func aFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOAT, F: v}
}

func aString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_STRING, S: []byte(v)}
}

func aInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS, Ints: v}
}

func aFloats(name string, v ...float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOATS, Floats: v}
}

func aTensor(name string, v *ir.Tensor) *pb.AttributeProto {
	p, err := encodeTensor("", v)
	if err != nil {
		panic(err)
	}
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_TENSOR, T: p}
}

func f32(shape ir.Shape, v ...float64) *ir.Tensor {
	if v == nil {
		v = make([]float64, shape.NumElements(1))
	}
	return ir.NewFloatTensor(ir.Float32, shape, v)
}

func i64(v ...int64) *ir.Tensor { return ir.NewIntTensor(ir.Int64, ir.Shape{len(v)}, v) }

// ops summarizes a graph's nodes as "Op{attrs}: type" joined by "; ".
func ops(g *ir.Graph) string {
	var parts []string
	for _, n := range g.Nodes {
		s := n.Op.OpType()
		s += "{" + ir.Attrs(n.Op) + "}"
		types := make([]string, len(n.Outputs))
		for i, o := range n.Outputs {
			types[i] = o.Type.String()
		}
		parts = append(parts, s+": "+strings.Join(types, ","))
	}
	return strings.Join(parts, "; ")
}

const (
	tFloat = pb.TensorProto_FLOAT
	tInt64 = pb.TensorProto_INT64
	tBool  = pb.TensorProto_BOOL
)
