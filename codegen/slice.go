package codegen

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).slice)
	// A Slice copies through loops with any strides, so a column slice
	// reads and writes rows at a stride (and often is no copy at all: see
	// slice).
	rowsOf(func(n *ir.Node, op *ir.Slice, i int) bool { return i == 0 && columnSlice(n, op) },
		func(n *ir.Node, op *ir.Slice) bool { return columnSlice(n, op) })
}

func columnSlice(n *ir.Node, op *ir.Slice) bool {
	_, ok := op.ColumnRange(n)
	return ok
}

// slice copies a strided sub-range: an affine view of the input. A slice
// of columns that the memory plan left where it lies in the input's
// memory (ShuffleNet's channel split) is no code at all.
func (gen *gen) slice(n *ir.Node, op *ir.Slice) error {
	x, y := n.Inputs[0], n.Outputs[0]
	xs := batch1(x.Shape)
	start, step, _, err := op.Ranges(x.Shape)
	if err != nil {
		return err
	}
	if c0, ok := op.ColumnRange(n); ok {
		if gen.inPlace(y, x, c0) {
			gen.kernel = "view (columns)"
			return nil
		}
		src, ldx, cx, err := gen.rows(x)
		if err != nil {
			return err
		}
		dst, ldy, cy, err := gen.rows(y)
		if err != nil {
			return err
		}
		ys := batch1(y.Shape)
		gen.copyLoops(ys, []operand{rowOperand(dst, ys, ldy, cy), rowOperand(src, ys, ldx, cx+c0)})
		return nil
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
	gen.copyLoops(ys, []operand{{buf: dst, strides: contiguous(ys)}, {buf: src, off: off, strides: str}})
	return nil
}
