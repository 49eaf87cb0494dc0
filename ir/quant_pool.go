package ir

import "fmt"

// QLinearAveragePool is com.microsoft QLinearAveragePool: AveragePool of
// the dequantized input, quantized to the output's parameters. Its
// definition leaves the rounding open; cnnc computes it as ONNX Runtime's
// kernel does, so that quantized models give its codes: in float32, every
// code dequantized, d = x_scale * (x - x_zero), each window's values
// summed in row-major kernel order, then
//
//	y = saturate(round_half_even(float32(sum / n) / y_scale + y_zero))
//
// each operation rounded to float32 and the zero point added before the
// rounding. A value outside the int32 range, or the 0/0 of a window
// without a tap inside the input when CountIncludePad is false, gives the
// smallest code (the x86 conversion's). n is the number of the window's
// taps inside the input or, with CountIncludePad, the kernel's size, even
// where a ceil_mode window passes the end pad; padding holds the real
// value 0. A kernel as large as the input without padding makes it a
// global pool instead, computed as QLinearGlobalAveragePool is (whose
// ties go the other way).
//
// Inputs: X (uint8 or int8), XScale, XZero, YScale, YZero (per tensor;
// zero points may be omitted). The output has X's type.
type QLinearAveragePool struct {
	Window
	Layout          Layout
	CountIncludePad bool
}

// OpType returns "QLinearAveragePool".
func (*QLinearAveragePool) OpType() string { return "QLinearAveragePool" }

// Infer is QLinearAveragePool's shape rule.
func (p *QLinearAveragePool) Infer(in []Type) ([]Type, error) {
	const op = "QLinearAveragePool"
	p.Layout = imageLayout(p.Layout)
	if err := qpoolArgs(op, in); err != nil {
		return nil, err
	}
	return inferQPool(op, &p.Window, p.Layout, in)
}

// QuantPairs lists X's and Y's parameters.
func (*QLinearAveragePool) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}, {3, 4}} }

// QLinearGlobalAveragePool is com.microsoft QLinearGlobalAveragePool: the
// average of each channel over all n spatial positions, computed as ONNX
// Runtime's kernel (MLAS) does: S = sum (x - x_zero) exactly, then
//
//	y = saturate(round_half_even(float32(S) * m) + y_zero),  m = x_scale / (y_scale * n)
//
// with m's multiplication and division each rounded to float32 and the
// zero point added after the rounding.
//
// Inputs: X, XScale, XZero, YScale, YZero, as for QLinearAveragePool.
type QLinearGlobalAveragePool struct{ Layout Layout }

// OpType returns "QLinearGlobalAveragePool".
func (*QLinearGlobalAveragePool) OpType() string { return "QLinearGlobalAveragePool" }

// Infer is QLinearGlobalAveragePool's shape rule.
func (p *QLinearGlobalAveragePool) Infer(in []Type) ([]Type, error) {
	const op = "QLinearGlobalAveragePool"
	p.Layout = imageLayout(p.Layout)
	if err := qpoolArgs(op, in); err != nil {
		return nil, err
	}
	n, c, sp, err := spatial(op, in[0], p.Layout, 3)
	if err != nil {
		return nil, err
	}
	return []Type{{DType: in[0].DType, Shape: assemble(n, c, ints(len(sp), 1), p.Layout), Layout: p.Layout}}, nil
}

// QuantPairs lists X's and Y's parameters.
func (*QLinearGlobalAveragePool) QuantPairs(int) []QuantPair { return []QuantPair{{1, 2}, {3, 4}} }

// QMaxPool is MaxPool on 8-bit codes (ONNX MaxPool on uint8 and int8
// data): the largest code of each window. A quantization is monotone, so
// it is the MaxPool of the dequantized input whenever input and output
// share their parameters, as around a QDQ graph's MaxPool. Padding never
// wins. Input: X (uint8 or int8); the output has its type.
type QMaxPool struct {
	Window
	Layout Layout
}

// OpType returns "QMaxPool".
func (*QMaxPool) OpType() string { return "QMaxPool" }

// Infer is QMaxPool's shape rule.
func (p *QMaxPool) Infer(in []Type) ([]Type, error) {
	const op = "QMaxPool"
	p.Layout = imageLayout(p.Layout)
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	if !Is8Bit(in[0].DType) {
		return nil, fmt.Errorf("%s: input 0 is %s, want uint8 or int8 codes", op, in[0].DType)
	}
	return inferQPool(op, &p.Window, p.Layout, in)
}

func qpoolArgs(op string, in []Type) error {
	if len(in) < 4 {
		return fmt.Errorf("%s needs 4 or 5 inputs, has %d", op, len(in))
	}
	for _, i := range []int{0, 1, 3} {
		if !in[i].Known() {
			return fmt.Errorf("%s: input %d is missing or has no type", op, i)
		}
	}
	if !Is8Bit(in[0].DType) {
		return fmt.Errorf("%s: input 0 is %s, want uint8 or int8 codes", op, in[0].DType)
	}
	for _, p := range []QuantPair{{1, 2}, {3, 4}} {
		if _, err := quantArgs(op, in, p, in[0].DType, in[0].Shape, -1, 0); err != nil {
			return err
		}
	}
	return nil
}

// inferQPool is the pooling shape rule for codes (inferPool wants floats).
func inferQPool(op string, w *Window, layout Layout, in []Type) ([]Type, error) {
	t := []Type{in[0]}
	t[0].DType = Float32
	out, err := inferPool(op, w, layout, t)
	if err != nil {
		return nil, err
	}
	out[0].DType = in[0].DType
	return out, nil
}

// Work is output elements x window size.
func (p *QLinearAveragePool) Work(_, out []Type) int64 {
	return int64(out[0].Shape.PerBatch()) * prod64(p.Kernel)
}

// Work is one read per input element.
func (*QLinearGlobalAveragePool) Work(in, _ []Type) int64 { return int64(in[0].Shape.PerBatch()) }

// Work is output elements x window size.
func (p *QMaxPool) Work(_, out []Type) int64 {
	return int64(out[0].Shape.PerBatch()) * prod64(p.Kernel)
}

// ToNHWC makes a 2-D quantized pool compute channels-last.
func (p *QLinearAveragePool) ToNHWC(in []Type, _ bool) ([]int, bool) {
	return poolToNHWC(&p.Layout, in)
}

// ToNHWC makes a 2-D quantized global pool compute channels-last.
func (p *QLinearGlobalAveragePool) ToNHWC(in []Type, _ bool) ([]int, bool) {
	return poolToNHWC(&p.Layout, in)
}

// ToNHWC makes a 2-D max pool of codes compute channels-last.
func (p *QMaxPool) ToNHWC(in []Type, _ bool) ([]int, bool) { return poolToNHWC(&p.Layout, in) }
