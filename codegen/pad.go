package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// pad emits Pad through one table per axis that maps each output position
// to its source position (or -1 for the constant), which covers every mode
// and negative (cropping) pads alike.
func (gen *gen) pad(n *ir.Node, op *ir.Pad) error {
	x, y := n.Inputs[0], n.Outputs[0]
	xs, ys := batch1(x.Shape), batch1(y.Shape)
	r := len(xs)
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	xstr := contiguous(xs)
	var terms, conds []string
	for d := 0; d < r; d++ {
		tab := make([]string, ys[d])
		for i := range tab {
			tab[i] = fmt.Sprint(padSource(i-op.Pads[d], xs[d], op.Mode))
		}
		gen.line("t%d := [...]int{%s}", d, strings.Join(tab, ", "))
		gen.line("for i%d, j%d := range t%d {", d, d, d)
		terms = append(terms, fmt.Sprintf("j%d*%d", d, xstr[d]))
		conds = append(conds, fmt.Sprintf("j%d < 0", d))
	}
	var oterms []string
	ystr := contiguous(ys)
	for d := 0; d < r; d++ {
		oterms = append(oterms, fmt.Sprintf("i%d*%d", d, ystr[d]))
	}
	oi := strings.Join(oterms, "+")
	if r == 0 {
		oi, terms = "0", []string{"0"}
	}
	if op.Mode == ir.PadConstant && len(conds) > 0 {
		gen.line("if %s {", strings.Join(conds, " || "))
		gen.line("y[%s] = %s", oi, floatLit(op.Value))
		gen.line("continue")
		gen.line("}")
	}
	gen.line("y[%s] = x[%s]", oi, strings.Join(terms, "+"))
	for d := 0; d < r; d++ {
		gen.line("}")
	}
	gen.line("}")
	return nil
}

// padSource maps a position p of the padded axis (relative to the input's
// start) to the input position it copies, or -1 for the constant.
func padSource(p, size int, mode ir.PadMode) int {
	if p >= 0 && p < size {
		return p
	}
	switch mode {
	case ir.PadEdge:
		return min(max(p, 0), size-1)
	case ir.PadWrap:
		return ((p % size) + size) % size
	case ir.PadReflect:
		if size == 1 {
			return 0
		}
		period := 2 * (size - 1)
		q := ((p % period) + period) % period
		if q >= size {
			q = period - q
		}
		return q
	}
	return -1
}
