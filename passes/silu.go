package passes

import "github.com/cnnc/cnnc/ir"

// FuseSilu turns x * Sigmoid(x) (either operand order), the way exporters
// write SiLU/Swish, into one Silu activation, which then fuses into the
// convolution before it instead of costing two passes over the data.
func FuseSilu(g *ir.Graph) error {
	uses := g.Uses()
	changed := false
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.Mul); !ok || len(n.Inputs) != 2 {
			continue
		}
		var x, s *ir.Value
		for i := range 2 {
			a, b := n.Inputs[i], n.Inputs[1-i]
			if p := b.Producer; p != nil && p.Inputs[0] == a {
				if _, ok := p.Op.(*ir.Sigmoid); ok {
					x, s = a, b
				}
			}
		}
		if x == nil || !singleUse(g, uses, s) || !n.Outputs[0].Shape.Equal(x.Shape) {
			continue
		}
		n.Op, n.Inputs = &ir.Silu{}, []*ir.Value{x}
		if err := ir.InferNode(n); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		g.RemoveDead()
	}
	return nil
}
