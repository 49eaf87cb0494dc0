//go:build !purego

package runtime

import (
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/cnnc/cnnc/runtime/internal/amx"
)

// avx2QKernel is the AVX2 quantized kernel: a 4 x 24 tile in 12 of the 16
// vector registers, with B read as memory operands (see the asmgen
// command for the measurements behind the shape); it also runs panels of
// 16 and 8 columns.
var avx2QKernel = &qkernel{name: "avx2", isa: isaAVX2, mr: 4, nr: 24, nrMin: 8, group: 4, mc: 96}

// avx2UBQKernel is the same tile on VPMADDUBSW, which multiplies the bytes
// directly and so does a group of four k in one multiply and one widening
// multiply per vector instead of two multiplies, a mask and a shift; B
// stays bytes. It is exact only for weights whose pairs pass ubswFits
// (see the asmgen command), so it falls back to avx2QKernel for others.
var avx2UBQKernel = &qkernel{name: "avx2ub", isa: isaAVX2, mr: 4, nr: 24, nrMin: 8, group: 4, mc: 96, ubsw: true, fallback: avx2QKernel}

// avx512VNNIQKernel is the AVX-512 VNNI kernel: an 8 x 48 tile of
// VPDPBUSD (see the asmgen command), panels of 48, 32 and 16 columns. It
// is exact for every weight, so it needs no fallback.
var avx512VNNIQKernel = &qkernel{name: "avx512vnni", isa: isaAVX512, mr: 8, nr: 48, nrMin: 16, group: 4, mc: 96, vnni: true}

// amxQKernel is the AMX-INT8 kernel: B packed as for the VNNI kernel in
// panels of 32 (or a last 16) columns with K rounded up to 64, the depth of
// a tile, so that each panel is the B operand of TILELOADD as it stands
// (16 groups of four k a tile, a row of w*4 bytes a group). Its plans run
// 32-row blocks on AMX and everything else on the VNNI kernel; see
// qgemmPlan.runAMX.
var amxQKernel = &qkernel{name: "amx", isa: isaAVX512, mr: 8, nr: 32, nrMin: 16, group: 64, mc: 96, vnni: true, amx: true}

func hasAVX512VNNI() bool { return hasAVX512() && cpu.X86.HasAVX512VNNI }

// hasAMX reports whether the CPU has AMX-INT8 (and the VNNI kernel that
// does AMX plans' store steps). Whether Linux grants the tile state is
// asked only when weights are first packed for AMX (amxGranted), so that a
// program that runs no int8 model never asks.
func hasAMX() bool { return hasAVX512VNNI() && amx.CPUHas() }

// amxGranted reports whether this process may use the AMX tiles, asking
// Linux once (amx.Available).
func amxGranted() bool { return amx.Available() == nil }

func availableQKernels() []*qkernel {
	var ks []*qkernel
	if hasAMX() {
		ks = append(ks, amxQKernel)
	}
	if hasAVX512VNNI() {
		ks = append(ks, avx512VNNIQKernel)
	}
	if hasAVX2() {
		ks = append(ks, avx2UBQKernel, avx2QKernel)
	}
	return append(ks, goQKernel)
}

// qAsmRows runs the assembly kernel on rows [i, i+n) of the full-width
// panel p, all of which it can read in place (see qgemmPlan.inPlace); ct
// is row i's first output and rs the M block's row terms, starting at i.
func qAsmRows(g *qgemmPlan, i, n, p int, ct unsafe.Pointer, q *qPanel, rs []int32) {
	var ap *uint8
	var bp unsafe.Pointer
	kg := (g.k + 3) / 4
	if kg > 0 {
		ap = &g.a[i*g.lda]
		bp = g.b.panelData(p)
	}
	st := &g.st
	qgemmAsm(g.kern, g.b.width[p], n, kg, ap, g.lda, bp, (*byte)(ct), st.ldc*st.esize, g.flags, q, rs, nil, st)
}

// qAsmTile runs the assembly kernel on rows [i, i+rows) of panel p; see
// qtile. The plan has been checked, so the kernel may use raw pointers.
func qAsmTile(g *qgemmPlan, rows, i, p, nw, w int, ct unsafe.Pointer, q *qPanel, rs []int32) {
	k := g.k
	kg := k / 4
	var ap, tp *uint8
	var bp unsafe.Pointer
	var tail [4 * qMaxMR]uint8
	if rem := k % 4; rem != 0 && (i+rows-1)*g.lda+4*(kg+1) <= len(g.a) {
		// The last partial group can be read in place: the bytes past K
		// meet zero weights, and they are inside A.
		kg++
	} else if rem != 0 {
		// Copy the last partial group of each row, padded with zeros, so
		// that the kernel reads nothing past the end of A.
		for r := 0; r < rows; r++ {
			s := (i+r)*g.lda + 4*kg
			copy(tail[4*r:4*r+rem], g.a[s:s+rem])
		}
		tp = &tail[0]
	}
	if kg > 0 {
		ap = &g.a[i*g.lda]
	}
	if k > 0 {
		bp = g.b.panelData(p)
	}
	st := &g.st
	flags := g.flags
	ldc := st.ldc * st.esize
	if nw == w {
		qgemmAsm(g.kern, w, rows, kg, ap, g.lda, bp, (*byte)(ct), ldc, flags, q, rs, tp, st)
		return
	}
	// No masked byte stores in AVX2 (the AVX-512 kernel shares the
	// path, which only the last panel of a layer takes): compute the
	// whole panel into a scratch tile and copy the wanted columns.
	var tmp [qMaxMR * qMaxNR]int32
	tb := unsafe.Pointer(&tmp[0])
	qgemmAsm(g.kern, w, rows, kg, ap, g.lda, bp, (*byte)(tb), w*st.esize, flags, q, rs, tp, st)
	copyRows(ct, ldc, tb, w*st.esize, rows, nw*st.esize)
}

// copyRows copies rows rows of n bytes from src (rows sstride bytes
// apart) to dst (dstride apart): a scratch tile's wanted columns.
func copyRows(dst unsafe.Pointer, dstride int, src unsafe.Pointer, sstride, rows, n int) {
	for r := 0; r < rows; r++ {
		copy(unsafe.Slice((*byte)(unsafe.Add(dst, r*dstride)), n), unsafe.Slice((*byte)(unsafe.Add(src, r*sstride)), n))
	}
}

// qgemmAsm calls kern's assembly on a panel packed w wide.
func qgemmAsm(kern *qkernel, w, m, kg int, a *uint8, lda int, b unsafe.Pointer, c *byte, ldc int, flags uint, q *qPanel, rs []int32, tail *uint8, st *qStore) {
	off, scale, zw, r := &q.off[0], &q.scale[0], &q.zw[0], &rs[0]
	if kern.vnni {
		b8 := (*int8)(b)
		switch w {
		case 48:
			qgemmVNNIx48(m, kg, a, lda, b8, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
		case 32:
			qgemmVNNIx32(m, kg, a, lda, b8, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
		default:
			qgemmVNNIx16(m, kg, a, lda, b8, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
		}
		return
	}
	if kern.ubsw {
		b8 := (*int8)(b)
		switch w {
		case 24:
			qgemmAVX2UBx24(m, kg, a, lda, b8, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
		case 16:
			qgemmAVX2UBx16(m, kg, a, lda, b8, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
		default:
			qgemmAVX2UBx8(m, kg, a, lda, b8, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
		}
		return
	}
	b16 := (*int16)(b)
	switch w {
	case 24:
		qgemmAVX2x24(m, kg, a, lda, b16, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
	case 16:
		qgemmAVX2x16(m, kg, a, lda, b16, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
	default:
		qgemmAVX2x8(m, kg, a, lda, b16, c, ldc, flags, off, scale, zw, r, tail, st.zy, st.loF, st.hiF)
	}
}

// qdwISAs lists the instruction sets QDepthwiseConv can use here, best
// first; tests run each.
func qdwISAs() []isa {
	var is []isa
	if hasAVX512VNNI() && cpu.X86.HasAVX512VL {
		is = append(is, isaAVX512)
	}
	return append(is, qewISAs()...)
}

// qewISAs lists the instruction sets of the quantized element-wise,
// pooling and im2col kernels, best first; tests run each.
func qewISAs() []isa {
	if hasAVX2() {
		return []isa{isaAVX2, isaGo}
	}
	return []isa{isaGo}
}

// qdepthwiseAsm runs the quantized depthwise kernel on npix pixels of c
// channels (a multiple of 8); taps holds (input, weight) byte-offset
// pairs. The caller has checked every address they imply.
func qdepthwiseAsm(npix int, out unsafe.Pointer, ostride int, in []uint8, istride int, taps []int, w, wsum []int32, c int, st *qStore, flags uint, za int32) {
	var bp *int32
	if flags&qdwBias != 0 {
		bp = unsafe.SliceData(st.bias)
	}
	// Direct calls: through a func value the arguments would escape.
	if qdwISA == isaAVX512 {
		qdepthwiseVNNI(npix, (*uint8)(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps)/2, unsafe.SliceData(w), unsafe.SliceData(wsum), c, bp, unsafe.SliceData(st.scale), flags, za, st.zy, st.loF, st.hiF)
		return
	}
	qdepthwiseAVX2(npix, (*uint8)(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps)/2, unsafe.SliceData(w), c, bp, unsafe.SliceData(st.scale), flags&^qdwFold, za, st.zy, st.loF, st.hiF)
}

// qmaxPoolAsm runs the uint8 max-pooling kernel on n pixels of c >= 16
// channels; taps holds byte offsets of the input pixels of a window. The
// caller has checked every address they imply.
func qmaxPoolAsm(n int, out []uint8, ostride int, in []uint8, istride int, taps []int, c int) {
	qmaxPoolAVX2(n, unsafe.SliceData(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps), c)
}

// qbinaryAsm runs QAdd (op qbinAdd) or QMul on len(dst), a multiple of 8,
// codes; f and z are the kernel's parameters (see the asmgen command).
func qbinaryAsm(dst, a, b []uint8, f *[3]float32, z *[5]int32, op int) {
	qbinaryAVX2(len(dst), unsafe.SliceData(dst), unsafe.SliceData(a), unsafe.SliceData(b), &f[0], &z[0], op)
}

// qsumRowsAsm adds rows rows of len(acc), a multiple of 8, codes from
// src, stride apart, into acc; the caller has checked the lengths.
func qsumRowsAsm(acc []int32, src []uint8, stride, rows int) {
	qsumRowsAVX2(unsafe.SliceData(acc), unsafe.SliceData(src), len(acc), stride, rows)
}

// qlookupAsm maps len(src), a multiple of 32, bytes through table into
// dst.
func qlookupAsm(dst, src []uint8, table *[256]uint8) {
	qlookupAVX2(len(src), unsafe.SliceData(dst), unsafe.SliceData(src), &table[0])
}

// qquantizeAsm quantizes len(src), a multiple of 8, values into dst.
func qquantizeAsm(dst []uint8, src []float32, scale float32, zero int32, lo, hi float32, signed bool) {
	s := 0
	if signed {
		s = 1
	}
	qquantizeAVX2(len(src), unsafe.SliceData(dst), unsafe.SliceData(src), scale, zero, lo, hi, s)
}

// qim2colAsm copies the runs of n byte im2col rows in assembly; the caller
// has checked every address the arguments imply and that runlen >= 8.
func qim2colAsm(n int, dst []uint8, ldd int, src []uint8, sstep, nruns, runlen, srun int) {
	qim2colAVX2(n, unsafe.SliceData(dst), ldd, unsafe.SliceData(src), sstep, nruns, runlen, srun)
}

// amxBlockMin is the least K, in steps of 64, for which a 32-row block goes
// to AMX. BenchmarkQGemm on this project's Xeon: at K = 128 (two steps) the
// amx kernel did 830 GOPS against the VNNI kernel's 580, at K = 576 1800
// against 640; a bare tile product of one step (BenchmarkAMX, K = 64) ran
// at 297 GOPS where the VNNI kernel did 474 (LDTILECFG and the stores cost
// more than the products save).
const amxBlockMin = 2

// amxRows runs AMX on the 32 rows of A from row i for panel p of
// packed width w, into the int32 block sums (w columns, rows w*4 bytes
// apart), then the VNNI kernel's store step on the first rows of them
// into ct; with nw < w it stores through a scratch tile as qAsmTile does.
func amxRows(g *qgemmPlan, i, rows, p, nw, w int, ct unsafe.Pointer, q *qPanel, rs []int32, sums *[32 * 32]int32) {
	kt := g.b.kern.rowsPacked(g.k) / 64
	amx.Tile(w, &g.a[i*g.lda], g.lda, (*int8)(g.b.panelData(p)), 4*w, &sums[0], 4*w, kt)
	st := &g.st
	flags := g.flags | qAccIn
	sp := (*uint8)(unsafe.Pointer(&sums[0]))
	if nw == w {
		qgemmAsm(avx512VNNIQKernel, w, rows, 0, sp, 4*w, nil, (*byte)(ct), st.ldc*st.esize, flags, q, rs, nil, st)
		return
	}
	// The store step in place over the sums, then the wanted columns.
	tb := unsafe.Pointer(&sums[0])
	qgemmAsm(avx512VNNIQKernel, w, rows, 0, sp, 4*w, nil, (*byte)(tb), w*st.esize, flags, q, rs, nil, st)
	ldc := st.ldc * st.esize
	copyRows(ct, ldc, tb, w*st.esize, rows, nw*st.esize)
}

// qdwRowOK reports whether the int8 row kernels take the window g: AVX-512
// VNNI, a 3, 5 or 7 wide window at stride 1 or 2, undilated columns, and
// rows of at least one group of eight pixels; the caller also needs whole
// vectors of 16 channels.
func qdwRowOK(g *Window) bool {
	return qdwISA == isaAVX512 && g.DilW == 1 && g.OW >= 8 && g.C%16 == 0 &&
		(g.KW == 3 || g.KW == 5 || g.KW == 7) && (g.StrideW == 1 || g.StrideW == 2)
}

// rowAsm computes output row oh of d with the row kernels, eight pixels at
// a time in the groups of eachRowGroup; the plain kernel's runs fold the
// zero point when every kernel row is inside the image too.
func (d *qdwJob) rowAsm(oh int, flags uint) {
	g, st := &d.g, &d.st
	c := g.C
	kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
	in, wp := &d.src[0], &d.w32[0]
	if kh1 > kh0 {
		ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
		in, wp = &d.src[ih0*g.W*c], &d.w32[kh0*g.KW*c]
	}
	var bp *int32
	if flags&qdwBias != 0 {
		bp = &st.bias[0]
	}
	sp, ws := &st.scale[0], &d.wsum[0]
	rowb, wrowb, nkh := g.DilH*g.W*c, 4*g.KW*c, kh1-kh0
	plain := flags
	if nkh == g.KH {
		plain |= qdwFold
	}
	out := unsafe.Add(d.dst, oh*g.OW*d.ldd)
	eachRowGroup(g, 8, func(masked bool, ow, npix int, mask uint32) {
		f := plain
		if masked {
			f = flags
		}
		qdwRowCall(g.KW, g.StrideW, masked, npix, (*uint8)(unsafe.Add(out, ow*d.ldd)), d.ldd, in, ow*g.StrideW-g.PadL, rowb, nkh, wp, wrowb, c, c, bp, sp, ws, f, d.za, st.zy, st.loF, st.hiF, mask)
	})
}

// qdwRowCall calls the int8 row kernel for kernel width kw and stride st (a
// switch rather than a table of funcs, whose indirect calls would make
// every pointer escape).
func qdwRowCall(kw, st int, masked bool, npix int, out *uint8, ostride int, in *uint8, col0, rowb, nkh int, w *int32, wrowb, c, cvb int, bias *int32, scale *float32, wsum *int32, flags uint, za, zy int32, lo, hi float32, mask uint32) {
	m := 0
	if masked {
		m = 1
	}
	switch kw<<2 | st<<1 | m {
	case 3<<2 | 1<<1 | 0:
		qdepthwiseRowVNNIK3S1(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 3<<2 | 1<<1 | 1:
		qdepthwiseRowVNNIK3S1Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 3<<2 | 2<<1 | 0:
		qdepthwiseRowVNNIK3S2(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 3<<2 | 2<<1 | 1:
		qdepthwiseRowVNNIK3S2Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 5<<2 | 1<<1 | 0:
		qdepthwiseRowVNNIK5S1(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 5<<2 | 1<<1 | 1:
		qdepthwiseRowVNNIK5S1Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 5<<2 | 2<<1 | 0:
		qdepthwiseRowVNNIK5S2(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 5<<2 | 2<<1 | 1:
		qdepthwiseRowVNNIK5S2Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 7<<2 | 1<<1 | 0:
		qdepthwiseRowVNNIK7S1(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 7<<2 | 1<<1 | 1:
		qdepthwiseRowVNNIK7S1Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 7<<2 | 2<<1 | 0:
		qdepthwiseRowVNNIK7S2(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	case 7<<2 | 2<<1 | 1:
		qdepthwiseRowVNNIK7S2Mask(npix, out, ostride, in, col0, rowb, nkh, w, wrowb, c, cvb, bias, scale, wsum, flags, za, zy, lo, hi, mask)
	default:
		panic("runtime: no int8 depthwise row kernel")
	}
}
