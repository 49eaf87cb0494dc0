package passes

import (
	"github.com/cnnc/cnnc/ir"
)

// FuseBias turns a matrix product by a constant into a Gemm and folds a
// constant addition that follows a Conv or Gemm into its bias: Conv + Add of
// a per-channel constant (CNTK's and TF's exports add the bias separately)
// and MatMul/Gemm + Add of a per-column constant.
func FuseBias(g *ir.Graph) error {
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.MatMul); ok && len(n.Inputs[0].Shape) == 2 && n.Inputs[1].IsConst() && len(n.Inputs[1].Shape) == 2 {
			n.Op = &ir.Gemm{Alpha: 1, Beta: 1}
		}
	}
	uses := g.Uses()
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.Add); !ok {
			continue
		}
		for k := 0; k < 2; k++ {
			x, c := n.Inputs[k], n.Inputs[1-k]
			if !c.IsConst() || x.Producer == nil || !singleUse(g, uses, x) || !c.DType.IsFloat() {
				continue
			}
			if !n.Outputs[0].Shape.Equal(x.Shape) {
				continue // the constant would broadcast x itself
			}
			var folded bool
			switch op := x.Producer.Op.(type) {
			case *ir.Conv:
				folded = foldConvBias(x.Producer, op, c.Const)
			case *ir.Gemm:
				folded = foldGemmBias(x.Producer, op, c.Const)
			}
			if folded {
				g.Replace(n.Outputs[0], x)
				uses = g.Uses()
				break
			}
		}
	}
	g.RemoveDead()
	return nil
}

// channelVector returns c's values as a vector over axis `axis` of a
// rank-r tensor whose size there is m, when c is constant along every other
// axis; ok is false otherwise.
func channelVector(c *ir.Tensor, r, axis, m int) ([]float64, bool) {
	s := c.Shape
	if len(s) > r {
		return nil, false
	}
	off := r - len(s)
	for i, d := range s {
		switch {
		case off+i == axis:
			if d != m && d != 1 {
				return nil, false
			}
		case d != 1:
			return nil, false
		}
	}
	out := make([]float64, m)
	for i := range out {
		if c.Len() == 1 {
			out[i] = c.Float(0)
		} else if c.Len() == m {
			out[i] = c.Float(i)
		} else {
			return nil, false
		}
	}
	return out, true
}

func foldConvBias(p *ir.Node, conv *ir.Conv, c *ir.Tensor) bool {
	if conv.Activation != nil || p.Input(3) != nil {
		return false
	}
	y := p.Outputs[0]
	m := p.Inputs[1].Shape[0]
	vec, ok := channelVector(c, len(y.Shape), conv.Layout.ChannelAxis(len(y.Shape)), m)
	if !ok {
		return false
	}
	b := p.Input(2)
	if b != nil && !b.IsConst() {
		return false
	}
	nb := ir.Zeros(y.DType, ir.Shape{m})
	for i := range nb.Floats {
		nb.Floats[i] = vec[i]
		if b != nil {
			nb.Floats[i] += b.Const.Float(i)
		}
	}
	p.Inputs = []*ir.Value{p.Inputs[0], p.Inputs[1], ir.NewConst(p.Name+"/bias", nb)}
	return true
}

func foldGemmBias(p *ir.Node, gemm *ir.Gemm, c *ir.Tensor) bool {
	if gemm.Activation != nil {
		return false
	}
	y := p.Outputs[0]
	n := y.Shape[1]
	vec, ok := channelVector(c, 2, 1, n)
	if !ok {
		return false
	}
	old := p.Input(2)
	if old != nil && !old.IsConst() {
		return false
	}
	var oldVec []float64
	if old != nil {
		if oldVec, ok = channelVector(old.Const, 2, 1, n); !ok {
			return false
		}
	}
	nc := ir.Zeros(y.DType, ir.Shape{n})
	for i := range nc.Floats {
		nc.Floats[i] = vec[i]
		if old != nil {
			nc.Floats[i] += gemm.Beta * oldVec[i]
		}
	}
	gemm.Beta = 1
	p.Inputs = []*ir.Value{p.Inputs[0], p.Inputs[1], ir.NewConst(p.Name+"/bias", nc)}
	return true
}

// FuseResidual folds y = Add(conv(x), r) into the Conv's residual input,
// so that the addition happens in the convolution's store step (ResNet's
// shortcut). It picks the later of two candidate convolutions and requires
// r to be computed before the convolution runs.
func FuseResidual(g *ir.Graph) error {
	index := make(map[*ir.Node]int)
	for i, n := range g.Nodes {
		index[n] = i
	}
	before := func(v *ir.Value, p *ir.Node) bool {
		return v.Producer == nil || index[v.Producer] < index[p]
	}
	uses := g.Uses()
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.Add); !ok {
			continue
		}
		a, b := n.Inputs[0], n.Inputs[1]
		out := n.Outputs[0]
		if !a.Shape.Equal(out.Shape) || !b.Shape.Equal(out.Shape) || a == b {
			continue
		}
		var best *ir.Node
		var other *ir.Value
		for k, x := range []*ir.Value{a, b} {
			r := []*ir.Value{b, a}[k]
			p := x.Producer
			if p == nil || !singleUse(g, uses, x) || !before(r, p) {
				continue
			}
			conv, ok := p.Op.(*ir.Conv)
			if !ok || conv.Activation != nil || p.Input(3) != nil {
				continue
			}
			if best == nil || index[p] > index[best] {
				best, other = p, r
			}
		}
		if best == nil {
			continue
		}
		best.Inputs = []*ir.Value{best.Inputs[0], best.Inputs[1], best.Input(2), other}
		g.Replace(out, best.Outputs[0])
		uses = g.Uses()
	}
	g.RemoveDead()
	// The Add took the layout of its first input that had one, which may
	// not be the convolution's: infer the types of its readers again.
	return g.Infer()
}

// FuseActivation moves an activation into the op that produces its input
// when that op applies activations as it stores its result (ir.Epilogue:
// Conv, Gemm, an unfolded BatchNormalization) and its output goes nowhere
// else.
func FuseActivation(g *ir.Graph) error {
	uses := g.Uses()
	for _, n := range g.Nodes {
		act, ok := n.Op.(ir.Activation)
		if !ok {
			continue
		}
		x := n.Inputs[0]
		p := x.Producer
		if p == nil || !singleUse(g, uses, x) || !x.DType.IsFloat() {
			continue
		}
		e, ok := p.Op.(ir.Epilogue)
		if !ok || e.FusedActivation() != nil {
			continue
		}
		e.SetActivation(act)
		g.Replace(n.Outputs[0], x)
		uses = g.Uses()
	}
	g.RemoveDead()
	return nil
}

// FuseChannelScale moves a per-item, per-channel scale of a 1x1
// convolution's input, Conv(Mul(x, s)) with s of shape [N, 1, 1, C] in
// NHWC (a squeeze-and-excitation block's output), into the convolution
// as its input channel scale (Conv's input 4): the code generator then
// rescales the convolution's K x N weights for each image instead of its
// M x K input, and the pass over the image is gone. It does so only where
// that is less work, where the image has more pixels M than the
// convolution has output channels N (EfficientNet's early blocks, not its
// 7x7 ones), and only for group 1.
func FuseChannelScale(g *ir.Graph) error {
	uses := g.Uses()
	changed := false
	for _, n := range g.Nodes {
		conv, ok := n.Op.(*ir.Conv)
		if !ok || conv.Layout != ir.NHWC || conv.Group != 1 || n.Input(4) != nil || !n.Inputs[1].IsConst() {
			continue
		}
		x, ws := n.Inputs[0], n.Inputs[1].Shape
		if len(ws) != 4 || ws[2] != 1 || ws[3] != 1 || len(x.Shape) != 4 || x.Producer == nil || !singleUse(g, uses, x) {
			continue
		}
		if _, ok := x.Producer.Op.(*ir.Mul); !ok || len(x.Producer.Inputs) != 2 {
			continue
		}
		if x.Shape[1]*x.Shape[2] <= ws[0] {
			continue
		}
		want := ir.Shape{x.Shape[0], 1, 1, x.Shape[3]}
		for i, a := range x.Producer.Inputs {
			s := x.Producer.Inputs[1-i]
			if a.Shape.Equal(x.Shape) && s.Shape.Equal(want) && !s.IsConst() && a.DType == x.DType && s.DType == x.DType {
				n.Inputs = []*ir.Value{a, n.Inputs[1], n.Input(2), n.Input(3), s}
				changed = true
				break
			}
		}
	}
	if !changed {
		return nil
	}
	g.RemoveDead()
	return g.Infer()
}
