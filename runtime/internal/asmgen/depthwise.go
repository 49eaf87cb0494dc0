package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// depthwise writes the depthwise-convolution kernel: for each of npix
// output pixels (pixel p's c channels at out + p*ostride bytes, reading
// input pixel base in + p*istride bytes) it computes
//
//	out[ch] = bias[ch] + sum_t in[offs[t] + ch] * w[t*c + ch]
//
// over ntaps taps, whose byte offsets from the pixel base are in offs, then
// clamps if flags say so (the tBias and tClamp flags of the GEMM). c must be
// a multiple of the vector width. Channels go in blocks of four, two or one
// vectors, so that wide layers keep four independent FMA chains in flight.
func depthwise(s isa) {
	name := s.name[len("sgemm"):]
	name = "depthwise" + name
	TEXT(name, NOSPLIT, "func(npix int, out *float32, ostride int, in *float32, istride int, offs *int, ntaps int, w *float32, c int, bias *float32, flags uint, lo float32, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix pixels of a depthwise convolution; see the asmgen command.", name))

	npix, outp, inp, cbytes, flags := R8, R9, R10, R11, R12
	Load(Param("npix"), npix)
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
		// Walk the taps: RDI = &offs[t], RSI = &w[t*c + cb], RCX = taps left.
		Load(Param("offs"), RDI)
		Load(Param("w"), RSI)
		ADDQ(cb, RSI)
		Load(Param("ntaps"), RCX)
		TESTQ(RCX, RCX)
		JZ(LabelRef(blk + "_store"))
		Label(blk + "_tap")
		MOVQ(Mem{Base: RDI}, RDX)
		ADDQ(inp, RDX)
		for v := 0; v < nv; v++ {
			x := s.vec(nv + v)
			VMOVUPS(Mem{Base: RDX, Index: cb, Scale: 1, Disp: v * s.vbytes}, x)
			VFMADD231PS(Mem{Base: RSI, Disp: v * s.vbytes}, x, acc(v))
		}
		ADDQ(U32(8), RDI)
		ADDQ(cbytes, RSI)
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
