package eval

import (
	"fmt"
	"math"
	"math/big"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(func(op *ir.QLinearAdd, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
		return qbinary(op, in, out, false)
	})
	register(func(op *ir.QLinearMul, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
		return qbinary(op, in, out, true)
	})
	register(evalQLinearActivation)
	register(evalQLookup)
}

// qbinary computes QLinearAdd or QLinearMul with numpy broadcasting, as
// ONNX Runtime's x86 kernels (MLAS) define them: com.microsoft's operators
// are ONNX Runtime's, and its QDQ transformer runs them for DequantizeLinear
// -> Add or Mul -> QuantizeLinear too, so this rounding is what a QDQ
// model gives there (a float evaluation of the QDQ graph may differ by one
// step at a rounding boundary). Every operation is float32, on the codes
// (int8 ones signed):
//
//	Add: ra = sa/sc, rb = sb/sc, F = zc - fma(ra, za, rb*zb),
//	     c = round_half_even(fma(a, ra, fma(b, rb, F)))
//	     (fma(b, rb, fma(a, ra, F)) where A is broadcast and B is not)
//	Mul: R = sa*sb/sc, c = round_half_even(float32((a-za)*(b-zb))*R + zc)
//
// then saturated; a sum outside the int32 range gives the smallest code.
func qbinary(op ir.Op, in []*ir.Tensor, out ir.Type, mul bool) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	a, b := in[0], in[3]
	as, az := scalarParam(in, 1, 2)
	bs, bz := scalarParam(in, 4, 5)
	cs, cz := scalarParam(in, 6, 7)
	lo, hi := ir.QuantRange(out.DType)
	ma, mb := broadcastOffsets(out.Shape, a.Shape), broadcastOffsets(out.Shape, b.Shape)
	// ONNX Runtime's broadcaster runs a broadcast A as one value per span
	// of B (its scalar-A loop, B's term last) when A repeats along the last
	// axis, as a per-channel operand of NCHW data does. This takes every
	// broadcast A so, as the runtime's QAdd does, which the layout pass
	// keeps the same for NHWC data; an A repeating along leading axes only
	// (ONNX Runtime's vector loop) may differ from ONNX Runtime by a step.
	sa, sb, sc := float32(as), float32(bs), float32(cs)
	ra, rb := float32(sa/sc), float32(sb/sc)
	f := float32(float32(cz) - fma32(ra, float32(az), float32(rb*float32(bz))))
	r := float32(float32(sa*sb) / sc)
	y := newTensor(out)
	scalarA := a.Len() < len(y.Ints) && b.Len() == len(y.Ints)
	for i := range y.Ints {
		x, w := a.Ints[at(ma, i)], b.Ints[at(mb, i)]
		var v float32
		switch {
		case mul:
			v = float32(float32(float32((x-az)*(w-bz))*r) + float32(cz))
		case scalarA:
			v = fma32(float32(w), rb, fma32(float32(x), ra, f))
		default:
			v = fma32(float32(x), ra, fma32(float32(w), rb, f))
		}
		c := int64(lo)
		if v >= -(1<<31) && v < 1<<31 {
			c = min(max(int64(math.RoundToEven(float64(v))), lo), hi)
		}
		y.Ints[i] = c
	}
	return y, nil
}

// fma32 is the float32 a*b + c rounded once (an FMA instruction's result),
// computed exactly with big.Float.
func fma32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(512).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	v, _ := x.Float32()
	return v
}

// evalQLinearActivation computes Y = Q(Act(DQ(X))) as ONNX Runtime's
// QLinearLeakyRelu and QLinearSigmoid do: a table of the 256 codes, each
// dequantized in float32, mapped by the activation in float32 (LeakyRelu
// x >= 0 ? x : alpha*x, Sigmoid ONNX Runtime's approximation, see
// ortLogistic) and quantized as QuantizeLinear does. Any other activation
// is computed in float64 and quantized in float32.
func evalQLinearActivation(op *ir.QLinearActivation, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	if err := ir.CheckQuantValues(op, in); err != nil {
		return nil, err
	}
	var f32 func(float32) float32
	switch a := op.Act.(type) {
	case *ir.LeakyRelu:
		alpha := float32(a.Alpha)
		f32 = func(x float32) float32 {
			if x >= 0 {
				return x
			}
			return float32(alpha * x)
		}
	case *ir.Sigmoid:
		f32 = ortLogistic
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
		a := f(d)
		if f32 != nil {
			a = float64(f32(float32(d)))
		}
		y.Ints[i] = saturateRound(quotient(a, ys, ir.Float32, ir.Float32, ir.Invalid), yz, lo, hi)
	}
	return y, nil
}

// The coefficients of ortLogistic, float32 as ONNX Runtime has them.
const (
	logisticAlpha9  float32 = 4.37031012579801e-11
	logisticAlpha7  float32 = 1.15627324459942e-07
	logisticAlpha5  float32 = 6.08574864600143e-05
	logisticAlpha3  float32 = 8.51377133304701e-03
	logisticAlpha1  float32 = 2.48287947061529e-01
	logisticBeta10  float32 = 6.10247389755681e-13
	logisticBeta8   float32 = 5.76102136993427e-09
	logisticBeta6   float32 = 6.29106785017040e-06
	logisticBeta4   float32 = 1.70198817374094e-03
	logisticBeta2   float32 = 1.16817656904453e-01
	logisticBeta0   float32 = 9.93151921023180e-01
	logisticHalf    float32 = 0.5
	logisticExtreme float32 = 18
)

// ortLogistic is the logistic function as ONNX Runtime computes it on x86
// CPUs with FMA (MLAS's logistic kernel, which QLinearSigmoid tabulates):
// x clamped to [-18, 18], then the rational approximation
//
//	p = x * (((a9*x² + a7)*x² + a5)*x² + a3)*x² + a1)
//	q = ((((b10*x² + b8)*x² + b6)*x² + b4)*x² + b2)*x² + b0
//	max(p/q + 0.5, 0)
//
// in float32, each a*x² + b one fused multiply-add. It differs from the
// exact function by up to a few units in the last place, which moves some
// table entries by a step; cnnc follows it so that quantized models give
// ONNX Runtime's codes.
func ortLogistic(x float32) float32 {
	v := min(max(x, -logisticExtreme), logisticExtreme)
	v2 := float32(v * v)
	p := fma32(v2, logisticAlpha9, logisticAlpha7)
	p = fma32(v2, p, logisticAlpha5)
	p = fma32(v2, p, logisticAlpha3)
	p = fma32(v2, p, logisticAlpha1)
	p = float32(v * p)
	q := fma32(v2, logisticBeta10, logisticBeta8)
	q = fma32(v2, q, logisticBeta6)
	q = fma32(v2, q, logisticBeta4)
	q = fma32(v2, q, logisticBeta2)
	q = fma32(v2, q, logisticBeta0)
	return max(float32(float32(p/q)+logisticHalf), 0)
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
