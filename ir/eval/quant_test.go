package eval_test

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

func scalar(v float64) *ir.Tensor             { return f32(ir.Shape{}, v) }
func code(dt ir.DType, v ...int64) *ir.Tensor { return ints(dt, ir.Shape{len(v)}, v...) }
func zp(dt ir.DType, v int64) *ir.Tensor      { return ints(dt, ir.Shape{}, v) }

// randCodes returns a tensor of random codes of type dt.
func randCodes(rng *rand.Rand, dt ir.DType, shape ...int) *ir.Tensor {
	s := ir.Shape(shape)
	lo, hi := ir.QuantRange(dt)
	d := make([]int64, s.NumElements(1))
	for i := range d {
		d[i] = lo + rng.Int63n(hi-lo+1)
	}
	return ints(dt, s, d...)
}

// QuantizeLinear rounds half to even, saturates, and maps NaN to the zero
// point; DequantizeLinear is (x - zero) * scale in float32.
func TestQuantizeDequantizeValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name  string
		op    ir.Op
		in    []*ir.Tensor
		want  []int64
		wantF []float64
	}{
		{"ties to even", &ir.QuantizeLinear{To: ir.Uint8}, []*ir.Tensor{f32(ir.Shape{6}, 0.5, 1.5, 2.5, 3.5, -0.5, 4.4999), scalar(1), zp(ir.Uint8, 10)},
			[]int64{10, 12, 12, 14, 10, 14}, nil},
		{"saturation u8", &ir.QuantizeLinear{To: ir.Uint8}, []*ir.Tensor{f32(ir.Shape{5}, 300, -300, inf, -inf, nan), scalar(0.5), zp(ir.Uint8, 128)},
			[]int64{255, 0, 255, 0, 128}, nil},
		{"saturation i8", &ir.QuantizeLinear{To: ir.Int8}, []*ir.Tensor{f32(ir.Shape{4}, 1000, -1000, 12.5, -12.5), scalar(0.5), zp(ir.Int8, -3)},
			[]int64{127, -128, 22, -28}, nil},
		{"float32 division", &ir.QuantizeLinear{To: ir.Uint8}, []*ir.Tensor{f32(ir.Shape{1}, 0.3), scalar(0.1)},
			[]int64{3}, nil},
		{"per axis", &ir.QuantizeLinear{Axis: 1, To: ir.Uint8}, []*ir.Tensor{f32(ir.Shape{2, 2}, 1, 1, 1, 1), f32(ir.Shape{2}, 1, 0.25), ints(ir.Uint8, ir.Shape{2}, 0, 100)},
			[]int64{1, 104, 1, 104}, nil},
		{"int16", &ir.QuantizeLinear{To: ir.Int16}, []*ir.Tensor{f32(ir.Shape{2}, 40000, -1.5), scalar(1)},
			[]int64{32767, -2}, nil},
		{"dequantize", &ir.DequantizeLinear{To: ir.Float32}, []*ir.Tensor{code(ir.Uint8, 0, 128, 255), scalar(0.1), zp(ir.Uint8, 128)},
			nil, []float64{float64(float32(-128) * float32(0.1)), 0, float64(float32(127) * float32(0.1))}},
		{"dequantize per axis", &ir.DequantizeLinear{Axis: 0, To: ir.Float32}, []*ir.Tensor{ints(ir.Int8, ir.Shape{2, 2}, 1, 2, 3, 4), f32(ir.Shape{2}, 2, 0.5), ints(ir.Int8, ir.Shape{2}, 0, 1)},
			nil, []float64{2, 4, 1, 1.5}},
		{"dequantize int32", &ir.DequantizeLinear{To: ir.Float32}, []*ir.Tensor{code(ir.Int32, -7, 1<<20), scalar(0.5)},
			nil, []float64{-3.5, 1 << 19}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := run(t, tt.op, tt.in...)
			if tt.want != nil && !slices.Equal(y.Ints, tt.want) {
				t.Errorf("got %v, want %v", y.Ints, tt.want)
			}
			if tt.wantF != nil && !slices.Equal(y.Floats, tt.wantF) {
				t.Errorf("got %v, want %v", y.Floats, tt.wantF)
			}
		})
	}
}

// Bad quantization parameters are errors naming the node, never results.
func TestQuantBadParameters(t *testing.T) {
	tests := []struct {
		name string
		op   ir.Op
		in   []*ir.Tensor
		want string
	}{
		{"zero scale", &ir.QuantizeLinear{To: ir.Uint8}, []*ir.Tensor{f32(ir.Shape{1}, 1), scalar(0)}, "a scale must be positive and finite"},
		{"nan scale", &ir.DequantizeLinear{To: ir.Float32}, []*ir.Tensor{code(ir.Uint8, 1), scalar(math.NaN())}, "holds NaN"},
		{"zero point out of range", &ir.DequantizeLinear{To: ir.Float32}, []*ir.Tensor{code(ir.Int32, 1), scalar(1), zp(ir.Int32, 5)}, "an int32 zero point must be 0"},
		{"negative weight scale", &ir.QLinearMatMul{}, []*ir.Tensor{ints(ir.Uint8, ir.Shape{1, 1}, 1), scalar(1), zp(ir.Uint8, 0), ints(ir.Int8, ir.Shape{1, 1}, 1), scalar(-1), zp(ir.Int8, 0), scalar(1), zp(ir.Uint8, 0)}, "input 4 (a scale) holds -1"},
		{"nan input of dynamic", &ir.DynamicQuantizeLinear{}, []*ir.Tensor{f32(ir.Shape{2}, 1, math.NaN())}, "holds NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nOut := 1
			if _, ok := tt.op.(*ir.DynamicQuantizeLinear); ok {
				nOut = 3
			}
			_, err := eval.Node(nodeOf(tt.op, nOut, tt.in...), tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `node "n"`) {
				t.Fatalf("error %v, want one naming the node and containing %q", err, tt.want)
			}
		})
	}
}

// naiveQConv is QLinearConv's definition written out for 2-D NCHW data.
func naiveQConv(x, w *ir.Tensor, xz int64, wz []int64, bias []int64, g, pad, stride int, oh, ow int) []int64 {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	out := make([]int64, n*m*oh*ow)
	for b := 0; b < n; b++ {
		for o := 0; o < m; o++ {
			grp := o / (m / g)
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					var s int64
					if bias != nil {
						s = bias[o]
					}
					for ci := 0; ci < cg; ci++ {
						ch := grp*cg + ci
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := y*stride-pad+ky, xx*stride-pad+kx
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								xv := x.Ints[((b*c+ch)*h+iy)*wd+ix] - xz
								wv := w.Ints[((o*cg+ci)*kh+ky)*kw+kx] - wz[o]
								s += xv * wv
							}
						}
					}
					out[((b*m+o)*oh+y)*ow+xx] = s
				}
			}
		}
	}
	return out
}

// QLinearConv sums exactly and requantizes with the float32 multiplier,
// per output channel, in NCHW and NHWC alike.
func TestQLinearConv(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, tc := range []struct {
		name        string
		group       int
		xt, wt, yt  ir.DType
		pad, stride int
	}{
		{"u8 s8 u8", 1, ir.Uint8, ir.Int8, ir.Uint8, 1, 1},
		{"grouped strided i8", 2, ir.Int8, ir.Int8, ir.Int8, 0, 2},
		{"depthwise u8 weights", 4, ir.Uint8, ir.Uint8, ir.Uint8, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, m := 4, 4
			x := randCodes(rng, tc.xt, 2, c, 6, 5)
			w := randCodes(rng, tc.wt, m, c/tc.group, 3, 3)
			xz := zp(tc.xt, 3)
			wzs := make([]int64, m)
			ws := make([]float64, m)
			for i := range wzs {
				wzs[i] = int64(i) - 1
				ws[i] = float64(float32(0.01 * float64(i+1)))
			}
			if tc.wt == ir.Uint8 {
				for i := range wzs {
					wzs[i] += 128
				}
			}
			bias := []int64{100, -200, 3000, -4}
			xs, ys := 0.02, 0.05
			op := &ir.QLinearConv{Window: ir.Window{Pads: []int{tc.pad, tc.pad, tc.pad, tc.pad}, Strides: []int{tc.stride, tc.stride}}, Group: tc.group}
			in := []*ir.Tensor{x, scalar(xs), xz, w, f32(ir.Shape{m}, ws...), ints(tc.wt, ir.Shape{m}, wzs...), scalar(ys), zp(tc.yt, -5+133*btoi(tc.yt == ir.Uint8)), ints(ir.Int32, ir.Shape{m}, bias...)}
			y := run(t, op, in...)
			oh, ow := y.Shape[2], y.Shape[3]
			acc := naiveQConv(x, w, 3, wzs, bias, tc.group, tc.pad, tc.stride, oh, ow)
			lo, hi := ir.QuantRange(tc.yt)
			yz := in[7].Ints[0]
			for i, a := range acc {
				o := i / (oh * ow) % m
				mult := float32(float32(float32(xs)*float32(ws[o])) / float32(ys))
				v := math.RoundToEven(float64(float32(float32(a)*mult))) + float64(yz)
				want := int64(min(max(v, float64(lo)), float64(hi)))
				if y.Ints[i] != want {
					t.Fatalf("element %d: got %d, want %d (acc %d)", i, y.Ints[i], want, a)
				}
			}
			// NHWC gives the same values, transposed.
			nhwc := *op
			nhwc.Layout = ir.NHWC
			xt := run(t, &ir.Transpose{Perm: ir.PermNCHWToNHWC}, x)
			inT := append([]*ir.Tensor{xt}, in[1:]...)
			yt := run(t, &nhwc, inT...)
			back := run(t, &ir.Transpose{Perm: ir.PermNHWCToNCHW}, yt)
			if !slices.Equal(back.Ints, y.Ints) {
				t.Fatal("NHWC result differs from NCHW")
			}
			// A fused Relu clamps at the zero point.
			relu := *op
			relu.Activation = &ir.Relu{}
			yr := run(t, &relu, in...)
			for i, v := range yr.Ints {
				if v != max(y.Ints[i], yz) {
					t.Fatalf("relu element %d: got %d, want %d", i, v, max(y.Ints[i], yz))
				}
			}
		})
	}
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// chain evaluates ops one after the other, each taking the previous
// result as input 0 and its other inputs from extra.
func chain(t *testing.T, x *ir.Tensor, steps ...func(*ir.Tensor) *ir.Tensor) *ir.Tensor {
	t.Helper()
	for _, s := range steps {
		x = s(x)
	}
	return x
}

// The element-wise quantized ops give exactly what DequantizeLinear, the
// float op and QuantizeLinear give in a row, and the pools what they give
// within one step (the average's scaling is rounded differently).
func TestQuantOpsMatchQDQ(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, dt := range []ir.DType{ir.Uint8, ir.Int8} {
		lo, _ := ir.QuantRange(dt)
		a := randCodes(rng, dt, 2, 3, 5, 5)
		b := randCodes(rng, dt, 2, 3, 5, 5)
		as, az := scalar(0.031), zp(dt, lo+120)
		bs, bz := scalar(0.017), zp(dt, lo+140)
		cs, cz := scalar(0.05), zp(dt, lo+100)
		dq := func(s, z *ir.Tensor) func(*ir.Tensor) *ir.Tensor {
			return func(x *ir.Tensor) *ir.Tensor { return run(t, &ir.DequantizeLinear{To: ir.Float32}, x, s, z) }
		}
		q := func(x *ir.Tensor) *ir.Tensor { return run(t, &ir.QuantizeLinear{To: dt}, x, cs, cz) }
		for _, tc := range []struct {
			name  string
			got   *ir.Tensor
			want  *ir.Tensor
			steps int64
		}{
			{"add", run(t, &ir.QLinearAdd{}, a, as, az, b, bs, bz, cs, cz), q(run(t, &ir.Add{}, dq(as, az)(a), dq(bs, bz)(b))), 0},
			{"mul", run(t, &ir.QLinearMul{}, a, as, az, b, bs, bz, cs, cz), q(run(t, &ir.Mul{}, dq(as, az)(a), dq(bs, bz)(b))), 0},
			{"leaky relu", run(t, &ir.QLinearActivation{Act: &ir.LeakyRelu{Alpha: 0.1}}, a, as, az, cs, cz), q(run(t, &ir.LeakyRelu{Alpha: 0.1}, dq(as, az)(a))), 0},
			{"sigmoid", run(t, &ir.QLinearActivation{Act: &ir.Sigmoid{}}, a, as, az, scalar(1.0/256), cz), run(t, &ir.QuantizeLinear{To: dt}, run(t, &ir.Sigmoid{}, dq(as, az)(a)), scalar(1.0/256), cz), 0},
			{"concat", run(t, &ir.QLinearConcat{Axis: 1}, cs, cz, a, as, az, b, cs, cz), q(run(t, &ir.Concat{Axis: 1}, dq(as, az)(a), dq(cs, cz)(b))), 0},
			{"max pool", run(t, &ir.QMaxPool{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}}}, a),
				chain(t, a, dq(as, az), func(x *ir.Tensor) *ir.Tensor {
					return run(t, &ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}}}, x)
				}, func(x *ir.Tensor) *ir.Tensor { return run(t, &ir.QuantizeLinear{To: dt}, x, as, az) }), 0},
			{"average pool", run(t, &ir.QLinearAveragePool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}}, a, as, az, cs, cz),
				q(run(t, &ir.AveragePool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}}, dq(as, az)(a))), 1},
			{"average pool with pads", run(t, &ir.QLinearAveragePool{Window: ir.Window{Kernel: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, CountIncludePad: true}, a, as, az, cs, cz),
				q(run(t, &ir.AveragePool{Window: ir.Window{Kernel: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, CountIncludePad: true}, dq(as, az)(a))), 1},
			{"global average pool", run(t, &ir.QLinearGlobalAveragePool{}, a, as, az, cs, cz), q(run(t, &ir.GlobalAveragePool{}, dq(as, az)(a))), 1},
		} {
			t.Run(dt.String()+" "+tc.name, func(t *testing.T) {
				if tc.got.DType != dt || !tc.got.Shape.Equal(tc.want.Shape) {
					t.Fatalf("got %v, want %v", tc.got.Type(), tc.want.Type())
				}
				for i, v := range tc.got.Ints {
					if d := v - tc.want.Ints[i]; d > tc.steps || d < -tc.steps {
						t.Fatalf("element %d: got %d, want %d", i, v, tc.want.Ints[i])
					}
				}
			})
		}
	}
}

// QLinearMatMul and MatMulInteger against the definition, with per-column
// parameters of B and per-row zero points of A.
func TestQLinearMatMul(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	a := randCodes(rng, ir.Uint8, 3, 5)
	b := randCodes(rng, ir.Int8, 5, 4)
	bz := ints(ir.Int8, ir.Shape{4}, 0, 1, -1, 2)
	bs := f32(ir.Shape{4}, 0.01, 0.02, 0.03, 0.04)
	bias := ints(ir.Int32, ir.Shape{4}, 10, 20, -30, 40)
	y := run(t, &ir.QLinearMatMul{}, a, scalar(0.1), zp(ir.Uint8, 128), b, bs, bz, scalar(0.3), zp(ir.Uint8, 120), bias)
	acc := run(t, &ir.MatMulInteger{}, a, b, zp(ir.Uint8, 128), bz)
	for i, v := range y.Ints {
		j := i % 4
		mult := float32(float32(float32(0.1)*float32(bs.Floats[j])) / float32(0.3))
		want := int64(min(max(math.RoundToEven(float64(float32(float32(acc.Ints[i]+bias.Ints[j])*mult)))+120, 0), 255))
		if v != want {
			t.Fatalf("element %d: got %d, want %d", i, v, want)
		}
	}
	for i, v := range acc.Ints {
		r, c := i/4, i%4
		var s int64
		for k := 0; k < 5; k++ {
			s += (a.Ints[r*5+k] - 128) * (b.Ints[k*4+c] - bz.Ints[c])
		}
		if v != s {
			t.Fatalf("MatMulInteger element %d: got %d, want %d", i, v, s)
		}
	}
	// Per-row zero points of A.
	rows := run(t, &ir.MatMulInteger{}, a, b, ints(ir.Uint8, ir.Shape{3}, 1, 2, 3))
	for i, v := range rows.Ints {
		r, c := i/4, i%4
		var s int64
		for k := 0; k < 5; k++ {
			s += (a.Ints[r*5+k] - int64(r+1)) * b.Ints[k*4+c]
		}
		if v != s {
			t.Fatalf("per-row element %d: got %d, want %d", i, v, s)
		}
	}
}

// A lookup maps codes through its table, int8 codes from index 0 = -128.
func TestQLookup(t *testing.T) {
	table := make([]int64, 256)
	for i := range table {
		table[i] = int64(255 - i)
	}
	y := run(t, &ir.QLookup{}, code(ir.Int8, -128, 0, 127), ints(ir.Uint8, ir.Shape{256}, table...))
	if !slices.Equal(y.Ints, []int64{255, 127, 0}) || y.DType != ir.Uint8 {
		t.Fatalf("got %v %v", y.DType, y.Ints)
	}
}

// DynamicQuantizeLinear's scale and zero point, ONNX's examples.
func TestDynamicQuantizeLinear(t *testing.T) {
	x := f32(ir.Shape{6}, 0, 2, -3, -2.5, 1.34, 0.5)
	outs, err := eval.Node(nodeOf(&ir.DynamicQuantizeLinear{}, 3, x), []*ir.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outs[0].Ints, []int64{153, 255, 0, 26, 221, 179}) || outs[2].Ints[0] != 153 || float32(outs[1].Floats[0]) != float32(0.019607844) {
		t.Fatalf("got %v scale %v zero %v", outs[0].Ints, outs[1].Floats, outs[2].Ints)
	}
	zeros := f32(ir.Shape{2}, 0, 0)
	outs, err = eval.Node(nodeOf(&ir.DynamicQuantizeLinear{}, 3, zeros), []*ir.Tensor{zeros})
	if err != nil || outs[1].Floats[0] != 1 || outs[2].Ints[0] != 0 {
		t.Fatalf("all zeros: %v %v", outs, err)
	}
}

// The quantized kernels never fail inside (an index out of range would
// surface as an internal error): whatever the inputs, they compute or
// report what is wrong with them.
func FuzzQuantKernels(f *testing.F) {
	f.Add(uint8(3), []byte{0x21, 0x41, 0x02, 0x42, 0x01, 0x02, 0x00, 0x02}, []byte{1, 2, 4, 4, 2, 2, 3, 3, 1, 1}, int64(7))
	f.Add(uint8(5), []byte{0x21, 0x00, 0x01, 0x23, 0x00, 0x03, 0x00, 0x01}, []byte{2, 3, 3, 2}, int64(1))
	dts := []ir.DType{ir.Float32, ir.Uint8, ir.Int8, ir.Int32}
	f.Fuzz(func(t *testing.T, opIndex uint8, types, dims []byte, seed int64) {
		if len(types) > 10 || len(dims) > 20 {
			return
		}
		ops := []ir.Op{&ir.QuantizeLinear{Axis: 1, To: ir.Uint8}, &ir.DequantizeLinear{Axis: 0, To: ir.Float32}, &ir.DynamicQuantizeLinear{},
			&ir.QLinearConv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: int(opIndex%2) + 1}, &ir.ConvInteger{}, &ir.QLinearMatMul{}, &ir.MatMulInteger{},
			&ir.QLinearAdd{}, &ir.QLinearMul{}, &ir.QLinearActivation{Act: &ir.LeakyRelu{Alpha: 0.1}}, &ir.QLookup{},
			&ir.QLinearAveragePool{Window: ir.Window{Kernel: []int{2, 2}}, CountIncludePad: opIndex%2 == 0}, &ir.QLinearGlobalAveragePool{},
			&ir.QMaxPool{Window: ir.Window{Kernel: []int{2, 2}}}, &ir.QLinearConcat{Axis: 1}}
		op := ops[int(opIndex)%len(ops)]
		rng := rand.New(rand.NewSource(seed))
		in := make([]*ir.Tensor, len(types))
		d := 0
		for i, b := range types {
			rank := int(b>>4) % 5
			shape := make(ir.Shape, 0, rank)
			for j := 0; j < rank && d < len(dims); j++ {
				shape = append(shape, int(dims[d]%5)+1)
				d++
			}
			dt := dts[int(b)%len(dts)]
			if dt.IsFloat() {
				t := random(rng, shape...)
				for k := range t.Floats {
					t.Floats[k] = math.Abs(t.Floats[k]) + 0.01 // mostly valid scales
				}
				in[i] = t
			} else {
				in[i] = randCodes(rng, dt, shape...)
			}
		}
		nOut := 1
		if _, ok := op.(*ir.DynamicQuantizeLinear); ok {
			nOut = 3
		}
		if _, err := eval.Node(nodeOf(op, nOut, in...), in); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
