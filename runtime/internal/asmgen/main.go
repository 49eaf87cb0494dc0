// Command asmgen writes the assembly kernels of package runtime (the SGEMM
// micro-kernels and their indirect (im2col-free) convolution variants, the
// channels-first first-layer convolution (stem.go), the depthwise convolution, the Winograd transforms,
// pooling, the im2col copy and the activations, in sgemm_amd64.s, with their Go
// declarations in sgemm_stubs_amd64.go) with avo.
//
// It lives in its own module so that avo and its dependencies never appear
// in the requirements of programs that import the runtime. Run it through
// go generate in the runtime directory:
//
//	go generate ./runtime
//
// # Kernel shape
//
// Each kernel computes one tile C[0:mr, 0:w] = A[0:mr, 0:kc] x B[0:kc, 0:w]
// where A is read in place (mr rows at stride lda) and B is one packed panel
// (kc rows of w contiguous values). The w columns are held as nv vectors per
// row, the mr rows as broadcasts of A, so the tile lives in mr*nv
// accumulator registers. Rows are addressed from a base register per five
// rows with lda and 3*lda index registers (scales 1, 2 and 4 reach the
// rest), so no per-row pointer needs incrementing.
//
// Small tiles do not have the eight independent FMA chains that hide the
// FMA latency (4 cycles, 2 per cycle), so they split K over up to four sets
// of accumulators and add the sets at the end.
//
// The store step adds C (accumulate), the bias row, a residual tile, clamps
// and applies a leaky slope, each only if its flag is set; the flags and
// their order must match the tAcc..tLeaky constants in kernel.go. AVX-512
// kernels mask the columns beyond nw in every load and store of C, the bias
// and the residual, so the last panel needs no special case; AVX2 kernels
// always store w columns and the Go driver gives them a scratch tile when
// fewer are wanted.
//
// Prefetching: a model's weights are cold (each layer reads its own once
// per inference), and with few rows (a 7x7 output has 49) the first tile
// of a panel waits on memory for every line of B. So when pf is not nil,
// the first tile of a call also prefetches the kc x w slice at pf, the
// panel the driver will pass next, and the following tiles run without.
// Each tile of a multi-tile call also prefetches the next tile's rows of C
// (when it accumulates) and of the residual, which lie a row stride apart
// where no hardware prefetcher looks.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Tile flags; keep in sync with kernel.go.
const (
	tAcc = 1 << iota
	tBias
	tRes
	tClamp
	tLeaky
)

type isa struct {
	name   string // function name prefix
	vbytes int    // vector size in bytes
	mr     int    // rows per tile
	masked bool   // AVX-512 opmask stores
	regs   int    // vector registers
}

var (
	avx512 = isa{name: "sgemmAVX512", vbytes: 64, mr: 12, masked: true, regs: 32}
	avx2   = isa{name: "sgemmAVX2", vbytes: 32, mr: 6, masked: false, regs: 16}
)

const signature = "func(mr, kc int, a *float32, lda int, b *float32, c *float32, ldc int, mask uint32, flags uint, bias *float32, res *float32, lo float32, hi float32, alpha float32, lanes *int32, pf *float32)"

func main() {
	ConstraintExpr("!purego")
	for _, nv := range []int{2, 1} {
		kernel(avx512, nv)
	}
	for _, nv := range []int{2, 1} {
		kernel(avx2, nv)
	}
	// The indirect GEMM reads the SGEMM kernels' panels, of either ISA.
	for _, nv := range []int{2, 1} {
		igemm(avx512ind, nv)
	}
	for _, nv := range []int{2, 1} {
		igemm(avx2, nv)
	}
	// Channels-first first layers, on the SGEMM kernels' panels.
	for _, s := range []isa{avx512, avx2} {
		for _, nv := range []int{2, 1} {
			stem(s, nv)
		}
	}
	depthwise(avx512)
	depthwise(avx2)
	for _, s := range []isa{avx512, avx2} {
		for _, ks := range dwRowSizes {
			for _, sh := range dwRowShapes {
				depthwiseRow(s, ks[0], ks[1], sh[0], sh[1], false)
				depthwiseRow(s, ks[0], ks[1], sh[0], sh[1], true)
			}
		}
	}
	for _, s := range []isa{avx512, avx2} {
		for _, f := range []winoAlgo{winoF4, winoF2} {
			winoIn(s, f)
			winoOut(s, f)
		}
	}
	for _, s := range []isa{avx512, avx2} {
		pooling(s, false)
		pooling(s, true)
		im2col(s)
	}
	for _, s := range []isa{avx512, avx2} {
		activation(s)
	}
	emitActConsts()
	transpose8()
	interleave2()
	for _, s := range []isa{avx512, avx2} {
		channelOps(s)
	}
	for _, ubsw := range []bool{false, true} {
		for _, nv := range []int{3, 2, 1} {
			qgemm(nv, ubsw)
		}
	}
	for _, nv := range []int{3, 2, 1} {
		qgemmVNNI(nv)
	}
	qdepthwise()
	qdepthwiseVNNI()
	for _, ks := range dwRowSizes {
		qdepthwiseRowVNNI(ks[0], ks[1], false)
		qdepthwiseRowVNNI(ks[0], ks[1], true)
	}
	qmaxPool()
	qbinary()
	qquantize()
	qlookup()
	qsumRows()
	qim2col()
	Generate()
}

// param is the stack address of a parameter of the function being built.
func param(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// vec returns vector register i of the ISA.
func (s isa) vec(i int) VecPhysical {
	if s.vbytes == 64 {
		return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
			Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
	}
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}

// rowAddr addresses row i of a matrix whose row stride (bytes) is in l and
// 3*stride in l3, from a base register per group of five rows.
func rowAddr(bases []GPPhysical, l, l3 GPPhysical, i, disp int) Mem {
	m := Mem{Base: bases[i/5], Disp: disp}
	switch i % 5 {
	case 1:
		m.Index, m.Scale = l, 1
	case 2:
		m.Index, m.Scale = l, 2
	case 3:
		m.Index, m.Scale = l3, 1
	case 4:
		m.Index, m.Scale = l, 4
	}
	return m
}

// setBases loads base pointers for as many groups of five rows as mr needs:
// bases[g] = first + 5*g*stride.
func setBases(bases []GPPhysical, first Op, l GPPhysical, mr int) {
	MOVQ(first, bases[0])
	for g := 1; g*5 < mr; g++ {
		LEAQ(Mem{Base: bases[g-1], Index: l, Scale: 4}, bases[g])
		ADDQ(l, bases[g])
	}
}

func kernel(s isa, nv int) {
	name := fmt.Sprintf("%sx%d", s.name, nv*s.vbytes/4)
	TEXT(name, NOSPLIT, signature)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a tile of at most %d x %d; see the asmgen command for the contract.", name, s.mr, nv*s.vbytes/4))
	// mr may exceed the tile height: whole tiles of s.mr rows go through
	// the loop below, each advancing the A, C and residual pointers in the
	// argument slots, and the remaining rows through their own body. One
	// call thus covers a whole block of rows, which matters when K is small
	// and a tile's work is short next to a call's overhead.
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
	prefetchNextTile(s, name, nv)
	body(s, name+"_full", nv, s.mr)
	Load(Param("lda"), R9)
	IMUL3Q(Imm(uint64(4*s.mr)), R9, R9)
	ADDQ(R9, param("a"))
	Load(Param("ldc"), R9)
	IMUL3Q(Imm(uint64(4*s.mr)), R9, R9)
	ADDQ(R9, param("c"))
	// A nil residual stays nil, so that the argument slot never holds a
	// made-up pointer.
	Load(Param("flags"), R10)
	TESTQ(U32(tRes), R10)
	JZ(LabelRef(name + "_nores"))
	ADDQ(R9, param("res"))
	Label(name + "_nores")
	SUBQ(Imm(uint64(s.mr)), param("mr"))
	// Only the first tile prefetches: the next panel is read once.
	MOVQ(U32(0), param("pf"))
	JMP(LabelRef(name + "_loop"))
	for mr := s.mr; mr >= 1; mr-- {
		Label(fmt.Sprintf("%s_mr%d", name, mr))
		body(s, name, nv, mr)
		VZEROUPPER()
		RET()
	}
}

// prefetchNextTile asks for the C rows of the tile after this one, and its
// residual rows when tRes is set, while this tile computes. A tile's store
// step otherwise waits for them: it touches one piece of each of mr rows,
// a row stride apart, a pattern the hardware prefetchers do not follow,
// and in a model C and the residual come from other layers, out of L1 and
// L2. The addresses may lie past the end of C (the last tile has no next):
// a prefetch never faults.
func prefetchNextTile(s isa, name string, nv int) {
	l, p, f := R10, R11, R12
	Load(Param("ldc"), l)
	SHLQ(Imm(2), l)
	IMUL3Q(Imm(uint64(s.mr)), l, R9)
	last := nv*s.vbytes - 4
	rows := func(base Mem) {
		MOVQ(base, p)
		ADDQ(R9, p)
		for i := 0; i < s.mr; i++ {
			PREFETCHT0(Mem{Base: p})
			PREFETCHT0(Mem{Base: p, Disp: last})
			if i < s.mr-1 {
				ADDQ(l, p)
			}
		}
	}
	Load(Param("flags"), f)
	TESTQ(U32(tAcc), f)
	JZ(LabelRef(name + "_pfres"))
	rows(param("c"))
	Label(name + "_pfres")
	TESTQ(U32(tRes), f)
	JZ(LabelRef(name + "_pfdone"))
	rows(param("res"))
	Label(name + "_pfdone")
}

// body emits one tile of mr rows; the caller ends it (RET, or the next
// tile).
func body(s isa, name string, nv, mr int) {
	lbl := func(x string) string { return fmt.Sprintf("%s_mr%d_%s", name, mr, x) }
	const unroll = 4
	// Accumulator sets: enough chains to cover FMA latency, at most one
	// per unrolled step, within the register budget.
	sets := 1
	for sets < unroll && sets*mr*nv < 8 && 2*sets*mr*nv+nv+2 <= s.regs {
		sets *= 2
	}
	acc := func(set, i, v int) VecPhysical { return s.vec(set*mr*nv + i*nv + v) }
	bvec := func(v int) VecPhysical { return s.vec(s.regs - 2 - nv + v) }
	tmp := func(j int) VecPhysical { return s.vec(s.regs - 2 + j) }
	bstep := nv * s.vbytes // bytes of B per k

	kc, bp, l, l3, cnt := RAX, RBX, RCX, RDX, R9
	bases := []GPPhysical{RSI, RDI, R8}

	Load(Param("kc"), kc)
	Load(Param("b"), bp)
	Load(Param("lda"), l)
	SHLQ(Imm(2), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	setBases(bases, param("a"), l, mr)

	zero := func(r VecPhysical) {
		if s.masked {
			VPXORD(r, r, r)
		} else {
			VXORPS(r, r, r)
		}
	}
	for set := 0; set < sets; set++ {
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				zero(acc(set, i, v))
			}
		}
	}

	step := func(u, set int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: bp, Disp: u*bstep + v*s.vbytes}, bvec(v))
		}
		for i := 0; i < mr; i++ {
			t := tmp(i % 2)
			VBROADCASTSS(rowAddr(bases, l, l3, i, 4*u), t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bvec(v), t, acc(set, i, v))
			}
		}
	}
	advance := func(k int) {
		for g := 0; g*5 < mr; g++ {
			ADDQ(U32((4 * k)), bases[g])
		}
		ADDQ(U32((k * bstep)), bp)
	}

	MOVQ(kc, cnt)
	SHRQ(Imm(2), cnt)
	JZ(LabelRef(lbl("tail")))
	// With pf set, the loop also prefetches the B panel the next call
	// will read, one line per line of this panel, so that panel starts
	// in cache (see the pf argument in the contract).
	pf := R10
	Load(Param("pf"), pf)
	TESTQ(pf, pf)
	JZ(LabelRef(lbl("loop")))
	Label(lbl("pfloop"))
	for u := 0; u < unroll; u++ {
		step(u, u%sets)
	}
	// Into L2 on AVX-512 (measured on a Xeon, BenchmarkSgemmCold nb=8:
	// 3 to 7% faster than into L1, most on a 49-row, K = 4608 product
	// whose B streams from L3); into L1 on AVX2, as measured on Zen 3.
	for off := 0; off < unroll*bstep; off += 64 {
		if s.masked {
			PREFETCHT1(Mem{Base: pf, Disp: off})
		} else {
			PREFETCHT0(Mem{Base: pf, Disp: off})
		}
	}
	ADDQ(U32(unroll*bstep), pf)
	advance(unroll)
	DECQ(cnt)
	JNZ(LabelRef(lbl("pfloop")))
	JMP(LabelRef(lbl("tail")))
	Label(lbl("loop"))
	for u := 0; u < unroll; u++ {
		step(u, u%sets)
	}
	advance(unroll)
	DECQ(cnt)
	JNZ(LabelRef(lbl("loop")))

	Label(lbl("tail"))
	ANDQ(Imm(unroll-1), kc)
	JZ(LabelRef(lbl("sum")))
	Label(lbl("tailloop"))
	step(0, 0)
	advance(1)
	DECQ(kc)
	JNZ(LabelRef(lbl("tailloop")))

	Label(lbl("sum"))
	finishTile(s, lbl, sets, nv, mr, acc, bvec, tmp)
}

// finishTile adds accumulator sets 1 and up into set 0 and writes the
// store step of the ISA. C rows are addressed like A's, from their own
// bases. AVX2 has no opmasks: with lanes set, the last vector of every
// row is loaded and stored with VMASKMOVPS, so a panel narrower than the
// kernel writes only its columns (no scratch tile, no second pass);
// AVX-512 stores through opmasks.
func finishTile(s isa, lbl func(string) string, sets, nv, mr int, acc func(set, i, v int) VecPhysical, bvec, tmp func(int) VecPhysical) {
	for set := 1; set < sets; set++ {
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				VADDPS(acc(set, i, v), acc(0, i, v), acc(0, i, v))
			}
		}
	}
	if s.masked {
		storeAVX512(s, lbl, nv, mr, acc, bvec, tmp)
		return
	}
	storeAVX2(s, lbl, nv, mr, acc, bvec, tmp)
}

// storeAVX512 writes the store step of an AVX-512 tile whose accumulators
// are the first set, through the opmasks that Param("mask") holds (two
// 16-bit halves, one per vector). It clobbers R9 to R13 and the general
// registers of the C and residual rows.
func storeAVX512(s isa, lbl func(string) string, nv, mr int, acc func(set, i, v int) VecPhysical, bvec, tmp func(int) VecPhysical) {
	l, l3, flags := RCX, RDX, R13
	bases := []GPPhysical{RSI, RDI, R8}
	Load(Param("flags"), flags)
	Load(Param("ldc"), l)
	SHLQ(Imm(2), l)
	LEAQ(Mem{Base: l, Index: l, Scale: 2}, l3)
	setBases(bases, param("c"), l, mr)
	Load(Param("mask"), R9)
	KMOVW(R9L, K1)
	SHRL(Imm(16), R9L)
	KMOVW(R9L, K2)
	storeStep(s, lbl, nv, mr, bases, l, l3, flags, acc, bvec, tmp, func(r VecPhysical) { VPXORD(r, r, r) }, false)
}

// storeStep emits the store of one tile: accumulate C, bias, residual,
// clamp, leaky slope, each if its flag is set, then the stores. With
// tail (AVX2 only), the last vector of each row goes through the lane
// mask at Param("lanes"), held in R9 by the caller.
func storeStep(s isa, lbl func(string) string, nv, mr int, bases []GPPhysical, l, l3, flags GPPhysical, acc func(set, i, v int) VecPhysical, bvec, tmp func(int) VecPhysical, zero func(VecPhysical), tail bool) {
	masks := []OpmaskPhysical{K1, K2}
	lanes := tmp(1)
	loadLanes := func(r VecPhysical) {
		if tail {
			VMOVUPS(Mem{Base: R9}, r)
		}
	}
	last := func(v int) bool { return tail && v == nv-1 }
	// addMem adds a memory vector (masked to the stored columns) to an
	// accumulator, through scratch register t where AVX2 must load first.
	addMem := func(m Mem, v int, a, t VecPhysical) {
		switch {
		case s.masked:
			VADDPS(m, a, masks[v], a)
		case last(v):
			VMASKMOVPS(m, lanes, t)
			VADDPS(t, a, a)
		default:
			VADDPS(m, a, a)
		}
	}

	TESTQ(U32(tAcc), flags)
	JZ(LabelRef(lbl("noacc")))
	loadLanes(lanes)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			addMem(rowAddr(bases, l, l3, i, v*s.vbytes), v, acc(0, i, v), bvec(0))
		}
	}
	Label(lbl("noacc"))

	TESTQ(U32(tBias), flags)
	JZ(LabelRef(lbl("nobias")))
	loadLanes(lanes)
	Load(Param("bias"), R10)
	for v := 0; v < nv; v++ {
		m := Mem{Base: R10, Disp: v * s.vbytes}
		switch {
		case s.masked:
			VMOVUPS_Z(m, masks[v], bvec(v))
		case last(v):
			VMASKMOVPS(m, lanes, bvec(v))
		default:
			VMOVUPS(m, bvec(v))
		}
	}
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VADDPS(bvec(v), acc(0, i, v), acc(0, i, v))
		}
	}
	Label(lbl("nobias"))

	TESTQ(U32(tRes), flags)
	JZ(LabelRef(lbl("nores")))
	loadLanes(lanes)
	rbases := []GPPhysical{R10, R11, R12}
	setBases(rbases, param("res"), l, mr)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			addMem(rowAddr(rbases, l, l3, i, v*s.vbytes), v, acc(0, i, v), tmp(0))
		}
	}
	Label(lbl("nores"))

	TESTQ(U32(tClamp), flags)
	JZ(LabelRef(lbl("noclamp")))
	VBROADCASTSS(param("lo"), tmp(0))
	VBROADCASTSS(param("hi"), tmp(1))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			a := acc(0, i, v)
			// The accumulator is the last source so that NaN passes
			// through max and min unchanged.
			VMAXPS(a, tmp(0), a)
			VMINPS(a, tmp(1), a)
		}
	}
	Label(lbl("noclamp"))

	TESTQ(U32(tLeaky), flags)
	JZ(LabelRef(lbl("noleaky")))
	VBROADCASTSS(param("alpha"), tmp(0))
	zero(tmp(1))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			a := acc(0, i, v)
			const ltOQ = 0x11
			if s.masked {
				VCMPPS(Imm(ltOQ), tmp(1), a, K3)
				VMULPS(tmp(0), a, K3, a)
			} else {
				// The registers after the first accumulator set are
				// free by now: other sets are summed, B is consumed.
				prod, mask := s.vec(mr*nv), s.vec(mr*nv+1)
				VMULPS(tmp(0), a, prod)
				VCMPPS(Imm(ltOQ), tmp(1), a, mask)
				VBLENDVPS(mask, prod, a, a)
			}
		}
	}
	Label(lbl("noleaky"))

	loadLanes(lanes)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			m := rowAddr(bases, l, l3, i, v*s.vbytes)
			switch {
			case s.masked:
				VMOVUPS(acc(0, i, v), masks[v], m)
			case last(v):
				VMASKMOVPS(acc(0, i, v), lanes, m)
			default:
				VMOVUPS(acc(0, i, v), m)
			}
		}
	}
}
