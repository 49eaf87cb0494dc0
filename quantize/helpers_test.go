package quantize

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
)

// builder makes small ONNX models for the tests.
type builder struct {
	m   *pb.ModelProto
	rng *rand.Rand
}

func newBuilder(opset int64) *builder {
	return &builder{
		m: &pb.ModelProto{IrVersion: 7, ProducerName: "quantize test", Graph: &pb.GraphProto{Name: "test"},
			OpsetImport: []*pb.OperatorSetIdProto{{Version: opset}}},
		rng: rand.New(rand.NewPCG(1, 1)),
	}
}

// tensorType is a float32 tensor type; a string dimension is a dim_param.
func tensorType(elem pb.TensorProto_DataType, dims ...any) *pb.TypeProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		case string:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		}
	}
	return &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{ElemType: int32(elem), Shape: shape}}}
}

func (b *builder) input(name string, dims ...any) {
	b.m.Graph.Input = append(b.m.Graph.Input, &pb.ValueInfoProto{Name: name, Type: tensorType(pb.TensorProto_FLOAT, dims...)})
}

func (b *builder) output(name string) {
	b.m.Graph.Output = append(b.m.Graph.Output, &pb.ValueInfoProto{Name: name})
}

// init adds a float32 initializer; nil values are random in [-1, 1).
func (b *builder) init(name string, dims []int64, vals []float32) {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	if vals == nil {
		vals = make([]float32, n)
		for i := range vals {
			vals[i] = float32(b.rng.Float64()*2 - 1)
		}
	}
	raw := make([]byte, 0, 4*n)
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &pb.TensorProto{Name: name, Dims: dims, DataType: int32(pb.TensorProto_FLOAT), RawData: raw})
}

func (b *builder) initInt64(name string, vals ...int64) {
	raw := make([]byte, 0, 8*len(vals))
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &pb.TensorProto{Name: name, Dims: []int64{int64(len(vals))}, DataType: int32(pb.TensorProto_INT64), RawData: raw})
}

func (b *builder) node(op, name string, in, out []string, attrs ...*pb.AttributeProto) {
	b.m.Graph.Node = append(b.m.Graph.Node, &pb.NodeProto{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs})
}

func ints(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Ints: v, Type: pb.AttributeProto_INTS}
}

func intAttr(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, I: v, Type: pb.AttributeProto_INT}
}

func (b *builder) bytes(t *testing.T) []byte {
	t.Helper()
	data, err := b.m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (b *builder) load(t *testing.T) *Model {
	t.Helper()
	m, err := Load(b.bytes(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// smallCNN is a model with every quantizable op type: Conv+Relu (the
// first layer), Conv+Relu, a residual Add, MaxPool, Mul by a constant,
// Concat, AveragePool, Flatten, Gemm+Relu and MatMul (the last layer),
// Softmax. batch is the first input dimension (a dim_param or a number).
func smallCNN(batch any) *builder {
	b := newBuilder(13)
	b.input("x", batch, 1, 8, 8)
	b.init("w1", []int64{4, 1, 3, 3}, nil)
	b.init("b1", []int64{4}, nil)
	b.init("w2", []int64{4, 4, 3, 3}, nil)
	b.init("b2", []int64{4}, nil)
	b.init("scale", []int64{1, 4, 1, 1}, []float32{0.5, 2, -1, 0.25})
	b.init("wg", []int64{6, 32}, nil)
	b.init("bg", []int64{6}, nil)
	b.init("wm", []int64{6, 5}, nil)
	pads := ints("pads", 1, 1, 1, 1)
	b.node("Conv", "c1", []string{"x", "w1", "b1"}, []string{"c1_out"}, pads, ints("kernel_shape", 3, 3))
	b.node("Relu", "r1", []string{"c1_out"}, []string{"r1_out"})
	b.node("Conv", "c2", []string{"r1_out", "w2", "b2"}, []string{"c2_out"}, pads)
	b.node("Relu", "r2", []string{"c2_out"}, []string{"r2_out"})
	b.node("Add", "add", []string{"r1_out", "r2_out"}, []string{"add_out"})
	b.node("MaxPool", "mp", []string{"add_out"}, []string{"mp_out"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	b.node("Mul", "mul", []string{"mp_out", "scale"}, []string{"mul_out"})
	b.node("Concat", "cat", []string{"mp_out", "mul_out"}, []string{"cat_out"}, intAttr("axis", 1))
	b.node("AveragePool", "ap", []string{"cat_out"}, []string{"ap_out"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	b.node("Flatten", "flat", []string{"ap_out"}, []string{"flat_out"})
	b.node("Gemm", "g1", []string{"flat_out", "wg", "bg"}, []string{"g1_out"}, intAttr("transB", 1))
	b.node("Relu", "r3", []string{"g1_out"}, []string{"r3_out"})
	b.node("MatMul", "mm", []string{"r3_out", "wm"}, []string{"mm_out"})
	b.node("Softmax", "sm", []string{"mm_out"}, []string{"y"}, intAttr("axis", 1))
	b.output("y")
	return b
}
