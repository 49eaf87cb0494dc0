package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// depthwise writes the depthwise-convolution kernel: for each of npix
// output pixels (pixel p's channels at out + p*ostride floats, its input
// taps relative to in + p*istride floats) it computes, for ch < c,
//
//	out[ch] = bias[ch] + sum_t in[taps[2t] + ch] * w[taps[2t+1] + ch]
//
// over ntaps taps, where the taps table holds byte offsets of each tap's
// input pixel and of its weights, then clamps if flags say so (the tBias
// and tClamp flags of the GEMM). c must be a multiple of the vector width;
// the caller does any remaining channels. Channels go in blocks of four,
// two or one vectors, so that wide layers keep four independent FMA chains
// in flight. The table lets one kernel serve interior pixels (all taps) and
// border pixels (the taps inside the image) alike.
func depthwise(s isa) {
	name := s.name[len("sgemm"):]
	name = "depthwise" + name
	TEXT(name, NOSPLIT, "func(npix int, out *float32, ostride int, in *float32, istride int, taps *int, ntaps int, w *float32, c int, bias *float32, flags uint, lo float32, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix pixels of a depthwise convolution; see the asmgen command.", name))

	npix, outp, inp, cbytes, flags, wp := R8, R9, R10, R11, R12, R13
	Load(Param("npix"), npix)
	Load(Param("w"), wp)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("c"), cbytes)
	SHLQ(Imm(2), cbytes)
	Load(Param("flags"), flags)
	lo, hi := s.vec(s.regs-2), s.vec(s.regs-1)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)

	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	Label(name + "_pixel")
	// cb is the byte offset of the current channel block.
	cb := RAX
	XORQ(cb, cb)
	for _, nv := range []int{4, 2, 1} {
		blk := fmt.Sprintf("%s_blk%d", name, nv)
		width := nv * s.vbytes
		Label(blk)
		// Enough channels left for this block size?
		rem := RBX
		MOVQ(cbytes, rem)
		SUBQ(cb, rem)
		CMPQ(rem, U32(width))
		JL(LabelRef(blk + "_next"))

		acc := func(v int) VecPhysical { return s.vec(v) }
		TESTQ(U32(tBias), flags)
		JZ(LabelRef(blk + "_zero"))
		Load(Param("bias"), RSI)
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: RSI, Index: cb, Scale: 1, Disp: v * s.vbytes}, acc(v))
		}
		JMP(LabelRef(blk + "_taps"))
		Label(blk + "_zero")
		for v := 0; v < nv; v++ {
			if s.masked {
				VPXORD(acc(v), acc(v), acc(v))
			} else {
				VXORPS(acc(v), acc(v), acc(v))
			}
		}
		Label(blk + "_taps")
		// Walk the taps: RDI = &taps[2t], RCX = taps left; RDX and RSI
		// address the tap's input pixel and weights.
		Load(Param("taps"), RDI)
		Load(Param("ntaps"), RCX)
		TESTQ(RCX, RCX)
		JZ(LabelRef(blk + "_store"))
		Label(blk + "_tap")
		MOVQ(Mem{Base: RDI}, RDX)
		ADDQ(inp, RDX)
		MOVQ(Mem{Base: RDI, Disp: 8}, RSI)
		ADDQ(wp, RSI)
		for v := 0; v < nv; v++ {
			x := s.vec(nv + v)
			VMOVUPS(Mem{Base: RDX, Index: cb, Scale: 1, Disp: v * s.vbytes}, x)
			VFMADD231PS(Mem{Base: RSI, Index: cb, Scale: 1, Disp: v * s.vbytes}, x, acc(v))
		}
		ADDQ(U32(16), RDI)
		DECQ(RCX)
		JNZ(LabelRef(blk + "_tap"))

		Label(blk + "_store")
		TESTQ(U32(tClamp), flags)
		JZ(LabelRef(blk + "_noclamp"))
		for v := 0; v < nv; v++ {
			VMAXPS(acc(v), lo, acc(v))
			VMINPS(acc(v), hi, acc(v))
		}
		Label(blk + "_noclamp")
		for v := 0; v < nv; v++ {
			VMOVUPS(acc(v), Mem{Base: outp, Index: cb, Scale: 1, Disp: v * s.vbytes})
		}
		ADDQ(U32(width), cb)
		JMP(LabelRef(blk))
		Label(blk + "_next")
	}
	Load(Param("ostride"), RBX)
	SHLQ(Imm(2), RBX)
	ADDQ(RBX, outp)
	Load(Param("istride"), RBX)
	SHLQ(Imm(2), RBX)
	ADDQ(RBX, inp)
	DECQ(npix)
	JNZ(LabelRef(name + "_pixel"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
