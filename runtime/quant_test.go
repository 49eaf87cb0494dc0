package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestQuantizeNearTies checks the quantization kernels on the inputs where
// a multiplication by the reciprocal would round differently from the
// division ONNX specifies: values whose quotient is a half-integer, a tie,
// or a few ulps either side, for many scales and zero points, with
// infinities, NaNs, zeros and values far out of range mixed in. Every
// instruction set must give the scalar reference's codes. (A kernel that
// multiplied by the reciprocal and divided only near ties was tried on
// AVX-512: 14% faster, and dropped as not worth a second kernel.)
func TestQuantizeNearTies(t *testing.T) {
	defer func(old isa) { qewISA = old }(qewISA)
	r := rand.New(rand.NewPCG(77, 77))
	scales := []float32{1, 0.5, 0.1, 1.0 / 3, 0.0078125, 0.02, 3.7e-3, 17.25, 1e-6}
	for range 20 {
		scales = append(scales, float32(math.Exp(r.Float64()*12-9)))
	}
	var src []float32
	for k := -300; k <= 300; k++ {
		for _, s := range scales[:3] {
			x := math.Float32bits(float32((float64(k) + 0.5) * float64(s)))
			for d := -6; d <= 6; d++ {
				src = append(src, math.Float32frombits(uint32(int64(x)+int64(d))))
			}
		}
	}
	for len(src)%16 != 5 {
		src = append(src, float32(r.NormFloat64()*100))
	}
	src = append(src, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1e30, -1e30, 1e-40)
	modes := qewISAs()
	for _, s := range scales {
		// Inputs near the ties of this scale too.
		in := append([]float32(nil), src...)
		for k := -200; k <= 200; k++ {
			x := math.Float32bits(float32((float64(k) + 0.5) * float64(s)))
			for d := -3; d <= 3; d++ {
				in = append(in, math.Float32frombits(uint32(int64(x)+int64(d))))
			}
		}
		for _, zp := range []int{0, 1, 128, 255} {
			want := make([]uint8, len(in))
			wantS := make([]int8, len(in))
			for i, x := range in {
				want[i] = uint8(quantize(x, s, int32(zp), 0, 255))
				wantS[i] = int8(quantize(x, s, int32(zp-128), -128, 127))
			}
			for _, m := range modes {
				qewISA = m
				got := make([]uint8, len(in))
				QuantizeU8(got, in, []float32{s}, []uint8{uint8(zp)})
				gotS := make([]int8, len(in))
				QuantizeS8(gotS, in, []float32{s}, []int8{int8(zp - 128)})
				for i := range in {
					if got[i] != want[i] || gotS[i] != wantS[i] {
						t.Fatalf("%v: scale %v zero %d: x = %v (x/s = %v): uint8 %d int8 %d, want %d and %d", m, s, zp, in[i], in[i]/s, got[i], gotS[i], want[i], wantS[i])
					}
				}
			}
		}
	}
}
