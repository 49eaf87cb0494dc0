package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).pad)
}

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
			tab[i] = fmt.Sprint(op.Source(i-op.Pads[d], xs[d]))
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
		gen.line("y[%s] = %s", oi, padLit(y.DType, op.Value))
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
