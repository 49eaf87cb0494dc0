package ir

import (
	"math"
	"strings"
	"testing"
)

// Resize's shape rule: the output lengths are Sizes, a symbolic batch
// dimension stays as it is, and everything inconsistent is an error.
func TestResizeShapeRule(t *testing.T) {
	N := Batch
	tests := []struct {
		name    string
		op      *Resize
		in      Type
		want    Type
		wantErr string
	}{
		{"upsample 2x", &Resize{Sizes: []int{1, 3, 8, 8}, Scales: []float64{1, 1, 2, 2}},
			typ(Float32, NCHW, 1, 3, 4, 4), typ(Float32, NCHW, 1, 3, 8, 8), ""},
		{"downsample to empty", &Resize{Sizes: []int{1, 0}, Scales: []float64{1, 0.2}, Mode: ResizeLinear},
			f32(1, 4), f32(1, 0), ""},
		{"batch kept", &Resize{Sizes: []int{N, 3, 6, 2}, Scales: []float64{1, 1, 1.5, 0.5}, Mode: ResizeLinear},
			typ(Float32, NCHW, N, 3, 4, 4), typ(Float32, NCHW, N, 3, 6, 2), ""},
		{"batch kept by crop", &Resize{Sizes: []int{N, 3}, Scales: []float64{1, 1}, Coord: ResizeTFCropAndResize, Roi: []float64{0, 0.5, 1, 1}},
			f32(N, 4), f32(N, 3), ""},
		{"nearest on integers", &Resize{Sizes: []int{4}, Scales: []float64{2}},
			typ(Int64, LayoutAny, 2), typ(Int64, LayoutAny, 4), ""},
		{"batch scaled", &Resize{Sizes: []int{N, 3}, Scales: []float64{2, 1}},
			f32(N, 3), Type{}, "cannot resize the batch dimension"},
		{"batch sized", &Resize{Sizes: []int{2, 3}, Scales: []float64{1, 1}},
			f32(N, 3), Type{}, "cannot resize the batch dimension"},
		{"batch cropped", &Resize{Sizes: []int{N, 3}, Scales: []float64{1, 1}, Coord: ResizeTFCropAndResize, Roi: []float64{0.5, 0, 1, 1}},
			f32(N, 3), Type{}, "cannot resize the batch dimension"},
		{"batch size on static axis", &Resize{Sizes: []int{N, 3}, Scales: []float64{1, 1}},
			f32(2, 3), Type{}, "not the batch size"},
		{"wrong rank", &Resize{Sizes: []int{4}, Scales: []float64{2}},
			f32(1, 2), Type{}, "one entry per input dimension"},
		{"wrong roi", &Resize{Sizes: []int{4}, Scales: []float64{2}, Roi: []float64{0}},
			f32(2), Type{}, "roi [0] must have 2 x rank"},
		{"nan roi", &Resize{Sizes: []int{4}, Scales: []float64{2}, Roi: []float64{0, math.NaN()}},
			f32(2), Type{}, "not finite"},
		{"zero scale", &Resize{Sizes: []int{4}, Scales: []float64{0}},
			f32(2), Type{}, "must be positive"},
		{"infinite scale", &Resize{Sizes: []int{4}, Scales: []float64{math.Inf(1)}},
			f32(2), Type{}, "must be positive"},
		{"negative size", &Resize{Sizes: []int{-3}, Scales: []float64{1}},
			f32(2), Type{}, "out of range"},
		{"huge size", &Resize{Sizes: []int{1 << 20, 1 << 20}, Scales: []float64{1, 1}},
			f32(1, 1), Type{}, "more than 2^31"},
		{"empty to non-empty", &Resize{Sizes: []int{3}, Scales: []float64{1}},
			f32(0), Type{}, "empty axis"},
		{"linear on integers", &Resize{Sizes: []int{4}, Scales: []float64{2}, Mode: ResizeLinear},
			typ(Int32, LayoutAny, 2), Type{}, "floating-point"},
		{"align_corners length 1", &Resize{Sizes: []int{3}, Scales: []float64{0.5}, Coord: ResizeAlignCorners},
			f32(2), Type{}, "resized length (1) above 1"},
		{"bad mode", &Resize{Sizes: []int{4}, Scales: []float64{2}, Mode: 9},
			f32(2), Type{}, "invalid mode"},
		{"bad cubic a", &Resize{Sizes: []int{4}, Scales: []float64{2}, Mode: ResizeCubic, CubicCoeffA: math.NaN()},
			f32(2), Type{}, "not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.op.Infer([]Type{tc.in})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Infer = %v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !typeEqual(got[0], tc.want) {
				t.Fatalf("Infer = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := (&Resize{}).Infer(nil); err == nil {
		t.Error("Resize without an input: no error")
	}
}

func TestResizeStrings(t *testing.T) {
	op := &Resize{Sizes: []int{4}, Scales: []float64{2}, Mode: ResizeCubic, Coord: ResizeAlignCorners, Nearest: NearestCeil, CubicCoeffA: -0.5}
	if got, want := Attrs(op), "Sizes=[4] Scales=[2] Mode=cubic Coord=align_corners Nearest=ceil CubicCoeffA=-0.5"; got != want {
		t.Errorf("Attrs = %q, want %q", got, want)
	}
	for _, s := range []interface{ String() string }{ResizeHalfPixelSymmetric, ResizePytorchHalfPixel, ResizeAsymmetric,
		ResizeTFCropAndResize, NearestRoundPreferCeil, NearestFloor, ResizeLinear} {
		if strings.Contains(s.String(), "(") {
			t.Errorf("%#v has no ONNX spelling: %s", s, s)
		}
	}
	if got := ResizeCoord(42).String(); got != "ResizeCoord(42)" {
		t.Errorf("String of an invalid value = %q", got)
	}
	if s, e := (&Resize{}).RoiAt(0, 2); s != 0 || e != 1 {
		t.Errorf("default roi = %g, %g", s, e)
	}
	if s, e := (&Resize{Roi: []float64{0.1, 0.2, 0.3, 0.4}}).RoiAt(1, 2); s != 0.2 || e != 0.4 {
		t.Errorf("roi of axis 1 = %g, %g", s, e)
	}
}
