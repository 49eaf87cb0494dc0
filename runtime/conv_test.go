package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convGeoms are window geometries with the awkward cases: strides,
// dilations, asymmetric pads, 1x1 kernels, windows hanging into the end
// padding (ceil mode) and windows lying entirely in padding.
var convGeoms = []Window{
	{H: 5, W: 5, C: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 5, OW: 5},
	{H: 7, W: 6, C: 4, KH: 3, KW: 2, StrideH: 2, StrideW: 1, DilH: 1, DilW: 1, PadT: 0, PadL: 1, PadB: 1, PadR: 0, OH: 4, OW: 6},
	{H: 8, W: 9, C: 2, KH: 3, KW: 3, StrideH: 1, StrideW: 2, DilH: 2, DilW: 2, PadT: 2, PadL: 1, PadB: 0, PadR: 2, OH: 6, OW: 4},
	{H: 4, W: 4, C: 5, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 4, OW: 4},
	{H: 9, W: 7, C: 6, KH: 1, KW: 1, StrideH: 2, StrideW: 3, DilH: 1, DilW: 1, OH: 5, OW: 3},
	{H: 3, W: 3, C: 1, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 2, PadL: 2, PadB: 2, PadR: 2, OH: 7, OW: 7},
	{H: 6, W: 6, C: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadB: 1, PadR: 1, OH: 4, OW: 4}, // ceil mode
	{H: 5, W: 5, C: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadB: 1, PadR: 1, OH: 3, OW: 3},
	{H: 10, W: 3, C: 3, KH: 5, KW: 3, StrideH: 3, StrideW: 1, DilH: 1, DilW: 3, PadT: 2, PadL: 3, PadB: 2, PadR: 3, OH: 4, OW: 3},
	{H: 12, W: 12, C: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 12, OW: 12},
}

func TestWindowCheck(t *testing.T) {
	for i, g := range convGeoms {
		if err := g.Check(); err != nil {
			t.Errorf("geometry %d: %v", i, err)
		}
	}
	bad := convGeoms[0]
	bad.OH = 9
	if bad.Check() == nil {
		t.Errorf("Check accepted an output window beyond the padded input")
	}
	bad = convGeoms[0]
	bad.DilH = 0
	if bad.Check() == nil {
		t.Errorf("Check accepted a zero dilation")
	}
}

// at returns the input value a tap reads, or ok=false for padding.
func at(src []float32, g *Window, oh, ow, kh, kw, c int) (float64, bool) {
	ih := oh*g.StrideH - g.PadT + kh*g.DilH
	iw := ow*g.StrideW - g.PadL + kw*g.DilW
	if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
		return 0, false
	}
	return float64(src[(ih*g.W+iw)*g.C+c]), true
}

// im2colGeoms add to convGeoms kernel rows of every length class of the
// assembly copy: shorter than a vector, whole vectors, and whole vectors
// plus an overlapping last one.
var im2colGeoms = append([]Window{
	{H: 17, W: 15, C: 3, KH: 7, KW: 7, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 3, PadL: 3, PadB: 3, PadR: 3, OH: 9, OW: 8},
	{H: 9, W: 10, C: 20, KH: 3, KW: 3, StrideH: 2, StrideW: 1, DilH: 2, DilW: 1, PadT: 1, PadL: 0, PadB: 2, PadR: 1, OH: 5, OW: 9},
	{H: 6, W: 7, C: 16, KH: 2, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 0, PadB: 0, PadR: 0, OH: 6, OW: 7},
	{H: 8, W: 8, C: 2, KH: 3, KW: 2, StrideH: 1, StrideW: 3, DilH: 1, DilW: 1, PadT: 0, PadL: 2, PadB: 0, PadR: 2, OH: 6, OW: 4},
}, convGeoms...)

func TestIm2col(t *testing.T) {
	defer func(old isa) { im2colISA = old }(im2colISA)
	for _, is := range depthwiseISAs() {
		im2colISA = is
		t.Run(is.String(), testIm2col)
	}
}

func testIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for gi, g := range im2colGeoms {
		if err := g.Check(); err != nil {
			t.Fatal(err)
		}
		src := randSlice(r, g.InLen())
		for _, cr := range [][2]int{{0, g.C}, {g.C / 2, g.C - g.C/2}, {g.C - 1, 1}} {
			c0, cn := cr[0], cr[1]
			if cn < 1 {
				continue
			}
			k := g.KH * g.KW * cn
			dst := randSlice(r, g.OutPixels()*k+3)
			tail := append([]float32(nil), dst[g.OutPixels()*k:]...)
			Im2col(dst, src, &g, c0, cn)
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							for c := 0; c < cn; c++ {
								want, _ := at(src, &g, oh, ow, kh, kw, c0+c)
								got := dst[(oh*g.OW+ow)*k+(kh*g.KW+kw)*cn+c]
								if float64(got) != want {
									t.Fatalf("geometry %d channels [%d,%d): (%d,%d) tap (%d,%d,%d) = %v, want %v", gi, c0, c0+cn, oh, ow, kh, kw, c, got, want)
								}
							}
						}
					}
				}
			}
			if fmt.Sprint(dst[g.OutPixels()*k:]) != fmt.Sprint(tail) {
				t.Fatalf("geometry %d: Im2col wrote past its output", gi)
			}
		}
	}
}

// refConv is a direct grouped convolution of an NHWC image with OIHW
// filters, in float64, returning the output and the sum of magnitudes of
// each output's terms (for the error bound).
func refConv(src []float32, g *Window, group, cout int, w, bias []float32) (out, mag []float64) {
	cpg, opg := g.C/group, cout/group
	out = make([]float64, g.OutPixels()*cout)
	mag = make([]float64, len(out))
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			for o := 0; o < cout; o++ {
				gr := o / opg
				var s, m float64
				if bias != nil {
					s, m = float64(bias[o]), math.Abs(float64(bias[o]))
				}
				for c := 0; c < cpg; c++ {
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							x, ok := at(src, g, oh, ow, kh, kw, gr*cpg+c)
							if !ok {
								continue
							}
							p := x * float64(w[((o*cpg+c)*g.KH+kh)*g.KW+kw])
							s += p
							m += math.Abs(p)
						}
					}
				}
				out[(oh*g.OW+ow)*cout+o] = s
				mag[(oh*g.OW+ow)*cout+o] = m
			}
		}
	}
	return out, mag
}

// TestConvIm2colGemm checks the whole convolution path the code generator
// emits: Im2col per group, PackConv per group, Sgemm into a column offset of
// the NHWC output with ldc = cout, bias and activation fused.
func TestConvIm2colGemm(t *testing.T) {
	withKernel(t, func(t *testing.T, kern *kernel) {
		r := rand.New(rand.NewPCG(2, 2))
		for gi, g := range convGeoms {
			for _, group := range []int{1, 2, g.C} {
				if g.C%group != 0 {
					continue
				}
				cout := group * (1 + gi%3)
				cpg, opg := g.C/group, cout/group
				w := randSlice(r, cout*cpg*g.KH*g.KW)
				bias := randSlice(r, cout)
				src := randSlice(r, g.InLen())
				k := g.KH * g.KW * cpg
				col := make([]float32, g.OutPixels()*k)
				dst := make([]float32, g.OutPixels()*cout)
				for gr := 0; gr < group; gr++ {
					Im2col(col, src, &g, gr*cpg, cpg)
					pb := packConv(kern, w[gr*opg*cpg*g.KH*g.KW:], opg, cpg, g.KH, g.KW)
					ep := Epilogue{Bias: bias[gr*opg:], Act: ActLeakyRelu, Alpha: 0.5}
					Sgemm(g.OutPixels(), col, k, pb, dst[gr*opg:], cout, &ep, nil)
				}
				want, mag := refConv(src, &g, group, cout, w, bias)
				for i := range want {
					wv := act64(ActLeakyRelu, want[i], 0.5, 0)
					if !closeTo(dst[i], wv, 1e-6*mag[i]*float64(k)+1e-6) {
						t.Fatalf("geometry %d group %d: output %d = %v, want %v", gi, group, i, dst[i], wv)
					}
				}
			}
		}
	})
}

// dwGeoms add to convGeoms channel counts that the assembly takes (any
// mix of its four-, two- and one-vector blocks) under various windows.
var dwGeoms = append([]Window{
	{H: 9, W: 11, C: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 9, OW: 11},
	{H: 9, W: 11, C: 24, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 0, PadL: 0, PadB: 1, PadR: 1, OH: 5, OW: 6},
	{H: 12, W: 10, C: 96, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 2, PadL: 2, PadB: 2, PadR: 2, OH: 12, OW: 10},
	{H: 12, W: 13, C: 80, KH: 3, KW: 3, StrideH: 1, StrideW: 2, DilH: 2, DilW: 2, PadT: 2, PadL: 1, PadB: 2, PadR: 3, OH: 12, OW: 7},
	{H: 7, W: 7, C: 48, KH: 7, KW: 7, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 3, PadL: 3, PadB: 3, PadR: 3, OH: 7, OW: 7},
	{H: 4, W: 4, C: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 3, PadL: 3, PadB: 3, PadR: 3, OH: 8, OW: 8},
	{H: 2, W: 2, C: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 2, OW: 2}, // no interior
	{H: 6, W: 9, C: 37, KH: 3, KW: 3, StrideH: 1, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 6, OW: 5}, // channel tail
	{H: 3, W: 20, C: 64, KH: 1, KW: 9, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 0, PadL: 4, PadB: 0, PadR: 4, OH: 3, OW: 20},
	{H: 5, W: 6, C: 120, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 5, OW: 6}, // 64+32+16+8
	{H: 5, W: 6, C: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 3, OW: 6},
	// Rows wide enough for runs of whole eight-pixel groups inside the
	// image between the border groups (the row kernels' unmasked calls).
	{H: 6, W: 30, C: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 6, OW: 30},
	{H: 9, W: 41, C: 48, KH: 5, KW: 5, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 2, PadL: 2, PadB: 2, PadR: 2, OH: 5, OW: 21},
	{H: 8, W: 27, C: 16, KH: 7, KW: 7, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 3, PadL: 3, PadB: 3, PadR: 3, OH: 8, OW: 27},
}, convGeoms...)

func TestDepthwiseConv(t *testing.T) {
	defer func(old isa) { dwISA = old }(dwISA)
	for _, is := range depthwiseISAs() {
		dwISA = is
		t.Run(is.String(), testDepthwise)
	}
}

func testDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for gi, g := range dwGeoms {
		if err := g.Check(); err != nil {
			t.Fatal(err)
		}
		for _, mult := range []int{1, 2, 3} {
			for variant := 0; variant < 3; variant++ {
				withRes := variant == 1
				cout := g.C * mult
				ldd := cout + gi%3
				w := randSlice(r, cout*g.KH*g.KW)
				bias := randSlice(r, cout)
				src := randSlice(r, g.InLen())
				n := (g.OutPixels()-1)*ldd + cout
				dst := randSlice(r, n)
				orig := append([]float32(nil), dst...)
				ep := &Epilogue{Bias: bias, Act: ActClip, Alpha: -0.3, Beta: 0.7}
				if variant == 2 {
					ep = &Epilogue{Act: ActSigmoid}
					bias = make([]float32, cout)
				}
				var res []float32
				if withRes {
					res = randSlice(r, n)
					ep.Residual = res
				}
				DepthwiseConv(dst, ldd, src, &g, mult, PackDepthwise(w, cout, g.KH, g.KW), ep)
				want, _ := refConv(src, &g, g.C, cout, w, bias)
				for p := 0; p < g.OutPixels(); p++ {
					for j := 0; j < ldd && p*ldd+j < n; j++ {
						got := dst[p*ldd+j]
						if j >= cout {
							if got != orig[p*ldd+j] {
								t.Fatalf("geometry %d: DepthwiseConv wrote outside its channels", gi)
							}
							continue
						}
						wv := want[p*cout+j]
						if withRes {
							wv += float64(res[p*ldd+j])
						}
						if variant == 2 {
							wv = act64(ActSigmoid, wv, 0, 0)
						} else {
							wv = act64(ActClip, wv, -0.3, 0.7)
						}
						if !closeTo(got, wv, 1e-5) {
							t.Fatalf("geometry %d mult %d res %v: pixel %d channel %d = %v, want %v", gi, mult, withRes, p, j, got, wv)
						}
					}
				}
			}
		}
	}
}

// poolGeoms add to convGeoms channel counts that exercise every channel
// block of the pooling assembly (four, two and one vectors and a partial
// one) and the usual 3x3 stride-2 and 2x2 pools.
var poolGeoms = append([]Window{
	{H: 12, W: 11, C: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 6, OW: 6},
	{H: 9, W: 8, C: 117, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 5, OW: 4},
	{H: 8, W: 8, C: 40, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 4, OW: 4},
	{H: 7, W: 7, C: 24, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadB: 1, PadR: 1, OH: 4, OW: 4}, // ceil mode
	{H: 6, W: 10, C: 9, KH: 3, KW: 5, StrideH: 1, StrideW: 1, DilH: 2, DilW: 1, PadT: 2, PadL: 0, PadB: 2, PadR: 4, OH: 6, OW: 10},
	{H: 5, W: 5, C: 8, KH: 17, KW: 17, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 8, PadL: 8, PadB: 8, PadR: 8, OH: 5, OW: 5}, // too many taps for the table
}, dwGeoms...)

func TestPools(t *testing.T) {
	defer func(old isa) { poolISA = old }(poolISA)
	defer splitEverything()()
	pool := NewPool(3)
	defer pool.Close()
	for _, is := range depthwiseISAs() {
		poolISA = is
		t.Run(is.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(4, 4))
			for gi, g := range poolGeoms {
				if err := g.Check(); err != nil {
					t.Fatal(err)
				}
				for _, p := range []*Pool{nil, pool} {
					// ldd > C: the rows of a column range of a wider
					// tensor (a Concat's input written in place).
					for _, ldd := range []int{g.C, g.C + 3} {
						testPools(t, r, p, gi, &g, ldd)
					}
				}
			}
		})
	}
}

func testPools(t *testing.T, r *rand.Rand, p *Pool, gi int, g *Window, ldd int) {
	src := randSlice(r, g.InLen())
	n := (g.OutPixels()-1)*ldd + g.C
	// One element past the output shows a kernel writing too far.
	maxOut := randSlice(r, n+1)
	avgEx := randSlice(r, n+1)
	avgIn := randSlice(r, n+1)
	orig := append([]float32(nil), maxOut...)
	if ldd == g.C {
		p.MaxPool(maxOut, src, g)
		p.AvgPool(avgEx, src, g, false)
		p.AvgPool(avgIn, src, g, true)
	} else {
		p.MaxPoolStrided(maxOut, ldd, src, g)
		p.AvgPoolStrided(avgEx, ldd, src, g, false)
		p.AvgPoolStrided(avgIn, ldd, src, g, true)
	}
	for i := range maxOut {
		if i >= n || i%ldd >= g.C {
			if maxOut[i] != orig[i] {
				t.Fatalf("geometry %d ldd %d: MaxPool wrote element %d, outside its rows", gi, ldd, i)
			}
		}
	}
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			for c := 0; c < g.C; c++ {
				mx, sum, n, nPad := math.Inf(-1), 0.0, 0, 0
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ph := oh*g.StrideH + kh*g.DilH // position in the padded image
						pw := ow*g.StrideW + kw*g.DilW
						if ph < g.H+g.PadT+g.PadB && pw < g.W+g.PadL+g.PadR {
							nPad++
						}
						if v, ok := at(src, g, oh, ow, kh, kw, c); ok {
							mx = math.Max(mx, v)
							sum += v
							n++
						}
					}
				}
				i := (oh*g.OW+ow)*ldd + c
				if !closeTo(maxOut[i], mx, 0) {
					t.Fatalf("geometry %d: MaxPool[%d] = %v, want %v", gi, i, maxOut[i], mx)
				}
				wantEx, wantIn := 0.0, 0.0
				if n > 0 {
					wantEx = sum / float64(n)
				}
				if nPad > 0 {
					wantIn = sum / float64(nPad)
				}
				if !closeTo(avgEx[i], wantEx, 1e-6) || !closeTo(avgIn[i], wantIn, 1e-6) {
					t.Fatalf("geometry %d: AvgPool[%d] = %v / %v, want %v / %v", gi, i, avgEx[i], avgIn[i], wantEx, wantIn)
				}
			}
		}
	}
}

// TestGlobalPools checks GlobalAvgPool, Pool.GlobalAvgPool (serial, on a
// nil pool and on two goroutines, which must agree bit for bit) and
// GlobalMaxPool against float64 sums, for fewer pixels than parts too.
func TestGlobalPools(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	pool := NewPool(2)
	defer pool.Close()
	defer splitEverything()()
	for _, s := range [][2]int{{1, 1}, {2, 9}, {49, 512}, {7, 3}, {196, 17}, {3136, 144}} {
		hw, c := s[0], s[1]
		src := randSlice(r, hw*c)
		avg := make([]float32, c)
		mx := make([]float32, c)
		GlobalAvgPool(avg, src, hw, c)
		GlobalMaxPool(mx, src, hw, c)
		work := make([]float32, pool.GlobalAvgPoolWorkSize(c))
		serial, pooled := make([]float32, c), make([]float32, c)
		(*Pool)(nil).GlobalAvgPool(serial, src, hw, c, work)
		pool.GlobalAvgPool(pooled, src, hw, c, work)
		for j := 0; j < c; j++ {
			if math.Float32bits(serial[j]) != math.Float32bits(pooled[j]) {
				t.Fatalf("hw=%d c=%d: Pool.GlobalAvgPool channel %d = %v on a pool, %v without", hw, c, j, pooled[j], serial[j])
			}
			if want := float64(avg[j]); !closeTo(pooled[j], want, 1e-6) {
				t.Fatalf("hw=%d c=%d: Pool.GlobalAvgPool channel %d = %v, GlobalAvgPool %v", hw, c, j, pooled[j], want)
			}
		}
		for j := 0; j < c; j++ {
			sum, m := 0.0, math.Inf(-1)
			for p := 0; p < hw; p++ {
				v := float64(src[p*c+j])
				sum += v
				m = math.Max(m, v)
			}
			if !closeTo(avg[j], sum/float64(hw), 1e-6) || !closeTo(mx[j], m, 0) {
				t.Fatalf("hw=%d c=%d: channel %d = %v / %v, want %v / %v", hw, c, j, avg[j], mx[j], sum/float64(hw), m)
			}
		}
	}
}

// TestMaxPoolNaN puts a NaN at every position of a window, in every lane
// of a channel block, and checks that it wins on every instruction set.
func TestMaxPoolNaN(t *testing.T) {
	defer func(old isa) { poolISA = old }(poolISA)
	nan := float32(math.NaN())
	for _, is := range depthwiseISAs() {
		poolISA = is
		g := Window{H: 2, W: 2, C: 1, KH: 2, KW: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 1, OW: 1}
		for _, src := range [][]float32{{nan, 1, 2, 3}, {1, 2, nan, 0}, {3, 2, 1, nan}} {
			out := []float32{0}
			MaxPool(out, src, &g)
			if !math.IsNaN(float64(out[0])) {
				t.Errorf("%v: MaxPool(%v) = %v, want NaN", is, src, out[0])
			}
		}
		g = Window{H: 3, W: 3, C: 37, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 1, OW: 1}
		for pix := 0; pix < 9; pix++ {
			src := make([]float32, g.InLen())
			for i := range src {
				src[i] = float32(i % 7)
			}
			for c := 0; c < g.C; c++ {
				src[pix*g.C+c] = nan
			}
			out := make([]float32, g.C)
			MaxPool(out, src, &g)
			for c, v := range out {
				if !math.IsNaN(float64(v)) {
					t.Fatalf("%v: NaN at tap %d: channel %d = %v", is, pix, c, v)
				}
			}
		}
	}
}

// TestConv2D checks the fused convolution, serial and on pools, against
// the direct reference, for grouped convolutions written into a channel
// slice of a wider output, the 1x1 path with a channel offset, and a
// residual accumulated in place, on the im2col and the indirect paths.
func TestConv2D(t *testing.T) { withConvPaths(t, testConv2D) }

func testConv2D(t *testing.T) {
	defer splitEverything()()
	big := Window{H: 23, W: 19, C: 12, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 23, OW: 19}
	pw := Window{H: 15, W: 17, C: 8, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 15, OW: 17}
	geoms := append([]Window{big, pw}, convGeoms...)
	for _, threads := range []int{0, 1, 2, 3} {
		var pool *Pool
		if threads > 0 {
			pool = NewPool(threads)
		}
		withKernel(t, func(t *testing.T, kern *kernel) {
			r := rand.New(rand.NewPCG(12, uint64(threads)))
			for gi, g := range geoms {
				for _, group := range []int{1, 2} {
					if g.C%group != 0 {
						continue
					}
					cout := group * 5
					extra := 3 // output channels beyond this convolution's
					ldd := cout + extra
					cpg, opg := g.C/group, cout/group
					w := randSlice(r, cout*cpg*g.KH*g.KW)
					bias := randSlice(r, cout)
					src := randSlice(r, g.InLen())
					m := g.OutPixels()
					dst := randSlice(r, m*ldd)
					orig := append([]float32(nil), dst...)
					k := g.KH * g.KW * cpg
					work := make([]float32, pool.Conv2DWorkSize(&g, k))
					for gr := 0; gr < group; gr++ {
						pb := packConv(kern, w[gr*opg*cpg*g.KH*g.KW:], opg, cpg, g.KH, g.KW)
						ep := &Epilogue{Bias: bias[gr*opg:], Residual: dst[gr*opg:], Act: ActRelu}
						pool.Conv2D(dst[gr*opg:], ldd, src, &g, gr*cpg, pb, ep, work)
					}
					want, mag := refConv(src, &g, group, cout, w, bias)
					for p := 0; p < m; p++ {
						for j := 0; j < ldd; j++ {
							got := dst[p*ldd+j]
							if j >= cout {
								if got != orig[p*ldd+j] {
									t.Fatalf("threads %d geometry %d: channel %d outside the output changed", threads, gi, j)
								}
								continue
							}
							wv := math.Max(0, want[p*cout+j]+float64(orig[p*ldd+j]))
							if !closeTo(got, wv, 1e-6*mag[p*cout+j]*float64(k)+1e-5) {
								t.Fatalf("threads %d geometry %d group %d: pixel %d channel %d = %v, want %v", threads, gi, group, p, j, got, wv)
							}
						}
					}
				}
			}
		})
		pool.Close()
	}
}

func TestPoolDepthwiseConv(t *testing.T) {
	defer splitEverything()()
	pool := NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(13, 13))
	for _, g := range dwGeoms {
		for _, mult := range []int{1, 2} {
			cout := g.C * mult
			w := PackDepthwise(randSlice(r, cout*g.KH*g.KW), cout, g.KH, g.KW)
			src := randSlice(r, g.InLen())
			ep := &Epilogue{Bias: randSlice(r, cout), Act: ActRelu}
			want := make([]float32, g.OutPixels()*cout)
			got := make([]float32, len(want))
			DepthwiseConv(want, cout, src, &g, mult, w, ep)
			pool.DepthwiseConv(got, cout, src, &g, mult, w, ep)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v: element %d = %v, serial %v", g, i, got[i], want[i])
				}
			}
		}
	}
}

// ConvN over several images equals one Conv2D per image (up to the order
// of the additions: a row may fall in another size of row tile), alone
// and on a pool, for a
// strided, padded window, a 1x1 one (a plain GEMM over all the images'
// pixels) and a channel range of a grouped convolution.
func TestConvNMatchesPerImage(t *testing.T) { withConvPaths(t, testConvNMatchesPerImage) }

func testConvNMatchesPerImage(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	pool := NewPool(2)
	defer pool.Close()
	cases := []struct {
		g        Window
		c0, cin  int
		residual bool
	}{
		{Window{H: 9, W: 11, C: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 5, OW: 11}, 0, 5, true},
		{Window{H: 12, W: 12, C: 16, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 12, OW: 12}, 0, 16, false},
		{Window{H: 7, W: 7, C: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 7, OW: 7}, 16, 16, false},
	}
	for _, c := range cases {
		const n, cout = 3, 13
		g := c.g
		src := randSlice(r, n*g.InLen())
		pk := PackConv(randSlice(r, cout*c.cin*g.KH*g.KW), cout, c.cin, g.KH, g.KW)
		res := randSlice(r, n*g.OutPixels()*cout)
		work := make([]float32, 2*Conv2DWorkSize(&g, pk.K()))
		want := make([]float32, n*g.OutPixels()*cout)
		for i := 0; i < n; i++ {
			ep := Epilogue{Act: ActRelu}
			if c.residual {
				ep.Residual = res[i*g.OutPixels()*cout:]
			}
			Conv2D(want[i*g.OutPixels()*cout:], cout, src[i*g.InLen():], &g, c.c0, pk, &ep, work)
		}
		for _, p := range []*Pool{nil, pool} {
			got := make([]float32, len(want))
			ep := Epilogue{Act: ActRelu}
			if c.residual {
				ep.Residual = res
			}
			p.ConvN(got, cout, src, &g, n, c.c0, pk, &ep, work)
			for i := range want {
				if !closeTo(got[i], float64(want[i]), 1e-5*(1+math.Abs(float64(want[i])))) {
					t.Fatalf("%+v pool %v: [%d] = %v, want %v", g, p != nil, i, got[i], want[i])
				}
			}
		}
	}
}

// An image smaller than the im2col chunk: ConvN's chunks must not outgrow
// the scratch Conv2DWorkSize sized for one image.
func TestConvNSmallImages(t *testing.T) { withConvPaths(t, testConvNSmallImages) }

func testConvNSmallImages(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	g := Window{H: 8, W: 10, C: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 8, OW: 10}
	const n, cout = 5, 4
	pk := PackConv(randSlice(r, cout*3*9), cout, 3, 3, 3)
	src := randSlice(r, n*g.InLen())
	work := make([]float32, Conv2DWorkSize(&g, pk.K()))
	want, got := make([]float32, n*80*cout), make([]float32, n*80*cout)
	for i := 0; i < n; i++ {
		Conv2D(want[i*80*cout:], cout, src[i*g.InLen():], &g, 0, pk, nil, work)
	}
	ConvN(got, cout, src, &g, n, 0, pk, nil, work)
	for i := range want {
		if !closeTo(got[i], float64(want[i]), 1e-5*(1+math.Abs(float64(want[i])))) {
			t.Fatalf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestConvPrologue checks Epilogue.Pre on ConvN and Pool.ConvN (1x1
// windows, several images, a channel offset, output channels not a
// multiple of the panel) against mapping the input with ScaleShiftStrided
// first and running the plain convolution: the same float32 operations in
// the same order, so the same bits.
func TestConvPrologue(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	pool := NewPool(2)
	defer pool.Close()
	for _, tc := range []struct {
		h, w, c, c0, cin, cout, n int
		act                       ActKind
	}{
		{7, 7, 24, 0, 24, 16, 1, ActRelu},
		{10, 10, 40, 8, 24, 33, 2, ActNone},
		{14, 14, 64, 16, 40, 8, 3, ActClip},
		{1, 1, 8, 0, 8, 5, 1, ActRelu},
		{20, 20, 12, 2, 7, 24, 1, ActSigmoid},
	} {
		g := Window{H: tc.h, W: tc.w, C: tc.c, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: tc.h, OW: tc.w}
		pix := tc.n * tc.h * tc.w
		src := randSlice(r, tc.n*g.InLen())
		pb := PackConv(randSlice(r, tc.cout*tc.cin), tc.cout, tc.cin, 1, 1)
		pre := &Prologue{Scale: randSlice(r, tc.cin), Shift: randSlice(r, tc.cin), Act: tc.act, Alpha: -0.5, Beta: 0.5}
		bias := randSlice(r, tc.cout)
		mapped := make([]float32, pix*tc.cin)
		ScaleShiftStrided(mapped, tc.cin, src[tc.c0:], tc.c, pix, tc.cin, pre.Scale, pre.Shift, pre.Act, pre.Alpha, pre.Beta)
		plain := g
		plain.C = tc.cin
		want := make([]float32, pix*tc.cout)
		ConvN(want, tc.cout, mapped, &plain, tc.n, 0, pb, &Epilogue{Bias: bias, Act: ActRelu}, nil)
		for _, p := range []*Pool{nil, pool} {
			got := make([]float32, pix*tc.cout)
			work := make([]float32, p.PrologueWorkSize(&g, tc.cin))
			p.ConvN(got, tc.cout, src, &g, tc.n, tc.c0, pb, &Epilogue{Bias: bias, Act: ActRelu, Pre: pre}, work)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v pool %v: [%d] = %v, mapping first gives %v", tc, p != nil, i, got[i], want[i])
				}
			}
		}
	}
}
