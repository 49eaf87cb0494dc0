package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Flatten", opEntry{min: 1, max: MaxOpset, fn: importFlatten, produces: []ir.Op{&ir.Flatten{}}})
	register("Reshape", opEntry{min: 1, max: MaxOpset, fn: importReshape, notes: "shape attribute before opset 5, constant (or batch-symbolic) input from 5; allowzero (14+)", produces: []ir.Op{&ir.Reshape{}}})
	register("Squeeze", opEntry{min: 1, max: MaxOpset, fn: importSqueeze, notes: "axes attribute before opset 13, constant input from 13", produces: []ir.Op{&ir.Squeeze{}}})
	register("Unsqueeze", opEntry{min: 1, max: MaxOpset, fn: importUnsqueeze, notes: "axes attribute before opset 13, constant input from 13", produces: []ir.Op{&ir.Unsqueeze{}}})
}

// importReshape imports Reshape. Before opset 5 the shape was an
// attribute; from 5 it is an input, which must be a constant after folding
// or a symbolic shape computation whose only batch-dependent entry is the
// batch itself in position 0 (PyTorch's flatten writes Reshape(x,
// Concat(Shape(x)[0], -1))); that entry becomes ir.ReshapeBatch.
// allowzero (14+) makes a 0 mean an empty dimension rather than a copy.
func importReshape(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	a := b.attrs()
	var shape []symDim
	if opset < 5 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		if !a.has("shape") {
			return nil, errors.New("attribute shape is required")
		}
		for _, d := range a.ints64("shape") {
			shape = append(shape, symDim{C: d})
		}
	} else {
		if err := arity(in, 2, 2); err != nil {
			return nil, err
		}
		var err error
		if shape, err = b.symInts(in[1], "shape"); err != nil {
			return nil, err
		}
	}
	op := &ir.Reshape{Shape: make([]int64, len(shape))}
	if opset >= 14 {
		op.AllowZero = a.bool("allowzero", false)
	}
	for i, d := range shape {
		switch {
		case d.K == 0 && (d.C < -1 || d.C > maxDim):
			// -2 would read as ir.ReshapeBatch.
			return nil, fmt.Errorf("shape entry %d is %d, out of range", i, d.C)
		case d.K == 0:
			op.Shape[i] = d.C
		case i == 0 && d == symDim{K: 1}:
			op.Shape[i] = ir.ReshapeBatch
		default:
			return nil, &RunTimeInputError{What: "shape", Input: in[1].Name, Batch: true, Symbolic: fmt.Sprint(shape)}
		}
	}
	return one(b.add1(op, in[0]))
}

// importFlatten imports Flatten (axis default 1, negative from opset 11).
func importFlatten(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Flatten{Axis: b.attrs().intIn("axis", 1, -maxDim, maxDim)}, in[0]))
}

// axesArg reads the axes of Squeeze and Unsqueeze: an attribute before
// opset 13, an input from 13 (optional for Squeeze). It returns nil when
// none are given.
func axesArg(b *builder, opset int64, in []*ir.Value, inputRequired bool) ([]int, error) {
	if opset < 13 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		return b.attrs().ints("axes", -maxDim, maxDim), nil
	}
	req := 1
	if inputRequired {
		req = 2
	}
	if err := arity(in, req, 2); err != nil {
		return nil, err
	}
	v := opt(in, 1)
	if v == nil {
		return nil, nil
	}
	axes, err := b.constInts(v, "axes")
	if err != nil {
		return nil, err
	}
	return toInts(axes, "axes")
}

// importSqueeze imports Squeeze; without axes every size-1 dimension goes.
func importSqueeze(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	axes, err := axesArg(b, opset, in, false)
	if err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Squeeze{Axes: axes}, in[0]))
}

// importUnsqueeze imports Unsqueeze, whose axes are required.
func importUnsqueeze(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	axes, err := axesArg(b, opset, in, true)
	if err != nil {
		return nil, err
	}
	if axes == nil {
		return nil, errors.New("axes are required")
	}
	return one(b.add1(&ir.Unsqueeze{Axes: axes}, in[0]))
}
