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
	for _, g := range convBenchGeoms {
		for _, is := range depthwiseISAs() {
			b.Run(fmt.Sprintf("shape=%s/isa=%v", geomName(&g), is), func(b *testing.B) {
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

// BenchmarkMaxPool reports the input bandwidth of a 3x3 stride-2 pool.
func BenchmarkMaxPool(b *testing.B) {
	g := Window{H: 112, W: 112, C: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 56, OW: 56}
	src := make([]float32, g.InLen())
	for i := range src {
		// Random data: a branchy kernel would mispredict, as on real activations.
		src[i] = float32((i*2654435761)%1000) / 1000
	}
	dst := make([]float32, g.OutPixels()*g.C)
	b.SetBytes(int64(4 * len(src)))
	for i := 0; i < b.N; i++ {
		MaxPool(dst, src, &g)
	}
}
