package onnx

import (
	"errors"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("AveragePool", opEntry{min: 1, max: MaxOpset, fn: importAveragePool, floatOnly: true, notes: "count_include_pad (7+), ceil_mode (10+), dilations (19+), auto_pad", produces: []ir.Op{&ir.AveragePool{}}})
	register("GlobalAveragePool", opEntry{min: 1, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.GlobalAveragePool{} }), floatOnly: true, produces: []ir.Op{&ir.GlobalAveragePool{}}})
	register("GlobalMaxPool", opEntry{min: 1, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.GlobalMaxPool{} }), floatOnly: true, produces: []ir.Op{&ir.GlobalMaxPool{}}})
	register("MaxPool", opEntry{min: 1, max: MaxOpset, fn: importMaxPool, notes: "ceil_mode and dilations (10+), auto_pad; uint8 and int8 data (12+) as QMaxPool; the Indices output is not supported", produces: []ir.Op{&ir.MaxPool{}, &ir.QMaxPool{}}})
}

// importMaxPool imports MaxPool. ceil_mode and dilations exist from opset
// 10; storage_order (8+) only orders the Indices output, which cnnc does
// not compute (a model that reads it is rejected).
func importMaxPool(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	a := b.attrs()
	w := window(a, opset >= 10)
	if opset >= 10 {
		w.CeilMode = a.bool("ceil_mode", false)
	}
	if opset >= 8 {
		a.ignore("storage_order")
	}
	if w.Kernel == nil {
		return nil, errors.New("kernel_shape is required")
	}
	if dt := in[0].DType; !dt.IsFloat() {
		if opset < 12 || !ir.Is8Bit(dt) {
			return nil, unsupportedf("%s tensors are not supported: cnnc defines MaxPool on floating point, and on uint8 and int8 from opset 12", dt)
		}
		return one(b.add1(&ir.QMaxPool{Window: w}, in[0]))
	}
	return one(b.add1(&ir.MaxPool{Window: w}, in[0]))
}

// importAveragePool imports AveragePool: count_include_pad from opset 7,
// ceil_mode from 10, dilations from 19.
func importAveragePool(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	a := b.attrs()
	w := window(a, opset >= 19)
	if opset >= 10 {
		w.CeilMode = a.bool("ceil_mode", false)
	}
	op := &ir.AveragePool{Window: w}
	if opset >= 7 {
		op.CountIncludePad = a.bool("count_include_pad", false)
	}
	if w.Kernel == nil {
		return nil, errors.New("kernel_shape is required")
	}
	return one(b.add1(op, in[0]))
}
