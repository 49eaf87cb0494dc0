package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("LayerNormalization", opEntry{min: 17, max: MaxOpset, fn: importLayerNorm, floatOnly: true,
		produces: []ir.Op{&ir.LayerNormalization{}},
		notes:    "any axis, with or without B, Scale and B broadcast to the normalized axes; the Mean and InvStdDev outputs; stash_type 1 (float32) only"})
}

func importLayerNorm(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	a := b.attrs()
	if st := a.int("stash_type", 1); st != 1 {
		return nil, unsupportedf("stash_type %d (only 1, float32 statistics, is supported)", st)
	}
	op := &ir.LayerNormalization{Axis: int(a.int("axis", -1)), Epsilon: a.float("epsilon", 1e-5)}
	// The statistics outputs are computed only when the model reads them,
	// so that the usual node is a single-output op the Go engine compiles.
	nOut := 1
	for _, o := range n.Output[1:] {
		if o != "" && b.consumed[o] {
			nOut = 3
		}
	}
	return b.add(op, nOut, in...)
}
