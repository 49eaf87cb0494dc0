package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The Winograd F(4x4, 3x3) and F(2x2, 3x3) transforms of package runtime
// (winograd.go there has the matrices and the driver). All work on one
// tile at a time and vectorize across channels, which NHWC keeps
// contiguous: every value of a 6x6 (4x4) tile is a vector of channels, and
// the 1-D transforms are a few adds and FMAs on six (four) such vectors.
// Each transform is applied to the rows of the tile, the results go to an
// aligned scratch area on the stack, and the columns of the scratch are
// transformed from there: the 36 intermediate vectors of F(4x4) do not fit
// in the register file.
//
// Channels go a vector at a time; the last, partial vector is masked (an
// opmask on AVX-512, VMASKMOVPS with a lane mask from the caller on AVX2),
// so any channel count works and nothing beyond the caller's channels is
// read or written.

// fbits returns the bits of a float32 constant for an immediate store.
func fbits(f float32) U32 { return U32(math.Float32bits(f)) }

// vecIO loads and stores channel vectors, masked for the tail pass.
type vecIO struct {
	s     isa
	tail  bool           // this pass is the partial last vector
	lanes VecPhysical    // AVX2 lane mask
	spare VecPhysical    // AVX2 temporary for masked memory operands
	kmask OpmaskPhysical // AVX-512 lane mask
}

func (o vecIO) load(m Mem, dst VecPhysical) {
	switch {
	case !o.tail:
		VMOVUPS(m, dst)
	case o.s.masked:
		VMOVUPS_Z(m, o.kmask, dst)
	default:
		VMASKMOVPS(m, o.lanes, dst)
	}
}

func (o vecIO) store(src VecPhysical, m Mem) {
	switch {
	case !o.tail:
		VMOVUPS(src, m)
	case o.s.masked:
		VMOVUPS(src, o.kmask, m)
	default:
		VMASKMOVPS(src, o.lanes, m)
	}
}

// add adds a vector from memory to a.
func (o vecIO) add(m Mem, a VecPhysical) {
	switch {
	case !o.tail:
		VADDPS(m, a, a)
	case o.s.masked:
		VADDPS(m, a, o.kmask, a)
	default:
		VMASKMOVPS(m, o.lanes, o.spare)
		VADDPS(o.spare, a, a)
	}
}

// six addresses six vectors from a base register at multiples 0..5 of a
// stride held in s1 (with 3x and 5x in s3 and s5).
func six(base, s1, s3, s5 GPPhysical, j int) Mem {
	m := Mem{Base: base}
	switch j {
	case 1:
		m.Index, m.Scale = s1, 1
	case 2:
		m.Index, m.Scale = s1, 2
	case 3:
		m.Index, m.Scale = s3, 1
	case 4:
		m.Index, m.Scale = s1, 4
	case 5:
		m.Index, m.Scale = s5, 1
	}
	return m
}

// winoInTransform is B^T x for the six vectors x: out(i, r) receives
// element i of the result in r, which it must consume (store) before the
// next call. t holds three temporaries; c2, c4 and c5 the constants.
//
//	r0 = 4x0 - 5x2 + x4
//	r1 = -4(x1 + x2) + x3 + x4
//	r2 = 4(x1 - x2) - x3 + x4
//	r3 = 2(x3 - x1) - x2 + x4
//	r4 = -2(x3 - x1) - x2 + x4
//	r5 = 4x1 - 5x3 + x5
func winoInTransform(x [6]VecPhysical, t [3]VecPhysical, c2, c4, c5 VecPhysical, out func(i int, r VecPhysical)) {
	VMOVAPS(x[4], t[0])
	VFNMADD231PS(c5, x[2], t[0])
	VFMADD231PS(c4, x[0], t[0])
	out(0, t[0])
	VMOVAPS(x[5], t[0])
	VFNMADD231PS(c5, x[3], t[0])
	VFMADD231PS(c4, x[1], t[0])
	out(5, t[0])
	VADDPS(x[2], x[1], t[0])
	VADDPS(x[4], x[3], t[1])
	VFNMADD231PS(c4, t[0], t[1])
	out(1, t[1])
	VSUBPS(x[2], x[1], t[0])
	VSUBPS(x[3], x[4], t[1])
	VFMADD231PS(c4, t[0], t[1])
	out(2, t[1])
	VSUBPS(x[1], x[3], t[0])
	VSUBPS(x[2], x[4], t[1])
	VMOVAPS(t[1], t[2])
	VFMADD231PS(c2, t[0], t[2])
	out(3, t[2])
	VFNMADD231PS(c2, t[0], t[1])
	out(4, t[1])
}

// winoOutTransform is A^T x for the six vectors x, four results:
//
//	o0 = x0 + (x1 + x2) + (x3 + x4)
//	o1 = (x1 - x2) + 2(x3 - x4)
//	o2 = (x1 + x2) + 4(x3 + x4)
//	o3 = (x1 - x2) + 8(x3 - x4) + x5
//
// t holds five temporaries; the x registers are left intact.
func winoOutTransform(x [6]VecPhysical, t [5]VecPhysical, c2, c4, c8 VecPhysical, out func(i int, r VecPhysical)) {
	VADDPS(x[2], x[1], t[0]) // a
	VSUBPS(x[2], x[1], t[1]) // b
	VADDPS(x[4], x[3], t[2]) // c
	VSUBPS(x[4], x[3], t[3]) // d
	VADDPS(t[0], x[0], t[4])
	VADDPS(t[2], t[4], t[4])
	out(0, t[4])
	VADDPS(x[5], t[1], t[4])
	VFMADD231PS(c8, t[3], t[4])
	out(3, t[4])
	VFMADD231PS(c2, t[3], t[1])
	out(1, t[1])
	VFMADD231PS(c4, t[2], t[0])
	out(2, t[0])
}

// winoF2In is B^T x for F(2x2, 3x3), on four vectors:
//
//	r0 = x0 - x2
//	r1 = x1 + x2
//	r2 = x2 - x1
//	r3 = x1 - x3
func winoF2In(x [6]VecPhysical, t [5]VecPhysical, c [3]VecPhysical, out func(i int, r VecPhysical)) {
	VSUBPS(x[2], x[0], t[0])
	out(0, t[0])
	VADDPS(x[2], x[1], t[0])
	out(1, t[0])
	VSUBPS(x[1], x[2], t[0])
	out(2, t[0])
	VSUBPS(x[3], x[1], t[0])
	out(3, t[0])
}

// winoF2Out is A^T x for F(2x2, 3x3), two results:
//
//	o0 = x0 + x1 + x2
//	o1 = x1 - x2 - x3
func winoF2Out(x [6]VecPhysical, t [5]VecPhysical, c [3]VecPhysical, out func(i int, r VecPhysical)) {
	VADDPS(x[1], x[0], t[0])
	VADDPS(x[2], t[0], t[0])
	out(0, t[0])
	VSUBPS(x[2], x[1], t[0])
	VSUBPS(x[3], t[0], t[0])
	out(1, t[0])
}

// winoAlgo is one Winograd algorithm F(n x n, 3x3): its tile sizes, the
// constants its transforms use and the transforms, each taking the input
// vectors, temporaries and constants.
type winoAlgo struct {
	n, a              int // output and input tile sides
	inConst, outConst []float32
	in, out           func(x [6]VecPhysical, t [5]VecPhysical, c [3]VecPhysical, out func(i int, r VecPhysical))
}

var (
	winoF4 = winoAlgo{n: 4, a: 6, inConst: []float32{2, 4, 5}, outConst: []float32{2, 4, 8},
		in: func(x [6]VecPhysical, t [5]VecPhysical, c [3]VecPhysical, out func(i int, r VecPhysical)) {
			winoInTransform(x, [3]VecPhysical{t[0], t[1], t[2]}, c[0], c[1], c[2], out)
		},
		out: func(x [6]VecPhysical, t [5]VecPhysical, c [3]VecPhysical, out func(i int, r VecPhysical)) {
			winoOutTransform(x, t, c[0], c[1], c[2], out)
		},
	}
	winoF2 = winoAlgo{n: 2, a: 4, in: winoF2In, out: winoF2Out}
)

// alignedScratch returns a register pointing at n vectors of stack space
// aligned to the vector size.
func alignedScratch(s isa, n int, r GPPhysical) {
	m := AllocLocal((n + 1) * s.vbytes)
	LEAQ(m, r)
	ADDQ(U32(s.vbytes-1), r)
	ANDQ(I32(-s.vbytes), r)
}

// tailMask sets up the masking of the last, partial channel vector from
// the channel count in the parameter named by count: K1 on AVX-512 (CX and
// DX are clobbered), a lane mask loaded from the mask parameter on AVX2.
func tailMask(s isa, count string, lanes VecPhysical) {
	if s.masked {
		Load(Param(count), RCX)
		ANDL(U32(s.vbytes/4-1), ECX)
		MOVL(U32(1), EDX)
		SHLL(CL, EDX)
		DECL(EDX)
		KMOVW(EDX, K1)
		return
	}
	Load(Param("mask"), RDX)
	VMOVUPS(Mem{Base: RDX}, lanes)
}

// channelLoop emits the loop over channel vectors: body(io) for every whole
// vector and once more, masked, for a partial last one. ch (bytes) is the
// channel offset the body uses; count names the channel-count parameter.
func channelLoop(s isa, name, count string, ch, rem GPPhysical, io vecIO, body func(io vecIO)) {
	XORQ(ch, ch)
	Label(name + "_vec")
	Load(Param(count), rem)
	SHLQ(Imm(2), rem)
	SUBQ(ch, rem)
	CMPQ(rem, U32(s.vbytes))
	JL(LabelRef(name + "_tail"))
	body(io)
	ADDQ(U32(s.vbytes), ch)
	JMP(LabelRef(name + "_vec"))
	Label(name + "_tail")
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_done"))
	io.tail = true
	body(io)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// broadcastConsts loads float constants into registers through a stack
// slot.
func broadcastConsts(vals []float32, regs []VecPhysical) {
	slot := AllocLocal(8)
	for i, v := range vals {
		MOVL(fbits(v), slot)
		VBROADCASTSS(slot, regs[i])
	}
}

func winoSuffix(s isa) string { return s.name[len("sgemm"):] }

// winoIn writes the input transform: for one a x a tile (a = n+2) of c
// channels whose pixel (i, j) starts at src + i*rs + j*ps floats,
// V[r*a+k] = (B^T d B)[r][k] goes to v + (r*a+k)*ldv floats, channel by
// channel.
func winoIn(s isa, f winoAlgo) {
	name := fmt.Sprintf("winogradIn%d%s", f.n, winoSuffix(s))
	TEXT(name, 0, "func(src *float32, rs int, ps int, v *float32, ldv int, c int, mask *int32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the F(%dx%d, 3x3) input transform of one tile; see the asmgen command.", name, f.n, f.n))

	a := f.a
	src, v, ch, rs, ps, ps3, ps5, la, la3, la5, p, scr := RSI, RDI, RAX, RBX, RCX, RDX, R8, R9, R10, R11, R12, R13
	vec := s.vec
	c := [3]VecPhysical{vec(s.regs - 1), vec(s.regs - 2), vec(s.regs - 3)}
	lanes, spare := vec(s.regs-4), vec(s.regs-5)
	tailMask(s, "c", lanes)
	broadcastConsts(f.inConst, c[:])
	alignedScratch(s, a*a, scr)
	ldvb := AllocLocal(8)

	Load(Param("src"), src)
	Load(Param("v"), v)
	Load(Param("rs"), rs)
	SHLQ(Imm(2), rs)
	Load(Param("ps"), ps)
	SHLQ(Imm(2), ps)
	LEAQ(Mem{Base: ps, Index: ps, Scale: 2}, ps3)
	LEAQ(Mem{Base: ps, Index: ps, Scale: 4}, ps5)
	// la = a*ldv bytes: the distance between rows r and r+1 of V.
	Load(Param("ldv"), la)
	SHLQ(Imm(2), la)
	MOVQ(la, ldvb)
	if a == 6 {
		LEAQ(Mem{Base: la, Index: la, Scale: 2}, la)
		SHLQ(Imm(1), la)
	} else {
		SHLQ(Imm(2), la)
	}
	LEAQ(Mem{Base: la, Index: la, Scale: 2}, la3)
	LEAQ(Mem{Base: la, Index: la, Scale: 4}, la5)

	x := [6]VecPhysical{vec(0), vec(1), vec(2), vec(3), vec(4), vec(5)}
	t := [5]VecPhysical{vec(6), vec(7), vec(8), vec(9), vec(10)}
	io := vecIO{s: s, lanes: lanes, spare: spare, kmask: K1}
	channelLoop(s, name, "c", ch, p, io, func(io vecIO) {
		// Rows of the tile: d B.
		LEAQ(Mem{Base: src, Index: ch, Scale: 1}, p)
		for i := 0; i < a; i++ {
			for j := 0; j < a; j++ {
				io.load(six(p, ps, ps3, ps5, j), x[j])
			}
			f.in(x, t, c, func(k int, r VecPhysical) {
				VMOVAPS(r, Mem{Base: scr, Disp: (i*a + k) * s.vbytes})
			})
			if i < a-1 {
				ADDQ(rs, p)
			}
		}
		// Columns of the scratch: B^T (d B), stored to V.
		LEAQ(Mem{Base: v, Index: ch, Scale: 1}, p)
		for k := 0; k < a; k++ {
			for i := 0; i < a; i++ {
				VMOVAPS(Mem{Base: scr, Disp: (i*a + k) * s.vbytes}, x[i])
			}
			f.in(x, t, c, func(r int, reg VecPhysical) {
				io.store(reg, six(p, la, la3, la5, r))
			})
			if k < a-1 {
				ADDQ(ldvb, p)
			}
		}
	})
}

// winoOut writes the output transform with the fused epilogue: for one
// tile whose M[r*a+k] (m channels) is at u + (r*a+k)*ldu floats, it computes
// Y = A^T M A (n x n), adds the bias and the residual, clamps or applies the
// leaky slope as flags say (the GEMM's tBias, tRes, tClamp and tLeaky), and
// stores output pixel (p, q), for p < rows and q < cols, at dst + p*rsd +
// q*ldd floats; the residual is read at the same offsets from res.
func winoOut(s isa, f winoAlgo) {
	name := fmt.Sprintf("winogradOut%d%s", f.n, winoSuffix(s))
	TEXT(name, 0, "func(u *float32, ldu int, dst *float32, ldd int, rsd int, rows int, cols int, m int, bias *float32, res *float32, flags uint, lo float32, hi float32, alpha float32, mask *int32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the F(%dx%d, 3x3) output transform and epilogue of one tile; see the asmgen command.", name, f.n, f.n))

	a, n := f.a, f.n
	vec := s.vec
	ch, scr := RAX, R13
	c := [3]VecPhysical{vec(s.regs - 1), vec(s.regs - 2), vec(s.regs - 3)}
	lanes, spare := vec(s.regs-4), vec(s.regs-5)
	tailMask(s, "m", lanes)
	broadcastConsts(f.outConst, c[:])
	// Rows' results (a x n), then the final n x n tile.
	alignedScratch(s, a*n+n*n, scr)
	lab := AllocLocal(8)
	Load(Param("ldu"), RBX)
	SHLQ(Imm(2), RBX)
	LEAQ(Mem{Base: RBX, Index: RBX, Scale: 2}, RCX)
	LEAQ(Mem{Base: RBX, Index: RBX, Scale: 4}, RDX)
	if a == 6 {
		LEAQ(Mem{Base: RCX, Index: RCX, Scale: 1}, R8)
	} else {
		MOVQ(RBX, R8)
		SHLQ(Imm(2), R8)
	}
	MOVQ(R8, lab)

	x := [6]VecPhysical{vec(0), vec(1), vec(2), vec(3), vec(4), vec(5)}
	t := [5]VecPhysical{vec(6), vec(7), vec(8), vec(9), vec(10)}
	io := vecIO{s: s, lanes: lanes, spare: spare, kmask: K1}
	channelLoop(s, name, "m", ch, R12, io, func(io vecIO) {
		// Rows: M A, from U.
		Load(Param("u"), R12)
		ADDQ(ch, R12)
		for r := 0; r < a; r++ {
			for k := 0; k < a; k++ {
				io.load(six(R12, RBX, RCX, RDX, k), x[k])
			}
			f.out(x, t, c, func(q int, reg VecPhysical) {
				VMOVAPS(reg, Mem{Base: scr, Disp: (r*n + q) * s.vbytes})
			})
			if r < a-1 {
				ADDQ(lab, R12)
			}
		}
		// Columns: A^T (M A), to the second scratch area.
		for q := 0; q < n; q++ {
			for r := 0; r < a; r++ {
				VMOVAPS(Mem{Base: scr, Disp: (r*n + q) * s.vbytes}, x[r])
			}
			f.out(x, t, c, func(p int, reg VecPhysical) {
				VMOVAPS(reg, Mem{Base: scr, Disp: (a*n + p*n + q) * s.vbytes})
			})
		}
		winoEpilogue(s, name, f, io, ch, scr)
	})
}

// winoEpilogue stores the rows x cols valid pixels of the finished tile in
// the scratch with the epilogue applied. It keeps RAX (ch), R13 (scratch)
// and, for the next channel vector, RBX, RCX, RDX (U strides): it uses R8
// to R12 and SI, DI only.
func winoEpilogue(s isa, name string, f winoAlgo, io vecIO, ch, scr GPPhysical) {
	n := f.n
	vec := s.vec
	lbl := func(x string) string {
		if io.tail {
			return name + "_t_" + x
		}
		return name + "_" + x
	}
	dp, rp, ldd, ldd3, flags := R8, R9, R10, R11, R12
	Load(Param("dst"), dp)
	ADDQ(ch, dp)
	Load(Param("res"), rp)
	ADDQ(ch, rp)
	Load(Param("ldd"), ldd)
	SHLQ(Imm(2), ldd)
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	Load(Param("flags"), flags)

	y, bias, lo, hi, alpha, zero, prod, sel := vec(0), vec(1), vec(2), vec(3), vec(4), vec(5), vec(6), vec(7)
	zeroReg := func(r VecPhysical) {
		if s.masked {
			VPXORD(r, r, r)
		} else {
			VXORPS(r, r, r)
		}
	}
	zeroReg(bias)
	zeroReg(zero)
	TESTQ(U32(tBias), flags)
	JZ(LabelRef(lbl("nobias")))
	Load(Param("bias"), RSI)
	io.load(Mem{Base: RSI, Index: ch, Scale: 1}, bias)
	Label(lbl("nobias"))
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	VBROADCASTSS(param("alpha"), alpha)
	rsd := RSI
	Load(Param("rsd"), rsd)
	SHLQ(Imm(2), rsd)

	for p := 0; p < n; p++ {
		next := lbl(fmt.Sprintf("row%d", p))
		CMPQ(param("rows"), Imm(uint64(p)))
		JLE(LabelRef(lbl("stored")))
		for q := 0; q < n; q++ {
			pix := lbl(fmt.Sprintf("p%d%d", p, q))
			CMPQ(param("cols"), Imm(uint64(q)))
			JLE(LabelRef(next))
			VADDPS(Mem{Base: scr, Disp: (f.a*n + p*n + q) * s.vbytes}, bias, y)
			TESTQ(U32(tRes), flags)
			JZ(LabelRef(pix + "_nores"))
			io.add(six(rp, ldd, ldd3, ldd3, q), y)
			Label(pix + "_nores")
			TESTQ(U32(tClamp), flags)
			JZ(LabelRef(pix + "_noclamp"))
			// y is the last source so that NaN passes through.
			VMAXPS(y, lo, y)
			VMINPS(y, hi, y)
			Label(pix + "_noclamp")
			TESTQ(U32(tLeaky), flags)
			JZ(LabelRef(pix + "_noleaky"))
			const ltOQ = 0x11
			if s.masked {
				VCMPPS(Imm(ltOQ), zero, y, K3)
				VMULPS(alpha, y, K3, y)
			} else {
				VMULPS(alpha, y, prod)
				VCMPPS(Imm(ltOQ), zero, y, sel)
				VBLENDVPS(sel, prod, y, y)
			}
			Label(pix + "_noleaky")
			io.store(y, six(dp, ldd, ldd3, ldd3, q))
		}
		Label(next)
		if p < n-1 {
			ADDQ(rsd, dp)
			ADDQ(rsd, rp)
		}
	}
	Label(lbl("stored"))
}
