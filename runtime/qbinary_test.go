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

// TestQBinaryORT checks QAdd and QMul against ONNX Runtime's x86 formulas
// (refQAdd, refQMul) on edge cases, each on the assembly kernel and the Go
// twin, and the two against each other on every length 0..70.
func TestQBinaryORT(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	cases := []struct {
		name string
		q    QBinary
	}{
		{"zero points 0", QBinary{AScale: 0.02, BScale: 0.03, YScale: 0.05}},
		{"zero points 255", QBinary{AScale: 0.02, AZero: 255, BScale: 0.03, BZero: 255, YScale: 0.05, YZero: 255}},
		{"mixed zero points", QBinary{AScale: 0.013, AZero: 0, BScale: 0.021, BZero: 255, YScale: 0.017, YZero: 128}},
		{"ties", QBinary{AScale: 0.5, AZero: 3, BScale: 0.25, BZero: 7, YScale: 1, YZero: 9}},
		{"ties swapped", QBinary{AScale: 0.5, AZero: 3, BScale: 0.25, BZero: 7, YScale: 1, YZero: 9, Swapped: true}},
		{"saturation", QBinary{AScale: 1, AZero: 128, BScale: 1, BZero: 128, YScale: 0.01, YZero: 128}},
		{"out of int32 range", QBinary{AScale: 1e7, AZero: 10, BScale: 1e7, BZero: 20, YScale: 1e-3, YZero: 100}},
		{"clamp", QBinary{AScale: 0.04, AZero: 100, BScale: 0.03, BZero: 90, YScale: 0.05, YZero: 120, Clamp: true, Lo: 120, Hi: 200}},
		{"signed", QBinary{AScale: 0.031, AZero: 128 + 5, BScale: 0.027, BZero: 128 - 9, YScale: 0.04, YZero: 128 + 3, Signed: true}},
		{"signed ties", QBinary{AScale: 0.5, AZero: 128 - 3, BScale: 0.25, BZero: 128 + 1, YScale: 1, YZero: 128, Signed: true}},
	}
	r := rand.New(rand.NewPCG(71, 71))
	for _, c := range cases {
		q := c.q
		lo, hi := q.rangeOf("test")
		// Every pair of codes.
		a, b := make([]uint8, 65536), make([]uint8, 65536)
		for i := range a {
			a[i], b[i] = uint8(i>>8), uint8(i)
		}
		for _, is := range qewISAs() {
			qewISA = is
			for _, op := range []string{"add", "mul"} {
				dst := make([]uint8, len(a))
				if op == "add" {
					QAdd(dst, a, b, &q)
				} else {
					QMul(dst, a, b, &q)
				}
				for i := range dst {
					want := refQAdd(a[i], b[i], &q, lo, hi)
					if op == "mul" {
						want = refQMul(a[i], b[i], &q, lo, hi)
					}
					if int32(dst[i]) != want {
						t.Fatalf("%s, %s, %s: a=%d b=%d gives %d, want %d", c.name, is, op, a[i], b[i], dst[i], want)
					}
				}
			}
		}
		// The assembly and the Go twin on every length, b repeating too.
		if len(qewISAs()) < 2 {
			continue
		}
		for n := 0; n <= 70; n++ {
			x, y := randBytes(r, n), randBytes(r, n)
			for _, bn := range []int{n, 1, 8} {
				if bn > n || bn == 0 && n > 0 || bn > 0 && n%bn != 0 {
					continue
				}
				for _, fn := range []func(dst, a, b []uint8, q *QBinary){QAdd, QMul} {
					got, want := make([]uint8, n), make([]uint8, n)
					qewISA = isaAVX2
					fn(got, x, y[:bn], &q)
					qewISA = isaGo
					fn(want, x, y[:bn], &q)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%s, n=%d, len(b)=%d: element %d is %d in assembly, %d in Go", c.name, n, bn, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestQLookup checks QLookup on the assembly kernel and the Go twin
// against the definition: random tables, every code, lengths 0..200 (the
// assembly's 32-byte groups and the Go tail), offsets that misalign the
// slices, and in place.
func TestQLookup(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	r := rand.New(rand.NewPCG(72, 72))
	var table [256]uint8
	for trial := 0; trial < 4; trial++ {
		for i := range table {
			table[i] = uint8(r.IntN(256))
		}
		src := make([]uint8, 300)
		for i := range src {
			src[i] = uint8(r.IntN(256))
		}
		copy(src, []uint8{0, 15, 16, 31, 127, 128, 240, 255})
		for _, is := range qewISAs() {
			qewISA = is
			for n := 0; n <= 200; n++ {
				off := n % 7
				in := src[off : off+n]
				got := make([]uint8, n+1)
				QLookup(got[1:], in, &table)
				inPlace := append([]uint8(nil), in...)
				QLookup(inPlace, inPlace, &table)
				for i, x := range in {
					if got[1+i] != table[x] || inPlace[i] != table[x] {
						t.Fatalf("%v n=%d: [%d] (code %d) = %d, in place %d, want %d", is, n, i, x, got[1+i], inPlace[i], table[x])
					}
				}
			}
		}
	}
}

// TestQGlobalAvgPoolISAs checks QGlobalAvgPool's assembly row sums against
// the Go loop on channel counts with tails (and past the 256-channel
// block) and a few image sizes: integer sums, so the codes must be equal.
func TestQGlobalAvgPoolISAs(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	r := rand.New(rand.NewPCG(74, 74))
	q := &QRequant{InScale: 0.03, InZero: 117, OutScale: 0.011, OutZero: 9}
	for _, c := range []int{1, 7, 8, 13, 64, 300, 517} {
		for _, hw := range []int{1, 5, 49, 196} {
			src := make([]uint8, hw*c)
			for i := range src {
				src[i] = uint8(r.IntN(256))
			}
			var want []uint8
			for _, is := range append([]isa{isaGo}, qewISAs()...) {
				qewISA = is
				got := make([]uint8, c)
				QGlobalAvgPool(got, src, hw, c, q)
				if want == nil {
					want = got
					continue
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v c=%d hw=%d: channel %d = %d, the Go loop gives %d", is, c, hw, i, got[i], want[i])
					}
				}
			}
		}
	}
}
