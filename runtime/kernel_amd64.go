//go:build !purego

package runtime

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run -C internal/asmgen . -out ../../sgemm_amd64.s -stubs ../../sgemm_stubs_amd64.go -pkg runtime

// The AVX-512 kernel holds a 12 x 32 tile in 24 of the 32 vector registers;
// the AVX2 kernel a 6 x 16 tile in 12 of 16. Both can also run panels of one
// vector (16 and 8 columns), which the last panel of B uses when that is
// enough.
var (
	avx512Kernel = &kernel{name: "avx512", isa: isaAVX512, mr: 12, nr: 32, nrMin: 16, kc: 256, mc: 96, indirect: true}
	avx2Kernel   = &kernel{name: "avx2", isa: isaAVX2, mr: 6, nr: 16, nrMin: 8, kc: 256, mc: 96, indirect: true}
)

func hasAVX512() bool { return cpu.X86.HasAVX512F }
func hasAVX2() bool   { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func availableKernels() []*kernel {
	var ks []*kernel
	if hasAVX512() {
		ks = append(ks, avx512Kernel)
	}
	if hasAVX2() {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, goKernel)
}

func pickKernel() *kernel { return availableKernels()[0] }

// asmTile runs an assembly kernel on one tile; see tile for the arguments.
// The slices have been checked by Sgemm, so the kernel may read and write
// through raw pointers.
func asmTile(kern *kernel, rows, nw, w, kc int, a []float32, lda int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32, pf *float32) {
	var ap, bp, biasp, resp *float32
	if kc > 0 {
		ap, bp = unsafe.SliceData(a), unsafe.SliceData(b)
	}
	if flags&tBias != 0 {
		biasp = unsafe.SliceData(bias)
	}
	if flags&tRes != 0 {
		resp = unsafe.SliceData(res)
	}
	cp := unsafe.SliceData(c)
	switch kern.isa {
	case isaAVX512:
		mask := uint32(1)<<uint(nw) - 1
		if w == 32 {
			sgemmAVX512x32(rows, kc, ap, lda, bp, cp, ldc, mask, flags, biasp, resp, lo, hi, alpha, nil, pf)
		} else {
			sgemmAVX512x16(rows, kc, ap, lda, bp, cp, ldc, mask, flags, biasp, resp, lo, hi, alpha, nil, pf)
		}
	case isaAVX2:
		// A panel narrower than the kernel (only the last one; its
		// partial lanes are all in the last vector, as packB makes the
		// last panel 8 wide when 8 columns or fewer remain) is stored
		// through a lane mask.
		var lanes *int32
		if nw < w {
			lanes = &tailLanes[8-(nw-w+8)]
		}
		if w == 16 {
			sgemmAVX2x16(rows, kc, ap, lda, bp, cp, ldc, 0, flags, biasp, resp, lo, hi, alpha, lanes, pf)
		} else {
			sgemmAVX2x8(rows, kc, ap, lda, bp, cp, ldc, 0, flags, biasp, resp, lo, hi, alpha, lanes, pf)
		}
	}
}

// storeArgs returns the store-step pointers of an AVX2 kernel call: the
// bias and residual when flags use them, and the lane mask of a panel of
// packed width w of which only nw columns are stored (only the last one
// is narrower; its partial lanes are all in its last vector).
func storeArgs(flags uint, nw, w int, bias, res []float32) (biasp, resp *float32, lanes *int32) {
	if flags&tBias != 0 {
		biasp = unsafe.SliceData(bias)
	}
	if flags&tRes != 0 {
		resp = unsafe.SliceData(res)
	}
	if nw < w {
		lanes = &tailLanes[8-(nw-w+8)]
	}
	return biasp, resp, lanes
}

// asmIndirectTile runs the indirect GEMM kernel of kern's ISA on rows
// output pixels and one panel; see indirectTile for the arguments. Only
// kernels with indirect set come here, and the driver has checked every
// offset in tbl.
func asmIndirectTile(kern *kernel, rows, nw, w, taps, kc int, tbl []int32, tstride int, in, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	tp, ip, zp, bp, cp := unsafe.SliceData(tbl), unsafe.SliceData(in), &igemmZeros[0], unsafe.SliceData(b), unsafe.SliceData(c)
	switch kern.isa {
	case isaAVX512:
		biasp, resp, _ := storeArgs(flags, w, w, bias, res)
		mask := uint32(1)<<uint(nw) - 1
		if w == 32 {
			igemmAVX512x32(rows, taps, kc, tp, 4*tstride, ip, zp, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, mask)
		} else {
			igemmAVX512x16(rows, taps, kc, tp, 4*tstride, ip, zp, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, mask)
		}
	case isaAVX2:
		biasp, resp, lanes := storeArgs(flags, nw, w, bias, res)
		if w == 16 {
			igemmAVX2x16(rows, taps, kc, tp, 4*tstride, ip, zp, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, lanes)
		} else {
			igemmAVX2x8(rows, taps, kc, tp, 4*tstride, ip, zp, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, lanes)
		}
	default:
		panic("runtime: no indirect GEMM kernel " + kern.name)
	}
}

// stemKernel is the kernel PackStem packs for when the GEMM kernel is k:
// k itself where it has assembly (the stem kernels share the GEMM
// kernels' panels), else the portable one.
func stemKernel(k *kernel) *kernel {
	if k.isa != isaGo {
		return k
	}
	return goKernel
}

// asmStemTile runs kern's stem kernel; see stemTile for the arguments.
func asmStemTile(kern *kernel, rows, nw, w, kw int, a []float32, lda int, segs []int32, dx int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	ap, sp, bp, cp := unsafe.SliceData(a), unsafe.SliceData(segs), unsafe.SliceData(b), unsafe.SliceData(c)
	if kern.isa == isaAVX512 {
		biasp, resp, _ := storeArgs(flags, w, w, bias, res)
		mask := uint32(1)<<uint(nw) - 1
		if w == 32 {
			stemAVX512x32(rows, kw, ap, lda, sp, len(segs), dx, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, mask)
		} else {
			stemAVX512x16(rows, kw, ap, lda, sp, len(segs), dx, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, mask)
		}
		return
	}
	biasp, resp, lanes := storeArgs(flags, nw, w, bias, res)
	if w == 16 {
		stemAVX2x16(rows, kw, ap, lda, sp, len(segs), dx, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, lanes)
	} else {
		stemAVX2x8(rows, kw, ap, lda, sp, len(segs), dx, bp, cp, ldc, flags, biasp, resp, lo, hi, alpha, lanes)
	}
}

func depthwiseISAs() []isa {
	var is []isa
	if hasAVX512() {
		is = append(is, isaAVX512)
	}
	if hasAVX2() {
		is = append(is, isaAVX2)
	}
	return append(is, isaGo)
}

// depthwiseWidth is the channel multiple the depthwise assembly needs, or
// 0 for the portable path.
func depthwiseWidth() int {
	switch dwISA {
	case isaAVX512:
		return 16
	case isaAVX2:
		return 8
	}
	return 0
}

// depthwiseAsm runs the depthwise assembly kernel on npix pixels; taps
// holds (input, weight) byte-offset pairs. See the asmgen command for the
// contract. The caller has checked every address it implies.
func depthwiseAsm(npix int, out []float32, ostride int, in []float32, istride int, taps []int, w []float32, c int, bias []float32, flags uint, lo, hi float32) {
	var bp *float32
	if flags&tBias != 0 {
		bp = unsafe.SliceData(bias)
	}
	if dwISA == isaAVX512 {
		depthwiseAVX512(npix, unsafe.SliceData(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps)/2, unsafe.SliceData(w), c, bp, flags, lo, hi)
		return
	}
	depthwiseAVX2(npix, unsafe.SliceData(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps)/2, unsafe.SliceData(w), c, bp, flags, lo, hi)
}

// tailLanes is the AVX2 lane mask of a partial channel vector: the eight
// lanes from &tailLanes[8-n] enable the first n.
var tailLanes = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// winoInputAsm runs the Winograd input transform in assembly; see
// winoInput, which has checked the slices.
func winoInputAsm(tile int, v []float32, ldv int, src []float32, rs, ps, c int) {
	sp, vp := unsafe.SliceData(src), unsafe.SliceData(v)
	mask := &tailLanes[8-c%8]
	switch {
	case winoISA == isaAVX512 && tile == 4:
		winogradIn4AVX512(sp, rs, ps, vp, ldv, c, mask)
	case winoISA == isaAVX512:
		winogradIn2AVX512(sp, rs, ps, vp, ldv, c, mask)
	case tile == 4:
		winogradIn4AVX2(sp, rs, ps, vp, ldv, c, mask)
	default:
		winogradIn2AVX2(sp, rs, ps, vp, ldv, c, mask)
	}
}

// winoOutputAsm runs the Winograd output transform and epilogue in
// assembly; see winoOutput, which has checked the slices.
func winoOutputAsm(tile int, u []float32, ldu int, dst []float32, ldd, rsd, rows, cols, m int, bias, res []float32, flags uint, lo, hi, alpha float32) {
	var bp, rp *float32
	if flags&tBias != 0 {
		bp = unsafe.SliceData(bias)
	}
	if flags&tRes != 0 {
		rp = unsafe.SliceData(res)
	}
	up, dp := unsafe.SliceData(u), unsafe.SliceData(dst)
	mask := &tailLanes[8-m%8]
	switch {
	case winoISA == isaAVX512 && tile == 4:
		winogradOut4AVX512(up, ldu, dp, ldd, rsd, rows, cols, m, bp, rp, flags, lo, hi, alpha, mask)
	case winoISA == isaAVX512:
		winogradOut2AVX512(up, ldu, dp, ldd, rsd, rows, cols, m, bp, rp, flags, lo, hi, alpha, mask)
	case tile == 4:
		winogradOut4AVX2(up, ldu, dp, ldd, rsd, rows, cols, m, bp, rp, flags, lo, hi, alpha, mask)
	default:
		winogradOut2AVX2(up, ldu, dp, ldd, rsd, rows, cols, m, bp, rp, flags, lo, hi, alpha, mask)
	}
}

// poolAsm runs the max- or average-pooling kernel on n pixels; taps holds
// byte offsets of the input pixels of a window. The caller has checked
// every address they imply.
func poolAsm(avg bool, n int, out []float32, ostride int, in []float32, istride int, taps []int, c int, scale float32) {
	o, i, t := unsafe.SliceData(out), unsafe.SliceData(in), unsafe.SliceData(taps)
	mask := &tailLanes[8-c%8]
	switch {
	case poolISA == isaAVX512 && avg:
		avgPoolAVX512(n, o, ostride, i, istride, t, len(taps), c, scale, mask)
	case poolISA == isaAVX512:
		maxPoolAVX512(n, o, ostride, i, istride, t, len(taps), c, scale, mask)
	case avg:
		avgPoolAVX2(n, o, ostride, i, istride, t, len(taps), c, scale, mask)
	default:
		maxPoolAVX2(n, o, ostride, i, istride, t, len(taps), c, scale, mask)
	}
}

// im2colAsm copies the runs of n im2col rows in assembly; the caller has
// checked every address the arguments imply.
func im2colAsm(n int, dst []float32, ldd int, src []float32, sstep, nruns, runlen, srun int) {
	d, s := unsafe.SliceData(dst), unsafe.SliceData(src)
	mask := &tailLanes[8-min(runlen, 8)]
	if im2colISA == isaAVX512 {
		im2colAVX512(n, d, ldd, s, sstep, nruns, runlen, srun, mask)
		return
	}
	im2colAVX2(n, d, ldd, s, sstep, nruns, runlen, srun, mask)
}

// activateAsm runs the activation kernel on rows x cols floats at stride
// ld; activateRows has checked the slice.
func activateAsm(x []float32, rows, cols, ld int, act ActKind, alpha, beta float32) {
	p := unsafe.SliceData(x)
	mask := &tailLanes[8-cols%8]
	if actISA == isaAVX512 {
		activateAVX512(int(act), p, rows, cols, ld, alpha, beta, mask)
		return
	}
	activateAVX2(int(act), p, rows, cols, ld, alpha, beta, mask)
}

func hasTranspose8() bool { return layoutISA != isaGo }

// transposeStrip transposes cols/8 8x8 blocks of src (rows sstride apart)
// into dst (rows dstride apart); the caller checked the bounds.
func transposeStrip(nb int, src []float32, sstride int, dst []float32, dstride int) {
	if nb > 0 {
		transposeStripAVX2(nb, unsafe.SliceData(src), sstride, unsafe.SliceData(dst), dstride)
	}
}

// interleave2 interleaves the halves of rows pixels of 2*per channels
// for the channels below the last whole vector of a half, and reports how
// many that was; the caller checked the bounds.
func interleave2(dst, src []float32, rows, per int) int {
	nv := per / 8
	if layoutISA == isaGo || nv == 0 || rows == 0 {
		return 0
	}
	interleave2AVX2(rows, nv, per, unsafe.SliceData(src), unsafe.SliceData(dst))
	return nv * 8
}

// chanWidth is the channel multiple the per-channel kernels (sumRows,
// scaleShift) take, 0 without assembly; they follow poolISA.
func chanWidth() int {
	switch poolISA {
	case isaAVX512:
		return 16
	case isaAVX2:
		return 8
	}
	return 0
}

// sumRowsAsm adds rows rows of c channels (c a multiple of chanWidth) of
// src, ld apart, into dst; the caller checked the bounds.
func sumRowsAsm(rows, c int, src []float32, ld int, dst []float32) {
	if rows == 0 || c == 0 {
		return
	}
	s, d := unsafe.SliceData(src), unsafe.SliceData(dst)
	if poolISA == isaAVX512 {
		sumRowsAVX512(rows, c, s, ld, d)
	} else {
		sumRowsAVX2(rows, c, s, ld, d)
	}
}

// scaleRowsAsm multiplies row r of the rows x w panel src (w a multiple
// of chanWidth) by s[r] into dst. The caller checked the bounds.
func scaleRowsAsm(rows, w int, src, dst, s []float32) {
	if rows == 0 || w == 0 {
		return
	}
	sd, dd, ss := unsafe.SliceData(src), unsafe.SliceData(dst), unsafe.SliceData(s)
	if poolISA == isaAVX512 {
		scaleRowsAVX512(rows, w, sd, dd, ss)
	} else {
		scaleRowsAVX2(rows, w, sd, dd, ss)
	}
}

// scaleShiftAsm is ScaleShift's vector kernel over c channels (a multiple
// of chanWidth); shift is used when flags has tBias, the clamp when it has
// tClamp. The caller checked the bounds.
func scaleShiftAsm(rows, c int, src []float32, sld int, dst []float32, dld int, scale, shift []float32, flags uint, lo, hi float32) {
	if rows == 0 || c == 0 {
		return
	}
	var sh *float32
	if flags&tBias != 0 {
		sh = unsafe.SliceData(shift)
	}
	s, d, sc := unsafe.SliceData(src), unsafe.SliceData(dst), unsafe.SliceData(scale)
	if poolISA == isaAVX512 {
		scaleShiftAVX512(rows, c, s, sld, d, dld, sc, sh, flags, lo, hi)
	} else {
		scaleShiftAVX2(rows, c, s, sld, d, dld, sc, sh, flags, lo, hi)
	}
}

// depthwiseRowOK reports whether the AVX2 row kernels (see depthwiseRow in
// the asmgen command) compute the rows of window g: a kernel width and
// stride they were generated for, undilated columns, and rows of at least
// one group of pixels. AVX-512 keeps the taps-table kernel.
func depthwiseRowOK(g *Window) bool {
	return (dwISA == isaAVX2 || dwISA == isaAVX512) && g.DilW == 1 && g.OW >= depthwiseRowPixels(g) &&
		(g.KW == 3 || g.KW == 5 || g.KW == 7) && (g.StrideW == 1 || g.StrideW == 2)
}

// dwRowForce, when not 0, is the group size every window gets (for tests
// and experiments).
var dwRowForce = 0

// depthwiseRowPixels is the group of pixels the row kernels take for g:
// eight pixels of one vector, or four of two (whole cache lines) when the
// pixel stride would make the lines of eight pixels share a few L1 sets;
// see dwRowShapes in the asmgen command. The four-pixel kernels need the
// channels to be a multiple of 16.
func depthwiseRowPixels(g *Window) int {
	// Four pixels take two vectors at a time, and no single one.
	if g.C%(2*depthwiseWidth()) != 0 {
		return 8
	}
	if dwRowForce != 0 {
		return dwRowForce
	}
	// Measured on Zen 3: four pixels win by 1.3-1.6x at 128, 256 and
	// 512 channels (pixel strides of 512 B to 2 KiB), tie at 64 and 384,
	// and lose by up to 1.6x at 144, 240 and 672.
	if g.C%128 == 0 {
		return 4
	}
	return 8
}

// depthwiseRowAsm computes channels [0, cv) of output row out (pixel ow at
// out[ow*ldd:]) with the row kernels, for the input rows from ih0 that
// kernel rows [kh0, kh1) read, with bias and clamp as flags say, in the
// groups of eachRowGroup: runs of groups inside the image to the plain
// kernel, the border groups to the Mask kernel, which skips the columns
// outside.
func depthwiseRowAsm(out []float32, ldd int, src []float32, g *Window, ih0, kh0, kh1 int, w []float32, cv int, bias []float32, flags uint, lo, hi float32) {
	c := g.C
	in, wp := &src[0], &w[0]
	if kh1 > kh0 {
		in, wp = &src[ih0*g.W*c], &w[kh0*g.KW*c]
	}
	var bp *float32
	if flags&tBias != 0 {
		bp = &bias[0]
	}
	np := depthwiseRowPixels(g)
	rowb, wrowb, nkh := 4*g.DilH*g.W*c, 4*g.KW*c, kh1-kh0
	eachRowGroup(g, np, func(masked bool, ow, npix int, mask uint32) {
		depthwiseRowCall(g.KW, g.StrideW, np, masked, npix, &out[ow*ldd], ldd, in, ow*g.StrideW-g.PadL, rowb, nkh, wp, wrowb, c, 4*cv, bp, flags, lo, hi, mask)
	})
}

// depthwiseRowCall calls the row kernel for kernel width kw, stride st and
// groups of np pixels. (A switch rather than a table of funcs, whose
// indirect calls would make every pointer escape.)
func depthwiseRowCall(kw, st, np int, masked bool, npix int, out *float32, ostride int, in *float32, col0 int, rowb int, nkh int, w *float32, wrowb int, c int, cvb int, bias *float32, flags uint, lo float32, hi float32, mask uint32) {
	m := 0
	if masked {
		m = 1
	}
	p4 := 0
	if np == 4 {
		p4 = 1
	}
	z := 0
	if dwISA == isaAVX512 {
		z = 1
	}
	switch z<<6 | kw<<3 | st<<2 | p4<<1 | m {
	case 1<<6 | 3<<3 | 1<<2 | 0<<1 | 0:
		depthwiseRowAVX512K3S1P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 1<<2 | 0<<1 | 1:
		depthwiseRowAVX512K3S1P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 1<<2 | 1<<1 | 0:
		depthwiseRowAVX512K3S1P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 1<<2 | 1<<1 | 1:
		depthwiseRowAVX512K3S1P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 2<<2 | 0<<1 | 0:
		depthwiseRowAVX512K3S2P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 2<<2 | 0<<1 | 1:
		depthwiseRowAVX512K3S2P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 2<<2 | 1<<1 | 0:
		depthwiseRowAVX512K3S2P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 3<<3 | 2<<2 | 1<<1 | 1:
		depthwiseRowAVX512K3S2P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 1<<2 | 0<<1 | 0:
		depthwiseRowAVX512K5S1P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 1<<2 | 0<<1 | 1:
		depthwiseRowAVX512K5S1P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 1<<2 | 1<<1 | 0:
		depthwiseRowAVX512K5S1P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 1<<2 | 1<<1 | 1:
		depthwiseRowAVX512K5S1P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 2<<2 | 0<<1 | 0:
		depthwiseRowAVX512K5S2P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 2<<2 | 0<<1 | 1:
		depthwiseRowAVX512K5S2P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 2<<2 | 1<<1 | 0:
		depthwiseRowAVX512K5S2P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 5<<3 | 2<<2 | 1<<1 | 1:
		depthwiseRowAVX512K5S2P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 1<<2 | 0<<1 | 0:
		depthwiseRowAVX512K7S1P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 1<<2 | 0<<1 | 1:
		depthwiseRowAVX512K7S1P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 1<<2 | 1<<1 | 0:
		depthwiseRowAVX512K7S1P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 1<<2 | 1<<1 | 1:
		depthwiseRowAVX512K7S1P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 2<<2 | 0<<1 | 0:
		depthwiseRowAVX512K7S2P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 2<<2 | 0<<1 | 1:
		depthwiseRowAVX512K7S2P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 2<<2 | 1<<1 | 0:
		depthwiseRowAVX512K7S2P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 1<<6 | 7<<3 | 2<<2 | 1<<1 | 1:
		depthwiseRowAVX512K7S2P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 1<<2 | 0<<1 | 0:
		depthwiseRowAVX2K3S1P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 1<<2 | 0<<1 | 1:
		depthwiseRowAVX2K3S1P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 1<<2 | 1<<1 | 0:
		depthwiseRowAVX2K3S1P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 1<<2 | 1<<1 | 1:
		depthwiseRowAVX2K3S1P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 2<<2 | 0<<1 | 0:
		depthwiseRowAVX2K3S2P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 2<<2 | 0<<1 | 1:
		depthwiseRowAVX2K3S2P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 2<<2 | 1<<1 | 0:
		depthwiseRowAVX2K3S2P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 3<<3 | 2<<2 | 1<<1 | 1:
		depthwiseRowAVX2K3S2P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 1<<2 | 0<<1 | 0:
		depthwiseRowAVX2K5S1P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 1<<2 | 0<<1 | 1:
		depthwiseRowAVX2K5S1P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 1<<2 | 1<<1 | 0:
		depthwiseRowAVX2K5S1P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 1<<2 | 1<<1 | 1:
		depthwiseRowAVX2K5S1P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 2<<2 | 0<<1 | 0:
		depthwiseRowAVX2K5S2P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 2<<2 | 0<<1 | 1:
		depthwiseRowAVX2K5S2P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 2<<2 | 1<<1 | 0:
		depthwiseRowAVX2K5S2P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 5<<3 | 2<<2 | 1<<1 | 1:
		depthwiseRowAVX2K5S2P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 1<<2 | 0<<1 | 0:
		depthwiseRowAVX2K7S1P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 1<<2 | 0<<1 | 1:
		depthwiseRowAVX2K7S1P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 1<<2 | 1<<1 | 0:
		depthwiseRowAVX2K7S1P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 1<<2 | 1<<1 | 1:
		depthwiseRowAVX2K7S1P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 2<<2 | 0<<1 | 0:
		depthwiseRowAVX2K7S2P8(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 2<<2 | 0<<1 | 1:
		depthwiseRowAVX2K7S2P8Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 2<<2 | 1<<1 | 0:
		depthwiseRowAVX2K7S2P4(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	case 0<<6 | 7<<3 | 2<<2 | 1<<1 | 1:
		depthwiseRowAVX2K7S2P4Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, flags, lo, hi, mask)
	default:
		panic("runtime: no depthwise row kernel")
	}
}
