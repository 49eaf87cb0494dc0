package onnx

import (
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Conv", opEntry{min: 1, max: MaxOpset, fn: importConv, floatOnly: true, notes: "any rank; auto_pad", produces: []ir.Op{&ir.Conv{}}})
	register("ConvTranspose", opEntry{min: 1, max: MaxOpset, fn: importConvTranspose, floatOnly: true, notes: "output_shape, output_padding, auto_pad", produces: []ir.Op{&ir.ConvTranspose{}}})
}

// importConv imports Conv, whose attributes have kept their meaning since
// opset 1 (opset 11 only made kernel_shape and pads optional, which the
// shape rule handles by taking the kernel from the weights).
func importConv(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	a := b.attrs()
	op := &ir.Conv{Window: window(a, true), Group: a.intIn("group", 1, 1, maxDim)}
	return one(b.add1(op, in...))
}

// importConvTranspose imports ConvTranspose. output_shape may list the
// spatial sizes only or, as some exporters write it, the whole output
// shape; the leading batch and channel entries are dropped then.
func importConvTranspose(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	a := b.attrs()
	op := &ir.ConvTranspose{
		Window:        window(a, true),
		Group:         a.intIn("group", 1, 1, maxDim),
		OutputPadding: a.ints("output_padding", 0, maxDim),
		OutputShape:   a.ints("output_shape", 1, maxDim),
	}
	if k := len(in[0].Shape) - 2; op.OutputShape != nil && len(op.OutputShape) == k+2 && k > 0 {
		op.OutputShape = op.OutputShape[2:]
	}
	if op.OutputShape != nil && op.AutoPad == ir.PadValid {
		return nil, fmt.Errorf("output_shape cannot be combined with auto_pad VALID")
	}
	return one(b.add1(op, in...))
}
