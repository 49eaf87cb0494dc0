package ir

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func u8(shape ...int) Type  { return typ(Uint8, LayoutAny, shape...) }
func i8(shape ...int) Type  { return typ(Int8, LayoutAny, shape...) }
func i32(shape ...int) Type { return typ(Int32, LayoutAny, shape...) }

// The shape rules of the quantized ops: output types, and the errors bad
// parameter types and shapes give.
func TestQuantShapeRules(t *testing.T) {
	N := Batch
	s := f32() // a per-tensor scale
	conv := func() *QLinearConv { return &QLinearConv{Window: Window{Pads: []int{1, 1, 1, 1}}} }
	qconvIn := func(x Type, xz Type, w Type, ws, wz Type, yz Type, b ...Type) []Type {
		return append([]Type{x, s, xz, w, ws, wz, s, yz}, b...)
	}
	tests := []struct {
		name    string
		op      Op
		in      []Type
		want    []Type
		wantErr string
	}{
		{"quantize u8", &QuantizeLinear{Axis: 1, To: Uint8}, []Type{f32(N, 3), s, u8()}, []Type{u8(N, 3)}, ""},
		{"quantize per tensor ignores axis", &QuantizeLinear{Axis: 7, To: Int8}, []Type{f32(6), f32(1), i8(1)}, []Type{i8(6)}, ""},
		{"quantize per axis", &QuantizeLinear{Axis: -3, To: Uint8}, []Type{f32(1, 3, 2, 2), f32(3), u8(3)}, []Type{u8(1, 3, 2, 2)}, ""},
		{"quantize blocked", &QuantizeLinear{Axis: 1, BlockSize: 2, To: Uint8}, []Type{f32(3, 5), f32(3, 3)}, []Type{u8(3, 5)}, ""},
		{"quantize blocked bad", &QuantizeLinear{Axis: 1, BlockSize: 2, To: Uint8}, []Type{f32(3, 5), f32(3, 2)}, nil, "must have 3 on axis 1"},
		{"quantize zero point type", &QuantizeLinear{Axis: 1, To: Uint8}, []Type{f32(2), s, i8()}, nil, "zero point) is i8, the codes it goes with are u8"},
		{"quantize axis length", &QuantizeLinear{Axis: 1, To: Uint8}, []Type{f32(1, 3, 2), f32(2), u8(2)}, nil, "2 scales (input 1) for 3 channels on axis 1"},
		{"quantize axis range", &QuantizeLinear{Axis: 3, To: Uint8}, []Type{f32(1, 3, 2), f32(3)}, nil, "axis 3 is out of range"},
		{"quantize zero shape", &QuantizeLinear{Axis: 1, To: Uint8}, []Type{f32(1, 3), f32(3), u8(1)}, nil, "they must agree"},
		{"quantize int scale", &QuantizeLinear{To: Uint8}, []Type{f32(3), i32()}, nil, "want a floating-point tensor"},
		{"quantize int input", &QuantizeLinear{To: Uint8}, []Type{i32(3), s}, nil, "floating-point"},
		{"quantize to i32", &QuantizeLinear{To: Int32}, []Type{f32(3), s}, nil, "not a supported code type"},
		{"quantize per axis over batch", &QuantizeLinear{Axis: 0, To: Uint8}, []Type{f32(N, 3), f32(3)}, nil, "N (the batch)"},
		{"dequantize i8", &DequantizeLinear{To: Float32}, []Type{i8(2, 3), s, i8()}, []Type{f32(2, 3)}, ""},
		{"dequantize i32", &DequantizeLinear{To: Float32}, []Type{i32(4), s}, []Type{f32(4)}, ""},
		{"dequantize float input", &DequantizeLinear{To: Float32}, []Type{f32(4), s}, nil, "want uint8, int8"},
		{"dequantize to int", &DequantizeLinear{To: Int32}, []Type{u8(4), s}, nil, "not a floating-point type"},
		{"dequantize 2-D scale", &DequantizeLinear{Axis: 1, To: Float32}, []Type{u8(2, 3), f32(2, 3)}, nil, "want a scalar (per tensor) or a 1-D tensor"},
		{"dynamic", &DynamicQuantizeLinear{}, []Type{f32(N, 4)}, []Type{u8(N, 4), f32(), u8()}, ""},
		{"dynamic f64", &DynamicQuantizeLinear{}, []Type{typ(Float64, LayoutAny, 4)}, nil, "want float32"},

		{"qlinearconv", conv(), qconvIn(u8(N, 2, 5, 5), u8(), i8(4, 2, 3, 3), f32(4), i8(4), u8(), i32(4)),
			[]Type{typ(Uint8, NCHW, N, 4, 5, 5)}, ""},
		{"qlinearconv i8 out", conv(), qconvIn(u8(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), s, i8(), i8()), []Type{typ(Int8, NCHW, 1, 4, 5, 5)}, ""},
		{"qlinearconv float input", conv(), qconvIn(f32(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), s, i8(), u8()), nil, "must be uint8 or int8"},
		{"qlinearconv x scale per channel", conv(), []Type{u8(1, 2, 5, 5), f32(2), u8(2), i8(4, 2, 3, 3), s, i8(), s, u8()}, nil, "only per-tensor quantization"},
		{"qlinearconv w scales", conv(), qconvIn(u8(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), f32(3), i8(3), u8()), nil, "3 scales (input 4) for 4 channels on axis 0"},
		{"qlinearconv zero point type", conv(), qconvIn(u8(1, 2, 5, 5), i8(), i8(4, 2, 3, 3), s, i8(), u8()), nil, "input 2 (a zero point) is i8, the codes it goes with are u8"},
		{"qlinearconv bias type", conv(), qconvIn(u8(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), s, i8(), u8(), f32(4)), nil, "bias is f32, want int32"},
		{"qlinearconv bias shape", conv(), qconvIn(u8(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), s, i8(), u8(), i32(3)), nil, "QLinearConv: bias must have shape [4]"},
		{"qlinearconv group", &QLinearConv{Group: 3}, qconvIn(u8(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), s, i8(), u8()), nil, "QLinearConv: group 3"},
		{"qlinearconv activation", &QLinearConv{Activation: &Sigmoid{}}, qconvIn(u8(1, 2, 5, 5), u8(), i8(4, 2, 3, 3), s, i8(), u8()), nil, "only Relu and Clip"},
		{"qlinearconv needs y zero point", conv(), []Type{u8(1, 2, 5, 5), s, u8(), i8(4, 2, 3, 3), s, i8(), s}, nil, "needs 8 inputs"},
		{"convinteger", &ConvInteger{}, []Type{u8(1, 1, 3, 3), u8(2, 1, 2, 2), u8(), u8(2)}, []Type{typ(Int32, NCHW, 1, 2, 2, 2)}, ""},
		{"convinteger zero points", &ConvInteger{}, []Type{u8(1, 1, 3, 3), u8(2, 1, 2, 2), u8(), u8(3)}, nil, "one per channel of axis 0"},

		{"qlinearmatmul", &QLinearMatMul{}, []Type{u8(N, 4), s, u8(), i8(4, 3), f32(3), i8(3), s, u8()}, []Type{u8(N, 3)}, ""},
		{"qlinearmatmul [1,N] scales", &QLinearMatMul{}, []Type{u8(2, 4), s, u8(), i8(4, 3), f32(1, 3), i8(1, 3), s, u8()}, []Type{u8(2, 3)}, ""},
		{"qlinearmatmul bias", &QLinearMatMul{}, []Type{u8(2, 4), s, u8(), i8(4, 3), s, i8(), s, i8(), i32(3)}, []Type{i8(2, 3)}, ""},
		{"qlinearmatmul bad bias", &QLinearMatMul{}, []Type{u8(2, 4), s, u8(), i8(4, 3), s, i8(), s, i8(), i32(4)}, nil, "want int32 of shape [3]"},
		{"qlinearmatmul column scales 3-D", &QLinearMatMul{}, []Type{u8(2, 2, 4), s, u8(), i8(2, 4, 3), f32(3), i8(3), s, u8()}, nil, "for a 2-D B only"},
		{"qlinearmatmul inner", &QLinearMatMul{}, []Type{u8(2, 4), s, u8(), i8(5, 3), s, i8(), s, u8()}, nil, "inner dimensions differ"},
		{"matmulinteger", &MatMulInteger{}, []Type{u8(4, 3), u8(3, 2), u8(1), u8(1)}, []Type{i32(4, 2)}, ""},
		{"matmulinteger per row", &MatMulInteger{}, []Type{u8(4, 3), i8(3, 2), u8(4), i8(2)}, []Type{i32(4, 2)}, ""},
		{"matmulinteger bad row zero points", &MatMulInteger{}, []Type{u8(4, 3), i8(3, 2), u8(3)}, nil, "one per channel of axis 0"},

		{"qlinearadd broadcast", &QLinearAdd{}, []Type{u8(N, 3, 4), s, u8(), u8(4), s, u8(), s, u8()}, []Type{u8(N, 3, 4)}, ""},
		{"qlinearadd mixed types", &QLinearMul{}, []Type{u8(3), s, u8(), i8(3), s, i8(), s, u8()}, nil, "both must be uint8, or both int8"},
		{"qlinearadd per channel", &QLinearAdd{}, []Type{u8(3), f32(3), u8(3), u8(3), s, u8(), s}, nil, "only per-tensor"},
		{"qlinearsigmoid", &QLinearActivation{Act: &Sigmoid{}}, []Type{i8(2, 2), s, i8(), s}, []Type{i8(2, 2)}, ""},
		{"qlookup", &QLookup{}, []Type{u8(5), i8(256)}, []Type{i8(5)}, ""},
		{"qlookup short table", &QLookup{}, []Type{u8(5), u8(255)}, nil, "shape [256]"},
		{"qavgpool", &QLinearAveragePool{Window: Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, []Type{u8(1, 3, 4, 4), s, u8(), s, u8()}, []Type{typ(Uint8, NCHW, 1, 3, 2, 2)}, ""},
		{"qglobalavg nhwc", &QLinearGlobalAveragePool{Layout: NHWC}, []Type{typ(Int8, NHWC, N, 7, 7, 8), s, i8(), s, i8()}, []Type{typ(Int8, NHWC, N, 1, 1, 8)}, ""},
		{"qmaxpool float", &QMaxPool{Window: Window{Kernel: []int{2, 2}}}, []Type{f32(1, 1, 4, 4)}, nil, "want uint8 or int8 codes"},
		{"qconcat", &QLinearConcat{Axis: -1}, []Type{s, u8(), u8(1, 2), s, u8(), u8(1, 3), s, u8()}, []Type{u8(1, 5)}, ""},
		{"qconcat types", &QLinearConcat{Axis: 1}, []Type{s, u8(), u8(1, 2), s, u8(), i8(1, 3), s, i8()}, nil, "input 5 is i8, the output is u8"},
		{"qconcat arity", &QLinearConcat{Axis: 1}, []Type{s, u8(), u8(1, 2), s}, nil, "triples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op.Infer(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !typeEqual(got[i], tt.want[i]) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
			// Canonicalizing twice changes nothing.
			again, err := tt.op.Infer(tt.in)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("second Infer: %v, %v", again, err)
			}
		})
	}
}

// Scales that are zero, negative, NaN or infinite and zero points outside
// their type's range are errors once the values are known.
func TestCheckQuantValues(t *testing.T) {
	sc := func(v ...float64) *Tensor { return NewFloatTensor(Float32, Shape{len(v)}, v) }
	zp := func(dt DType, v ...int64) *Tensor { return NewIntTensor(dt, Shape{len(v)}, v) }
	q := &QuantizeLinear{To: Uint8}
	tests := []struct {
		name    string
		op      Op
		in      []*Tensor
		wantErr string
	}{
		{"good", q, []*Tensor{nil, sc(0.5), zp(Uint8, 128)}, ""},
		{"zero scale", q, []*Tensor{nil, sc(0)}, "holds 0 at element 0; a scale must be positive and finite"},
		{"negative scale", q, []*Tensor{nil, sc(1, -2)}, "holds -2 at element 1"},
		{"nan scale", q, []*Tensor{nil, sc(math.NaN())}, "holds NaN"},
		{"inf scale", q, []*Tensor{nil, sc(math.Inf(1))}, "holds +Inf"},
		{"zero point range", q, []*Tensor{nil, sc(1), zp(Uint8, 256)}, "holds 256 at element 0, outside the u8 range [0, 255]"},
		{"int8 zero point range", &DequantizeLinear{To: Float32}, []*Tensor{nil, sc(1), zp(Int8, -129)}, "outside the i8 range [-128, 127]"},
		{"int32 zero point", &DequantizeLinear{To: Float32}, []*Tensor{nil, sc(1), zp(Int32, 1)}, "an int32 zero point must be 0"},
		{"unknown values pass", &QLinearConv{}, []*Tensor{nil, nil, nil, nil, sc(1, 2), nil, nil, nil}, ""},
		{"y scale of qlinearconv", &QLinearConv{}, []*Tensor{nil, sc(1), nil, nil, sc(1), nil, sc(-1), nil}, "input 6 (a scale) holds -1"},
		{"convinteger zero point", &ConvInteger{}, []*Tensor{nil, nil, nil, zp(Int8, 200)}, "input 3 (a zero point) holds 200"},
		{"qconcat input scale", &QLinearConcat{}, []*Tensor{sc(1), zp(Uint8, 0), nil, sc(1), nil, nil, sc(0), nil}, "input 6 (a scale) holds 0"},
		{"not quantized", &Relu{}, []*Tensor{sc(0)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckQuantValues(tt.op, tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// The layout rules move a per-channel axis and keep the parameters.
func TestQuantToNHWC(t *testing.T) {
	q := &QuantizeLinear{Axis: 1, To: Uint8}
	if idx, ok := q.ToNHWC([]Type{f32(1, 3, 4, 4), f32(3), u8(3)}, true); !ok || !reflect.DeepEqual(idx, []int{0}) || q.Axis != 3 {
		t.Errorf("per-axis QuantizeLinear: %v %v axis %d", idx, ok, q.Axis)
	}
	if _, ok := (&DequantizeLinear{To: Float32}).ToNHWC([]Type{u8(1, 3, 4, 4), f32()}, false); ok {
		t.Error("a DequantizeLinear of NCHW data moved to NHWC")
	}
	c := &QLinearConcat{Axis: 1}
	if idx, ok := c.ToNHWC([]Type{f32(), u8(), u8(1, 2, 4, 4), f32(), u8(), u8(1, 3, 4, 4), f32(), u8()}, true); !ok || !reflect.DeepEqual(idx, []int{2, 5}) || c.Axis != 3 {
		t.Errorf("QLinearConcat: %v %v axis %d", idx, ok, c.Axis)
	}
	if !KeepsUnfolded(&Node{Op: &DequantizeLinear{}}) || KeepsUnfolded(&Node{Op: &QuantizeLinear{}}) {
		t.Error("only DequantizeLinear is a fold barrier")
	}
}

// The shape rules of the quantized ops never panic, whatever their input
// types: a bad model is an error.
func FuzzQuantInfer(f *testing.F) {
	f.Add(uint8(0), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte{1, 3, 4, 4, 0, 1, 3})
	f.Add(uint8(3), []byte{8, 1, 8, 4, 1, 4, 1, 8, 6}, []byte{1, 2, 5, 5, 4, 2, 3, 3})
	dts := []DType{Float32, Uint8, Int8, Int32, Float16, Int64, Uint16}
	f.Fuzz(func(t *testing.T, opIndex uint8, types, dims []byte) {
		if len(types) > 12 || len(dims) > 24 {
			return
		}
		ops := []Op{&QuantizeLinear{Axis: int(int8(opIndex)) % 4, To: Uint8}, &DequantizeLinear{Axis: 1, BlockSize: int(opIndex % 3), To: Float32},
			&DynamicQuantizeLinear{}, &QLinearConv{Group: int(opIndex%3) + 1}, &ConvInteger{}, &QLinearMatMul{}, &MatMulInteger{},
			&QLinearAdd{}, &QLinearMul{}, &QLinearActivation{Act: &Sigmoid{}}, &QLookup{},
			&QLinearAveragePool{Window: Window{Kernel: []int{2, 2}}}, &QLinearGlobalAveragePool{}, &QMaxPool{Window: Window{Kernel: []int{2}}},
			&QLinearConcat{Axis: int(int8(opIndex))}}
		op := ops[int(opIndex)%len(ops)]
		in := make([]Type, len(types))
		d := 0
		for i, b := range types {
			rank := int(b>>4) % 5
			shape := make(Shape, 0, rank)
			for j := 0; j < rank && d < len(dims); j++ {
				shape = append(shape, int(dims[d]%6))
				d++
			}
			in[i] = Type{DType: dts[int(b)%len(dts)], Shape: shape}
			if b&0x80 != 0 {
				in[i] = Type{} // an omitted input
			}
		}
		op.Infer(in)
	})
}
