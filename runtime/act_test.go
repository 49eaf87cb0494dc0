package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// withActISA runs f once for every instruction set of the activation
// kernels this machine can run, the portable Go always among them, with
// actISA set to it.
func withActISA(t *testing.T, f func(t *testing.T)) {
	defer func(old isa) { actISA = old }(actISA)
	for _, is := range depthwiseISAs() {
		actISA = is
		t.Run(is.String(), f)
	}
}

// ulpErr returns |got - want| in units of the float32 spacing at want (the
// smallest denormal at and below the smallest normal). Matching infinities
// and NaNs are 0; a NaN or infinity on one side only is +Inf.
func ulpErr(got float32, want float64) float64 {
	g := float64(got)
	switch {
	case math.IsNaN(want) || math.IsNaN(g):
		if math.IsNaN(want) && math.IsNaN(g) {
			return 0
		}
		return math.Inf(1)
	case math.Abs(want) > math.MaxFloat32:
		// want overflows float32: only the infinity, or MaxFloat32
		// when want is within half an ulp of it, are right.
		if g == math.Copysign(math.Inf(1), want) || float64(float32(want)) == g {
			return 0
		}
		return math.Inf(1)
	case math.IsInf(g, 0):
		return math.Inf(1)
	}
	return math.Abs(g-want) / ulp32(want)
}

// ulp32 returns the spacing of float32 values at x.
func ulp32(x float64) float64 {
	_, e := math.Frexp(x)
	return math.Ldexp(1, max(e-24, -149))
}

// actAccuracy is what the activations promise, per kind: a bound on the
// error in ulp, plus slack(x) ulp where the definition itself is
// ill-conditioned in float32 (nil for none).
var actAccuracy = []struct {
	kind        ActKind
	alpha, beta float32
	ulps        float64
	slack       func(x float64) float64
}{
	{ActRelu, 0, 0, 0, nil},
	{ActClip, -0.5, 0.25, 0, nil},
	{ActLeakyRelu, 0.1, 0, 0.5, nil},
	{ActSigmoid, 0, 0, 3, nil},
	{ActTanh, 0, 0, 3, nil},
	// The portable HardSigmoid rounds alpha*x before adding beta: half an
	// ulp of alpha*x, in absolute terms, near its zero crossing.
	{ActHardSigmoid, 0.2, 0.5, 1, func(x float64) float64 {
		y := 0.2*x + 0.5
		if y <= 0 || y >= 1 {
			return 0
		}
		return 0.5 * ulp32(0.2*x) / ulp32(y)
	}},
	{ActHardSwish, 0, 0, 3, nil},
	{ActElu, 1, 0, 3, nil},
	{ActElu, 0.7, 0, 3, nil},
	{ActSelu, 1.6732632, 1.050701, 3, nil},
	{ActSoftplus, 0, 0, 3, nil},
	{ActSilu, 0, 0, 3, nil},
	{ActErf, 0, 0, 3, nil},
	{ActGelu, 0, 0, 4, nil},
	// GELU's tanh form is x*sigmoid(z), z = 2*sqrt(2/pi)*(x+0.044715x^3),
	// and the relative error of sigmoid(z) is (1-sigmoid(z))*|z| times
	// that of z. z in float32, from rounded constants, is good to about
	// 3 ulp, which costs up to 3|z| ulp in the negative tail (170 ulp at
	// x = -9.6, where the result is 6e-34).
	{ActGeluTanh, 0, 0, 4, func(x float64) float64 {
		z := 2 * math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
		return 3 * math.Abs(z) / (1 + math.Exp(z))
	}},
	{ActExp, 0, 0, 2, nil},
}

// actEdgeInputs are the inputs where approximations tend to go wrong.
func actEdgeInputs() []float32 {
	inf := float32(math.Inf(1))
	xs := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, -1e-40, // denormals
		1.1754944e-38, -1.1754944e-38, 1e-30, -1e-30, 1e-10, -1e-10, 1e-7, -1e-7, 1e-4, -1e-4,
		88.72283, 88.72284, 88.8, 88.7, -87.33654, -87.4, -88.7, -103.97207, -103.97208, -103.9, -104, -104.1, -110,
		9, 9.1, -9, -9.1, 15, -15, 16.7, -16.7, 17, -17, 20, -20, 30, -30, 50, -50, 100, -100, 1e5, -1e5, 1e20, -1e20,
		0.5, -0.5, 0.4999999, -0.4999999, 0.7071067, 0.7071068, -0.7071067, -0.7071068, // erf and GELU branch points
		3.92, -3.92, 5.5, -5.5, 10.5, -10.5, 14.8, -14.8, 14.9, -14.9,
		0.34657359, -0.34657359, 0.6931472, -0.6931472, 1, -1, 2, -2, 3, -3, 6, -6}
	// Around every branch point and threshold, a few ulp either side.
	for _, c := range []float32{0.5, 0.70710677, 88.72283, 103.97208, 14.8, 10.5, 30} {
		for _, s := range []float32{c, -c} {
			b := math.Float32bits(s)
			for d := uint32(0); d < 4; d++ {
				xs = append(xs, math.Float32frombits(b-d), math.Float32frombits(b+d))
			}
		}
	}
	return xs
}

// actSweep returns every stride-th float32 bit pattern that is not a NaN.
func actSweep(stride uint32) []float32 {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += uint64(stride) {
		x := math.Float32frombits(uint32(b))
		if x == x {
			xs = append(xs, x)
		}
	}
	return xs
}

// TestActivationAccuracy checks every activation kernel, assembly and Go,
// against the float64 reference over a sweep of the float32 range and the
// edge inputs, and reports the largest error it sees.
func TestActivationAccuracy(t *testing.T) {
	stride := uint32(1000)
	if testing.Short() {
		stride = 100003
	}
	xs := append(actSweep(stride), actEdgeInputs()...)
	nan := float32(math.NaN())
	withActISA(t, func(t *testing.T) {
		got := make([]float32, len(xs))
		for _, ac := range actAccuracy {
			copy(got, xs)
			Activate(got, ac.kind, ac.alpha, ac.beta)
			worst, worstX := 0.0, float32(0)
			for i, x := range xs {
				want := act64(ac.kind, float64(x), float64(ac.alpha), float64(ac.beta))
				if math.IsInf(float64(x), 0) && math.IsNaN(want) {
					// Inf*0 in the definition (HardSwish, SiLU and
					// the GELUs at -Inf): the limit, 0, or NaN will do.
					if got[i] == 0 || got[i] != got[i] {
						continue
					}
				}
				e := ulpErr(got[i], want)
				if ac.slack != nil {
					e = max(e-ac.slack(float64(x)), 0)
				}
				if e > worst {
					worst, worstX = e, x
				}
			}
			if ac.slack != nil {
				t.Logf("%-11v max error %5.2f ulp beyond the slack at %v", ac.kind, worst, worstX)
			} else {
				t.Logf("%-11v max error %5.2f ulp at %v", ac.kind, worst, worstX)
			}
			if worst > ac.ulps {
				w := act64(ac.kind, float64(worstX), float64(ac.alpha), float64(ac.beta))
				v := []float32{worstX}
				Activate(v, ac.kind, ac.alpha, ac.beta)
				t.Errorf("%v(%v) = %v, want %v: %.2f ulp, more than %v", ac.kind, worstX, v[0], w, worst, ac.ulps)
			}
			v := []float32{nan, -nan}
			Activate(v, ac.kind, ac.alpha, ac.beta)
			if v[0] == v[0] || v[1] == v[1] {
				t.Errorf("%v(NaN) = %v, %v; want NaN", ac.kind, v[0], v[1])
			}
		}
	})
}

// TestActivateRows checks the strided form with partial vectors that the
// epilogues use, element by element, and that nothing outside the rows x
// cols block changes.
func TestActivateRows(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	withActISA(t, func(t *testing.T) {
		for _, ac := range actAccuracy {
			for _, shape := range [][3]int{{1, 1, 1}, {1, 7, 7}, {3, 8, 9}, {2, 15, 40}, {5, 16, 16}, {4, 17, 20}, {6, 33, 35}, {1, 100, 100}} {
				rows, cols, ld := shape[0], shape[1], shape[2]
				x := make([]float32, (rows-1)*ld+cols+5)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 4)
				}
				orig := append([]float32(nil), x...)
				activateRows(x[:(rows-1)*ld+cols], rows, cols, ld, ac.kind, ac.alpha, ac.beta)
				for i, v := range x {
					if i%ld < cols && i < (rows-1)*ld+cols {
						want := act64(ac.kind, float64(orig[i]), float64(ac.alpha), float64(ac.beta))
						e := ulpErr(v, want)
						if ac.slack != nil {
							e -= ac.slack(float64(orig[i]))
						}
						if e > ac.ulps {
							t.Fatalf("%v %v: x[%d] = %v(%v) = %v, want %v", ac.kind, shape, i, ac.kind, orig[i], v, want)
						}
					} else if v != orig[i] {
						t.Fatalf("%v %v: x[%d] outside the block changed: %v -> %v", ac.kind, shape, i, orig[i], v)
					}
				}
			}
		}
	})
}

// TestActKindString checks the names of the activations.
func TestActKindString(t *testing.T) {
	for k, want := range map[ActKind]string{ActNone: "None", ActSilu: "Silu", ActErf: "Erf", ActGelu: "Gelu",
		ActGeluTanh: "GeluTanh", ActExp: "Exp", numActKinds: fmt.Sprintf("ActKind(%d)", numActKinds)} {
		if k.String() != want {
			t.Errorf("ActKind %d: %q, want %q", k, k.String(), want)
		}
	}
}
