package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transpose8 writes transposeStripAVX2: nb 8x8 blocks side by side, block
// b reading 8 source rows of 8 floats at src + 8b (rows sstride floats
// apart) and writing them as 8 destination rows at dst + 8b*dstride (rows
// dstride floats apart). It is the layout change between NCHW and NHWC; a
// scalar transpose moves one float per load and store, this moves eight,
// in registers: unpack pairs of rows, shuffle pairs of pairs, swap the
// 128-bit halves.
func transpose8() {
	name := "transposeStripAVX2"
	TEXT(name, NOSPLIT, "func(nb int, src *float32, sstride int, dst *float32, dstride int)")
	Pragma("noescape")
	Doc(name + " transposes nb 8x8 blocks; see the asmgen command.")
	nb, src, ss, dst, ds, s3, d3, sp, dp := R8, R9, R10, R11, R12, R13, R14, RSI, RDI
	Load(Param("nb"), nb)
	Load(Param("src"), src)
	Load(Param("sstride"), ss)
	Load(Param("dst"), dst)
	Load(Param("dstride"), ds)
	SHLQ(Imm(2), ss)
	SHLQ(Imm(2), ds)
	LEAQ(Mem{Base: ss, Index: ss, Scale: 2}, s3) // 3*sstride bytes
	LEAQ(Mem{Base: ds, Index: ds, Scale: 2}, d3)
	TESTQ(nb, nb)
	JZ(LabelRef(name + "_done"))
	Label(name + "_block")
	r := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	t := []VecPhysical{Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	// Rows 0-3 from src, rows 4-7 from src + 4 rows.
	MOVQ(src, sp)
	for half := 0; half < 2; half++ {
		if half == 1 {
			LEAQ(Mem{Base: src, Index: ss, Scale: 4}, sp)
		}
		VMOVUPS(Mem{Base: sp}, r[4*half])
		VMOVUPS(Mem{Base: sp, Index: ss, Scale: 1}, r[4*half+1])
		VMOVUPS(Mem{Base: sp, Index: ss, Scale: 2}, r[4*half+2])
		VMOVUPS(Mem{Base: sp, Index: s3, Scale: 1}, r[4*half+3])
	}
	// t[2k], t[2k+1]: rows 2k and 2k+1 interleaved, low and high pairs.
	for k := 0; k < 4; k++ {
		VUNPCKLPS(r[2*k+1], r[2*k], t[2*k])
		VUNPCKHPS(r[2*k+1], r[2*k], t[2*k+1])
	}
	// r: four-row groups, per 128-bit lane.
	for g := 0; g < 2; g++ {
		a, b := t[4*g], t[4*g+2]   // low pairs of rows 4g..4g+1 and 4g+2..4g+3
		c, d := t[4*g+1], t[4*g+3] // high pairs
		VSHUFPS(Imm(0x44), b, a, r[4*g])
		VSHUFPS(Imm(0xEE), b, a, r[4*g+1])
		VSHUFPS(Imm(0x44), d, c, r[4*g+2])
		VSHUFPS(Imm(0xEE), d, c, r[4*g+3])
	}
	// Output row j: lane halves of rows 0-3 (r[j%4]) and 4-7 (r[4+j%4]).
	for j := 0; j < 4; j++ {
		VPERM2F128(Imm(0x20), r[4+j], r[j], t[j])
		VPERM2F128(Imm(0x31), r[4+j], r[j], t[4+j])
	}
	MOVQ(dst, dp)
	for half := 0; half < 2; half++ {
		if half == 1 {
			LEAQ(Mem{Base: dst, Index: ds, Scale: 4}, dp)
		}
		VMOVUPS(t[4*half], Mem{Base: dp})
		VMOVUPS(t[4*half+1], Mem{Base: dp, Index: ds, Scale: 1})
		VMOVUPS(t[4*half+2], Mem{Base: dp, Index: ds, Scale: 2})
		VMOVUPS(t[4*half+3], Mem{Base: dp, Index: d3, Scale: 1})
	}
	ADDQ(U32(32), src)
	LEAQ(Mem{Base: dst, Index: ds, Scale: 8}, dst)
	DECQ(nb)
	JNZ(LabelRef(name + "_block"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// interleave2 writes the two-group channel shuffle's kernel (ShuffleNet):
// for each of rows pixels of c = 2*per channels, dst[2i] = src[i] and
// dst[2i+1] = src[per+i] for i < nv*8 (the Go caller does the channels
// past the last whole vector). A vector of each half becomes two output
// vectors by an unpack of the pairs and a swap of 128-bit lanes.
func interleave2() {
	name := "interleave2AVX2"
	TEXT(name, NOSPLIT, "func(rows int, nv int, per int, src *float32, dst *float32)")
	Pragma("noescape")
	Doc(name + " interleaves the two halves of each pixel's channels; see the asmgen command.")
	rows, nv, per, src, dst, j, cnt, a, d := R8, R9, R10, R11, R12, RAX, RBX, RSI, RDI
	Load(Param("rows"), rows)
	Load(Param("nv"), nv)
	Load(Param("per"), per)
	SHLQ(Imm(2), per)
	Load(Param("src"), src)
	Load(Param("dst"), dst)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	TESTQ(nv, nv)
	JZ(LabelRef(name + "_done"))
	x, y, lo, hi := Y0, Y1, Y2, Y3
	Label(name + "_row")
	MOVQ(src, a)
	MOVQ(dst, d)
	MOVQ(nv, cnt)
	XORQ(j, j)
	Label(name + "_vec")
	VMOVUPS(Mem{Base: a, Index: j, Scale: 1}, x)
	LEAQ(Mem{Base: a, Index: per, Scale: 1}, RCX)
	VMOVUPS(Mem{Base: RCX, Index: j, Scale: 1}, y)
	VUNPCKLPS(y, x, lo)
	VUNPCKHPS(y, x, hi)
	VPERM2F128(Imm(0x20), hi, lo, x)
	VPERM2F128(Imm(0x31), hi, lo, y)
	VMOVUPS(x, Mem{Base: d, Index: j, Scale: 2})
	VMOVUPS(y, Mem{Base: d, Index: j, Scale: 2, Disp: 32})
	ADDQ(U32(32), j)
	DECQ(cnt)
	JNZ(LabelRef(name + "_vec"))
	// Next pixel: c = 2*per floats on.
	ADDQ(per, src)
	ADDQ(per, src)
	ADDQ(per, dst)
	ADDQ(per, dst)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
