package runtime

import (
	"math"
	"testing"
)

// TestSigmoidORT: SigmoidORT gives, bit for bit, what ONNX Runtime 1.30's
// float Sigmoid (the same MLAS kernel its QLinearSigmoid tabulates)
// computed for these inputs on an AVX2+FMA x86 CPU, which is not the
// exactly rounded function (-17.9, -14.096035, ...); and it stays within
// 2^-22 of the exact function everywhere.
func TestSigmoidORT(t *testing.T) {
	for _, c := range []struct {
		x    float32
		want uint32
	}{
		{-20, 0x00000000},
		{-18.5, 0x00000000},
		{-18, 0x00000000},
		{-17.9, 0x33000000},
		{-14.096035, 0x35500000},
		{-7.77, 0x39dd4400},
		{-4.4738774, 0x3c38b880},
		{-3.0638664, 0x3d36c628},
		{-2.538846, 0x3d95df14},
		{-1, 0x3e89b2b1},
		{-0.5, 0x3ec14d04},
		{-1e-3, 0x3effdf3b},
		{0, 0x3f000000},
		{1e-3, 0x3f001062},
		{0.25, 0x3f0feacc},
		{0.7, 0x3f2b0e5a},
		{1, 0x3f3b26a8},
		{2.538846, 0x3f6d441e},
		{5.307511, 0x3f7ebcec},
		{12.242995, 0x3f7fffb0},
		{14.098202, 0x3f7ffff2},
		{17.9, 0x3f800000},
		{18, 0x3f800000},
		{19, 0x3f800000},
	} {
		x := []float32{c.x}
		SigmoidORT(x)
		if got := math.Float32bits(x[0]); got != c.want {
			t.Errorf("SigmoidORT(%v) = %v (%#08x), ONNX Runtime's %v (%#08x)", c.x, x[0], got, math.Float32frombits(c.want), c.want)
		}
	}
	xs := make([]float32, 4001)
	for i := range xs {
		xs[i] = float32(i-2000) / 100
	}
	ys := append([]float32(nil), xs...)
	SigmoidORT(ys)
	for i, x := range xs {
		if d := math.Abs(float64(ys[i]) - 1/(1+math.Exp(-float64(x)))); d > 0x1p-22 {
			t.Fatalf("SigmoidORT(%v) = %v, %g from the exact function", x, ys[i], d)
		}
	}
}
