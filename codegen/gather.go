package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).gather)
}

// gather copies the blocks that constant indices pick along the axis.
func (gen *gen) gather(n *ir.Node, op *ir.Gather) error {
	x, idx, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !idx.IsConst() {
		return unsupportedf("Gather with run-time indices")
	}
	xs := batch1(x.Shape)
	outer, d, inner := 1, xs[op.Axis], 1
	for _, s := range xs[:op.Axis] {
		outer *= s
	}
	for _, s := range xs[op.Axis+1:] {
		inner *= s
	}
	picks := make([]string, idx.Const.Len())
	for i := range picks {
		k := idx.Const.Int(i)
		if k < 0 {
			k += int64(d)
		}
		if k < 0 || k >= int64(d) {
			return fmt.Errorf("index %d is out of range for dimension %d", idx.Const.Int(i), d)
		}
		picks[i] = fmt.Sprint(k)
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	_ = y
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for o := 0; o < %d; o++ {", outer)
	gen.line("for j, k := range [...]int{%s} {", strings.Join(picks, ", "))
	gen.line("copy(y[(o*%d+j)*%d:(o*%d+j+1)*%d], x[(o*%d+k)*%d:(o*%d+k+1)*%d])", len(picks), inner, len(picks), inner, d, inner, d, inner)
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}
