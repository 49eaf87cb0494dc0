package eval

import "github.com/cnnc/cnnc/ir"

func init() {
	register(evalShapeOf)
}

// evalShapeOf is ONNX Shape: the input's concrete dimensions in
// [Start, End), clamped as ShapeOf.Range does.
func evalShapeOf(op *ir.ShapeOf, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	b, e := op.Range(len(x.Shape))
	y := newTensor(out)
	for i, d := range x.Shape[b:e] {
		y.Ints[i] = int64(d)
	}
	return y, nil
}
