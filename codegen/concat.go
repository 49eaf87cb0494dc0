package codegen

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).concat)
	// A Concat copies through loops with any strides; on the last axis
	// its inputs and output may be column ranges of wider values.
	rowsOf(func(n *ir.Node, op *ir.Concat, i int) bool { return op.JoinsColumns(n) },
		func(n *ir.Node, op *ir.Concat) bool { return op.JoinsColumns(n) })
}

// concat copies each input's blocks into its place along the axis, except
// the inputs the memory plan had their producers write there already.
func (gen *gen) concat(n *ir.Node, op *ir.Concat) error {
	y := n.Outputs[0]
	ys := batch1(y.Shape)
	if op.JoinsColumns(n) {
		return gen.concatColumns(n, ys)
	}
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
		gen.copyLoops(xs, ops)
		at += xs[op.Axis]
	}
	return nil
}

// concatColumns is a Concat along the last axis, whose inputs and output
// may lie in wider values' memory.
func (gen *gen) concatColumns(n *ir.Node, ys ir.Shape) error {
	y := n.Outputs[0]
	dst, ldy, cy, err := gen.rows(y)
	if err != nil {
		return err
	}
	at, copied := 0, 0
	for _, in := range n.Inputs {
		xs := batch1(in.Shape)
		col := at
		at += xs[len(xs)-1]
		if gen.inPlace(in, y, col) {
			continue
		}
		src, ldx, cx, err := gen.rows(in)
		if err != nil {
			return err
		}
		ops := []operand{rowOperand(dst, xs, ldy, cy+col), rowOperand(src, xs, ldx, cx)}
		gen.copyLoops(xs, ops)
		copied++
	}
	switch {
	case copied == 0:
		gen.kernel = "in place"
		gen.line("// (every input was written in place)")
	case copied < len(n.Inputs):
		gen.kernel = "partly in place"
	}
	return nil
}
