package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Gelu", opEntry{min: 20, max: MaxOpset, fn: importGelu, floatOnly: true,
		produces: []ir.Op{&ir.Gelu{}}, notes: `approximate "none" and "tanh"; exporters before opset 20 write it with Erf, which the fuse-gelu pass recognizes`})
}

func importGelu(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	var op ir.Gelu
	switch a := b.attrs().string("approximate", "none"); a {
	case "none":
	case "tanh":
		op.Tanh = true
	default:
		return nil, unsupportedf(`approximate %q (want "none" or "tanh")`, a)
	}
	return one(b.add1(&op, in[0]))
}
