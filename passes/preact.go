package passes

import "github.com/cnnc/cnnc/ir"

// FusePreActivation moves a BatchNormalization with constant statistics
// (and the activation fused into it) that feeds only a 1x1, stride-1,
// unpadded convolution in NHWC into that convolution, as its input
// channel map (Conv inputs P and Q and InActivation): the convolution then
// reads the normalization's input and maps each value as its GEMM takes
// it, a chunk of pixels at a time from cache, instead of a separate pass
// writing the whole normalized tensor to memory and the GEMM reading it
// back. This is DenseNet's pre-activation (BatchNorm, ReLU, 1x1 Conv),
// which FoldBatchNorm cannot fold: the ReLU sits between the normalization
// and the weights.
func FusePreActivation(g *ir.Graph) error {
	uses := g.Uses()
	for _, n := range g.Nodes {
		conv, ok := n.Op.(*ir.Conv)
		if !ok || conv.Layout != ir.NHWC || conv.Group != 1 || n.Input(4) != nil || n.Input(5) != nil || !pointwise(n, conv) {
			continue
		}
		x := n.Inputs[0]
		p := x.Producer
		if p == nil || !singleUse(g, uses, x) {
			continue
		}
		bn, ok := p.Op.(*ir.BatchNormalization)
		if !ok || bn.Layout != ir.NHWC || !allConst(p.Inputs[1:5]) || p.Inputs[0].DType != ir.Float32 {
			continue
		}
		c := x.Shape[len(x.Shape)-1]
		scale, shift := bn.Affine(p, c)
		n.Inputs = []*ir.Value{p.Inputs[0], n.Inputs[1], n.Input(2), n.Input(3), nil,
			ir.NewConst(p.Name+"/scale", scale), ir.NewConst(p.Name+"/shift", shift)}
		conv.InActivation = bn.Activation
		uses = g.Uses()
	}
	g.RemoveDead()
	return nil
}

// pointwise reports whether the convolution is 1x1 with stride 1 and no
// padding: each output pixel is one input pixel's channels times the
// weights. (A 1x1 stride-1 window pads nothing in the automatic modes.)
func pointwise(n *ir.Node, c *ir.Conv) bool {
	w := n.Inputs[1]
	if len(w.Shape) < 3 {
		return false
	}
	for _, k := range w.Shape[2:] {
		if k != 1 {
			return false
		}
	}
	for _, s := range c.Strides {
		if s != 1 {
			return false
		}
	}
	for _, p := range c.Pads {
		if p != 0 {
			return false
		}
	}
	return true
}
