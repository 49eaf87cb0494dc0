package onnx

import (
	"errors"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("BatchNormalization", opEntry{min: 1, max: MaxOpset, fn: importBatchNorm, floatOnly: true, notes: "inference only: training_mode=1 and the training outputs are rejected; legacy is_test/spatial/momentum ignored (spatial=0 only on rank 2)", produces: []ir.Op{&ir.BatchNormalization{}}})
	register("InstanceNormalization", opEntry{min: 1, max: MaxOpset, fn: importInstanceNorm, floatOnly: true, produces: []ir.Op{&ir.InstanceNormalization{}}})
	register("LRN", opEntry{min: 1, max: MaxOpset, fn: importLRN, floatOnly: true, produces: []ir.Op{&ir.LRN{}}})
}

// importBatchNorm imports BatchNormalization in inference mode.
//
// The versions differ in training: opsets 1-6 had is_test (and 1 had
// consumed_inputs), opsets before 9 had spatial, and 14 added
// training_mode, with extra outputs (running or saved statistics) in every
// version. Only the inference computation y = (x - mean) / sqrt(var + eps)
// * scale + bias is supported: training_mode=1 and a model that reads an
// extra output are rejected. is_test and momentum do not change that
// computation and are ignored; spatial=0 (per-activation statistics) is
// accepted only where it means the same, on rank-2 inputs.
func importBatchNorm(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 5, 5); err != nil {
		return nil, err
	}
	a := b.attrs()
	a.ignore("momentum")
	if opset < 7 {
		a.ignore("is_test")
	}
	if opset < 9 && !a.bool("spatial", true) && len(in[0].Shape) != 2 {
		return nil, unsupportedf("spatial=0 (per-activation statistics) is not supported")
	}
	if opset >= 14 && a.bool("training_mode", false) {
		return nil, unsupportedf("training_mode=1 is not supported: cnnc runs BatchNormalization in inference mode")
	}
	op := &ir.BatchNormalization{Epsilon: a.float("epsilon", 1e-5)}
	return one(b.add1(op, in...))
}

func importInstanceNorm(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 3, 3); err != nil {
		return nil, err
	}
	op := &ir.InstanceNormalization{Epsilon: b.attrs().float("epsilon", 1e-5)}
	return one(b.add1(op, in...))
}

func importLRN(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	a := b.attrs()
	if !a.has("size") {
		return nil, errors.New("attribute size is required")
	}
	op := &ir.LRN{
		Size:  a.intIn("size", 1, 1, maxDim),
		Alpha: a.float("alpha", 1e-4),
		Beta:  a.float("beta", 0.75),
		Bias:  a.float("bias", 1),
	}
	return one(b.add1(op, in[0]))
}
