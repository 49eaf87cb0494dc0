package runtime

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// winoGeom returns a 3x3 stride-1 window over h x w x c with the given
// pads, its output size implied by them.
func winoGeom(h, w, c, pt, pl, pb, pr int) Window {
	return Window{H: h, W: w, C: c, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1,
		PadT: pt, PadL: pl, PadB: pb, PadR: pr, OH: h + pt + pb - 2, OW: w + pl + pr - 2}
}

// winoGeoms covers whole and partial edge tiles, images smaller than a
// tile, the pads (0,0,0,0), (1,1,1,1), asymmetric and large ones, and
// channel counts on and off the vector widths.
var winoGeoms = []Window{
	winoGeom(8, 8, 16, 1, 1, 1, 1),
	winoGeom(7, 7, 5, 1, 1, 1, 1),
	winoGeom(9, 13, 3, 0, 0, 0, 0),
	winoGeom(6, 6, 17, 0, 0, 0, 0),
	winoGeom(3, 3, 8, 1, 1, 1, 1),
	winoGeom(1, 1, 33, 1, 1, 1, 1),
	winoGeom(11, 10, 20, 0, 1, 1, 0),
	winoGeom(10, 11, 9, 1, 0, 0, 1),
	winoGeom(5, 12, 24, 2, 0, 1, 2),
	winoGeom(14, 14, 32, 1, 1, 1, 1),
	winoGeom(26, 26, 12, 0, 0, 0, 0),
	winoGeom(2, 9, 1, 2, 2, 2, 2),
	winoGeom(12, 5, 7, 0, 2, 1, 0),
}

// winoCase is one configuration of a Winograd test.
type winoCase struct {
	g      Window
	m      int
	extra  int // output channels beyond the convolution's (ldd = m + extra)
	ep     int // index into winoEpilogues
	res    int // 0 none, 1 separate residual, 2 residual is dst
	serial bool
	tile   int
}

// winoEpilogues lists every kind of epilogue the output transform fuses
// or leaves to Activate.
var winoEpilogues = []struct {
	act         ActKind
	alpha, beta float32
	bias        bool
}{
	{ActNone, 0, 0, false},
	{ActNone, 0, 0, true},
	{ActRelu, 0, 0, true},
	{ActClip, -0.3, 0.4, true},
	{ActLeakyRelu, 0.1, 0, false},
	{ActSigmoid, 0, 0, true},
	{ActHardSwish, 0, 0, false},
}

// checkWino runs one case through WinogradConv3x3 (or a pool's) and checks
// it against the float64 direct convolution, returning the largest error
// relative to the magnitude sum of an output's terms.
func checkWino(t *testing.T, r *rand.Rand, kern *kernel, pool *Pool, tc winoCase) float64 {
	t.Helper()
	g := tc.g
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	c, m := g.C, tc.m
	ldd := m + tc.extra
	w := randSlice(r, m*c*9)
	bias := randSlice(r, m)
	src := randSlice(r, g.InLen())
	n := g.OutPixels()
	dst := randSlice(r, n*ldd)
	orig := append([]float32(nil), dst...)
	e := winoEpilogues[tc.ep]
	ep := &Epilogue{Act: e.act, Alpha: e.alpha, Beta: e.beta}
	if e.bias {
		ep.Bias = bias
	}
	var res []float32
	switch tc.res {
	case 1:
		res = randSlice(r, n*ldd)
		ep.Residual = res
	case 2:
		res = orig
		ep.Residual = dst
	}
	wt := packWinograd(kern, w, m, c, tc.tile)
	if wt.C() != c || wt.M() != m || wt.Tile() != tc.tile {
		t.Fatalf("PackedWinograd sizes %d, %d, %d", wt.C(), wt.M(), wt.Tile())
	}
	// Scratch full of NaNs shows any value the kernel reads before writing.
	work := make([]float32, pool.WinogradWorkSize(&g, m, tc.tile))
	for i := range work {
		work[i] = float32(math.NaN())
	}
	if tc.serial {
		WinogradConv3x3(dst, ldd, src, &g, wt, ep, work)
	} else {
		pool.WinogradConv3x3(dst, ldd, src, &g, wt, ep, work)
	}
	var b []float32
	if e.bias {
		b = bias
	}
	want, mag := refConv(src, &g, 1, m, w, b)
	worst := 0.0
	for p := 0; p < n; p++ {
		for j := 0; j < ldd; j++ {
			got := dst[p*ldd+j]
			if j >= m {
				if got != orig[p*ldd+j] {
					t.Fatalf("%+v: pixel %d channel %d outside the output changed", tc, p, j)
				}
				continue
			}
			pre := want[p*m+j]
			if res != nil {
				pre += float64(res[p*ldd+j])
			}
			wv := act64(e.act, pre, float64(e.alpha), float64(e.beta))
			// The activations here have slopes of at most one, so an
			// error before them bounds the error after.
			errv := math.Abs(float64(got) - wv)
			scale := mag[p*m+j] + 1
			if rel := errv / scale; rel > worst {
				worst = rel
			}
			if errv > 1e-5*scale+1e-6 || math.IsNaN(float64(got)) {
				t.Fatalf("%+v: pixel %d channel %d = %v, want %v (error %.3g, magnitude %.3g)", tc, p, j, got, wv, errv, scale)
			}
		}
	}
	return worst
}

// TestWinogradConv3x3 checks every geometry with several output channel
// counts and epilogues, on every GEMM kernel and transform instruction
// set, serially and on pools.
func TestWinogradConv3x3(t *testing.T) {
	defer splitEverything()()
	defer func(old isa) { winoISA = old }(winoISA)
	defer func(old int) { winoChunkBytes = old }(winoChunkBytes)
	pools := []*Pool{nil, NewPool(2), NewPool(3)}
	for _, p := range pools {
		defer p.Close()
	}
	for _, is := range depthwiseISAs() {
		winoISA = is
		t.Run(is.String(), func(t *testing.T) {
			withKernel(t, func(t *testing.T, kern *kernel) {
				r := rand.New(rand.NewPCG(21, uint64(is)))
				for _, tile := range []int{4, 2} {
					worst := 0.0
					i := 0
					for gi, g := range winoGeoms {
						for _, m := range []int{1, 16, 19, 40} {
							for _, chunk := range []int{512 << 10, 1} {
								// A tiny budget makes every chunk
								// one row tile, so images split.
								winoChunkBytes = chunk
								i++
								tc := winoCase{g: g, m: m, extra: gi % 3, ep: i % len(winoEpilogues), res: i % 3, serial: i%2 == 0, tile: tile}
								worst = max(worst, checkWino(t, r, kern, pools[i%len(pools)], tc))
							}
						}
					}
					t.Logf("F(%dx%d): largest error / magnitude: %.3g", tile, tile, worst)
				}
			})
		})
	}
}

// TestWinogradMatchesConv2D compares WinogradConv3x3 with Conv2D on
// layer shapes of real networks, with activations as ReLU leaves them, and
// reports the largest difference relative to the output's scale.
func TestWinogradMatchesConv2D(t *testing.T) {
	for _, s := range []struct {
		g Window
		m int
	}{
		{winoGeom(56, 56, 64, 1, 1, 1, 1), 64},
		{winoGeom(14, 14, 256, 1, 1, 1, 1), 256},
		{winoGeom(26, 26, 32, 0, 0, 0, 0), 64},
		{winoGeom(32, 32, 3, 1, 1, 1, 1), 32},
	} {
		g, m := s.g, s.m
		r := rand.New(rand.NewPCG(22, uint64(m)))
		// He-initialized filters on non-negative inputs keep activations
		// at unit scale through a network.
		std := math.Sqrt(2 / float64(9*g.C))
		w := make([]float32, m*g.C*9)
		for i := range w {
			w[i] = float32(r.NormFloat64() * std)
		}
		src := make([]float32, g.InLen())
		for i := range src {
			src[i] = float32(max(0, r.NormFloat64()))
		}
		direct := make([]float32, g.OutPixels()*m)
		wino4 := make([]float32, len(direct))
		wino2 := make([]float32, len(direct))
		Conv2D(direct, m, src, &g, 0, PackConv(w, m, g.C, 3, 3), nil, make([]float32, Conv2DWorkSize(&g, 9*g.C)))
		WinogradConv3x3(wino4, m, src, &g, PackWinograd(w, m, g.C, 4), nil, make([]float32, WinogradWorkSize(&g, m, 4)))
		WinogradConv3x3(wino2, m, src, &g, PackWinograd(w, m, g.C, 2), nil, make([]float32, WinogradWorkSize(&g, m, 2)))
		want, _ := refConv(src, &g, 1, m, w, nil)
		var dErr, w4Err, w2Err, rms float64
		for i, v := range want {
			dErr = max(dErr, math.Abs(float64(direct[i])-v))
			w4Err = max(w4Err, math.Abs(float64(wino4[i])-v))
			w2Err = max(w2Err, math.Abs(float64(wino2[i])-v))
			rms += v * v
		}
		rms = math.Sqrt(rms / float64(len(want)))
		t.Logf("%dx%dx%d -> %d: output rms %.3g; max |error| Conv2D %.3g, F(4x4) %.3g, F(2x2) %.3g", g.H, g.W, g.C, m, rms, dErr, w4Err, w2Err)
		if w4Err > 1e-4*rms || w2Err > 2e-5*rms {
			t.Errorf("%dx%dx%d -> %d: Winograd errors %.3g, %.3g exceed 1e-4, 2e-5 of the output scale %.3g", g.H, g.W, g.C, m, w4Err, w2Err, rms)
		}
	}
}

// TestWinogradTransforms checks the assembly transforms against the
// portable ones directly, on channel counts around the vector widths.
func TestWinogradTransforms(t *testing.T) {
	defer func(old isa) { winoISA = old }(winoISA)
	r := rand.New(rand.NewPCG(23, 23))
	for _, is := range depthwiseISAs() {
		if is == isaGo {
			continue
		}
		for _, tc := range [][2]int{{4, 1}, {4, 3}, {4, 7}, {4, 8}, {4, 9}, {4, 15}, {4, 16}, {4, 17}, {4, 31}, {4, 32}, {4, 33}, {4, 64}, {4, 70}, {2, 1}, {2, 8}, {2, 17}, {2, 40}} {
			tile, c := tc[0], tc[1]
			a := tile + 2
			// Input: a tile inside a wider image, V rows wider than c.
			rs, ps, ldv := 9*(c+2), c+2, c+5
			src := randSlice(r, a*rs)
			want := randSlice(r, a*a*ldv)
			got := append([]float32(nil), want...)
			winoISA = isaGo
			winoInput(tile, want, ldv, src, rs, ps, c)
			winoISA = is
			winoInput(tile, got, ldv, src, rs, ps, c)
			for i := range want {
				if !closeTo(got[i], float64(want[i]), 1e-5*(1+math.Abs(float64(want[i])))) {
					t.Fatalf("%v F(%d) c=%d: input V[%d] = %v, Go %v", is, tile, c, i, got[i], want[i])
				}
			}
			// Output, with every flag and partial tiles.
			u := randSlice(r, a*a*ldv)
			bias := randSlice(r, c)
			for _, flags := range []uint{0, tBias | tRes | tClamp, tLeaky | tRes, tBias | tLeaky} {
				for _, rc := range [][2]int{{tile, tile}, {1, tile - 1}, {tile - 1, 1}, {2, 2}} {
					ldd, rsd := c+1, 5*(c+1)
					res := randSlice(r, 4*rsd)
					want := randSlice(r, 4*rsd)
					got := append([]float32(nil), want...)
					// The portable transform overwrites U.
					u2 := append([]float32(nil), u...)
					winoISA = isaGo
					winoOutput(tile, u2, ldv, want, ldd, rsd, rc[0], rc[1], c, bias, res, flags, -2, 3, 0.25)
					winoISA = is
					winoOutput(tile, u, ldv, got, ldd, rsd, rc[0], rc[1], c, bias, res, flags, -2, 3, 0.25)
					for i := range want {
						if !closeTo(got[i], float64(want[i]), 1e-5*(1+math.Abs(float64(want[i])))) {
							t.Fatalf("%v F(%d) c=%d flags %b rows/cols %v: output %d = %v, Go %v", is, tile, c, flags, rc, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestWinogradNaN checks that a NaN input reaches the outputs it feeds
// through every transform and the clamp.
func TestWinogradNaN(t *testing.T) {
	defer func(old isa) { winoISA = old }(winoISA)
	for _, is := range depthwiseISAs() {
		for _, tile := range []int{4, 2} {
			testWinogradNaN(t, is, tile)
		}
	}
}

func testWinogradNaN(t *testing.T, is isa, tile int) {
	winoISA = is
	{
		g := winoGeom(6, 6, 16, 1, 1, 1, 1)
		src := make([]float32, g.InLen())
		src[(2*6+2)*16+5] = float32(math.NaN())
		w := make([]float32, 16*16*9)
		for i := range w {
			w[i] = 1
		}
		dst := make([]float32, g.OutPixels()*16)
		WinogradConv3x3(dst, 16, src, &g, PackWinograd(w, 16, 16, tile), &Epilogue{Act: ActRelu}, make([]float32, WinogradWorkSize(&g, 16, tile)))
		if v := dst[(2*6+2)*16]; !math.IsNaN(float64(v)) {
			t.Errorf("%v F(%d): output next to a NaN input is %v", is, tile, v)
		}
	}
}

// TestPoolWinograd checks that pools give the serial result bit for bit
// (split by tiles or by output channels, every element is computed by the
// same code) and that concurrent callers are safe. Run it with -race.
func TestPoolWinograd(t *testing.T) {
	defer splitEverything()()
	for _, threads := range []int{2, 3} {
		p := NewPool(threads)
		for _, s := range []struct {
			g       Window
			m, tile int
		}{
			{winoGeom(30, 30, 16, 1, 1, 1, 1), 24, 4},   // many tiles: split by tiles
			{winoGeom(28, 28, 128, 1, 1, 1, 1), 128, 4}, // one chunk of 49 tiles: split by tiles in whole row tiles
			{winoGeom(7, 7, 40, 1, 1, 1, 1), 70, 4},     // four tiles: split by channels
			{winoGeom(5, 9, 8, 0, 1, 0, 1), 5, 4},
			{winoGeom(7, 7, 40, 1, 1, 1, 1), 70, 2},
			{winoGeom(20, 21, 9, 1, 1, 1, 1), 11, 2},
		} {
			g, m := s.g, s.m
			r := rand.New(rand.NewPCG(24, uint64(threads)))
			wt := PackWinograd(randSlice(r, m*g.C*9), m, g.C, s.tile)
			src := randSlice(r, g.InLen())
			ep := &Epilogue{Bias: randSlice(r, m), Residual: randSlice(r, g.OutPixels()*m), Act: ActSilu}
			want := make([]float32, g.OutPixels()*m)
			WinogradConv3x3(want, m, src, &g, wt, ep, make([]float32, WinogradWorkSize(&g, m, s.tile)))
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got := make([]float32, len(want))
					p.WinogradConv3x3(got, m, src, &g, wt, ep, make([]float32, p.WinogradWorkSize(&g, m, s.tile)))
					for i := range got {
						if got[i] != want[i] {
							t.Errorf("threads=%d %dx%dx%d->%d: element %d = %v, serial %v", threads, g.H, g.W, g.C, m, i, got[i], want[i])
							return
						}
					}
				}()
			}
			wg.Wait()
		}
		p.Close()
	}
}

func TestWinogradAllocs(t *testing.T) {
	defer splitEverything()()
	g := winoGeom(14, 14, 32, 1, 1, 1, 1)
	r := rand.New(rand.NewPCG(25, 25))
	wt := PackWinograd(randSlice(r, 32*32*9), 32, 32, 4)
	wt2 := PackWinograd(randSlice(r, 32*32*9), 32, 32, 2)
	src := randSlice(r, g.InLen())
	dst := make([]float32, g.OutPixels()*32)
	bias := randSlice(r, 32)
	pool := NewPool(2)
	defer pool.Close()
	work := make([]float32, max(pool.WinogradWorkSize(&g, 32, 4), pool.WinogradWorkSize(&g, 32, 2)))
	f := func() {
		WinogradConv3x3(dst, 32, src, &g, wt, &Epilogue{Bias: bias, Residual: dst, Act: ActRelu}, work)
		pool.WinogradConv3x3(dst, 32, src, &g, wt, &Epilogue{Bias: bias, Act: ActSigmoid}, work)
		pool.WinogradConv3x3(dst, 32, src, &g, wt2, &Epilogue{Bias: bias, Act: ActLeakyRelu, Alpha: 0.1}, work)
	}
	if n := testing.AllocsPerRun(20, f); n != 0 {
		t.Errorf("WinogradConv3x3 allocates %v times per run", n)
	}
}

func TestWinogradPanics(t *testing.T) {
	g := winoGeom(6, 6, 4, 1, 1, 1, 1)
	wt := PackWinograd(make([]float32, 8*4*9), 8, 4, 4)
	work := make([]float32, WinogradWorkSize(&g, 8, 4))
	src := make([]float32, g.InLen())
	dst := make([]float32, g.OutPixels()*8)
	strided := g
	strided.StrideH = 2
	strided.OH = 3
	other := winoGeom(6, 6, 5, 1, 1, 1, 1)
	calls := map[string]func(){
		"nil filters": func() { WinogradConv3x3(dst, 8, src, &g, nil, nil, work) },
		"stride":      func() { WinogradConv3x3(dst, 8, src, &strided, wt, nil, work) },
		"channels":    func() { WinogradConv3x3(dst, 8, make([]float32, other.InLen()), &other, wt, nil, work) },
		"ldd":         func() { WinogradConv3x3(dst, 7, src, &g, wt, nil, work) },
		"short src":   func() { WinogradConv3x3(dst, 8, src[1:], &g, wt, nil, work) },
		"short dst":   func() { WinogradConv3x3(dst[1:], 8, src, &g, wt, nil, work) },
		"short work":  func() { WinogradConv3x3(dst, 8, src, &g, wt, nil, work[1:]) },
		"short bias":  func() { WinogradConv3x3(dst, 8, src, &g, wt, &Epilogue{Bias: make([]float32, 7)}, work) },
		"pool work": func() {
			p := NewPool(2)
			defer p.Close()
			p.WinogradConv3x3(dst, 8, src, &g, wt, nil, work)
		},
		"pack size": func() { PackWinograd(make([]float32, 10), 8, 4, 4) },
		"pack tile": func() { PackWinograd(make([]float32, 8*4*9), 8, 4, 3) },
		"work tile": func() { WinogradWorkSize(&g, 8, 6) },
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
