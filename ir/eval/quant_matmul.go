package eval

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalQLinearMatMul)
	register(evalMatMulInteger)
}

// evalQLinearMatMul is numpy's matmul of (a - a_zero) and (b - b_zero[j])
// summed exactly (plus the optional per-column bias), wrapped to int32
// and requantized per column as evalQLinearConv does.
func evalQLinearMatMul(op *ir.QLinearMatMul, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	acc := intMatMul(in[0], opt(in, 2), in[3], opt(in, 5), opt(in, 8), out)
	n := 1
	if len(out.Shape) > 0 {
		n = out.Shape[len(out.Shape)-1]
	}
	return requantize(acc, out, func(i int) int { return i % n }, in[1], in[4], in[6], opt(in, 7), op.Activation), nil
}

// evalMatMulInteger is numpy's matmul of (a - a_zero[i]) and (b -
// b_zero[j]), exact in int32.
func evalMatMulInteger(op *ir.MatMulInteger, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	acc := intMatMul(in[0], opt(in, 2), in[1], opt(in, 3), nil, out)
	y := newTensor(out)
	copy(y.Ints, acc)
	return y, nil
}

// intMatMul returns the int32 sums of the integer matmul of a and b
// shifted by their zero points: az per tensor or one per row of a 2-D a,
// bz per tensor or one per column of a 2-D b; bias, if any, one per
// column (or one for all).
func intMatMul(a, az, b, bz, bias *ir.Tensor, out ir.Type) []int64 {
	batch, m, k, n, pa, pb, _ := ir.MatMulDims(a.Shape, b.Shape)
	as := make([]int64, a.Len())
	for i, v := range a.Ints {
		as[i] = v - zeroAt(az, i/max(k, 1)%max(m, 1))
	}
	bs := make([]int64, b.Len())
	for i, v := range b.Ints {
		bs[i] = v - zeroAt(bz, i%max(n, 1))
	}
	batchA, batchB := pa[:len(pa)-2], pb[:len(pb)-2]
	ma, mb := broadcastOffsets(batch, batchA), broadcastOffsets(batch, batchB)
	acc := make([]int64, out.Shape.NumElements(1))
	for bi := range prod(batch) {
		matmulInto(acc, as, bs, bi*m*n, at(ma, bi)*m*k, at(mb, bi)*k*n, m, k, n)
	}
	for i := range acc {
		if bias != nil {
			acc[i] += zeroAt(bias, i%max(n, 1))
		}
		acc[i] = ir.WrapInt(ir.Int32, acc[i])
	}
	return acc
}

// zeroAt is element j of a per-channel zero point (or bias), element 0 of
// a per-tensor one, 0 for none.
func zeroAt(z *ir.Tensor, j int) int64 {
	switch {
	case z == nil:
		return 0
	case z.Len() == 1:
		return z.Ints[0]
	}
	return z.Ints[j]
}
