package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The references in this file follow the ONNX operator specification
// directly, one output at a time: the sum of (a - za)*(w - zw) in int64,
// wrapped to int32 as the spec allows, the bias added, then
// QuantizeLinear's saturate(round_half_even(x) + zero point) with x the
// float32 product of the sum and the scale (ONNX Runtime's float32
// requantization; see QEpilogue).

// refRequant is the spec's requantization of one int32 sum.
func refRequant(acc int32, scale float32, zy int32, lo, hi int32) int32 {
	x := float32(acc) * scale
	r := math.RoundToEven(float64(x)) + float64(zy)
	return int32(math.Max(float64(lo), math.Min(float64(hi), r)))
}

// withQKernel runs f for every quantized kernel this machine can run.
// Tests of a kernel with a bound on its weights (the VPMADDUBSW one) fit
// their weights to it with ubswWeights and check with wantKernel that
// the packing kept that kernel.
func withQKernel(t *testing.T, f func(t *testing.T, kern *qkernel)) {
	for _, kern := range qkernels {
		t.Run(kern.name, func(t *testing.T) { f(t, kern) })
	}
}

// ubswWeights halves w in place when kern is the VPMADDUBSW kernel, so
// that every pair passes ubswFits (|w/2| <= 64) and the kernel is tested
// rather than its fallback; the tests' references read the halved w.
func ubswWeights(kern *qkernel, w []int8) {
	if kern.ubsw {
		for i := range w {
			w[i] >>= 1
		}
	}
}

// wantKernel fails the test unless pb was packed for kern.
func wantKernel(t *testing.T, pb *PackedQB, kern *qkernel) {
	t.Helper()
	if pb.kern != kern {
		t.Fatalf("weights packed for kernel %s, want %s", pb.kern.name, kern.name)
	}
}

type qgemmCase struct {
	m, n, k  int
	aslack   int // bytes of A's slice past its last row (AMX may compute a whole block there)
	lda, ldc int // 0 means tight
	coff     int
	transB   bool
	za       uint8
	zb       string // "", "tensor", "col"
	bias     bool
	perCol   bool // per-column scales
	kind     qKind
	clamp    bool
	lo, hi   int32
	zy       int32
	// data is "rand", "max" (a = 255, w = 127), "min" (a = 255, w =
	// -128), "mixed", or "pairs128" and "pairs129": the weights' pairs
	// (k = 2i, 2i+1 of a column) have |w0| + |w1| exactly 128 or 129,
	// against activations 0 and 255, the edge of VPMADDUBSW's bound (see
	// ubswFits) on either side.
	data      string
	scale     float32
	tieScales bool // scales whose products with integers hit exact ties
}

func (tc qgemmCase) String() string {
	return fmt.Sprintf("m%d_n%d_k%d_lda%d_ldc%d_off%d_t%v_za%d_zb%s_b%v_pc%v_kind%d_cl%v[%d,%d]_zy%d_%s_s%g_ties%v",
		tc.m, tc.n, tc.k, tc.lda, tc.ldc, tc.coff, tc.transB, tc.za, tc.zb, tc.bias, tc.perCol, tc.kind, tc.clamp, tc.lo, tc.hi, tc.zy, tc.data, tc.scale, tc.tieScales)
}

// qData fills a and b for a test case.
func qData(r *rand.Rand, data string, a []uint8, b []int8) {
	for i := range a {
		switch data {
		case "max", "min":
			a[i] = 255
		case "mixed":
			a[i] = []uint8{0, 1, 127, 128, 254, 255}[r.IntN(6)]
		case "pairs128", "pairs129":
			a[i] = []uint8{0, 255, 255}[r.IntN(3)]
		default:
			a[i] = uint8(r.IntN(256))
		}
	}
	for i := range b {
		switch data {
		case "max":
			b[i] = 127
		case "min":
			b[i] = -128
		case "mixed":
			b[i] = []int8{-128, -127, -1, 0, 1, 126, 127}[r.IntN(7)]
		default:
			b[i] = int8(r.IntN(256) - 128)
		}
	}
}

func runQGemmCase(t *testing.T, kern *qkernel, r *rand.Rand, tc qgemmCase) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	lda := max(tc.lda, k)
	ldc := max(tc.ldc, n+tc.coff)
	a := make([]uint8, max(0, (m-1)*lda+k)+tc.aslack)
	ldb := n + 1
	if tc.transB {
		ldb = k + 3
	}
	var bsrc []int8
	if tc.transB {
		bsrc = make([]int8, n*ldb)
	} else {
		bsrc = make([]int8, k*ldb)
	}
	qData(r, tc.data, a, bsrc)
	for i := len(a) - tc.aslack; i < len(a); i++ {
		a[i] = uint8(r.IntN(256)) // bytes past A that a kernel may read and must not use
	}
	bidx := func(kk, j int) int {
		if tc.transB {
			return j*ldb + kk
		}
		return kk*ldb + j
	}
	bij := func(kk, j int) int8 { return bsrc[bidx(kk, j)] }
	wantUB := kern.ubsw
	switch tc.data {
	case "pairs128", "pairs129":
		sum := 128
		if tc.data == "pairs129" {
			sum, wantUB = 129, false
		}
		for j := 0; j < n; j++ {
			for kk := 0; kk+1 < k; kk += 2 {
				// |w0| from 1 to 127 (128 for the 128 sum: -128
				// against 0), with random signs, the ends often.
				w0 := []int{sum - 127, 64, 127, 1 + r.IntN(127)}[r.IntN(4)]
				if sum == 128 && r.IntN(4) == 0 {
					w0 = 128
				}
				w1 := sum - w0
				if w0 == 128 || r.IntN(2) == 0 {
					w0 = -w0
				}
				if w1 < 128 && r.IntN(2) == 0 {
					w1 = -w1
				}
				if w1 == 128 {
					w1 = -128
				}
				bsrc[bidx(kk, j)], bsrc[bidx(kk+1, j)] = int8(w0), int8(w1)
			}
		}
	default:
		ubswWeights(kern, bsrc)
	}
	var zb []int8
	switch tc.zb {
	case "tensor":
		zb = []int8{int8(r.IntN(256) - 128)}
	case "col":
		zb = make([]int8, n)
		for j := range zb {
			zb[j] = int8(r.IntN(256) - 128)
		}
		zb[0] = 0
	}
	zw := func(j int) int64 {
		switch len(zb) {
		case 0:
			return 0
		case 1:
			return int64(zb[0])
		}
		return int64(zb[j])
	}
	pb := packQB(kern, k, n, bsrc, ldb, tc.transB, zb)
	switch {
	case wantUB || !kern.ubsw:
		wantKernel(t, pb, kern)
	case k >= 2 && n > 0:
		wantKernel(t, pb, kern.fallback)
	}

	ep := &QEpilogue{ZeroPoint: tc.zy, Clamp: tc.clamp, Lo: tc.lo, Hi: tc.hi}
	if tc.bias {
		ep.Bias = make([]int32, n)
		for j := range ep.Bias {
			ep.Bias[j] = int32(r.IntN(1<<20) - 1<<19)
		}
	}
	scale := tc.scale
	if scale == 0 {
		scale = 1 / float32(max(1, k)*64)
	}
	ties := []float32{0.5, 1.5, 0.25, 0.75, 2.5, 0.125}
	if tc.perCol {
		ep.Scale = make([]float32, n)
		for j := range ep.Scale {
			if tc.tieScales {
				ep.Scale[j] = ties[j%len(ties)] * scale
			} else {
				ep.Scale[j] = scale * float32(0.5+r.Float64())
			}
		}
	} else {
		ep.Scale = []float32{scale}
	}
	scaleAt := func(j int) float32 {
		if len(ep.Scale) == 1 {
			return ep.Scale[0]
		}
		return ep.Scale[j]
	}
	lo, hi := qRange(tc.kind)
	if tc.clamp {
		lo, hi = max(lo, tc.lo), min(hi, tc.hi)
	}

	size := m * ldc
	var out QOutput
	var get func(i int) float64
	var raw []byte
	switch tc.kind {
	case qOutU8:
		c := make([]uint8, size)
		raw = c
		out = OutU8(c[tc.coff:])
		get = func(i int) float64 { return float64(c[i]) }
	case qOutS8:
		c := make([]int8, size)
		raw = unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), size)
		out = OutS8(c[tc.coff:])
		get = func(i int) float64 { return float64(c[i]) }
	case qOutI32:
		c := make([]int32, size)
		raw = unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), 4*size)
		out = OutInt32(c[tc.coff:])
		get = func(i int) float64 { return float64(c[i]) }
	case qOutF32:
		c := make([]float32, size)
		raw = unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), 4*size)
		out = OutFloat32(c[tc.coff:])
		get = func(i int) float64 { return float64(c[i]) }
	}
	for i := range raw {
		raw[i] = 0x5a // a pattern the kernels must leave alone outside the output
	}
	orig := append([]byte(nil), raw...)
	QGemm(m, a, lda, tc.za, pb, out, ldc, ep)
	esize := len(raw) / size
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			jj := j - tc.coff
			if jj < 0 || jj >= n {
				e := (i*ldc + j) * esize
				for b := e; b < e+esize; b++ {
					if raw[b] != orig[b] {
						t.Fatalf("%v: C[%d,%d] outside the output changed", tc, i, j)
					}
				}
				continue
			}
			var s int64
			for kk := 0; kk < k; kk++ {
				s += (int64(a[i*lda+kk]) - int64(tc.za)) * (int64(bij(kk, jj)) - zw(jj))
			}
			if tc.bias {
				s += int64(ep.Bias[jj])
			}
			acc := int32(s)
			var want float64
			switch tc.kind {
			case qOutI32:
				want = float64(acc)
			case qOutF32:
				want = float64(float32(acc) * scaleAt(jj))
			default:
				want = float64(refRequant(acc, scaleAt(jj), tc.zy, lo, hi))
			}
			if got := get(i*ldc + j); got != want {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (acc %d)", tc, i, jj, got, want, acc)
			}
		}
	}
}

func TestQGemmShapes(t *testing.T) {
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 23, 24, 25, 31, 32, 33, 40, 48, 49, 56, 65, 80, 97}
	withQKernel(t, func(t *testing.T, kern *qkernel) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17} {
			for _, n := range sizes {
				for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 13, 64, 67} {
					kind := qKind(r.IntN(4))
					tc := qgemmCase{m: m, n: n, k: k, kind: kind, za: uint8(r.IntN(256)), data: "rand",
						bias: r.IntN(2) == 0, perCol: r.IntN(2) == 0, transB: r.IntN(2) == 0}
					if kind == qOutS8 {
						tc.zy = int32(r.IntN(256) - 128)
					} else if kind == qOutU8 {
						tc.zy = int32(r.IntN(256))
					}
					runQGemmCase(t, kern, r, tc)
				}
			}
		}
	})
}

func TestQGemmCases(t *testing.T) {
	cases := []qgemmCase{
		// Zero points of the activations at 0, 128 and 255, int8
		// outputs, strided operands and a column offset.
		{m: 7, n: 37, k: 29, za: 0, kind: qOutU8, zy: 0, data: "rand"},
		{m: 7, n: 37, k: 29, za: 128, kind: qOutU8, zy: 128, data: "rand"},
		{m: 7, n: 37, k: 29, za: 255, kind: qOutU8, zy: 255, data: "rand"},
		{m: 6, n: 40, k: 33, za: 3, kind: qOutS8, zy: -128, data: "rand"},
		{m: 6, n: 40, k: 33, za: 200, kind: qOutS8, zy: 127, data: "rand", perCol: true},
		{m: 6, n: 40, k: 33, za: 17, kind: qOutS8, zy: 0, data: "rand", lda: 40, ldc: 50, coff: 3, bias: true},
		{m: 9, n: 20, k: 130, za: 90, kind: qOutU8, zy: 12, lda: 131, ldc: 25, coff: 5, transB: true, bias: true, perCol: true, data: "rand"},
		// Weight zero points, per tensor and per column.
		{m: 11, n: 30, k: 45, za: 77, zb: "tensor", kind: qOutI32, data: "rand"},
		{m: 11, n: 30, k: 45, za: 77, zb: "col", kind: qOutI32, bias: true, data: "rand"},
		{m: 11, n: 30, k: 45, za: 0, zb: "col", kind: qOutU8, zy: 100, perCol: true, data: "rand"},
		{m: 5, n: 49, k: 66, za: 255, zb: "col", kind: qOutF32, perCol: true, data: "rand"},
		// VPMADDUBSW's saturation: a = 255 against w = 127 or -128
		// everywhere (and a mix of the extremes), to raw int32, float,
		// and through a scale that keeps the result inside the range.
		{m: 5, n: 48, k: 64, kind: qOutI32, data: "max"},
		{m: 5, n: 48, k: 64, kind: qOutI32, data: "min"},
		{m: 5, n: 48, k: 63, kind: qOutI32, data: "mixed"},
		{m: 4, n: 24, k: 1000, kind: qOutF32, data: "max", scale: 1e-3},
		{m: 4, n: 24, k: 99, kind: qOutU8, data: "max", scale: 1.0 / (99 * 255)},
		{m: 4, n: 24, k: 99, kind: qOutS8, data: "min", scale: 1.0 / (99 * 255)},
		{m: 3, n: 17, k: 2049, kind: qOutU8, data: "mixed", zy: 128, scale: 1.0 / (64 * 255)},
		// The edge of VPMADDUBSW's bound: weight pairs with |w0| + |w1|
		// = 128 (exact) and 129 (packed for the exact VPMADDWD kernel),
		// against activations 0 and 255; raw sums, so that any
		// saturation shows. K from 1 to 9 and 1001 (tails of 1 to 3),
		// 1 to 5 rows (every row tile) and narrow last panels.
		{m: 1, n: 8, k: 1, kind: qOutI32, data: "pairs128"},
		{m: 2, n: 9, k: 2, kind: qOutI32, data: "pairs128"},
		{m: 3, n: 17, k: 3, kind: qOutI32, data: "pairs128"},
		{m: 4, n: 25, k: 4, kind: qOutI32, data: "pairs128"},
		{m: 5, n: 33, k: 5, kind: qOutI32, data: "pairs128", transB: true},
		{m: 6, n: 41, k: 6, kind: qOutI32, data: "pairs128"},
		{m: 7, n: 47, k: 7, kind: qOutI32, data: "pairs128", za: 255},
		{m: 9, n: 50, k: 9, kind: qOutI32, data: "pairs128", zb: "col"},
		{m: 13, n: 72, k: 1001, kind: qOutI32, data: "pairs128", bias: true},
		{m: 5, n: 40, k: 64, kind: qOutU8, data: "pairs128", zy: 128, scale: 1.0 / (64 * 255)},
		{m: 2, n: 9, k: 2, kind: qOutI32, data: "pairs129"},
		{m: 4, n: 25, k: 4, kind: qOutI32, data: "pairs129"},
		{m: 7, n: 47, k: 7, kind: qOutI32, data: "pairs129", transB: true},
		{m: 13, n: 72, k: 1001, kind: qOutI32, data: "pairs129"},
		// Saturation of the output, both ends.
		{m: 4, n: 24, k: 64, kind: qOutU8, data: "max", scale: 1},
		{m: 4, n: 24, k: 64, kind: qOutS8, data: "min", scale: 1},
		// Ties: acc*scale = k + 0.5 exactly, for every odd sum.
		{m: 8, n: 40, k: 3, kind: qOutU8, zy: 0, data: "rand", scale: 0.5 / 64},
		{m: 8, n: 40, k: 3, kind: qOutU8, zy: 1, data: "rand", scale: 1.0 / 256, perCol: true, tieScales: true},
		{m: 8, n: 40, k: 5, kind: qOutS8, zy: -3, data: "rand", scale: 1.0 / 512, perCol: true, tieScales: true},
		{m: 8, n: 40, k: 1, za: 1, kind: qOutU8, zy: 128, data: "rand", scale: 0.5},
		// Fused clamps: Relu (lo = zero point), Relu6-like, empty-ish.
		{m: 7, n: 33, k: 20, za: 100, kind: qOutU8, zy: 90, clamp: true, lo: 90, hi: 255, data: "rand", bias: true},
		{m: 7, n: 33, k: 20, za: 100, kind: qOutS8, zy: -10, clamp: true, lo: -10, hi: 60, data: "rand"},
		{m: 7, n: 33, k: 20, za: 100, kind: qOutU8, zy: 40, clamp: true, lo: 40, hi: 40, data: "rand"},
		// M = 1 and a single column.
		{m: 1, n: 1000, k: 512, za: 5, kind: qOutU8, zy: 7, data: "rand", bias: true, perCol: true},
		{m: 1, n: 1, k: 1, za: 5, kind: qOutI32, data: "rand"},
		{m: 200, n: 1, k: 9, za: 5, kind: qOutS8, data: "rand"},
	}
	withQKernel(t, func(t *testing.T, kern *qkernel) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, tc := range cases {
			runQGemmCase(t, kern, r, tc)
		}
	})
}

// qbuf is an output buffer of one of the QOutput types, for tests.
type qbuf struct {
	kind qKind
	u8   []uint8
	s8   []int8
	i32  []int32
	f32  []float32
}

func newQBuf(kind qKind, n int) *qbuf {
	b := &qbuf{kind: kind}
	switch kind {
	case qOutU8:
		b.u8 = make([]uint8, n)
	case qOutS8:
		b.s8 = make([]int8, n)
	case qOutI32:
		b.i32 = make([]int32, n)
	case qOutF32:
		b.f32 = make([]float32, n)
	}
	return b
}

// out returns the QOutput of the buffer from element off.
func (b *qbuf) out(off int) QOutput {
	switch b.kind {
	case qOutU8:
		return OutU8(b.u8[off:])
	case qOutS8:
		return OutS8(b.s8[off:])
	case qOutI32:
		return OutInt32(b.i32[off:])
	}
	return OutFloat32(b.f32[off:])
}

func (b *qbuf) get(i int) float64 {
	switch b.kind {
	case qOutU8:
		return float64(b.u8[i])
	case qOutS8:
		return float64(b.s8[i])
	case qOutI32:
		return float64(b.i32[i])
	}
	return float64(b.f32[i])
}

// fill sets every element to a recognizable value.
func (b *qbuf) fill() {
	for i := range b.u8 {
		b.u8[i] = 0x5a
	}
	for i := range b.s8 {
		b.s8[i] = -0x5a
	}
	for i := range b.i32 {
		b.i32[i] = 0x5a5a5a5a
	}
	for i := range b.f32 {
		b.f32[i] = -12345
	}
}

// refStore is the spec's store step of one sum under ep (see QEpilogue).
func refStore(kind qKind, acc int32, ep *QEpilogue, j int) float64 {
	if ep == nil {
		return float64(acc)
	}
	scale := float32(0)
	if len(ep.Scale) == 1 {
		scale = ep.Scale[0]
	} else if len(ep.Scale) > j {
		scale = ep.Scale[j]
	}
	switch kind {
	case qOutI32:
		return float64(acc)
	case qOutF32:
		return float64(float32(acc) * scale)
	}
	lo, hi := qRange(kind)
	if ep.Clamp {
		lo, hi = max(lo, ep.Lo), min(hi, ep.Hi)
	}
	return float64(refRequant(acc, scale, ep.ZeroPoint, lo, hi))
}

// randQEpilogue returns an epilogue for n columns and an output kind, with
// scales that keep typical sums of k products inside the code range.
func randQEpilogue(r *rand.Rand, kind qKind, n, k int) *QEpilogue {
	ep := &QEpilogue{}
	if r.IntN(4) != 0 {
		ep.Bias = make([]int32, n)
		for j := range ep.Bias {
			ep.Bias[j] = int32(r.IntN(1<<16) - 1<<15)
		}
	}
	base := 1 / float32(max(k, 1)*48)
	if r.IntN(2) == 0 {
		ep.Scale = []float32{base}
	} else {
		ep.Scale = make([]float32, n)
		for j := range ep.Scale {
			ep.Scale[j] = base * float32(0.5+r.Float64())
		}
	}
	lo, hi := qRange(kind)
	ep.ZeroPoint = lo + int32(r.IntN(256))
	if r.IntN(3) == 0 {
		ep.Clamp, ep.Lo, ep.Hi = true, ep.ZeroPoint, hi
	}
	return ep
}

func randBytes(r *rand.Rand, n int) []uint8 {
	s := make([]uint8, n)
	for i := range s {
		s[i] = uint8(r.IntN(256))
	}
	return s
}

func randInt8s(r *rand.Rand, n int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(r.IntN(256) - 128)
	}
	return s
}

// refQConv is a direct grouped quantized convolution: the int32 sums of
// (x - za)*(w - zb[o]) over every tap inside the image plus the bias, for
// pixel p and output channel o at [p*cout + o]. w is [cout][cin/group][kh][kw].
func refQConv(src []uint8, g *Window, za uint8, group, cout int, w []int8, zb []int8, bias []int32) []int32 {
	cpg, opg := g.C/group, cout/group
	out := make([]int32, g.OutPixels()*cout)
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			for o := 0; o < cout; o++ {
				gr := o / opg
				var zw int64
				if zb != nil {
					zw = int64(zb[o])
				}
				var s int64
				for c := 0; c < cpg; c++ {
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							ih := oh*g.StrideH - g.PadT + kh*g.DilH
							iw := ow*g.StrideW - g.PadL + kw*g.DilW
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue // the real value 0
							}
							x := int64(src[(ih*g.W+iw)*g.C+gr*cpg+c]) - int64(za)
							wv := int64(w[((o*cpg+c)*g.KH+kh)*g.KW+kw]) - zw
							s += x * wv
						}
					}
				}
				if bias != nil {
					s += int64(bias[o])
				}
				out[(oh*g.OW+ow)*cout+o] = int32(s)
			}
		}
	}
	return out
}

func TestQIm2col(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	for _, is := range qewISAs() {
		qewISA = is
		t.Run(is.String(), testQIm2col)
	}
}

func testQIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for gi, g := range im2colGeoms {
		src := randBytes(r, g.InLen())
		za := uint8(r.IntN(256))
		k := g.KH * g.KW * g.C
		dst := make([]uint8, g.OutPixels()*k)
		QIm2col(dst, src, &g, 0, g.C, za)
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih := oh*g.StrideH - g.PadT + kh*g.DilH
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						for c := 0; c < g.C; c++ {
							want := za
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								want = src[(ih*g.W+iw)*g.C+c]
							}
							got := dst[(oh*g.OW+ow)*k+(kh*g.KW+kw)*g.C+c]
							if got != want {
								t.Fatalf("geometry %d: pixel (%d,%d) tap (%d,%d) channel %d = %d, want %d", gi, oh, ow, kh, kw, c, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestQConv2D checks QConv2D and Pool.QConv2D against the direct
// reference for every kernel, output type and a range of geometries,
// grouped convolutions written into a channel slice of a wider output and
// the 1x1 path with a channel offset.
func TestQConv2D(t *testing.T) {
	defer splitEverything()()
	big := Window{H: 23, W: 19, C: 12, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 23, OW: 19}
	pw := Window{H: 15, W: 17, C: 8, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 15, OW: 17}
	first := Window{H: 20, W: 20, C: 3, KH: 7, KW: 7, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 3, PadL: 3, PadB: 3, PadR: 3, OH: 10, OW: 10}
	geoms := append([]Window{big, pw, first}, convGeoms...)
	for _, threads := range []int{0, 1, 3} {
		var pool *Pool
		if threads > 0 {
			pool = NewPool(threads)
		}
		withQKernel(t, func(t *testing.T, kern *qkernel) {
			r := rand.New(rand.NewPCG(12, uint64(threads)))
			for gi, g := range geoms {
				for _, group := range []int{1, 2} {
					if g.C%group != 0 {
						continue
					}
					kind := qKind(r.IntN(4))
					cout := group * (5 + 13*(gi%2))
					ldd := cout + 3
					cpg, opg := g.C/group, cout/group
					w := randInt8s(r, cout*cpg*g.KH*g.KW)
					ubswWeights(kern, w)
					var zb []int8
					if gi%3 == 1 {
						zb = randInt8s(r, cout)
					}
					za := []uint8{0, 128, 255, uint8(r.IntN(256))}[gi%4]
					src := randBytes(r, g.InLen())
					k := g.KH * g.KW * cpg
					ep := randQEpilogue(r, kind, cout, k)
					m := g.OutPixels()
					dst := newQBuf(kind, m*ldd)
					dst.fill()
					work := make([]uint8, pool.QConv2DWorkSize(&g, k))
					for gr := 0; gr < group; gr++ {
						var gzb []int8
						if zb != nil {
							gzb = zb[gr*opg : (gr+1)*opg]
						}
						pb := packQConv(kern, w[gr*opg*cpg*g.KH*g.KW:], opg, cpg, g.KH, g.KW, gzb)
						wantKernel(t, pb, kern)
						gep := *ep
						if ep.Bias != nil {
							gep.Bias = ep.Bias[gr*opg:]
						}
						if len(ep.Scale) > 1 {
							gep.Scale = ep.Scale[gr*opg:]
						}
						pool.QConv2D(dst.out(gr*opg), ldd, src, &g, gr*cpg, za, pb, &gep, work)
					}
					want := refQConv(src, &g, za, group, cout, w, zb, ep.Bias)
					orig := newQBuf(kind, 1)
					orig.fill()
					for p := 0; p < m; p++ {
						for j := 0; j < ldd; j++ {
							got := dst.get(p*ldd + j)
							if j >= cout {
								if got != orig.get(0) {
									t.Fatalf("threads %d geometry %d: channel %d outside the output changed", threads, gi, j)
								}
								continue
							}
							wv := refStore(kind, want[p*cout+j], ep, j)
							if got != wv {
								t.Fatalf("threads %d geometry %d group %d kind %d: pixel %d channel %d = %v, want %v (acc %d)", threads, gi, group, kind, p, j, got, wv, want[p*cout+j])
							}
						}
					}
				}
			}
		})
		pool.Close()
	}
}

func TestQDepthwiseConv(t *testing.T) {
	defer func(old isa) { qdwISA = old }(qdwISA)
	for _, is := range qdwISAs() {
		qdwISA = is
		t.Run(is.String(), testQDepthwise)
	}
}

func testQDepthwise(t *testing.T) {
	defer splitEverything()()
	pool := NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(13, 13))
	for gi, g := range dwGeoms {
		for _, mk := range [][2]int{{1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 2}, {1, 3}, {2, 2}, {2, int(r.IntN(4))}} {
			mult, kind := mk[0], qKind(mk[1])
			cout := g.C * mult
			w := randInt8s(r, cout*g.KH*g.KW)
			var zb []int8
			if gi%2 == 1 {
				zb = randInt8s(r, cout)
			}
			pw := PackQDepthwise(w, cout, g.KH, g.KW, zb)
			za := []uint8{0, 128, 255, uint8(r.IntN(256))}[gi%4]
			src := randBytes(r, g.InLen())
			ep := randQEpilogue(r, kind, cout, g.KH*g.KW)
			ldd := cout + 2
			m := g.OutPixels()
			got := newQBuf(kind, m*ldd)
			par := newQBuf(kind, m*ldd)
			QDepthwiseConv(got.out(0), ldd, src, &g, mult, za, pw, ep)
			pool.QDepthwiseConv(par.out(0), ldd, src, &g, mult, za, pw, ep)
			// A depthwise convolution is a grouped one with C groups
			// of one input channel and mult outputs each.
			want := refQConv(src, &g, za, g.C, cout, w, zb, ep.Bias)
			for p := 0; p < m; p++ {
				for j := 0; j < cout; j++ {
					wv := refStore(kind, want[p*cout+j], ep, j)
					if v := got.get(p*ldd + j); v != wv {
						t.Fatalf("geometry %d mult %d kind %d: pixel %d channel %d = %v, want %v", gi, mult, kind, p, j, v, wv)
					}
					if v := par.get(p*ldd + j); v != wv {
						t.Fatalf("geometry %d mult %d: pool pixel %d channel %d = %v, want %v", gi, mult, p, j, v, wv)
					}
				}
			}
		}
	}
}

// refQuantize is QuantizeLinear as the specification writes it, in
// float64 after the float32 division: saturate(rint(x/scale) + zero).
func refQuantize(x, scale float32, zero, lo, hi int32) int32 {
	v := float64(x / scale)
	if math.IsNaN(v) {
		return zero
	}
	r := math.RoundToEven(v) + float64(zero)
	return int32(math.Max(float64(lo), math.Min(float64(hi), r)))
}

// refDQ is DequantizeLinear in float32.
func refDQ(x uint8, scale float32, zero int32) float32 {
	return (float32(x) - float32(zero)) * scale
}

func TestQPools(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	for _, is := range qewISAs() {
		qewISA = is
		t.Run(is.String(), testQPools)
	}
}

func testQPools(t *testing.T) {
	defer splitEverything()()
	pool := NewPool(2)
	defer pool.Close()
	r := rand.New(rand.NewPCG(14, 14))
	for gi, g := range dwGeoms {
		src := randBytes(r, g.InLen())
		q := &QRequant{InScale: float32(0.01 + r.Float64()), InZero: int32(r.IntN(256)), OutScale: float32(0.01 + r.Float64()), OutZero: int32(r.IntN(256))}
		if gi%3 == 0 {
			q.OutScale, q.OutZero = q.InScale, q.InZero
		}
		n := g.OutPixels() * g.C
		got, par := make([]uint8, n), make([]uint8, n)
		QMaxPool(got, src, &g)
		pool.QMaxPool(par, src, &g)
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				for c := 0; c < g.C; c++ {
					want := uint8(0)
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							ih := oh*g.StrideH - g.PadT + kh*g.DilH
							iw := ow*g.StrideW - g.PadL + kw*g.DilW
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								want = max(want, src[(ih*g.W+iw)*g.C+c])
							}
						}
					}
					i := (oh*g.OW+ow)*g.C + c
					if got[i] != want || par[i] != want {
						t.Fatalf("geometry %d: max pool output %d = %d (pool %d), want %d", gi, i, got[i], par[i], want)
					}
				}
			}
		}
		for _, v := range []struct{ incl, signed bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			incl := v.incl
			q.Signed = v.signed
			QAvgPool(got, src, &g, incl, q)
			pool.QAvgPool(par, src, &g, incl, q)
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					for c := 0; c < g.C; c++ {
						// ONNX Runtime's QLinearAveragePool: float32 on
						// the dequantized codes, in kernel order.
						var sum float32
						var s int64
						cnt := 0
						for kh := 0; kh < g.KH; kh++ {
							for kw := 0; kw < g.KW; kw++ {
								ih := oh*g.StrideH - g.PadT + kh*g.DilH
								iw := ow*g.StrideW - g.PadL + kw*g.DilW
								if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
									x := src[(ih*g.W+iw)*g.C+c]
									sum += refDQ(x, q.InScale, q.InZero)
									s += int64(x) - int64(q.InZero)
									cnt++
								}
							}
						}
						if incl {
							cnt = g.KH * g.KW
						}
						off := int32(0)
						if v.signed {
							off = 128
						}
						want := int32(0)
						if f := float64(sum/float32(cnt)/q.OutScale + float32(q.OutZero-off)); f >= -(1<<31) && f < 1<<31 {
							want = min(max(int32(math.RoundToEven(f)), -off), 255-off) + off
						}
						i := (oh*g.OW+ow)*g.C + c
						if int32(got[i]) != want || par[i] != got[i] {
							t.Fatalf("geometry %d %+v: avg pool output %d = %d (pool %d), want %d", gi, v, i, got[i], par[i], want)
						}
						// Within a code of the float average of the
						// dequantized window.
						if cnt == 0 {
							continue
						}
						ideal := float64(s)*float64(q.InScale)/float64(cnt)/float64(q.OutScale) + float64(q.OutZero)
						ideal = math.Max(0, math.Min(255, ideal))
						if math.Abs(float64(got[i])-ideal) > 0.5+1e-3 {
							t.Fatalf("geometry %d: avg pool output %d = %d, ideal %v", gi, i, got[i], ideal)
						}
					}
				}
			}
		}
		q.Signed = false
		// Global pools over the whole image.
		hw := g.H * g.W
		gm, ga := make([]uint8, g.C), make([]uint8, g.C)
		QGlobalMaxPool(gm, src, hw, g.C)
		QGlobalAvgPool(ga, src, hw, g.C, q)
		m := q.InScale / (q.OutScale * float32(hw)) // ONNX Runtime's (MLAS's) multiplier
		for c := 0; c < g.C; c++ {
			var s int64
			mx := uint8(0)
			for p := 0; p < hw; p++ {
				s += int64(src[p*g.C+c]) - int64(q.InZero)
				mx = max(mx, src[p*g.C+c])
			}
			if gm[c] != mx {
				t.Fatalf("geometry %d: global max %d = %d, want %d", gi, c, gm[c], mx)
			}
			if want := refRequant(int32(s), m, q.OutZero, 0, 255); int32(ga[c]) != want {
				t.Fatalf("geometry %d: global average %d = %d, want %d", gi, c, ga[c], want)
			}
		}
		// An average pool whose kernel is the whole image, without
		// padding, is the global one, as in ONNX Runtime.
		whole := Window{H: g.H, W: g.W, C: g.C, KH: g.H, KW: g.W, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 1, OW: 1}
		for _, incl := range []bool{false, true} {
			QAvgPool(got, src, &whole, incl, q)
			pool.QAvgPool(par, src, &whole, incl, q)
			for c := 0; c < g.C; c++ {
				if got[c] != ga[c] || par[c] != ga[c] {
					t.Fatalf("geometry %d: avg pool over the whole image %d = %d (pool %d), global average %d", gi, c, got[c], par[c], ga[c])
				}
			}
		}
	}
}

func TestQuantizeLinear(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	for _, is := range qewISAs() {
		qewISA = is
		t.Run(is.String(), testQuantizeLinear)
	}
}

func testQuantizeLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 15))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e30, -1e30, 3e9, -3e9}
	for _, c := range []int{1, 3, 16} {
		n := c * 50
		src := make([]float32, n)
		scale := make([]float32, c)
		z8 := make([]uint8, c)
		zs := make([]int8, c)
		for i := range scale {
			// Powers of two make exact ties of x/scale easy to hit.
			scale[i] = float32(math.Ldexp(1, -r.IntN(8)))
			if i%2 == 1 {
				scale[i] = float32(0.001 + r.Float64())
			}
			z8[i] = []uint8{0, 128, 255}[i%3]
			zs[i] = int8([]int{-128, 0, 127}[i%3])
		}
		for i := range src {
			s := scale[i%c]
			switch i % 4 {
			case 0: // ties: (k + 0.5)*scale
				src[i] = (float32(r.IntN(600)-300) + 0.5) * s
			case 1:
				src[i] = special[r.IntN(len(special))]
			default:
				src[i] = float32(r.Float64()*600-300) * s
			}
		}
		u, sg := make([]uint8, n), make([]int8, n)
		QuantizeU8(u, src, scale, z8)
		QuantizeS8(sg, src, scale, zs)
		for i, x := range src {
			ch := i % c
			if want := refQuantize(x, scale[ch], int32(z8[ch]), 0, 255); int32(u[i]) != want {
				t.Fatalf("c=%d: QuantizeU8(%v / %v + %d) = %d, want %d", c, x, scale[ch], z8[ch], u[i], want)
			}
			if want := refQuantize(x, scale[ch], int32(zs[ch]), -128, 127); int32(sg[i]) != want {
				t.Fatalf("c=%d: QuantizeS8(%v / %v + %d) = %d, want %d", c, x, scale[ch], zs[ch], sg[i], want)
			}
		}
		// Per tensor, without zero points.
		QuantizeU8(u, src, scale[:1], nil)
		for i, x := range src {
			if want := refQuantize(x, scale[0], 0, 0, 255); int32(u[i]) != want {
				t.Fatalf("per tensor: QuantizeU8(%v) = %d, want %d", x, u[i], want)
			}
		}
		// Dequantize the codes back.
		f := make([]float32, n)
		QuantizeU8(u, src, scale, z8)
		DequantizeU8(f, u, scale, z8)
		for i := range u {
			ch := i % c
			if want := refDQ(u[i], scale[ch], int32(z8[ch])); f[i] != want {
				t.Fatalf("DequantizeU8(%d) = %v, want %v", u[i], f[i], want)
			}
		}
		DequantizeS8(f, sg, scale, zs)
		for i := range sg {
			ch := i % c
			if want := (float32(sg[i]) - float32(zs[ch])) * scale[ch]; f[i] != want {
				t.Fatalf("DequantizeS8(%d) = %v, want %v", sg[i], f[i], want)
			}
		}
		i32 := make([]int32, n)
		for i := range i32 {
			i32[i] = int32(r.Uint32())
		}
		DequantizeInt32(f, i32, scale)
		for i := range i32 {
			if want := float32(i32[i]) * scale[i%c]; f[i] != want {
				t.Fatalf("DequantizeInt32(%d) = %v, want %v", i32[i], f[i], want)
			}
		}
	}
	// int8 <-> uint8 codes.
	all := make([]int8, 256)
	for i := range all {
		all[i] = int8(i - 128)
	}
	u := make([]uint8, 256)
	back := make([]int8, 256)
	S8ToU8(u, all)
	U8ToS8(back, u)
	for i := range all {
		if int(u[i]) != int(all[i])+128 || back[i] != all[i] {
			t.Fatalf("S8ToU8(%d) = %d, back %d", all[i], u[i], back[i])
		}
	}
}

func TestQElementwise(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	for _, is := range qewISAs() {
		qewISA = is
		t.Run(is.String(), testQElementwise)
	}
}

func testQElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	for trial := 0; trial < 40; trial++ {
		n := 1 + r.IntN(300)
		bn := n
		if trial%3 == 1 {
			bn = []int{1, 2, 3, 5, 8, 13, 24, 64}[r.IntN(8)]
			n = bn * (1 + r.IntN(40))
		}
		a, b := randBytes(r, n), randBytes(r, bn)
		q := &QBinary{
			AScale: float32(0.001 + r.Float64()/10), AZero: int32(r.IntN(256)),
			BScale: float32(0.001 + r.Float64()/10), BZero: int32(r.IntN(256)),
			YScale: float32(0.001 + r.Float64()/5), YZero: int32(r.IntN(256)),
		}
		if trial%4 == 0 {
			q.AScale, q.BScale, q.YScale = 0.5, 0.25, 1 // exact ties
		}
		if trial%5 == 0 {
			q.Clamp, q.Lo, q.Hi = true, q.YZero, 255
		}
		lo, hi := q.rangeOf("test")
		dst := make([]uint8, n)
		QAdd(dst, a, b, q)
		for i := range dst {
			if want := refQAdd(a[i], b[i%bn], q, lo, hi); int32(dst[i]) != want {
				t.Fatalf("trial %d: QAdd element %d = %d, want %d", trial, i, dst[i], want)
			}
		}
		QMul(dst, a, b, q)
		for i := range dst {
			if want := refQMul(a[i], b[i%bn], q, lo, hi); int32(dst[i]) != want {
				t.Fatalf("trial %d: QMul element %d = %d, want %d", trial, i, dst[i], want)
			}
		}
		// In place.
		want := append([]uint8(nil), dst...)
		QMul(a, a, b, q)
		for i := range a {
			if a[i] != want[i] {
				t.Fatalf("trial %d: QMul in place differs at %d", trial, i)
			}
		}
	}
}

func TestQRequantize(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	rows, cols, lds, ldd := 7, 5, 9, 12
	src := randBytes(r, rows*lds)
	for _, same := range []bool{false, true} {
		q := &QRequant{InScale: 0.05, InZero: 100, OutScale: 0.07, OutZero: 30}
		if same {
			q.OutScale, q.OutZero = q.InScale, q.InZero
		}
		dst := make([]uint8, rows*ldd)
		for i := range dst {
			dst[i] = 0x5a
		}
		QRequantize(dst[2:], ldd, src, lds, rows, cols, q)
		for i := 0; i < rows; i++ {
			for j := 0; j < ldd; j++ {
				got := dst[i*ldd+j]
				if j < 2 || j >= 2+cols {
					if got != 0x5a {
						t.Fatalf("same=%v: element (%d,%d) outside the columns changed", same, i, j)
					}
					continue
				}
				x := src[i*lds+j-2]
				want := int32(x)
				if !same {
					want = refQuantize(refDQ(x, q.InScale, q.InZero), q.OutScale, q.OutZero, 0, 255)
				}
				if int32(got) != want {
					t.Fatalf("same=%v: element (%d,%d) = %d, want %d", same, i, j, got, want)
				}
			}
		}
	}
}

// TestQAllocs checks that the quantized kernels allocate nothing.
func TestQAllocs(t *testing.T) {
	defer splitEverything()()
	r := rand.New(rand.NewPCG(18, 18))
	g := convGeoms[9]
	src := randBytes(r, g.InLen())
	k := g.KH * g.KW * g.C
	pb := PackQConv(randInt8s(r, 32*k), 32, g.C, g.KH, g.KW, nil)
	pw := PackQDepthwise(randInt8s(r, g.C*9), g.C, 3, 3, nil)
	pool := NewPool(2)
	defer pool.Close()
	out := make([]uint8, g.OutPixels()*32)
	out32 := make([]int32, g.OutPixels()*32)
	work := make([]uint8, pool.QConv2DWorkSize(&g, k))
	col := make([]uint8, g.OutPixels()*k)
	bias := make([]int32, 32)
	f := make([]float32, g.InLen())
	q := &QRequant{InScale: 0.1, InZero: 3, OutScale: 0.2, OutZero: 4}
	qb := &QBinary{AScale: 0.1, BScale: 0.2, YScale: 0.3}
	// Scales are package-level slices in generated code.
	sc := []float32{0.01}
	fns := map[string]func(){
		"QGemm": func() {
			QIm2col(col, src, &g, 0, g.C, 7)
			QGemm(g.OutPixels(), col, k, 7, pb, OutU8(out), 32, &QEpilogue{Bias: bias, Scale: sc, ZeroPoint: 3})
			pool.QGemm(g.OutPixels(), col, k, 7, pb, OutInt32(out32), 32, nil)
		},
		"QConv2D": func() {
			QConv2D(OutU8(out), 32, src, &g, 0, 7, pb, &QEpilogue{Bias: bias, Scale: sc, ZeroPoint: 3}, work)
			pool.QConv2D(OutU8(out), 32, src, &g, 0, 7, pb, &QEpilogue{Bias: bias, Scale: sc, ZeroPoint: 3}, work)
		},
		"QDepthwiseConv": func() {
			QDepthwiseConv(OutU8(out), g.C, src, &g, 1, 7, pw, &QEpilogue{Scale: sc})
			pool.QDepthwiseConv(OutU8(out), g.C, src, &g, 1, 7, pw, &QEpilogue{Scale: sc})
		},
		"QPools": func() {
			QMaxPool(out, src, &g)
			pool.QMaxPool(out, src, &g)
			QAvgPool(out, src, &g, true, q)
			pool.QAvgPool(out, src, &g, false, q)
			QGlobalAvgPool(out, src, g.H*g.W, g.C, q)
			QGlobalMaxPool(out, src, g.H*g.W, g.C)
		},
		"Elementwise": func() {
			QuantizeU8(src, f, []float32{0.1}, nil)
			DequantizeU8(f, src, []float32{0.1}, []uint8{3})
			QAdd(out[:len(src)], src, src, qb)
			QMul(out[:len(src)], src, src[:g.C], qb)
			QRequantize(out, g.C, src, g.C, g.H*g.W, g.C, q)
		},
	}
	for name, f := range fns {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s allocates %v times per run", name, n)
		}
	}
}

// TestQContractPanics checks that violated contracts of the quantized
// kernels panic up front, naming the function.
func TestQContractPanics(t *testing.T) {
	pb := PackQB(4, 3, make([]int8, 12), 3, false, nil)
	g := convGeoms[0]
	ep := &QEpilogue{Scale: []float32{1}}
	calls := map[string]func(){
		"short a":   func() { QGemm(2, make([]uint8, 7), 4, 0, pb, OutU8(make([]uint8, 6)), 3, ep) },
		"short c":   func() { QGemm(2, make([]uint8, 8), 4, 0, pb, OutU8(make([]uint8, 5)), 3, ep) },
		"small ldc": func() { QGemm(2, make([]uint8, 8), 4, 0, pb, OutU8(make([]uint8, 6)), 2, ep) },
		"nil ep":    func() { QGemm(2, make([]uint8, 8), 4, 0, pb, OutU8(make([]uint8, 6)), 3, nil) },
		"no scale":  func() { QGemm(2, make([]uint8, 8), 4, 0, pb, OutU8(make([]uint8, 6)), 3, &QEpilogue{}) },
		"short scale": func() {
			QGemm(2, make([]uint8, 8), 4, 0, pb, OutU8(make([]uint8, 6)), 3, &QEpilogue{Scale: []float32{1, 2}})
		},
		"short bias": func() {
			QGemm(2, make([]uint8, 8), 4, 0, pb, OutInt32(make([]int32, 6)), 3, &QEpilogue{Bias: []int32{1}})
		},
		"zero point": func() {
			QGemm(2, make([]uint8, 8), 4, 0, pb, OutS8(make([]int8, 6)), 3, &QEpilogue{Scale: []float32{1}, ZeroPoint: 200})
		},
		"empty clamp": func() {
			QGemm(2, make([]uint8, 8), 4, 0, pb, OutU8(make([]uint8, 6)), 3, &QEpilogue{Scale: []float32{1}, Clamp: true, Lo: 10, Hi: 5})
		},
		"short b":     func() { PackQB(4, 3, make([]int8, 11), 3, false, nil) },
		"zero points": func() { PackQB(4, 3, make([]int8, 12), 3, false, []int8{1, 2}) },
		"conv K":      func() { QConv2D(OutU8(make([]uint8, 1000)), 3, make([]uint8, g.InLen()), &g, 0, 0, pb, ep, nil) },
		"conv work": func() {
			QConv2D(OutU8(make([]uint8, 1000)), 3, make([]uint8, g.InLen()), &g, 0, 0, PackQConv(make([]int8, 27*3), 3, 3, 3, 3, nil), ep, nil)
		},
		"depthwise w": func() {
			QDepthwiseConv(OutU8(make([]uint8, 1000)), 3, make([]uint8, g.InLen()), &g, 1, 0, PackQDepthwise(make([]int8, 12), 3, 2, 2, nil), ep)
		},
		"im2col":        func() { QIm2col(make([]uint8, 10), make([]uint8, g.InLen()), &g, 0, g.C, 0) },
		"pool":          func() { QMaxPool(make([]uint8, 1000), make([]uint8, 3), &g) },
		"avg pool":      func() { QAvgPool(make([]uint8, 1000), make([]uint8, g.InLen()), &g, false, nil) },
		"quantize":      func() { QuantizeU8(make([]uint8, 4), make([]float32, 6), []float32{1, 2, 3, 4}, nil) },
		"quantize dst":  func() { QuantizeU8(make([]uint8, 4), make([]float32, 6), []float32{1}, nil) },
		"add broadcast": func() { QAdd(make([]uint8, 6), make([]uint8, 6), make([]uint8, 4), &QBinary{}) },
		"requantize":    func() { QRequantize(make([]uint8, 4), 2, make([]uint8, 4), 2, 3, 2, &QRequant{}) },
	}
	for name, f := range calls {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if s, ok := r.(string); !ok || len(s) < 8 || s[:8] != "runtime." {
					t.Errorf("%s: panic %v does not name the function", name, r)
				}
			}()
			f()
		}()
	}
}

// TestPoolQGemm checks that Pool.QGemm, split by rows or by panels,
// writes the same bits as QGemm.
func TestPoolQGemm(t *testing.T) {
	defer splitEverything()()
	pool := NewPool(3)
	defer pool.Close()
	withQKernel(t, func(t *testing.T, kern *qkernel) {
		r := rand.New(rand.NewPCG(19, 19))
		for _, s := range [][3]int{{1, 70, 100}, {3, 33, 200}, {50, 20, 17}, {97, 64, 48}, {8, 5, 300}} {
			m, k, n := s[0], s[1], s[2]
			a := randBytes(r, m*k)
			w := randInt8s(r, k*n)
			ubswWeights(kern, w)
			pb := packQB(kern, k, n, w, n, false, randInt8s(r, 1))
			wantKernel(t, pb, kern)
			for kind := qOutI32; kind <= qOutS8; kind++ {
				ep := randQEpilogue(r, kind, n, k)
				want, got := newQBuf(kind, m*n), newQBuf(kind, m*n)
				QGemm(m, a, k, 9, pb, want.out(0), n, ep)
				pool.QGemm(m, a, k, 9, pb, got.out(0), n, ep)
				for i := 0; i < m*n; i++ {
					if got.get(i) != want.get(i) {
						t.Fatalf("%dx%dx%d kind %d: element %d = %v, serial %v", m, k, n, kind, i, got.get(i), want.get(i))
					}
				}
			}
		}
	})
}

// TestQUBSWSelect checks the choice between the VPMADDUBSW kernel and its
// fallback: one weight pair over the bound anywhere (any column, any pair
// of a group, the last pair of K, a narrow last panel, either layout,
// through PackQConv's reordering too) sends the whole tensor to the
// exact kernel, and weights within it keep the fast one. A pair is
// k = 2i, 2i+1; an odd last k is paired with padding and never violates.
func TestQUBSWSelect(t *testing.T) {
	var ub *qkernel
	for _, kern := range qkernels {
		if kern.ubsw {
			ub = kern
		}
	}
	if ub == nil {
		t.Skip("no VPMADDUBSW kernel on this machine")
	}
	// The VPMADDUBSW kernel is the best one only without VNNI; this
	// test is about its selection, so it makes it the best for PackQB
	// and PackQConv while it runs.
	if want := qkernels[0]; bestQKernel != want {
		t.Fatalf("bestQKernel is %s, want %s, the first available", bestQKernel.name, want.name)
	}
	if hasVNNI := qkernels[0].vnni; !hasVNNI && bestQKernel != ub {
		t.Fatalf("bestQKernel is %s without VNNI, want %s", bestQKernel.name, ub.name)
	}
	defer func(k *qkernel) { bestQKernel = k }(bestQKernel)
	bestQKernel = ub
	r := rand.New(rand.NewPCG(23, 23))
	for _, s := range [][2]int{{2, 1}, {4, 8}, {5, 9}, {7, 31}, {64, 24}, {67, 40}, {576, 64}} {
		k, n := s[0], s[1]
		for trial := 0; trial < 20; trial++ {
			w := randInt8s(r, k*n)
			ubswWeights(ub, w) // all pairs within the bound
			transB := trial%2 == 1
			at := func(kk, j int) *int8 {
				if transB {
					return &w[j*k+kk]
				}
				return &w[kk*n+j]
			}
			ld := n
			if transB {
				ld = k
			}
			if pb := PackQB(k, n, w, ld, transB, nil); pb.Kernel() != ub.name {
				t.Fatalf("k %d n %d: fitting weights packed for %s", k, n, pb.Kernel())
			}
			// One pair over the bound by one: 64 + 65, or -128 and 1.
			j, kk := r.IntN(n), 2*r.IntN(k/2)
			switch trial % 4 {
			case 0:
				j = n - 1
			case 1:
				kk = (k/2 - 1) * 2
			}
			w0, w1 := int8(64), int8(-65)
			if r.IntN(2) == 0 {
				w0, w1 = -128, 1
			}
			if r.IntN(2) == 0 {
				w0, w1 = w1, w0
			}
			*at(kk, j), *at(kk+1, j) = w0, w1
			if pb := packQB(ub, k, n, w, ld, transB, nil); pb.kern != ub.fallback {
				t.Fatalf("k %d n %d: pair (%d, %d) of column %d = (%d, %d) packed for %s", k, n, kk, kk+1, j, w0, w1, pb.kern.name)
			}
			if pb := PackQB(k, n, w, ld, transB, nil); pb.Kernel() != ub.fallback.name {
				t.Fatalf("k %d n %d: PackQB packed a violating pair for %s", k, n, pb.Kernel())
			}
		}
	}
	// PackQConv checks the pairs of the GEMM's K order (kh, kw, c), not
	// ONNX's: channels 0 and 1 of one tap are a pair, taps of one channel
	// are not.
	cout, cin := 3, 2
	w := make([]int8, cout*cin*3*3) // [cout][cin][kh][kw]
	for tap := 0; tap < 9; tap++ {
		w[0*9+tap] = 100 // channel 0 of output 0, every tap
	}
	if pb := PackQConv(w, cout, cin, 3, 3, nil); pb.Kernel() != ub.name {
		t.Fatalf("taps of one channel judged as pairs: packed for %s", pb.Kernel())
	}
	w[1*9+4] = 29 // channel 1 of output 0, centre tap: 100 + 29 > 128
	if pb := PackQConv(w, cout, cin, 3, 3, nil); pb.Kernel() != ub.fallback.name {
		t.Fatalf("channel pair over the bound packed for %s", pb.Kernel())
	}
}

// TestQGemmAMX runs the AMX kernel on products that reach its 32-row tile
// blocks (K of at least two 64-byte steps, with and without a partial
// last one), with rows left over for its VNNI tail, narrow last panels,
// every output kind, weight zero points and strided operands.
func TestQGemmAMX(t *testing.T) {
	var kern *qkernel
	for _, k := range qkernels {
		if k.amx {
			kern = k
		}
	}
	if kern == nil {
		t.Skip("no AMX-INT8 on this machine")
	}
	r := rand.New(rand.NewPCG(31, 31))
	i := 0
	for _, m := range []int{32, 45, 64, 100} {
		for _, k := range []int{64, 128, 129, 200, 576} {
			for _, n := range []int{16, 30, 32, 48, 80} {
				i++
				kind := qKind(i % 4)
				tc := qgemmCase{m: m, n: n, k: k, kind: kind, za: uint8(r.IntN(256)), data: "rand",
					bias: i%2 == 0, perCol: i%3 == 0, transB: i%5 == 0, zb: []string{"", "tensor", "col"}[i%3]}
				if i%7 == 0 {
					tc.lda, tc.ldc, tc.coff = k+9, n+5, 2
				}
				if i%2 == 1 {
					tc.aslack = 32*max(tc.lda, k) + 64 // room for a last, partial AMX block
				}
				if kind == qOutS8 {
					tc.zy = int32(r.IntN(256) - 128)
				} else if kind == qOutU8 {
					tc.zy = int32(r.IntN(256))
					tc.clamp, tc.lo, tc.hi = i%4 == 2, tc.zy, 255
				}
				runQGemmCase(t, kern, r, tc)
			}
		}
	}
	for _, data := range []string{"max", "min", "mixed"} {
		runQGemmCase(t, kern, r, qgemmCase{m: 64, n: 32, k: 576, kind: qOutI32, za: 0, data: data})
	}
}
