package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Transpose", opEntry{min: 1, max: MaxOpset, fn: importTranspose, produces: []ir.Op{&ir.Transpose{}}})
}

// importTranspose imports Transpose; without perm the axes are reversed.
func importTranspose(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Transpose{Perm: b.attrs().ints("perm", 0, maxDim)}, in[0]))
}
