package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// stemGeoms are convGeoms (strides, dilations, asymmetric pads, windows
// hanging into the end padding or lying in it entirely) plus the stems of
// real networks at reduced size: 3x3 stride 2 (MobileNet, EfficientNet,
// RegNet), 7x7 stride 2 pad 3 (ResNet, GoogLeNet), 3x3 stride 2 unpadded
// (SqueezeNet), and one channel (MNIST).
var stemGeoms = append(append([]Window(nil), convGeoms...),
	convGeom(23, 21, 3, 3, 2, 1),
	convGeom(19, 19, 3, 7, 2, 3),
	Window{H: 15, W: 15, C: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 7, OW: 7},
	convGeom(28, 28, 1, 5, 1, 2),
)

// TestConvNCHW checks ConvNCHW (every kernel the CPU has, serial and on a
// pool, one and two images) against a float64 convolution of the
// channels-first input, for output widths that fill whole panels, end in
// a narrow panel and end in a partial one, with every store-step term.
func TestConvNCHW(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	pool := NewPool(2)
	defer pool.Close()
	defer splitEverything()()
	eps := []struct {
		name      string
		bias, res bool
		act       ActKind
		alpha     float32
	}{
		{"plain", false, false, ActNone, 0},
		{"bias_relu", true, false, ActRelu, 0},
		{"bias_res_leaky", true, true, ActLeakyRelu, 0.1},
		{"bias_silu", true, false, ActSilu, 0},
	}
	defer func(old *kernel) { bestKernel = old }(bestKernel)
	for _, kern := range kernels {
		bestKernel = kern
		for gi, g := range stemGeoms {
			if g.C*g.KH > MaxStemSegments {
				continue
			}
			for _, cout := range []int{5, 16, 24, 37} {
				for ei, e := range eps {
					n := 1 + (gi+ei)%2
					name := fmt.Sprintf("%s/geom%d/cout%d/%s/n%d", kern.name, gi, cout, e.name, n)
					testConvNCHW(t, r, pool, &g, cout, n, e.bias, e.res, e.act, e.alpha, name)
				}
			}
		}
	}
}

func testConvNCHW(t *testing.T, r *rand.Rand, pool *Pool, g *Window, cout, n int, bias, res bool, act ActKind, alpha float32, name string) {
	t.Helper()
	k := g.C * g.KH * g.KW
	w := randSlice(r, cout*k)
	src := randSlice(r, n*g.InLen())
	b := PackStem(w, cout, g.C, g.KH, g.KW)
	ldd := cout + 3
	m := n * g.OutPixels()
	ep := &Epilogue{Act: act, Alpha: alpha}
	if bias {
		ep.Bias = randSlice(r, cout)
	}
	var resv []float32
	if res {
		resv = randSlice(r, (m-1)*ldd+cout)
		ep.Residual = resv
	}
	want := make([]float32, (m-1)*ldd+cout)
	for img := 0; img < n; img++ {
		x := src[img*g.InLen():]
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				row := (img*g.OutPixels() + oh*g.OW + ow) * ldd
				for co := 0; co < cout; co++ {
					s := 0.0
					for c := 0; c < g.C; c++ {
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								ih := oh*g.StrideH - g.PadT + ky*g.DilH
								iw := ow*g.StrideW - g.PadL + kx*g.DilW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								s += float64(x[(c*g.H+ih)*g.W+iw]) * float64(w[((co*g.C+c)*g.KH+ky)*g.KW+kx])
							}
						}
					}
					if bias {
						s += float64(ep.Bias[co])
					}
					if res {
						s += float64(resv[row+co])
					}
					want[row+co] = float32(s)
				}
				Activate(want[row:row+cout], act, alpha, 0)
			}
		}
	}
	work := make([]float32, pool.ConvNCHWWorkSize(g))
	for i := range work {
		work[i] = float32(math.NaN()) // a patch's padding must be written, not assumed
	}
	serial := make([]float32, len(want))
	ConvNCHW(serial, ldd, src, g, n, b, ep, work[:ConvNCHWWorkSize(g)])
	for i := 0; i < m; i++ {
		for j := 0; j < cout; j++ {
			v := want[i*ldd+j]
			if !closeTo(serial[i*ldd+j], float64(v), 1e-5*float64(k)+1e-5*math.Abs(float64(v))) {
				t.Fatalf("%s: pixel %d channel %d = %v, want %v", name, i, j, serial[i*ldd+j], v)
			}
		}
		for j := cout; j < ldd && i*ldd+j < len(serial); j++ {
			if serial[i*ldd+j] != 0 {
				t.Fatalf("%s: pixel %d wrote column %d beyond its %d channels", name, i, j, cout)
			}
		}
	}
	pooled := make([]float32, len(want))
	pool.ConvNCHW(pooled, ldd, src, g, n, b, ep, work)
	for i := range pooled {
		if math.Float32bits(pooled[i]) != math.Float32bits(serial[i]) {
			t.Fatalf("%s: the pool's result differs from the serial one at %d: %v, %v", name, i, pooled[i], serial[i])
		}
	}
}

// TestConvNCHWContract checks the contract's panics, which guard the
// assembly's raw reads.
func TestConvNCHWContract(t *testing.T) {
	g := convGeom(8, 8, 3, 3, 2, 1)
	b := PackStem(make([]float32, 4*27), 4, 3, 3, 3)
	dst := make([]float32, g.OutPixels()*4)
	src := make([]float32, g.InLen())
	work := make([]float32, ConvNCHWWorkSize(&g))
	big := convGeom(8, 8, 9, 9, 1, 4)
	bigB := PackStem(make([]float32, 4*9*81), 4, 9, 9, 9)
	for name, f := range map[string]func(){
		"short src":  func() { ConvNCHW(dst, 4, src[:10], &g, 1, b, nil, work) },
		"short work": func() { ConvNCHW(dst, 4, src, &g, 1, b, nil, work[:10]) },
		"short dst":  func() { ConvNCHW(dst[:10], 4, src, &g, 1, b, nil, work) },
		"wrong K":    func() { ConvNCHW(dst, 4, src, &g, 1, PackStem(make([]float32, 4*12), 4, 3, 2, 2), nil, work) },
		"segments": func() {
			ConvNCHW(make([]float32, big.OutPixels()*4), 4, make([]float32, big.InLen()), &big, 1, bigB, nil, make([]float32, ConvNCHWWorkSize(&big)))
		},
		"prologue": func() { ConvNCHW(dst, 4, src, &g, 1, b, &Epilogue{Pre: &Prologue{}}, work) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkStem compares the ways a first layer can run on a channels-first
// image (how=..., for benchstat -col /how): how=nchw is ConvNCHW, how=im2col
// the transpose to channels-last (NCHWToNHWC) followed by Conv2D, as the
// generated code ran stems before ConvNCHW. One goroutine, the best kernel,
// a bias and ReLU fused; GFLOP/s counts the convolution's multiply-adds.
func BenchmarkStem(b *testing.B) {
	for _, l := range []struct {
		name string
		g    Window
		cout int
	}{
		{"224x224x3to32_3x3s2", convGeom(224, 224, 3, 3, 2, 1), 32},
		{"224x224x3to16_3x3s2", convGeom(224, 224, 3, 3, 2, 1), 16},
		{"224x224x3to24_3x3s2", convGeom(224, 224, 3, 3, 2, 1), 24},
		{"224x224x3to64_7x7s2", convGeom(224, 224, 3, 7, 2, 3), 64},
		{"224x224x3to64_3x3s2p0", Window{H: 224, W: 224, C: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 111, OW: 111}, 64},
	} {
		g := l.g
		k := g.KH * g.KW * g.C
		flops := 2 * float64(g.OutPixels()) * float64(k) * float64(l.cout)
		r := rand.New(rand.NewPCG(1, 1))
		src := randSlice(r, g.InLen())
		w := randSlice(r, l.cout*k)
		ep := &Epilogue{Bias: randSlice(r, l.cout), Act: ActRelu}
		dst := make([]float32, g.OutPixels()*l.cout)
		b.Run("layer="+l.name+"/how=nchw", func(b *testing.B) {
			pb := PackStem(w, l.cout, g.C, g.KH, g.KW)
			work := make([]float32, ConvNCHWWorkSize(&g))
			for b.Loop() {
				ConvNCHW(dst, l.cout, src, &g, 1, pb, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("layer="+l.name+"/how=im2col", func(b *testing.B) {
			pb := PackConv(w, l.cout, g.C, g.KH, g.KW)
			work := make([]float32, Conv2DWorkSize(&g, k))
			nhwc := make([]float32, g.InLen())
			for b.Loop() {
				NCHWToNHWC(nhwc, src, 1, g.C, g.H*g.W)
				Conv2D(dst, l.cout, nhwc, &g, 0, pb, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
