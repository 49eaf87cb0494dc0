package onnx

import "github.com/cnnc/cnnc/ir"

// markImageInputs declares NCHW the layout of every graph input that holds
// images: a floating-point input of rank 3 to 5 that reaches the data
// input of an image op (a convolution, a pool, a channel normalization),
// directly or through ops that keep the layout (element-wise ops such as a
// normalizing Sub and Div, Cast, Pad, Slice, Resize). ONNX defines every
// image op on channels-first data, so such an input is NCHW (NCL, NCDHW
// for ranks 3 and 5) whatever the model's exporter called it; ONNX itself
// records no layout. The declaration reaches the generated package's
// TensorInfo (Inputs[i].Layout), which programs that turn images into
// inputs read (vision.ForInput).
//
// Other inputs (token ids, a MatMul's rank-4 operand, shapes) stay
// LayoutAny: a layout would claim they are images. The graph is typed
// again when an input changed, so that the tag flows to the values
// computed from it as shape inference propagates layouts everywhere else.
func markImageInputs(g *ir.Graph) error {
	var uses map[*ir.Value][]*ir.Node
	changed := false
	for _, in := range g.Inputs {
		if in.Layout != ir.LayoutAny || !in.DType.IsFloat() || len(in.Shape) < 3 || len(in.Shape) > 5 {
			continue
		}
		if uses == nil {
			uses = g.Uses()
		}
		if feedsImageOp(in, uses) {
			in.Layout = ir.NCHW
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return g.Infer()
}

// feedsImageOp reports whether v reaches an image op's data input along
// layout-keeping ops whose output has v's rank.
func feedsImageOp(v *ir.Value, uses map[*ir.Value][]*ir.Node) bool {
	rank := len(v.Shape)
	seen := map[*ir.Value]bool{v: true}
	queue := []*ir.Value{v}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range uses[cur] {
			if imageOp(n.Op) && len(n.Inputs) > 0 && n.Inputs[0] == cur {
				return true
			}
			if !keepsLayout(n.Op) {
				continue
			}
			for _, o := range n.Outputs {
				if o != nil && !seen[o] && len(o.Shape) == rank {
					seen[o] = true
					queue = append(queue, o)
				}
			}
		}
	}
	return false
}

// imageOp reports whether op reads channels-first images at input 0.
func imageOp(op ir.Op) bool {
	switch op.(type) {
	case *ir.Conv, *ir.ConvTranspose, *ir.MaxPool, *ir.AveragePool, *ir.GlobalAveragePool, *ir.GlobalMaxPool,
		*ir.BatchNormalization, *ir.InstanceNormalization, *ir.LRN,
		*ir.QLinearConv, *ir.ConvInteger, *ir.QMaxPool, *ir.QLinearAveragePool, *ir.QLinearGlobalAveragePool:
		return true
	}
	return false
}

// keepsLayout reports whether op's output is laid out as its input is.
func keepsLayout(op ir.Op) bool {
	switch op.(type) {
	case ir.ElementWise, *ir.Identity, *ir.Dropout, *ir.Cast, *ir.Pad, *ir.Slice, *ir.Resize,
		*ir.QuantizeLinear, *ir.DequantizeLinear, *ir.QLookup, *ir.QLinearActivation:
		return true
	}
	return false
}
