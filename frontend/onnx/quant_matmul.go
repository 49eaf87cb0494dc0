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
	registerIn(msDomain, "QGemm", opEntry{min: 1, max: 1, fn: importQGemm,
		notes:    "with a quantized output (y_scale and y_zero_point), alpha 1, transA 0; as QLinearMatMul with C as its bias",
		produces: []ir.Op{&ir.QLinearMatMul{}, &ir.Transpose{}}})
}

// importQGemm imports com.microsoft QGemm with a quantized output as a
// QLinearMatMul with a bias: alpha must be 1 and A not transposed; a
// transposed B is transposed at import (it folds when B is a constant).
// C, when given, is int32 with scale a_scale * b_scale and zero point 0,
// which is the bias QLinearMatMul takes.
func importQGemm(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 6, 9); err != nil {
		return nil, err
	}
	a := b.attrs()
	alpha, transA, transB := a.float("alpha", 1), a.bool("transA", false), a.bool("transB", false)
	if a.err != nil {
		return nil, a.err
	}
	switch {
	case alpha != 1:
		return nil, unsupportedf("alpha = %g is not supported (1 is)", alpha)
	case transA:
		return nil, unsupportedf("transA = 1 is not supported")
	case opt(in, 7) == nil || opt(in, 8) == nil:
		return nil, unsupportedf("a QGemm without y_scale and y_zero_point (a float32 output) is not supported")
	}
	bv := in[3]
	if transB {
		var err error
		if bv, err = b.aux(&ir.Transpose{Perm: []int{1, 0}}, bv); err != nil {
			return nil, err
		}
	}
	bz := in[5]
	if bz == nil {
		bz = b.constant(ir.Zeros(bv.DType, ir.Shape{}))
	}
	args := []*ir.Value{in[0], in[1], in[2], bv, in[4], bz, in[7], in[8]}
	if c := opt(in, 6); c != nil {
		args = append(args, c)
	}
	return one(b.addQuant(&ir.QLinearMatMul{}, args...))
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
