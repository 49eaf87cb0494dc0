package onnx

import (
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Shape", opEntry{min: 1, max: MaxOpset, fn: importShape, notes: "folded; start/end (15+); with a symbolic batch tracked symbolically", produces: []ir.Op{&ir.ShapeOf{}}, folded: true})
}

// importShape imports Shape (start and end from opset 15). The result is a
// constant when the input's shape is static, and a tracked symbolic value
// when it has a symbolic batch (see fold.go).
func importShape(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	r := len(in[0].Shape)
	op := &ir.ShapeOf{Start: 0, End: r}
	if opset >= 15 {
		a := b.attrs()
		op.Start = a.intIn("start", 0, -maxDim, maxDim)
		op.End = a.intIn("end", int64(r), -maxDim, maxDim)
	}
	return one(b.add1(op, in[0]))
}
