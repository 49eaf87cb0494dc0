package passes

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// RemoveIdentity deletes nodes that compute nothing at inference time:
// those whose op says it passes its input through (ir.PassThrough:
// Identity, Dropout, a Cast to the type the value already has, a Concat of
// one input, a Pad of nothing). A Dropout's mask, if read, becomes an
// all-true constant. A graph output that would become a graph input
// directly is left to the code generator, which copies it.
func RemoveIdentity(g *ir.Graph) error {
	for _, n := range g.Nodes {
		p, ok := n.Op.(ir.PassThrough)
		if !ok || !p.PassesThrough(n) || n.Inputs[0] == nil || n.Inputs[0].DType != n.Outputs[0].DType {
			continue
		}
		if len(n.Outputs) > 1 {
			if _, ok := n.Op.(*ir.Dropout); !ok {
				continue
			}
			m := n.Outputs[1]
			ones := ir.Zeros(ir.Bool, m.Shape)
			if !m.Shape.Static() {
				if len(g.Uses()[m]) > 0 || g.IsOutput(m) {
					return fmt.Errorf("%s: the dropout mask of a batch-sized value is not supported", n.Where())
				}
			} else {
				for i := range ones.Ints {
					ones.Ints[i] = 1
				}
				g.Replace(m, ir.NewConst(m.Name, ones))
			}
		}
		g.Replace(n.Outputs[0], n.Inputs[0])
	}
	g.RemoveDead()
	return nil
}

// FoldConstants evaluates every node whose inputs are all constants and
// replaces its outputs by the results, rounded to their element types.
func FoldConstants(g *ir.Graph) error {
	for _, n := range g.Nodes {
		if len(n.Inputs) == 0 {
			continue
		}
		in := make([]*ir.Tensor, len(n.Inputs))
		foldable := true
		for i, v := range n.Inputs {
			switch {
			case v == nil:
			case v.IsConst():
				in[i] = v.Const
			default:
				foldable = false
			}
		}
		if !foldable {
			continue
		}
		out, err := eval.Node(n, in)
		if err != nil {
			return fmt.Errorf("%s: folding constants: %w", n.Where(), err)
		}
		for i, o := range n.Outputs {
			t := out[i]
			t.RoundToType()
			c := ir.NewConst(o.Name, t)
			c.Layout = o.Layout
			g.Replace(o, c)
		}
	}
	g.RemoveDead()
	return nil
}

// singleUse reports whether v is read by exactly one node and is not a
// graph output, so that its producer may be rewritten to compute that
// node's result instead.
func singleUse(g *ir.Graph, uses map[*ir.Value][]*ir.Node, v *ir.Value) bool {
	return len(uses[v]) == 1 && !g.IsOutput(v)
}
