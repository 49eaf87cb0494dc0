package runtime

import (
	"strconv"
	"unsafe"
)

// QIm2col is Im2col for uint8 activation codes: row oh*OW+ow of dst holds,
// for each kernel tap in (kh, kw) order, the cn channel codes [c0, c0+cn)
// of the input pixel the tap reads, and za, the input's zero point, for
// padding: the code of the real value 0 that ONNX pads with. Rows are
// K = KH*KW*cn bytes and contiguous.
//
// Contract: g passes Check; 0 <= c0, c0+cn <= C; len(src) >= g.InLen();
// len(dst) >= g.OutPixels()*KH*KW*cn. It never allocates.
func QIm2col(dst, src []uint8, g *Window, c0, cn int, za uint8) {
	if c0 < 0 || cn < 1 || c0+cn > g.C {
		panic("runtime.QIm2col: channel range [" + strconv.Itoa(c0) + ", " + strconv.Itoa(c0+cn) + ") outside [0, " + strconv.Itoa(g.C) + ")")
	}
	k := g.KH * g.KW * cn
	checkLen("QIm2col", "src", len(src), g.InLen())
	checkLen("QIm2col", "dst", len(dst), g.OutPixels()*k)
	qim2colRows(dst, k, src, g, c0, cn, 0, g.OutPixels(), za)
}

// fillBytes sets every byte of s to v.
func fillBytes(s []uint8, v uint8) {
	if v == 0 {
		clear(s)
		return
	}
	for i := range s {
		s[i] = v
	}
}

// qim2colRows writes rows [r0, r1) of the im2col matrix into dst, whose
// first row is row r0, at stride ldd >= K; the bytes of each row past K
// are left alone. Like im2colRows it hands the interior pixels of each
// output row, when a kernel row is one contiguous run of at least 8 bytes,
// to an assembly copy.
func qim2colRows(dst []uint8, ldd int, src []uint8, g *Window, c0, cn, r0, r1 int, za uint8) {
	kw, kcn := g.KW, g.KW*cn
	k := g.KH * kcn
	rowC := g.W * g.C
	contiguous := cn == g.C && g.DilW == 1
	useAsm := contiguous && kcn >= 8 && qewISA != isaGo
	owLo, owHi := interiorCols(g)
	oh, ow := r0/g.OW, r0%g.OW
	for r := r0; r < r1; {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		if useAsm && ow >= owLo && ow < owHi && kh0 < kh1 {
			n := min(owHi-ow, r1-r)
			rows := dst[(r-r0)*ldd : (r-r0+n-1)*ldd+k]
			if kh0 > 0 || kh1 < g.KH {
				for i := 0; i < n; i++ {
					row := rows[i*ldd : i*ldd+k]
					fillBytes(row[:kh0*kcn], za)
					fillBytes(row[kh1*kcn:], za)
				}
			}
			ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
			s := ih0*rowC + (ow*g.StrideW-g.PadL)*g.C
			// The last pixel's last run ends inside the image; the
			// slice expression checks it once for the call.
			in := src[s : s+(n-1)*g.StrideW*g.C+(kh1-kh0-1)*g.DilH*rowC+kcn]
			qim2colAsm(n, rows[kh0*kcn:], ldd, in, g.StrideW*g.C, kh1-kh0, kcn, g.DilH*rowC)
			r += n
			if ow += n; ow == g.OW {
				ow = 0
				oh++
			}
			continue
		}
		row := dst[(r-r0)*ldd : (r-r0)*ldd+k]
		kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, kw, g.W)
		if kh0 > 0 || kh1 < g.KH {
			fillBytes(row[:kh0*kcn], za)
			fillBytes(row[kh1*kcn:], za)
		}
		iw0 := ow*g.StrideW - g.PadL
		for kh := kh0; kh < kh1; kh++ {
			ih := oh*g.StrideH - g.PadT + kh*g.DilH
			seg := row[kh*kcn : kh*kcn+kcn]
			if kw0 > 0 || kw1 < kw {
				fillBytes(seg[:kw0*cn], za)
				fillBytes(seg[kw1*cn:], za)
				if kw0 == kw1 {
					continue
				}
			}
			base := ih*rowC + c0
			if contiguous {
				s := base + (iw0+kw0)*g.C
				copy(seg[kw0*cn:kw1*cn], src[s:s+(kw1-kw0)*cn])
				continue
			}
			for x := kw0; x < kw1; x++ {
				s := base + (iw0+x*g.DilW)*g.C
				copy(seg[x*cn:x*cn+cn], src[s:s+cn])
			}
		}
		r++
		if ow++; ow == g.OW {
			ow = 0
			oh++
		}
	}
}

// qconvLDA is the row stride of QConv2D's im2col chunk for inner dimension
// k: a multiple of four, so that the AVX2 kernel reads whole groups of
// four bytes in place (the bytes past k meet zero weights).
func qconvLDA(k int) int { return (k + 3) &^ 3 }

// QConv2DWorkSize returns the scratch (in bytes) that QConv2D needs for
// the window g with a GEMM inner dimension k = KH*KW*cin: one chunk of
// im2col rows, or nothing when the convolution is 1x1, stride 1 and
// unpadded (A is then the input itself). The chunk is rounded up to whole
// blocks of 32 rows, plus one 64-byte K step, so that the AMX kernel can
// take a last, partial block (ResNet's 49 pixels of a 7x7 layer) as a
// whole one instead of leaving its rows to the VNNI kernel.
func QConv2DWorkSize(g *Window, k int) int {
	if directConv(g) {
		return 0
	}
	return (chunkRows(g)+31)&^31*qconvLDA(k) + 64
}

// QConv2D is a quantized convolution (QLinearConv, ConvInteger, or a QDQ
// Conv) of one NHWC image of uint8 codes with zero point za, as QIm2col
// followed by QGemm a chunk of output pixels at a time, like Conv2D: it
// reads input channels [c0, c0+cin), cin = b.K()/(KH*KW), and writes
// b.N() output channels per pixel into dst at stride ldd, stored as dst's
// type and ep say (see QGemm). b holds the filters as PackQConv packs them;
// for a grouped convolution call it once per group with that group's
// PackedQB, c0 and a dst starting at the group's first output channel,
// and ldd = all output channels.
//
// Contract: g passes Check; b.K() is a multiple of KH*KW and c0+cin <= C;
// len(src) >= g.InLen(); dst holds (OH*OW-1)*ldd + b.N() elements, ldd
// >= b.N(); len(work) >= QConv2DWorkSize(g, b.K()). It never allocates.
func QConv2D(dst QOutput, ldd int, src []uint8, g *Window, c0 int, za uint8, b *PackedQB, ep *QEpilogue, work []uint8) {
	var plan qgemmPlan
	var cj qconvJob
	if !cj.init("QConv2D", &plan, dst, ldd, src, g, c0, za, b, ep, work, 1) {
		return
	}
	cj.run(&plan, 0, plan.m)
}

// qconvJob is the im2col half of a QConv2D call, or of one worker's share.
type qconvJob struct {
	src     []uint8
	g       Window
	c0, cin int
	za      uint8
	work    []uint8 // this goroutine's chunk of scratch
}

// init checks a QConv2D call and sets up its GEMM plan; threads is the
// number of scratch chunks work must hold. It reports false when there is
// nothing to compute.
func (cj *qconvJob) init(fn string, plan *qgemmPlan, dst QOutput, ldd int, src []uint8, g *Window, c0 int, za uint8, b *PackedQB, ep *QEpilogue, work []uint8, threads int) bool {
	if b == nil {
		panic("runtime." + fn + ": nil PackedQB")
	}
	taps := g.KH * g.KW
	if taps < 1 || b.k%taps != 0 {
		panic("runtime." + fn + ": K=" + strconv.Itoa(b.k) + " is not a multiple of the kernel's " + strconv.Itoa(taps) + " taps")
	}
	cin := b.k / taps
	if c0 < 0 || c0+cin > g.C || cin < 1 {
		panic("runtime." + fn + ": input channels [" + strconv.Itoa(c0) + ", " + strconv.Itoa(c0+cin) + ") outside [0, " + strconv.Itoa(g.C) + ")")
	}
	checkLen(fn, "src", len(src), g.InLen())
	m := g.OutPixels()
	if directConv(g) {
		if !plan.init(fn, m, src[c0:], g.C, za, b, dst, ldd, ep) {
			return false
		}
		plan.checkA(fn)
		*cj = qconvJob{}
		return true
	}
	checkLen(fn, "work", len(work), threads*QConv2DWorkSize(g, b.k))
	if !plan.init(fn, m, nil, qconvLDA(b.k), za, b, dst, ldd, ep) {
		return false
	}
	*cj = qconvJob{src: src, g: *g, c0: c0, cin: cin, za: za, work: work}
	return true
}

// run computes output pixels [r0, r1) of the convolution, r0 a multiple of
// convChunk.
func (cj *qconvJob) run(plan *qgemmPlan, r0, r1 int) {
	if cj.src == nil {
		plan.run(r0, r1, 0, plan.panels)
		return
	}
	lda := plan.lda
	for i := r0; i < r1; i += convChunk {
		i1 := min(r1, i+convChunk)
		qim2colRows(cj.work, lda, cj.src, &cj.g, cj.c0, cj.cin, i, i1, cj.za)
		sub := plan.rows(i, i1, cj.work, lda)
		sub.run(0, i1-i, 0, sub.panels)
	}
}

// run0 writes all the im2col rows of a single-chunk convolution into work,
// for a GEMM split by panels instead of by chunks.
func (cj *qconvJob) run0(plan *qgemmPlan) {
	qim2colRows(cj.work, plan.lda, cj.src, &cj.g, cj.c0, cj.cin, 0, plan.m, cj.za)
	plan.a = cj.work
}

// PackedQDepthwise holds int8 depthwise filters for QDepthwiseConv, with
// their zero points subtracted, in the [kh][kw][cout] order it reads.
type PackedQDepthwise struct {
	cout, kh, kw int
	w            []int16
	// w32 holds the same weights for the assembly kernel, each in the low
	// half of an int32 whose high half is zero (see the asmgen command).
	w32 []int32
	// wsum[o] is the sum of output channel o's weights over the whole
	// kernel, with which the AVX-512 kernel applies the activations' zero
	// point once per pixel instead of once per tap where all taps are
	// inside the image.
	wsum []int32
}

// PackQDepthwise packs depthwise filters stored as ONNX does,
// [cout][1][kh][kw], with zero points zb (nil, one, or one per output
// channel, as for PackQB). It allocates and is meant to run at
// initialization.
func PackQDepthwise(w []int8, cout, kh, kw int, zb []int8) *PackedQDepthwise {
	if cout < 0 || kh < 0 || kw < 0 {
		panic("runtime.PackQDepthwise: negative size")
	}
	checkLen("PackQDepthwise", "w", len(w), cout*kh*kw)
	if len(zb) > 1 && len(zb) != cout {
		panic("runtime.PackQDepthwise: " + strconv.Itoa(len(zb)) + " zero points for " + strconv.Itoa(cout) + " channels")
	}
	p := &PackedQDepthwise{cout: cout, kh: kh, kw: kw, w: make([]int16, cout*kh*kw), w32: make([]int32, cout*kh*kw), wsum: make([]int32, cout)}
	for o := 0; o < cout; o++ {
		var z int16
		switch len(zb) {
		case 1:
			z = int16(zb[0])
		case cout:
			z = int16(zb[o])
		}
		for t := 0; t < kh*kw; t++ {
			v := int16(w[o*kh*kw+t]) - z
			p.w[t*cout+o] = v
			p.w32[t*cout+o] = int32(uint16(v))
			p.wsum[o] += int32(v)
		}
	}
	return p
}

// QDepthwiseConv is a quantized depthwise convolution (group == C) of one
// NHWC image of uint8 codes with zero point za, computed directly: output
// channel o = c*mult + m (m < mult) convolves input channel c with its own
// filter, and each output value is
//
//	store(sum_taps (x - za)*(w - zw[o]) + Bias[o])
//
// with padding contributing nothing (it holds the real value 0), stored as
// dst's type and ep say with the epilogue's per-column values indexed by
// output channel (see QGemm). dst receives OH*OW rows of cout = C*mult
// values at stride ldd >= cout.
//
// Contract: g passes Check; mult >= 1; w was packed for cout channels and
// a KH x KW kernel; len(src) >= g.InLen(); dst holds (OH*OW-1)*ldd + cout
// elements. It never allocates.
func QDepthwiseConv(dst QOutput, ldd int, src []uint8, g *Window, mult int, za uint8, w *PackedQDepthwise, ep *QEpilogue) {
	var d qdwJob
	d.init("QDepthwiseConv", dst, ldd, src, g, mult, za, w, ep)
	d.run(0, g.OH)
}

// qdwJob is a checked QDepthwiseConv call, or a worker's share of one.
type qdwJob struct {
	dst  unsafe.Pointer
	ldd  int
	src  []uint8
	g    Window
	mult int
	za   int32
	w    []int16
	w32  []int32
	wsum []int32
	st   qStore
}

func (d *qdwJob) init(fn string, dst QOutput, ldd int, src []uint8, g *Window, mult int, za uint8, w *PackedQDepthwise, ep *QEpilogue) {
	cout := g.C * mult
	if w == nil {
		panic("runtime." + fn + ": nil PackedQDepthwise")
	}
	if mult < 1 || ldd < cout {
		panic("runtime." + fn + ": mult=" + strconv.Itoa(mult) + ", ldd=" + strconv.Itoa(ldd) + " for " + strconv.Itoa(cout) + " output channels")
	}
	if w.cout != cout || w.kh != g.KH || w.kw != g.KW {
		panic("runtime." + fn + ": filters packed for " + strconv.Itoa(w.cout) + " channels of " + strconv.Itoa(w.kh) + "x" + strconv.Itoa(w.kw) + ", not " + strconv.Itoa(cout) + " of " + strconv.Itoa(g.KH) + "x" + strconv.Itoa(g.KW))
	}
	checkLen(fn, "src", len(src), g.InLen())
	checkLen(fn, "dst", dst.n, (g.OutPixels()-1)*ldd+cout)
	*d = qdwJob{dst: dst.p, ldd: ldd, src: src, g: *g, mult: mult, za: int32(za), w: w.w, w32: w.w32, wsum: w.wsum}
	d.st.init(fn, dst.kind, cout, ep)
	d.st.esize, d.st.ldc = dst.size(), ldd
}

// qdwBlock is how many output channels QDepthwiseConv sums at a time, in
// an array on the stack.
const qdwBlock = 64

// run computes output rows [oh0, oh1).
//
// With assembly (8-bit output, multiplier 1, at least one vector of
// channels) every pixel goes to the kernel with a table of the taps that
// fall inside the image, as DepthwiseConv does: one call for the interior
// run of each row, one per border pixel; channels beyond the last whole
// vector, and everything else, are done in Go.
func (d *qdwJob) run(oh0, oh1 int) {
	g := &d.g
	c := g.C
	st := &d.st
	cv := 0
	if qdwISA != isaGo && d.mult == 1 && (st.kind == qOutU8 || st.kind == qOutS8) && g.KH*g.KW <= maxAsmTaps {
		cv = c - c%8
	}
	if cv == 0 {
		for oh := oh0; oh < oh1; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				d.pixel(oh, ow, 0, c*d.mult)
			}
		}
		return
	}
	var flags uint
	if st.kind == qOutS8 {
		flags |= qdwSigned
	}
	if st.bias != nil {
		flags |= qdwBias
	}
	if len(st.scale) == 1 {
		flags |= qdwScale1
	}
	if cv == c && qdwRowOK(g) {
		for oh := oh0; oh < oh1; oh++ {
			d.rowAsm(oh, flags)
		}
		return
	}
	owLo, owHi := interiorCols(g)
	var table [2 * maxAsmTaps]int
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
		for ow := 0; ow < g.OW; {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			n := 1
			if ow == owLo && owHi > owLo {
				n = owHi - owLo
			}
			taps := table[:0]
			for kh := kh0; kh < kh1; kh++ {
				for kw := kw0; kw < kw1; kw++ {
					in := ((kh-kh0)*g.DilH*g.W + (kw-kw0)*g.DilW) * c
					taps = append(taps, in, 4*(kh*g.KW+kw)*c)
				}
			}
			p := (oh*g.OW + ow) * d.ldd
			in := d.src
			if len(taps) > 0 {
				in = d.src[(ih0*g.W+ow*g.StrideW-g.PadL+kw0*g.DilW)*c:]
			}
			f := flags
			if len(taps) == 2*g.KH*g.KW {
				f |= qdwFold
			}
			qdepthwiseAsm(n, unsafe.Add(d.dst, p), d.ldd, in, g.StrideW*c, taps, d.w32, d.wsum, cv, st, f, d.za)
			if cv < c {
				for q := ow; q < ow+n; q++ {
					d.pixel(oh, q, cv, c)
				}
			}
			ow += n
		}
	}
}

// pixel computes output channels [o0, o1) of output pixel (oh, ow) in Go.
func (d *qdwJob) pixel(oh, ow, o0, o1 int) {
	g := &d.g
	c, mult := g.C, d.mult
	cout := c * mult
	st := &d.st
	kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
	kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
	pix := oh*g.OW + ow
	var acc [qdwBlock]int32
	for b0 := o0; b0 < o1; b0 += qdwBlock {
		nb := min(qdwBlock, o1-b0)
		a := acc[:nb]
		if st.bias != nil {
			copy(a, st.bias[b0:b0+nb])
		} else {
			clear(a)
		}
		for kh := kh0; kh < kh1; kh++ {
			ih := oh*g.StrideH - g.PadT + kh*g.DilH
			for kw := kw0; kw < kw1; kw++ {
				iw := ow*g.StrideW - g.PadL + kw*g.DilW
				s := (ih*g.W + iw) * c
				t := (kh*g.KW+kw)*cout + b0
				wt := d.w[t : t+nb]
				if mult == 1 {
					qdwTap(a, d.src[s+b0:s+b0+nb], wt, d.za)
					continue
				}
				for j := range a {
					x := int32(d.src[s+(b0+j)/mult]) - d.za
					a[j] += x * int32(wt[j])
				}
			}
		}
		st.storeRow(unsafe.Add(d.dst, (pix*d.ldd+b0)*st.esize), a, b0)
	}
}

// qdwTap adds (in[i] - za)*w[i] to acc[i] for every channel of a block.
func qdwTap(acc []int32, in []uint8, w []int16, za int32) {
	in = in[:len(acc)]
	w = w[:len(acc)]
	for i := range acc {
		acc[i] += (int32(in[i]) - za) * int32(w[i])
	}
}
