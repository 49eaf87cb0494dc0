package ir

import "fmt"

// QLinearMatMul is ONNX QLinearMatMul: numpy's matmul of uint8 or int8
// codes, summed exactly in int32 and requantized as QLinearConv does:
//
//	acc[.., i, j] = B[j] + sum_k (a[.., i, k] - a_zero) * (b[.., k, j] - b_zero[j])
//	y = saturate(round_half_even(float32(acc) * M[j]) + y_zero),  M[j] = float32(float32(a_scale * b_scale[j]) / y_scale)
//
// Inputs: A, AScale, AZero, B, BScale, BZero, YScale, YZero and, as an
// extension of ONNX's operator that the QDQ pass uses for a Gemm's bias,
// an optional int32 bias B of one value per output column (quantized with
// scale a_scale * b_scale[j], zero point 0). AScale and YScale are
// scalars; BScale and BZero are scalars or, for a 2-D B, one per column
// ([N] or [1, N]). Zero points of A and B may be omitted (0); YZero gives
// the output type.
type QLinearMatMul struct {
	// Activation, if set, is a Relu or Clip applied to the real result
	// before it is quantized, as for QLinearConv.
	Activation Activation
}

// OpType returns "QLinearMatMul".
func (*QLinearMatMul) OpType() string { return "QLinearMatMul" }

// Infer is QLinearMatMul's shape rule.
func (q *QLinearMatMul) Infer(in []Type) ([]Type, error) {
	const op = "QLinearMatMul"
	if err := need(op, in, 8); err != nil {
		return nil, err
	}
	a, b, yz := in[0], in[3], in[7]
	if !Is8Bit(a.DType) || !Is8Bit(b.DType) || !Is8Bit(yz.DType) {
		return nil, fmt.Errorf("%s: A %s, B %s and the output zero point %s must be uint8 or int8 codes", op, a.DType, b.DType, yz.DType)
	}
	if err := checkClampAct(op, q.Activation); err != nil {
		return nil, err
	}
	out, n, err := inferIntMatMul(op, a, b)
	if err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{1, 2}, a.DType, a.Shape, -1, 0); err != nil {
		return nil, err
	}
	if err := columnParams(op, in, QuantPair{4, 5}, b); err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{6, 7}, yz.DType, out, -1, 0); err != nil {
		return nil, err
	}
	if bias := opt(in, 8); bias.Known() {
		if bias.DType != Int32 || !(len(bias.Shape) == 1 && bias.Shape[0] == n || scalarLike(bias.Shape)) {
			return nil, fmt.Errorf("%s: bias (input 8) is %v, want int32 of shape [%d]", op, bias, n)
		}
	}
	return []Type{{DType: yz.DType, Shape: out}}, nil
}

// QuantPairs lists A's, B's and Y's parameters.
func (*QLinearMatMul) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}, {4, 5}, {6, 7}} }

// columnParams checks B's scale and zero point: per tensor, or one per
// column of a 2-D B.
func columnParams(op string, in []Type, p QuantPair, b Type) error {
	s := in[p.Scale]
	if len(s.Shape) == 2 && s.Shape[0] == 1 || len(s.Shape) == 1 {
		if len(b.Shape) != 2 && !scalarLike(s.Shape) {
			return fmt.Errorf("%s: per-column parameters (input %d has shape %v) are supported for a 2-D B only, B is %v", op, p.Scale, s.Shape, b.Shape)
		}
		// Per column of a 2-D B: the parameters' last axis runs along
		// B's axis 1.
		flat := in
		if len(s.Shape) == 2 {
			flat = append([]Type(nil), in...)
			flat[p.Scale].Shape = Shape{s.Shape[1]}
			if z := opt(in, p.Zero); z.Known() && len(z.Shape) == 2 {
				flat[p.Zero].Shape = Shape{z.Shape[1]}
			}
		}
		_, err := quantArgs(op, flat, p, b.DType, b.Shape, len(b.Shape)-1, 0)
		return err
	}
	_, err := quantArgs(op, in, p, b.DType, b.Shape, -1, 0)
	return err
}

// inferIntMatMul is numpy matmul's shape rule for integer operands; it
// returns the output shape and N.
func inferIntMatMul(op string, a, b Type) (Shape, int, error) {
	in := []Type{a, b}
	batch, m, _, n, _, _, err := MatMulDims(a.Shape, b.Shape)
	if err != nil {
		return nil, 0, shapeErr(op, in, "%v", err)
	}
	out := append(batch.Clone(), m, n)
	if len(a.Shape) == 1 {
		out = append(out[:len(out)-2], out[len(out)-1])
	}
	if len(b.Shape) == 1 {
		out = out[:len(out)-1]
	}
	for i, d := range out {
		if d == Batch && i != 0 {
			return nil, 0, shapeErr(op, in, "the batch dimension would leave axis 0")
		}
	}
	if err := checkSize(op, out); err != nil {
		return nil, 0, err
	}
	return out, n, nil
}

// MatMulInteger is ONNX MatMulInteger: numpy's matmul of uint8 or int8
// codes, sum (a - a_zero) * (b - b_zero) exact in int32.
//
// Inputs: A, B, optional AZero (A's type: a scalar, or one per row of a
// 2-D A), optional BZero (B's type: a scalar, or one per column of a 2-D
// B). The output is int32.
type MatMulInteger struct{}

// OpType returns "MatMulInteger".
func (*MatMulInteger) OpType() string { return "MatMulInteger" }

// Infer is MatMulInteger's shape rule.
func (*MatMulInteger) Infer(in []Type) ([]Type, error) {
	const op = "MatMulInteger"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !Is8Bit(a.DType) || !Is8Bit(b.DType) {
		return nil, fmt.Errorf("%s: A %s and B %s must be uint8 or int8 codes", op, a.DType, b.DType)
	}
	out, _, err := inferIntMatMul(op, a, b)
	if err != nil {
		return nil, err
	}
	rowAxis, colAxis := -1, -1
	if len(a.Shape) == 2 {
		rowAxis = 0
	}
	if len(b.Shape) == 2 {
		colAxis = 1
	}
	if err := zeroArg(op, in, 2, a.DType, a.Shape, rowAxis); err != nil {
		return nil, err
	}
	if err := zeroArg(op, in, 3, b.DType, b.Shape, colAxis); err != nil {
		return nil, err
	}
	return []Type{{DType: Int32, Shape: out}}, nil
}

// QuantPairs lists the zero points (MatMulInteger has no scales).
func (*MatMulInteger) QuantPairs(int) []QuantPair { return []QuantPair{{-1, 2}, {-1, 3}} }

// MACs is output elements x K.
func (*QLinearMatMul) MACs(in, out []Type) int64 {
	a := in[0].Shape
	return int64(out[0].Shape.PerBatch()) * int64(a[len(a)-1])
}

// MACs is output elements x K.
func (*MatMulInteger) MACs(in, out []Type) int64 {
	a := in[0].Shape
	return int64(out[0].Shape.PerBatch()) * int64(a[len(a)-1])
}
