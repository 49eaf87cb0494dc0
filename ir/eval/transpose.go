package eval

import "github.com/cnnc/cnnc/ir"

func init() {
	register(evalTranspose)
}

// evalTranspose permutes the axes: output axis i is input axis Perm[i].
func evalTranspose(op *ir.Transpose, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	return transpose(in[0], op.Perm), nil
}

// transpose returns x with its axes permuted by perm: walking the output
// in order steps through the input with the input's strides permuted.
func transpose(x *ir.Tensor, perm []int) *ir.Tensor {
	st := strides(x.Shape)
	pst := make([]int, len(perm))
	for i, p := range perm {
		pst[i] = st[p]
	}
	out := ir.Type{DType: x.DType, Shape: permShape(x.Shape, perm)}
	return take(x, offsets(out.Shape, pst, 0), 0, out)
}
