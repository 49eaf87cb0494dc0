package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// im2col writes the im2col copy kernel: for each of npix pixels (pixel p's
// row at dst + p*ldd floats, its input at src + p*sstep floats) it copies
// nruns >= 1 runs of runlen >= 1 floats, run r from src + r*srun to dst +
// r*runlen: the kernel rows of one im2col row, when a kernel row reads
// whole pixels with no gaps. The runs of a first layer are short (21
// floats for a 7x7 kernel on three channels), so calling memmove for each
// costs more than the copy; here a run of at least one vector goes as
// whole vectors with the last one overlapping the one before it, and a
// shorter run as one masked vector.
func im2col(s isa) {
	name := "im2col" + winoSuffix(s)
	TEXT(name, NOSPLIT, "func(npix int, dst *float32, ldd int, src *float32, sstep int, nruns int, runlen int, srun int, mask *int32)")
	Pragma("noescape")
	Doc(name + " copies the kernel rows of npix im2col rows; see the asmgen command.")

	npix, dst, src, rb, off, d, sp, cnt, last := R8, R9, R10, R11, RAX, RBX, RSI, RDI, R12
	lanes := s.vec(s.regs - 1)
	x := s.vec(0)
	if s.masked {
		Load(Param("runlen"), RCX)
		MOVL(U32(1), EDX)
		SHLL(CL, EDX) // only used when runlen < 16
		DECL(EDX)
		KMOVW(EDX, K1)
	} else {
		Load(Param("mask"), RDX)
		VMOVUPS(Mem{Base: RDX}, lanes)
	}
	Load(Param("npix"), npix)
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("runlen"), rb)
	SHLQ(Imm(2), rb)
	MOVQ(rb, last)
	SUBQ(U32(s.vbytes), last) // offset of the last whole vector of a run

	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	Label(name + "_pixel")
	MOVQ(dst, d)
	MOVQ(src, sp)
	Load(Param("nruns"), cnt)
	Label(name + "_run")
	CMPQ(rb, U32(s.vbytes))
	JL(LabelRef(name + "_short"))
	XORQ(off, off)
	Label(name + "_vec")
	CMPQ(off, last)
	JGE(LabelRef(name + "_lastvec"))
	VMOVUPS(Mem{Base: sp, Index: off, Scale: 1}, x)
	VMOVUPS(x, Mem{Base: d, Index: off, Scale: 1})
	ADDQ(U32(s.vbytes), off)
	JMP(LabelRef(name + "_vec"))
	Label(name + "_lastvec")
	VMOVUPS(Mem{Base: sp, Index: last, Scale: 1}, x)
	VMOVUPS(x, Mem{Base: d, Index: last, Scale: 1})
	JMP(LabelRef(name + "_nextrun"))
	Label(name + "_short")
	if s.masked {
		VMOVUPS_Z(Mem{Base: sp}, K1, x)
		VMOVUPS(x, K1, Mem{Base: d})
	} else {
		VMASKMOVPS(Mem{Base: sp}, lanes, x)
		VMASKMOVPS(x, lanes, Mem{Base: d})
	}
	Label(name + "_nextrun")
	ADDQ(rb, d)
	Load(Param("srun"), RCX)
	LEAQ(Mem{Base: sp, Index: RCX, Scale: 4}, sp)
	DECQ(cnt)
	JNZ(LabelRef(name + "_run"))

	Load(Param("ldd"), RCX)
	LEAQ(Mem{Base: dst, Index: RCX, Scale: 4}, dst)
	Load(Param("sstep"), RCX)
	LEAQ(Mem{Base: src, Index: RCX, Scale: 4}, src)
	DECQ(npix)
	JNZ(LabelRef(name + "_pixel"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
