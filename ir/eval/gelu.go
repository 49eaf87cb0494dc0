package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalGelu)
}

// evalGelu computes the ONNX definitions in float64: x*(1+erf(x/√2))/2,
// or x*(1+tanh(√(2/π)*(x+0.044715x³)))/2.
func evalGelu(op *ir.Gelu, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	y := newTensor(out)
	for i, x := range in[0].Floats {
		if op.Tanh {
			y.Floats[i] = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		} else {
			y.Floats[i] = 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
		}
	}
	return y, nil
}
