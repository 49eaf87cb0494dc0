package quantize

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestActivationParams(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		q      QType
		scale  float32
		zero   int64
		err    string
	}{
		{name: "relu range", lo: 0, hi: 2.55, q: Uint8, scale: float32(2.55 / 255), zero: 0},
		{name: "relu range int8", lo: 0, hi: 2.55, q: Int8, scale: float32(2.55 / 255), zero: -128},
		// Not a tie: the zero point comes from the float32 scale, a little
		// above 2/255, so 1/scale is just below 127.5.
		{name: "symmetric uint8", lo: -1, hi: 1, q: Uint8, scale: float32(2.0 / 255), zero: 127},
		{name: "symmetric int8", lo: -1, hi: 1, q: Int8, scale: float32(2.0 / 255), zero: -1},
		// Scale 1 exactly: 0 - (-126.5)/1 = 126.5 rounds to 126 (even).
		{name: "tie to even", lo: -126.5, hi: 128.5, q: Uint8, scale: 1, zero: 126},
		{name: "tie to even 2", lo: -127.5, hi: 127.5, q: Uint8, scale: 1, zero: 128},
		// -128 + 127.5 = -0.5 rounds to 0 (even), where rounding half
		// away from zero would give -1.
		{name: "tie to even int8", lo: -127.5, hi: 127.5, q: Int8, scale: 1, zero: 0},
		{name: "positive range widened to 0", lo: 2, hi: 4, q: Uint8, scale: float32(4.0 / 255), zero: 0},
		{name: "negative range widened to 0", lo: -4, hi: -2, q: Uint8, scale: float32(4.0 / 255), zero: 255},
		{name: "negative range int8", lo: -4, hi: -2, q: Int8, scale: float32(4.0 / 255), zero: 127},
		{name: "constant positive", lo: 5, hi: 5, q: Uint8, scale: float32(5.0 / 255), zero: 0},
		{name: "all zero", lo: 0, hi: 0, q: Uint8, scale: 1, zero: 0},
		{name: "all zero int8", lo: 0, hi: 0, q: Int8, scale: 1, zero: -128},
		{name: "denormal width", lo: 0, hi: 1e-30, q: Uint8, scale: 1, zero: 0},
		{name: "tiny negative", lo: -1e-30, hi: 0, q: Uint8, scale: 1, zero: 0},
		{name: "widest float32", lo: -3e38, hi: 3e38, q: Uint8, scale: float32(6e38 / 255), zero: 128},
		{name: "NaN", lo: math.NaN(), hi: 1, q: Uint8, err: "not finite"},
		{name: "infinite", lo: 0, hi: math.Inf(1), q: Uint8, err: "not finite"},
		{name: "empty", lo: 1, hi: -1, q: Uint8, err: "empty"},
		{name: "too wide for float32", lo: -1e300, hi: 1e300, q: Uint8, err: "too wide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ActivationParams(tt.lo, tt.hi, tt.q)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %+v, %v; want an error containing %q", p, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Scale != tt.scale || p.Zero != tt.zero {
				t.Errorf("got scale %g zero %d, want %g and %d", p.Scale, p.Zero, tt.scale, tt.zero)
			}
			// Zero is exact, and the calibrated range is representable to
			// within a step (not for the degenerate ranges).
			if got := p.Dequantize(p.Quantize(0, tt.q)); got != 0 {
				t.Errorf("0 quantizes and dequantizes to %g", got)
			}
			if p.Scale != 1 {
				for _, x := range []float64{min(tt.lo, 0), max(tt.hi, 0)} {
					if got := p.Dequantize(p.Quantize(x, tt.q)); math.Abs(got-x) > float64(p.Scale) {
						t.Errorf("%g comes back as %g, more than a step (%g) off", x, got, p.Scale)
					}
				}
			}
		})
	}
}

func TestNotFiniteIsWrapped(t *testing.T) {
	_, err := ActivationParams(math.Inf(-1), 0, Uint8)
	if !errors.Is(err, ErrNotFinite) {
		t.Errorf("got %v, want ErrNotFinite", err)
	}
}

func TestQuantize(t *testing.T) {
	half := Params{Scale: 0.5}
	tests := []struct {
		name string
		p    Params
		x    float64
		q    QType
		want int64
	}{
		{"exact", half, 1, Uint8, 2},
		{"tie down to even", half, 1.25, Uint8, 2},
		{"tie up to even", half, 1.75, Uint8, 4},
		{"negative tie to even", half, -1.25, Int8, -2},
		{"zero point added after rounding", Params{Scale: 0.5, Zero: 10}, 1.25, Uint8, 12},
		{"saturate high uint8", Params{Scale: 0.01}, 3, Uint8, 255},
		{"saturate low uint8", Params{Scale: 0.01}, -1, Uint8, 0},
		{"saturate high int8", Params{Scale: 0.01}, 3, Int8, 127},
		{"saturate low int8", Params{Scale: 0.01}, -3, Int8, -128},
		{"saturate low with zero point", Params{Scale: 0.01, Zero: 100}, -3, Uint8, 0},
		{"NaN gives the zero point", Params{Scale: 1, Zero: 7}, math.NaN(), Uint8, 7},
	}
	for _, tt := range tests {
		if got := tt.p.Quantize(tt.x, tt.q); got != tt.want {
			t.Errorf("%s: Quantize(%g) with %+v to %s = %d, want %d", tt.name, tt.x, tt.p, tt.q, got, tt.want)
		}
	}
}

func TestWeightParams(t *testing.T) {
	tests := []struct {
		maxAbs float64
		qmax   int64
		scale  float32
		err    bool
	}{
		{1.27, WeightMax, float32(1.27 / 127), false},
		{127, WeightMax, 1, false},
		{0.64, ReducedWeightMax, 0.01, false},
		{0, WeightMax, 1, false},     // an all-zero channel
		{1e-40, WeightMax, 1, false}, // denormal weights: degenerate
		{math.NaN(), WeightMax, 0, true},
		{math.Inf(1), WeightMax, 0, true},
	}
	for _, tt := range tests {
		p, err := WeightParams(tt.maxAbs, tt.qmax)
		if (err != nil) != tt.err {
			t.Errorf("WeightParams(%g): error %v, want error %v", tt.maxAbs, err, tt.err)
			continue
		}
		if err == nil && (p.Scale != tt.scale || p.Zero != 0) {
			t.Errorf("WeightParams(%g) = %+v, want scale %g zero 0", tt.maxAbs, p, tt.scale)
		}
	}
	// The range is symmetric: -128 is never used, so w and -w quantize
	// to opposite values.
	p := Params{Scale: 0.01}
	for _, qmax := range []int64{WeightMax, ReducedWeightMax} {
		for _, w := range []float64{-5, -1.27, -1.275, -0.645, 0.64, 1.27, 5} {
			q := QuantizeWeight(w, p, qmax)
			if q < -qmax || q > qmax || QuantizeWeight(-w, p, qmax) != -q {
				t.Errorf("QuantizeWeight(%g, %d) = %d, QuantizeWeight(%g) = %d", w, qmax, q, -w, QuantizeWeight(-w, p, qmax))
			}
		}
	}
	if got := QuantizeWeight(5, p, ReducedWeightMax); got != 64 {
		t.Errorf("QuantizeWeight(5) with the reduced range = %d, want 64", got)
	}
}

func TestQuantizeBias(t *testing.T) {
	s := BiasScale(0.02, 0.005)
	if s != float32(0.02)*float32(0.005) {
		t.Fatalf("BiasScale is not the float32 product")
	}
	if v, ok := QuantizeBias(1, s); !ok || v != 10000 {
		t.Errorf("QuantizeBias(1, %g) = %d, %v; want 10000", s, v, ok)
	}
	if _, ok := QuantizeBias(1e6, 1e-6); ok {
		t.Errorf("a bias of 1e12 steps fits in int32?")
	}
}

// TestBiasWidening: a channel whose weights are tiny and whose bias is
// large (a dead channel after BatchNorm folding) would overflow int32;
// the weight scale of that channel is widened instead, and the other
// channels keep theirs.
func TestBiasWidening(t *testing.T) {
	b := []float64{0.5, 1e3}
	scales := []float32{0.01, 1e-9}
	q, bs, widened := quantizeBias(b, 0.01, scales)
	if !widened {
		t.Fatal("not widened")
	}
	if scales[0] != 0.01 {
		t.Errorf("channel 0's scale changed to %g", scales[0])
	}
	for i := range b {
		if got := float64(q[i]) * float64(bs[i]); math.Abs(got-b[i]) > float64(bs[i]) {
			t.Errorf("bias %d: %g comes back as %g", i, b[i], got)
		}
		if bs[i] != BiasScale(0.01, scales[i]) {
			t.Errorf("bias %d: scale %g is not x_scale*w_scale %g", i, bs[i], BiasScale(0.01, scales[i]))
		}
	}
}
