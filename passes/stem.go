package passes

import (
	"slices"

	"github.com/cnnc/cnnc/ir"
)

// stemChannels is the most input channels a convolution may have to read
// its channels-first input directly: an image's few channels, where im2col
// rows are short runs (three values per tap for RGB) and the transpose to
// channels-last costs as much as the layer. Wider inputs gain nothing, and
// their transposes usually cancel against another.
const stemChannels = 4

// toNHWC reports whether node p turns a channels-first [N, C, H, W] value
// into its channels-last [N, H, W, C] form: a Transpose, or for one channel
// the Reshape the layout pass writes instead.
func toNHWC(p *ir.Node) bool {
	switch op := p.Op.(type) {
	case *ir.Transpose:
		return slices.Equal(op.Perm, ir.PermNCHWToNHWC)
	case *ir.Reshape:
		in, out := p.Inputs[0].Shape, p.Outputs[0].Shape
		return len(in) == 4 && len(out) == 4 && in[1] == 1 && out[3] == 1 && in[0] == out[0] && in[2] == out[1] && in[3] == out[2]
	}
	return false
}

// ReadNCHWInputFor returns the pass that makes a 2-D convolution read a
// channels-first value directly (ir.Conv.NCHWInput) instead of through the
// Transpose to channels-last that the layout pass put before it: the first
// layer of an image network, whose image arrives as [N, C, H, W]. It
// applies to ungrouped convolutions of at most four input channels whose
// C*KH is within t.StemSegments (the code generator's limit; 0 disables
// the pass). The Transpose (or Reshape) goes when nothing else reads it.
func ReadNCHWInputFor(t Target) func(*ir.Graph) error {
	return func(g *ir.Graph) error {
		if t.StemSegments <= 0 {
			return nil
		}
		for _, n := range g.Nodes {
			conv, ok := n.Op.(*ir.Conv)
			if !ok || conv.Layout != ir.NHWC || conv.NCHWInput || conv.Group != 1 || n.Input(4) != nil || n.Input(5) != nil || n.Input(6) != nil || len(conv.Kernel) != 2 {
				continue
			}
			x := n.Inputs[0]
			p := x.Producer
			if p == nil || len(x.Shape) != 4 || x.DType != ir.Float32 {
				continue
			}
			if !toNHWC(p) {
				continue
			}
			c := x.Shape[3]
			if c > stemChannels || c*conv.Kernel[0] > t.StemSegments {
				continue
			}
			n.Inputs[0] = p.Inputs[0]
			conv.NCHWInput = true
			if err := ir.InferNode(n); err != nil {
				return err
			}
		}
		g.RemoveDead()
		return nil
	}
}
