package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// stemSignature is the channels-first convolution kernels' Go declaration;
// the store-step parameters have the SGEMM kernels' names, which storeStep
// reads.
const stemSignature = "func(mr, kw int, a *float32, lda int, segs *int32, nseg int, dx int, b *float32, c *float32, ldc int, flags uint, bias *float32, res *float32, lo float32, hi float32, alpha float32, lanes *int32)"

// stemSignature512 is the AVX-512 kernels' declaration: opmask halves
// (mask) instead of the lane vector, as for the SGEMM kernels.
const stemSignature512 = "func(mr, kw int, a *float32, lda int, segs *int32, nseg int, dx int, b *float32, c *float32, ldc int, flags uint, bias *float32, res *float32, lo float32, hi float32, alpha float32, mask uint32)"

// stem writes a convolution kernel for channels-first input (a network's
// first layer, whose image arrives as [C][H][W]): the tile
//
//	C[i, 0:w] = sum over s < nseg, x < kw of a[i*lda + segs[s] + x*dx] * B[s*kw + x, 0:w]
//
// (offsets in floats) where row i is an output pixel, segs holds one offset
// per (input channel, kernel row) pair and x runs along the kernel row, so
// for a zero-padded input plane pixel i's taps lie at a fixed stride
// (lda, the horizontal stride) from one base and no im2col copy or pointer
// table is needed: a segment costs one offset load, a tap one step of B.
// B is the packed panel, its K rows in (channel, kernel row, kernel column)
// order, the order of ONNX's weights. The store step is the SGEMM kernels'.
//
// As in the SGEMM kernels, mr may exceed the tile height: whole tiles go
// through the loop, each advancing a, c and res by a tile of rows, and the
// rest through its own body. Every row's sum is formed in the same order.
func stem(s isa, nv int) {
	name := fmt.Sprintf("stem%sx%d", s.name[len("sgemm"):], nv*s.vbytes/4)
	sig := stemSignature
	if s.masked {
		sig = stemSignature512
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a channels-first convolution tile of at most %d x %d; see the asmgen command for the contract.", name, s.mr, nv*s.vbytes/4))
	tileLoop(s, name, func(name string, mr int) { stemBody(s, name, nv, mr) }, func() {
		Load(Param("lda"), R9)
		IMUL3Q(Imm(uint64(4*s.mr)), R9, R9)
		ADDQ(R9, param("a"))
	})
}

// stemBody emits one tile of mr rows: the loop over segments, each with
// its loop along the kernel row, and the store step.
func stemBody(s isa, name string, nv, mr int) {
	lbl := func(x string) string { return fmt.Sprintf("%s_mr%d_%s", name, mr, x) }
	// One accumulator set whatever the tile height (unlike the SGEMM
	// kernels' small tiles), so that every row's sum has the same order.
	acc := func(set, i, v int) VecPhysical { return s.vec(i*nv + v) }
	bvec := func(v int) VecPhysical { return s.vec(s.regs - 2 - nv + v) }
	tmp := func(j int) VecPhysical { return s.vec(s.regs - 2 + j) }
	bstep := nv * s.vbytes

	l, l3, bp, cnt, sp, ns, dx, abase, kw, off := RCX, RDX, RBX, RAX, R12, R13, R14, R11, R15, R10
	bases := []GPPhysical{RSI, RDI, R8}

	Load(Param("lda"), l)
	SHLQ(Imm(2), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	Load(Param("b"), bp)
	Load(Param("segs"), sp)
	Load(Param("nseg"), ns)
	Load(Param("dx"), dx)
	SHLQ(Imm(2), dx)
	Load(Param("a"), abase)
	Load(Param("kw"), kw)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			if s.masked {
				VPXORD(acc(0, i, v), acc(0, i, v), acc(0, i, v))
			} else {
				VXORPS(acc(0, i, v), acc(0, i, v), acc(0, i, v))
			}
		}
	}
	step := func() {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: bp, Disp: v * s.vbytes}, bvec(v))
		}
		for i := 0; i < mr; i++ {
			t := tmp(i % 2)
			VBROADCASTSS(rowAddr(bases, l, l3, i, 0), t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bvec(v), t, acc(0, i, v))
			}
		}
		for g := 0; g*5 < mr; g++ {
			ADDQ(dx, bases[g])
		}
		ADDQ(U32(bstep), bp)
	}

	Label(lbl("seg"))
	MOVLQSX(Mem{Base: sp}, off)
	LEAQ(Mem{Base: abase, Index: off, Scale: 4}, bases[0])
	for g := 1; g*5 < mr; g++ {
		LEAQ(Mem{Base: bases[g-1], Index: l, Scale: 4}, bases[g])
		ADDQ(l, bases[g])
	}
	MOVQ(kw, cnt)
	Label(lbl("tap"))
	step()
	DECQ(cnt)
	JNZ(LabelRef(lbl("tap")))
	ADDQ(U32(4), sp)
	DECQ(ns)
	JNZ(LabelRef(lbl("seg")))

	// Store step, as the SGEMM kernels do it (see body).
	finishTile(s, lbl, 1, nv, mr, acc, bvec, tmp)
}
