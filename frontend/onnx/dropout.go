package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Dropout", opEntry{min: 1, max: MaxOpset, fn: importDropout, notes: "identity; ratio input (12+) may be computed; training_mode must be constant false", produces: []ir.Op{&ir.Dropout{}}})
}

// importDropout imports Dropout, the identity at inference. The ratio is
// an attribute before opset 12 and an optional input from 12, kept only
// for display (a computed one is ignored). is_test (before 7) and seed
// (12+) do not change inference. From 12 a training_mode input must be a
// constant false. The mask output is supported from opset 10, where it
// became bool.
func importDropout(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	a := b.attrs()
	ratio := 0.5
	if opset < 12 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		if opset < 7 {
			a.ignore("is_test")
		}
		ratio = a.float("ratio", 0.5)
	} else {
		if err := arity(in, 1, 3); err != nil {
			return nil, err
		}
		a.ignore("seed")
		if r := opt(in, 1); r != nil && r.IsConst() && r.Const.Len() == 1 {
			ratio = r.Const.Float(0)
		}
		if t := opt(in, 2); t != nil {
			if !t.IsConst() {
				return nil, unsupportedf("training_mode computed at run time is not supported")
			}
			if t.Const.Len() != 1 || t.Const.Float(0) != 0 {
				return nil, unsupportedf("training_mode=true is not supported: cnnc runs Dropout in inference mode")
			}
		}
	}
	outs, err := b.add(&ir.Dropout{Ratio: ratio}, 2, in[0])
	if err != nil {
		return nil, err
	}
	if opset < 10 {
		return outs[:1], nil
	}
	return outs, nil
}
