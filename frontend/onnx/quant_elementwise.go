package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	registerIn(msDomain, "QLinearAdd", opEntry{min: 1, max: 1, fn: qbinaryImporter(func() ir.Op { return &ir.QLinearAdd{} }),
		notes: "uint8 and int8; per-tensor parameters; numpy broadcasting", produces: []ir.Op{&ir.QLinearAdd{}}})
	registerIn(msDomain, "QLinearMul", opEntry{min: 1, max: 1, fn: qbinaryImporter(func() ir.Op { return &ir.QLinearMul{} }),
		notes: "uint8 and int8; per-tensor parameters; numpy broadcasting", produces: []ir.Op{&ir.QLinearMul{}}})
	registerIn(msDomain, "QLinearLeakyRelu", opEntry{min: 1, max: 1, fn: importQLinearLeakyRelu,
		notes: "uint8 and int8; per-tensor parameters", produces: []ir.Op{&ir.QLinearActivation{}}})
	registerIn(msDomain, "QLinearSigmoid", opEntry{min: 1, max: 1, fn: importQLinearSigmoid,
		notes: "uint8 and int8; per-tensor parameters", produces: []ir.Op{&ir.QLinearActivation{}}})
}

// qbinaryImporter imports QLinearAdd or QLinearMul: A, its scale and zero
// point, B's, C's (C's zero point optional).
func qbinaryImporter(newOp func() ir.Op) importFunc {
	return func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
		if err := arity(in, 7, 8); err != nil {
			return nil, err
		}
		for _, i := range []int{0, 1, 3, 4, 6} {
			if in[i] == nil {
				return nil, arity(in[:i], i+1, i+1)
			}
		}
		return one(b.addQuant(newOp(), in...))
	}
}

// importQLinearLeakyRelu imports QLinearLeakyRelu; alpha defaults to
// 0.01, as ONNX Runtime's schema has it.
func importQLinearLeakyRelu(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arityOmitting(in, 4, 5, 2); err != nil { // X, XScale, [XZero], YScale, [YZero]
		return nil, err
	}
	return one(b.addQuant(&ir.QLinearActivation{Act: &ir.LeakyRelu{Alpha: b.attrs().float("alpha", 0.01)}}, in...))
}

func importQLinearSigmoid(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arityOmitting(in, 4, 5, 2); err != nil { // X, XScale, [XZero], YScale, [YZero]
		return nil, err
	}
	return one(b.addQuant(&ir.QLinearActivation{Act: &ir.Sigmoid{}}, in...))
}
