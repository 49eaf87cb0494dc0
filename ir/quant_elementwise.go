package ir

import "fmt"

// QLinearAdd is com.microsoft QLinearAdd: C = Q(DQ(A) + DQ(B)) with numpy
// broadcasting, where DQ and Q are DequantizeLinear and QuantizeLinear
// with the operands' and the output's per-tensor parameters, each step
// rounded to float32.
//
// Inputs: A, AScale, AZero, B, BScale, BZero, CScale, CZero; A, B and the
// zero points share one 8-bit type, the output's; zero points may be
// omitted (0).
type QLinearAdd struct{}

// QLinearMul is com.microsoft QLinearMul: C = Q(DQ(A) * DQ(B)), with the
// inputs of QLinearAdd.
type QLinearMul struct{}

// OpType returns "QLinearAdd".
func (*QLinearAdd) OpType() string { return "QLinearAdd" }

// OpType returns "QLinearMul".
func (*QLinearMul) OpType() string { return "QLinearMul" }

// Infer is QLinearAdd's shape rule.
func (*QLinearAdd) Infer(in []Type) ([]Type, error) { return inferQBinary("QLinearAdd", in) }

// Infer is QLinearMul's shape rule.
func (*QLinearMul) Infer(in []Type) ([]Type, error) { return inferQBinary("QLinearMul", in) }

// QuantPairs lists A's, B's and C's parameters.
func (*QLinearAdd) QuantPairs(int) []QuantPair { return qbinaryPairs }

// QuantPairs lists A's, B's and C's parameters.
func (*QLinearMul) QuantPairs(int) []QuantPair { return qbinaryPairs }

var qbinaryPairs = []QuantPair{{1, 2}, {4, 5}, {6, 7}}

func inferQBinary(op string, in []Type) ([]Type, error) {
	if len(in) < 7 {
		return nil, fmt.Errorf("%s needs 7 or 8 inputs, has %d", op, len(in))
	}
	for _, i := range []int{0, 1, 3, 4, 6} {
		if !in[i].Known() {
			return nil, fmt.Errorf("%s: input %d is missing or has no type", op, i)
		}
	}
	a, b := in[0], in[3]
	if !Is8Bit(a.DType) || b.DType != a.DType {
		return nil, fmt.Errorf("%s: A is %s and B %s; both must be uint8, or both int8", op, a.DType, b.DType)
	}
	out, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, shapeErr(op, in, "%v", err)
	}
	for _, p := range qbinaryPairs {
		if _, err := quantArgs(op, in, p, a.DType, out, -1, 0); err != nil {
			return nil, err
		}
	}
	return []Type{{DType: a.DType, Shape: out, Layout: layoutOf([]Type{a, b})}}, nil
}

// ToNHWC lets a quantized binary op follow NHWC inputs: both operands
// (constants are permuted at compile time) become NHWC, the parameters
// stay.
func (*QLinearAdd) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) { return qbinaryNHWC(in, inputNHWC) }

// ToNHWC lets a quantized binary op follow NHWC inputs.
func (*QLinearMul) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) { return qbinaryNHWC(in, inputNHWC) }

func qbinaryNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 || len(in[3].Shape) != 4 {
		return nil, false
	}
	return []int{0, 3}, true
}

// QLinearActivation applies an element-wise activation to quantized
// codes: Y = Q(Act(DQ(X))) with per-tensor parameters (com.microsoft
// QLinearLeakyRelu and QLinearSigmoid; the QDQ pass turns it into a
// QLookup table). It is ONNX Runtime's table: DQ and Q in float32, as
// DequantizeLinear and QuantizeLinear compute them, LeakyRelu in float32
// and Sigmoid as ONNX Runtime approximates it on x86 CPUs (a rational
// function within a few ulp of the exact one, see runtime.SigmoidORT),
// which moves some entries of fine-grained tables by a step.
//
// Inputs: X (uint8 or int8), XScale, XZero, YScale, YZero; the output has
// X's type, and the zero points may be omitted (0).
type QLinearActivation struct {
	// Act is the activation, with its attributes.
	Act Activation
}

// OpType returns "QLinear" and the activation's name ("QLinearSigmoid").
func (q *QLinearActivation) OpType() string {
	if q.Act == nil {
		return "QLinearActivation"
	}
	return "QLinear" + q.Act.OpType()
}

// Infer is QLinearActivation's shape rule.
func (q *QLinearActivation) Infer(in []Type) ([]Type, error) {
	op := q.OpType()
	if q.Act == nil {
		return nil, fmt.Errorf("%s: no activation", op)
	}
	if len(in) < 4 {
		return nil, fmt.Errorf("%s needs 4 or 5 inputs, has %d", op, len(in))
	}
	for _, i := range []int{0, 1, 3} {
		if !in[i].Known() {
			return nil, fmt.Errorf("%s: input %d is missing or has no type", op, i)
		}
	}
	x := in[0]
	if !Is8Bit(x.DType) {
		return nil, fmt.Errorf("%s: input 0 is %s, want uint8 or int8 codes", op, x.DType)
	}
	for _, p := range q.QuantPairs(len(in)) {
		if _, err := quantArgs(op, in, p, x.DType, x.Shape, -1, 0); err != nil {
			return nil, err
		}
	}
	if _, err := q.Act.Infer([]Type{{DType: Float32, Shape: x.Shape}}); err != nil {
		return nil, err
	}
	return []Type{x}, nil
}

// QuantPairs lists X's and Y's parameters.
func (*QLinearActivation) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}, {3, 4}} }

// ToNHWC lets a quantized activation follow NHWC data.
func (*QLinearActivation) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	return followNHWC(in, inputNHWC)
}

func followNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	return []int{0}, true
}

// QLookup maps every 8-bit code through a table: y = Table[x - lo] with lo
// the smallest code of X's type (0 for uint8, -128 for int8). The QDQ pass
// makes one for every element-wise function of quantized codes it can
// tabulate (an activation between DequantizeLinear and QuantizeLinear, a
// change of quantization), computing the table with the reference
// evaluator.
//
// Inputs: X (uint8 or int8), Table (256 codes of the output type, a
// constant in practice).
type QLookup struct{}

// OpType returns "QLookup".
func (*QLookup) OpType() string { return "QLookup" }

// Infer is QLookup's shape rule.
func (*QLookup) Infer(in []Type) ([]Type, error) {
	const op = "QLookup"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	x, t := in[0], in[1]
	if !Is8Bit(x.DType) || !Is8Bit(t.DType) {
		return nil, fmt.Errorf("%s: input %s and table %s must be uint8 or int8", op, x.DType, t.DType)
	}
	if len(t.Shape) != 1 || t.Shape[0] != 256 {
		return nil, shapeErr(op, in, "the table must have shape [256]")
	}
	return []Type{{DType: t.DType, Shape: x.Shape, Layout: x.Layout}}, nil
}

// ToNHWC lets a lookup follow NHWC data; the table stays.
func (*QLookup) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) { return followNHWC(in, inputNHWC) }
