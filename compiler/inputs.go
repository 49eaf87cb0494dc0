package compiler

import (
	"math/rand/v2"

	"github.com/cnnc/cnnc/ir"
)

// RandomInputs makes one seeded tensor per graph input, uniform in [0, 1)
// for floats (image-like data) and in [0, 10) for integers, with the batch
// dimension set to batch.
func RandomInputs(g *ir.Graph, batch int, seed uint64) []*ir.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0x636e6e63))
	out := make([]*ir.Tensor, len(g.Inputs))
	for i, v := range g.Inputs {
		shape := v.Shape.Clone()
		for d := range shape {
			if shape[d] == ir.Batch {
				shape[d] = batch
			}
		}
		t := ir.Zeros(v.DType, shape)
		for j := range t.Floats {
			t.Floats[j] = rng.Float64()
		}
		for j := range t.Ints {
			t.Ints[j] = rng.Int64N(10)
		}
		t.RoundToType()
		out[i] = t
	}
	return out
}
