package eval

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalGather)
	register(evalGatherElements)
}

// evalGather picks entries along the axis: viewing data as [outer, n,
// inner] and the output as [outer, len(indices), inner], output (o, j, i)
// is data (o, indices[j], i), a negative index counting from the end.
func evalGather(op *ir.Gather, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, indices := in[0], in[1]
	a := op.Axis
	outer, n, inner := prod(x.Shape[:a]), x.Shape[a], prod(x.Shape[a+1:])
	k := len(indices.Ints)
	rows := make([]int, k)
	for j, v := range indices.Ints {
		if v < -int64(n) || v >= int64(n) {
			return nil, fmt.Errorf("index %d (element %d of the indices) is out of range for axis %d of size %d", v, j, a, n)
		}
		if v < 0 {
			v += int64(n)
		}
		rows[j] = int(v)
	}
	idx := make([]int, 0, outer*k*inner)
	for o := range outer {
		for _, r := range rows {
			for i := range inner {
				idx = append(idx, (o*n+r)*inner+i)
			}
		}
	}
	return take(x, idx, 0, out), nil
}

// evalGatherElements follows the ONNX definition: out[p] = data[p with
// axis coordinate indices[p]].
func evalGatherElements(op *ir.GatherElements, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, indices := in[0], in[1]
	a := op.Axis
	xst := strides(x.Shape)
	idx := make([]int, indices.Len())
	pos := make([]int, len(indices.Shape))
	n := int64(x.Shape[a])
	for i := range idx {
		v := indices.Ints[i]
		if v < -n || v >= n {
			return nil, fmt.Errorf("index %d (element %d of the indices) is out of range for axis %d of size %d", v, i, a, n)
		}
		if v < 0 {
			v += n
		}
		off := 0
		for d, p := range pos {
			if d == a {
				p = int(v)
			}
			off += p * xst[d]
		}
		idx[i] = off
		for d := len(pos) - 1; d >= 0; d-- {
			if pos[d]++; pos[d] < indices.Shape[d] {
				break
			}
			pos[d] = 0
		}
	}
	return take(x, idx, 0, out), nil
}
