package eval

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(func(op *ir.QLinearAdd, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
		return qbinary(op, in, out, func(a, b float32) float32 { return a + b })
	})
	register(func(op *ir.QLinearMul, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
		return qbinary(op, in, out, func(a, b float32) float32 { return a * b })
	})
	register(evalQLinearActivation)
	register(evalQLookup)
}

// qbinary computes C = Q(f(DQ(A), DQ(B))) with numpy broadcasting, in
// float32 at every step: the dequantized operands, their sum or product,
// and the quotient by C's scale.
func qbinary(op ir.Op, in []*ir.Tensor, out ir.Type, f func(a, b float32) float32) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	a, b := in[0], in[3]
	as, az := scalarParam(in, 1, 2)
	bs, bz := scalarParam(in, 4, 5)
	cs, cz := scalarParam(in, 6, 7)
	lo, hi := ir.QuantRange(out.DType)
	ma, mb := broadcastOffsets(out.Shape, a.Shape), broadcastOffsets(out.Shape, b.Shape)
	y := newTensor(out)
	for i := range y.Ints {
		fa := float32(dequantize(a.Ints[at(ma, i)], az, as, ir.Float32))
		fb := float32(dequantize(b.Ints[at(mb, i)], bz, bs, ir.Float32))
		v := f(fa, fb)
		y.Ints[i] = saturateRound(float64(v/float32(cs)), cz, lo, hi)
	}
	return y, nil
}

// evalQLinearActivation computes Y = Q(Act(DQ(X))): the dequantized code
// in float32, the activation in float64 as the evaluator computes it, the
// quantization in float32.
func evalQLinearActivation(op *ir.QLinearActivation, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	f, err := activation(op.Act)
	if err != nil {
		return nil, err
	}
	xs, xz := scalarParam(in, 1, 2)
	ys, yz := scalarParam(in, 3, 4)
	lo, hi := ir.QuantRange(out.DType)
	y := newTensor(out)
	for i, v := range in[0].Ints {
		d := dequantize(v, xz, xs, ir.Float32)
		y.Ints[i] = saturateRound(quotient(f(d), ys, ir.Float32, ir.Float32, ir.Invalid), yz, lo, hi)
	}
	return y, nil
}

// evalQLookup maps every code through the table.
func evalQLookup(_ *ir.QLookup, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, t := in[0], in[1]
	if t.DType.IsFloat() || len(t.Ints) != 256 {
		return nil, fmt.Errorf("QLookup: the table is not 256 integer codes")
	}
	lo, _ := ir.QuantRange(x.DType)
	y := newTensor(out)
	for i, v := range x.Ints {
		y.Ints[i] = t.Ints[v-lo]
	}
	return y, nil
}
