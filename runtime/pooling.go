package runtime

import "math"

// MaxPool writes the maximum of each window of the NHWC image src into dst,
// OH*OW rows of C channels. Padding counts as -Inf, so it never wins; a
// window that lies entirely in the padding yields -Inf.
//
// Contract: g passes Check; len(src) >= g.InLen(); len(dst) >=
// g.OutPixels()*C. It never allocates.
func MaxPool(dst, src []float32, g *Window) {
	c := g.C
	checkLen("MaxPool", "src", len(src), g.InLen())
	checkLen("MaxPool", "dst", len(dst), g.OutPixels()*c)
	negInf := float32(math.Inf(-1))
	for oh := 0; oh < g.OH; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		for ow := 0; ow < g.OW; ow++ {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			p := (oh*g.OW + ow) * c
			out := dst[p : p+c]
			for i := range out {
				out[i] = negInf
			}
			for kh := kh0; kh < kh1; kh++ {
				ih := oh*g.StrideH - g.PadT + kh*g.DilH
				for kw := kw0; kw < kw1; kw++ {
					iw := ow*g.StrideW - g.PadL + kw*g.DilW
					s := (ih*g.W + iw) * c
					in := src[s : s+c]
					in = in[:len(out)]
					for i, v := range in {
						// The builtin max is branch-free and, as ONNX
						// wants, lets a NaN through from either side.
						out[i] = max(out[i], v)
					}
				}
			}
		}
	}
}

// AvgPool writes the mean of each window of the NHWC image src into dst,
// OH*OW rows of C channels. With countIncludePad the divisor counts the
// window's positions inside the padded image (input plus PadT/PadL/PadB/PadR,
// as ONNX count_include_pad=1 does, so ceil-mode windows that hang past the
// padding are not charged for it); otherwise only the input positions. A
// window with nothing to count yields 0.
//
// Contract: g passes Check; len(src) >= g.InLen(); len(dst) >=
// g.OutPixels()*C. It never allocates.
func AvgPool(dst, src []float32, g *Window, countIncludePad bool) {
	c := g.C
	checkLen("AvgPool", "src", len(src), g.InLen())
	checkLen("AvgPool", "dst", len(dst), g.OutPixels()*c)
	for oh := 0; oh < g.OH; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		nh := kh1 - kh0
		if countIncludePad {
			a, b := kRange(oh, g.StrideH, 0, g.DilH, g.KH, g.H+g.PadT+g.PadB)
			nh = b - a
		}
		for ow := 0; ow < g.OW; ow++ {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			nw := kw1 - kw0
			if countIncludePad {
				a, b := kRange(ow, g.StrideW, 0, g.DilW, g.KW, g.W+g.PadL+g.PadR)
				nw = b - a
			}
			p := (oh*g.OW + ow) * c
			out := dst[p : p+c]
			clear(out)
			for kh := kh0; kh < kh1; kh++ {
				ih := oh*g.StrideH - g.PadT + kh*g.DilH
				for kw := kw0; kw < kw1; kw++ {
					iw := ow*g.StrideW - g.PadL + kw*g.DilW
					s := (ih*g.W + iw) * c
					in := src[s : s+c]
					in = in[:len(out)]
					for i, v := range in {
						out[i] += v
					}
				}
			}
			if n := nh * nw; n > 0 {
				scale := 1 / float32(n)
				for i := range out {
					out[i] *= scale
				}
			}
		}
	}
}

// GlobalAvgPool writes the mean over the hw pixels of one NHWC image
// (hw rows of c values) into dst[0:c].
//
// Contract: len(src) >= hw*c, len(dst) >= c, hw >= 1. It never allocates.
func GlobalAvgPool(dst, src []float32, hw, c int) {
	checkLen("GlobalAvgPool", "src", len(src), hw*c)
	checkLen("GlobalAvgPool", "dst", len(dst), c)
	out := dst[:c]
	clear(out)
	for p := 0; p < hw; p++ {
		in := src[p*c : p*c+c]
		in = in[:len(out)]
		for i, v := range in {
			out[i] += v
		}
	}
	if hw > 0 {
		scale := 1 / float32(hw)
		for i := range out {
			out[i] *= scale
		}
	}
}

// GlobalMaxPool writes the maximum over the hw pixels of one NHWC image
// (hw rows of c values) into dst[0:c].
//
// Contract: len(src) >= hw*c, len(dst) >= c, hw >= 1. It never allocates.
func GlobalMaxPool(dst, src []float32, hw, c int) {
	checkLen("GlobalMaxPool", "src", len(src), hw*c)
	checkLen("GlobalMaxPool", "dst", len(dst), c)
	out := dst[:c]
	negInf := float32(math.Inf(-1))
	for i := range out {
		out[i] = negInf
	}
	for p := 0; p < hw; p++ {
		in := src[p*c : p*c+c]
		in = in[:len(out)]
		for i, v := range in {
			if v > out[i] || v != v {
				out[i] = v
			}
		}
	}
}
