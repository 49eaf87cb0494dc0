package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("QLinearConv", opEntry{min: 10, max: MaxOpset, fn: importQLinearConv,
		notes:    "uint8 and int8 codes; per-tensor or per-output-channel weight parameters; int32 bias",
		produces: []ir.Op{&ir.QLinearConv{}}})
	register("ConvInteger", opEntry{min: 10, max: MaxOpset, fn: importConvInteger,
		notes: "uint8 and int8 codes; per-output-channel weight zero points", produces: []ir.Op{&ir.ConvInteger{}}})
	registerIn(msDomain, "QLinearConv", opEntry{min: 1, max: 1, fn: importQLinearConv,
		notes: "as ai.onnx QLinearConv; channels_last = 1 is not supported", produces: []ir.Op{&ir.QLinearConv{}}})
}

// importQLinearConv imports QLinearConv, whose attributes are Conv's.
func importQLinearConv(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 8, 9); err != nil {
		return nil, err
	}
	a := b.attrs()
	if err := noChannelsLast(b, a); err != nil {
		return nil, err
	}
	op := &ir.QLinearConv{Window: window(a, true), Group: a.intIn("group", 1, 1, maxDim)}
	return one(b.addQuant(op, in...))
}

// importConvInteger imports ConvInteger, whose attributes are Conv's.
func importConvInteger(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 4); err != nil {
		return nil, err
	}
	a := b.attrs()
	op := &ir.ConvInteger{Window: window(a, true), Group: a.intIn("group", 1, 1, maxDim)}
	return one(b.addQuant(op, in...))
}

// noChannelsLast reads the channels_last attribute of ONNX Runtime's
// contrib image ops, which cnnc supports only with its default (NCHW
// data, as ONNX's own operators have).
func noChannelsLast(b *builder, a *attrs) error {
	if normDomain(b.cur.Domain) != msDomain {
		return nil
	}
	if a.int("channels_last", 0) != 0 {
		return unsupportedf("channels_last = 1 (NHWC data) is not supported")
	}
	return nil
}
