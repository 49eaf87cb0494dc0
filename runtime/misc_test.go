package runtime

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestExpf(t *testing.T) {
	check := func(x float32) {
		got := float64(expf(x))
		want := math.Exp(float64(x))
		if want > math.MaxFloat32 {
			if !math.IsInf(got, 1) {
				t.Fatalf("expf(%v) = %v, want +Inf", x, got)
			}
			return
		}
		// Two float32 ulps, or an absolute error in the denormal range.
		if math.Abs(got-want) > 2.4e-7*want+1.5e-45 {
			t.Fatalf("expf(%v) = %v, want %v", x, got, want)
		}
	}
	for x := float32(-110); x < 90; x += 0.0137 {
		check(x)
	}
	for _, x := range []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 88.72, 88.73, -87.3, -103.9, -104, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1))} {
		check(x)
	}
	if !math.IsNaN(float64(expf(float32(math.NaN())))) {
		t.Fatalf("expf(NaN) is not NaN")
	}
}

func TestActivate(t *testing.T) {
	var xs []float32
	for x := float32(-12); x <= 12; x += 0.01 {
		xs = append(xs, x)
	}
	xs = append(xs, 0, -1e-7, 1e-7, 80, -80, 100, -100, float32(math.Inf(1)), float32(math.Inf(-1)))
	for _, ap := range actParams {
		got := append([]float32(nil), xs...)
		Activate(got, ap.kind, ap.alpha, ap.beta)
		for i, x := range xs {
			// Rounded to float32, so that results beyond its range
			// want +Inf.
			want := float64(float32(act64(ap.kind, float64(x), float64(ap.alpha), float64(ap.beta))))
			if math.IsInf(float64(x), 0) && math.IsNaN(want) {
				continue // e.g. HardSwish(-Inf) = -Inf*0: either answer will do
			}
			if !closeTo(got[i], want, 1e-6*math.Abs(want)+1e-7) {
				t.Fatalf("%v(%v) = %v, want %v", ap.kind, x, got[i], want)
			}
		}
		nan := []float32{float32(math.NaN())}
		Activate(nan, ap.kind, ap.alpha, ap.beta)
		if ap.kind != ActHardSigmoid && ap.kind != ActHardSwish && !math.IsNaN(float64(nan[0])) {
			t.Errorf("%v(NaN) = %v, want NaN", ap.kind, nan[0])
		}
	}
	if ActSelu.String() != "Selu" || ActKind(200).String() != "ActKind(200)" {
		t.Errorf("ActKind.String: %q, %q", ActSelu.String(), ActKind(200).String())
	}
}

func TestApplyEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	m, n, ldc := 5, 7, 9
	c := randSlice(r, (m-1)*ldc+n)
	orig := append([]float32(nil), c...)
	bias := randSlice(r, n)
	res := randSlice(r, len(c))
	ApplyEpilogue(c, m, n, ldc, &Epilogue{Bias: bias, Residual: res, Act: ActTanh})
	for i := 0; i < m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			k := i*ldc + j
			want := float64(orig[k])
			if j < n {
				want = math.Tanh(want + float64(bias[j]) + float64(res[k]))
			}
			if !closeTo(c[k], want, 1e-6) {
				t.Fatalf("(%d,%d) = %v, want %v", i, j, c[k], want)
			}
		}
	}
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, s := range [][2]int{{1, 1}, {3, 10}, {2, 1000}, {4, 3}} {
		rows, cols := s[0], s[1]
		src := randSlice(r, rows*cols)
		for i := range src {
			src[i] *= 30 // large logits must not overflow
		}
		src[0] = 90
		sm := make([]float32, len(src))
		lsm := append([]float32(nil), src...)
		Softmax(sm, src, rows, cols)
		LogSoftmax(lsm, lsm, rows, cols) // in place
		for i := 0; i < rows; i++ {
			row := src[i*cols : i*cols+cols]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v))
			}
			var sum float64
			for _, v := range row {
				sum += math.Exp(float64(v) - mx)
			}
			for j, v := range row {
				want := math.Exp(float64(v)-mx) / sum
				lwant := float64(v) - mx - math.Log(sum)
				if !closeTo(sm[i*cols+j], want, 1e-6*want+1e-9) || !closeTo(lsm[i*cols+j], lwant, 1e-5*math.Abs(lwant)+1e-5) {
					t.Fatalf("%dx%d (%d,%d): softmax %v, log %v; want %v, %v", rows, cols, i, j, sm[i*cols+j], lsm[i*cols+j], want, lwant)
				}
			}
		}
	}
}

func TestTransposes(t *testing.T) {
	defer func(old isa) { layoutISA = old }(layoutISA)
	for _, is := range depthwiseISAs() {
		layoutISA = is
		t.Run(is.String(), testTransposes)
	}
}

func testTransposes(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, s := range [][3]int{{1, 1, 1}, {2, 3, 5}, {1, 64, 49}, {3, 17, 33}, {1, 3, 50}, {1, 8, 8}, {2, 16, 64}, {1, 1280, 49}, {1, 9, 7}, {1, 7, 9}, {1, 24, 35}, {1, 2, 100}} {
		n, c, hw := s[0], s[1], s[2]
		src := randSlice(r, n*c*hw)
		nhwc := make([]float32, len(src))
		back := make([]float32, len(src))
		NCHWToNHWC(nhwc, src, n, c, hw)
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				for p := 0; p < hw; p++ {
					if nhwc[(i*hw+p)*c+ch] != src[(i*c+ch)*hw+p] {
						t.Fatalf("NCHWToNHWC %v: wrong value at (%d,%d,%d)", s, i, ch, p)
					}
				}
			}
		}
		NHWCToNCHW(back, nhwc, n, hw, c)
		for i := range src {
			if back[i] != src[i] {
				t.Fatalf("NHWCToNCHW %v does not invert NCHWToNHWC at %d", s, i)
			}
		}
	}
}

// TestChannelKernels checks ScaleShift(Act) and GlobalAvgPool, which run
// whole vectors of channels in assembly and the rest in Go, on every
// instruction set against float64 arithmetic.
func TestChannelKernels(t *testing.T) {
	defer func(old isa) { poolISA = old }(poolISA)
	for _, is := range depthwiseISAs() {
		poolISA = is
		t.Run(is.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 9))
			for _, sh := range [][2]int{{6, 5}, {7, 8}, {3, 21}, {49, 144}, {5, 1}, {1, 40}} {
				rows, c := sh[0], sh[1]
				src := randSlice(r, rows*c)
				scale, shift := randSlice(r, c), randSlice(r, c)
				for _, act := range []ActKind{ActNone, ActRelu, ActSigmoid} {
					for _, withShift := range []bool{true, false} {
						dst := append([]float32(nil), src...)
						s := shift
						if !withShift {
							s = nil
						}
						ScaleShiftAct(dst, dst, rows, c, scale, s, act, 0, 0)
						for i := range src {
							want := float64(src[i]) * float64(scale[i%c])
							if withShift {
								want += float64(shift[i%c])
							}
							switch act {
							case ActRelu:
								want = math.Max(want, 0)
							case ActSigmoid:
								want = 1 / (1 + math.Exp(-want))
							}
							if !closeTo(dst[i], want, 1e-5) {
								t.Fatalf("%dx%d %v shift %v: [%d] = %v, want %v", rows, c, act, withShift, i, dst[i], want)
							}
						}
					}
				}
				// Strided: read every third column block of a wider src
				// into columns 2.. of a wider dst, leaving the rest.
				lds, ldd := c+5, c+3
				wide := randSlice(r, rows*lds)
				out := randSlice(r, rows*ldd)
				orig := append([]float32(nil), out...)
				ScaleShiftStrided(out[2:], ldd, wide[4:], lds, rows, c, scale, shift, ActRelu, 0, 0)
				for i := range out {
					row, col := i/ldd, i%ldd-2
					if col < 0 || col >= c {
						if out[i] != orig[i] {
							t.Fatalf("%dx%d strided: wrote [%d], outside its columns", rows, c, i)
						}
						continue
					}
					want := math.Max(float64(wide[row*lds+4+col])*float64(scale[col])+float64(shift[col]), 0)
					if !closeTo(out[i], want, 1e-5) {
						t.Fatalf("%dx%d strided: [%d] = %v, want %v", rows, c, i, out[i], want)
					}
				}
				avg := make([]float32, c)
				GlobalAvgPool(avg, src, rows, c)
				for j := 0; j < c; j++ {
					var sum float64
					for i := 0; i < rows; i++ {
						sum += float64(src[i*c+j])
					}
					if !closeTo(avg[j], sum/float64(rows), 1e-5) {
						t.Fatalf("%dx%d: GlobalAvgPool[%d] = %v, want %v", rows, c, j, avg[j], sum/float64(rows))
					}
				}
			}
		})
	}
}

// TestPoolSgemm checks that splitting across goroutines gives the serial
// result bit for bit (every element is computed by exactly the same code),
// for row and column splits, and that concurrent callers of one pool are
// safe. Run it with -race.
func TestPoolSgemm(t *testing.T) {
	defer splitEverything()()
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads)
		withKernel(t, func(t *testing.T, kern *kernel) {
			r := rand.New(rand.NewPCG(10, uint64(threads)))
			for _, s := range [][3]int{{300, 64, 200}, {5, 700, 300}, {1, 1000, 257}, {64, 64, 64}, {2, 3, 4}, {1000, 17, 33}} {
				m, n, k := s[0], s[1], s[2]
				a := randSlice(r, m*k)
				pb := packB(kern, k, n, randSlice(r, k*n), n, false)
				ep := &Epilogue{Bias: randSlice(r, n), Residual: randSlice(r, m*n), Act: ActSigmoid}
				want := make([]float32, m*n)
				Sgemm(m, a, k, pb, want, n, ep, nil)
				var wg sync.WaitGroup
				for g := 0; g < 3; g++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						got := make([]float32, m*n)
						p.Sgemm(m, a, k, pb, got, n, ep, nil)
						for i := range got {
							if got[i] != want[i] {
								t.Errorf("threads=%d %v: element %d = %v, serial %v", threads, s, i, got[i], want[i])
								return
							}
						}
					}()
				}
				wg.Wait()
			}
		})
		if got := p.Threads(); got != threads {
			t.Errorf("Threads() = %d, want %d", got, threads)
		}
		p.Close()
		p.Close()
		if p.Threads() != 1 {
			t.Errorf("a closed pool reports %d threads", p.Threads())
		}
		// A closed pool still works, on the caller's goroutine.
		c := make([]float32, 4)
		p.Sgemm(2, []float32{1, 2}, 1, PackB(1, 2, []float32{3, 4}, 2, false), c, 2, nil, nil)
		if c[0] != 3 || c[3] != 8 {
			t.Errorf("closed pool: %v", c)
		}
	}
	var nilPool *Pool
	if nilPool.Threads() != 1 {
		t.Errorf("nil pool has %d threads", nilPool.Threads())
	}
	nilPool.Close()
}

// TestAllocs checks that every hot kernel allocates nothing, with the
// epilogue literal written at the call site as generated code does.
func TestAllocs(t *testing.T) {
	defer splitEverything()()
	r := rand.New(rand.NewPCG(11, 11))
	g := convGeoms[9]
	src := randSlice(r, g.InLen())
	k := g.KH * g.KW * g.C
	col := make([]float32, g.OutPixels()*k)
	out := make([]float32, g.OutPixels()*g.C*2)
	w := randSlice(r, g.KH*g.KW*g.C*2)
	bias := randSlice(r, g.C*2)
	pb := PackConv(randSlice(r, 32*k), 32, g.C, g.KH, g.KW)
	pool := NewPool(2)
	defer pool.Close()
	work := make([]float32, SgemmWorkSize(g.OutPixels(), k))
	conv := make([]float32, g.OutPixels()*32)
	convWork := make([]float32, pool.Conv2DWorkSize(&g, k))
	sm := make([]float32, 1000)
	// Two groups of half the channels, 16 outputs each.
	groupBanks := []*PackedB{
		PackConv(randSlice(r, 16*k/2), 16, g.C/2, g.KH, g.KW),
		PackConv(randSlice(r, 16*k/2), 16, g.C/2, g.KH, g.KW),
	}
	groupEps := [2]Epilogue{{Bias: bias, Act: ActRelu}, {Bias: bias[16:], Act: ActRelu}}
	fns := map[string]func(){
		"Im2col+Sgemm": func() {
			Im2col(col, src, &g, 0, g.C)
			Sgemm(g.OutPixels(), col, k, pb, conv, 32, &Epilogue{Bias: bias, Act: ActRelu}, work)
		},
		"Conv2D": func() {
			Conv2D(conv, 32, src, &g, 0, pb, &Epilogue{Bias: bias, Act: ActRelu}, convWork)
			pool.Conv2D(conv, 32, src, &g, 0, pb, &Epilogue{Bias: bias, Act: ActSigmoid}, convWork)
			pool.DepthwiseConv(out, g.C*2, src, &g, 2, w, &Epilogue{Bias: bias, Act: ActRelu})
		},
		"Conv2D indirect": func() {
			defer func(old int) { convPath = old }(convPath)
			convPath = pathIndirect
			Conv2D(conv, 32, src, &g, 0, pb, &Epilogue{Bias: bias, Act: ActRelu}, convWork)
			pool.Conv2D(conv, 32, src, &g, 0, pb, &Epilogue{Bias: bias, Act: ActSigmoid}, convWork)
			pool.ConvN(conv[:g.OutPixels()*32], 32, src, &g, 1, 0, pb, &Epilogue{Bias: bias, Residual: conv, Act: ActLeakyRelu}, convWork)
		},
		"ConvGroups": func() {
			defer func(old int) { convPath = old }(convPath)
			for _, path := range []int{pathIm2col, pathIndirect} {
				convPath = path
				ConvGroups(conv, 32, src, &g, 1, 0, groupBanks, groupEps[:], convWork)
				pool.ConvGroups(conv, 32, src, &g, 1, 0, groupBanks, groupEps[:], convWork)
			}
		},
		"Pool.Sgemm": func() {
			pool.Sgemm(g.OutPixels(), col, k, pb, conv, 32, &Epilogue{Bias: bias, Act: ActHardSwish}, work)
		},
		"DepthwiseConv": func() {
			DepthwiseConv(out, g.C*2, src, &g, 2, w, &Epilogue{Bias: bias, Act: ActRelu})
		},
		"Pools": func() {
			MaxPool(out, src, &g)
			AvgPool(out, src, &g, true)
			pool.MaxPool(out, src, &g)
			pool.AvgPool(out, src, &g, false)
			GlobalAvgPool(out, src, g.H*g.W, g.C)
			GlobalMaxPool(out, src, g.H*g.W, g.C)
		},
		"Softmax": func() {
			Softmax(sm, sm, 1, 1000)
			LogSoftmax(sm, sm, 10, 100)
		},
		"Layout": func() {
			NCHWToNHWC(out, src, 1, g.C, g.H*g.W)
			NHWCToNCHW(out, src, 1, g.H*g.W, g.C)
			ScaleShift(out, src, g.H*g.W, g.C, bias, bias)
		},
		"Activate": func() {
			for kind := ActNone; kind < numActKinds; kind++ {
				Activate(sm, kind, 0.1, 0.2)
			}
			ApplyEpilogue(conv, 10, 32, 32, &Epilogue{Bias: bias, Residual: col, Act: ActElu, Alpha: 1})
		},
	}
	for name, f := range fns {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s allocates %v times per run", name, n)
		}
	}
}

// splitEverything makes pools split calls of any size, so that tests on
// small shapes exercise the parallel paths; it returns the undo.
func splitEverything() func() {
	old := minParallelFlops
	minParallelFlops = 0
	return func() { minParallelFlops = old }
}

// TestContractPanics checks that violated length contracts panic up front
// with the function's name, instead of corrupting memory or failing deep
// inside a loop.
func TestContractPanics(t *testing.T) {
	pb := PackB(4, 3, make([]float32, 12), 3, false)
	g := convGeoms[0]
	calls := map[string]func(){
		"short a":    func() { Sgemm(2, make([]float32, 7), 4, pb, make([]float32, 6), 3, nil, nil) },
		"short c":    func() { Sgemm(2, make([]float32, 8), 4, pb, make([]float32, 5), 3, nil, nil) },
		"small ldc":  func() { Sgemm(2, make([]float32, 8), 4, pb, make([]float32, 6), 2, nil, nil) },
		"short bias": func() { Sgemm(2, make([]float32, 8), 4, pb, make([]float32, 6), 3, &Epilogue{Bias: []float32{1}}, nil) },
		"short residual": func() {
			Sgemm(2, make([]float32, 8), 4, pb, make([]float32, 6), 3, &Epilogue{Residual: []float32{1}}, nil)
		},
		"short b":      func() { PackB(4, 3, make([]float32, 11), 3, false) },
		"im2col range": func() { Im2col(make([]float32, 1000), make([]float32, g.InLen()), &g, 2, 2) },
		"im2col dst":   func() { Im2col(make([]float32, 10), make([]float32, g.InLen()), &g, 0, g.C) },
		"pool src":     func() { MaxPool(make([]float32, 1000), make([]float32, 3), &g) },
		"conv K":       func() { Conv2D(make([]float32, 1000), 3, make([]float32, g.InLen()), &g, 0, pb, nil, nil) },
		"conv groups": func() {
			ConvGroups(make([]float32, 1000), 3, make([]float32, g.InLen()), &g, 1, 0, []*PackedB{pb}, nil, nil)
		},
		"depthwise w": func() { DepthwiseConv(make([]float32, 1000), 3, make([]float32, g.InLen()), &g, 1, nil, nil) },
		"softmax":     func() { Softmax(make([]float32, 3), make([]float32, 4), 2, 2) },
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
