package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalSoftmax)
	register(evalLogSoftmax)
}

// evalSoftmax is exp(x - max) / sum(exp(x - max)) over Axis, or with
// Coerce2D over all axes from Axis on, flattened. Subtracting the maximum
// keeps large inputs from overflowing.
func evalSoftmax(op *ir.Softmax, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return softmax(op.Axis, op.Coerce2D, false, in[0], out), nil
}

// evalLogSoftmax is x - max - log(sum(exp(x - max))), over the axes
// Softmax uses.
func evalLogSoftmax(op *ir.LogSoftmax, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return softmax(op.Axis, op.Coerce2D, true, in[0], out), nil
}

func softmax(axis int, coerce2D, logOf bool, x *ir.Tensor, out ir.Type) *ir.Tensor {
	y := newTensor(out)
	s := x.Shape
	outer := prod(s[:axis])
	n, inner := s[axis], prod(s[axis+1:])
	if coerce2D {
		n, inner = prod(s[axis:]), 1
	}
	xs, ys := x.Floats, y.Floats
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			mx := math.Inf(-1)
			for j := range n {
				mx = math.Max(mx, xs[base+j*inner])
			}
			var sum float64
			for j := range n {
				sum += math.Exp(xs[base+j*inner] - mx)
			}
			for j := range n {
				k := base + j*inner
				if logOf {
					ys[k] = xs[k] - mx - math.Log(sum)
				} else {
					ys[k] = math.Exp(xs[k]-mx) / sum
				}
			}
		}
	}
	return y
}
