package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// qgemmBenchShapes are the (M, K, N) of BenchmarkQGemm, as convolutions
// and dense layers produce them.
var qgemmBenchShapes = [][3]int{
	{3136, 576, 64},  // ResNet stage 1, 3x3x64 -> 64
	{196, 2304, 256}, // ResNet stage 3
	{1, 512, 1000},   // classifier, batch 1
	{784, 1152, 128}, // ResNet stage 2
	{3136, 64, 256},  // 1x1 expansion
	{3136, 128, 256}, // 1x1, K of two 64-deep AMX steps (amxBlockMin)
	{12544, 27, 32},  // first conv, 3x3x3 -> 32
}

// BenchmarkQGemm reports GOPS (2*M*N*K operations per second) of QGemm
// (uint8 output, per-column scales, a fused Relu) for every quantized
// kernel, next to the float Sgemm (bias and Relu) on the same shape and
// its kernel of the same name: benchstat -col /type compares them.
// Shapes are MxKxN.
func BenchmarkQGemm(b *testing.B) {
	for _, s := range qgemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		for _, kern := range qkernels {
			b.Run(fmt.Sprintf("shape=%dx%dx%d/kernel=%s/type=int8", m, k, n, kern.name), func(b *testing.B) {
				benchQGemm(b, kern, nil, m, k, n)
			})
		}
		for _, kern := range kernels {
			b.Run(fmt.Sprintf("shape=%dx%dx%d/kernel=%s/type=float32", m, k, n, kern.name), func(b *testing.B) {
				benchSgemmOps(b, kern, nil, m, k, n)
			})
		}
	}
}

// BenchmarkPoolQGemm is BenchmarkQGemm for the best kernels on a pool of
// two goroutines.
func BenchmarkPoolQGemm(b *testing.B) {
	pool := NewPool(2)
	defer pool.Close()
	for _, s := range qgemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("shape=%dx%dx%d/threads=2/type=int8", m, k, n), func(b *testing.B) {
			benchQGemm(b, bestQKernel, pool, m, k, n)
		})
		b.Run(fmt.Sprintf("shape=%dx%dx%d/threads=2/type=float32", m, k, n), func(b *testing.B) {
			benchSgemmOps(b, bestKernel, pool, m, k, n)
		})
	}
}

func benchQGemm(b *testing.B, kern *qkernel, pool *Pool, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	a := make([]uint8, m*k)
	w := make([]int8, k*n)
	qData(r, "rand", a, w)
	ubswWeights(kern, w) // 7-bit weights, as -reduce-range makes them
	pb := packQB(kern, k, n, w, n, false, nil)
	if pb.kern != kern {
		b.Fatalf("weights packed for %s", pb.kern.name)
	}
	c := make([]uint8, m*n)
	ep := &QEpilogue{Bias: make([]int32, n), Scale: make([]float32, n), ZeroPoint: 3, Clamp: true, Lo: 3, Hi: 255}
	for j := range ep.Scale {
		ep.Scale[j] = 1e-4
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pool.QGemm(m, a, k, 128, pb, OutU8(c), n, ep)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
}

// benchSgemmOps is benchGemm reporting GOPS, the unit of benchQGemm.
func benchSgemmOps(b *testing.B, kern *kernel, pool *Pool, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	a := randSlice(r, m*k)
	pb := packB(kern, k, n, randSlice(r, k*n), n, false)
	c := make([]float32, m*n)
	ep := &Epilogue{Bias: randSlice(r, n), Act: ActRelu}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pool.Sgemm(m, a, k, pb, c, n, ep, nil)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
}

// qconvBenchLayers are the layers of BenchmarkQConv: those of
// BenchmarkConv, ResNet's stride-1 3x3 layers of stages 2 and 3 and a 1x1
// expansion, with cout output channels.
var qconvBenchLayers = func() []struct {
	g    Window
	cout int
} {
	var ls []struct {
		g    Window
		cout int
	}
	for _, g := range convBenchGeoms {
		ls = append(ls, struct {
			g    Window
			cout int
		}{g, g.C})
	}
	for _, s := range [][4]int{{28, 128, 3, 128}, {14, 256, 3, 256}, {56, 64, 1, 256}} {
		hw, c, kk := s[0], s[1], s[2]
		p := kk / 2
		g := Window{H: hw, W: hw, C: c, KH: kk, KW: kk, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: p, PadL: p, PadB: p, PadR: p, OH: hw, OW: hw}
		ls = append(ls, struct {
			g    Window
			cout int
		}{g, s[3]})
	}
	return ls
}()

// BenchmarkQConv compares QConv2D, for each assembly GEMM kernel, with
// Conv2D (im2col and GEMM, without Winograd) on qconvBenchLayers, and
// QDepthwiseConv with DepthwiseConv on depthwise layers, single-threaded
// with the best kernels. The int8 weights have 7 bits, as -reduce-range
// quantizes them, so that the VPMADDUBSW kernel can take them.
func BenchmarkQConv(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, l := range qconvBenchLayers {
		g, cout := l.g, l.cout
		k := g.KH * g.KW * g.C
		name := fmt.Sprintf("%s_k%d_o%d", geomName(&g), g.KH, cout)
		for _, kern := range qkernels {
			if kern.isa == isaGo && len(qkernels) > 1 {
				continue
			}
			b.Run(fmt.Sprintf("layer=%s/kernel=%s/type=int8", name, kern.name), func(b *testing.B) {
				src := randBytes(r, g.InLen())
				w := randInt8s(r, cout*k)
				ubswWeights(kern, w)
				pb := packQConv(kern, w, cout, g.C, g.KH, g.KW, nil)
				if pb.kern != kern {
					b.Fatalf("weights packed for %s", pb.kern.name)
				}
				dst := make([]uint8, g.OutPixels()*cout)
				work := make([]uint8, QConv2DWorkSize(&g, k))
				ep := &QEpilogue{Bias: make([]int32, cout), Scale: []float32{1e-4}, ZeroPoint: 3, Clamp: true, Lo: 3, Hi: 255}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					QConv2D(OutU8(dst), cout, src, &g, 0, 128, pb, ep, work)
				}
				b.ReportMetric(2*float64(g.OutPixels())*float64(cout)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
			})
		}
		b.Run(fmt.Sprintf("layer=%s/type=float32", name), func(b *testing.B) {
			src := randSlice(r, g.InLen())
			pb := PackConv(randSlice(r, cout*k), cout, g.C, g.KH, g.KW)
			dst := make([]float32, g.OutPixels()*cout)
			work := make([]float32, Conv2DWorkSize(&g, k))
			ep := &Epilogue{Bias: randSlice(r, cout), Act: ActRelu}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Conv2D(dst, cout, src, &g, 0, pb, ep, work)
			}
		})
	}
	for _, g := range []Window{
		{H: 112, W: 112, C: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 112, OW: 112},
		{H: 56, W: 56, C: 144, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 56, OW: 56},
		{H: 14, W: 14, C: 576, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1, OH: 7, OW: 7},
	} {
		b.Run(fmt.Sprintf("depthwise=%s/type=int8", geomName(&g)), func(b *testing.B) {
			src := randBytes(r, g.InLen())
			pw := PackQDepthwise(randInt8s(r, g.C*9), g.C, 3, 3, nil)
			dst := make([]uint8, g.OutPixels()*g.C)
			ep := &QEpilogue{Bias: make([]int32, g.C), Scale: []float32{1e-3}, ZeroPoint: 3, Clamp: true, Lo: 3, Hi: 255}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				QDepthwiseConv(OutU8(dst), g.C, src, &g, 1, 128, pw, ep)
			}
		})
		b.Run(fmt.Sprintf("depthwise=%s/type=float32", geomName(&g)), func(b *testing.B) {
			src := randSlice(r, g.InLen())
			w := PackDepthwise(randSlice(r, g.C*9), g.C, 3, 3)
			dst := make([]float32, g.OutPixels()*g.C)
			ep := &Epilogue{Bias: randSlice(r, g.C), Act: ActRelu}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				DepthwiseConv(dst, g.C, src, &g, 1, w, ep)
			}
		})
	}
}

// BenchmarkQLookup times QLookup over 64 KiB of codes for every
// element-wise instruction set (isa=..., for benchstat -col /isa).
func BenchmarkQLookup(b *testing.B) {
	defer func(old isa) { qewISA = old }(qewISA)
	r := rand.New(rand.NewPCG(73, 73))
	var table [256]uint8
	for i := range table {
		table[i] = uint8(r.IntN(256))
	}
	src := make([]uint8, 64<<10)
	for i := range src {
		src[i] = uint8(r.IntN(256))
	}
	dst := make([]uint8, len(src))
	for _, is := range qewISAs() {
		b.Run("isa="+is.String(), func(b *testing.B) {
			qewISA = is
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				QLookup(dst, src, &table)
			}
		})
	}
}
