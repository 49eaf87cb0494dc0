package compiler

import (
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// goldenOutputs computes the reference outputs that a generated package's
// test compares its Run with: the loaded model's, except for a graph with
// integer convolutions, matrix products or average pools (a quantized
// model after the qdq pass). Those sum integers exactly and scale once,
// where the float graph they replace rounds as it goes, so that the two
// may differ by a quantization step; the generated code computes what the
// optimized graph says, which the reference evaluator then runs (with the
// model's integer inputs given as the float32 values the generated code
// takes).
func goldenOutputs(loaded, optimized *ir.Graph, in []*ir.Tensor) ([]*ir.Tensor, error) {
	if !hasIntegerArithmetic(optimized) {
		return eval.Run(loaded, in)
	}
	feed := make([]*ir.Tensor, len(in))
	for i, t := range in {
		feed[i] = t
		if i < len(optimized.Inputs) && optimized.Inputs[i].DType != t.DType {
			f := ir.Zeros(optimized.Inputs[i].DType, t.Shape)
			for j := range f.Floats {
				f.Floats[j] = t.Float(j)
			}
			feed[i] = f
		}
	}
	return eval.Run(optimized, feed)
}

// hasIntegerArithmetic reports whether g has an op whose integer result
// may differ from its float counterpart's by a rounding step.
func hasIntegerArithmetic(g *ir.Graph) bool {
	for _, n := range g.Nodes {
		switch n.Op.(type) {
		case *ir.QLinearConv, *ir.QLinearMatMul, *ir.QLinearAveragePool, *ir.QLinearGlobalAveragePool:
			return true
		}
	}
	return false
}
