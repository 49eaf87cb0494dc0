package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// channelOps writes the per-channel kernels over rows of NHWC data, c
// floats per row (c a multiple of the vector width; the Go caller does the
// rest):
//
//   - sumRows: dst[j] += sum over rows r of src[r*ld + j], the sum of a
//     global average pool;
//   - scaleShift: dst[r*dld + j] = src[r*sld + j]*scale[j] + shift[j]
//     (shift optional, flags tBias), then a clamp (flags tClamp): a
//     BatchNormalization that could not be folded (with its ReLU), or a
//     squeeze-and-excitation block's channel scale.
//   - scaleRows: dst[r*w + j] = src[r*w + j]*s[r], a row scale of a
//     packed B panel (w floats per row, a multiple of the vector width):
//     a squeeze-and-excitation scale moved onto the next 1x1
//     convolution's weights.
func channelOps(s isa) {
	sumRows(s)
	scaleShift(s)
	scaleRows(s)
}

func scaleRows(s isa) {
	name := "scaleRows" + winoSuffix(s)
	TEXT(name, NOSPLIT, "func(rows int, w int, src *float32, dst *float32, s *float32)")
	Pragma("noescape")
	Doc(name + " multiplies each row of a packed panel by its scale; see the asmgen command.")
	rows, wb, src, dst, sp, j := R8, R9, R10, R11, R12, RAX
	Load(Param("rows"), rows)
	Load(Param("w"), wb)
	SHLQ(Imm(2), wb)
	Load(Param("src"), src)
	Load(Param("dst"), dst)
	Load(Param("s"), sp)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	f, x := s.vec(0), s.vec(1)
	Label(name + "_row")
	VBROADCASTSS(Mem{Base: sp}, f)
	XORQ(j, j)
	Label(name + "_col")
	VMULPS(Mem{Base: src, Index: j, Scale: 1}, f, x)
	VMOVUPS(x, Mem{Base: dst, Index: j, Scale: 1})
	ADDQ(U32(s.vbytes), j)
	CMPQ(j, wb)
	JL(LabelRef(name + "_col"))
	ADDQ(wb, src)
	ADDQ(wb, dst)
	ADDQ(U32(4), sp)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func sumRows(s isa) {
	name := "sumRows" + winoSuffix(s)
	TEXT(name, NOSPLIT, "func(rows int, c int, src *float32, ld int, dst *float32)")
	Pragma("noescape")
	Doc(name + " adds rows of src into dst; see the asmgen command.")
	// Rows go four at a time, each pass over the channels adding them to
	// dst, which stays in L1: the source streams through once, in order.
	rows, cb, src, ld, dst, j, ld3 := R8, R9, R10, R11, R12, RAX, RBX
	Load(Param("rows"), rows)
	Load(Param("c"), cb)
	SHLQ(Imm(2), cb)
	Load(Param("src"), src)
	Load(Param("ld"), ld)
	SHLQ(Imm(2), ld)
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	Load(Param("dst"), dst)
	a, b := s.vec(0), s.vec(1)
	Label(name + "_quad")
	CMPQ(rows, U32(4))
	JL(LabelRef(name + "_single"))
	XORQ(j, j)
	Label(name + "_qcol")
	CMPQ(j, cb)
	JGE(LabelRef(name + "_qnext"))
	VMOVUPS(Mem{Base: dst, Index: j, Scale: 1}, a)
	LEAQ(Mem{Base: src, Index: j, Scale: 1}, RSI)
	VMOVUPS(Mem{Base: RSI}, b)
	VADDPS(Mem{Base: RSI, Index: ld, Scale: 1}, b, b)
	VADDPS(Mem{Base: RSI, Index: ld, Scale: 2}, a, a)
	VADDPS(Mem{Base: RSI, Index: ld3, Scale: 1}, b, b)
	VADDPS(b, a, a)
	VMOVUPS(a, Mem{Base: dst, Index: j, Scale: 1})
	ADDQ(U32(s.vbytes), j)
	JMP(LabelRef(name + "_qcol"))
	Label(name + "_qnext")
	LEAQ(Mem{Base: src, Index: ld, Scale: 4}, src)
	SUBQ(U32(4), rows)
	JMP(LabelRef(name + "_quad"))
	Label(name + "_single")
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	XORQ(j, j)
	Label(name + "_scol")
	CMPQ(j, cb)
	JGE(LabelRef(name + "_snext"))
	VMOVUPS(Mem{Base: dst, Index: j, Scale: 1}, a)
	VADDPS(Mem{Base: src, Index: j, Scale: 1}, a, a)
	VMOVUPS(a, Mem{Base: dst, Index: j, Scale: 1})
	ADDQ(U32(s.vbytes), j)
	JMP(LabelRef(name + "_scol"))
	Label(name + "_snext")
	ADDQ(ld, src)
	DECQ(rows)
	JMP(LabelRef(name + "_single"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func scaleShift(s isa) {
	name := "scaleShift" + winoSuffix(s)
	TEXT(name, NOSPLIT, "func(rows int, c int, src *float32, sld int, dst *float32, dld int, scale *float32, shift *float32, flags uint, lo float32, hi float32)")
	Pragma("noescape")
	Doc(name + " applies a per-channel scale, shift and clamp to rows; see the asmgen command.")
	rows, cb, src, sld, dst, dld, scale, shift, flags, j := R8, R9, R10, R11, R12, R13, RSI, RDI, RDX, RAX
	Load(Param("rows"), rows)
	Load(Param("c"), cb)
	SHLQ(Imm(2), cb)
	Load(Param("src"), src)
	Load(Param("sld"), sld)
	SHLQ(Imm(2), sld)
	Load(Param("dst"), dst)
	Load(Param("dld"), dld)
	SHLQ(Imm(2), dld)
	Load(Param("scale"), scale)
	Load(Param("shift"), shift)
	Load(Param("flags"), flags)
	lo, hi := s.vec(s.regs-2), s.vec(s.regs-1)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	XORQ(j, j)
	Label(name + "_col")
	CMPQ(j, cb)
	JGE(LabelRef(name + "_next"))
	x, m := s.vec(0), s.vec(1)
	VMOVUPS(Mem{Base: scale, Index: j, Scale: 1}, m)
	VMULPS(Mem{Base: src, Index: j, Scale: 1}, m, x)
	TESTQ(U32(tBias), flags)
	JZ(LabelRef(name + "_noshift"))
	VADDPS(Mem{Base: shift, Index: j, Scale: 1}, x, x)
	Label(name + "_noshift")
	TESTQ(U32(tClamp), flags)
	JZ(LabelRef(name + "_store"))
	VMAXPS(x, lo, x)
	VMINPS(x, hi, x)
	Label(name + "_store")
	VMOVUPS(x, Mem{Base: dst, Index: j, Scale: 1})
	ADDQ(U32(s.vbytes), j)
	JMP(LabelRef(name + "_col"))
	Label(name + "_next")
	ADDQ(sld, src)
	ADDQ(dld, dst)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
