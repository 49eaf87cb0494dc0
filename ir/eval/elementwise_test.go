package eval_test

import (
	"math"
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

func TestUnaryFloat(t *testing.T) {
	xs := []float64{-2, -0.5, 0, 0.5, 2}
	// each applies f to every x; the formulas are the ONNX definitions,
	// written out independently of the kernels.
	each := func(f func(float64) float64) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = f(x)
		}
		return out
	}
	const seluA, seluG = 1.6732632423543772, 1.0507009873554805
	tests := []struct {
		op   ir.Op
		want []float64
	}{
		{&ir.Relu{}, []float64{0, 0, 0, 0.5, 2}},
		{&ir.LeakyRelu{Alpha: 0.1}, []float64{-0.2, -0.05, 0, 0.5, 2}},
		{&ir.Sigmoid{}, each(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })},
		{&ir.Tanh{}, each(func(x float64) float64 { return (math.Exp(x) - math.Exp(-x)) / (math.Exp(x) + math.Exp(-x)) })},
		{&ir.HardSigmoid{Alpha: 0.2, Beta: 0.5}, []float64{0.1, 0.4, 0.5, 0.6, 0.9}},
		// x * clamp(x/6 + 1/2, 0, 1).
		{&ir.HardSwish{}, []float64{-2 * (1. / 6), -0.5 * (5. / 12), 0, 0.5 * (7. / 12), 2 * (5. / 6)}},
		{&ir.Clip{Min: -1, Max: 1}, []float64{-1, -0.5, 0, 0.5, 1}},
		{&ir.Clip{Min: math.Inf(-1), Max: 0}, []float64{-2, -0.5, 0, 0, 0}},
		{&ir.Clip{Min: 1, Max: -1}, []float64{-1, -1, -1, -1, -1}}, // min > max: all max
		{&ir.Elu{Alpha: 1}, []float64{math.Exp(-2) - 1, math.Exp(-0.5) - 1, 0, 0.5, 2}},
		{&ir.Selu{Alpha: seluA, Gamma: seluG}, []float64{seluG * seluA * (math.Exp(-2) - 1), seluG * seluA * (math.Exp(-0.5) - 1), 0, seluG * 0.5, seluG * 2}},
		{&ir.Softplus{}, each(func(x float64) float64 { return math.Log(1 + math.Exp(x)) })},
		{&ir.Exp{}, []float64{math.Exp(-2), math.Exp(-0.5), 1, math.Exp(0.5), math.Exp(2)}},
		{&ir.Log{}, []float64{math.NaN(), math.NaN(), math.Inf(-1), math.Log(0.5), math.Log(2)}},
		{&ir.Neg{}, []float64{2, 0.5, 0, -0.5, -2}},
		{&ir.Abs{}, []float64{2, 0.5, 0, 0.5, 2}},
		{&ir.Sqrt{}, []float64{math.NaN(), math.NaN(), 0, math.Sqrt(0.5), math.Sqrt2}},
		{&ir.Reciprocal{}, []float64{-0.5, -2, math.Inf(1), 2, 0.5}},
		{&ir.Floor{}, []float64{-2, -1, 0, 0, 2}},
		{&ir.Ceil{}, []float64{-2, 0, 0, 1, 2}},
		{&ir.Erf{}, []float64{-0.9953222650189527, -0.5204998778130465, 0, 0.5204998778130465, 0.9953222650189527}},
		{&ir.Identity{}, xs},
	}
	for _, tc := range tests {
		t.Run(tc.op.OpType(), func(t *testing.T) {
			expectTol(t, run(t, tc.op, f32(ir.Shape{5}, xs...)), ir.Shape{5}, tc.want, 1e-14)
		})
	}
}

func TestUnaryExtremes(t *testing.T) {
	x := f32(ir.Shape{4}, -1000, -40, 40, 1000)
	expect(t, run(t, &ir.Sigmoid{}, x), ir.Shape{4}, []float64{0, 1 / (1 + math.Exp(40)), 1 / (1 + math.Exp(-40)), 1})
	// log(1+e^x) without overflow: x for large x, ~e^x for very negative x.
	expectTol(t, run(t, &ir.Softplus{}, x), ir.Shape{4}, []float64{0, math.Exp(-40), 40, 1000}, 1e-15)
	expect(t, run(t, &ir.HardSwish{}, f32(ir.Shape{2}, -4, 4)), ir.Shape{2}, []float64{0, 4})
	expect(t, run(t, &ir.Relu{}, f32(ir.Shape{1}, math.NaN())), ir.Shape{1}, []float64{math.NaN()})
}

func TestUnaryInt(t *testing.T) {
	expectInts(t, run(t, &ir.Relu{}, ints(ir.Int8, ir.Shape{2}, -3, 4)), ir.Int8, ir.Shape{2}, []int64{0, 4})
	// -(-128) and |-128| wrap back to -128 in int8.
	expectInts(t, run(t, &ir.Neg{}, ints(ir.Int8, ir.Shape{2}, -128, 5)), ir.Int8, ir.Shape{2}, []int64{-128, -5})
	expectInts(t, run(t, &ir.Abs{}, ints(ir.Int8, ir.Shape{2}, -128, -5)), ir.Int8, ir.Shape{2}, []int64{-128, 5})
	expectInts(t, run(t, &ir.Neg{}, ints(ir.Uint8, ir.Shape{2}, 5, 0)), ir.Uint8, ir.Shape{2}, []int64{251, 0})
	expectInts(t, run(t, &ir.Clip{Min: -1.5, Max: 2.5}, ints(ir.Int32, ir.Shape{3}, -5, 0, 5)), ir.Int32, ir.Shape{3}, []int64{-1, 0, 2})
	expectInts(t, run(t, &ir.Clip{Min: 3, Max: 1}, ints(ir.Int32, ir.Shape{2}, 0, 5)), ir.Int32, ir.Shape{2}, []int64{1, 1})
	expectInts(t, run(t, &ir.Identity{}, ints(ir.Bool, ir.Shape{2}, 1, 0)), ir.Bool, ir.Shape{2}, []int64{1, 0})
	// uint64 values above 2^63 are not negative.
	expectInts(t, run(t, &ir.Relu{}, ints(ir.Uint64, ir.Shape{1}, -1)), ir.Uint64, ir.Shape{1}, []int64{-1})
	// Float-only ops reject integers in their shape rule.
	errContains(t, runErr(t, &ir.Sigmoid{}, ints(ir.Int32, ir.Shape{1}, 1)), "Sigmoid", "floating-point")
}

func TestCast(t *testing.T) {
	tests := []struct {
		name string
		x    *ir.Tensor
		to   ir.DType
		want any // []float64 or []int64
	}{
		// Truncation toward zero, then int8 wrap-around (300 -> 44).
		{"f32 to i8", f32(ir.Shape{5}, 1.7, -1.7, 300, math.Copysign(0, -1), math.NaN()), ir.Int8, []int64{1, -1, 44, 0, 0}},
		{"f32 to bool", f32(ir.Shape{4}, 0, 0.5, -2, math.NaN()), ir.Bool, []int64{0, 1, 1, 1}},
		{"f64 to f32", ir.NewFloatTensor(ir.Float64, ir.Shape{1}, []float64{1. / 3}), ir.Float32, []float64{float64(float32(1. / 3))}},
		// Half precision: 1/3 -> 0.333251953125; 2049 ties to even 2048.
		{"f32 to f16", f32(ir.Shape{2}, 1./3, 2049), ir.Float16, []float64{0.333251953125, 2048}},
		{"f32 to f64", f32(ir.Shape{1}, 1./3), ir.Float64, []float64{1. / 3}},
		{"i32 to u8", ints(ir.Int32, ir.Shape{3}, 256, -1, 300), ir.Uint8, []int64{0, 255, 44}},
		{"u8 to i8", ints(ir.Uint8, ir.Shape{2}, 200, 100), ir.Int8, []int64{-56, 100}},
		{"i64 to f32", ints(ir.Int64, ir.Shape{1}, 16777217), ir.Float32, []float64{16777216}},
		{"u64 to f64", ints(ir.Uint64, ir.Shape{1}, -1), ir.Float64, []float64{18446744073709551615}},
		{"bool to f32", ints(ir.Bool, ir.Shape{2}, 1, 0), ir.Float32, []float64{1, 0}},
		{"i32 to bool", ints(ir.Int32, ir.Shape{3}, 0, -7, 256), ir.Bool, []int64{0, 1, 1}},
		{"f64 to u64", ir.NewFloatTensor(ir.Float64, ir.Shape{1}, []float64{1 << 63}), ir.Uint64, []int64{math.MinInt64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := run(t, &ir.Cast{To: tc.to}, tc.x)
			if y.DType != tc.to {
				t.Fatalf("type %s, want %s", y.DType, tc.to)
			}
			switch w := tc.want.(type) {
			case []float64:
				expect(t, y, tc.x.Shape, w)
			case []int64:
				expectInts(t, y, tc.to, tc.x.Shape, w)
			}
		})
	}
}

func TestBinaryFloat(t *testing.T) {
	a23 := f32(ir.Shape{2, 3}, 1, 2, 3, 4, 5, 6)
	tests := []struct {
		name  string
		op    ir.Op
		a, b  *ir.Tensor
		shape ir.Shape
		want  []float64
	}{
		{"add row", &ir.Add{}, a23, f32(ir.Shape{3}, 10, 20, 30), ir.Shape{2, 3}, []float64{11, 22, 33, 14, 25, 36}},
		{"add column", &ir.Add{}, a23, f32(ir.Shape{2, 1}, 10, 20), ir.Shape{2, 3}, []float64{11, 12, 13, 24, 25, 26}},
		{"add outer", &ir.Add{}, f32(ir.Shape{2, 1}, 1, 2), f32(ir.Shape{1, 3}, 10, 20, 30), ir.Shape{2, 3}, []float64{11, 21, 31, 12, 22, 32}},
		{"add scalar", &ir.Add{}, f32(ir.Shape{}, 1), f32(ir.Shape{2}, 1, 2), ir.Shape{2}, []float64{2, 3}},
		{"sub", &ir.Sub{}, f32(ir.Shape{1}, 10), a23, ir.Shape{2, 3}, []float64{9, 8, 7, 6, 5, 4}},
		{"mul", &ir.Mul{}, a23, f32(ir.Shape{1, 1}, 2), ir.Shape{2, 3}, []float64{2, 4, 6, 8, 10, 12}},
		{"div", &ir.Div{}, f32(ir.Shape{3}, 1, -1, 0), f32(ir.Shape{3}, 4, 0, 0), ir.Shape{3}, []float64{0.25, math.Inf(-1), math.NaN()}},
		{"pow", &ir.Pow{}, f32(ir.Shape{3}, 2, 4, 9), f32(ir.Shape{3}, 3, 0.5, -1), ir.Shape{3}, []float64{8, 2, 1. / 9}},
		{"pow int exponent", &ir.Pow{}, f32(ir.Shape{2}, 2, 3), ints(ir.Int64, ir.Shape{2}, 2, -1), ir.Shape{2}, []float64{4, 1. / 3}},
		// 3-D broadcast with size-1 axes in both operands.
		{"add 3d", &ir.Add{}, f32(ir.Shape{2, 1, 2}, 1, 2, 3, 4), f32(ir.Shape{3, 1}, 10, 20, 30), ir.Shape{2, 3, 2},
			[]float64{11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, tc.a, tc.b), tc.shape, tc.want)
		})
	}
}

func TestBinaryInt(t *testing.T) {
	tests := []struct {
		name string
		op   ir.Op
		a, b *ir.Tensor
		want []int64
	}{
		{"int8 add wraps", &ir.Add{}, ints(ir.Int8, ir.Shape{2}, 127, -128), ints(ir.Int8, ir.Shape{2}, 1, -1), []int64{-128, 127}},
		{"uint8 add wraps", &ir.Add{}, ints(ir.Uint8, ir.Shape{1}, 250), ints(ir.Uint8, ir.Shape{1}, 10), []int64{4}},
		{"uint8 sub wraps", &ir.Sub{}, ints(ir.Uint8, ir.Shape{1}, 3), ints(ir.Uint8, ir.Shape{1}, 5), []int64{254}},
		{"int16 mul wraps", &ir.Mul{}, ints(ir.Int16, ir.Shape{1}, 300), ints(ir.Int16, ir.Shape{1}, 300), []int64{24464}},
		{"int8 mul wraps", &ir.Mul{}, ints(ir.Int8, ir.Shape{1}, -128), ints(ir.Int8, ir.Shape{1}, -1), []int64{-128}},
		{"int64 add wraps", &ir.Add{}, ints(ir.Int64, ir.Shape{1}, math.MaxInt64), ints(ir.Int64, ir.Shape{1}, 1), []int64{math.MinInt64}},
		{"uint32 mul wraps", &ir.Mul{}, ints(ir.Uint32, ir.Shape{1}, 1<<31), ints(ir.Uint32, ir.Shape{1}, 2), []int64{0}},
		// C division truncates toward zero.
		{"int32 div", &ir.Div{}, ints(ir.Int32, ir.Shape{4}, 7, -7, 7, -7), ints(ir.Int32, ir.Shape{4}, 2, 2, -2, -2), []int64{3, -3, -3, 3}},
		{"int8 div overflow", &ir.Div{}, ints(ir.Int8, ir.Shape{1}, -128), ints(ir.Int8, ir.Shape{1}, -1), []int64{-128}},
		{"uint64 div", &ir.Div{}, ints(ir.Uint64, ir.Shape{1}, -1), ints(ir.Uint64, ir.Shape{1}, 2), []int64{math.MaxInt64}},
		{"int pow", &ir.Pow{}, ints(ir.Int32, ir.Shape{3}, 2, -3, 5), ints(ir.Int64, ir.Shape{3}, 10, 3, -1), []int64{1024, -27, 0}},
		{"int8 pow wraps", &ir.Pow{}, ints(ir.Int8, ir.Shape{1}, 2), ints(ir.Int8, ir.Shape{1}, 7), []int64{-128}},
		{"int pow float exponent", &ir.Pow{}, ints(ir.Int32, ir.Shape{2}, 2, 9), f32(ir.Shape{1}, 0.5), []int64{1, 3}},
		{"int broadcast", &ir.Sub{}, ints(ir.Int32, ir.Shape{2, 1}, 10, 20), ints(ir.Int32, ir.Shape{2}, 1, 2), []int64{9, 8, 19, 18}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := run(t, tc.op, tc.a, tc.b)
			if y.DType != tc.a.DType || len(y.Ints) != len(tc.want) {
				t.Fatalf("got %v, want %s with %d elements", y.Type(), tc.a.DType, len(tc.want))
			}
			expectInts(t, y, tc.a.DType, y.Shape, tc.want)
		})
	}
	err := runErr(t, &ir.Div{}, ints(ir.Int32, ir.Shape{2}, 1, 2), ints(ir.Int32, ir.Shape{2}, 1, 0))
	errContains(t, err, "division by zero", `node "n" (Div)`)
}

func TestCompare(t *testing.T) {
	f := f32(ir.Shape{3}, 1, 2, 3)
	tests := []struct {
		name string
		op   ir.Op
		a, b *ir.Tensor
		want []int64
	}{
		{"less", &ir.Less{}, f, f32(ir.Shape{1}, 2), []int64{1, 0, 0}},
		{"greater", &ir.Greater{}, f, f32(ir.Shape{1}, 2), []int64{0, 0, 1}},
		{"equal", &ir.Equal{}, f, f32(ir.Shape{1}, 2), []int64{0, 1, 0}},
		{"equal NaN", &ir.Equal{}, f32(ir.Shape{1}, math.NaN()), f32(ir.Shape{1}, math.NaN()), []int64{0}},
		{"less int", &ir.Less{}, ints(ir.Int32, ir.Shape{2}, -1, 5), ints(ir.Int32, ir.Shape{2}, 0, 5), []int64{1, 0}},
		{"greater uint64", &ir.Greater{}, ints(ir.Uint64, ir.Shape{1}, -1), ints(ir.Uint64, ir.Shape{1}, 1), []int64{1}},
		{"equal bool", &ir.Equal{}, ints(ir.Bool, ir.Shape{2}, 1, 0), ints(ir.Bool, ir.Shape{1}, 1), []int64{1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := run(t, tc.op, tc.a, tc.b)
			expectInts(t, y, ir.Bool, y.Shape, tc.want)
		})
	}
}

func TestVariadic(t *testing.T) {
	a := f32(ir.Shape{2}, 1, 5)
	b := f32(ir.Shape{1}, 3)
	c := f32(ir.Shape{2, 1}, 0, 10)
	expect(t, run(t, &ir.Max{}, a, b, c), ir.Shape{2, 2}, []float64{3, 5, 10, 10})
	expect(t, run(t, &ir.Min{}, a, b, c), ir.Shape{2, 2}, []float64{0, 0, 1, 3})
	expect(t, run(t, &ir.Sum{}, a, b, c), ir.Shape{2, 2}, []float64{4, 8, 14, 18})
	expect(t, run(t, &ir.Mean{}, a, b, c), ir.Shape{2, 2}, []float64{4. / 3, 8. / 3, 14. / 3, 6})
	expect(t, run(t, &ir.Sum{}, a), ir.Shape{2}, []float64{1, 5})
	expect(t, run(t, &ir.Max{}, f32(ir.Shape{2}, math.NaN(), 1), f32(ir.Shape{2}, 1, 2)), ir.Shape{2}, []float64{math.NaN(), 2})
	i1, i2 := ints(ir.Int32, ir.Shape{2}, 1, -7), ints(ir.Int32, ir.Shape{2}, 2, 2)
	expectInts(t, run(t, &ir.Mean{}, i1, i2), ir.Int32, ir.Shape{2}, []int64{1, -2})
	expectInts(t, run(t, &ir.Max{}, i1, i2), ir.Int32, ir.Shape{2}, []int64{2, 2})
	expectInts(t, run(t, &ir.Min{}, i1, i2), ir.Int32, ir.Shape{2}, []int64{1, -7})
	expectInts(t, run(t, &ir.Sum{}, ints(ir.Int8, ir.Shape{1}, 100), ints(ir.Int8, ir.Shape{1}, 100)), ir.Int8, ir.Shape{1}, []int64{-56})
	expectInts(t, run(t, &ir.Max{}, ints(ir.Uint64, ir.Shape{1}, -1), ints(ir.Uint64, ir.Shape{1}, 1)), ir.Uint64, ir.Shape{1}, []int64{-1})
}

func TestWherePReluDropout(t *testing.T) {
	cond := ints(ir.Bool, ir.Shape{3}, 1, 0, 1)
	expect(t, run(t, &ir.Where{}, cond, f32(ir.Shape{3}, 1, 2, 3), f32(ir.Shape{1}, 10)), ir.Shape{3}, []float64{1, 10, 3})
	expectInts(t, run(t, &ir.Where{}, ints(ir.Bool, ir.Shape{2, 1}, 1, 0), ints(ir.Int64, ir.Shape{2}, 1, 2), ints(ir.Int64, ir.Shape{2}, 7, 8)),
		ir.Int64, ir.Shape{2, 2}, []int64{1, 2, 7, 8})

	expect(t, run(t, &ir.PRelu{}, f32(ir.Shape{4}, -2, -1, 0, 1), f32(ir.Shape{1}, 0.5)), ir.Shape{4}, []float64{-1, -0.5, 0, 1})
	expect(t, run(t, &ir.PRelu{}, f32(ir.Shape{2, 2}, -1, -1, 1, -1), f32(ir.Shape{2}, 0.1, 0.2)), ir.Shape{2, 2}, []float64{-0.1, -0.2, 1, -0.2})
	expectInts(t, run(t, &ir.PRelu{}, ints(ir.Int8, ir.Shape{2}, -100, 3), ints(ir.Int8, ir.Shape{1}, 2)), ir.Int8, ir.Shape{2}, []int64{56, 3})

	x := f32(ir.Shape{2, 2}, 1, 2, 3, 4)
	outs, err := eval.Node(nodeOf(&ir.Dropout{Ratio: 0.5}, 2, x), []*ir.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, outs[0], ir.Shape{2, 2}, []float64{1, 2, 3, 4})
	expectInts(t, outs[1], ir.Bool, ir.Shape{2, 2}, []int64{1, 1, 1, 1})
	// With one output the mask is not returned.
	outs, err = eval.Node(nodeOf(&ir.Dropout{}, 1, x), []*ir.Tensor{x})
	if err != nil || len(outs) != 1 {
		t.Fatalf("got %d outputs, %v", len(outs), err)
	}
	expect(t, run(t, &ir.Identity{}, x), ir.Shape{2, 2}, []float64{1, 2, 3, 4})
}

func TestBroadcastErrors(t *testing.T) {
	errContains(t, runErr(t, &ir.Add{}, f32(ir.Shape{2, 3}, seq(6, 0, 1)...), f32(ir.Shape{2}, 1, 2)), "broadcast")
	errContains(t, runErr(t, &ir.Add{}, f32(ir.Shape{1}, 1), ints(ir.Int32, ir.Shape{1}, 1)), "element types")
	errContains(t, runErr(t, &ir.Where{}, f32(ir.Shape{1}, 1), f32(ir.Shape{1}, 1), f32(ir.Shape{1}, 1)), "condition")
	// Elements outside their type's range are malformed input.
	errContains(t, runErr(t, &ir.Add{}, ints(ir.Int8, ir.Shape{1}, 300), ints(ir.Int8, ir.Shape{1}, 1)), "element 0 (300)", "i8")
	errContains(t, runErr(t, &ir.Where{}, ints(ir.Bool, ir.Shape{1}, 2), f32(ir.Shape{1}, 1), f32(ir.Shape{1}, 1)), "bool")
}

func TestIntEdgeCases(t *testing.T) {
	// Negative integer exponents give the truncated exact power.
	expectInts(t, run(t, &ir.Pow{}, ints(ir.Int64, ir.Shape{5}, 1, -1, -1, 2, 0), ints(ir.Int64, ir.Shape{5}, -3, -2, -3, -1, -1)),
		ir.Int64, ir.Shape{5}, []int64{1, 1, -1, 0, 0})
	// Out-of-range float to integer conversions saturate to 64 bits, then
	// wrap: deterministic, where C leaves them undefined.
	big := ir.NewFloatTensor(ir.Float64, ir.Shape{3}, []float64{1e300, -1e300, 1e20})
	expectInts(t, run(t, &ir.Cast{To: ir.Int64}, big), ir.Int64, ir.Shape{3}, []int64{math.MaxInt64, math.MinInt64, math.MaxInt64})
	expectInts(t, run(t, &ir.Cast{To: ir.Int32}, big), ir.Int32, ir.Shape{3}, []int64{-1, 0, -1})
	expectInts(t, run(t, &ir.Cast{To: ir.Uint64}, ir.NewFloatTensor(ir.Float64, ir.Shape{2}, []float64{1e30, -5.5})),
		ir.Uint64, ir.Shape{2}, []int64{-1, -5})

	// Empty reductions give each type's extreme value.
	for _, tc := range []struct {
		dt       ir.DType
		min, max int64 // identities of ReduceMax and ReduceMin
	}{
		{ir.Int8, math.MinInt8, math.MaxInt8},
		{ir.Int16, math.MinInt16, math.MaxInt16},
		{ir.Int32, math.MinInt32, math.MaxInt32},
		{ir.Int64, math.MinInt64, math.MaxInt64},
		{ir.Uint8, 0, math.MaxUint8},
		{ir.Uint16, 0, math.MaxUint16},
		{ir.Uint32, 0, math.MaxUint32},
		{ir.Uint64, 0, -1},
		{ir.Bool, 0, 1},
	} {
		empty := ints(tc.dt, ir.Shape{0})
		all := ir.Reduce{Axes: []int{0}}
		expectInts(t, run(t, &ir.ReduceMax{Reduce: all}, empty), tc.dt, ir.Shape{}, []int64{tc.min})
		expectInts(t, run(t, &ir.ReduceMin{Reduce: all}, empty), tc.dt, ir.Shape{}, []int64{tc.max})
	}
}
