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
	{12544, 27, 32},  // first conv, 3x3x3 -> 32
}

// BenchmarkQGemm reports GOPS (2*M*N*K per call) of QGemm (uint8 output,
// per-column requantization, Relu) for every quantized kernel, next to
// the float Sgemm on the same shape; type=int8 and type=float32 let
// benchstat -col /type compare them.
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
				benchGemm(b, kern, nil, m, k, n, &Epilogue{Act: ActRelu})
			})
		}
	}
}

func benchQGemm(b *testing.B, kern *qkernel, pool *Pool, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	a := make([]uint8, m*k)
	w := make([]int8, k*n)
	qData(r, "rand", a, w)
	pb := packQB(kern, k, n, w, n, false, nil)
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
