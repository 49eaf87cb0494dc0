package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Concat", opEntry{min: 1, max: MaxOpset, fn: importConcat, produces: []ir.Op{&ir.Concat{}}})
}

// importConcat imports Concat. axis became required in opset 4 (it
// defaulted to 1 before) and may be negative from opset 11.
func importConcat(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if len(in) == 0 {
		return nil, errors.New("needs at least one input")
	}
	for i, v := range in {
		if v == nil {
			return nil, fmt.Errorf("input %d is omitted", i)
		}
	}
	a := b.attrs()
	if opset >= 4 && !a.has("axis") {
		return nil, errors.New("attribute axis is required")
	}
	return one(b.add1(&ir.Concat{Axis: a.intIn("axis", 1, -maxDim, maxDim)}, in...))
}
