package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// gemmBenchShapes are GEMMs as convolutions produce them: (M, K, N) =
// (output pixels, kh*kw*cin, cout).
var gemmBenchShapes = [][3]int{
	{784, 288, 64},   // 28x28 output, 3x3x32 -> 64
	{3136, 576, 64},  // ResNet stage 1, 3x3x64 -> 64
	{49, 4608, 512},  // ResNet stage 4, 3x3x512 -> 512
	{1, 9216, 128},   // dense layer, batch 1
	{12544, 27, 32},  // first conv, 3x3x3 -> 32 at 112x112
	{3136, 64, 256},  // 1x1 expansion
	{12544, 96, 16},  // MobileNet-style narrow projection
	{196, 2304, 256}, // ResNet stage 3
	{196, 144, 16},   // RegNet grouped 3x3, one group of 16 channels
	{784, 144, 16},   // the same at 28x28
	{12544, 16, 96},  // EfficientNet expansion, few input channels
	{3136, 24, 144},  // MobileNet/EfficientNet expansion
	{3136, 144, 24},  // and projection
	{1, 1280, 1000},  // classifier, batch 1
	{49, 400, 400},   // RegNet stage 4 1x1, 7x7 output
	{196, 160, 400},  // RegNet stage 4 first 1x1, 14x14 output
}

// BenchmarkSgemm reports GFLOP/s (2*M*N*K per call) for every kernel; the
// kernel=... key lets benchstat -col /kernel compare them side by side.
// Shapes are MxKxN.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		for _, kern := range kernels {
			b.Run(fmt.Sprintf("shape=%dx%dx%d/kernel=%s", m, k, n, kern.name), func(b *testing.B) {
				benchGemm(b, kern, nil, m, k, n, &Epilogue{Act: ActRelu})
			})
		}
	}
}

// BenchmarkPoolSgemm is BenchmarkSgemm for the best kernel on a pool of
// two goroutines.
func BenchmarkPoolSgemm(b *testing.B) {
	pool := NewPool(2)
	defer pool.Close()
	for _, s := range gemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("shape=%dx%dx%d/threads=2", m, k, n), func(b *testing.B) {
			benchGemm(b, bestKernel, pool, m, k, n, &Epilogue{Act: ActRelu})
		})
	}
}

func benchGemm(b *testing.B, kern *kernel, pool *Pool, m, k, n int, ep *Epilogue) {
	r := rand.New(rand.NewPCG(1, 1))
	a := randSlice(r, m*k)
	pb := packB(kern, k, n, randSlice(r, k*n), n, false)
	c := make([]float32, m*n)
	ep.Bias = randSlice(r, n)
	work := make([]float32, SgemmWorkSize(m, k))
	b.SetBytes(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pool.Sgemm(m, a, k, pb, c, n, ep, work)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// convBenchGeoms are 3x3 same-padded layers at typical sizes.
var convBenchGeoms = []Window{
	{H: 112, W: 112, C: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 112, OW: 112},
	{H: 56, W: 56, C: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 56, OW: 56},
	{H: 56, W: 56, C: 128, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 0, PadL: 0, PadB: 1, PadR: 1, OH: 28, OW: 28},
	{H: 14, W: 14, C: 512, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 14, OW: 14},
}

// dwBenchGeoms add to convBenchGeoms the depthwise layers of MobileNetV2
// and EfficientNet-B0 that take the most time, 5x5 ones among them, and
// MobileNetV1's power-of-two channel counts.
var dwBenchGeoms = append(append([]Window(nil), convBenchGeoms...),
	Window{H: 56, W: 56, C: 144, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 56, OW: 56},
	Window{H: 112, W: 112, C: 96, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 0, PadL: 0, PadB: 1, PadR: 1, OH: 56, OW: 56},
	Window{H: 28, W: 28, C: 240, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 2, PadL: 2, PadB: 2, PadR: 2, OH: 28, OW: 28},
	Window{H: 56, W: 56, C: 144, KH: 5, KW: 5, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 2, PadR: 2, OH: 28, OW: 28},
	Window{H: 28, W: 28, C: 256, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 28, OW: 28},
	Window{H: 14, W: 14, C: 384, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 14, OW: 14},
	Window{H: 14, W: 14, C: 672, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 2, PadL: 2, PadB: 2, PadR: 2, OH: 14, OW: 14},
)

func geomName(g *Window) string {
	return fmt.Sprintf("%dx%dx%d_s%d", g.H, g.W, g.C, g.StrideH)
}

// BenchmarkIm2col reports the rate at which Im2col fills the GEMM operand.
func BenchmarkIm2col(b *testing.B) {
	for _, g := range convBenchGeoms {
		b.Run(geomName(&g), func(b *testing.B) {
			src := make([]float32, g.InLen())
			dst := make([]float32, g.OutPixels()*g.KH*g.KW*g.C)
			b.SetBytes(int64(4 * len(dst)))
			for i := 0; i < b.N; i++ {
				Im2col(dst, src, &g, 0, g.C)
			}
		})
	}
}

// BenchmarkDepthwiseConv reports GFLOP/s (2 per multiply-add) for every
// instruction set; isa=... lets benchstat -col /isa compare them.
func BenchmarkDepthwiseConv(b *testing.B) {
	defer func(old isa) { dwISA = old }(dwISA)
	for _, g := range dwBenchGeoms {
		for _, is := range depthwiseISAs() {
			b.Run(fmt.Sprintf("shape=%s_k%d/isa=%v", geomName(&g), g.KH, is), func(b *testing.B) {
				dwISA = is
				r := rand.New(rand.NewPCG(1, 1))
				src := randSlice(r, g.InLen())
				w := randSlice(r, g.KH*g.KW*g.C)
				bias := randSlice(r, g.C)
				dst := make([]float32, g.OutPixels()*g.C)
				for i := 0; i < b.N; i++ {
					DepthwiseConv(dst, g.C, src, &g, 1, w, &Epilogue{Bias: bias, Act: ActClip, Alpha: 0, Beta: 6})
				}
				b.ReportMetric(2*float64(g.OutPixels()*g.C*g.KH*g.KW)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkConv compares a 3x3 convolution (cout = cin) done as a whole
// Im2col followed by one Sgemm with the chunked Conv2D, on the best kernel.
func BenchmarkConv(b *testing.B) {
	for _, g := range convBenchGeoms {
		k := g.KH * g.KW * g.C
		m := g.OutPixels()
		flops := 2 * float64(m) * float64(k) * float64(g.C)
		r := rand.New(rand.NewPCG(1, 1))
		src := randSlice(r, g.InLen())
		pb := PackConv(randSlice(r, g.C*k), g.C, g.C, g.KH, g.KW)
		dst := make([]float32, m*g.C)
		ep := &Epilogue{Bias: randSlice(r, g.C), Act: ActRelu}
		b.Run(fmt.Sprintf("shape=%s/how=im2col+sgemm", geomName(&g)), func(b *testing.B) {
			col := make([]float32, m*k)
			for i := 0; i < b.N; i++ {
				Im2col(col, src, &g, 0, g.C)
				Sgemm(m, col, k, pb, dst, g.C, ep, nil)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("shape=%s/how=conv2d", geomName(&g)), func(b *testing.B) {
			work := make([]float32, Conv2DWorkSize(&g, k))
			for i := 0; i < b.N; i++ {
				Conv2D(dst, g.C, src, &g, 0, pb, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("shape=%s/how=pool2", geomName(&g)), func(b *testing.B) {
			pool := NewPool(2)
			defer pool.Close()
			work := make([]float32, pool.Conv2DWorkSize(&g, k))
			for i := 0; i < b.N; i++ {
				pool.Conv2D(dst, g.C, src, &g, 0, pb, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// poolBenchGeoms are ResNet's 3x3 stride-2 max pool and the tutorial's 2x2
// pools.
var poolBenchGeoms = []struct {
	name string
	g    Window
}{
	{"resnet_112x112x64_3x3s2", Window{H: 112, W: 112, C: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 56, OW: 56}},
	{"mnist_24x24x64_2x2s2", Window{H: 24, W: 24, C: 64, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 12, OW: 12}},
	{"cifar_30x30x32_2x2s2", Window{H: 30, W: 30, C: 32, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 15, OW: 15}},
}

// BenchmarkPooling reports the input bandwidth of MaxPool and AvgPool for
// every instruction set (isa=... for benchstat -col /isa) and, with the
// best one, on a pool of two goroutines (isa=pool2).
func BenchmarkPooling(b *testing.B) {
	defer func(old isa) { poolISA = old }(poolISA)
	pool := NewPool(2)
	defer pool.Close()
	for _, l := range poolBenchGeoms {
		g := l.g
		src := make([]float32, g.InLen())
		for i := range src {
			// Random data: a branchy kernel would mispredict, as on real activations.
			src[i] = float32((i*2654435761)%1000) / 1000
		}
		dst := make([]float32, g.OutPixels()*g.C)
		for _, op := range []string{"max", "avg"} {
			for _, is := range append(depthwiseISAs(), 99) {
				var p *Pool
				name := "pool2"
				if is == 99 {
					is, p = depthwiseISAs()[0], pool
				} else {
					name = is.String()
				}
				b.Run(fmt.Sprintf("shape=%s/op=%s/isa=%s", l.name, op, name), func(b *testing.B) {
					poolISA = is
					b.SetBytes(int64(4 * len(src)))
					for b.Loop() {
						if op == "max" {
							p.MaxPool(dst, src, &g)
						} else {
							p.AvgPool(dst, src, &g, false)
						}
					}
				})
			}
		}
	}
}

// winoBenchLayers are the 3x3 stride-1 layers of ResNet-18 and of the
// tutorial's CNNs, as (window, output channels).
var winoBenchLayers = []struct {
	name string
	g    Window
	m    int
}{
	{"resnet_56x56x64", winoGeom(56, 56, 64, 1, 1, 1, 1), 64},
	{"resnet_28x28x128", winoGeom(28, 28, 128, 1, 1, 1, 1), 128},
	{"resnet_14x14x256", winoGeom(14, 14, 256, 1, 1, 1, 1), 256},
	{"resnet_7x7x512", winoGeom(7, 7, 512, 1, 1, 1, 1), 512},
	{"mnist_28x28x1to32_valid", winoGeom(28, 28, 1, 0, 0, 0, 0), 32},
	{"mnist_26x26x32to64_valid", winoGeom(26, 26, 32, 0, 0, 0, 0), 64},
	{"cifar_32x32x3to32_same", winoGeom(32, 32, 3, 1, 1, 1, 1), 32},
	{"cifar_32x32x32to32_valid", winoGeom(32, 32, 32, 0, 0, 0, 0), 32},
	{"cifar_15x15x32to64_same", winoGeom(15, 15, 32, 1, 1, 1, 1), 64},
	{"cifar_15x15x64to64_valid", winoGeom(15, 15, 64, 0, 0, 0, 0), 64},
}

// BenchmarkWinograd compares WinogradConv3x3 with Conv2D on the same
// layer, with a bias and ReLU fused, reporting GFLOP/s as the direct
// convolution counts them (2*OH*OW*9*C*M per call), so the two rates
// compare as speeds. how=... lets benchstat -col /how put them side by
// side.
func BenchmarkWinograd(b *testing.B) {
	for _, l := range winoBenchLayers {
		g, m := l.g, l.m
		flops := 2 * float64(g.OutPixels()) * 9 * float64(g.C) * float64(m)
		r := rand.New(rand.NewPCG(1, 1))
		w := randSlice(r, m*g.C*9)
		src := randSlice(r, g.InLen())
		dst := make([]float32, g.OutPixels()*m)
		ep := &Epilogue{Bias: randSlice(r, m), Act: ActRelu}
		b.Run("layer="+l.name+"/how=conv2d", func(b *testing.B) {
			pb := PackConv(w, m, g.C, 3, 3)
			work := make([]float32, Conv2DWorkSize(&g, 9*g.C))
			for b.Loop() {
				Conv2D(dst, m, src, &g, 0, pb, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		for _, tile := range []int{4, 2} {
			b.Run(fmt.Sprintf("layer=%s/how=winograd%d", l.name, tile), func(b *testing.B) {
				wt := PackWinograd(w, m, g.C, tile)
				work := make([]float32, WinogradWorkSize(&g, m, tile))
				for b.Loop() {
					WinogradConv3x3(dst, m, src, &g, wt, ep, work)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkPoolWinograd is BenchmarkWinograd's F(4x4) and Conv2D on a
// pool of two goroutines.
func BenchmarkPoolWinograd(b *testing.B) {
	pool := NewPool(2)
	defer pool.Close()
	for _, l := range winoBenchLayers {
		g, m := l.g, l.m
		flops := 2 * float64(g.OutPixels()) * 9 * float64(g.C) * float64(m)
		r := rand.New(rand.NewPCG(1, 1))
		w := randSlice(r, m*g.C*9)
		src := randSlice(r, g.InLen())
		dst := make([]float32, g.OutPixels()*m)
		ep := &Epilogue{Bias: randSlice(r, m), Act: ActRelu}
		b.Run("layer="+l.name+"/how=conv2d", func(b *testing.B) {
			pb := PackConv(w, m, g.C, 3, 3)
			work := make([]float32, pool.Conv2DWorkSize(&g, 9*g.C))
			for b.Loop() {
				pool.Conv2D(dst, m, src, &g, 0, pb, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("layer="+l.name+"/how=winograd4", func(b *testing.B) {
			wt := PackWinograd(w, m, g.C, 4)
			work := make([]float32, pool.WinogradWorkSize(&g, m, 4))
			for b.Loop() {
				pool.WinogradConv3x3(dst, m, src, &g, wt, ep, work)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// firstConvGeom is ResNet's first convolution: 7x7, stride 2, on the
// three channels of a 224x224 image, where im2col rows are short runs.
var firstConvGeom = Window{H: 224, W: 224, C: 3, KH: 7, KW: 7, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 3, PadL: 3, PadB: 3, PadR: 3, OH: 112, OW: 112}

// BenchmarkFirstConv times ResNet's first convolution (64 filters) with
// Conv2D, and Im2col alone on the same window, with the im2col copy in
// assembly and in Go (isa=... for benchstat -col /isa).
func BenchmarkFirstConv(b *testing.B) {
	defer func(old isa) { im2colISA = old }(im2colISA)
	g := firstConvGeom
	k := g.KH * g.KW * g.C
	r := rand.New(rand.NewPCG(1, 1))
	src := randSlice(r, g.InLen())
	pb := PackConv(randSlice(r, 64*k), 64, g.C, g.KH, g.KW)
	ep := &Epilogue{Bias: randSlice(r, 64), Act: ActRelu}
	for _, is := range depthwiseISAs() {
		b.Run("how=im2col/isa="+is.String(), func(b *testing.B) {
			im2colISA = is
			dst := make([]float32, g.OutPixels()*k)
			b.SetBytes(int64(4 * len(dst)))
			for b.Loop() {
				Im2col(dst, src, &g, 0, g.C)
			}
		})
		b.Run("how=conv2d/isa="+is.String(), func(b *testing.B) {
			im2colISA = is
			dst := make([]float32, g.OutPixels()*64)
			work := make([]float32, Conv2DWorkSize(&g, k))
			for b.Loop() {
				Conv2D(dst, 64, src, &g, 0, pb, ep, work)
			}
			b.ReportMetric(2*float64(g.OutPixels()*k*64)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkTranspose(b *testing.B) {
	for _, s := range []struct{ c, hw int }{{3, 224 * 224}, {64, 56 * 56}, {1280, 49}, {16, 112 * 112}} {
		src := make([]float32, s.c*s.hw)
		dst := make([]float32, s.c*s.hw)
		b.Run(fmt.Sprintf("toNHWC/c%d_hw%d", s.c, s.hw), func(b *testing.B) {
			b.SetBytes(int64(8 * len(src)))
			for b.Loop() {
				NCHWToNHWC(dst, src, 1, s.c, s.hw)
			}
		})
		b.Run(fmt.Sprintf("toNCHW/c%d_hw%d", s.c, s.hw), func(b *testing.B) {
			b.SetBytes(int64(8 * len(src)))
			for b.Loop() {
				NHWCToNCHW(dst, src, 1, s.hw, s.c)
			}
		})
	}
}

// convPathLayers are the layers where im2col costs most next to the GEMM:
// RegNet's grouped 3x3 convolutions (few channels per group, every group
// its own Conv2D call, as the generated code makes them), strided 3x3
// convolutions and the stems, plus wider layers that show where the
// indirect GEMM stops paying.
var convPathLayers = []struct {
	name         string
	g            Window
	groups, cout int
}{
	{"regnet_14x14x160_g10", convGeom(14, 14, 160, 3, 1, 1), 10, 160},
	{"regnet_x_112x112x32_g2_s2", convGeom(112, 112, 32, 3, 2, 1), 2, 32},
	{"regnet_y_112x112x48_g6_s2", convGeom(112, 112, 48, 3, 2, 1), 6, 48},
	{"regnet_y_56x56x104_g13_s2", convGeom(56, 56, 104, 3, 2, 1), 13, 104},
	{"regnet_14x14x400_g25_s2", convGeom(14, 14, 400, 3, 2, 1), 25, 400},
	{"regnet_28x28x64_g4", convGeom(28, 28, 64, 3, 1, 1), 4, 64},
	{"regnet_56x56x48_g2", convGeom(56, 56, 48, 3, 1, 1), 2, 48},
	{"regnet_56x56x48_g2_s2", convGeom(56, 56, 48, 3, 2, 1), 2, 48},
	{"resnext_56x56x128_g32", convGeom(56, 56, 128, 3, 1, 1), 32, 128},
	{"resnext_28x28x256_g32", convGeom(28, 28, 256, 3, 1, 1), 32, 256},
	{"resnet_56x56x64to128_s2", convGeom(56, 56, 64, 3, 2, 1), 1, 128},
	{"resnet_28x28x128to256_s2", convGeom(28, 28, 128, 3, 2, 1), 1, 256},
	{"resnet_14x14x256to512_s2", convGeom(14, 14, 256, 3, 2, 1), 1, 512},
	{"resnet_56x56x256to512_1x1s2", convGeom(56, 56, 256, 1, 2, 0), 1, 512},
	{"stem_224x224x3to64_7x7s2", convGeom(224, 224, 3, 7, 2, 3), 1, 64},
	{"stem_224x224x3to32_3x3s2", convGeom(224, 224, 3, 3, 2, 1), 1, 32},
	{"stem_112x112x3to32_3x3s1", convGeom(112, 112, 3, 3, 1, 1), 1, 32},
	{"dilated_28x28x128_d2", dilatedGeom(28, 28, 128, 2), 1, 128},
}

// convGeom is a square k x k window with stride s and pad p on every side.
func convGeom(h, w, c, k, s, p int) Window {
	return Window{H: h, W: w, C: c, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
		PadT: p, PadL: p, PadB: p, PadR: p, OH: (h+2*p-k)/s + 1, OW: (w+2*p-k)/s + 1}
}

// dilatedGeom is a same-padded 3x3 window of dilation d.
func dilatedGeom(h, w, c, d int) Window {
	return Window{H: h, W: w, C: c, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: d, DilW: d,
		PadT: d, PadL: d, PadB: d, PadR: d, OH: h, OW: w}
}

// BenchmarkConvPaths compares im2col + GEMM with the indirect GEMM on the
// same layers (how=..., for benchstat -col /how), on the best kernel and
// one goroutine, with a bias and ReLU fused, through ConvGroups as the
// generated code calls grouped convolutions (on the im2col path, one ConvN
// per group). GFLOP/s counts the direct convolution's
// multiply-adds.
func BenchmarkConvPaths(b *testing.B) {
	defer func(old int) { convPath = old }(convPath)
	for _, l := range convPathLayers {
		g := l.g
		cpg, opg := g.C/l.groups, l.cout/l.groups
		k := g.KH * g.KW * cpg
		flops := 2 * float64(g.OutPixels()) * float64(k) * float64(l.cout)
		r := rand.New(rand.NewPCG(1, 1))
		src := randSlice(r, g.InLen())
		pbs := make([]*PackedB, l.groups)
		for gr := range pbs {
			pbs[gr] = PackConv(randSlice(r, opg*k), opg, cpg, g.KH, g.KW)
		}
		bias := randSlice(r, l.cout)
		dst := make([]float32, g.OutPixels()*l.cout)
		work := make([]float32, Conv2DWorkSize(&g, k))
		for _, how := range []struct {
			name string
			path int
		}{{"im2col", pathIm2col}, {"igemm", pathIndirect}} {
			b.Run("layer="+l.name+"/how="+how.name, func(b *testing.B) {
				convPath = how.path
				eps := make([]Epilogue, l.groups)
				for gr := range eps {
					eps[gr] = Epilogue{Bias: bias[gr*opg:], Act: ActRelu}
				}
				for b.Loop() {
					ConvGroups(dst, l.cout, src, &g, 1, 0, pbs, eps, work)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmCold is BenchmarkSgemm with its operands out of cache, as
// a model's are (each layer reads its own weights once per inference, and
// its input, output and residual were last touched layers ago): nb=1
// reuses one set of A, packed B, C and residual, warm in cache, and nb=8
// cycles through eight sets, more than L2 holds. res=true adds a residual
// in the store step, as ResNet's last 1x1 convolution of a block does.
// The kernels prefetch for these cases (the next panel of B, the next
// tile's residual rows): compare nb=1 with nb=8.
func BenchmarkSgemmCold(b *testing.B) {
	kern := kernels[0]
	for _, s := range [][3]int{{3136, 64, 256}, {784, 128, 512}, {196, 256, 1024}, {49, 400, 400}, {49, 4608, 512}, {1, 1280, 1000}, {12544, 32, 16}, {3136, 144, 24}} {
		m, k, n := s[0], s[1], s[2]
		for _, res := range []bool{false, true} {
			for _, nb := range []int{1, 8} {
				b.Run(fmt.Sprintf("shape=%dx%dx%d/res=%v/nb=%d", m, k, n, res, nb), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 1))
					type set struct {
						a, c, res []float32
						pb        *PackedB
					}
					sets := make([]set, nb)
					for i := range sets {
						sets[i] = set{randSlice(r, m*k), make([]float32, m*n), randSlice(r, m*n), packB(kern, k, n, randSlice(r, k*n), n, false)}
					}
					eps := make([]Epilogue, nb)
					for i := range eps {
						eps[i] = Epilogue{Act: ActRelu, Bias: randSlice(r, n)}
						if res {
							eps[i].Residual = sets[i].res
						}
					}
					for i := 0; b.Loop(); i++ {
						st := &sets[i%nb]
						Sgemm(m, st.a, k, st.pb, st.c, n, &eps[i%nb], nil)
					}
					b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
