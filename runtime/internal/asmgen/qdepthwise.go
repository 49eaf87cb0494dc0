package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Flags of the quantized depthwise kernel; keep in sync with qconv.go.
const (
	qdwSigned = 1 // store int8 codes (else uint8)
	qdwBias   = 2 // start the sums from bias[ch]
	qdwScale1 = 4 // one scale for every channel (else scale[ch])
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
