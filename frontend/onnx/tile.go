package onnx

import (
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Tile", opEntry{min: 6, max: MaxOpset, fn: importTile, notes: "constant repeats; lowered to Concat", produces: []ir.Op{&ir.Concat{}}})
}

// importTile imports Tile (opset 6+, repeats as a constant input) as a
// Concat of copies along each repeated axis; the IR has no Tile op.
func importTile(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	reps, err := b.constInts(in[1], "repeats")
	if err != nil {
		return nil, err
	}
	x := in[0]
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("repeats %v must have one entry per input dimension (%d)", reps, len(x.Shape))
	}
	count := int64(x.Shape.PerBatch())
	for _, r := range reps {
		if r < 0 || r > maxDim {
			return nil, fmt.Errorf("repeats %v: %d is out of range", reps, r)
		}
		if count *= r; count > maxFold {
			return nil, unsupportedf("tiling %v by %v is too large", x.Shape, reps)
		}
	}
	var axes []int
	for i, r := range reps {
		if r != 1 {
			axes = append(axes, i)
		}
	}
	if len(axes) == 0 {
		return one(b.add1(&ir.Identity{}, x))
	}
	for k, ax := range axes {
		copies := make([]*ir.Value, reps[ax])
		for i := range copies {
			copies[i] = x
		}
		op := &ir.Concat{Axis: ax}
		if k == len(axes)-1 {
			x, err = b.add1(op, copies...)
		} else {
			x, err = b.aux(op, copies...)
		}
		if err != nil {
			return nil, err
		}
	}
	return []*ir.Value{x}, nil
}
