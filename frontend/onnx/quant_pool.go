package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	registerIn(msDomain, "QLinearAveragePool", opEntry{min: 1, max: 1, fn: importQLinearAveragePool,
		notes: "uint8 and int8; auto_pad, ceil_mode, count_include_pad; channels_last = 1 is not supported", produces: []ir.Op{&ir.QLinearAveragePool{}}})
	registerIn(msDomain, "QLinearGlobalAveragePool", opEntry{min: 1, max: 1, fn: importQLinearGlobalAveragePool,
		notes: "uint8 and int8; channels_last = 1 is not supported", produces: []ir.Op{&ir.QLinearGlobalAveragePool{}}})
	registerIn(msDomain, "QLinearConcat", opEntry{min: 1, max: 1, fn: importQLinearConcat,
		notes: "uint8 and int8; each input requantized to the output's parameters", produces: []ir.Op{&ir.QLinearConcat{}}})
}

func importQLinearAveragePool(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arityOmitting(in, 4, 5, 2); err != nil { // X, XScale, [XZero], YScale, [YZero]
		return nil, err
	}
	a := b.attrs()
	if err := noChannelsLast(b, a); err != nil {
		return nil, err
	}
	w := window(a, false)
	w.CeilMode = a.bool("ceil_mode", false)
	if w.Kernel == nil {
		return nil, errors.New("kernel_shape is required")
	}
	op := &ir.QLinearAveragePool{Window: w, CountIncludePad: a.bool("count_include_pad", false)}
	return one(b.addQuant(op, in...))
}

func importQLinearGlobalAveragePool(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 5, 5); err != nil {
		return nil, err
	}
	if err := noChannelsLast(b, b.attrs()); err != nil {
		return nil, err
	}
	return one(b.addQuant(&ir.QLinearGlobalAveragePool{}, in...))
}

// importQLinearConcat imports QLinearConcat: the output's scale and zero
// point, then (tensor, scale, zero point) per input.
func importQLinearConcat(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if len(in) < 5 || (len(in)-2)%3 != 0 {
		return nil, fmt.Errorf("needs the output's scale and zero point and then (tensor, scale, zero point) triples, has %d inputs", len(in))
	}
	for i, v := range in {
		if v == nil {
			return nil, fmt.Errorf("input %d is omitted", i)
		}
	}
	a := b.attrs()
	if !a.has("axis") {
		return nil, errors.New("attribute axis is required")
	}
	return one(b.addQuant(&ir.QLinearConcat{Axis: a.intIn("axis", 0, -maxDim, maxDim)}, in...))
}
