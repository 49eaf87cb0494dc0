package ir

import (
	"math"
	"strings"
	"testing"
)

func typ(dt DType, l Layout, shape ...int) Type {
	return Type{DType: dt, Shape: Shape(shape), Layout: l}
}

// Shape rules of every op family: the output type for given inputs, or the
// error they must give.
func TestShapeRules(t *testing.T) {
	N := Batch
	tests := []struct {
		name    string
		op      Op
		in      []Type
		want    []Type
		wantErr string
	}{
		// Convolution: the tutorial's models (Keras, NHWC) and ONNX's.
		{"keras conv valid", &Conv{Window: Window{AutoPad: PadValid}, Layout: NHWC},
			[]Type{typ(Float32, NHWC, N, 28, 28, 1), f32(32, 1, 3, 3), f32(32)}, []Type{typ(Float32, NHWC, N, 26, 26, 32)}, ""},
		{"keras conv same 2x2", &Conv{Window: Window{AutoPad: PadSameUpper}, Layout: NHWC},
			[]Type{typ(Float32, NHWC, N, 28, 28, 1), f32(32, 1, 2, 2)}, []Type{typ(Float32, NHWC, N, 28, 28, 32)}, ""},
		{"onnx grouped strided", &Conv{Window: Window{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, Group: 4},
			[]Type{f32(1, 8, 37, 41), f32(16, 2, 3, 3)}, []Type{typ(Float32, NCHW, 1, 16, 19, 21)}, ""},
		{"conv1d", &Conv{}, []Type{f32(1, 2, 10), f32(3, 2, 4)}, []Type{typ(Float32, NCHW, 1, 3, 7)}, ""},
		{"conv3d", &Conv{Window: Window{Pads: []int{1, 1, 1, 1, 1, 1}}}, []Type{f32(1, 2, 4, 4, 4), f32(3, 2, 3, 3, 3)}, []Type{typ(Float32, NCHW, 1, 3, 4, 4, 4)}, ""},
		{"conv bad group", &Conv{Group: 3}, []Type{f32(1, 8, 5, 5), f32(6, 2, 3, 3)}, nil, "group 3 does not divide"},
		{"conv bad bias", &Conv{}, []Type{f32(1, 2, 5, 5), f32(6, 2, 3, 3), f32(5)}, nil, "bias must have shape [6]"},
		{"conv residual", &Conv{}, []Type{f32(1, 2, 5, 5), f32(6, 2, 3, 3), {}, f32(1, 6, 3, 3)}, []Type{typ(Float32, NCHW, 1, 6, 3, 3)}, ""},
		{"conv bad residual", &Conv{}, []Type{f32(1, 2, 5, 5), f32(6, 2, 3, 3), {}, f32(1, 6, 4, 3)}, nil, "residual"},
		{"conv int input", &Conv{}, []Type{typ(Int64, LayoutAny, 1, 2, 5, 5), f32(6, 2, 3, 3)}, nil, "floating-point"},
		{"conv missing weights", &Conv{}, []Type{f32(1, 2, 5, 5)}, nil, "needs 2 inputs"},
		{"convtranspose", &ConvTranspose{Window: Window{Strides: []int{3, 2}}}, []Type{f32(1, 1, 3, 3), f32(1, 2, 3, 3)}, []Type{typ(Float32, NCHW, 1, 2, 9, 7)}, ""},
		{"convtranspose output_shape", &ConvTranspose{Window: Window{Strides: []int{3, 2}}, OutputShape: []int{10, 8}}, []Type{f32(1, 1, 3, 3), f32(1, 2, 3, 3)}, []Type{typ(Float32, NCHW, 1, 2, 10, 8)}, ""},
		{"convtranspose same", &ConvTranspose{Window: Window{Strides: []int{2, 2}, AutoPad: PadSameUpper}}, []Type{f32(1, 1, 3, 3), f32(1, 2, 3, 3)}, []Type{typ(Float32, NCHW, 1, 2, 6, 6)}, ""},

		// Pooling.
		{"maxpool nhwc", &MaxPool{Window: Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, Layout: NHWC},
			[]Type{typ(Float32, NHWC, N, 24, 24, 64)}, []Type{typ(Float32, NHWC, N, 12, 12, 64)}, ""},
		{"avgpool ceil", &AveragePool{Window: Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, CeilMode: true}},
			[]Type{f32(1, 1, 4, 4)}, []Type{typ(Float32, NCHW, 1, 1, 2, 2)}, ""},
		{"global avg nchw", &GlobalAveragePool{}, []Type{f32(1, 512, 7, 7)}, []Type{typ(Float32, NCHW, 1, 512, 1, 1)}, ""},
		{"global max nhwc", &GlobalMaxPool{Layout: NHWC}, []Type{typ(Float32, NHWC, N, 7, 7, 8)}, []Type{typ(Float32, NHWC, N, 1, 1, 8)}, ""},
		{"pool rank 2", &MaxPool{Window: Window{Kernel: []int{2}}}, []Type{f32(4, 4)}, nil, "rank 2"},
		{"pool window all padding", &MaxPool{Window: Window{Kernel: []int{2}, Pads: []int{2, 0}}}, []Type{f32(1, 1, 4)}, nil, "must be smaller than the window"},
		{"reduce empty axes means all", &ReduceSum{Reduce{Axes: []int{}}}, []Type{f32(2, 3)}, []Type{f32()}, ""},
		{"conv int weights", &Conv{}, []Type{f32(1, 2, 5, 5), typ(Int32, LayoutAny, 6, 2, 3, 3)}, nil, "input 1 is i32"},

		// Matrix products.
		{"gemm dense", &Gemm{Alpha: 1, Beta: 1}, []Type{f32(N, 9216), f32(9216, 128), f32(128)}, []Type{f32(N, 128)}, ""},
		{"gemm transB", &Gemm{TransB: true}, []Type{f32(1, 512), f32(1000, 512), f32(1000)}, []Type{f32(1, 1000)}, ""},
		{"gemm mismatch", &Gemm{}, []Type{f32(1, 512), f32(500, 10)}, nil, "inner dimensions differ: 512 vs 500"},
		{"gemm bad C", &Gemm{}, []Type{f32(2, 3), f32(3, 4), f32(3)}, nil, "does not broadcast"},
		{"matmul batch broadcast", &MatMul{}, []Type{f32(2, 1, 3, 4), f32(5, 4, 6)}, []Type{f32(2, 5, 3, 6)}, ""},
		{"matmul vec", &MatMul{}, []Type{f32(4), f32(4, 6)}, []Type{f32(6)}, ""},
		{"matmul vec vec", &MatMul{}, []Type{f32(4), f32(4)}, []Type{f32()}, ""},

		// Normalization.
		{"batchnorm nhwc", &BatchNormalization{Layout: NHWC}, []Type{typ(Float32, NHWC, N, 4, 4, 3), f32(3), f32(3), f32(3), f32(3)}, []Type{typ(Float32, NHWC, N, 4, 4, 3)}, ""},
		{"batchnorm wrong size", &BatchNormalization{}, []Type{f32(1, 3, 4, 4), f32(4), f32(3), f32(3), f32(3)}, nil, "input 1 must have shape [3]"},

		// Element-wise.
		{"add broadcast", &Add{}, []Type{typ(Float32, NCHW, N, 3, 4, 5), f32(5)}, []Type{typ(Float32, NCHW, N, 3, 4, 5)}, ""},
		{"add bias to matrix", &Add{}, []Type{f32(1, 10), f32(10)}, []Type{f32(1, 10)}, ""},
		{"add incompatible", &Add{}, []Type{f32(3, 4), f32(3)}, nil, "cannot be broadcast"},
		{"add mixed types", &Add{}, []Type{f32(3), typ(Int64, LayoutAny, 3)}, nil, "different element types"},
		{"less gives bool", &Less{}, []Type{f32(2, 3), f32(3)}, []Type{typ(Bool, LayoutAny, 2, 3)}, ""},
		{"where", &Where{}, []Type{typ(Bool, LayoutAny, 3, 1), f32(1, 4), f32(4)}, []Type{f32(3, 4)}, ""},
		{"sum of three", &Sum{}, []Type{f32(3), f32(2, 3), f32(1)}, []Type{f32(2, 3)}, ""},
		{"prelu slope", &PRelu{}, []Type{f32(1, 3, 4, 4), f32(3, 1, 1)}, []Type{f32(1, 3, 4, 4)}, ""},
		{"prelu slope too big", &PRelu{}, []Type{f32(3), f32(2, 3)}, nil, "slope must broadcast"},
		{"sigmoid int", &Sigmoid{}, []Type{typ(Int32, LayoutAny, 2)}, nil, "floating-point"},
		{"relu int ok", &Relu{}, []Type{typ(Int32, LayoutAny, 2)}, []Type{typ(Int32, LayoutAny, 2)}, ""},
		{"dropout two outputs", &Dropout{Ratio: 0.5}, []Type{f32(N, 128)}, []Type{f32(N, 128), typ(Bool, LayoutAny, N, 128)}, ""},
		{"cast", &Cast{To: Int64}, []Type{f32(2)}, []Type{typ(Int64, LayoutAny, 2)}, ""},

		// Softmax and reductions.
		{"softmax last axis", &Softmax{Axis: -1}, []Type{f32(N, 10)}, []Type{f32(N, 10)}, ""},
		{"softmax bad axis", &Softmax{Axis: 2}, []Type{f32(N, 10)}, nil, "out of range"},
		{"reduce mean keepdims", &ReduceMean{Reduce{Axes: []int{-1, 2}, KeepDims: true}}, []Type{f32(1, 3, 4, 5)}, []Type{f32(1, 3, 1, 1)}, ""},
		{"reduce sum all", &ReduceSum{}, []Type{f32(2, 3)}, []Type{f32()}, ""},
		{"reduce over batch", &ReduceMax{Reduce{Axes: []int{0}}}, []Type{f32(N, 3)}, nil, "batch"},

		// Reshapes.
		{"flatten keeps batch", &Flatten{Axis: 1}, []Type{typ(Float32, NHWC, N, 12, 12, 64)}, []Type{f32(N, 9216)}, ""},
		{"flatten merges batch", &Flatten{Axis: 2}, []Type{f32(N, 3, 4)}, nil, "merge the batch"},
		{"flatten axis 0", &Flatten{Axis: 0}, []Type{f32(2, 3, 4)}, []Type{f32(1, 24)}, ""},
		{"reshape infer", &Reshape{Shape: []int64{0, -1}}, []Type{f32(N, 64, 6, 6)}, []Type{f32(N, 2304)}, ""},
		{"reshape batch marker", &Reshape{Shape: []int64{ReshapeBatch, 4, -1}}, []Type{f32(N, 2, 3, 4)}, []Type{f32(N, 4, 6)}, ""},
		{"reshape -1 first absorbs batch", &Reshape{Shape: []int64{-1, 24}}, []Type{f32(N, 2, 3, 4)}, []Type{f32(N, 24)}, ""},
		{"reshape static", &Reshape{Shape: []int64{2, -1, 3}}, []Type{f32(4, 3, 2)}, []Type{f32(2, 4, 3)}, ""},
		{"reshape allowzero", &Reshape{Shape: []int64{0, 3}, AllowZero: true}, []Type{f32(0, 3)}, []Type{f32(0, 3)}, ""},
		{"reshape wrong count", &Reshape{Shape: []int64{5, 5}}, []Type{f32(4, 6)}, nil, "holds 25 elements"},
		{"reshape two -1", &Reshape{Shape: []int64{-1, -1}}, []Type{f32(4, 6)}, nil, "more than one -1"},
		{"reshape merges batch", &Reshape{Shape: []int64{-1, 12}}, []Type{f32(N, 2, 12)}, nil, "merge the batch"},
		{"squeeze", &Squeeze{Axes: []int{-1}}, []Type{f32(N, 3, 1)}, []Type{f32(N, 3)}, ""},
		{"squeeze non-one", &Squeeze{Axes: []int{1}}, []Type{f32(N, 3, 1)}, nil, "size 3, not 1"},
		{"unsqueeze", &Unsqueeze{Axes: []int{1, -1}}, []Type{f32(N, 3)}, []Type{f32(N, 1, 3, 1)}, ""},
		{"unsqueeze before batch", &Unsqueeze{Axes: []int{0}}, []Type{f32(N, 3)}, nil, "move the batch"},
		{"transpose to nhwc", &Transpose{Perm: PermNCHWToNHWC}, []Type{typ(Float32, NCHW, N, 3, 8, 9)}, []Type{typ(Float32, NHWC, N, 8, 9, 3)}, ""},
		{"transpose default reverses", &Transpose{}, []Type{f32(2, 3, 4)}, []Type{f32(4, 3, 2)}, ""},
		{"transpose bad perm", &Transpose{Perm: []int{0, 0}}, []Type{f32(2, 3)}, nil, "not a permutation"},
		{"concat channels", &Concat{Axis: 1}, []Type{typ(Float32, NCHW, 1, 3, 4, 4), typ(Float32, NCHW, 1, 5, 4, 4)}, []Type{typ(Float32, NCHW, 1, 8, 4, 4)}, ""},
		{"concat mismatch", &Concat{Axis: 1}, []Type{f32(1, 3, 4), f32(1, 3, 5)}, nil, "differ in dimension 2"},
		{"pad asymmetric", &Pad{Pads: []int{0, 0, 0, 1, 0, 0, 1, 0}}, []Type{f32(1, 1, 28, 28)}, []Type{f32(1, 1, 29, 29)}, ""},
		{"pad crop", &Pad{Pads: []int{0, -1, 0, -1}}, []Type{f32(2, 4)}, []Type{f32(2, 2)}, ""},
		{"pad reflect too big", &Pad{Pads: []int{0, 4, 0, 0}, Mode: PadReflect}, []Type{f32(2, 4)}, nil, "reflect pads"},
		{"pad batch", &Pad{Pads: []int{1, 0, 0, 0}}, []Type{f32(N, 4)}, nil, "cannot pad the batch"},
		{"slice clamps", &Slice{Starts: []int64{1, -3}, Ends: []int64{math.MaxInt64, -1}, Axes: []int64{1, 2}}, []Type{f32(2, 5, 6)}, []Type{f32(2, 4, 2)}, ""},
		{"slice negative step", &Slice{Starts: []int64{-1}, Ends: []int64{math.MinInt64}, Steps: []int64{-2}}, []Type{f32(5)}, []Type{f32(3)}, ""},
		{"slice zero step", &Slice{Starts: []int64{0}, Ends: []int64{1}, Steps: []int64{0}}, []Type{f32(5)}, nil, "step is zero"},
		{"gather", &Gather{Axis: 0}, []Type{typ(Int64, LayoutAny, 4), typ(Int64, LayoutAny)}, []Type{typ(Int64, LayoutAny)}, ""},
		{"gather matrix", &Gather{Axis: 1}, []Type{f32(2, 5, 3), typ(Int64, LayoutAny, 2, 2)}, []Type{f32(2, 2, 2, 3)}, ""},
		{"shape of", &ShapeOf{End: math.MaxInt}, []Type{f32(N, 3, 4)}, []Type{typ(Int64, LayoutAny, 3)}, ""},
		{"shape of slice", &ShapeOf{Start: -2, End: math.MaxInt}, []Type{f32(N, 3, 4)}, []Type{typ(Int64, LayoutAny, 2)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.op.Infer(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Infer = %v, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d outputs %v, want %v", len(got), got, tc.want)
			}
			for i := range got {
				if !typeEqual(got[i], tc.want[i]) {
					t.Errorf("output %d: got %v, want %v", i, got[i], tc.want[i])
				}
			}
			// Shape rules are idempotent: a second run on the
			// canonicalized op gives the same result.
			again, err := tc.op.Infer(tc.in)
			if err != nil || len(again) != len(got) || !typeEqual(again[0], got[0]) {
				t.Errorf("second Infer gave %v, %v", again, err)
			}
		})
	}
}

// Absurd dimensions fail with an error instead of overflowing.
func TestAbsurdDimensions(t *testing.T) {
	big := 1 << 30
	_, err := (&Reshape{Shape: []int64{-1}}).Infer([]Type{f32(big, big, big)})
	if err == nil {
		t.Error("reshape of a 2^90-element tensor succeeded")
	}
	_, err = (&Conv{}).Infer([]Type{f32(1, 1, big, big), f32(4, 1, 1, 1)})
	if err == nil {
		t.Error("conv with a 2^60-element output succeeded")
	}
	_, err = (&Pad{Pads: []int{0, math.MaxInt32 * 4, 0, 0}}).Infer([]Type{f32(2, 2)})
	if err == nil {
		t.Error("pad by 2^33 succeeded")
	}
}

func TestFloat16RoundTrip(t *testing.T) {
	for _, v := range []float32{0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, 0.1} {
		h := FloatToFloat16(v)
		back := Float16ToFloat(h)
		if math.Abs(back-float64(v)) > math.Abs(float64(v))*1e-3+1e-7 {
			t.Errorf("%g -> %#x -> %g", v, h, back)
		}
	}
	if got := FloatToFloat16(1e6); got != 0x7c00 {
		t.Errorf("overflow gives %#x, want +Inf", got)
	}
}

func TestShapeFormats(t *testing.T) {
	s := Shape{Batch, 26, 26, 32}
	if got := s.Keras(); got != "(None, 26, 26, 32)" {
		t.Errorf("Keras() = %q", got)
	}
	if got := (Shape{Batch, 10}).Keras(); got != "(None, 10)" {
		t.Errorf("Keras() = %q", got)
	}
	if got := (Shape{5}).Keras(); got != "(5,)" {
		t.Errorf("Keras() = %q", got)
	}
	if got := s.String(); got != "[N,26,26,32]" {
		t.Errorf("String() = %q", got)
	}
}
