package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Clip", opEntry{min: 1, max: MaxOpset, fn: importClip, notes: "min/max attributes before opset 11, constant inputs from 11", produces: []ir.Op{&ir.Clip{}}})
}

// importClip imports Clip. Before opset 11 the bounds were the min and
// max attributes; from 11 they are optional inputs, which must be
// constants. A missing bound is infinite.
func importClip(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	op := &ir.Clip{Min: -inf, Max: inf}
	if opset < 11 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		a := b.attrs()
		op.Min, op.Max = a.float("min", -inf), a.float("max", inf)
	} else {
		if err := arity(in, 1, 3); err != nil {
			return nil, err
		}
		var err error
		if v := opt(in, 1); v != nil {
			if op.Min, err = b.constScalar(v, "min"); err != nil {
				return nil, err
			}
		}
		if v := opt(in, 2); v != nil {
			if op.Max, err = b.constScalar(v, "max"); err != nil {
				return nil, err
			}
		}
	}
	return one(b.add1(op, in[0]))
}
