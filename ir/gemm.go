package ir

import "fmt"

// Gemm is Y = Alpha * op(A) * op(B) + Beta * C, with op transposing its
// argument when the matching Trans flag is set (ONNX Gemm, Keras Dense with
// A the activations and B the [in, out] kernel).
//
// Inputs: A ([M,K], or [K,M] with TransA), B ([K,N], or [N,K] with TransB),
// optional C (broadcastable to [M,N]).
type Gemm struct {
	TransA, TransB bool
	Alpha, Beta    float64
	// Activation, if set, is applied to the result; the fusion pass sets it.
	Activation Activation
}

// OpType returns "Gemm".
func (*Gemm) OpType() string { return "Gemm" }

// Infer is Gemm's shape rule.
func (g *Gemm) Infer(in []Type) ([]Type, error) {
	if err := need("Gemm", in, 2); err != nil {
		return nil, err
	}
	if err := needFloat("Gemm", in, 0); err != nil {
		return nil, err
	}
	if err := sameType("Gemm", in, 1, 2); err != nil {
		return nil, err
	}
	a, b := in[0].Shape, in[1].Shape
	if len(a) != 2 || len(b) != 2 {
		return nil, shapeErr("Gemm", in, "A and B must be matrices")
	}
	m, k := a[0], a[1]
	if g.TransA {
		m, k = a[1], a[0]
	}
	kb, n := b[0], b[1]
	if g.TransB {
		kb, n = b[1], b[0]
	}
	if k != kb {
		return nil, shapeErr("Gemm", in, "inner dimensions differ: %d vs %d", k, kb)
	}
	if m == Batch && g.TransA {
		return nil, shapeErr("Gemm", in, "transA would move the batch dimension")
	}
	out := Shape{m, n}
	if len(in) > 2 && in[2].Known() {
		bc, err := BroadcastShapes(out, in[2].Shape)
		if err != nil || !bc.Equal(out) {
			return nil, shapeErr("Gemm", in, "C of shape %v does not broadcast to %v", in[2].Shape, out)
		}
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}

// MatMul is numpy's matmul: a matrix product over the last two axes,
// broadcast over the others, with rank-1 operands promoted and the
// promoted axis removed again.
type MatMul struct{}

// OpType returns "MatMul".
func (*MatMul) OpType() string { return "MatMul" }

// Infer is MatMul's shape rule.
func (*MatMul) Infer(in []Type) ([]Type, error) {
	if err := need("MatMul", in, 2); err != nil {
		return nil, err
	}
	a, b := in[0].Shape, in[1].Shape
	if in[0].DType != in[1].DType {
		return nil, shapeErr("MatMul", in, "element types differ: %s vs %s", in[0].DType, in[1].DType)
	}
	batch, m, _, nn, _, _, err := MatMulDims(a, b)
	if err != nil {
		return nil, shapeErr("MatMul", in, "%v", err)
	}
	out := append(batch.Clone(), m, nn)
	if len(a) == 1 {
		out = append(out[:len(out)-2], out[len(out)-1])
	}
	if len(b) == 1 {
		out = out[:len(out)-1]
	}
	for i, d := range out {
		if d == Batch && i != 0 {
			return nil, shapeErr("MatMul", in, "the batch dimension would leave axis 0")
		}
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}

// MACs is output elements x K.
func (g *Gemm) MACs(in, out []Type) int64 {
	k := in[0].Shape[1]
	if g.TransA {
		k = in[0].Shape[0]
	}
	return int64(out[0].Shape.PerBatch()) * int64(k)
}

// MACs is output elements x K.
func (*MatMul) MACs(in, out []Type) int64 {
	a := in[0].Shape
	return int64(out[0].Shape.PerBatch()) * int64(a[len(a)-1])
}

// MatMulDims describes numpy's matmul of shapes a and b: rank-1 operands
// promoted (a to a row [1, k], b to a column [k, 1]), m, k and n of each
// matrix product, and the broadcast batch shape of the leading axes with
// pa and pb, the promoted operand shapes. The shape rule, the reference
// evaluator and the code generator all read the operands through it.
func MatMulDims(a, b Shape) (batch Shape, m, k, n int, pa, pb Shape, err error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, 0, 0, 0, nil, nil, fmt.Errorf("operands must have rank 1 or more")
	}
	pa, pb = a, b
	if len(a) == 1 {
		pa = Shape{1, a[0]}
	}
	if len(b) == 1 {
		pb = Shape{b[0], 1}
	}
	ra, rb := len(pa), len(pb)
	if pa[ra-1] != pb[rb-2] {
		return nil, 0, 0, 0, nil, nil, fmt.Errorf("inner dimensions differ: %d vs %d", pa[ra-1], pb[rb-2])
	}
	batch, err = BroadcastShapes(pa[:ra-2], pb[:rb-2])
	if err != nil {
		return nil, 0, 0, 0, nil, nil, err
	}
	return batch, pa[ra-2], pa[ra-1], pb[rb-1], pa, pb, nil
}

// FusedActivation returns the activation applied to the result.
func (g *Gemm) FusedActivation() Activation { return g.Activation }

// SetActivation makes the Gemm apply act to its result.
func (g *Gemm) SetActivation(act Activation) { g.Activation = act }
