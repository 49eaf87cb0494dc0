package codegen

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).concat)
}

// concat copies each input's blocks into its place along the axis.
func (gen *gen) concat(n *ir.Node, op *ir.Concat) error {
	y := n.Outputs[0]
	ys := batch1(y.Shape)
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	ystr := contiguous(ys)
	at := 0
	for _, in := range n.Inputs {
		src, err := gen.buf(in)
		if err != nil {
			return err
		}
		xs := batch1(in.Shape)
		ops := []operand{{buf: dst, off: at * ystr[op.Axis], strides: ystr}, {buf: src, strides: contiguous(xs)}}
		gen.loops(xs, ops, func(o string) string { return "o[" + o + "] = x0" })
		at += xs[op.Axis]
	}
	return nil
}
