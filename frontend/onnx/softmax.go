package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("LogSoftmax", opEntry{min: 1, max: MaxOpset, fn: importSoftmax(true), floatOnly: true, notes: "before opset 13: coerced to 2-D at axis (default 1); from 13: one axis (default -1)", produces: []ir.Op{&ir.LogSoftmax{}}})
	register("Softmax", opEntry{min: 1, max: MaxOpset, fn: importSoftmax(false), floatOnly: true, notes: "before opset 13: coerced to 2-D at axis (default 1); from 13: one axis (default -1)", produces: []ir.Op{&ir.Softmax{}}})
}

// importSoftmax imports Softmax or LogSoftmax. Before opset 13 the input
// was coerced to a matrix at axis (default 1) and normalized over each
// row, that is over every axis from axis on; from 13 the op normalizes
// over the single axis (default -1).
func importSoftmax(log bool) importFunc {
	return func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		coerce := opset < 13
		def := int64(-1)
		if coerce {
			def = 1
		}
		axis := b.attrs().intIn("axis", def, -maxDim, maxDim)
		var op ir.Op = &ir.Softmax{Axis: axis, Coerce2D: coerce}
		if log {
			op = &ir.LogSoftmax{Axis: axis, Coerce2D: coerce}
		}
		return one(b.add1(op, in[0]))
	}
}
