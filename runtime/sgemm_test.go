package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// act64 is the float64 reference for every activation, written in the
// forms that float64 evaluates without cancellation or overflow, so that it
// is exact to float32 precision for every float32 input.
func act64(k ActKind, x, alpha, beta float64) float64 {
	switch k {
	case ActRelu:
		return math.Max(x, 0)
	case ActClip:
		return math.Min(math.Max(x, alpha), beta)
	case ActLeakyRelu:
		if x < 0 {
			return alpha * x
		}
		return x
	case ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case ActTanh:
		return math.Tanh(x)
	case ActHardSigmoid:
		return math.Max(0, math.Min(1, alpha*x+beta))
	case ActHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case ActElu:
		if x < 0 {
			return alpha * math.Expm1(x)
		}
		return x
	case ActSelu:
		if x > 0 {
			return beta * x
		}
		return beta * alpha * math.Expm1(x)
	case ActSoftplus:
		return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	case ActSilu:
		return x / (1 + math.Exp(-x))
	case ActErf:
		return math.Erf(x)
	case ActGelu:
		// 1 + erf(x/sqrt2) = erfc(-x/sqrt2), which keeps the negative
		// tail's precision.
		return 0.5 * x * math.Erfc(-x/math.Sqrt2)
	case ActGeluTanh:
		// (1+tanh(y))/2 = sigmoid(2y), likewise.
		return x / (1 + math.Exp(-2*math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case ActExp:
		return math.Exp(x)
	}
	return x
}

// actParams are parameters that exercise each activation's interesting
// region for inputs of magnitude up to a few units.
var actParams = []struct {
	kind        ActKind
	alpha, beta float32
}{
	{ActNone, 0, 0},
	{ActRelu, 0, 0},
	{ActClip, 0, 6},
	{ActClip, -0.5, 0.25},
	{ActLeakyRelu, 0.1, 0},
	{ActLeakyRelu, -1.5, 0},
	{ActSigmoid, 0, 0},
	{ActTanh, 0, 0},
	{ActHardSigmoid, 0.2, 0.5},
	{ActHardSwish, 0, 0},
	{ActElu, 1, 0},
	{ActSelu, 1.6732632, 1.050701},
	{ActSoftplus, 0, 0},
	{ActSilu, 0, 0},
	{ActErf, 0, 0},
	{ActGelu, 0, 0},
	{ActGeluTanh, 0, 0},
	{ActExp, 0, 0},
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// close reports whether got is within tol of want, treating NaN as equal
// to NaN.
func closeTo(got float32, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(float64(got))
	}
	if math.IsInf(want, 0) {
		return float64(got) == want
	}
	return math.Abs(float64(got)-want) <= tol
}

// withKernel runs f once for every kernel this machine can execute, naming
// the subtest after it, so the portable kernel is always tested too.
func withKernel(t *testing.T, f func(t *testing.T, kern *kernel)) {
	for _, kern := range kernels {
		t.Run(kern.name, func(t *testing.T) { f(t, kern) })
	}
}

type gemmCase struct {
	m, n, k    int
	lda, ldc   int // 0 means tight
	coff       int // column offset of C (and residual) within rows of ldc
	transB     bool
	bias, res  bool
	alias      bool // residual is C itself
	act        ActKind
	alpha, bet float32
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("m%d_n%d_k%d_lda%d_ldc%d_off%d_t%v_b%v_r%v_al%v_%v", tc.m, tc.n, tc.k, tc.lda, tc.ldc, tc.coff, tc.transB, tc.bias, tc.res, tc.alias, tc.act)
}

func runGemmCase(t *testing.T, kern *kernel, r *rand.Rand, tc gemmCase) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	lda := max(tc.lda, k)
	ldc := max(tc.ldc, n+tc.coff)
	a := randSlice(r, max(0, (m-1)*lda+k))
	var bsrc []float32
	ldb := n
	if tc.transB {
		ldb = k + 3
		bsrc = randSlice(r, max(0, n*ldb))
	} else {
		ldb = n + 1
		bsrc = randSlice(r, max(0, k*ldb))
	}
	bij := func(kk, j int) float32 {
		if tc.transB {
			return bsrc[j*ldb+kk]
		}
		return bsrc[kk*ldb+j]
	}
	pb := packB(kern, k, n, bsrc, ldb, tc.transB)
	full := randSlice(r, m*ldc)
	orig := append([]float32(nil), full...)
	var ep *Epilogue
	var bias, res []float32
	if tc.bias || tc.res || tc.alias || tc.act != ActNone {
		ep = &Epilogue{Act: tc.act, Alpha: tc.alpha, Beta: tc.bet}
	}
	if tc.bias {
		bias = randSlice(r, n)
		ep.Bias = bias
	}
	if tc.res {
		res = randSlice(r, m*ldc)
		ep.Residual = res[tc.coff:]
	}
	if tc.alias {
		ep.Residual = full[tc.coff:]
	}
	work := make([]float32, SgemmWorkSize(m, k))
	Sgemm(m, a, lda, pb, full[tc.coff:], ldc, ep, work)
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := full[i*ldc+j]
			jj := j - tc.coff
			if jj < 0 || jj >= n {
				if got != orig[i*ldc+j] {
					t.Fatalf("%v: C[%d,%d] outside the output changed: %v -> %v", tc, i, j, orig[i*ldc+j], got)
				}
				continue
			}
			var sum, abs float64
			for kk := 0; kk < k; kk++ {
				p := float64(a[i*lda+kk]) * float64(bij(kk, jj))
				sum += p
				abs += math.Abs(p)
			}
			if tc.bias {
				sum += float64(bias[jj])
				abs += math.Abs(float64(bias[jj]))
			}
			if tc.res {
				v := float64(res[i*ldc+j])
				sum += v
				abs += math.Abs(v)
			}
			if tc.alias {
				v := float64(orig[i*ldc+j])
				sum += v
				abs += math.Abs(v)
			}
			want := act64(tc.act, sum, float64(tc.alpha), float64(tc.bet))
			// float32 accumulation error is bounded by (terms * eps * sum of
			// magnitudes); activations have slopes of at most ~2 here,
			// except Exp, whose slope is its value.
			slope := 2.0
			if tc.act == ActExp {
				slope = max(slope, want)
			}
			tol := slope*float64(k+3)*6e-8*abs + 2e-6*math.Abs(want) + 1e-6
			if !closeTo(got, want, tol) {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (tol %g)", tc, i, jj, got, want, tol)
			}
		}
	}
}

func TestSgemmShapes(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 8, 13, 16, 17, 31, 32, 33, 48, 65, 127}
	withKernel(t, func(t *testing.T, kern *kernel) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range []int{1, 3, 17, 64, 255} {
					runGemmCase(t, kern, r, gemmCase{m: m, n: n, k: k, transB: (m+n+k)%2 == 0})
				}
			}
		}
	})
}

func TestSgemmLarge(t *testing.T) {
	cases := []gemmCase{
		{m: 255, n: 65, k: 127},
		{m: 127, n: 255, k: 65, transB: true},
		{m: 300, n: 64, k: 600, bias: true, act: ActRelu}, // several K blocks
		{m: 49, n: 130, k: 1100, bias: true, res: true},   // K blocks with residual
		{m: 3, n: 40, k: 1000, alias: true, act: ActRelu}, // accumulate with K blocks
		{m: 200, n: 17, k: 9, lda: 11, ldc: 50, coff: 7},  // strided output
		{m: 1, n: 1000, k: 513, transB: true, bias: true}, // GEMV
		{m: 97, n: 3, k: 300, ldc: 9, coff: 3, res: true}, // narrow N in a wide row
		{m: 130, n: 96, k: 33, lda: 40, ldc: 97, coff: 1}, // odd ldc
		{m: 7, n: 250, k: 2, act: ActSigmoid, bias: true}, // tiny K
		{m: 66, n: 47, k: 1025, act: ActClip, alpha: -1, bet: 1},
	}
	withKernel(t, func(t *testing.T, kern *kernel) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, tc := range cases {
			runGemmCase(t, kern, r, tc)
		}
	})
}

func TestSgemmEpilogue(t *testing.T) {
	withKernel(t, func(t *testing.T, kern *kernel) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, ap := range actParams {
			for _, shape := range [][3]int{{1, 1, 1}, {5, 17, 9}, {33, 40, 70}, {14, 32, 300}} {
				for variant := 0; variant < 4; variant++ {
					tc := gemmCase{m: shape[0], n: shape[1], k: shape[2], act: ap.kind, alpha: ap.alpha, bet: ap.beta,
						bias: variant&1 != 0, res: variant == 2, alias: variant == 3, ldc: shape[1] + 3, coff: variant}
					runGemmCase(t, kern, r, tc)
				}
			}
		}
	})
}

func TestSgemmZeroK(t *testing.T) {
	withKernel(t, func(t *testing.T, kern *kernel) {
		r := rand.New(rand.NewPCG(7, 8))
		runGemmCase(t, kern, r, gemmCase{m: 5, n: 20, k: 0})
		runGemmCase(t, kern, r, gemmCase{m: 5, n: 20, k: 0, bias: true, res: true, act: ActSigmoid})
	})
}

func TestPackConv(t *testing.T) {
	// A 3x3 convolution filter in OIHW order must equal PackB of the
	// explicitly reordered [K, N] matrix.
	r := rand.New(rand.NewPCG(9, 10))
	cout, cin, kh, kw := 5, 3, 3, 2
	w := randSlice(r, cout*cin*kh*kw)
	k := kh * kw * cin
	b := make([]float32, k*cout)
	for o := 0; o < cout; o++ {
		for c := 0; c < cin; c++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					b[((y*kw+x)*cin+c)*cout+o] = w[((o*cin+c)*kh+y)*kw+x]
				}
			}
		}
	}
	withKernel(t, func(t *testing.T, kern *kernel) {
		p1 := packConv(kern, w, cout, cin, kh, kw)
		p2 := packB(kern, k, cout, b, cout, false)
		if fmt.Sprint(p1.data) != fmt.Sprint(p2.data) {
			t.Fatalf("PackConv differs from PackB of the reordered filters")
		}
	})
}

func TestSgemmAllocs(t *testing.T) {
	withKernel(t, func(t *testing.T, kern *kernel) {
		r := rand.New(rand.NewPCG(11, 12))
		m, n, k := 70, 40, 300
		a := randSlice(r, m*k)
		pb := packB(kern, k, n, randSlice(r, k*n), n, false)
		c := make([]float32, m*n)
		bias := randSlice(r, n)
		res := randSlice(r, m*n)
		work := make([]float32, SgemmWorkSize(m, k))
		ep := Epilogue{Bias: bias, Residual: res, Act: ActSigmoid}
		allocs := testing.AllocsPerRun(10, func() {
			Sgemm(m, a, k, pb, c, n, &ep, work)
			Sgemm(m, a, k, pb, c, n, &Epilogue{Bias: bias, Act: ActRelu}, work)
			Sgemm(m, a, k, pb, c, n, nil, work)
		})
		if allocs != 0 {
			t.Fatalf("Sgemm allocates %v times per run", allocs)
		}
	})
}

// TestSplitRows checks the M blocking: the blocks cover the rows in
// order, start on a tile boundary, and hold about mc rows each, equal to
// within one tile.
func TestSplitRows(t *testing.T) {
	for _, c := range []struct{ m, mc, mr, blocks int }{
		{1, 96, 6, 1}, {49, 96, 6, 1}, {96, 96, 6, 1}, {143, 96, 6, 1},
		{196, 96, 6, 2}, // 102 + 94, not 96 + 96 + 4
		{784, 96, 6, 8}, {2041, 96, 6, 21}, {3136, 96, 6, 33}, {130, 64, 2, 2},
	} {
		r := splitRows(c.m, c.mc, c.mr)
		if r.n != c.blocks {
			t.Errorf("splitRows(%d, %d, %d): %d blocks, want %d", c.m, c.mc, c.mr, r.n, c.blocks)
		}
	}
	for _, mr := range []int{2, 6, 12} {
		for m := 1; m < 3000; m++ {
			r := splitRows(m, 96, mr)
			next, small, big := 0, m, 0
			for b := 0; b < r.n; b++ {
				lo, hi := r.block(b)
				if lo != next || lo%mr != 0 || hi <= lo {
					t.Fatalf("m=%d mr=%d: block %d is [%d, %d) after %d", m, mr, b, lo, hi, next)
				}
				next = hi
				tiles := (hi - lo + mr - 1) / mr
				small, big = min(small, tiles), max(big, tiles)
			}
			if next != m || big-small > 1 || (r.n > 1 && big*mr > 96*3/2+mr) {
				t.Fatalf("m=%d mr=%d: blocks end at %d, %d to %d tiles", m, mr, next, small, big)
			}
		}
	}
}
