package ir

import "fmt"

// QLinearConcat is com.microsoft QLinearConcat: each input is requantized
// to the output's parameters, y = Q(DQ(x_i)) in float32 (a copy where
// they agree), and the results are joined along Axis. ONNX Runtime
// computes it so too, through a table of the 256 codes per input.
//
// Inputs: YScale, YZero, then one triple (X_i, XScale_i, XZero_i) per
// tensor joined. All codes share one 8-bit type, the output's; every
// scale and zero point is per tensor.
type QLinearConcat struct{ Axis int }

// OpType returns "QLinearConcat".
func (*QLinearConcat) OpType() string { return "QLinearConcat" }

// Infer is QLinearConcat's shape rule.
func (c *QLinearConcat) Infer(in []Type) ([]Type, error) {
	const op = "QLinearConcat"
	if len(in) < 5 || (len(in)-2)%3 != 0 {
		return nil, fmt.Errorf("%s needs the output's scale and zero point and then triples of (tensor, scale, zero point), has %d inputs", op, len(in))
	}
	for i, t := range in {
		if !t.Known() {
			return nil, fmt.Errorf("%s: input %d is missing or has no type", op, i)
		}
	}
	code := in[1].DType
	if !Is8Bit(code) {
		return nil, fmt.Errorf("%s: the output zero point is %s, want uint8 or int8", op, code)
	}
	data := make([]Type, 0, (len(in)-2)/3)
	for i := 2; i < len(in); i += 3 {
		if in[i].DType != code {
			return nil, fmt.Errorf("%s: input %d is %s, the output is %s", op, i, in[i].DType, code)
		}
		data = append(data, in[i])
	}
	cc := &Concat{Axis: c.Axis}
	f := make([]Type, len(data))
	for i, t := range data {
		f[i] = t
		f[i].DType = Float32
	}
	out, err := cc.Infer(f)
	if err != nil {
		if se, ok := err.(*ShapeError); ok {
			se.Op = op
		}
		return nil, err
	}
	c.Axis = cc.Axis
	for _, p := range c.QuantPairs(len(in)) {
		if _, err := quantArgs(op, in, p, code, out[0].Shape, -1, 0); err != nil {
			return nil, err
		}
	}
	out[0].DType = code
	return out, nil
}

// QuantPairs lists the output's parameters, then each input's.
func (*QLinearConcat) QuantPairs(nIn int) []QuantPair {
	ps := []QuantPair{{0, 1}}
	for i := 2; i+2 < nIn; i += 3 {
		ps = append(ps, QuantPair{i + 1, i + 2})
	}
	return ps
}

// ToNHWC lets a rank-4 QLinearConcat follow NHWC inputs by moving its
// axis; the parameters stay.
func (c *QLinearConcat) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in) < 5 || len(in[2].Shape) != 4 || c.Axis < 0 || c.Axis > 3 {
		return nil, false
	}
	c.Axis = nchwAxis[c.Axis]
	var idx []int
	for i := 2; i < len(in); i += 3 {
		idx = append(idx, i)
	}
	return idx, true
}
