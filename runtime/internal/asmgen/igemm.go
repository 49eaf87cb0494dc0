package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// igemmSignature is the indirect GEMM kernels' Go declaration. The names
// of the store-step parameters are those of the SGEMM kernels, which
// storeStep reads by name.
const igemmSignature = "func(mr, taps, kc int, tbl *int32, tstride int, in *float32, zero *float32, b *float32, c *float32, ldc int, flags uint, bias *float32, res *float32, lo float32, hi float32, alpha float32, lanes *int32)"

// igemmSignature512 is the AVX-512 kernels' declaration: the store step's
// columns are an opmask per vector (mask, two 16-bit halves as for the
// SGEMM kernels) instead of AVX2's lane vector.
const igemmSignature512 = "func(mr, taps, kc int, tbl *int32, tstride int, in *float32, zero *float32, b *float32, c *float32, ldc int, flags uint, bias *float32, res *float32, lo float32, hi float32, alpha float32, mask uint32)"

// avx512ind is the AVX-512 indirect kernels' shape: six rows, because each
// row needs its own pointer register for the tap (the twelve of the SGEMM
// kernel do not fit in the general registers), by one or two vectors.
var avx512ind = isa{name: "sgemmAVX512", vbytes: 64, mr: 6, masked: true, regs: 32}

// igemm writes an indirect GEMM kernel (a convolution without im2col): the
// tile C[0:mr, 0:w] = sum over taps t of A_t[0:mr, 0:kc] x B_t[0:kc, 0:w],
// where row i of A_t is the kc floats at in + tbl[t*tstride/4 + i] floats,
// or the kc zeros at zero when that entry is negative (a tap in the
// padding), and B_t is the next kc rows of the packed panel at b, which the
// taps consume one after another.
// The table thus names, for each output pixel of the tile and each kernel
// tap, where that tap's input channels start, and the kernel keeps its
// accumulators in registers across all the taps: C is loaded and stored
// once, in the same store step as the SGEMM kernels'.
//
// Like the SGEMM kernels, one call covers mr rows of any count: whole tiles
// of MR rows (the kernel's tile height), each tile's entries MR after the
// previous one's, and then the rest. The tap's rows are addressed from their own
// pointers with one shared channel index, so a step of K costs one index
// increment for all rows. Every row's sum is formed in the same order,
// whatever the tile height, so splitting the rows between calls (or
// goroutines) gives the same bits.
func igemm(s isa, nv int) {
	name := fmt.Sprintf("igemm%sx%d", s.name[len("sgemm"):], nv*s.vbytes/4)
	sig := igemmSignature
	if s.masked {
		sig = igemmSignature512
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes an indirect GEMM tile of at most %d x %d; see the asmgen command for the contract.", name, s.mr, nv*s.vbytes/4))
	tileLoop(s, name, func(name string, mr int) { igemmBody(s, name, nv, mr) }, func() {
		ADDQ(U32(4*s.mr), param("tbl"))
	})
}

// tileLoop writes the row loop of a kernel that, like the SGEMM kernels,
// takes any number mr of rows: while more than a tile (s.mr rows) remain,
// body for a whole tile, then next (which advances the kernel's own row
// arguments by a tile) and the advance of c and res (when flags has tRes)
// by a tile of rows; the last tile (1 to s.mr rows) goes through body for
// its height and returns.
func tileLoop(s isa, name string, body func(name string, mr int), next func()) {
	Label(name + "_loop")
	Load(Param("mr"), R9)
	CMPQ(R9, Imm(uint64(s.mr)))
	JG(LabelRef(name + "_full"))
	for mr := s.mr; mr >= 1; mr-- {
		CMPQ(R9, Imm(uint64(mr)))
		JEQ(LabelRef(fmt.Sprintf("%s_mr%d", name, mr)))
	}
	RET()
	Label(name + "_full")
	body(name+"_full", s.mr)
	next()
	Load(Param("ldc"), R9)
	IMUL3Q(Imm(uint64(4*s.mr)), R9, R9)
	ADDQ(R9, param("c"))
	Load(Param("flags"), R10)
	TESTQ(U32(tRes), R10)
	JZ(LabelRef(name + "_nores"))
	ADDQ(R9, param("res"))
	Label(name + "_nores")
	SUBQ(Imm(uint64(s.mr)), param("mr"))
	JMP(LabelRef(name + "_loop"))
	for mr := s.mr; mr >= 1; mr-- {
		Label(fmt.Sprintf("%s_mr%d", name, mr))
		body(name, mr)
		VZEROUPPER()
		RET()
	}
}

// storeAVX2 writes the store step of an AVX2 tile whose accumulators are
// the first set: through the lane mask at Param("lanes") when it is not
// nil (a narrow last panel), else whole vectors. It clobbers R9.
func storeAVX2(s isa, lbl func(string) string, nv, mr int, acc func(set, i, v int) VecPhysical, bvec, tmp func(int) VecPhysical) {
	l, l3, flags := RCX, RDX, R13
	bases := []GPPhysical{RSI, RDI, R8}
	Load(Param("flags"), flags)
	Load(Param("ldc"), l)
	SHLQ(Imm(2), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	setBases(bases, param("c"), l, mr)
	zero := func(r VecPhysical) { VXORPS(r, r, r) }
	Load(Param("lanes"), R9)
	TESTQ(R9, R9)
	JNZ(LabelRef(lbl("masked")))
	storeStep(s, lbl, nv, mr, bases, l, l3, flags, acc, bvec, tmp, zero, false)
	JMP(LabelRef(lbl("stored")))
	Label(lbl("masked"))
	storeStep(s, func(x string) string { return lbl("m" + x) }, nv, mr, bases, l, l3, flags, acc, bvec, tmp, zero, true)
	Label(lbl("stored"))
}

// igemmBody emits one tile of mr rows: the loop over taps, each with its
// loop over the tap's kc channels, and the store step.
func igemmBody(s isa, name string, nv, mr int) {
	lbl := func(x string) string { return fmt.Sprintf("%s_mr%d_%s", name, mr, x) }
	const unroll = 4
	// With one vector per row, six rows are too few FMA chains to cover
	// the latency; AVX-512's registers allow two sets, alternating k.
	sets := 1
	if s.masked && mr*nv < 8 {
		sets = 2
	}
	acc := func(set, i, v int) VecPhysical { return s.vec(set*mr*nv + i*nv + v) }
	bvec := func(v int) VecPhysical { return s.vec(s.regs - 2 - nv + v) }
	tmp := func(j int) VecPhysical { return s.vec(s.regs - 2 + j) }
	bstep := nv * s.vbytes // bytes of B per k

	kk, bp, cnt, taps, tbl, in, n4 := RAX, RBX, RCX, RDX, R12, R13, R14
	rows := []GPPhysical{RSI, RDI, R8, R9, R10, R11}[:mr]

	Load(Param("kc"), n4)
	SHRQ(Imm(2), n4)
	Load(Param("taps"), taps)
	Load(Param("b"), bp)
	Load(Param("tbl"), tbl)
	Load(Param("in"), in)
	for set := 0; set < sets; set++ {
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				if s.masked {
					VPXORD(acc(set, i, v), acc(set, i, v), acc(set, i, v))
				} else {
					VXORPS(acc(set, i, v), acc(set, i, v), acc(set, i, v))
				}
			}
		}
	}

	step := func(u int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: bp, Disp: u*bstep + v*s.vbytes}, bvec(v))
		}
		for i, r := range rows {
			t := tmp(i % 2)
			VBROADCASTSS(Mem{Base: r, Index: kk, Scale: 1, Disp: 4 * u}, t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bvec(v), t, acc(u%sets, i, v))
			}
		}
	}

	Label(lbl("tap"))
	// The tap's row pointers: in + 4*offset, or the zero row for a
	// negative offset (LEAQ leaves the flags of the TESTQ alone).
	for i, r := range rows {
		MOVLQSX(Mem{Base: tbl, Disp: 4 * i}, r)
		TESTQ(r, r)
		LEAQ(Mem{Base: in, Index: r, Scale: 4}, r)
		CMOVQLT(param("zero"), r)
	}
	XORQ(kk, kk)
	MOVQ(n4, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef(lbl("tail")))
	Label(lbl("loop"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll), kk)
	ADDQ(U32(unroll*bstep), bp)
	DECQ(cnt)
	JNZ(LabelRef(lbl("loop")))

	// The last kc%4 channels, straight-line: a tap of three channels (a
	// first layer) would otherwise pay a loop's exit on every tap. The
	// branches go the same way for every tap of a call.
	Label(lbl("tail"))
	Load(Param("kc"), cnt)
	ANDQ(Imm(unroll-1), cnt)
	JZ(LabelRef(lbl("next")))
	CMPQ(cnt, Imm(2))
	JB(LabelRef(lbl("tail1")))
	JE(LabelRef(lbl("tail2")))
	for _, n := range []int{3, 2, 1} {
		Label(lbl(fmt.Sprintf("tail%d", n)))
		for u := 0; u < n; u++ {
			step(u)
		}
		ADDQ(U32(n*bstep), bp)
		if n > 1 {
			JMP(LabelRef(lbl("next")))
		}
	}

	Label(lbl("next"))
	ADDQ(param("tstride"), tbl)
	DECQ(taps)
	JNZ(LabelRef(lbl("tap")))

	// Store step, as the SGEMM kernels do it (see body).
	finishTile(s, lbl, sets, nv, mr, acc, bvec, tmp)
}
