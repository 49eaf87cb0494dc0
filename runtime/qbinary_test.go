package runtime

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// exactFMA32 is the float32 a*b + c rounded once, computed with big.Float:
// the reference for fma32 and the FMA instructions.
func exactFMA32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(512).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(512).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(512).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// refCvt is cvtps2dq written plainly: nearest even, math.MinInt32 out of range.
func refCvt(v float32) int32 {
	if math.IsNaN(float64(v)) || float64(v) >= math.MaxInt32+1 || float64(v) < math.MinInt32 {
		return math.MinInt32
	}
	return int32(math.RoundToEven(float64(v)))
}

// refQAdd is ONNX Runtime's x86 QLinearAdd (MLAS's AVX2 kernel) on one
// pair of codes, written from its formula independently of the runtime.
func refQAdd(a, b uint8, q *QBinary, lo, hi int32) int32 {
	off := int32(0)
	if q.Signed {
		off = 128 // the int8 values of the stored codes
	}
	ra, rb := q.AScale/q.YScale, q.BScale/q.YScale
	za, zb := float32(q.AZero-off), float32(q.BZero-off)
	zsum := exactFMA32(ra, za, rb*zb)
	if q.Swapped {
		zsum = exactFMA32(rb, zb, ra*za)
	}
	f := float32(q.YZero-off) - zsum
	v := exactFMA32(float32(int32(a)-off), ra, exactFMA32(float32(int32(b)-off), rb, f))
	c := refCvt(v)
	if c != math.MinInt32 {
		c += off
	}
	return min(max(c, lo), hi)
}

// refQMul is ONNX Runtime's x86 QLinearMul (MLAS's SSE2 kernel) on one
// pair of codes.
func refQMul(a, b uint8, q *QBinary, lo, hi int32) int32 {
	r := q.AScale * q.BScale / q.YScale
	off := int32(0)
	if q.Signed {
		off = 128
	}
	p := float32((int32(a) - q.AZero) * (int32(b) - q.BZero))
	c := refCvt(float32(p*r) + float32(q.YZero-off))
	if c != math.MinInt32 {
		c += off
	}
	return min(max(c, lo), hi)
}

func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(70, 70))
	f := func() float32 { return float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(40)-20))) }
	cases := [][3]float32{
		{1, 1, 1}, {0, 5, -0}, {1 + 1.0/(1<<23), 1 + 1.0/(1<<23), -1},
		// a*b + c lies just beside a tie of float32 that float64 rounds onto.
		{1 + 1.0/(1<<12), 1 + 1.0/(1<<12), 1.0 / (1 << 50)},
		{3, 1.0 / 3, -1}, {float32(math.MaxFloat32), 2, -float32(math.MaxFloat32)},
	}
	for i := 0; i < 20000; i++ {
		a, b := f(), f()
		c := -float32(float64(a) * float64(b)) // cancellation
		if i%2 == 0 {
			c = f()
		}
		cases = append(cases, [3]float32{a, b, c + float32(i%3)*float32(math.Ldexp(1, -30))})
	}
	// Ties: (1+2^-12)^2 = 1 + 2^-11 + 2^-24, a tie of float32 near 1; any c
	// nudges it either way.
	for _, c := range []float32{1.0 / (1 << 40), -1.0 / (1 << 40), 1.0 / (1 << 60), -1.0 / (1 << 60)} {
		cases = append(cases, [3]float32{1 + 1.0/(1<<12), 1 + 1.0/(1<<12), c})
	}
	for _, c := range cases {
		got, want := fma32(c[0], c[1], c[2]), exactFMA32(c[0], c[1], c[2])
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", c[0], c[1], c[2], got, want)
		}
	}
}
