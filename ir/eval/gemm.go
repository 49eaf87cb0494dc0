package eval

import (
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalGemm)
	register(evalMatMul)
}

// evalGemm computes Y = Alpha*op(A)*op(B) + Beta*C, C broadcast to
// [M, N] (or no C term when C is omitted), then the fused Activation.
func evalGemm(op *ir.Gemm, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	a, b, c := in[0], in[1], opt(in, 2)
	if err := needFloats("Gemm", b, c); err != nil {
		return nil, err
	}
	act, err := activation(op.Activation)
	if err != nil {
		return nil, err
	}
	y := newTensor(out)
	m, n := out.Shape[0], out.Shape[1]
	k := a.Shape[1]
	if op.TransA {
		k = a.Shape[0]
	}
	// Element (i, p) of op(A) and (p, j) of op(B) as strides into the
	// stored matrices.
	ai, ap := a.Shape[1], 1
	if op.TransA {
		ai, ap = 1, a.Shape[1]
	}
	bp, bj := b.Shape[1], 1
	if op.TransB {
		bp, bj = 1, b.Shape[1]
	}
	var mc []int
	if c != nil {
		mc = broadcastOffsets(out.Shape, c.Shape)
	}
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += a.Floats[i*ai+p*ap] * b.Floats[p*bp+j*bj]
			}
			v := op.Alpha * s
			if c != nil {
				v += op.Beta * c.Floats[at(mc, i*n+j)]
			}
			if act != nil {
				v = act(v)
			}
			y.Floats[i*n+j] = v
		}
	}
	return y, nil
}

// evalMatMul is numpy's matmul: a rank-1 A is a row vector and a rank-1 B a
// column vector (the added axis is absent from the result, as the shape
// rule has it), and the axes before the last two broadcast.
func evalMatMul(_ *ir.MatMul, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	a, b := in[0], in[1]
	// The shape rule already checked the operands.
	batch, m, k, n, pa, pb, _ := ir.MatMulDims(a.Shape, b.Shape)
	batchA, batchB := pa[:len(pa)-2], pb[:len(pb)-2]
	ma, mb := broadcastOffsets(batch, batchA), broadcastOffsets(batch, batchB)
	y := newTensor(out)
	for bi := range prod(batch) {
		ab, bb, yb := at(ma, bi)*m*k, at(mb, bi)*k*n, bi*m*n
		if a.DType.IsFloat() {
			matmulInto(y.Floats, a.Floats, b.Floats, yb, ab, bb, m, k, n)
		} else {
			matmulInto(y.Ints, a.Ints, b.Ints, yb, ab, bb, m, k, n)
		}
	}
	for i, v := range y.Ints {
		y.Ints[i] = ir.WrapInt(y.DType, v)
	}
	return y, nil
}

// matmulInto writes the [m,n] product of the [m,k] matrix at a[ab:] and the
// [k,n] matrix at b[bb:] to y[yb:]. Integer sums wrap modulo 2^64, which
// the caller's final wrap-around narrows correctly.
func matmulInto[T float64 | int64](y, a, b []T, yb, ab, bb, m, k, n int) {
	for i := range m {
		for j := range n {
			var s T
			for p := range k {
				s += a[ab+i*k+p] * b[bb+p*n+j]
			}
			y[yb+i*n+j] = s
		}
	}
}
