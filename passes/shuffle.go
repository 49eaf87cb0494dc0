package passes

import (
	"slices"

	"github.com/cnnc/cnnc/ir"
)

// FuseChannelShuffle recognizes ShuffleNet's channel shuffle as exporters
// write it,
//
//	Reshape [N, C, H, W] -> [N, g, C/g, H, W]
//	Transpose [0, 2, 1, 3, 4]
//	Reshape back to [N, C, H, W]
//
// and makes it one ChannelShuffle op, which follows NHWC data (a gather
// within each pixel) where the three ops would send the data through two
// layout changes and a rank-5 transpose.
func FuseChannelShuffle(g *ir.Graph) error {
	uses := g.Uses()
	changed := false
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.Reshape); !ok {
			continue
		}
		t := n.Inputs[0].Producer
		if t == nil || !singleUse(g, uses, n.Inputs[0]) {
			continue
		}
		tr, ok := t.Op.(*ir.Transpose)
		if !ok || !slices.Equal(tr.Perm, []int{0, 2, 1, 3, 4}) {
			continue
		}
		r1 := t.Inputs[0].Producer
		if r1 == nil || !singleUse(g, uses, t.Inputs[0]) {
			continue
		}
		if _, ok := r1.Op.(*ir.Reshape); !ok {
			continue
		}
		x := r1.Inputs[0]
		xs, mid, ys := x.Shape, r1.Outputs[0].Shape, n.Outputs[0].Shape
		if len(xs) != 4 || len(mid) != 5 || !ys.Equal(xs) || mid[0] != xs[0] || mid[1]*mid[2] != xs[1] || mid[3] != xs[2] || mid[4] != xs[3] || mid[1] < 1 {
			continue
		}
		n.Op, n.Inputs = &ir.ChannelShuffle{Groups: mid[1]}, []*ir.Value{x}
		if err := ir.InferNode(n); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	g.RemoveDead()
	// The shuffle's output carries a layout tag the Reshape's did not.
	return g.Infer()
}
