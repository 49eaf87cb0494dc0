package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("QLinearMatMul", opEntry{min: 10, max: MaxOpset, fn: importQLinearMatMul,
		notes:    "uint8 and int8 codes; per-tensor A, per-tensor or per-column B parameters",
		produces: []ir.Op{&ir.QLinearMatMul{}}})
	register("MatMulInteger", opEntry{min: 10, max: MaxOpset, fn: importMatMulInteger,
		notes: "uint8 and int8 codes; per-row A and per-column B zero points of 2-D operands", produces: []ir.Op{&ir.MatMulInteger{}}})
}

func importQLinearMatMul(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 8, 8); err != nil {
		return nil, err
	}
	return one(b.addQuant(&ir.QLinearMatMul{}, in...))
}

func importMatMulInteger(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 4); err != nil {
		return nil, err
	}
	return one(b.addQuant(&ir.MatMulInteger{}, in...))
}
