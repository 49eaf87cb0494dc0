package ir

import (
	"fmt"
	"math"
)

// Quantized tensors in the IR.
//
// A quantized tensor is an ordinary integer tensor (int8 or uint8 codes;
// int16, uint16 and int32 where ONNX allows them) whose real values are
// (code - zero_point) * scale. The quantization parameters stay ordinary
// inputs of the ops that read or write codes, in ONNX's order: a
// floating-point scale and an optional zero point of the code type, each
// a scalar (or a one-element tensor) for per-tensor quantization or a 1-D
// tensor along an axis for per-channel quantization. The IR has no
// quantized tensor type: the code type is the tensor's DType and the
// parameters are values, so that an op's shape rule checks their types
// and shapes like any other input's, constant folding and the passes read
// them as constants, and the reference evaluator also takes parameters
// computed at run time (DynamicQuantizeLinear's scale and zero point feed
// MatMulInteger). The Go code generator needs them constant wherever it
// precomputes from them (multipliers, packed weights); the QDQ pass only
// rewrites around constant parameters.
//
// A shape rule sees types only, so the values of scales and zero points
// are checked where they become known, by CheckQuantValues: at import for
// constants, by the reference kernels on every run, by the passes and the
// code generator before they use them. A scale must be positive and
// finite; a zero point must lie in its type's range (0 for int32).

// QuantPair names the inputs holding one (scale, zero point) pair of a
// quantized op. Zero is the index of the zero point, which may be an
// omitted optional input; -1 when the op takes none.
type QuantPair struct{ Scale, Zero int }

// QuantOp is implemented by the ops that read or write quantized codes:
// it lists their (scale, zero point) input pairs for a node with nIn
// inputs, so that CheckQuantValues can check their values once known.
type QuantOp interface {
	Op
	QuantPairs(nIn int) []QuantPair
}

// FoldBarrier is implemented by ops that constant folding leaves in the
// graph although every input is a constant: DequantizeLinear, whose
// constant integer input is a quantized weight the QDQ pass packs as
// integers (it folds the ones it does not use).
type FoldBarrier interface {
	Op
	// KeepUnfolded marks the op; it has no behaviour.
	KeepUnfolded()
}

// KeepsUnfolded reports whether constant folding must leave n in place.
func KeepsUnfolded(n *Node) bool {
	_, ok := n.Op.(FoldBarrier)
	return ok
}

// QuantRange returns the smallest and largest code of an integer code
// type.
func QuantRange(dt DType) (lo, hi int64) {
	switch dt {
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint8:
		return 0, math.MaxUint8
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint16:
		return 0, math.MaxUint16
	case Int32:
		return math.MinInt32, math.MaxInt32
	}
	return 0, 0
}

// Is8Bit reports whether dt is int8 or uint8, the code types of the
// quantized arithmetic ops (QLinearConv, QLinearMatMul, ...).
func Is8Bit(dt DType) bool { return dt == Int8 || dt == Uint8 }

// CheckQuantValues checks the values of the quantization parameters of a
// quantized op's node, given its input tensors in order (nil where a value
// is not known, as for a run-time input at import): every scale positive
// and finite, every zero point in its type's range. Other ops pass.
func CheckQuantValues(op Op, in []*Tensor) error {
	q, ok := op.(QuantOp)
	if !ok {
		return nil
	}
	at := func(i int) *Tensor {
		if i >= 0 && i < len(in) {
			return in[i]
		}
		return nil
	}
	for _, p := range q.QuantPairs(len(in)) {
		if s := at(p.Scale); s != nil {
			for j := 0; j < s.Len(); j++ {
				v := s.Float(j)
				if !(v > 0) || math.IsInf(v, 0) {
					return fmt.Errorf("input %d (a scale) holds %g at element %d; a scale must be positive and finite", p.Scale, v, j)
				}
			}
		}
		if z := at(p.Zero); z != nil {
			if z.DType.IsFloat() {
				continue // float8 zero points never get here; float zero points are refused by the shape rules
			}
			lo, hi := QuantRange(z.DType)
			if z.DType == Int32 {
				lo, hi = 0, 0
			}
			for j, v := range z.Ints {
				if v < lo || v > hi {
					if z.DType == Int32 {
						return fmt.Errorf("input %d (a zero point) holds %d at element %d; an int32 zero point must be 0", p.Zero, v, j)
					}
					return fmt.Errorf("input %d (a zero point) holds %d at element %d, outside the %s range [%d, %d]", p.Zero, v, j, z.DType, lo, hi)
				}
			}
		}
	}
	return nil
}

// quantArgs checks one (scale, zero point) pair of a shape rule against
// the tensor it quantizes: codes of type code and shape data, quantized
// per tensor or, when axis >= 0, also per channel along that axis (with
// block > 0, per block of that many elements along it). It returns the
// number of channels (1 per tensor).
func quantArgs(op string, in []Type, p QuantPair, code DType, data Shape, axis, block int) (int, error) {
	if p.Scale >= len(in) || !in[p.Scale].Known() {
		return 0, fmt.Errorf("%s: input %d (a scale) is missing", op, p.Scale)
	}
	s := in[p.Scale]
	if !s.DType.IsFloat() {
		return 0, fmt.Errorf("%s: input %d (a scale) is %s, want a floating-point tensor", op, p.Scale, s.DType)
	}
	var z Type
	if p.Zero >= 0 && p.Zero < len(in) {
		z = in[p.Zero]
	}
	if z.Known() {
		if z.DType != code {
			return 0, fmt.Errorf("%s: input %d (a zero point) is %s, the codes it goes with are %s", op, p.Zero, z.DType, code)
		}
		if !z.Shape.Equal(s.Shape) && !(scalarLike(z.Shape) && scalarLike(s.Shape)) {
			return 0, fmt.Errorf("%s: zero point (input %d) has shape %v, its scale (input %d) %v; they must agree", op, p.Zero, z.Shape, p.Scale, s.Shape)
		}
	}
	if scalarLike(s.Shape) {
		return 1, nil
	}
	if axis < 0 {
		return 0, fmt.Errorf("%s: input %d (a scale) has shape %v; only per-tensor quantization (a scalar) is allowed here", op, p.Scale, s.Shape)
	}
	if axis >= len(data) {
		return 0, fmt.Errorf("%s: quantization axis %d is out of range for the rank-%d tensor", op, axis, len(data))
	}
	if block > 0 {
		if len(s.Shape) != len(data) {
			return 0, fmt.Errorf("%s: blocked quantization needs a scale of rank %d, input %d has shape %v", op, len(data), p.Scale, s.Shape)
		}
		for i, d := range data {
			want := d
			if i == axis {
				if d == Batch {
					return 0, fmt.Errorf("%s: cannot quantize in blocks along the batch dimension", op)
				}
				want = (d + block - 1) / block
			}
			if s.Shape[i] != want && !(d == Batch && s.Shape[i] == 1) {
				return 0, fmt.Errorf("%s: blocked scale (input %d) has shape %v; for data %v, axis %d and block size %d it must have %d on axis %d", op, p.Scale, s.Shape, data, axis, block, want, i)
			}
		}
		return s.Shape.PerBatch(), nil
	}
	if len(s.Shape) != 1 {
		return 0, fmt.Errorf("%s: input %d (a scale) has shape %v; want a scalar (per tensor) or a 1-D tensor (per axis)", op, p.Scale, s.Shape)
	}
	if c := data[axis]; c == Batch || s.Shape[0] != c {
		return 0, fmt.Errorf("%s: %d scales (input %d) for %v channels on axis %d of %v; per-axis quantization needs one per channel", op, s.Shape[0], p.Scale, dimString(c), axis, data)
	}
	return s.Shape[0], nil
}

func dimString(d int) string {
	if d == Batch {
		return "N (the batch)"
	}
	return fmt.Sprint(d)
}

// scalarLike reports whether a shape holds one element: a scalar, or a
// tensor of ones ([1], [1,1]), which ONNX accepts as per-tensor
// parameters.
func scalarLike(s Shape) bool {
	for _, d := range s {
		if d != 1 {
			return false
		}
	}
	return true
}

// QuantizeLinear is ONNX QuantizeLinear: y = saturate(round_half_even(x /
// scale) + zero_point), in To's range, with the division computed in the
// operands' precision (float32 for float32 data). A NaN gives the zero
// point, the code of 0 (ONNX leaves it undefined).
//
// Inputs: X (float), Scale (float: a scalar, one per channel along Axis,
// or with BlockSize > 0 one per block along Axis), optional Zero (To, the
// scale's shape; 0 when omitted).
type QuantizeLinear struct {
	// Axis is the per-channel (or blocked) axis; Infer normalizes a
	// negative one. It is ignored for per-tensor parameters.
	Axis int
	// BlockSize > 0 quantizes blocks of that many elements along Axis
	// with one scale each (opset 21).
	BlockSize int
	// To is the code type: Uint8, Int8, Uint16 or Int16. A zero point,
	// when given, must have this type.
	To DType
	// Precision, if set (Float16, Float32 or Float64), is the type the
	// division is computed in (opset 23's precision attribute); otherwise
	// the wider of X's and the scale's types.
	Precision DType
}

// OpType returns "QuantizeLinear".
func (*QuantizeLinear) OpType() string { return "QuantizeLinear" }

// Infer is QuantizeLinear's shape rule.
func (q *QuantizeLinear) Infer(in []Type) ([]Type, error) {
	const op = "QuantizeLinear"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	if err := needFloat(op, in, 0); err != nil {
		return nil, err
	}
	switch q.To {
	case Uint8, Int8, Uint16, Int16:
	default:
		return nil, fmt.Errorf("%s: output type %s is not a supported code type (uint8, int8, uint16, int16)", op, q.To)
	}
	switch q.Precision {
	case Invalid, Float16, Float32, Float64:
	default:
		return nil, fmt.Errorf("%s: precision %s is not a floating-point type", op, q.Precision)
	}
	if err := normQuantAxis(op, &q.Axis, q.BlockSize, in[0].Shape, in[1].Shape); err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{1, 2}, q.To, in[0].Shape, q.Axis, q.BlockSize); err != nil {
		return nil, err
	}
	return []Type{{DType: q.To, Shape: in[0].Shape, Layout: in[0].Layout}}, nil
}

// QuantPairs is the (scale, zero point) of the output.
func (*QuantizeLinear) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}} }

// normQuantAxis normalizes the axis of per-channel or blocked parameters
// (scale shape scale) of data of shape s; per-tensor parameters ignore it,
// as ONNX says, whatever its value.
func normQuantAxis(op string, axis *int, block int, s, scale Shape) error {
	if block < 0 {
		return fmt.Errorf("%s: block size %d is negative", op, block)
	}
	if block == 0 && scalarLike(scale) {
		return nil
	}
	a, err := NormAxis(*axis, len(s))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	*axis = a
	return nil
}

// DequantizeLinear is ONNX DequantizeLinear: y = (x - zero_point) * scale,
// computed in float32 (float64 for a float64 To) and rounded to To.
//
// Inputs: X (uint8, int8, uint16, int16 or int32 codes), Scale (float:
// scalar, per channel along Axis, or per block), optional Zero (X's type,
// the scale's shape; must be 0 for int32).
type DequantizeLinear struct {
	// Axis and BlockSize are as for QuantizeLinear.
	Axis      int
	BlockSize int
	// To is the output type: the scale's type, or another float type
	// (opset 23's output_dtype).
	To DType
}

// OpType returns "DequantizeLinear".
func (*DequantizeLinear) OpType() string { return "DequantizeLinear" }

// Infer is DequantizeLinear's shape rule.
func (d *DequantizeLinear) Infer(in []Type) ([]Type, error) {
	const op = "DequantizeLinear"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	switch in[0].DType {
	case Uint8, Int8, Uint16, Int16, Int32:
	default:
		return nil, fmt.Errorf("%s: input 0 is %s, want uint8, int8, uint16, int16 or int32 codes", op, in[0].DType)
	}
	if !d.To.IsFloat() {
		return nil, fmt.Errorf("%s: output type %s is not a floating-point type", op, d.To)
	}
	if err := normQuantAxis(op, &d.Axis, d.BlockSize, in[0].Shape, in[1].Shape); err != nil {
		return nil, err
	}
	if _, err := quantArgs(op, in, QuantPair{1, 2}, in[0].DType, in[0].Shape, d.Axis, d.BlockSize); err != nil {
		return nil, err
	}
	return []Type{{DType: d.To, Shape: in[0].Shape, Layout: in[0].Layout}}, nil
}

// QuantPairs is the (scale, zero point) of the input.
func (*DequantizeLinear) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}} }

// KeepUnfolded keeps a dequantized constant weight for the QDQ pass.
func (*DequantizeLinear) KeepUnfolded() {}

// DynamicQuantizeLinear is ONNX DynamicQuantizeLinear: it quantizes X to
// uint8 with a scale and zero point computed from X's range (extended to
// include 0), and returns all three.
//
// Inputs: X (float32). Outputs: Y (uint8, X's shape), YScale (float32
// scalar), YZero (uint8 scalar).
type DynamicQuantizeLinear struct{}

// OpType returns "DynamicQuantizeLinear".
func (*DynamicQuantizeLinear) OpType() string { return "DynamicQuantizeLinear" }

// Infer is DynamicQuantizeLinear's shape rule.
func (*DynamicQuantizeLinear) Infer(in []Type) ([]Type, error) {
	const op = "DynamicQuantizeLinear"
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	if in[0].DType != Float32 {
		return nil, fmt.Errorf("%s: input 0 is %s, want float32", op, in[0].DType)
	}
	return []Type{
		{DType: Uint8, Shape: in[0].Shape, Layout: in[0].Layout},
		{DType: Float32, Shape: Shape{}},
		{DType: Uint8, Shape: Shape{}},
	}, nil
}

// QuantPairs is empty: the parameters are outputs, computed from the data.
func (*DynamicQuantizeLinear) QuantPairs(int) []QuantPair { return nil }

// Work is a few passes over the input.
func (*DynamicQuantizeLinear) Work(in, _ []Type) int64 { return 3 * int64(in[0].Shape.PerBatch()) }

// ToNHWC lets a quantization follow NHWC data, moving a per-channel axis.
func (q *QuantizeLinear) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	return quantToNHWC(&q.Axis, q.BlockSize, in, inputNHWC)
}

// ToNHWC lets a dequantization follow NHWC data, moving a per-channel axis.
func (d *DequantizeLinear) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	return quantToNHWC(&d.Axis, d.BlockSize, in, inputNHWC)
}

// quantToNHWC is the layout rule of a conversion whose parameters are
// inputs 1 and 2: the data may follow NHWC, the parameters stay as they
// are (a per-channel axis is renumbered instead).
func quantToNHWC(axis *int, block int, in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 || block > 0 {
		return nil, false
	}
	if len(in) > 1 && !scalarLike(in[1].Shape) {
		a, err := NormAxis(*axis, 4)
		if err != nil {
			return nil, false
		}
		*axis = nchwAxis[a]
	}
	return []int{0}, true
}

// ToNHWC lets DynamicQuantizeLinear follow NHWC data: its result does not
// depend on the element order.
func (*DynamicQuantizeLinear) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	return []int{0}, true
}
