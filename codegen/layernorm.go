package codegen

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).layerNorm)
}

// layerNorm emits LayerNormalization as the runtime's row kernel: the
// leading axes are the rows, the normalized ones the columns. Scale and B
// are broadcast to one value per column at compile time.
func (gen *gen) layerNorm(n *ir.Node, op *ir.LayerNormalization) error {
	x := n.Inputs[0]
	xs := batch1(x.Shape)
	rows, cols := xs[:op.Axis].NumElements(1), xs[op.Axis:].NumElements(1)
	norm := xs[op.Axis:]
	param := func(i int) (string, error) {
		v := n.Input(i)
		if v == nil {
			return "nil", nil
		}
		if !v.IsConst() {
			// A run-time scale or bias must already have one value per
			// column; broadcasting it would need a copy per call.
			if numel(v.Shape) != cols {
				return "", unsupportedf("a LayerNormalization whose scale or bias is computed at run time and broadcast")
			}
			return gen.buf(v)
		}
		t := expandTo(v.Const, norm)
		return gen.weightSlice(v.Name, t), nil
	}
	scale, err := param(1)
	if err != nil {
		return err
	}
	bias, err := param(2)
	if err != nil {
		return err
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	stats := []string{"nil", "nil"}
	for i := 1; i < len(n.Outputs) && i < 3; i++ {
		if stats[i-1], err = gen.buf(n.Outputs[i]); err != nil {
			return err
		}
	}
	gen.line("runtime.LayerNorm(%s, %s, %d, %d, %s, %s, %s, %s, %s)", dst, src, rows, cols, scale, bias, floatLit(op.Epsilon), stats[0], stats[1])
	return nil
}

// expandTo broadcasts a constant to shape (numpy rules against shape's
// trailing axes), returning t itself when it already has that many
// elements in that shape.
func expandTo(t *ir.Tensor, shape ir.Shape) *ir.Tensor {
	if t.Shape.NumElements(1) == shape.NumElements(1) {
		return t
	}
	out := ir.Zeros(t.DType, shape)
	st := contiguous(t.Shape)
	off := len(shape) - len(t.Shape)
	forEachIndex(shape, func(idx []int) {
		src := 0
		for i := range t.Shape {
			if t.Shape[i] != 1 {
				src += idx[off+i] * st[i]
			}
		}
		dst := 0
		for i, d := range idx {
			dst = dst*shape[i] + d
		}
		out.Floats[dst] = t.Float(src)
	})
	return out
}
