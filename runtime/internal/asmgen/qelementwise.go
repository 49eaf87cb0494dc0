package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// qmaxPool writes the max pooling of uint8 codes: for each of npix
// output pixels (pixel p's c channels at out + p*ostride bytes, its input
// taps relative to in + p*istride bytes) out[ch] = max_t in[taps[t] + ch]
// over ntaps >= 1 taps, taps holding byte offsets. c must be at least 16.
// Channels go 32 at a time; the last, partial vector is the one ending at
// c, overlapping the one before it, which recomputes a few maxima with the
// same result instead of masking (AVX2 has no masked byte loads); below 32
// channels the same is done with 16-byte vectors.
func qmaxPool() {
	name := "qmaxPoolAVX2"
	TEXT(name, NOSPLIT, "func(npix int, out *uint8, ostride int, in *uint8, istride int, taps *int, ntaps int, c int)")
	Pragma("noescape")
	Doc(name + " computes npix pixels of max pooling on uint8 codes; see the asmgen command.")
	npix, outp, inp, c, ch, tp, cnt, ip := R8, R9, R10, R11, RAX, RDI, RCX, RSI
	Load(Param("npix"), npix)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("c"), c)
	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	Label(name + "_pixel")
	// One vector of width bytes at channel offset ch.
	vector := func(lbl string, width int) {
		acc, x := Y0, Y1
		load := func(m Mem, dst VecPhysical) {
			if width == 32 {
				VMOVDQU(m, dst)
			} else {
				VMOVDQU(m, dst.AsX())
			}
		}
		MOVQ(Mem{Base: RDX}, ip)
		ADDQ(inp, ip)
		load(Mem{Base: ip, Index: ch, Scale: 1}, acc)
		Load(Param("ntaps"), cnt)
		DECQ(cnt)
		JZ(LabelRef(lbl + "_store"))
		LEAQ(Mem{Base: RDX, Disp: 8}, tp)
		Label(lbl + "_tap")
		MOVQ(Mem{Base: tp}, ip)
		ADDQ(inp, ip)
		if width == 32 {
			VPMAXUB(Mem{Base: ip, Index: ch, Scale: 1}, acc, acc)
		} else {
			load(Mem{Base: ip, Index: ch, Scale: 1}, x)
			VPMAXUB(x.AsX(), acc.AsX(), acc.AsX())
		}
		ADDQ(U32(8), tp)
		DECQ(cnt)
		JNZ(LabelRef(lbl + "_tap"))
		Label(lbl + "_store")
		if width == 32 {
			VMOVDQU(acc, Mem{Base: outp, Index: ch, Scale: 1})
		} else {
			VMOVDQU(acc.AsX(), Mem{Base: outp, Index: ch, Scale: 1})
		}
	}
	Load(Param("taps"), RDX)
	XORQ(ch, ch)
	CMPQ(c, U32(32))
	JL(LabelRef(name + "_narrow"))
	Label(name + "_vec")
	vector(name+"_w", 32)
	ADDQ(U32(32), ch)
	MOVQ(c, RBX)
	SUBQ(ch, RBX)
	JZ(LabelRef(name + "_advance"))
	CMPQ(RBX, U32(32))
	JGE(LabelRef(name + "_vec"))
	// The last vector ends at c.
	MOVQ(c, ch)
	SUBQ(U32(32), ch)
	JMP(LabelRef(name + "_vec"))

	Label(name + "_narrow")
	vector(name+"_n0", 16)
	MOVQ(c, ch)
	SUBQ(U32(16), ch)
	vector(name+"_n1", 16)

	Label(name + "_advance")
	Load(Param("ostride"), RBX)
	ADDQ(RBX, outp)
	Load(Param("istride"), RBX)
	ADDQ(RBX, inp)
	DECQ(npix)
	JNZ(LabelRef(name + "_pixel"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// Operations of qbinary; keep in sync with quant.go.
const (
	qbinAdd = 0
	qbinMul = 1
)

// qbinary writes the element-wise QAdd/QMul kernel on n uint8 codes, n a
// multiple of 8, with ONNX Runtime's x86 arithmetic (see QAdd and QMul in
// quant.go):
//
//	add: v = fma(float32(a[i]-off), ra, fma(float32(b[i]-off), rb, F))
//	mul: v = float32((a[i]-za)*(b[i]-zb)) * R + zy   (rounded twice)
//	dst[i] = clamp(cvtps2dq(v) + off, lo, hi)
//
// every operation a float32 one in that order, as in the Go code. f holds
// ra, rb and F (add) or R and float32(zy) (mul); z holds za, zb, the
// output code range [lo, hi] and off, 128 for int8 codes stored as uint8
// (the arithmetic is then on the int8 values) and else 0. The conversion rounds to nearest even and
// gives math.MinInt32 out of range, which the integer clamp then takes to
// lo, as ONNX Runtime's saturating packs take it to the smallest code.
// Eight codes go at a time, widened to 32 bits.
func qbinary() {
	name := "qbinaryAVX2"
	TEXT(name, NOSPLIT, "func(n int, dst *uint8, a *uint8, b *uint8, f *float32, z *int32, op int)")
	Pragma("noescape")
	Doc(name + " computes n codes of QAdd or QMul; see the asmgen command.")
	y := avx2.vec
	f0, f1, f2, za, zb, lo, hi, off := y(8), y(9), y(10), y(11), y(12), y(13), y(14), y(15)
	n, dst, ap, bp, i, fp, zp := RCX, RDI, RSI, RDX, RAX, R8, R9
	Load(Param("n"), n)
	Load(Param("dst"), dst)
	Load(Param("a"), ap)
	Load(Param("b"), bp)
	Load(Param("f"), fp)
	Load(Param("z"), zp)
	for k, r := range []VecPhysical{f0, f1, f2} {
		VBROADCASTSS(Mem{Base: fp, Disp: 4 * k}, r)
	}
	for k, r := range []VecPhysical{za, zb, lo, hi, off} {
		VPBROADCASTD(Mem{Base: zp, Disp: 4 * k}, r)
	}
	Load(Param("op"), RBX)
	XORQ(i, i)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	body := func(lbl string, mul bool) {
		Label(lbl)
		x, w := y(0), y(1)
		VPMOVZXBD(Mem{Base: ap, Index: i, Scale: 1}, x)
		VPMOVZXBD(Mem{Base: bp, Index: i, Scale: 1}, w)
		if mul {
			VPSUBD(za, x, x)
			VPSUBD(zb, w, w)
			VPMULLD(w, x, x)
			VCVTDQ2PS(x, x)
			VMULPS(f0, x, x)
			VADDPS(f1, x, x)
		} else {
			t := y(2)
			VPSUBD(off, x, x)
			VPSUBD(off, w, w)
			VCVTDQ2PS(x, x)
			VCVTDQ2PS(w, w)
			VMOVAPS(f2, t)
			VFMADD231PS(f1, w, t) // t = b*rb + F
			VFMADD231PS(f0, x, t) // t = a*ra + t
			x = t
		}
		VCVTPS2DQ(x, x)
		VPADDD(off, x, x)
		VPMAXSD(lo, x, x)
		VPMINSD(hi, x, x)
		storeCodes8(x, w, Mem{Base: dst, Index: i, Scale: 1}, false)
		nextGroup8(i, n, lbl, name+"_done")
	}
	CMPQ(RBX, U32(qbinMul))
	JEQ(LabelRef(name + "_mul"))
	body(name+"_add", false)
	body(name+"_mul", true)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// storeCodes8 narrows the eight int32 lanes of x, in range, to bytes
// (int8 if signed, else uint8) and stores them at m; t is scratch.
func storeCodes8(x, t VecPhysical, m Mem, signed bool) {
	VEXTRACTI128(Imm(1), x, t.AsX())
	VPACKSSDW(t.AsX(), x.AsX(), x.AsX())
	if signed {
		VPACKSSWB(x.AsX(), x.AsX(), x.AsX())
	} else {
		VPACKUSWB(x.AsX(), x.AsX(), x.AsX())
	}
	VMOVQ(x.AsX(), m)
}

// nextGroup8 ends a loop over groups of eight elements: i advances by
// eight, back to loop while below n, then on to done.
func nextGroup8(i, n GPPhysical, loop, done string) {
	ADDQ(U32(8), i)
	CMPQ(i, n)
	JL(LabelRef(loop))
	JMP(LabelRef(done))
}

// qquantize writes QuantizeLinear of n float32 values (a multiple of 8) to
// uint8 or int8 codes with one scale and zero point:
//
//	dst[i] = clamp(round_half_even(x[i] / scale), lo, hi) + zero
//
// where lo and hi are the code range minus the zero point, and a NaN
// gives the zero point: it is replaced by 0 before the clamp, which would
// otherwise turn it into lo.
func qquantize() {
	name := "qquantizeAVX2"
	TEXT(name, NOSPLIT, "func(n int, dst *uint8, src *float32, scale float32, zero int32, lo float32, hi float32, signed int)")
	Pragma("noescape")
	Doc(name + " quantizes n float32 values; see the asmgen command.")
	y := avx2.vec
	sc, lo, hi, zp := y(8), y(9), y(10), y(11)
	n, dst, src, i := RCX, RDI, RSI, RAX
	Load(Param("n"), n)
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	VBROADCASTSS(param("scale"), sc)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	Load(Param("zero"), EAX)
	VMOVD(EAX, zp.AsX())
	VPBROADCASTD(zp.AsX(), zp)
	Load(Param("signed"), RBX)
	XORQ(i, i)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	body := func(lbl string, signed bool) {
		Label(lbl)
		x, m := y(0), y(1)
		VMOVUPS(Mem{Base: src, Index: i, Scale: 4}, x)
		VDIVPS(sc, x, x)
		const ordQ = 7
		VCMPPS(Imm(ordQ), x, x, m)
		VANDPS(m, x, x)
		VMAXPS(lo, x, x)
		VMINPS(hi, x, x)
		VCVTPS2DQ(x, x)
		VPADDD(zp, x, x)
		storeCodes8(x, m, Mem{Base: dst, Index: i, Scale: 1}, signed)
		nextGroup8(i, n, lbl, name+"_done")
	}
	TESTQ(RBX, RBX)
	JNZ(LabelRef(name + "_s8"))
	body(name+"_u8", false)
	body(name+"_s8", true)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// qim2col writes the byte im2col copy, the uint8 twin of im2col: for each
// of npix pixels (pixel p's row at dst + p*ldd bytes, its input at src +
// p*sstep bytes) it copies nruns >= 1 runs of runlen >= 8 bytes, run r
// from src + r*srun to dst + r*runlen. A run goes as whole vectors of 32
// bytes and a last one ending at the run's end, overlapping the one before
// it (the source and destination do not overlap, so copying a few bytes
// twice is harmless); runs shorter than a vector go as two overlapping 16-
// or 8-byte moves. The length class is chosen once per call.
func qim2col() {
	name := "qim2colAVX2"
	TEXT(name, NOSPLIT, "func(npix int, dst *uint8, ldd int, src *uint8, sstep int, nruns int, runlen int, srun int)")
	Pragma("noescape")
	Doc(name + " copies the kernel rows of npix byte im2col rows; see the asmgen command.")
	npix, dst, src, rl, off, d, sp, cnt, last := R8, R9, R10, R11, RAX, RBX, RSI, RDI, R12
	x := Y0
	Load(Param("npix"), npix)
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("runlen"), rl)
	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	classes := []struct {
		lbl   string
		width int
	}{{"v32", 32}, {"v16", 16}, {"v8", 8}}
	for ci, cl := range classes {
		lbl := name + "_" + cl.lbl
		if ci > 0 {
			Label(lbl)
		}
		if ci < len(classes)-1 {
			CMPQ(rl, U32(cl.width))
			JL(LabelRef(name + "_" + classes[ci+1].lbl))
		}
		MOVQ(rl, last)
		SUBQ(U32(cl.width), last)
		Label(lbl + "_pixel")
		MOVQ(dst, d)
		MOVQ(src, sp)
		Load(Param("nruns"), cnt)
		Label(lbl + "_run")
		switch cl.width {
		case 32:
			XORQ(off, off)
			Label(lbl + "_vec")
			CMPQ(off, last)
			JGE(LabelRef(lbl + "_lastvec"))
			VMOVDQU(Mem{Base: sp, Index: off, Scale: 1}, x)
			VMOVDQU(x, Mem{Base: d, Index: off, Scale: 1})
			ADDQ(U32(32), off)
			JMP(LabelRef(lbl + "_vec"))
			Label(lbl + "_lastvec")
			VMOVDQU(Mem{Base: sp, Index: last, Scale: 1}, x)
			VMOVDQU(x, Mem{Base: d, Index: last, Scale: 1})
		case 16:
			VMOVDQU(Mem{Base: sp}, X0)
			VMOVDQU(Mem{Base: sp, Index: last, Scale: 1}, X1)
			VMOVDQU(X0, Mem{Base: d})
			VMOVDQU(X1, Mem{Base: d, Index: last, Scale: 1})
		case 8:
			MOVQ(Mem{Base: sp}, RCX)
			MOVQ(Mem{Base: sp, Index: last, Scale: 1}, RDX)
			MOVQ(RCX, Mem{Base: d})
			MOVQ(RDX, Mem{Base: d, Index: last, Scale: 1})
		}
		ADDQ(rl, d)
		Load(Param("srun"), RCX)
		ADDQ(RCX, sp)
		DECQ(cnt)
		JNZ(LabelRef(lbl + "_run"))
		Load(Param("ldd"), RCX)
		ADDQ(RCX, dst)
		Load(Param("sstep"), RCX)
		ADDQ(RCX, src)
		DECQ(npix)
		JNZ(LabelRef(lbl + "_pixel"))
		JMP(LabelRef(name + "_done"))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// qlookup maps n bytes (a multiple of 32) through a 256-entry table,
// dst[i] = table[src[i]], 32 at a time: VPSHUFB looks up the low nibble of
// every byte in each of the table's 16 rows of 16 bytes, and the row
// whose number is the byte's high nibble is kept (VPCMPEQB against the
// row number, VPBLENDVB): sixteen rounds of a row load and three vector
// operations per 32 codes, where Go's loop does a table load and a store
// per code (BenchmarkQLookup). Go does the last n%32 bytes.
func qlookup() {
	name := "qlookupAVX2"
	TEXT(name, NOSPLIT, "func(n int, dst *uint8, src *uint8, table *uint8)")
	Pragma("noescape")
	Doc(name + " maps n bytes, a multiple of 32, through a 256-byte table; see the asmgen command.")
	y := avx2.vec
	x, lo, hi, acc, t, m, nib := y(0), y(1), y(2), y(3), y(4), y(5), y(15)
	n, dst, src, tb, i := RCX, RDI, RSI, RDX, RAX
	Load(Param("n"), n)
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("table"), tb)
	rows := NewDataAddr(NewStaticSymbol("qlookupRows"), 0)
	VMOVDQU(rows.Offset(16*32), nib) // 0x0f in every byte, after the 16 row numbers
	XORQ(i, i)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	VMOVDQU(Mem{Base: src, Index: i, Scale: 1}, x)
	VPAND(nib, x, lo)
	VPSRLW(Imm(4), x, hi)
	VPAND(nib, hi, hi)
	VPXOR(acc, acc, acc)
	for k := 0; k < 16; k++ {
		VBROADCASTI128(Mem{Base: tb, Disp: 16 * k}, t)
		VPSHUFB(lo, t, t)
		VPCMPEQB(rows.Offset(32*k), hi, m)
		VPBLENDVB(m, t, acc, acc)
	}
	VMOVDQU(acc, Mem{Base: dst, Index: i, Scale: 1})
	ADDQ(U32(32), i)
	CMPQ(i, n)
	JL(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()

	GLOBL("qlookupRows", RODATA|NOPTR)
	for k := 0; k <= 16; k++ {
		v := uint32(k) * 0x01010101
		if k == 16 {
			v = 0x0f0f0f0f
		}
		for l := 0; l < 8; l++ {
			DATA(32*k+4*l, U32(v))
		}
	}
}

// qsumRows adds rows rows of n uint8 codes (n a multiple of 8), stride
// bytes apart, into n int32 sums: acc[i] += src[r*stride + i], eight codes
// widened per step (a global average pool's sums, one row per pixel).
func qsumRows() {
	name := "qsumRowsAVX2"
	TEXT(name, NOSPLIT, "func(acc *int32, src *uint8, n int, stride int, rows int)")
	Pragma("noescape")
	Doc(name + " adds rows of n codes, a multiple of 8, into int32 sums; see the asmgen command.")
	acc, src, n, stride, rows, i := RDI, RSI, RCX, RDX, R8, RAX
	Load(Param("acc"), acc)
	Load(Param("src"), src)
	Load(Param("n"), n)
	Load(Param("stride"), stride)
	Load(Param("rows"), rows)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	XORQ(i, i)
	Label(name + "_vec")
	VPMOVZXBD(Mem{Base: src, Index: i, Scale: 1}, Y0)
	VPADDD(Mem{Base: acc, Index: i, Scale: 4}, Y0, Y0)
	VMOVDQU(Y0, Mem{Base: acc, Index: i, Scale: 4})
	ADDQ(U32(8), i)
	CMPQ(i, n)
	JL(LabelRef(name + "_vec"))
	ADDQ(stride, src)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
