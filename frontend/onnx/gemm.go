package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Gemm", opEntry{min: 1, max: MaxOpset, fn: importGemm, floatOnly: true, notes: "alpha, beta, transA, transB; C optional from opset 11", produces: []ir.Op{&ir.Gemm{}}})
	register("MatMul", opEntry{min: 1, max: MaxOpset, fn: importMatMul, produces: []ir.Op{&ir.MatMul{}}})
}

// importGemm imports Gemm. Before opset 7, C broadcast only with
// broadcast=1 and otherwise had to match [M, N] exactly; numpy
// broadcasting, which the IR applies, accepts both. C became optional in
// opset 11.
func importGemm(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	a := b.attrs()
	if opset < 7 {
		a.ignore("broadcast")
	}
	op := &ir.Gemm{
		TransA: a.bool("transA", false),
		TransB: a.bool("transB", false),
		Alpha:  a.float("alpha", 1),
		Beta:   a.float("beta", 1),
	}
	return one(b.add1(op, in...))
}

func importMatMul(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.MatMul{}, in...))
}
