package passes

import (
	"github.com/cnnc/cnnc/ir"
)

// CancelTransposes composes a Transpose of a Transpose into one, and drops
// the pair when together they move nothing. The layout pass brings such
// pairs about wherever a model transposes on its own: a channels-last
// block in an NCHW model (ConvNeXt's LayerNorm) reads the NHWC data the
// convolution before it already wrote, once the transpose back to NCHW
// that the layout pass put in front of the model's own Transpose cancels
// against it.
func CancelTransposes(g *ir.Graph) error {
	changed := false
	for _, n := range g.Nodes {
		t, ok := n.Op.(*ir.Transpose)
		if !ok {
			continue
		}
		p := n.Inputs[0].Producer
		if p == nil {
			continue
		}
		t0, ok := p.Op.(*ir.Transpose)
		if !ok || len(t0.Perm) != len(t.Perm) {
			continue
		}
		// Output axis i of n is axis t.Perm[i] of p's output, which is axis
		// t0.Perm[t.Perm[i]] of p's input.
		perm := make([]int, len(t.Perm))
		identity := true
		for i, a := range t.Perm {
			perm[i] = t0.Perm[a]
			identity = identity && perm[i] == i
		}
		src := p.Inputs[0]
		if identity {
			g.Replace(n.Outputs[0], src)
		} else {
			n.Inputs[0] = src
			n.Op = &ir.Transpose{Perm: perm}
		}
		changed = true
	}
	if !changed {
		return nil
	}
	g.RemoveDead()
	// A value's layout tag may have changed with its producer: type the
	// graph again.
	return g.Infer()
}
