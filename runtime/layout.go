package runtime

import "strconv"

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
// into dst: 8x8 blocks in registers where the CPU can, a tight loop for
// the few channels of an image input (rows or cols below 8), and square
// blocks for the rest, so that both sides move through whole cache lines.
func transpose(dst, src []float32, rows, cols int) {
	if rows*cols == 0 {
		return
	}
	_, _ = dst[rows*cols-1], src[rows*cols-1]
	switch {
	case rows < 8:
		transposeFewRows(dst, src, rows, cols)
		return
	case cols < 8:
		transposeFewCols(dst, src, rows, cols)
		return
	}
	r8, c8 := rows&^7, cols&^7
	if hasTranspose8() {
		for r0 := 0; r0 < r8; r0 += 8 {
			transposeStrip(cols/8, src[r0*cols:], cols, dst[r0:], rows)
		}
	} else {
		transposeBlocks(dst, src, rows, cols, 0, r8, 0, c8)
	}
	// The ragged edges: the last rows%8 rows, and the last cols%8 columns
	// of the others.
	transposeBlocks(dst, src, rows, cols, r8, rows, 0, cols)
	transposeBlocks(dst, src, rows, cols, 0, r8, c8, cols)
}

// transposeBlocks transposes rows [r0, r1) and columns [c0, c1) of src.
func transposeBlocks(dst, src []float32, rows, cols, r0, r1, c0, c1 int) {
	const bs = 16
	for rb := r0; rb < r1; rb += bs {
		re := min(rb+bs, r1)
		for cb := c0; cb < c1; cb += bs {
			ce := min(cb+bs, c1)
			for r := rb; r < re; r++ {
				s := src[r*cols+cb : r*cols+ce]
				for j, v := range s {
					dst[(cb+j)*rows+r] = v
				}
			}
		}
	}
}

// transposeFewRows interleaves a few long rows (the channels of an NCHW
// image becoming NHWC).
func transposeFewRows(dst, src []float32, rows, cols int) {
	switch rows {
	case 1:
		copy(dst, src[:cols])
	case 3:
		s0, s1, s2 := src[:cols], src[cols:2*cols], src[2*cols:3*cols]
		d := dst[:3*cols]
		for p, v := range s0 {
			d[3*p], d[3*p+1], d[3*p+2] = v, s1[p], s2[p]
		}
	default:
		for r := 0; r < rows; r++ {
			s := src[r*cols : (r+1)*cols]
			for p, v := range s {
				dst[p*rows+r] = v
			}
		}
	}
}

// transposeFewCols splits rows of a few interleaved values into as many
// long rows (NHWC data of few channels becoming NCHW).
func transposeFewCols(dst, src []float32, rows, cols int) {
	if cols == 1 {
		copy(dst, src[:rows])
		return
	}
	for c := 0; c < cols; c++ {
		d := dst[c*rows : (c+1)*rows]
		for p := range d {
			d[p] = src[p*cols+c]
		}
	}
}

// ScaleShift applies a per-channel affine map to rows of c channels:
// dst[i*c+j] = src[i*c+j]*scale[j] + shift[j]. It is a BatchNormalization
// that could not be folded into a neighbouring convolution (scale =
// gamma/sqrt(var+eps), shift = beta - mean*scale, computed at init), or,
// with a nil shift, a squeeze-and-excitation block's channel scale. dst
// may be src itself.
//
// Contract: len(src) and len(dst) >= rows*c; len(scale) >= c, and
// len(shift) >= c unless it is nil. It never allocates.
func ScaleShift(dst, src []float32, rows, c int, scale, shift []float32) {
	ScaleShiftAct(dst, src, rows, c, scale, shift, ActNone, 0, 0)
}

// ScaleShiftAct is ScaleShift followed by an activation, in the same pass
// where the activation is a clamp (a BatchNormalization and its ReLU, as
// DenseNet orders them).
func ScaleShiftAct(dst, src []float32, rows, c int, scale, shift []float32, act ActKind, alpha, beta float32) {
	ScaleShiftStrided(dst, c, src, c, rows, c, scale, shift, act, alpha, beta)
}

// ScaleShiftStrided is ScaleShiftAct on rows of c values that lie lds
// apart in src and go ldd apart into dst (column ranges of wider tensors:
// a DenseNet layer reads the first channels of its block's Concat), leaving
// the rest of each dst row alone.
//
// Contract: lds, ldd >= c; len(src) >= (rows-1)*lds + c and len(dst) >=
// (rows-1)*ldd + c when rows > 0; len(scale) >= c, and len(shift) >= c
// unless shift is nil.
func ScaleShiftStrided(dst []float32, ldd int, src []float32, lds int, rows, c int, scale, shift []float32, act ActKind, alpha, beta float32) {
	if rows <= 0 || c <= 0 {
		return
	}
	if lds < c || ldd < c {
		panic("runtime.ScaleShift: lds=" + strconv.Itoa(lds) + " or ldd=" + strconv.Itoa(ldd) + " is smaller than c=" + strconv.Itoa(c))
	}
	checkLen("ScaleShift", "src", len(src), (rows-1)*lds+c)
	checkLen("ScaleShift", "dst", len(dst), (rows-1)*ldd+c)
	checkLen("ScaleShift", "scale", len(scale), c)
	if shift != nil {
		checkLen("ScaleShift", "shift", len(shift), c)
	}
	var flags uint
	if shift != nil {
		flags |= tBias
	}
	lo, hi, clamp := act.clampRange(alpha, beta)
	if clamp {
		flags |= tClamp
	}
	cv := 0
	if vw := chanWidth(); vw > 0 {
		cv = c - c%vw
		scaleShiftAsm(rows, cv, src, lds, dst, ldd, scale, shift, flags, lo, hi)
	}
	if cv < c {
		sc := scale[cv:c]
		var sh []float32
		if shift != nil {
			sh = shift[cv:c]
		}
		for i := 0; i < rows; i++ {
			in := src[i*lds+cv : i*lds+c]
			out := dst[i*ldd+cv : i*ldd+c]
			in = in[:len(sc)]
			out = out[:len(sc)]
			for j, v := range in {
				v *= sc[j]
				if sh != nil {
					v += sh[j]
				}
				if clamp {
					v = min(max(v, lo), hi)
				}
				out[j] = v
			}
		}
	}
	if !clamp && act != ActNone {
		activateRows(dst, rows, c, ldd, act, alpha, beta)
	}
}
