package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("ReduceMax", reduceEntry(18, func(r ir.Reduce) ir.Op { return &ir.ReduceMax{Reduce: r} }))
	register("ReduceMean", reduceEntry(18, func(r ir.Reduce) ir.Op { return &ir.ReduceMean{Reduce: r} }))
	register("ReduceMin", reduceEntry(18, func(r ir.Reduce) ir.Op { return &ir.ReduceMin{Reduce: r} }))
	register("ReduceSum", reduceEntry(13, func(r ir.Reduce) ir.Op { return &ir.ReduceSum{Reduce: r} }))
}

// reduceEntry registers a ReduceX op whose axes moved from an attribute to
// an optional input at opset axesInput (13 for ReduceSum, 18 for the
// others), when noop_with_empty_axes appeared too.
func reduceEntry(axesInput int64, newOp func(ir.Reduce) ir.Op) opEntry {
	return opEntry{
		min: 1, max: MaxOpset, produces: []ir.Op{newOp(ir.Reduce{})},
		fn: func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
			a := b.attrs()
			r := ir.Reduce{KeepDims: a.bool("keepdims", true)}
			if opset < axesInput {
				if err := arity(in, 1, 1); err != nil {
					return nil, err
				}
				r.Axes = a.ints("axes", -maxDim, maxDim)
			} else {
				if err := arity(in, 1, 2); err != nil {
					return nil, err
				}
				r.NoopWithEmptyAxes = a.bool("noop_with_empty_axes", false)
				if v := opt(in, 1); v != nil {
					axes, err := b.constInts(v, "axes")
					if err != nil {
						return nil, err
					}
					if r.Axes, err = toInts(axes, "axes"); err != nil {
						return nil, err
					}
				}
			}
			if len(r.Axes) == 0 {
				// No axes and empty axes mean the same: all axes, or none
				// with noop_with_empty_axes.
				r.Axes = nil
			}
			return one(b.add1(newOp(r), in[0]))
		},
		notes: "axes attribute, or a constant input from opset 13 (ReduceSum) / 18 (others); keepdims, noop_with_empty_axes",
	}
}
