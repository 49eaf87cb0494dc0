package onnx

import (
	"errors"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Slice", opEntry{min: 1, max: MaxOpset, fn: importSlice, notes: "attributes before opset 10, constant inputs (with steps) from 10", produces: []ir.Op{&ir.Slice{}}})
}

// importSlice imports Slice. Before opset 10 starts, ends and axes were
// attributes; from 10 they are inputs, with steps, and must be constants
// after folding.
func importSlice(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	op := &ir.Slice{}
	if opset < 10 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		a := b.attrs()
		if !a.has("starts") || !a.has("ends") {
			return nil, errors.New("attributes starts and ends are required")
		}
		op.Starts = clone64(a.ints64("starts"))
		op.Ends = clone64(a.ints64("ends"))
		op.Axes = clone64(a.ints64("axes"))
	} else {
		if err := arity(in, 3, 5); err != nil {
			return nil, err
		}
		for i, f := range []*[]int64{&op.Starts, &op.Ends, &op.Axes, &op.Steps} {
			v := opt(in, i+1)
			if v == nil {
				continue
			}
			x, err := b.constInts(v, [...]string{"starts", "ends", "axes", "steps"}[i])
			if err != nil {
				return nil, err
			}
			*f = clone64(x)
		}
	}
	return one(b.add1(op, in[0]))
}

// clone64 copies a slice so that an op never shares memory with a
// constant or the decoded model (shape rules normalize fields in place).
func clone64(v []int64) []int64 {
	if v == nil {
		return nil
	}
	return append([]int64{}, v...)
}
