package eval

import "github.com/cnnc/cnnc/ir"

func init() {
	register(evalPad)
}

// evalPad adds (or, for negative pads, crops) a border. Output coordinate
// o on an axis reads input coordinate o - begin; where that lies outside
// the input the mode decides: constant reads Value, edge the nearest
// element, reflect mirrors about the first and last elements without
// repeating them, wrap continues periodically.
func evalPad(op *ir.Pad, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	r := len(x.Shape)
	// src[d][o] is the input coordinate that output coordinate o on axis
	// d reads, or -1 for the constant.
	src := make([][]int, r)
	for d, n := range x.Shape {
		src[d] = make([]int, out.Shape[d])
		for o := range src[d] {
			src[d][o] = op.Source(o-op.Pads[d], n)
		}
	}
	st := strides(x.Shape)
	idx := make([]int, out.Shape.NumElements(1))
	pos := make([]int, r)
	for i := range idx {
		off := 0
		for d, p := range pos {
			s := src[d][p]
			if s < 0 {
				off = -1
				break
			}
			off += s * st[d]
		}
		idx[i] = off
		for d := r - 1; d >= 0; d-- {
			pos[d]++
			if pos[d] < out.Shape[d] {
				break
			}
			pos[d] = 0
		}
	}
	return take(x, idx, op.Value, out), nil
}
