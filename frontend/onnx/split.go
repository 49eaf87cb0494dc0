package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Split", opEntry{min: 1, max: MaxOpset, fn: importSplit, notes: "one Slice per output; split attribute, constant input (13+) or num_outputs (18+)", produces: []ir.Op{&ir.Slice{}}})
}

// importSplit imports Split as one Slice per output. The sizes come from
// the split attribute (before opset 13, or the optional second input of
// opset 1), the constant split input (13+), num_outputs (18+: equal parts
// of ceil(dim/n), the last one smaller) or, failing all, an equal split
// into as many parts as the node has outputs.
func importSplit(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	a := b.attrs()
	most := 1
	if opset < 2 || opset >= 13 {
		most = 2
	}
	if err := arity(in, 1, most); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := ir.NormAxis(a.intIn("axis", 0, -maxDim, maxDim), len(x.Shape))
	if err != nil {
		return nil, err
	}
	dim := x.Shape[axis]
	if dim == ir.Batch {
		return nil, errors.New("cannot split the batch dimension")
	}
	var sizes []int64
	if opset < 13 && a.has("split") {
		sizes = a.ints64("split")
	}
	if v := opt(in, 1); v != nil {
		if sizes, err = b.constInts(v, "split"); err != nil {
			return nil, err
		}
	}
	outs := len(n.Output)
	if opset >= 18 && a.has("num_outputs") {
		if sizes != nil {
			return nil, errors.New("split and num_outputs are both given")
		}
		k := a.intIn("num_outputs", 1, 1, maxDim)
		if k != outs {
			return nil, fmt.Errorf("num_outputs is %d but the node has %d outputs", k, outs)
		}
		chunk := (dim + k - 1) / k
		for left := dim; len(sizes) < k; left -= min(chunk, left) {
			sizes = append(sizes, int64(min(chunk, left)))
		}
	}
	if sizes == nil {
		if outs == 0 || dim%outs != 0 {
			return nil, fmt.Errorf("cannot split dimension %d of size %d into %d equal parts", axis, dim, outs)
		}
		for range outs {
			sizes = append(sizes, int64(dim/outs))
		}
	}
	if len(sizes) != outs {
		return nil, fmt.Errorf("split %v has %d parts, the node has %d outputs", sizes, len(sizes), outs)
	}
	var total int64
	for _, s := range sizes {
		if s < 0 || s > maxDim {
			return nil, fmt.Errorf("split %v has a negative or absurd size", sizes)
		}
		total += s
	}
	if total != int64(dim) {
		return nil, fmt.Errorf("split %v adds up to %d, dimension %d has size %d", sizes, total, axis, dim)
	}
	res := make([]*ir.Value, outs)
	start := int64(0)
	for i, s := range sizes {
		op := &ir.Slice{Starts: []int64{start}, Ends: []int64{start + s}, Axes: []int64{int64(axis)}}
		if res[i], err = b.add1(op, x); err != nil {
			return nil, err
		}
		start += s
	}
	return res, nil
}
