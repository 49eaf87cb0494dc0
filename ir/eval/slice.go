package eval

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalSlice)
}

// evalSlice takes the strided sub-range that Slice.Ranges normalizes: on
// axis d, count[d] elements from start[d] in steps of step[d].
func evalSlice(op *ir.Slice, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	start, step, count, err := op.Ranges(x.Shape)
	if err != nil {
		return nil, err
	}
	st := strides(x.Shape)
	vst := make([]int, len(st))
	base := 0
	for d := range st {
		vst[d] = st[d] * step[d]
		if count[d] > 0 {
			base += start[d] * st[d]
		}
	}
	return take(x, offsets(count, vst, base), 0, out), nil
}
