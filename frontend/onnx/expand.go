package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Expand", opEntry{min: 8, max: MaxOpset, fn: importExpand, notes: "constant shape; lowered to Add of zeros", produces: []ir.Op{&ir.Add{}}})
}

// importExpand imports Expand with a constant shape. The IR has no Expand
// op: broadcasting x against zeros of the target shape (Add) computes the
// same, and an Expand that changes nothing becomes Identity.
func importExpand(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	dims, err := b.constInts(in[1], "shape")
	if err != nil {
		return nil, err
	}
	target, _, err := checkShape(dims)
	if err != nil {
		return nil, err
	}
	x := in[0]
	out, err := ir.BroadcastShapes(x.Shape, target)
	if err != nil {
		return nil, err
	}
	if out.Equal(x.Shape) {
		return one(b.add1(&ir.Identity{}, x))
	}
	if x.DType == ir.Bool {
		return nil, unsupportedf("Expand of a bool tensor is not supported")
	}
	zs := out.Clone()
	if len(zs) > 0 && zs[0] == ir.Batch {
		zs[0] = 1
	}
	if zs.NumElements(1) > maxFold {
		return nil, unsupportedf("expanding to %v is too large", out)
	}
	zeros := ir.NewConst(b.curName+"/zeros", ir.Zeros(x.DType, zs))
	return one(b.add1(&ir.Add{}, x, zeros))
}
