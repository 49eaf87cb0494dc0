package runtime

import "strconv"

// Window is the geometry of a 2-D sliding window (convolution or pooling)
// over one NHWC image: an H x W image of C channels, each pixel's C values
// contiguous, each row W*C values. Output pixel (oh, ow) reads input rows
// oh*StrideH - PadT + kh*DilH for kh in [0, KH) and columns ow*StrideW -
// PadL + kw*DilW for kw in [0, KW); positions outside the image are padding.
//
// All sizes are explicit, as ONNX gives them after shape inference: strides
// and dilations are at least 1 (there are no zero-value defaults), and OH and
// OW are the output size the caller computed, floor or ceil mode alike.
// PadB and PadR matter only to AveragePool's CountIncludePad, which counts
// padding positions inside the padded image and never beyond it. Generated
// code declares one Window per layer as a package-level variable and passes
// its address; kernels never retain or modify it.
type Window struct {
	H, W, C                int
	KH, KW                 int
	StrideH, StrideW       int
	DilH, DilW             int
	PadT, PadL, PadB, PadR int
	OH, OW                 int
}

// Check reports whether the geometry is usable: every size positive, pads
// non-negative, and every output window overlapping at least the padded
// image. Kernels assume a checked Window; generated code checks each once,
// at initialization or in its tests.
func (g *Window) Check() error {
	if g.H < 1 || g.W < 1 || g.C < 1 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 ||
		g.DilH < 1 || g.DilW < 1 || g.OH < 1 || g.OW < 1 {
		return windowErr(g, "sizes, strides and dilations must be positive")
	}
	if g.PadT < 0 || g.PadL < 0 || g.PadB < 0 || g.PadR < 0 {
		return windowErr(g, "pads must not be negative")
	}
	if (g.OH-1)*g.StrideH-g.PadT >= g.H+g.PadB || (g.OW-1)*g.StrideW-g.PadL >= g.W+g.PadR {
		return windowErr(g, "the last output window starts beyond the padded input")
	}
	return nil
}

type windowError string

func (e windowError) Error() string { return string(e) }

func windowErr(g *Window, msg string) error {
	itoa := strconv.Itoa
	return windowError("runtime.Window{H:" + itoa(g.H) + " W:" + itoa(g.W) + " C:" + itoa(g.C) +
		" KH:" + itoa(g.KH) + " KW:" + itoa(g.KW) + " Stride:" + itoa(g.StrideH) + "," + itoa(g.StrideW) +
		" Dil:" + itoa(g.DilH) + "," + itoa(g.DilW) + " Pads:" + itoa(g.PadT) + "," + itoa(g.PadL) + "," +
		itoa(g.PadB) + "," + itoa(g.PadR) + " Out:" + itoa(g.OH) + "x" + itoa(g.OW) + "}: " + msg)
}

// InLen is the number of values in one input image, H*W*C.
func (g *Window) InLen() int { return g.H * g.W * g.C }

// OutPixels is the number of output pixels, OH*OW: the M of the GEMM that
// follows Im2col.
func (g *Window) OutPixels() int { return g.OH * g.OW }

// kRange returns the taps [k0, k1) of a kernel axis whose input position
// o*stride - pad + k*dil falls inside [0, size).
func kRange(o, stride, pad, dil, k, size int) (k0, k1 int) {
	start := o*stride - pad
	if start >= 0 && start+(k-1)*dil < size {
		return 0, k // the common case, without the divisions below
	}
	// First tap with start + k*dil >= 0.
	if start < 0 {
		k0 = min(k, (-start+dil-1)/dil)
	}
	// Taps with start + k*dil < size.
	if start < size {
		k1 = min(k, (size-start+dil-1)/dil)
	}
	if k1 < k0 {
		k1 = k0
	}
	return k0, k1
}

// Im2col writes the im2col matrix of one NHWC image src for the input
// channels [c0, c0+cn) into dst: row oh*OW+ow holds, for kh in [0, KH) and
// kw in [0, KW), the cn channel values of the input pixel that kernel tap
// reads, zero for padding. Rows are K = KH*KW*cn long and contiguous, so dst
// is the row-major A (lda = K) of the convolution's GEMM, matching the
// (kh, kw, c) order of PackConv. For a grouped convolution call it per group
// with c0 = group*cn.
//
// Contract: g passes Check; 0 <= c0, c0+cn <= C; len(src) >= g.InLen();
// len(dst) >= g.OutPixels()*KH*KW*cn. It never allocates.
func Im2col(dst, src []float32, g *Window, c0, cn int) {
	if c0 < 0 || cn < 1 || c0+cn > g.C {
		panic("runtime.Im2col: channel range [" + strconv.Itoa(c0) + ", " + strconv.Itoa(c0+cn) + ") outside [0, " + strconv.Itoa(g.C) + ")")
	}
	k := g.KH * g.KW * cn
	checkLen("Im2col", "src", len(src), g.InLen())
	checkLen("Im2col", "dst", len(dst), g.OutPixels()*k)
	im2colRows(dst, src, g, c0, cn, 0, g.OutPixels())
}

// interiorCols returns the output columns [lo, hi) whose kernel columns
// all fall inside the image: the pixels that share one table of taps in
// the assembly paths.
func interiorCols(g *Window) (lo, hi int) {
	lo = min(g.OW, (g.PadL+g.StrideW-1)/g.StrideW)
	hi = lo
	if last := g.W - 1 - (g.KW-1)*g.DilW + g.PadL; last >= 0 {
		hi = max(lo, min(g.OW, last/g.StrideW+1))
	}
	return lo, hi
}

// im2colRows writes rows [r0, r1) of the im2col matrix into dst, whose first
// row is row r0.
//
// When a kernel row reads whole pixels with no gaps, its KW taps are one
// contiguous run of the input; with assembly, the interior pixels of each
// output row (all kernel columns inside the image) then go to a kernel
// that copies all their runs in one call.
func im2colRows(dst, src []float32, g *Window, c0, cn, r0, r1 int) {
	kw, kcn := g.KW, g.KW*cn
	k := g.KH * kcn
	rowC := g.W * g.C
	contiguous := cn == g.C && g.DilW == 1
	useAsm := im2colISA != isaGo
	owLo, owHi := interiorCols(g)
	oh, ow := r0/g.OW, r0%g.OW
	for r := r0; r < r1; {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		if useAsm && ow >= owLo && ow < owHi && kh0 < kh1 {
			n := min(owHi-ow, r1-r)
			rows := dst[(r-r0)*k : (r-r0+n)*k]
			if kh0 > 0 || kh1 < g.KH {
				for i := 0; i < n; i++ {
					row := rows[i*k : i*k+k]
					clear(row[:kh0*kcn])
					clear(row[kh1*kcn:])
				}
			}
			ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
			s := ih0*rowC + (ow*g.StrideW-g.PadL)*g.C + c0
			if contiguous {
				// Each kernel row is one run of KW*C floats.
				// The last pixel's last run ends inside the image; the
				// slice expression checks it once for the call.
				in := src[s : s+(n-1)*g.StrideW*g.C+(kh1-kh0-1)*g.DilH*rowC+kcn]
				im2colAsm(n, rows[kh0*kcn:], k, in, g.StrideW*g.C, kh1-kh0, kcn, g.DilH*rowC)
			} else {
				// A group's channels, or dilated taps: each kernel row
				// is KW runs of cn floats, DilW pixels apart.
				for kh := kh0; kh < kh1; kh++ {
					b := s + (kh-kh0)*g.DilH*rowC
					in := src[b : b+(n-1)*g.StrideW*g.C+(kw-1)*g.DilW*g.C+cn]
					im2colAsm(n, rows[kh*kcn:], k, in, g.StrideW*g.C, kw, cn, g.DilW*g.C)
				}
			}
			r += n
			if ow += n; ow == g.OW {
				ow = 0
				oh++
			}
			continue
		}
		row := dst[(r-r0)*k : (r-r0)*k+k]
		kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, kw, g.W)
		if kh0 > 0 || kh1 < g.KH {
			clear(row[:kh0*kcn])
			clear(row[kh1*kcn:])
		}
		iw0 := ow*g.StrideW - g.PadL
		for kh := kh0; kh < kh1; kh++ {
			ih := oh*g.StrideH - g.PadT + kh*g.DilH
			seg := row[kh*kcn : kh*kcn+kcn]
			if kw0 > 0 || kw1 < kw {
				clear(seg[:kw0*cn])
				clear(seg[kw1*cn:])
				if kw0 == kw1 {
					continue // the window's columns are all padding
				}
			}
			base := ih*rowC + c0
			if contiguous {
				s := base + (iw0+kw0)*g.C
				copyRun(seg[kw0*cn:kw1*cn], src[s:s+(kw1-kw0)*cn])
				continue
			}
			for x := kw0; x < kw1; x++ {
				s := base + (iw0+x*g.DilW)*g.C
				copyRun(seg[x*cn:x*cn+cn], src[s:s+cn])
			}
		}
		r++
		if ow++; ow == g.OW {
			ow = 0
			oh++
		}
	}
}

// copyRun is copy for the short runs of an im2col row: a first layer with
// three input channels copies nine values at a time, where calling
// memmove costs more than the copy.
func copyRun(dst, src []float32) {
	if len(dst) > 32 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = src[i]
	}
}
