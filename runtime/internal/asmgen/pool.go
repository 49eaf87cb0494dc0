package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// pooling writes the max- or average-pooling kernel: for each of npix
// output pixels (pixel p's channels at out + p*ostride floats, its input
// taps relative to in + p*istride floats) it computes, for ch < c,
//
//	max:  out[ch] = max_t in[taps[t] + ch]
//	avg:  out[ch] = scale * sum_t in[taps[t] + ch]
//
// over ntaps >= 1 taps, where taps holds the byte offset of each tap's
// input pixel. Any c works: channels go in blocks of four, two and one
// vectors (four independent chains hide the latency of the combining
// operations) and a last, partial vector is masked as in the Winograd
// transforms.
//
// The maximum propagates NaN from either operand, as ONNX (and Go's max)
// want, which MAXPS alone does not: MAXPS returns its second source when
// either is NaN. So the kernel computes m = max(acc, x), which is x if
// either is NaN, and m2 = max(m, acc), which is acc if either is NaN, and
// ORs them: without NaN both are the maximum, and with a NaN on either
// side one of them is that NaN, whose all-ones exponent and non-zero
// mantissa survive the OR.
func pooling(s isa, avg bool) {
	kind := "max"
	if avg {
		kind = "avg"
	}
	name := kind + "Pool" + winoSuffix(s)
	sig := "func(npix int, out *float32, ostride int, in *float32, istride int, taps *int, ntaps int, c int, scale float32, mask *int32)"
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix pixels of %s pooling; see the asmgen command.", name, map[bool]string{false: "max", true: "average"}[avg]))

	npix, outp, inp, cbytes, taps, cb, rem, tp, cnt := R8, R9, R10, R11, R12, RAX, RBX, RDI, RCX
	vec := s.vec
	lanes, scale := vec(s.regs-1), vec(s.regs-2)
	tailMask(s, "c", lanes)
	Load(Param("npix"), npix)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("c"), cbytes)
	SHLQ(Imm(2), cbytes)
	Load(Param("taps"), taps)
	if avg {
		VBROADCASTSS(param("scale"), scale)
	}

	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	Label(name + "_pixel")
	XORQ(cb, cb)
	block := func(nv int, io vecIO) {
		blk := fmt.Sprintf("%s_blk%d", name, nv)
		if io.tail {
			blk += "t"
		}
		acc := func(v int) VecPhysical { return vec(v) }
		x := func(v int) VecPhysical { return vec(4 + v) }
		m := func(v int) VecPhysical { return vec(8 + v) }
		at := func(v int) Mem { return Mem{Base: RSI, Index: cb, Scale: 1, Disp: v * s.vbytes} }
		// The first tap initializes the accumulators.
		MOVQ(Mem{Base: taps}, RSI)
		ADDQ(inp, RSI)
		for v := 0; v < nv; v++ {
			io.load(at(v), acc(v))
		}
		Load(Param("ntaps"), cnt)
		DECQ(cnt)
		JZ(LabelRef(blk + "_store"))
		LEAQ(Mem{Base: taps, Disp: 8}, tp)
		Label(blk + "_tap")
		MOVQ(Mem{Base: tp}, RSI)
		ADDQ(inp, RSI)
		for v := 0; v < nv; v++ {
			if avg {
				io.add(at(v), acc(v))
				continue
			}
			io.load(at(v), x(v))
			VMAXPS(x(v), acc(v), m(v))
			VMAXPS(acc(v), m(v), x(v))
			VORPS(x(v), m(v), acc(v))
		}
		ADDQ(U32(8), tp)
		DECQ(cnt)
		JNZ(LabelRef(blk + "_tap"))
		Label(blk + "_store")
		for v := 0; v < nv; v++ {
			if avg {
				VMULPS(scale, acc(v), acc(v))
			}
			io.store(acc(v), Mem{Base: outp, Index: cb, Scale: 1, Disp: v * s.vbytes})
		}
	}
	io := vecIO{s: s, lanes: lanes, spare: vec(12), kmask: K1}
	for _, nv := range []int{4, 2, 1} {
		blk := fmt.Sprintf("%s_blk%d", name, nv)
		width := nv * s.vbytes
		Label(blk)
		MOVQ(cbytes, rem)
		SUBQ(cb, rem)
		CMPQ(rem, U32(width))
		JL(LabelRef(blk + "_next"))
		block(nv, io)
		ADDQ(U32(width), cb)
		JMP(LabelRef(blk))
		Label(blk + "_next")
	}
	// A partial vector is left when rem is not zero.
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_advance"))
	io.tail = true
	block(1, io)
	Label(name + "_advance")
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
