package amx_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	. "github.com/cnnc/cnnc/runtime/internal/amx"
)

func needAMX(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("no AMX-INT8 here: %v", err)
	}
}

func randOperands(r *rand.Rand, m, k, n int) ([]uint8, []int8) {
	a := make([]uint8, m*k)
	for i := range a {
		a[i] = uint8(r.IntN(256))
	}
	w := make([]int8, k*n)
	for i := range w {
		w[i] = int8(r.IntN(256) - 128)
	}
	return a, w
}

// TestGemm checks the tile product against a plain loop, at the ends of
// the operands' ranges too.
func TestGemm(t *testing.T) {
	needAMX(t)
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{32, 64, 32}, {64, 128, 64}, {96, 576, 96}} {
		m, k, n := s[0], s[1], s[2]
		a, w := randOperands(r, m, k, n)
		a[0], w[0] = 255, -128
		c := make([]int32, m*n)
		Gemm(c, a, k, PackB(w, k, n), m, k, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var want int32
				for kk := 0; kk < k; kk++ {
					want += int32(a[i*k+kk]) * int32(w[kk*n+j])
				}
				if c[i*n+j] != want {
					t.Fatalf("%v: C[%d][%d] = %d, want %d", s, i, j, c[i*n+j], want)
				}
			}
		}
	}
}

func TestUnsupportedIsClear(t *testing.T) {
	if err := Available(); err != nil && !errors.Is(err, ErrUnsupported) {
		t.Logf("AMX refused by the kernel: %v", err)
	}
}

// BenchmarkAMX times the bare tile product (int32 results, no store
// step, LDTILECFG and TILESTORED for every 32 x 32 block) on the shapes of
// 3x3 and 1x1 convolutions of ResNet-18 and MobileNetV2 (m output pixels,
// k = taps x input channels, n outputs), single-threaded, in GOPS
// (2*m*n*k per second). The runtime's BenchmarkQGemm compares its amx
// kernel, store step included, with the VNNI one.
func BenchmarkAMX(b *testing.B) {
	needAMX(b)
	r := rand.New(rand.NewPCG(2, 2))
	for _, s := range [][3]int{{3136, 576, 64}, {784, 1152, 128}, {192, 2304, 256}, {64, 4608, 512}, {3136, 64, 256}, {12544, 64, 32}, {3136, 192, 32}, {3136, 128, 256}, {784, 128, 128}} {
		m, k, n := s[0], s[1], s[2]
		a, w := randOperands(r, m, k, n)
		c := make([]int32, m*n)
		ops := 2 * float64(m) * float64(n) * float64(k)
		b.Run(fmt.Sprintf("shape=%dx%dx%d", m, k, n), func(b *testing.B) {
			pb := PackB(w, k, n)
			for b.Loop() {
				Gemm(c, a, k, pb, m, k, n)
			}
			b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}
