package passes

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

// FoldBatchNorm folds an inference-mode BatchNormalization into the Conv
// that feeds it, when the Conv's output goes nowhere else: with
// s = scale / sqrt(var + eps), the weights of filter m become W[m]*s[m] and
// its bias (b[m] - mean[m])*s[m] + beta[m]. The arithmetic is done in
// float64 on the float64 constants, so the folded weights are rounded to
// float32 only once, by the code generator.
func FoldBatchNorm(g *ir.Graph) error {
	uses := g.Uses()
	for _, n := range g.Nodes {
		bn, ok := n.Op.(*ir.BatchNormalization)
		if !ok || !allConst(n.Inputs[1:5]) {
			continue
		}
		x := n.Inputs[0]
		p := x.Producer
		if p == nil || !singleUse(g, uses, x) {
			continue
		}
		conv, ok := p.Op.(*ir.Conv)
		if !ok || conv.Activation != nil || p.Input(3) != nil || !p.Inputs[1].IsConst() {
			continue
		}
		if b := p.Input(2); b != nil && !b.IsConst() {
			continue
		}
		if bnLayout := bn.Layout; conv.Layout != bnLayout && !(bnLayout == ir.LayoutAny && conv.Layout == ir.NCHW) {
			continue // the normalization runs over another axis than the filters
		}
		w := p.Inputs[1].Const
		m := w.Shape[0]
		per := w.Len() / m
		scale, beta, mean, variance := n.Inputs[1].Const, n.Inputs[2].Const, n.Inputs[3].Const, n.Inputs[4].Const
		nw := ir.Zeros(w.DType, w.Shape)
		nb := ir.Zeros(x.DType, ir.Shape{m})
		for f := 0; f < m; f++ {
			s := scale.Float(f) / math.Sqrt(variance.Float(f)+bn.Epsilon)
			for j := 0; j < per; j++ {
				nw.Floats[f*per+j] = w.Floats[f*per+j] * s
			}
			b := 0.0
			if bias := p.Input(2); bias != nil {
				b = bias.Const.Float(f)
			}
			nb.Floats[f] = (b-mean.Float(f))*s + beta.Float(f)
		}
		p.Inputs = []*ir.Value{p.Inputs[0], ir.NewConst(p.Inputs[1].Name+"/bn", nw), ir.NewConst(p.Name+"/bias/bn", nb)}
		g.Replace(n.Outputs[0], x)
		uses = g.Uses()
	}
	g.RemoveDead()
	return nil
}

func allConst(vs []*ir.Value) bool {
	for _, v := range vs {
		if !v.IsConst() {
			return false
		}
	}
	return true
}
