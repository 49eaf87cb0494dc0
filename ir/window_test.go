package ir

import (
	"strings"
	"testing"
)

// The tutorial's numpy Conv and Pool classes (sections 1.3.1 to 1.3.7)
// compute out = (in + 2*pad - kernel) // stride + 1 on a 10x10 circle image
// (the pools run on the 8x8 output of a 3x3 convolution). Each case below
// is one of the settings the tutorial runs, with the size its code prints.
func TestWindowTutorialSizes(t *testing.T) {
	tests := []struct {
		section string
		pool    bool
		in      int
		kernel  int
		stride  int
		pad     int
		want    int
	}{
		{"1.3.1 filters=10, 3x3", false, 10, 3, 1, 0, 8},
		{"1.3.2 kernel_size=(3,3)", false, 10, 3, 1, 0, 8},
		{"1.3.2 kernel_size=(6,6)", false, 10, 6, 1, 0, 5},
		{"1.3.3 strides=(1,1)", false, 10, 3, 1, 0, 8},
		{"1.3.3 strides=(2,2)", false, 10, 3, 2, 0, 4},
		{"1.3.4 padding=(0,0)", false, 10, 3, 1, 0, 8},
		{"1.3.4 padding=(2,2)", false, 10, 3, 1, 2, 12},
		{"1.3.5 pool_size=(2,2) (stride 1 in its Pool class)", true, 8, 2, 1, 0, 7},
		{"1.3.5 pool_size=(4,4)", true, 8, 4, 1, 0, 5},
		{"1.3.6 pool strides=(1,1)", true, 8, 2, 1, 0, 7},
		{"1.3.6 pool (3,3) strides=(2,2)", true, 8, 3, 2, 0, 3},
		{"1.3.7 pool padding=(0,0)", true, 8, 2, 2, 0, 4},
		{"1.3.7 pool padding=(1,1)", true, 8, 2, 2, 1, 5},
		{"1.2.3 Pool(2) on the 8x8 conv output", true, 8, 2, 2, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.section, func(t *testing.T) {
			w := Window{
				Kernel:  []int{tc.kernel, tc.kernel},
				Strides: []int{tc.stride, tc.stride},
				Pads:    []int{tc.pad, tc.pad, tc.pad, tc.pad},
			}
			in := Type{DType: Float32, Shape: Shape{1, 1, tc.in, tc.in}}
			var got []Type
			var err error
			if tc.pool {
				got, err = (&MaxPool{Window: w}).Infer([]Type{in})
			} else {
				wt := Type{DType: Float32, Shape: Shape{4, 1, tc.kernel, tc.kernel}}
				got, err = (&Conv{Window: w}).Infer([]Type{in, wt})
			}
			if err != nil {
				t.Fatal(err)
			}
			channels := 4
			if tc.pool {
				channels = 1
			}
			want := Shape{1, channels, tc.want, tc.want}
			if !got[0].Shape.Equal(want) {
				t.Errorf("got %v, want %v", got[0].Shape, want)
			}
		})
	}
}

// Padding modes resolve to explicit pads; the cases are Keras' (the
// tutorial's models) and ONNX's.
func TestWindowPaddingModes(t *testing.T) {
	tests := []struct {
		name                   string
		in, kernel, stride, dl int
		mode                   AutoPad
		ceil                   bool
		pads                   []int
		wantOut                int
		wantPads               [2]int
	}{
		{"keras same 2x2 on 28 (1.2.4)", 28, 2, 1, 1, PadSameUpper, false, nil, 28, [2]int{0, 1}},
		{"keras same 3x3 on 32 (1.2.6)", 32, 3, 1, 1, PadSameUpper, false, nil, 32, [2]int{1, 1}},
		{"keras valid 2x2 stride 1 on 28 (1.2.4 pool)", 28, 2, 1, 1, PadValid, false, nil, 27, [2]int{0, 0}},
		{"keras valid 3x3 on 28 (1.2.5)", 28, 3, 1, 1, PadValid, false, nil, 26, [2]int{0, 0}},
		{"keras pool 2 on 13 floors (1.2.6)", 13, 2, 2, 1, PadValid, false, nil, 6, [2]int{0, 0}},
		{"same stride 2 on 5", 5, 3, 2, 1, PadSameUpper, false, nil, 3, [2]int{1, 1}},
		{"same stride 2 on 6, odd pad at end", 6, 3, 2, 1, PadSameUpper, false, nil, 3, [2]int{0, 1}},
		{"SAME_LOWER odd pad at start", 6, 3, 2, 1, PadSameLower, false, nil, 3, [2]int{1, 0}},
		{"SAME_LOWER 2x2 on 5", 5, 2, 1, 1, PadSameLower, false, nil, 5, [2]int{1, 0}},
		{"same with dilation 2", 7, 3, 1, 2, PadSameUpper, false, nil, 7, [2]int{2, 2}},
		{"explicit asymmetric", 7, 3, 1, 1, PadExplicit, false, []int{0, 2}, 7, [2]int{0, 2}},
		{"dilation 2 valid", 7, 3, 1, 2, PadValid, false, nil, 3, [2]int{0, 0}},
		{"ceil_mode rounds up", 5, 2, 2, 1, PadExplicit, true, []int{0, 0}, 3, [2]int{0, 0}},
		{"floor mode", 5, 2, 2, 1, PadExplicit, false, []int{0, 0}, 2, [2]int{0, 0}},
		// ONNX test_averagepool_2d_ceil_last_window_starts_on_pad: the last
		// window would start in the end padding, so it is dropped.
		{"ceil_mode last window on pad", 2, 3, 3, 1, PadExplicit, true, []int{1, 1}, 1, [2]int{1, 1}},
		{"ceil_mode 32 k3 s2 p1", 32, 3, 2, 1, PadExplicit, true, []int{1, 1}, 17, [2]int{1, 1}},
		// ONNX test_maxpool_2d_ceil_output_size_reduce_by_one.
		{"ceil_mode reduce by one", 2, 1, 2, 1, PadExplicit, true, []int{0, 0}, 1, [2]int{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := Window{Kernel: []int{tc.kernel}, Strides: []int{tc.stride}, Dilations: []int{tc.dl}, AutoPad: tc.mode, CeilMode: tc.ceil}
			if tc.pads != nil {
				w.Pads = append([]int(nil), tc.pads...)
			}
			out, err := w.resolve([]int{tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if out[0] != tc.wantOut || w.Pads[0] != tc.wantPads[0] || w.Pads[1] != tc.wantPads[1] {
				t.Errorf("out %d pads %v, want out %d pads %v", out[0], w.Pads, tc.wantOut, tc.wantPads)
			}
			if w.AutoPad != PadExplicit {
				t.Errorf("AutoPad left as %v", w.AutoPad)
			}
			// Resolving again must change nothing.
			again, err := w.resolve([]int{tc.in})
			if err != nil || again[0] != out[0] {
				t.Errorf("second resolve gave %v, %v", again, err)
			}
		})
	}
}

func TestWindowErrors(t *testing.T) {
	tests := []struct {
		name string
		w    Window
		in   []int
		want string
	}{
		{"3x3 valid on 2x2", Window{Kernel: []int{3, 3}, AutoPad: PadValid}, []int{2, 2}, "window 3 (kernel 3, dilation 1) is larger than the padded input 2"},
		{"kernel rank", Window{Kernel: []int{3}}, []int{2, 2}, "kernel has 1 dimensions"},
		{"zero stride", Window{Kernel: []int{1, 1}, Strides: []int{0, 1}}, []int{2, 2}, "must be positive"},
		{"negative pad", Window{Kernel: []int{1, 1}, Pads: []int{-1, 0, 0, 0}}, []int{2, 2}, "pads"},
		{"dilated too big", Window{Kernel: []int{3}, Dilations: []int{4}}, []int{8}, "window 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.w.resolve(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A conv error carries both shapes: the input's and the weights'.
func TestConvErrorNamesShapes(t *testing.T) {
	c := &Conv{Window: Window{AutoPad: PadValid}, Layout: NHWC}
	_, err := c.Infer([]Type{
		{DType: Float32, Shape: Shape{Batch, 2, 2, 8}, Layout: NHWC},
		{DType: Float32, Shape: Shape{16, 8, 3, 3}},
	})
	if err == nil {
		t.Fatal("3x3 valid conv on 2x2 succeeded")
	}
	for _, want := range []string{"[N,2,2,8]", "[16,8,3,3]", "larger than the padded input"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
