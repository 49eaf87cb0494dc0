package eval

import (
	"errors"
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	registerAs[*ir.Relu](evalUnary)
	registerAs[*ir.LeakyRelu](evalUnary)
	registerAs[*ir.Sigmoid](evalUnary)
	registerAs[*ir.Tanh](evalUnary)
	registerAs[*ir.HardSigmoid](evalUnary)
	registerAs[*ir.HardSwish](evalUnary)
	registerAs[*ir.Clip](evalUnary)
	registerAs[*ir.Elu](evalUnary)
	registerAs[*ir.Selu](evalUnary)
	registerAs[*ir.Softplus](evalUnary)
	registerAs[*ir.Exp](evalUnary)
	registerAs[*ir.Log](evalUnary)
	registerAs[*ir.Neg](evalUnary)
	registerAs[*ir.Abs](evalUnary)
	registerAs[*ir.Sqrt](evalUnary)
	registerAs[*ir.Reciprocal](evalUnary)
	registerAs[*ir.Floor](evalUnary)
	registerAs[*ir.Ceil](evalUnary)
	registerAs[*ir.Erf](evalUnary)
	registerAs[*ir.Identity](evalUnary)
	register(evalCast)
	registerMulti(func(_ *ir.Dropout, in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error) { return evalDropout(in, out) })
	registerAs[*ir.Add](evalBinary)
	registerAs[*ir.Sub](evalBinary)
	registerAs[*ir.Mul](evalBinary)
	registerAs[*ir.Div](evalBinary)
	registerAs[*ir.Pow](evalBinary)
	registerAs[*ir.Less](evalBinary)
	registerAs[*ir.Greater](evalBinary)
	registerAs[*ir.Equal](evalBinary)
	registerAs[*ir.Max](evalVariadic)
	registerAs[*ir.Min](evalVariadic)
	registerAs[*ir.Sum](evalVariadic)
	registerAs[*ir.Mean](evalVariadic)
	register(evalWhere)
	register(evalPRelu)
}

// unaryFloat returns the element function of a unary op on floating-point
// values, following the formulas of the ONNX spec (and of ir's doc
// comments, which agree), or nil when op is not such an op.
func unaryFloat(op ir.Op) func(float64) float64 {
	switch op := op.(type) {
	case *ir.Relu:
		return func(x float64) float64 {
			if x < 0 {
				return 0
			}
			return x // NaN stays NaN, as numpy's maximum(x, 0) keeps it
		}
	case *ir.LeakyRelu:
		a := op.Alpha
		return func(x float64) float64 {
			if x < 0 {
				return a * x
			}
			return x
		}
	case *ir.Sigmoid:
		return sigmoid
	case *ir.Tanh:
		return math.Tanh
	case *ir.HardSigmoid:
		a, b := op.Alpha, op.Beta
		return func(x float64) float64 { return math.Max(0, math.Min(1, a*x+b)) }
	case *ir.HardSwish:
		return func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }
	case *ir.Clip:
		lo, hi := op.Min, op.Max
		return func(x float64) float64 { return math.Min(math.Max(x, lo), hi) }
	case *ir.Elu:
		a := op.Alpha
		return func(x float64) float64 {
			if x < 0 {
				return a * math.Expm1(x)
			}
			return x
		}
	case *ir.Selu:
		a, g := op.Alpha, op.Gamma
		return func(x float64) float64 {
			if x <= 0 {
				return g * a * math.Expm1(x)
			}
			return g * x
		}
	case *ir.Softplus:
		return softplus
	case *ir.Exp:
		return math.Exp
	case *ir.Log:
		return math.Log
	case *ir.Neg:
		return func(x float64) float64 { return -x }
	case *ir.Abs:
		return math.Abs
	case *ir.Sqrt:
		return math.Sqrt
	case *ir.Reciprocal:
		return func(x float64) float64 { return 1 / x }
	case *ir.Floor:
		return math.Floor
	case *ir.Ceil:
		return math.Ceil
	case *ir.Erf:
		return math.Erf
	case *ir.Identity:
		return func(x float64) float64 { return x }
	}
	return nil
}

// sigmoid is 1/(1+e^-x), written so that neither branch overflows.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1+e^x) without overflow for large x.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// activation returns the element function of a fused activation, or nil
// for none.
func activation(act ir.Activation) (func(float64) float64, error) {
	if act == nil {
		return nil, nil
	}
	if isNil(act) {
		return nil, fmt.Errorf("fused activation is a nil %T", act)
	}
	f := unaryFloat(act)
	if f == nil {
		return nil, fmt.Errorf("eval does not support fused activation %q", act.OpType())
	}
	return f, nil
}

// evalUnary applies a unary op element by element. The shape rules let
// only Relu, Clip, Neg, Abs and Identity reach here with integers.
func evalUnary(op ir.Op, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	y := newTensor(out)
	if x.DType.IsFloat() {
		f := unaryFloat(op)
		if f == nil {
			return nil, fmt.Errorf("internal error: no element function for %s", op.OpType())
		}
		for i, v := range x.Floats {
			y.Floats[i] = f(v)
		}
		return y, nil
	}
	dt := x.DType
	var f func(int64) int64
	switch op := op.(type) {
	case *ir.Relu:
		f = func(v int64) int64 {
			if intLess(dt, v, 0) {
				return 0
			}
			return v
		}
	case *ir.Neg:
		f = func(v int64) int64 { return -v }
	case *ir.Abs:
		f = func(v int64) int64 {
			if intLess(dt, v, 0) {
				return -v
			}
			return v
		}
	case *ir.Clip:
		f = func(v int64) int64 { return clipInt(dt, v, op.Min, op.Max) }
	case *ir.Identity:
		f = func(v int64) int64 { return v }
	default:
		return nil, fmt.Errorf("%s is not defined on %s", op.OpType(), dt)
	}
	for i, v := range x.Ints {
		y.Ints[i] = ir.WrapInt(dt, f(v))
	}
	return y, nil
}

// clipInt clips an integer to float bounds, rounding them inward to the
// nearest integers inside [lo, hi]. The upper bound applies last, so that
// lo > hi gives hi everywhere, as ONNX specifies and as the float
// min(max(x, lo), hi) does.
func clipInt(dt ir.DType, v int64, lo, hi float64) int64 {
	if intToFloat(dt, v) < lo {
		v = floatToInt(dt, math.Ceil(lo))
	}
	if intToFloat(dt, v) > hi {
		v = floatToInt(dt, math.Floor(hi))
	}
	return v
}

// evalCast converts element types. Float to integer truncates toward zero
// and wraps; to bool is "!= 0"; to a narrower float rounds to nearest even
// (Tensor.RoundToType); integer to integer wraps (two's complement).
func evalCast(_ *ir.Cast, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	y := newTensor(out)
	to := out.DType
	switch {
	case x.DType.IsFloat() && to.IsFloat():
		copy(y.Floats, x.Floats)
	case x.DType.IsFloat():
		for i, v := range x.Floats {
			y.Ints[i] = floatToInt(to, v)
		}
	case to.IsFloat():
		for i, v := range x.Ints {
			y.Floats[i] = intToFloat(x.DType, v)
		}
	default:
		for i, v := range x.Ints {
			y.Ints[i] = ir.WrapInt(to, v)
		}
	}
	y.RoundToType()
	return y, nil
}

// evalDropout is Dropout at inference: the identity, plus an all-true
// mask.
func evalDropout(in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error) {
	y := in[0].Clone()
	mask := newTensor(out[1])
	for i := range mask.Ints {
		mask.Ints[i] = 1
	}
	return []*ir.Tensor{y, mask}, nil
}

var errIntDivZero = errors.New("integer division by zero")

// evalBinary applies a broadcasting binary op.
func evalBinary(op ir.Op, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	a, b := in[0], in[1]
	y := newTensor(out)
	ma, mb := broadcastOffsets(out.Shape, a.Shape), broadcastOffsets(out.Shape, b.Shape)
	n := out.Shape.NumElements(1)

	if _, ok := op.(*ir.Pow); ok {
		return evalPow(a, b, ma, mb, y), nil
	}
	if cmp := comparison(op); cmp != nil {
		for i := range n {
			y.Ints[i] = bool01(cmp(a, at(ma, i), b, at(mb, i)))
		}
		return y, nil
	}
	if a.DType.IsFloat() {
		f := arithFloat(op)
		if f == nil {
			return nil, fmt.Errorf("internal error: no element function for %s", op.OpType())
		}
		for i := range n {
			y.Floats[i] = f(a.Floats[at(ma, i)], b.Floats[at(mb, i)])
		}
		return y, nil
	}
	f := arithInt(op, a.DType)
	if f == nil {
		return nil, fmt.Errorf("internal error: no element function for %s", op.OpType())
	}
	for i := range n {
		v, err := f(a.Ints[at(ma, i)], b.Ints[at(mb, i)])
		if err != nil {
			return nil, err
		}
		y.Ints[i] = ir.WrapInt(a.DType, v)
	}
	return y, nil
}

func arithFloat(op ir.Op) func(a, b float64) float64 {
	switch op.(type) {
	case *ir.Add, *ir.Sum, *ir.Mean:
		return func(a, b float64) float64 { return a + b }
	case *ir.Sub:
		return func(a, b float64) float64 { return a - b }
	case *ir.Mul:
		return func(a, b float64) float64 { return a * b }
	case *ir.Div:
		return func(a, b float64) float64 { return a / b }
	case *ir.Max:
		return math.Max
	case *ir.Min:
		return math.Min
	}
	return nil
}

// arithInt returns an op's integer element function before wrap-around.
// int64 arithmetic wraps modulo 2^64, so wrapping its result to a
// narrower type gives exactly the narrower type's arithmetic.
func arithInt(op ir.Op, dt ir.DType) func(a, b int64) (int64, error) {
	switch op.(type) {
	case *ir.Add, *ir.Sum, *ir.Mean:
		return func(a, b int64) (int64, error) { return a + b, nil }
	case *ir.Sub:
		return func(a, b int64) (int64, error) { return a - b, nil }
	case *ir.Mul:
		return func(a, b int64) (int64, error) { return a * b, nil }
	case *ir.Div:
		return func(a, b int64) (int64, error) {
			switch {
			case b == 0:
				return 0, errIntDivZero
			case dt == ir.Uint64:
				return int64(uint64(a) / uint64(b)), nil
			}
			return a / b, nil // Go, like C, truncates toward zero
		}
	case *ir.Max:
		return func(a, b int64) (int64, error) {
			if intLess(dt, a, b) {
				return b, nil
			}
			return a, nil
		}
	case *ir.Min:
		return func(a, b int64) (int64, error) {
			if intLess(dt, b, a) {
				return b, nil
			}
			return a, nil
		}
	}
	return nil
}

// comparison returns the element predicate of Less, Greater or Equal
// (operands of one type, either float or integer), or nil.
func comparison(op ir.Op) func(a *ir.Tensor, i int, b *ir.Tensor, j int) bool {
	switch op.(type) {
	case *ir.Less:
		return func(a *ir.Tensor, i int, b *ir.Tensor, j int) bool {
			if a.DType.IsFloat() {
				return a.Floats[i] < b.Floats[j]
			}
			return intLess(a.DType, a.Ints[i], b.Ints[j])
		}
	case *ir.Greater:
		return func(a *ir.Tensor, i int, b *ir.Tensor, j int) bool {
			if a.DType.IsFloat() {
				return a.Floats[i] > b.Floats[j]
			}
			return intLess(a.DType, b.Ints[j], a.Ints[i])
		}
	case *ir.Equal:
		return func(a *ir.Tensor, i int, b *ir.Tensor, j int) bool {
			if a.DType.IsFloat() {
				return a.Floats[i] == b.Floats[j]
			}
			return a.Ints[i] == b.Ints[j]
		}
	}
	return nil
}

func bool01(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// evalPow computes a^b with the result in a's type; the exponent may have
// another type. Integer powers of integers are exact (with wrap-around);
// a float exponent of an integer base goes through float64 and truncates.
func evalPow(a, b *ir.Tensor, ma, mb []int, y *ir.Tensor) *ir.Tensor {
	n := y.Len()
	for i := range n {
		ia, ib := at(ma, i), at(mb, i)
		switch {
		case a.DType.IsFloat():
			y.Floats[i] = math.Pow(a.Floats[ia], elemFloat(b, ib))
		case b.DType.IsFloat():
			y.Ints[i] = floatToInt(a.DType, math.Pow(intToFloat(a.DType, a.Ints[ia]), b.Floats[ib]))
		default:
			y.Ints[i] = ir.WrapInt(a.DType, ipow(a.Ints[ia], b.Ints[ib]))
		}
	}
	return y
}

// ipow is a^e in wrapping int64 arithmetic; a negative exponent gives the
// truncated value of the exact power (0 unless |a| is 1).
func ipow(a, e int64) int64 {
	if e < 0 {
		switch {
		case a == 1:
			return 1
		case a == -1 && e%2 == 0:
			return 1
		case a == -1:
			return -1
		}
		return 0
	}
	r := int64(1)
	for e > 0 {
		if e&1 == 1 {
			r *= a
		}
		a *= a
		e >>= 1
	}
	return r
}

// evalVariadic folds Max, Min, Sum or Mean over all inputs, broadcast
// together. Mean of integers truncates toward zero.
func evalVariadic(op ir.Op, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	y := newTensor(out)
	n := y.Len()
	maps := make([][]int, len(in))
	for k, t := range in {
		maps[k] = broadcastOffsets(out.Shape, t.Shape)
	}
	_, mean := op.(*ir.Mean)
	if out.DType.IsFloat() {
		f := arithFloat(op)
		for i := range n {
			v := in[0].Floats[at(maps[0], i)]
			for k := 1; k < len(in); k++ {
				v = f(v, in[k].Floats[at(maps[k], i)])
			}
			if mean {
				v /= float64(len(in))
			}
			y.Floats[i] = v
		}
		return y, nil
	}
	f := arithInt(op, out.DType)
	for i := range n {
		v := in[0].Ints[at(maps[0], i)]
		for k := 1; k < len(in); k++ {
			v, _ = f(v, in[k].Ints[at(maps[k], i)]) // no division here
		}
		if mean {
			v /= int64(len(in))
		}
		y.Ints[i] = ir.WrapInt(out.DType, v)
	}
	return y, nil
}

// evalWhere picks X where the condition is true and Y elsewhere.
func evalWhere(_ *ir.Where, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	cond, x, yIn := in[0], in[1], in[2]
	y := newTensor(out)
	mc := broadcastOffsets(out.Shape, cond.Shape)
	mx, my := broadcastOffsets(out.Shape, x.Shape), broadcastOffsets(out.Shape, yIn.Shape)
	for i := range y.Len() {
		c := cond.Ints[at(mc, i)] != 0
		switch {
		case out.DType.IsFloat() && c:
			y.Floats[i] = x.Floats[at(mx, i)]
		case out.DType.IsFloat():
			y.Floats[i] = yIn.Floats[at(my, i)]
		case c:
			y.Ints[i] = x.Ints[at(mx, i)]
		default:
			y.Ints[i] = yIn.Ints[at(my, i)]
		}
	}
	return y, nil
}

// evalPRelu is x for x >= 0 and slope*x otherwise, the slope broadcast to
// x's shape.
func evalPRelu(_ *ir.PRelu, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, slope := in[0], in[1]
	y := newTensor(out)
	ms := broadcastOffsets(out.Shape, slope.Shape)
	if x.DType.IsFloat() {
		for i, v := range x.Floats {
			if v < 0 {
				v *= slope.Floats[at(ms, i)]
			}
			y.Floats[i] = v
		}
		return y, nil
	}
	for i, v := range x.Ints {
		if intLess(x.DType, v, 0) {
			v *= slope.Ints[at(ms, i)]
		}
		y.Ints[i] = ir.WrapInt(x.DType, v)
	}
	return y, nil
}
