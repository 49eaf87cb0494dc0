package runtime

// NCHWToNHWC transposes n images from channels-first [n][c][hw] to
// channels-last [n][hw][c] order (hw is height*width). Generated code uses it
// on a model's input and wherever an NCHW tensor enters the NHWC part.
//
// Contract: len(src) and len(dst) >= n*c*hw; dst and src do not overlap. It
// never allocates.
func NCHWToNHWC(dst, src []float32, n, c, hw int) {
	checkLen("NCHWToNHWC", "src", len(src), n*c*hw)
	checkLen("NCHWToNHWC", "dst", len(dst), n*c*hw)
	for i := 0; i < n; i++ {
		transpose(dst[i*c*hw:(i+1)*c*hw], src[i*c*hw:(i+1)*c*hw], c, hw)
	}
}

// NHWCToNCHW transposes n images from channels-last [n][hw][c] to
// channels-first [n][c][hw] order, the inverse of NCHWToNHWC.
//
// Contract: len(src) and len(dst) >= n*c*hw; dst and src do not overlap. It
// never allocates.
func NHWCToNCHW(dst, src []float32, n, hw, c int) {
	checkLen("NHWCToNCHW", "src", len(src), n*c*hw)
	checkLen("NHWCToNCHW", "dst", len(dst), n*c*hw)
	for i := 0; i < n; i++ {
		transpose(dst[i*c*hw:(i+1)*c*hw], src[i*c*hw:(i+1)*c*hw], hw, c)
	}
}

// transpose writes the cols x rows transpose of the rows x cols matrix src
// into dst, in square blocks so that both sides move through whole cache
// lines.
func transpose(dst, src []float32, rows, cols int) {
	const bs = 16
	for r0 := 0; r0 < rows; r0 += bs {
		r1 := min(r0+bs, rows)
		for c0 := 0; c0 < cols; c0 += bs {
			c1 := min(c0+bs, cols)
			for r := r0; r < r1; r++ {
				s := src[r*cols+c0 : r*cols+c1]
				for j, v := range s {
					dst[(c0+j)*rows+r] = v
				}
			}
		}
	}
}

// ScaleShift applies a per-channel affine map to rows of c channels:
// dst[i*c+j] = src[i*c+j]*scale[j] + shift[j]. It is a BatchNormalization
// that could not be folded into a neighbouring convolution (scale =
// gamma/sqrt(var+eps), shift = beta - mean*scale, computed at init). dst may
// be src itself.
//
// Contract: len(src) and len(dst) >= rows*c; len(scale), len(shift) >= c. It
// never allocates.
func ScaleShift(dst, src []float32, rows, c int, scale, shift []float32) {
	checkLen("ScaleShift", "src", len(src), rows*c)
	checkLen("ScaleShift", "dst", len(dst), rows*c)
	checkLen("ScaleShift", "scale", len(scale), c)
	checkLen("ScaleShift", "shift", len(shift), c)
	scale, shift = scale[:c], shift[:c]
	for i := 0; i < rows; i++ {
		in := src[i*c : i*c+c]
		out := dst[i*c : i*c+c]
		for j, v := range in {
			out[j] = v*scale[j] + shift[j]
		}
	}
}
