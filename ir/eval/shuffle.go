package eval

import "github.com/cnnc/cnnc/ir"

func init() {
	register(evalChannelShuffle)
}

// evalChannelShuffle does what the op stands for, in NCHW terms: view the
// channels as [groups][C/groups], transpose to [C/groups][groups], and
// read the result in order (in NHWC the channel axis is the last one).
func evalChannelShuffle(op *ir.ChannelShuffle, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	r := len(x.Shape)
	ca := op.Layout.ChannelAxis(r)
	c := x.Shape[ca]
	outer := x.Shape[:ca].NumElements(1)
	inner := x.Shape[ca+1:].NumElements(1)
	g, per := op.Groups, c/op.Groups
	idx := make([]int, 0, x.Len())
	for o := range outer {
		for a := range per { // position within a group
			for b := range g { // group
				src := b*per + a
				for i := range inner {
					idx = append(idx, (o*c+src)*inner+i)
				}
			}
		}
	}
	return take(x, idx, 0, out), nil
}
