package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Flags of the quantized depthwise kernel; keep in sync with qconv.go.
const (
	qdwSigned = 1 // store int8 codes (else uint8)
	qdwBias   = 2 // start the sums from bias[ch]
	qdwScale1 = 4 // one scale for every channel (else scale[ch])
	qdwFold   = 8 // every tap of the kernel is present: start from -za*wsum[ch] and add x*w (AVX-512 only)
)

// qdepthwise writes the AVX2 depthwise convolution of uint8 codes, the
// quantized twin of the depthwise kernel: for each of npix output pixels
// (pixel p's channels at out + p*ostride bytes, its input taps relative
// to in + p*istride bytes) and ch < c, a multiple of 8,
//
//	acc = bias[ch] + sum_t (in[taps[2t] + ch] - za) * w[taps[2t+1]/4 + ch]
//	out[ch] = clamp(round_half_even(float32(acc) * scale[ch]), lo, hi) + zy
//
// with the taps table holding the byte offsets of each tap's input pixel
// and of its weights. The weights are int32 whose low 16 bits hold the
// (already zero-point corrected) int16 weight and whose high 16 bits are
// zero, so that VPMADDWD against the 32-bit difference x - za, whose low
// word is the difference itself, forms the exact product in one
// multiply-pipe uop (VPMULLD takes two on Zen 3). The store step is the
// GEMM kernel's (see qgemm): the float multiply, clamp, VCVTPS2DQ's
// rounding half to even, the zero point and a saturating pack.
func qdepthwise() {
	name := "qdepthwiseAVX2"
	TEXT(name, NOSPLIT, "func(npix int, out *uint8, ostride int, in *uint8, istride int, taps *int, ntaps int, w *int32, c int, bias *int32, scale *float32, flags uint, za int32, zy int32, lo float32, hi float32)")
	Pragma("noescape")
	Doc(name + " computes npix pixels of a quantized depthwise convolution; see the asmgen command.")

	y := avx2.vec
	npix, outp, inp, cnum, flags, wp := R8, R9, R10, R11, R12, R13
	cb, rem, tp, cnt, ip, wt := RAX, RBX, RDI, RCX, RDX, RSI
	za, lo, hi, zy, sc1 := y(8), y(9), y(10), y(11), y(12)
	acc := func(v int) VecPhysical { return y(v) }
	x := func(v int) VecPhysical { return y(4 + v) }

	Load(Param("npix"), npix)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("c"), cnum)
	Load(Param("flags"), flags)
	Load(Param("w"), wp)
	qdwConsts(za, zy, lo, hi, sc1)

	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	Label(name + "_pixel")
	XORQ(cb, cb)
	for _, nv := range []int{4, 2, 1} {
		blk := fmt.Sprintf("%s_blk%d", name, nv)
		Label(blk)
		MOVQ(cnum, rem)
		SUBQ(cb, rem)
		CMPQ(rem, U32(8*nv))
		JL(LabelRef(blk + "_next"))

		TESTQ(U32(qdwBias), flags)
		JZ(LabelRef(blk + "_zero"))
		Load(Param("bias"), wt)
		for v := 0; v < nv; v++ {
			VMOVDQU(Mem{Base: wt, Index: cb, Scale: 4, Disp: 32 * v}, acc(v))
		}
		JMP(LabelRef(blk + "_taps"))
		Label(blk + "_zero")
		for v := 0; v < nv; v++ {
			VPXOR(acc(v), acc(v), acc(v))
		}
		Label(blk + "_taps")
		Load(Param("taps"), tp)
		Load(Param("ntaps"), cnt)
		TESTQ(cnt, cnt)
		JZ(LabelRef(blk + "_store"))
		Label(blk + "_tap")
		MOVQ(Mem{Base: tp}, ip)
		ADDQ(inp, ip)
		MOVQ(Mem{Base: tp, Disp: 8}, wt)
		ADDQ(wp, wt)
		for v := 0; v < nv; v++ {
			VPMOVZXBD(Mem{Base: ip, Index: cb, Scale: 1, Disp: 8 * v}, x(v))
			VPSUBD(za, x(v), x(v))
			VPMADDWD(Mem{Base: wt, Index: cb, Scale: 4, Disp: 32 * v}, x(v), x(v))
			VPADDD(x(v), acc(v), acc(v))
		}
		ADDQ(U32(16), tp)
		DECQ(cnt)
		JNZ(LabelRef(blk + "_tap"))

		Label(blk + "_store")
		Load(Param("scale"), wt)
		TESTQ(U32(qdwScale1), flags)
		JZ(LabelRef(blk + "_scales"))
		for v := 0; v < nv; v++ {
			VCVTDQ2PS(acc(v), acc(v))
			VMULPS(sc1, acc(v), acc(v))
		}
		JMP(LabelRef(blk + "_clamp"))
		Label(blk + "_scales")
		for v := 0; v < nv; v++ {
			VCVTDQ2PS(acc(v), acc(v))
			VMULPS(Mem{Base: wt, Index: cb, Scale: 4, Disp: 32 * v}, acc(v), acc(v))
		}
		Label(blk + "_clamp")
		for v := 0; v < nv; v++ {
			a := acc(v)
			VMAXPS(lo, a, a)
			VMINPS(hi, a, a)
			VCVTPS2DQ(a, a)
			VPADDD(zy, a, a)
			VEXTRACTI128(Imm(1), a, x(v).AsX())
			VPACKSSDW(x(v).AsX(), a.AsX(), a.AsX())
		}
		TESTQ(U32(qdwSigned), flags)
		JNZ(LabelRef(blk + "_s8"))
		for v := 0; v < nv; v++ {
			VPACKUSWB(acc(v).AsX(), acc(v).AsX(), acc(v).AsX())
		}
		JMP(LabelRef(blk + "_put"))
		Label(blk + "_s8")
		for v := 0; v < nv; v++ {
			VPACKSSWB(acc(v).AsX(), acc(v).AsX(), acc(v).AsX())
		}
		Label(blk + "_put")
		for v := 0; v < nv; v++ {
			VMOVQ(acc(v).AsX(), Mem{Base: outp, Index: cb, Scale: 1, Disp: 8 * v})
		}
		ADDQ(U32(8*nv), cb)
		JMP(LabelRef(blk))
		Label(blk + "_next")
	}
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

// qdepthwiseVNNI writes the AVX-512 twin of qdepthwise, with its contract
// and weights. VPDPWSSD (AVX-512 VNNI) multiplies the 32-bit difference
// x - za by the weight word and adds in one instruction, where AVX2 needs
// VPMADDWD and VPADDD: the high words, the difference's sign and the
// weight's zero, add 0. With qdwFold (a call whose every pixel has all the
// kernel's taps: the interior of the image) the zero point is applied once,
// through wsum[ch], the sum of channel ch's weights, and the codes enter
// the products as they are. Pixels go four at a time while four remain, each
// tap's weights loaded once for the four (BenchmarkQConv's 112x112x32
// depthwise layer: 141 us against 190 one pixel at a time, whose tap-loop
// bookkeeping is shared by fewer products), then one at a time; channels
// in blocks of 64, 32 and 16 in zmm registers and a last 8 in ymm. The
// 8-bit result is narrowed by VPMOVDB, exact because the values were
// clamped into the output type's range, for uint8 and int8 codes alike.
func qdepthwiseVNNI() {
	name := "qdepthwiseVNNI"
	TEXT(name, NOSPLIT, "func(npix int, out *uint8, ostride int, in *uint8, istride int, taps *int, ntaps int, w *int32, wsum *int32, c int, bias *int32, scale *float32, flags uint, za int32, zy int32, lo float32, hi float32)")
	Pragma("noescape")
	Doc(name + " computes npix pixels of a quantized depthwise convolution on AVX-512 VNNI; see the asmgen command.")

	z := avx512.vec
	cb, rem, tp, cnt, ip, wt, s1, s3 := RAX, RBX, RDI, RCX, RDX, RSI, R8, R9
	inp, outp, npix, flags := R10, R11, R12, R13
	za, lo, hi, zy, sc1, x := z(21), z(22), z(23), z(24), z(25), z(20)
	wv := func(v int) VecPhysical { return z(16 + v) }

	Load(Param("npix"), npix)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("flags"), flags)
	qdwConsts(za, zy, lo, hi, sc1)

	// rowAt addresses pixel p of a group from base, with s1 and s3 one
	// and three strides.
	rowAt := func(base GPPhysical, p, disp int) Mem {
		m := Mem{Base: base, Disp: disp}
		switch p {
		case 1:
			m.Index, m.Scale = s1, 1
		case 2:
			m.Index, m.Scale = s1, 2
		case 3:
			m.Index, m.Scale = s3, 1
		}
		return m
	}
	type block struct{ nv, lanes int }
	for _, np := range []int{4, 1} {
		grp := fmt.Sprintf("%s_px%d", name, np)
		Label(grp)
		CMPQ(npix, U32(np))
		if np == 4 {
			JL(LabelRef(fmt.Sprintf("%s_px%d", name, 1)))
		} else {
			JL(LabelRef(name + "_done"))
		}
		XORQ(cb, cb)
		for _, b := range []block{{4, 16}, {2, 16}, {1, 16}, {1, 8}} {
			nv, lanes := b.nv, b.lanes
			vec := func(r VecPhysical) VecPhysical {
				if lanes == 8 {
					return r.AsY().(VecPhysical)
				}
				return r
			}
			acc := func(p, v int) VecPhysical { return vec(z(p*nv + v)) }
			blk := fmt.Sprintf("%s_blk%dx%d", grp, nv, lanes)
			Label(blk)
			Load(Param("c"), rem)
			SUBQ(cb, rem)
			CMPQ(rem, U32(lanes*nv))
			JL(LabelRef(blk + "_next"))

			TESTQ(U32(qdwBias), flags)
			JZ(LabelRef(blk + "_zero"))
			Load(Param("bias"), wt)
			for v := 0; v < nv; v++ {
				VMOVDQU32(Mem{Base: wt, Index: cb, Scale: 4, Disp: 4 * lanes * v}, acc(0, v))
				for p := 1; p < np; p++ {
					VMOVDQA32(acc(0, v), acc(p, v))
				}
			}
			JMP(LabelRef(blk + "_taps"))
			Label(blk + "_zero")
			for p := 0; p < np; p++ {
				for v := 0; v < nv; v++ {
					VPXORD(acc(p, v), acc(p, v), acc(p, v))
				}
			}
			Label(blk + "_taps")
			Load(Param("taps"), tp)
			Load(Param("ntaps"), cnt)
			Load(Param("istride"), s1)
			LEAQ(Mem{Base: s1, Index: s1, Scale: 2}, s3)
			TESTQ(cnt, cnt)
			JZ(LabelRef(blk + "_store"))
			// With every tap present, sum_t (x - za)*w = sum_t x*w -
			// za*wsum: the zero point leaves the tap loop (one
			// instruction fewer per tap, pixel and vector;
			// BenchmarkQConv's depthwise layers 1.06x -> 0.93x the
			// float kernel's time).
			TESTQ(U32(qdwFold), flags)
			JZ(LabelRef(blk + "_tapz"))
			Load(Param("wsum"), wt)
			for v := 0; v < nv; v++ {
				VMOVDQU32(Mem{Base: wt, Index: cb, Scale: 4, Disp: 4 * lanes * v}, vec(wv(v)))
				VPMULLD(vec(za), vec(wv(v)), vec(wv(v)))
				for p := 0; p < np; p++ {
					VPSUBD(vec(wv(v)), acc(p, v), acc(p, v))
				}
			}
			for _, fold := range []bool{true, false} {
				tap := blk + "_tapf"
				if !fold {
					tap = blk + "_tapz"
				}
				Label(tap)
				MOVQ(Mem{Base: tp}, ip)
				ADDQ(inp, ip)
				ADDQ(cb, ip)
				MOVQ(Mem{Base: tp, Disp: 8}, wt)
				ADDQ(param("w"), wt)
				for v := 0; v < nv; v++ {
					VMOVDQU32(Mem{Base: wt, Index: cb, Scale: 4, Disp: 4 * lanes * v}, vec(wv(v)))
				}
				for p := 0; p < np; p++ {
					for v := 0; v < nv; v++ {
						VPMOVZXBD(rowAt(ip, p, lanes*v), vec(x))
						if !fold {
							VPSUBD(vec(za), vec(x), vec(x))
						}
						// Go's operand order: the weights, the codes
						// (or differences), the accumulator (avo has no
						// VNNI instructions).
						Instruction(&ir.Instruction{Opcode: "VPDPWSSD", Operands: []Op{vec(wv(v)), vec(x), acc(p, v)}})
					}
				}
				ADDQ(U32(16), tp)
				DECQ(cnt)
				JNZ(LabelRef(tap))
				if fold {
					JMP(LabelRef(blk + "_store"))
				}
			}

			Label(blk + "_store")
			Load(Param("scale"), wt)
			for v := 0; v < nv; v++ {
				// The multiplier of the block's vector v, one for
				// every channel or per channel.
				TESTQ(U32(qdwScale1), flags)
				JZ(LabelRef(fmt.Sprintf("%s_sc%d", blk, v)))
				VMOVAPS(vec(sc1), vec(wv(v)))
				JMP(LabelRef(fmt.Sprintf("%s_scd%d", blk, v)))
				Label(fmt.Sprintf("%s_sc%d", blk, v))
				VMOVUPS(Mem{Base: wt, Index: cb, Scale: 4, Disp: 4 * lanes * v}, vec(wv(v)))
				Label(fmt.Sprintf("%s_scd%d", blk, v))
			}
			Load(Param("ostride"), s1)
			LEAQ(Mem{Base: s1, Index: s1, Scale: 2}, s3)
			LEAQ(Mem{Base: outp, Index: cb, Scale: 1}, ip)
			for p := 0; p < np; p++ {
				for v := 0; v < nv; v++ {
					a := acc(p, v)
					VCVTDQ2PS(a, a)
					VMULPS(vec(wv(v)), a, a)
					VMAXPS(vec(lo), a, a)
					VMINPS(vec(hi), a, a)
					VCVTPS2DQ(a, a)
					VPADDD(vec(zy), a, a)
					VPMOVDB(a, rowAt(ip, p, lanes*v))
				}
			}
			ADDQ(U32(lanes*nv), cb)
			JMP(LabelRef(blk))
			Label(blk + "_next")
		}
		// The next group: np pixels on.
		Load(Param("ostride"), s1)
		for p := 0; p < np; p++ {
			ADDQ(s1, outp)
		}
		Load(Param("istride"), s1)
		for p := 0; p < np; p++ {
			ADDQ(s1, inp)
		}
		SUBQ(U32(np), npix)
		JMP(LabelRef(grp))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// qdwConsts broadcasts the depthwise kernels' per-call constants: the
// zero points za and zy, the clamp range and the first scale (the one
// scale of qdwScale1). It clobbers EAX and RSI.
func qdwConsts(za, zy, lo, hi, sc1 VecPhysical) {
	Load(Param("za"), EAX)
	VMOVD(EAX, za.AsX())
	VPBROADCASTD(za.AsX(), za)
	Load(Param("zy"), EAX)
	VMOVD(EAX, zy.AsX())
	VPBROADCASTD(zy.AsX(), zy)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	Load(Param("scale"), RSI)
	VBROADCASTSS(Mem{Base: RSI}, sc1)
}

// qdepthwiseRowVNNI writes the int8 twin of depthwiseRow for AVX-512 VNNI:
// npix (a multiple of 8) consecutive output pixels of one output row, eight
// at a time, channels [0, cvb) (cvb a multiple of 16), for kernel rows [0,
// nkh), with depthwiseRow's addressing in bytes of codes (input column j at
// in + (col0 + j)*c, weights int32 as PackQDepthwise's w32 lays them out,
// weight column k at w + 4*k*c, kernel row r rowb and wrowb bytes on) and
// qdepthwise's store step. Each kernel row loads its kw weight vectors into
// registers and each input column once, widened by VPMOVZXBD, for every
// pixel that reads it: kw pixels at stride 1, where the taps-table kernel
// widens a column once per pixel. With qdwFold (the caller's promise that
// the call has every tap of every pixel) the sums start from bias -
// za*wsum and the codes go in as they are; otherwise the zero point is
// subtracted once per column. The Mask variant skips the input columns
// whose bit in mask is clear (outside the image) and never folds.
func qdepthwiseRowVNNI(kw, st int, masked bool) {
	const np = 8
	name := fmt.Sprintf("qdepthwiseRowVNNIK%dS%d", kw, st)
	if masked {
		name += "Mask"
	}
	TEXT(name, NOSPLIT, "func(npix int, out *uint8, ostride int, in *uint8, col0 int, rowb int, nkh int, w *int32, wrowb int, c int, cvb int, bias *int32, scale *float32, wsum *int32, flags uint, za int32, zy int32, lo float32, hi float32, mask uint32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes pixels of one row of a %d-wide, stride-%d int8 depthwise convolution on AVX-512 VNNI; see the asmgen command.", name, kw, st))

	z := avx512.vec
	ncols := (np-1)*st + kw
	outp, inp, cb, cs, cs3 := R9, R10, R11, R12, R13
	r, wk, cnt := RSI, RDI, RCX
	bases := []GPPhysical{r, RAX, RBX, RDX, R14, R15}[:(ncols+4)/5]
	acc := func(p int) VecPhysical { return z(p) }
	wv := func(k int) VecPhysical { return z(np + k) }
	x := z(16)
	za, lo, hi, zy, sc1 := z(17), z(18), z(19), z(20), z(21)
	col := func(base GPPhysical, i int) Mem { return colAddr(base, cs, cs3, i) }
	qdwConsts(za, zy, lo, hi, sc1)
	Load(Param("out"), outp)
	Load(Param("c"), cs)
	LEAQ(Mem{Base: cs, Index: cs, Scale: 2}, cs3)
	Load(Param("in"), inp)
	Load(Param("col0"), RAX)
	IMULQ(cs, RAX)
	ADDQ(RAX, inp)

	Label(name + "_grp")
	CMPQ(param("npix"), U8(0))
	JE(LabelRef(name + "_end"))
	XORQ(cb, cb)

	Label(name + "_blk")
	CMPQ(cb, param("cvb"))
	JGE(LabelRef(name + "_nextgrp"))
	TESTQ(U32(qdwBias), param("flags"))
	JZ(LabelRef(name + "_zero"))
	Load(Param("bias"), RAX)
	VMOVDQU32(Mem{Base: RAX, Index: cb, Scale: 4}, acc(0))
	JMP(LabelRef(name + "_init"))
	Label(name + "_zero")
	VPXORD(acc(0), acc(0), acc(0))
	Label(name + "_init")
	if !masked {
		TESTQ(U32(qdwFold), param("flags"))
		JZ(LabelRef(name + "_copy"))
		Load(Param("wsum"), RAX)
		VMOVDQU32(Mem{Base: RAX, Index: cb, Scale: 4}, x)
		VPMULLD(za, x, x)
		VPSUBD(x, acc(0), acc(0))
		Label(name + "_copy")
	}
	for p := 1; p < np; p++ {
		VMOVDQA32(acc(0), acc(p))
	}
	Load(Param("w"), wk)
	LEAQ(Mem{Base: wk, Index: cb, Scale: 4}, wk)
	LEAQ(Mem{Base: inp, Index: cb, Scale: 1}, r)
	Load(Param("nkh"), cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef(name + "_store"))

	for _, fold := range []bool{true, false} {
		if masked && fold {
			continue
		}
		kh := name + "_khz"
		if fold {
			kh = name + "_khf"
			TESTQ(U32(qdwFold), param("flags"))
			JZ(LabelRef(name + "_khz"))
		}
		Label(kh)
		for i := 1; i < len(bases); i++ {
			LEAQ(Mem{Base: bases[i-1], Index: cs, Scale: 4}, bases[i])
			LEAQ(Mem{Base: bases[i], Index: cs, Scale: 1}, bases[i])
		}
		// Weight column k is at wk plus 4*k*c bytes: k*c is at most
		// 6c, so the index registers hold 4c and 12c here.
		SHLQ(Imm(2), cs)
		SHLQ(Imm(2), cs3)
		if kw > 5 {
			LEAQ(Mem{Base: wk, Index: cs, Scale: 4}, R8)
			LEAQ(Mem{Base: R8, Index: cs, Scale: 1}, R8)
		}
		for k := 0; k < kw; k++ {
			base := wk
			if k >= 5 {
				base = R8
			}
			VMOVDQU32(col(base, k%5), wv(k))
		}
		SHRQ(Imm(2), cs)
		SHRQ(Imm(2), cs3)
		for j := 0; j < ncols; j++ {
			skip := fmt.Sprintf("%s_skip%v_%d", name, fold, j)
			if masked {
				TESTL(U32(1<<j), param("mask"))
				JZ(LabelRef(skip))
			}
			VPMOVZXBD(col(bases[j/5], j%5), x)
			if !fold {
				VPSUBD(za, x, x)
			}
			for p := 0; p < np; p++ {
				if k := j - p*st; k >= 0 && k < kw {
					Instruction(&ir.Instruction{Opcode: "VPDPWSSD", Operands: []Op{wv(k), x, acc(p)}})
				}
			}
			if masked {
				Label(skip)
			}
		}
		ADDQ(param("rowb"), r)
		ADDQ(param("wrowb"), wk)
		DECQ(cnt)
		JNZ(LabelRef(kh))
		JMP(LabelRef(name + "_store"))
	}

	Label(name + "_store")
	Load(Param("scale"), RAX)
	TESTQ(U32(qdwScale1), param("flags"))
	JZ(LabelRef(name + "_scales"))
	VMOVAPS(sc1, x)
	JMP(LabelRef(name + "_scaled"))
	Label(name + "_scales")
	VMOVUPS(Mem{Base: RAX, Index: cb, Scale: 4}, x)
	Label(name + "_scaled")
	// Pixel p's output is at RSI or RDX (pixels 4..7) plus (p%4)*ostride.
	LEAQ(Mem{Base: outp, Index: cb, Scale: 1}, RSI)
	Load(Param("ostride"), RAX)
	LEAQ(Mem{Base: RAX, Index: RAX, Scale: 2}, RBX)
	LEAQ(Mem{Base: RSI, Index: RAX, Scale: 4}, RDX)
	for p := 0; p < np; p++ {
		a := acc(p)
		VCVTDQ2PS(a, a)
		VMULPS(x, a, a)
		VMAXPS(lo, a, a)
		VMINPS(hi, a, a)
		VCVTPS2DQ(a, a)
		VPADDD(zy, a, a)
		m := Mem{Base: RSI}
		if p >= 4 {
			m.Base = RDX
		}
		switch p % 4 {
		case 1:
			m.Index, m.Scale = RAX, 1
		case 2:
			m.Index, m.Scale = RAX, 2
		case 3:
			m.Index, m.Scale = RBX, 1
		}
		VPMOVDB(a, m)
	}
	ADDQ(U32(16), cb)
	JMP(LabelRef(name + "_blk"))

	Label(name + "_nextgrp")
	Load(Param("ostride"), RAX)
	SHLQ(Imm(3), RAX)
	ADDQ(RAX, outp)
	IMUL3Q(Imm(uint64(np*st)), cs, RAX)
	ADDQ(RAX, inp)
	SUBQ(U32(np), param("npix"))
	JMP(LabelRef(name + "_grp"))

	Label(name + "_end")
	VZEROUPPER()
	RET()
}
