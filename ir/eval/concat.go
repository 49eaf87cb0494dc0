package eval

import "github.com/cnnc/cnnc/ir"

func init() {
	register(evalConcat)
}

// evalConcat joins the inputs along the axis: viewing every tensor as
// [outer, rest], where outer is the product of the axes before the concat
// axis, each output row is the inputs' rows one after another.
func evalConcat(op *ir.Concat, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	y := newTensor(out)
	outer := prod(out.Shape[:op.Axis])
	row := prod(out.Shape[op.Axis:])
	col := 0
	for _, t := range in {
		w := prod(t.Shape[op.Axis:])
		for o := range outer {
			if y.DType.IsFloat() {
				copy(y.Floats[o*row+col:o*row+col+w], t.Floats[o*w:(o+1)*w])
			} else {
				copy(y.Ints[o*row+col:o*row+col+w], t.Ints[o*w:(o+1)*w])
			}
		}
		col += w
	}
	return y, nil
}
