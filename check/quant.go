package check

import (
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

// Quantum is the quantization step of a model output: 1 for integer codes,
// the scale of the DequantizeLinear that computes a float output from
// codes (one per tensor, or one per channel along an axis). Quantized
// models computed by different engines legitimately differ by a step
// where a value lies next to a rounding boundary (ONNX does not define the
// rounding of the sums a convolution scales), so comparisons count the
// elements that differ by exactly one step.
type Quantum struct {
	// Scale holds the step: one value, or one per channel of Axis.
	Scale []float64
	Axis  int
}

// QuantumOf returns the quantization step of v, nil when v holds neither
// 8- or 16-bit codes nor the DequantizeLinear (with constant scales, seen
// through reshapes for per-tensor ones) of codes.
func QuantumOf(v *ir.Value) *Quantum {
	switch v.DType {
	case ir.Uint8, ir.Int8, ir.Uint16, ir.Int16:
		return &Quantum{Scale: []float64{1}, Axis: -1}
	}
	viewed := false
	p := v.Producer
	for p != nil && ir.IsView(p) {
		p, viewed = p.Inputs[0].Producer, true
	}
	if p == nil {
		return nil
	}
	dq, ok := p.Op.(*ir.DequantizeLinear)
	if !ok || dq.BlockSize > 0 || !p.Inputs[1].IsConst() {
		return nil
	}
	s := p.Inputs[1].Const
	q := &Quantum{Axis: -1}
	for i := 0; i < s.Len(); i++ {
		q.Scale = append(q.Scale, float64(float32(s.Float(i))))
	}
	if len(q.Scale) > 1 {
		if viewed {
			return nil
		}
		q.Axis = dq.Axis
	}
	return q
}

// String names the step.
func (q *Quantum) String() string {
	if len(q.Scale) == 1 {
		return fmt.Sprintf("step %.6g", q.Scale[0])
	}
	return fmt.Sprintf("per-channel steps on axis %d", q.Axis)
}

// StepCount counts the elements of a comparison in units of a Quantum.
type StepCount struct {
	// Equal elements agree within a thousandth of a step, OneStep ones
	// differ by one step, More by more or by no whole number of steps.
	Equal, OneStep, More int
	// MaxSteps is the largest difference, in steps.
	MaxSteps float64
}

// Count compares got with want (of want's shape) in steps of q.
func (q *Quantum) Count(got, want *ir.Tensor) StepCount {
	var c StepCount
	inner := 1
	if q.Axis >= 0 && q.Axis < len(want.Shape) {
		for _, d := range want.Shape[q.Axis+1:] {
			inner *= d
		}
	}
	for i := 0; i < got.Len() && i < want.Len(); i++ {
		step := q.Scale[0]
		if len(q.Scale) > 1 {
			step = q.Scale[i/inner%len(q.Scale)]
		}
		d := math.Abs(got.Float(i)-want.Float(i)) / step
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		c.MaxSteps = math.Max(c.MaxSteps, d)
		k := math.Round(d)
		switch {
		case math.Abs(d-k) > 1e-3 || k > 1:
			c.More++
		case k == 1:
			c.OneStep++
		default:
			c.Equal++
		}
	}
	return c
}

// String is "8190 equal, 2 one step off, 0 further".
func (c StepCount) String() string {
	return fmt.Sprintf("%d equal, %d one step off, %d further", c.Equal, c.OneStep, c.More)
}
