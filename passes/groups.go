package passes

import "github.com/cnnc/cnnc/ir"

// WidenGroupsFor returns the widen-groups pass for a code generator whose
// grouped convolutions compute at least t.GroupWidth output channels per
// group at once (the narrowest panel of its GEMM kernels).
//
// A group narrower than that (ResNeXt's 32 groups of 4 channels) pads its
// product to the panel width, so half or more of the kernel's work is
// wasted, and each group is a call of its own, with a short inner loop per
// kernel tap. Merging f adjacent groups into one whose filters are
// block-diagonal (zero where an output channel would see another old
// group's inputs) computes the same sums: the kernel does no more
// multiply-adds than it did on the padded panels, as long as f times the
// group's output channels stays within the width, but in f times fewer,
// f times deeper products. Depthwise convolutions (one input channel per
// group) keep their own kernels and are left alone.
func WidenGroupsFor(t Target) func(*ir.Graph) error {
	return func(g *ir.Graph) error {
		if t.GroupWidth > 1 {
			widenGroups(g, t.GroupWidth)
		}
		return nil
	}
}

func widenGroups(g *ir.Graph, width int) {
	for _, n := range g.Nodes {
		c, ok := n.Op.(*ir.Conv)
		if !ok || c.Group <= 1 || n.Input(4) != nil || !n.Inputs[1].IsConst() {
			continue
		}
		w := n.Inputs[1].Const
		if len(w.Shape) < 2 || w.Shape[0]%c.Group != 0 {
			continue
		}
		cout, cin := w.Shape[0], w.Shape[1]
		opg := cout / c.Group
		if cin < 2 || opg >= width {
			continue
		}
		f := 1
		for d := 2; d*opg <= width; d++ {
			if c.Group%d == 0 {
				f = d
			}
		}
		if f == 1 {
			continue
		}
		shape := w.Shape.Clone()
		shape[1] = cin * f
		nw := ir.Zeros(w.DType, shape)
		taps := w.Len() / (cout * cin)
		for o := 0; o < cout; o++ {
			// Old group o/opg is slot (o/opg)%f of its new group: its
			// cin inputs come at that offset of the widened filter.
			slot := o / opg % f
			src := w.Floats[o*cin*taps : (o+1)*cin*taps]
			dst := nw.Floats[(o*cin*f+slot*cin)*taps:]
			copy(dst[:cin*taps], src)
		}
		n.Inputs[1] = ir.NewConst(n.Inputs[1].Name+"/widened", nw)
		c.Group /= f
	}
}
