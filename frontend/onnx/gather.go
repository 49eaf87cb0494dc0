package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Gather", opEntry{min: 1, max: MaxOpset, fn: importGather, produces: []ir.Op{&ir.Gather{}}})
	register("GatherElements", opEntry{min: 11, max: MaxOpset, fn: importGatherElements, produces: []ir.Op{&ir.GatherElements{}},
		notes: "negative indices; the Go engine needs constant indices"})
}

// importGather imports Gather (negative indices from opset 11, which the
// IR accepts at every opset).
func importGather(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Gather{Axis: b.attrs().intIn("axis", 0, -maxDim, maxDim)}, in...))
}

func importGatherElements(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.GatherElements{Axis: b.attrs().intIn("axis", 0, -maxDim, maxDim)}, in...))
}
