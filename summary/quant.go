package summary

import "github.com/cnnc/cnnc/ir"

// isParam reports whether constant input i of n counts as parameters: a
// float constant of an ordinary op, or a quantized op's input that is
// none of its scales and zero points (its integer weights and bias, a
// DequantizeLinear's quantized weight).
func isParam(n *ir.Node, i int) bool {
	q, ok := n.Op.(ir.QuantOp)
	if !ok {
		return n.Inputs[i].DType.IsFloat()
	}
	for _, p := range q.QuantPairs(len(n.Inputs)) {
		if i == p.Scale || i == p.Zero {
			return false
		}
	}
	return true
}
