package codegen

import (
	"github.com/cnnc/cnnc/ir"
	"slices"
)

func init() {
	emit((*gen).transpose)
}

// transpose emits a permutation of axes: the runtime's layout kernels for
// the two image permutations, strided loops for any other.
func (gen *gen) transpose(n *ir.Node, op *ir.Transpose) error {
	x, y := n.Inputs[0], n.Outputs[0]
	xs := batch1(x.Shape)
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	if len(xs) == 4 && x.DType == ir.Float32 { // the loops below serve the codes of quantized layers too
		switch {
		case slices.Equal(op.Perm, ir.PermNCHWToNHWC):
			gen.line("runtime.NCHWToNHWC(%s, %s, %d, %d, %d)", dst, src, xs[0], xs[1], xs[2]*xs[3])
			return nil
		case slices.Equal(op.Perm, ir.PermNHWCToNCHW):
			gen.line("runtime.NHWCToNCHW(%s, %s, %d, %d, %d)", dst, src, xs[0], xs[1]*xs[2], xs[3])
			return nil
		}
	}
	in := contiguous(xs)
	str := make([]int, len(op.Perm))
	for i, p := range op.Perm {
		str[i] = in[p]
	}
	ys := batch1(y.Shape)
	gen.copyLoops(ys, []operand{{buf: dst, strides: contiguous(ys)}, {buf: src, strides: str}})
	return nil
}
