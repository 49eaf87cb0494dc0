package main

import (
	"fmt"
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Store kinds and flags of the quantized GEMM kernels; keep in sync with
// qgemm.go in the runtime.
const (
	qOutI32 = iota // raw int32 sums
	qOutF32        // float32(sum) * scale
	qOutU8         // requantized, saturated to uint8
	qOutS8         // requantized, saturated to int8

	qKindMask = 3
	qRowZW    = 4 // subtract rs[i]*zw[j] (weights with a zero point)
	qAccIn    = 8 // VNNI kernel: start from the int32 sums at a (rows lda bytes apart) instead of zero
)

// qgemmMR is the number of rows of the quantized kernels' tile.
const qgemmMR = 4

// qgemm writes the u8 x s8 -> s32 GEMM kernel for nv vectors of 8 columns
// (a panel of 8*nv columns) and up to qgemmMR rows:
//
//	acc[i][j] = sum_k A[i][k] * B[k][j] + off[j] - rs[i]*zw[j] (the last term with qRowZW)
//
// followed by the store step that flags select, for m rows in tiles of
// qgemmMR (the last one shorter). A is read in place, rows of lda bytes;
// the kernel reads kg groups of four bytes from each row, and then, if
// tail is not nil, one more group from tail + 4*i for row i (the Go
// driver copies the last K%4 bytes of each row there, padded with zeros,
// so that the kernel never reads past the end of A; it passes a tail only
// for a single tile). rs advances by a tile with A and C.
//
// There are two variants, which differ only in how B is packed and how a
// group of four k is multiplied: qgemmAVX2x* (VPMADDWD, exact for every
// weight) and qgemmAVX2UBx* (VPMADDUBSW, exact only for weights that the
// Go side has checked, see below). The runtime picks one per weight
// tensor when it packs it.
//
// # Exactness
//
// The VPMADDWD kernel forms the products on 16-bit operands, which is
// exact for every u8 x s8 pair: each 32-bit lane receives a0*b0 + a1*b1
// with |a*b| <= 255*128. VPMADDUBSW, which multiplies bytes directly,
// adds its two products into a saturating 16-bit lane, and 2*255*127 does
// not fit, so on arbitrary weights it is wrong on exactly the inputs
// quantized models produce at the ends of their ranges. The exact
// variants of it measured slower on Zen 3 (2 cores shared, best of 40
// runs of a 576-deep tile from L1):
//
//	VPMADDWD, B widened at packing, 4x24 tile, B as memory operands  143 GOPS (chosen)
//	VPMADDWD, 4x16 tile, B in registers                               131 GOPS
//	VPMADDWD, B stored as bytes and widened with VPMOVSXBW            130 GOPS
//	VPMADDWD, A widened beforehand (two broadcasts per row)           131 GOPS
//	VPMADDUBSW on a&0x7f and a&0x80 separately (exact)                 90 GOPS
//	VPMADDUBSW + VPMADDWD, one pass (inexact: saturates)              186 GOPS
//	float32 FMA, 6x16 (the Sgemm kernel's loop), for scale             99 GFLOP/s
//
// Splitting the activations doubles the multiplies, and Zen 3 has two
// vector-multiply pipes; VPMADDWD needs the same two multiply uops per 32
// products as the inexact pair (VPMADDUBSW, then VPMADDWD to widen) but no
// widening step, so it only pays one extra add.
//
// The one-pass VPMADDUBSW kernel is exact, though, whenever every pair of
// weights it adds into one 16-bit lane satisfies |w0| + |w1| <= 128: then
// |a0*w0 + a1*w1| <= 255*(|w0| + |w1|) <= 32640 < 32767, so nothing
// saturates, and the VPMADDWD by ones that follows widens the pair sums
// to int32 exactly. The weights are constants known at packing, so the
// packer checks every pair the kernel will add (k0 with k1 and k2 with k3
// of each group, per column; the zero padding of the tail adds nothing)
// and packs for this kernel only when all of them pass. Weights quantized
// to 7 bits (ONNX Runtime's reduce_range, cnnc quantize -reduce-range)
// always do. The activations are not checked: the bound holds for every
// byte, including the bytes past K that the kernel reads in place against
// zero weights.
// On such weights it measured 1.3 to 1.5 times the VPMADDWD kernel
// through QGemm (BenchmarkQGemm, best of 5 alternated runs: 183 to 188
// GOPS against 122 to 140 on the 3x3 shapes, 151 against 110 on a 1x1),
// and took ResNet-18 quantized with -reduce-range from 28 to 22.4 ms
// (p10, one thread).
//
// The VPMADDWD kernel's B is packed in groups of four k: for each group
// and each vector of 8 columns, 16 int16 (w[k0][c], w[k2][c]) pairs and
// then 16 (w[k1][c], w[k3][c]) pairs. Each row's four bytes are broadcast
// as a dword; an AND with 0x00ff00ff leaves the words (a0, a2) and a
// 16-bit shift right by 8 the words (a1, a3), so one VPMADDWD against each
// half of the group sums all four products.
//
// The VPMADDUBSW kernel's B stays bytes, half the size: for each group
// and each vector of 8 columns, 32 bytes (w[k0][c], w[k1][c], w[k2][c],
// w[k3][c]) for the 8 columns c. VPMADDUBSW of the broadcast dword (its
// unsigned operand) and B (its signed one) gives the words (a0*w0 +
// a1*w1, a2*w2 + a3*w3) of each column, VPMADDWD with ones their int32
// sum.
//
// # Store step
//
// qOutI32 stores the sums; qOutF32 converts them (VCVTDQ2PS) and
// multiplies by scale[j]; qOutU8 and qOutS8 also multiply by scale[j],
// clamp to [lo, hi] (the output range minus the zero point, as floats),
// convert with VCVTPS2DQ, which rounds half to even under the default
// MXCSR that Go runs with, add zy and pack to bytes. Clamping in float
// before converting keeps huge values from becoming the integer
// indefinite 0x80000000, and after it the packs never saturate. c is
// written at stride ldc bytes, always the full 8*nv columns; the Go driver
// passes a scratch tile for a narrower last panel.
func qgemm(nv int, ubsw bool) {
	name, bt := fmt.Sprintf("qgemmAVX2x%d", 8*nv), "int16"
	if ubsw {
		name, bt = fmt.Sprintf("qgemmAVX2UBx%d", 8*nv), "int8"
	}
	TEXT(name, NOSPLIT, "func(m int, kg int, a *uint8, lda int, b *"+bt+", c *byte, ldc int, flags uint, off *int32, scale *float32, zw *int32, rs *int32, tail *uint8, zy int32, lo float32, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes m rows of a quantized %d-column panel; see the asmgen command for the contract.", name, 8*nv))
	qgemmTiles(name, qgemmMR, func(mr int, locals qgemmLocals) { qgemmBody(name, nv, mr, ubsw, locals) })
}

// qgemmTiles writes the row-tile walk of a quantized GEMM kernel whose
// tile has mr rows (the last one shorter), body writing one tile of each
// height. The row tiles are walked here rather than in Go: with a small K
// (a first layer's 27, a 1x1 convolution's 16 to 96) one tile is a few
// hundred cycles, of which a call from Go would take a tenth.
func qgemmTiles(name string, mrMax int, body func(mr int, locals qgemmLocals)) {
	// A and C advance by mrMax rows, a shift of their strides.
	shift := bits.TrailingZeros(uint(mrMax))
	if mrMax != 1<<shift {
		panic("qgemmTiles: the tile height must be a power of two")
	}
	locals := qgemmLocals{a: AllocLocal(8), c: AllocLocal(8), rs: AllocLocal(8), m: AllocLocal(8)}
	Load(Param("a"), RAX)
	MOVQ(RAX, locals.a)
	Load(Param("c"), RAX)
	MOVQ(RAX, locals.c)
	Load(Param("rs"), RAX)
	MOVQ(RAX, locals.rs)
	Load(Param("m"), R9)
	MOVQ(R9, locals.m)
	Label(name + "_tile")
	MOVQ(locals.m, R9)
	CMPQ(R9, Imm(uint64(mrMax)))
	JGE(LabelRef(fmt.Sprintf("%s_mr%d", name, mrMax)))
	for mr := mrMax - 1; mr >= 1; mr-- {
		CMPQ(R9, Imm(uint64(mr)))
		JEQ(LabelRef(fmt.Sprintf("%s_mr%d", name, mr)))
	}
	JMP(LabelRef(name + "_done"))
	for mr := mrMax; mr >= 1; mr-- {
		Label(fmt.Sprintf("%s_mr%d", name, mr))
		body(mr, locals)
		JMP(LabelRef(name + "_next"))
	}
	Label(name + "_next")
	SUBQ(Imm(uint64(mrMax)), locals.m)
	JLE(LabelRef(name + "_done"))
	Load(Param("lda"), RAX)
	SHLQ(Imm(uint64(shift)), RAX)
	ADDQ(RAX, locals.a)
	Load(Param("ldc"), RAX)
	SHLQ(Imm(uint64(shift)), RAX)
	ADDQ(RAX, locals.c)
	ADDQ(Imm(uint64(4*mrMax)), locals.rs)
	JMP(LabelRef(name + "_tile"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// qgemmLocals are the stack slots holding the current tile's A, C and
// row-term pointers and the rows left.
type qgemmLocals struct{ a, c, rs, m Mem }

func qgemmBody(name string, nv, mr int, ubsw bool, locals qgemmLocals) {
	lbl := func(x string) string { return fmt.Sprintf("%s_mr%d_%s", name, mr, x) }
	y := avx2.vec
	acc := func(i, v int) VecPhysical { return y(i*nv + v) }
	ae, ao, t, mask := y(12), y(13), y(14), y(15)
	gstep := 64 // bytes of B per group and column vector
	if ubsw {
		gstep = 32
	}

	cnt, bp, l, l3, base := R9, RBX, RCX, RDX, RSI
	Load(Param("kg"), cnt)
	Load(Param("b"), bp)
	Load(Param("lda"), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	MOVQ(locals.a, base)
	// mask is the byte mask of the VPMADDWD step, or the int16 ones that
	// widen VPMADDUBSW's pair sums.
	if ubsw {
		MOVL(U32(0x00010001), EAX)
	} else {
		MOVL(U32(0x00ff00ff), EAX)
	}
	VMOVD(EAX, mask.AsX())
	VPBROADCASTD(mask.AsX(), mask)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VPXOR(acc(i, v), acc(i, v), acc(i, v))
		}
	}
	rowA := func(i int) Mem {
		m := Mem{Base: base}
		switch i {
		case 1:
			m.Index, m.Scale = l, 1
		case 2:
			m.Index, m.Scale = l, 2
		case 3:
			m.Index, m.Scale = l3, 1
		}
		return m
	}
	// step does one group of four k for every row.
	step := func() {
		for i := 0; i < mr && ubsw; i++ {
			// First source unsigned (A), second signed (B): in Go's
			// operand order the memory operand is Intel's last.
			VPBROADCASTD(rowA(i), ae)
			for v := 0; v < nv; v++ {
				VPMADDUBSW(Mem{Base: bp, Disp: v * gstep}, ae, t)
				VPMADDWD(mask, t, t)
				VPADDD(t, acc(i, v), acc(i, v))
			}
		}
		for i := 0; i < mr && !ubsw; i++ {
			VPBROADCASTD(rowA(i), ao)
			VPAND(mask, ao, ae)
			VPSRLW(Imm(8), ao, ao)
			for v := 0; v < nv; v++ {
				VPMADDWD(Mem{Base: bp, Disp: v * gstep}, ae, t)
				VPADDD(t, acc(i, v), acc(i, v))
				VPMADDWD(Mem{Base: bp, Disp: v*gstep + 32}, ao, t)
				VPADDD(t, acc(i, v), acc(i, v))
			}
		}
		ADDQ(U32(nv*gstep), bp)
	}
	TESTQ(cnt, cnt)
	JZ(LabelRef(lbl("tail")))
	Label(lbl("loop"))
	step()
	ADDQ(U32(4), base)
	DECQ(cnt)
	JNZ(LabelRef(lbl("loop")))

	Label(lbl("tail"))
	Load(Param("tail"), base)
	TESTQ(base, base)
	JZ(LabelRef(lbl("store")))
	MOVQ(U32(4), l)
	MOVQ(U32(12), l3)
	step()

	Label(lbl("store"))
	flags := R13
	Load(Param("flags"), flags)
	// Integer part: the column offsets and, with qRowZW, the row term.
	offp, zwp, rsp := R10, R11, R12
	Load(Param("off"), offp)
	Load(Param("zw"), zwp)
	MOVQ(locals.rs, rsp)
	for v := 0; v < nv; v++ {
		VMOVDQU(Mem{Base: offp, Disp: 32 * v}, ae)
		for i := 0; i < mr; i++ {
			VPADDD(ae, acc(i, v), acc(i, v))
		}
	}
	TESTQ(U32(qRowZW), flags)
	JZ(LabelRef(lbl("norow")))
	for v := 0; v < nv; v++ {
		VMOVDQU(Mem{Base: zwp, Disp: 32 * v}, ae)
		for i := 0; i < mr; i++ {
			VPBROADCASTD(Mem{Base: rsp, Disp: 4 * i}, t)
			VPMULLD(ae, t, t)
			VPSUBD(t, acc(i, v), acc(i, v))
		}
	}
	Label(lbl("norow"))

	// C rows: base + i*ldc, with l and l3 = ldc and 3*ldc bytes.
	MOVQ(locals.c, base)
	Load(Param("ldc"), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	rowC := func(i, disp int) Mem {
		m := rowA(i)
		m.Disp = disp
		return m
	}
	ANDQ(U32(qKindMask), flags)
	CMPQ(flags, U32(qOutF32))
	JEQ(LabelRef(lbl("f32")))
	JA(LabelRef(lbl("q8")))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMOVDQU(acc(i, v), rowC(i, 32*v))
		}
	}
	JMP(LabelRef(lbl("done")))

	scalep := R10
	Label(lbl("f32"))
	Load(Param("scale"), scalep)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VCVTDQ2PS(acc(i, v), acc(i, v))
			VMULPS(Mem{Base: scalep, Disp: 32 * v}, acc(i, v), acc(i, v))
			VMOVUPS(acc(i, v), rowC(i, 32*v))
		}
	}
	JMP(LabelRef(lbl("done")))

	Label(lbl("q8"))
	Load(Param("scale"), scalep)
	lo, hi, zy := ae, ao, mask
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	Load(Param("zy"), EAX)
	VMOVD(EAX, zy.AsX())
	VPBROADCASTD(zy.AsX(), zy)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			x := acc(i, v)
			VCVTDQ2PS(x, x)
			VMULPS(Mem{Base: scalep, Disp: 32 * v}, x, x)
			VMAXPS(lo, x, x)
			VMINPS(hi, x, x)
			VCVTPS2DQ(x, x)
			VPADDD(zy, x, x)
			// Eight int32 in range to eight bytes: the high half next
			// to the low one as words, then the words as bytes.
			VEXTRACTI128(Imm(1), x, t.AsX())
			VPACKSSDW(t.AsX(), x.AsX(), x.AsX())
		}
	}
	// The byte packs differ for the two types; the values are in range,
	// so only the interpretation of the saturation differs and either
	// pack would do for an in-range value of its own type.
	CMPQ(flags, U32(qOutU8))
	JNE(LabelRef(lbl("s8")))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			x := acc(i, v).AsX()
			VPACKUSWB(x, x, x)
			VMOVQ(x, rowC(i, 8*v))
		}
	}
	JMP(LabelRef(lbl("done")))
	Label(lbl("s8"))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			x := acc(i, v).AsX()
			VPACKSSWB(x, x, x)
			VMOVQ(x, rowC(i, 8*v))
		}
	}
	Label(lbl("done"))
}

// qgemmVNNIMR is the number of rows of the AVX-512 VNNI kernel's tile.
const qgemmVNNIMR = 8

// qgemmVNNI writes the AVX-512 VNNI kernel for nv vectors of 16 columns
// (a panel of 16*nv columns) and tiles of up to qgemmVNNIMR rows, with the
// contract of qgemm (the same arguments, store kinds and flags; tail holds
// 4 bytes per row as there).
//
// VPDPBUSD multiplies the four unsigned bytes of each dword of its first
// source (Intel's order) by the four signed bytes of the same dword of
// the second and adds the four products to the int32 lane: a whole group
// of four k per instruction, exactly for every u8 x s8 pair (the four
// products sum to at most 4*255*128 in magnitude; the accumulation into
// int32 wraps as ONNX allows), so unlike the AVX2 kernels it needs no
// check of the weights and no widening step. B is packed as for the
// VPMADDUBSW kernel, four bytes (w[k0][c] .. w[k3][c]) per column and
// group, which is exactly the dword layout VPDPBUSD reads; a group of a
// panel is 64*nv bytes.
//
// The tile is 8 rows by 48 columns (24 accumulators, the B vectors of the
// group in three more registers, the broadcast in one): each group loads
// the three B vectors once and reuses them for the eight rows, eight
// broadcast loads, and 24 VPDPBUSD: fewer loads than multiplies, where
// B as memory operands would load for every multiply.
//
// The store step is qgemm's on 16 lanes; an 8-bit result is narrowed
// with VPMOVDB, whose truncation is exact because the values were clamped
// into the output type's range.
func qgemmVNNI(nv int) {
	name := fmt.Sprintf("qgemmVNNIx%d", 16*nv)
	TEXT(name, NOSPLIT, "func(m int, kg int, a *uint8, lda int, b *int8, c *byte, ldc int, flags uint, off *int32, scale *float32, zw *int32, rs *int32, tail *uint8, zy int32, lo float32, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes m rows of a quantized %d-column panel on AVX-512 VNNI; see the asmgen command for the contract.", name, 16*nv))
	qgemmTiles(name, qgemmVNNIMR, func(mr int, locals qgemmLocals) { qgemmVNNIBody(name, nv, mr, locals) })
}

func qgemmVNNIBody(name string, nv, mr int, locals qgemmLocals) {
	lbl := func(x string) string { return fmt.Sprintf("%s_mr%d_%s", name, mr, x) }
	z := avx512.vec
	acc := func(i, v int) VecPhysical { return z(i*nv + v) }
	bv := func(v int) VecPhysical { return z(24 + v) }
	ab, t := z(27), z(28)
	const gstep = 64 // bytes of B per group and column vector

	cnt, bp, l, l3 := R9, RBX, RCX, RDX
	bases := []GPPhysical{RSI, RDI}
	Load(Param("kg"), cnt)
	Load(Param("b"), bp)
	Load(Param("lda"), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	setBases(bases, locals.a, l, mr)
	// With qAccIn, a holds int32 sums to start from (an AMX tile's
	// products, see the runtime's qgemm.go), kg is 0, and this call is
	// only the store step.
	// The sums start from the column offsets (bias - za*colSum), which
	// saves the store step an add per accumulator: register copies
	// cost no execution port, the adds did.
	Load(Param("off"), R10)
	TESTQ(U32(qAccIn), param("flags"))
	JZ(LabelRef(lbl("zero")))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMOVDQU32(rowAddr(bases, l, l3, i, 64*v), acc(i, v))
			VPADDD(Mem{Base: R10, Disp: 64 * v}, acc(i, v), acc(i, v))
		}
	}
	JMP(LabelRef(lbl("started")))
	Label(lbl("zero"))
	for v := 0; v < nv; v++ {
		VMOVDQU32(Mem{Base: R10, Disp: 64 * v}, acc(0, v))
		for i := 1; i < mr; i++ {
			VMOVDQA32(acc(0, v), acc(i, v))
		}
	}
	Label(lbl("started"))
	rowA := func(i int) Mem { return rowAddr(bases, l, l3, i, 0) }
	step := func() {
		for v := 0; v < nv; v++ {
			VMOVDQU32(Mem{Base: bp, Disp: v * gstep}, bv(v))
		}
		for i := 0; i < mr; i++ {
			VPBROADCASTD(rowA(i), ab)
			for v := 0; v < nv; v++ {
				// Go's operand order: the signed source (B), the
				// unsigned one (A), the accumulator. avo has no VNNI
				// instructions, so the instruction is written raw.
				Instruction(&ir.Instruction{Opcode: "VPDPBUSD", Operands: []Op{bv(v), ab, acc(i, v)}})
			}
		}
		ADDQ(U32(nv*gstep), bp)
	}
	advance := func(n int) {
		for g := 0; g*5 < mr; g++ {
			ADDQ(U32(n), bases[g])
		}
	}
	TESTQ(cnt, cnt)
	JZ(LabelRef(lbl("tail")))
	Label(lbl("loop"))
	step()
	advance(4)
	DECQ(cnt)
	JNZ(LabelRef(lbl("loop")))

	Label(lbl("tail"))
	tp := R8
	Load(Param("tail"), tp)
	TESTQ(tp, tp)
	JZ(LabelRef(lbl("store")))
	MOVQ(U32(4), l)
	MOVQ(U32(12), l3)
	setBases(bases, tp, l, mr)
	step()

	Label(lbl("store"))
	flags := R13
	Load(Param("flags"), flags)
	zwp, rsp := R11, R12
	Load(Param("zw"), zwp)
	MOVQ(locals.rs, rsp)
	TESTQ(U32(qRowZW), flags)
	JZ(LabelRef(lbl("norow")))
	for v := 0; v < nv; v++ {
		VMOVDQU32(Mem{Base: zwp, Disp: 64 * v}, t)
		for i := 0; i < mr; i++ {
			VPBROADCASTD(Mem{Base: rsp, Disp: 4 * i}, ab)
			VPMULLD(t, ab, ab)
			VPSUBD(ab, acc(i, v), acc(i, v))
		}
	}
	Label(lbl("norow"))

	Load(Param("ldc"), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	setBases(bases, locals.c, l, mr)
	rowC := func(i, disp int) Mem { return rowAddr(bases, l, l3, i, disp) }
	ANDQ(U32(qKindMask), flags)
	CMPQ(flags, U32(qOutF32))
	JEQ(LabelRef(lbl("f32")))
	JA(LabelRef(lbl("q8")))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMOVDQU32(acc(i, v), rowC(i, 64*v))
		}
	}
	JMP(LabelRef(lbl("done")))

	scalep := R10
	Label(lbl("f32"))
	Load(Param("scale"), scalep)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VCVTDQ2PS(acc(i, v), acc(i, v))
			VMULPS(Mem{Base: scalep, Disp: 64 * v}, acc(i, v), acc(i, v))
			VMOVUPS(acc(i, v), rowC(i, 64*v))
		}
	}
	JMP(LabelRef(lbl("done")))

	Label(lbl("q8"))
	Load(Param("scale"), scalep)
	lo, hi, zy := bv(0), bv(1), bv(2)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	Load(Param("zy"), EAX)
	VMOVD(EAX, zy.AsX())
	VPBROADCASTD(zy.AsX(), zy)
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: scalep, Disp: 64 * v}, t)
		for i := 0; i < mr; i++ {
			x := acc(i, v)
			VCVTDQ2PS(x, x)
			VMULPS(t, x, x)
			VMAXPS(lo, x, x)
			VMINPS(hi, x, x)
			VCVTPS2DQ(x, x)
			VPADDD(zy, x, x)
			VPMOVDB(x, rowC(i, 16*v))
		}
	}
	Label(lbl("done"))
}
