package codegen

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit(func(gen *gen, n *ir.Node, op *ir.Softmax) error {
		return gen.softmax(n, "Softmax", op.Axis, op.Coerce2D)
	})
	emit(func(gen *gen, n *ir.Node, op *ir.LogSoftmax) error {
		return gen.softmax(n, "LogSoftmax", op.Axis, op.Coerce2D)
	})
}

// softmax emits Softmax or LogSoftmax. Over the trailing axes (always so
// before opset 13, and usually after) it is the runtime's row kernel;
// over an inner axis it runs strided loops.
func (gen *gen) softmax(n *ir.Node, fn string, axis int, coerce bool) error {
	x, y := n.Inputs[0], n.Outputs[0]
	shape := batch1(x.Shape)
	if x.Shape[0] == ir.Batch && axis == 0 {
		return unsupportedf("%s across the batch dimension", fn)
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	outer, d, inner := 1, shape[axis], 1
	for _, s := range shape[:axis] {
		outer *= s
	}
	for _, s := range shape[axis+1:] {
		inner *= s
	}
	if coerce || inner == 1 {
		gen.line("runtime.%s(%s, %s, %d, %d)", fn, dst, src, outer, d*inner)
		return nil
	}
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for o := 0; o < %d; o++ {", outer)
	gen.line("for i := 0; i < %d; i++ {", inner)
	gen.line("base := o*%d + i", d*inner)
	gen.line("mx := x[base]")
	gen.line("for j := 1; j < %d; j++ {", d)
	gen.line("mx = max(mx, x[base+j*%d])", inner)
	gen.line("}")
	gen.line("var sum float64")
	gen.line("for j := 0; j < %d; j++ {", d)
	gen.line("sum += %s.Exp(float64(x[base+j*%d] - mx))", gen.imp("math"), inner)
	gen.line("}")
	gen.line("for j := 0; j < %d; j++ {", d)
	if fn == "Softmax" {
		gen.line("y[base+j*%d] = float32(%s.Exp(float64(x[base+j*%d]-mx)) / sum)", inner, gen.imp("math"), inner)
	} else {
		gen.line("y[base+j*%d] = x[base+j*%d] - mx - float32(%s.Log(sum))", inner, inner, gen.imp("math"))
	}
	gen.line("}")
	gen.line("}")
	gen.line("}")
	gen.line("}")
	_ = y
	return nil
}
