package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalSilu)
}

// evalSilu is x*sigmoid(x) in float64.
func evalSilu(_ *ir.Silu, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	y := newTensor(out)
	for i, x := range in[0].Floats {
		y.Floats[i] = x / (1 + math.Exp(-x))
	}
	return y, nil
}
