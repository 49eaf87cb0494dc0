package codegen

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).slice)
}

// slice copies a strided sub-range: an affine view of the input.
func (gen *gen) slice(n *ir.Node, op *ir.Slice) error {
	x, y := n.Inputs[0], n.Outputs[0]
	xs := batch1(x.Shape)
	start, step, _, err := op.Ranges(x.Shape)
	if err != nil {
		return err
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	in := contiguous(xs)
	off := 0
	str := make([]int, len(xs))
	for d := range xs {
		off += start[d] * in[d]
		str[d] = step[d] * in[d]
	}
	ys := batch1(y.Shape)
	gen.loops(ys, []operand{{buf: dst, strides: contiguous(ys)}, {buf: src, off: off, strides: str}}, func(o string) string { return "o[" + o + "] = x0" })
	return nil
}
