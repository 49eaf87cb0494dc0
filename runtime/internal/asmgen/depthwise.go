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
// the caller does any remaining channels. The table lets one kernel serve
// interior pixels (all taps) and border pixels (the taps inside the image)
// alike.
//
// Pixels go four at a time, sharing each weight vector: a tap costs one
// weight load for four FMAs, each of which reads its input straight from
// memory, so the loads no longer outnumber the FMAs two to one as they do
// when every pixel reloads the weights. Channels go two vectors at a time
// (eight accumulators) and then one.
func depthwise(s isa) {
	name := s.name[len("sgemm"):]
	name = "depthwise" + name
	TEXT(name, NOSPLIT, "func(npix int, out *float32, ostride int, in *float32, istride int, taps *int, ntaps int, w *float32, c int, bias *float32, flags uint, lo float32, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix pixels of a depthwise convolution; see the asmgen command.", name))

	npix, outp, inp, cbytes, flags, wp, is := R8, R9, R10, R11, R12, R13, R14
	Load(Param("npix"), npix)
	Load(Param("w"), wp)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("c"), cbytes)
	SHLQ(Imm(2), cbytes)
	Load(Param("flags"), flags)
	Load(Param("istride"), is)
	SHLQ(Imm(2), is)
	lo, hi := s.vec(s.regs-2), s.vec(s.regs-1)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)

	for _, np := range []int{4, 1} {
		grp := fmt.Sprintf("%s_p%d", name, np)
		Label(grp)
		CMPQ(npix, U32(np))
		JL(LabelRef(grp + "_end"))
		cb := RAX
		XORQ(cb, cb)
		for _, nv := range []int{2, 1} {
			depthwiseBlock(s, name, grp, np, nv, outp, inp, cbytes, flags, wp, is, cb, lo, hi)
		}
		// Next np pixels.
		shift := map[int]uint64{1: 0, 4: 2}[np]
		Load(Param("ostride"), RBX)
		SHLQ(Imm(2+shift), RBX)
		ADDQ(RBX, outp)
		MOVQ(is, RBX)
		if shift > 0 {
			SHLQ(Imm(shift), RBX)
		}
		ADDQ(RBX, inp)
		SUBQ(U32(np), npix)
		JMP(LabelRef(grp))
		Label(grp + "_end")
	}
	VZEROUPPER()
	RET()
}

// depthwiseBlock emits the loop over channel blocks of nv vectors for np
// pixels: accumulators acc[p*nv+v], weights in the registers after them.
func depthwiseBlock(s isa, name, grp string, np, nv int, outp, inp, cbytes, flags, wp, is, cb GPPhysical, lo, hi VecPhysical) {
	blk := fmt.Sprintf("%s_v%d", grp, nv)
	width := nv * s.vbytes
	acc := func(p, v int) VecPhysical { return s.vec(p*nv + v) }
	wv := func(v int) VecPhysical { return s.vec(np*nv + v) }
	Label(blk)
	MOVQ(cbytes, RBX)
	SUBQ(cb, RBX)
	CMPQ(RBX, U32(width))
	JL(LabelRef(blk + "_next"))

	TESTQ(U32(tBias), flags)
	JZ(LabelRef(blk + "_zero"))
	Load(Param("bias"), RSI)
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: RSI, Index: cb, Scale: 1, Disp: v * s.vbytes}, acc(0, v))
		for p := 1; p < np; p++ {
			s.mov(acc(0, v), acc(p, v))
		}
	}
	JMP(LabelRef(blk + "_taps"))
	Label(blk + "_zero")
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			s.zero(acc(p, v))
		}
	}
	Label(blk + "_taps")
	// RDI walks the taps table, RCX counts the taps left; RDX is the tap's
	// input for pixel 0, RBX for pixel 1 (pixels 2 and 3 are one and two
	// strides further), RSI the tap's weights.
	Load(Param("taps"), RDI)
	Load(Param("ntaps"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef(blk + "_store"))
	Label(blk + "_tap")
	MOVQ(Mem{Base: RDI}, RDX)
	ADDQ(inp, RDX)
	ADDQ(cb, RDX)
	MOVQ(Mem{Base: RDI, Disp: 8}, RSI)
	ADDQ(wp, RSI)
	ADDQ(cb, RSI)
	if np > 1 {
		LEAQ(Mem{Base: RDX, Index: is, Scale: 1}, RBX)
	}
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: RSI, Disp: v * s.vbytes}, wv(v))
	}
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			var m Mem
			switch p {
			case 0:
				m = Mem{Base: RDX}
			case 1:
				m = Mem{Base: RBX}
			case 2:
				m = Mem{Base: RDX, Index: is, Scale: 2}
			case 3:
				m = Mem{Base: RBX, Index: is, Scale: 2}
			}
			m.Disp += v * s.vbytes
			VFMADD231PS(m, wv(v), acc(p, v))
		}
	}
	ADDQ(U32(16), RDI)
	DECQ(RCX)
	JNZ(LabelRef(blk + "_tap"))

	Label(blk + "_store")
	TESTQ(U32(tClamp), flags)
	JZ(LabelRef(blk + "_noclamp"))
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			VMAXPS(acc(p, v), lo, acc(p, v))
			VMINPS(acc(p, v), hi, acc(p, v))
		}
	}
	Label(blk + "_noclamp")
	// RDX is pixel 0's output, RBX pixel 1's, RSI the output stride.
	LEAQ(Mem{Base: outp, Index: cb, Scale: 1}, RDX)
	Load(Param("ostride"), RSI)
	SHLQ(Imm(2), RSI)
	if np > 1 {
		LEAQ(Mem{Base: RDX, Index: RSI, Scale: 1}, RBX)
	}
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			var m Mem
			switch p {
			case 0:
				m = Mem{Base: RDX}
			case 1:
				m = Mem{Base: RBX}
			case 2:
				m = Mem{Base: RDX, Index: RSI, Scale: 2}
			case 3:
				m = Mem{Base: RBX, Index: RSI, Scale: 2}
			}
			m.Disp += v * s.vbytes
			VMOVUPS(acc(p, v), m)
		}
	}
	ADDQ(U32(width), cb)
	JMP(LabelRef(blk))
	Label(blk + "_next")
}

// mov copies vector register a to b.
func (s isa) mov(a, b VecPhysical) {
	if s.masked {
		VMOVUPS(a, b)
	} else {
		VMOVAPS(a, b)
	}
}

// zero clears vector register v.
func (s isa) zero(v VecPhysical) {
	if s.masked {
		VPXORD(v, v, v)
	} else {
		VXORPS(v, v, v)
	}
}
