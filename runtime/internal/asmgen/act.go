package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The activation kernels: activateAVX2 and activateAVX512 apply one
// activation in place to rows x cols floats, row i at x + i*ld floats,
//
//	func(kind int, x *float32, rows, cols, ld int, alpha, beta float32, mask *int32)
//
// where kind is the ActKind of package runtime and mask the AVX2 lane mask
// of the last, partial vector of a row (as in the Winograd transforms).
// The formulas and constants are those of actmath.go in package runtime,
// which has the portable twins and explains each approximation; here they
// are written once, in terms of the vector operations of vm, and the two
// kernels differ only in the width of the vectors and in how a few of those
// operations are encoded (AVX-512 has opmask registers where AVX2 has
// blends, and integer forms of the logical operations). Only AVX512F
// instructions are used, since the runtime selects the kernel on that
// feature alone.
//
// Values live in virtual registers that avo allocates; constants are
// memory operands, from a table holding each one replicated to 64 bytes,
// so that they need no registers of their own.

// Activation kinds, numbered as ActKind in act.go; keep in sync.
const (
	actNone = iota
	actRelu
	actClip
	actLeakyRelu
	actSigmoid
	actTanh
	actHardSigmoid
	actHardSwish
	actElu
	actSelu
	actSoftplus
	actSilu
	actErf
	actGelu
	actGeluTanh
	actExp
	numActKinds
)

var actNames = [numActKinds]string{"None", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh",
	"HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Silu", "Erf", "Gelu", "GeluTanh", "Exp"}

// The constants of actmath.go; keep in sync.
const (
	log2e    = 1.44269504
	expShift = 12582912
	ln2Hi    = 0.693145751953125
	ln2Lo    = 1.42860677e-06
	ln2f     = 0.693147182
	expC2    = 0.49999994
	expC3    = 0.166665226
	expC4    = 0.0416682921
	expC5    = 0.00836853217
	expC6    = 0.00138182961
	expMin   = -170
	expMax   = 88.8
	expm1Min = -30
	logQ0    = 0.666669488
	logQ1    = 0.399576575
	logQ2    = 0.303644985
	erfSplit = 0.5
	erfE0    = 1.12837911
	erfE0Lo  = 5.90457994e-08
	erfE1    = -0.376126081
	erfE2    = 0.112828225
	erfE3    = -0.0267571844
	erfE4    = 0.00471799029
	erfcMax  = 10.5
	geluMax  = 14.8
	sqrt1_2  = 0.707106769
	geluK1   = 1.59576917
	geluK2   = 0.0713548139
	siluMin  = -200
	// sigFastMin bounds the arguments of sigmoidFast, -|x| >= sigFastMin:
	// there n = round(-x log2e) is within [-124, 124], so 2^n and e^-x =
	// 2^n (1+q) are normal floats.
	sigFastMin = -86
)

var erfcS = []float32{0.497270525, 0.212794632, 0.0562987998, 0.0052137305, -0.00168917584,
	-0.000386591273, 9.55942014e-05, 2.37666791e-05, -7.09284541e-06, -1.26000452e-06}

// Integer constants, as bit patterns.
const (
	signBit  = 0x80000000
	absMask  = 0x7fffffff
	bias     = 127
	shiftBit = 0x4b400000 // the bits of expShift
)

// actConsts is the constant table; its entries are added by k and kb as
// the kernels are written and emitted by emitActConsts afterwards.
var actConsts []uint32

// actTable is the table's symbol.
var actTable Mem

func init() { actTable = NewDataAddr(NewStaticSymbol("actConsts"), 0) }

// kb returns the table entry holding the 32-bit pattern u in every lane.
func kb(u uint32) Mem {
	for i, c := range actConsts {
		if c == u {
			return actTable.Offset(64 * i)
		}
	}
	actConsts = append(actConsts, u)
	return actTable.Offset(64 * (len(actConsts) - 1))
}

// k returns the table entry holding f in every lane.
func k(f float32) Mem { return kb(math.Float32bits(f)) }

// emitActConsts writes the table, each entry 16 copies of its value: one
// AVX-512 vector, of which AVX2 reads the first half.
func emitActConsts() {
	GLOBL("actConsts", RODATA|NOPTR)
	for i, c := range actConsts {
		for l := 0; l < 16; l++ {
			DATA(64*i+4*l, U32(c))
		}
	}
}

// vm writes vector operations for one ISA. Each operation returns a new
// virtual register; operands are registers or table entries (Mem), and the
// operations load an entry into a register where the encoding needs one.
type vm struct{ s isa }

// mask is the result of a comparison: a vector of all-ones lanes on AVX2,
// an opmask register on AVX-512.
type mask struct {
	v VecVirtual
	k OpmaskVirtual
}

func (g vm) reg() VecVirtual {
	if g.s.masked {
		return ZMM()
	}
	return YMM()
}

func isMem(o Op) bool { _, ok := o.(Mem); return ok }

// r returns o in a register.
func (g vm) r(o Op) Op {
	if !isMem(o) {
		return o
	}
	d := g.reg()
	VMOVUPS(o, d)
	return d
}

// cp returns a fresh register holding o, for the instructions that
// overwrite an operand.
func (g vm) cp(o Op) VecVirtual {
	d := g.reg()
	if isMem(o) {
		VMOVUPS(o, d)
	} else {
		VMOVAPS(o, d)
	}
	return d
}

// bin emits a two-operand instruction ins(b, a, d), d = a op b, where only
// b may be in memory; commutative operations may swap a memory a to b.
func (g vm) bin(ins func(...Op), a, b Op, commutes bool) VecVirtual {
	if isMem(a) && commutes && !isMem(b) {
		a, b = b, a
	}
	d := g.reg()
	ins(b, g.r(a), d)
	return d
}

func (g vm) add(a, b Op) VecVirtual { return g.bin(VADDPS, a, b, true) }
func (g vm) sub(a, b Op) VecVirtual { return g.bin(VSUBPS, a, b, false) }
func (g vm) mul(a, b Op) VecVirtual { return g.bin(VMULPS, a, b, true) }
func (g vm) div(a, b Op) VecVirtual { return g.bin(VDIVPS, a, b, false) }

// iadd and isub are 32-bit integer a+b and a-b.
func (g vm) iadd(a, b Op) VecVirtual { return g.bin(VPADDD, a, b, true) }
func (g vm) isub(a, b Op) VecVirtual { return g.bin(VPSUBD, a, b, false) }

func (g vm) and(a, b Op) VecVirtual {
	if g.s.masked {
		return g.bin(VPANDD, a, b, true)
	}
	return g.bin(VANDPS, a, b, true)
}

func (g vm) or(a, b Op) VecVirtual {
	if g.s.masked {
		return g.bin(VPORD, a, b, true)
	}
	return g.bin(VORPS, a, b, true)
}

func (g vm) xor(a, b Op) VecVirtual {
	if g.s.masked {
		return g.bin(VPXORD, a, b, true)
	}
	return g.bin(VXORPS, a, b, true)
}

func (g vm) shl(a Op, n int) VecVirtual {
	d := g.reg()
	VPSLLD(Imm(uint64(n)), g.r(a), d)
	return d
}

func (g vm) sar(a Op, n int) VecVirtual {
	d := g.reg()
	VPSRAD(Imm(uint64(n)), g.r(a), d)
	return d
}

// maxN and minN return max(a, b) and min(a, b), and a where either is NaN:
// MAXPS and MINPS return their second source then, which is the first
// operand in Go's order.
func (g vm) maxN(a, b Op) VecVirtual {
	d := g.reg()
	VMAXPS(a, g.r(b), d)
	return d
}

func (g vm) minN(a, b Op) VecVirtual {
	d := g.reg()
	VMINPS(a, g.r(b), d)
	return d
}

// fmaOp emits a*b + c (or c - a*b when neg). With reuse, the operand
// that the instruction overwrites (c, or a factor when c is in memory) is
// overwritten in place instead of copied: the caller promises it is dead.
func (g vm) fmaOp(a, b, c Op, neg, reuse bool) VecVirtual {
	cp := g.cp
	if reuse {
		cp = func(o Op) VecVirtual {
			if v, ok := o.(VecVirtual); ok {
				return v
			}
			return g.cp(o)
		}
	}
	if isMem(c) {
		// d = a; d = b*d + c (213 form): d takes a memory factor if
		// there is one, b must be a register.
		if isMem(b) {
			a, b = b, a
		}
		d := cp(a)
		if neg {
			VFNMADD213PS(c, g.r(b), d)
		} else {
			VFMADD213PS(c, g.r(b), d)
		}
		return d
	}
	// d = c; d += a*b (231 form): a must be a register.
	if isMem(a) {
		a, b = b, a
	}
	d := cp(c)
	if neg {
		VFNMADD231PS(b, g.r(a), d)
	} else {
		VFMADD231PS(b, g.r(a), d)
	}
	return d
}

func (g vm) fma(a, b, c Op) VecVirtual  { return g.fmaOp(a, b, c, false, false) }
func (g vm) fnma(a, b, c Op) VecVirtual { return g.fmaOp(a, b, c, true, false) }

// fmaD and fnmaD are fma and fnma that overwrite their dead operand (see
// fmaOp), which saves the copy where the allocator would have made it a
// move of a register to itself.
func (g vm) fmaD(a, b, c Op) VecVirtual  { return g.fmaOp(a, b, c, false, true) }
func (g vm) fnmaD(a, b, c Op) VecVirtual { return g.fmaOp(a, b, c, true, true) }

// fms returns a*b - c, for registers a and c.
func (g vm) fms(a, b, c Op) VecVirtual {
	d := g.cp(c)
	VFMSUB231PS(b, g.r(a), d)
	return d
}

// sqrLo returns the rounding error of hi = a*a: a*a - hi, exactly.
func (g vm) sqrLo(a, hi Op) VecVirtual {
	d := g.cp(hi)
	VFMSUB231PS(a, g.r(a), d)
	return d
}

// Comparison predicates (ordered, non-signalling: false for NaN), and
// cmpNGE, its negation of >= (true for NaN).
const (
	cmpLT  = 0x11
	cmpGE  = 0x1d
	cmpGT  = 0x1e
	cmpNGE = 0x19
)

// cmp returns the mask of the lanes where a pred b.
func (g vm) cmp(pred int, a, b Op) mask {
	if g.s.masked {
		m := K()
		VCMPPS(Imm(uint64(pred)), b, g.r(a), m)
		return mask{k: m}
	}
	m := YMM()
	VCMPPS(Imm(uint64(pred)), b, g.r(a), m)
	return mask{v: m}
}

// sel returns t where m is set and f elsewhere.
func (g vm) sel(m mask, t, f Op) VecVirtual {
	d := g.reg()
	if g.s.masked {
		VBLENDMPS(t, g.r(f), m.k, d)
	} else {
		VBLENDVPS(m.v, t, g.r(f), d)
	}
	return d
}

// selz returns t where m is set and 0 elsewhere.
func (g vm) selz(m mask, t Op) VecVirtual {
	if !g.s.masked {
		return g.and(m.v, t)
	}
	d := g.reg()
	if isMem(t) {
		VMOVUPS_Z(t, m.k, d)
	} else {
		VMOVAPS_Z(t, m.k, d)
	}
	return d
}

func (g vm) zero() VecVirtual {
	d := g.reg()
	if g.s.masked {
		VPXORD(d, d, d)
	} else {
		VXORPS(d, d, d)
	}
	return d
}

// poly evaluates c[0] + c[1]*x + ... by Horner's rule.
func (g vm) poly(x Op, c ...float32) VecVirtual {
	p := g.fma(x, k(c[len(c)-1]), k(c[len(c)-2]))
	for i := len(c) - 3; i >= 0; i-- {
		p = g.fmaD(p, x, k(c[i]))
	}
	return p
}

// expReduce is expReduce of actmath.go: it returns q = e^r - 1 and t,
// whose bits minus those of expShift are n, for x in [expMin, expMax]
// (which it overwrites); xlo, if not nil, is the low part of the argument.
func (g vm) expReduce(x, xlo Op) (q, t VecVirtual) {
	t = g.fma(x, k(log2e), k(expShift))
	nf := g.sub(t, k(expShift))
	r := g.fnmaD(nf, k(ln2Hi), x)
	r = g.fnmaD(nf, k(ln2Lo), r)
	if xlo != nil {
		r = g.add(r, xlo)
	}
	p := g.poly(r, expC2, expC3, expC4, expC5, expC6)
	return g.fmaD(g.mul(r, r), p, r), t
}

// expReduceEstrin is expReduce without the low part, its polynomial
// evaluated by Estrin's scheme, q = (r + r²(c2 + c3 r)) + r⁴(c4 + c5 r +
// c6 r²): three levels of FMAs where Horner's rule takes five, a shorter
// chain of dependent operations per vector (with the single scaling and
// the late division of sigmoidFast, BenchmarkActivate's Sigmoid and SiLU
// took about a quarter less time; unrolling two vectors added nothing).
func (g vm) expReduceEstrin(x Op) (q, t VecVirtual) {
	t = g.fma(x, k(log2e), k(expShift))
	nf := g.sub(t, k(expShift))
	r := g.fnmaD(nf, k(ln2Hi), x)
	r = g.fnmaD(nf, k(ln2Lo), r)
	a := g.fma(r, k(expC3), k(expC2))
	b := g.fma(r, k(expC5), k(expC4))
	r2 := g.mul(r, r)
	ra := g.fma(r2, a, r)
	b = g.fmaD(r2, k(expC6), b)
	return g.fmaD(g.mul(r2, r2), b, ra), t
}

// expNegReduceEstrin is expReduceEstrin for e^-x, with the negation
// folded into the constants: n = round(-x log2e), r' = x + n ln2 = -r,
// and the polynomial in r' with its odd coefficients negated, q = -r' +
// r'²((c2 - c3 r') + r'²(c4 - c5 r' + c6 r'²)), so e^-x costs what e^x
// does.
func (g vm) expNegReduceEstrin(x Op) (q, t VecVirtual) {
	t = g.fma(x, k(-log2e), k(expShift))
	nf := g.sub(t, k(expShift))
	r := g.fma(nf, k(ln2Hi), x)
	r = g.fmaD(nf, k(ln2Lo), r)
	a := g.fma(r, k(-expC3), k(expC2))
	b := g.fma(r, k(-expC5), k(expC4))
	r2 := g.mul(r, r)
	ra := g.fms(r2, a, r)
	b = g.fmaD(r2, k(expC6), b)
	return g.fmaD(g.mul(r2, r2), b, ra), t
}

// sigmoidFast is sigmoidFast of actmath.go: m*sigmoid(x) = m/(1+e^-x)
// (m nil for 1, and x itself for SiLU, whose clamp of x cannot bind here)
// for the lanes where |x| <= -sigFastMin, where e^-x needs one scaling and
// neither it nor 1+e^-x can overflow, so no select between the two signs
// of x is needed. It also returns the lanes outside that range, NaNs among
// them, which the caller must compute with sigmoidMul instead.
func (g vm) sigmoidFast(x, m Op) (VecVirtual, mask) {
	slow := g.cmp(cmpNGE, g.negAbs(x), k(sigFastMin))
	q, t := g.expNegReduceEstrin(x)
	s := g.shl(g.isub(t, kb(shiftBit-bias)), 23)
	den := g.add(g.fma(q, s, s), k(1))
	if m == nil {
		m = k(1)
	}
	return g.div(m, den), slow
}

// expParts is expParts of actmath.go: e^(x+xlo) = eh * s2.
func (g vm) expParts(x, xlo Op) (eh, s2 VecVirtual) {
	q, t := g.expReduce(x, xlo)
	n := g.isub(t, kb(shiftBit))
	n1 := g.sar(n, 1)
	s1 := g.shl(g.iadd(n1, kb(bias)), 23)
	s2 = g.shl(g.iadd(g.isub(n, n1), kb(bias)), 23)
	return g.fma(q, s1, s1), s2
}

// exp returns e^x for x already clamped to [expMin, expMax].
func (g vm) exp(x Op) VecVirtual {
	eh, s2 := g.expParts(x, nil)
	return g.mul(eh, s2)
}

// expm1 is expm1f: e^x - 1 for x <= 0.
func (g vm) expm1(x Op) VecVirtual {
	x = g.minN(g.maxN(x, k(expm1Min)), g.zero())
	q, t := g.expReduce(x, nil)
	s := g.shl(g.isub(t, kb(shiftBit-bias)), 23)
	return g.fma(s, q, g.sub(s, k(1)))
}

// negAbs returns -|x|.
func (g vm) negAbs(x Op) VecVirtual { return g.or(x, kb(signBit)) }

// sigmoidMul is sigmoidMul of actmath.go: m*sigmoid(x), m nil for 1.
func (g vm) sigmoidMul(x, m Op) VecVirtual {
	eh, s2 := g.expParts(g.maxN(g.negAbs(x), k(expMin)), nil)
	den := g.add(g.mul(eh, s2), k(1))
	var s VecVirtual
	if m == nil {
		s = g.div(k(1), den)
	} else {
		s = g.div(m, den)
	}
	return g.sel(g.cmp(cmpLT, x, g.zero()), g.mul(g.mul(eh, s), s2), s)
}

// log1p is log1pf, for e in [0, 1].
func (g vm) log1p(e Op) VecVirtual {
	big := g.cmp(cmpGE, e, k(0.5))
	f := g.sel(big, g.fma(e, k(0.5), k(-0.5)), e)
	kk := g.selz(big, k(ln2f))
	s := g.div(f, g.add(f, k(2)))
	z := g.mul(s, s)
	p := g.poly(z, logQ0, logQ1, logQ2)
	return g.add(g.fma(g.mul(s, z), p, g.add(s, s)), kk)
}

// erfSmall is erfSmall of actmath.go.
func (g vm) erfSmall(x Op) VecVirtual {
	z := g.mul(x, x)
	p := g.poly(z, erfE0Lo, erfE1, erfE2, erfE3, erfE4)
	return g.fma(x, k(erfE0), g.mul(x, p))
}

// erfcMul is erfcMul of actmath.go: m*erfc(a) for a in [erfSplit,
// erfcMax] with a^2 = a2 + a2lo; m nil for 1.
func (g vm) erfcMul(a, a2, a2lo, m Op) VecVirtual {
	t := g.div(k(1), g.fma(a, k(0.5), k(1)))
	v := g.mul(g.fma(a, k(-0.75), k(1.625)), t)
	p := g.poly(v, erfcS...)
	y := g.maxN(g.xor(a2, kb(signBit)), k(expMin))
	eh, s2 := g.expParts(y, g.xor(a2lo, kb(signBit)))
	f := g.mul(t, p)
	if m != nil {
		f = g.mul(m, f)
	}
	return g.mul(g.mul(eh, f), s2)
}

// actOp returns the vector code of activation kind applied to x, with
// alpha, beta and alpha*beta in registers.
func (g vm) actOp(kind int, x Op, alpha, beta, ab VecVirtual) VecVirtual {
	switch kind {
	case actRelu:
		return g.maxN(x, g.zero())
	case actClip:
		return g.minN(g.maxN(x, alpha), beta)
	case actLeakyRelu:
		return g.sel(g.cmp(cmpLT, x, g.zero()), g.mul(x, alpha), x)
	case actSigmoid:
		return g.sigmoidMul(x, nil)
	case actTanh:
		m := g.expm1(g.add(g.negAbs(x), g.negAbs(x)))
		y := g.div(g.xor(m, kb(signBit)), g.add(m, k(2)))
		return g.or(y, g.and(x, kb(signBit)))
	case actHardSigmoid:
		return g.minN(g.maxN(g.fma(x, alpha, beta), g.zero()), k(1))
	case actHardSwish:
		return g.mul(x, g.minN(g.maxN(g.mul(g.add(x, k(3)), k(1.0/6)), g.zero()), k(1)))
	case actElu:
		return g.sel(g.cmp(cmpLT, x, g.zero()), g.mul(g.expm1(x), alpha), x)
	case actSelu:
		return g.sel(g.cmp(cmpGT, x, g.zero()), g.mul(x, beta), g.mul(g.expm1(x), ab))
	case actSoftplus:
		e := g.exp(g.maxN(g.negAbs(x), k(expMin)))
		return g.add(g.maxN(x, g.zero()), g.log1p(e))
	case actSilu:
		return g.sigmoidMul(x, g.maxN(x, k(siluMin)))
	case actErf:
		a := g.and(x, kb(absMask))
		ac := g.minN(a, k(erfcMax))
		hi := g.mul(ac, ac)
		c := g.erfcMul(ac, hi, g.sqrLo(ac, hi), nil)
		big := g.or(g.sub(k(1), c), g.and(x, kb(signBit)))
		return g.sel(g.cmp(cmpLT, a, k(erfSplit)), g.erfSmall(x), big)
	case actGelu:
		h := g.mul(x, k(0.5))
		u := g.mul(x, k(sqrt1_2))
		small := g.fma(h, g.erfSmall(u), h)
		xc := g.minN(g.maxN(x, k(-geluMax)), k(geluMax))
		hi := g.mul(xc, xc)
		lo := g.sqrLo(xc, hi)
		a := g.mul(g.and(xc, kb(absMask)), k(sqrt1_2))
		c := g.erfcMul(a, g.mul(hi, k(0.5)), g.mul(lo, k(0.5)), g.mul(xc, k(0.5)))
		big := g.sel(g.cmp(cmpLT, x, g.zero()), c, g.sub(x, c))
		return g.sel(g.cmp(cmpLT, g.and(u, kb(absMask)), k(erfSplit)), small, big)
	case actGeluTanh:
		z := g.mul(x, g.fma(g.mul(x, x), k(geluK2), k(geluK1)))
		return g.sigmoidMul(z, g.maxN(x, k(siluMin)))
	case actExp:
		return g.exp(g.minN(g.maxN(x, k(expMin)), k(expMax)))
	}
	panic("asmgen: no activation " + actNames[kind])
}

// activation writes the activation kernel of one ISA.
func activation(s isa) {
	name := "activate" + winoSuffix(s)
	TEXT(name, NOSPLIT, "func(kind int, x *float32, rows int, cols int, ld int, alpha float32, beta float32, mask *int32)")
	Pragma("noescape")
	Doc(name + " applies the activation kind in place to rows x cols floats at stride ld; see the asmgen command.")
	g := vm{s}

	kind := GP64()
	Load(Param("kind"), kind)
	for kd := actRelu; kd < numActKinds; kd++ {
		CMPQ(kind, Imm(uint64(kd)))
		JEQ(LabelRef(fmt.Sprintf("%s_%s", name, actNames[kd])))
	}
	RET()
	for kd := actRelu; kd < numActKinds; kd++ {
		Label(fmt.Sprintf("%s_%s", name, actNames[kd]))
		actLoop(g, fmt.Sprintf("%s_%s", name, actNames[kd]), kd)
	}
}

// hasFastPath reports whether kind has a fast path (see fastPath).
func hasFastPath(kind int) bool { return kind == actSigmoid || kind == actSilu }

// fastPath writes kind's fast path on x (hasFastPath): the store of the
// result unless a lane is out of the path's range, in which case it jumps
// to full, where the caller computes actOp.
func (g vm) fastPath(kind int, x VecVirtual, full string, store func(VecVirtual)) {
	var m Op
	if kind == actSilu {
		m = x
	}
	y, slow := g.sigmoidFast(x, m)
	if g.s.masked {
		KORTESTW(slow.k, slow.k)
	} else {
		VTESTPS(slow.v, slow.v)
	}
	JNZ(LabelRef(full))
	store(y)
}

// actLoop writes the loop over the rows and the vectors of each row for
// one activation; a partial last vector of a row is loaded and stored
// masked, so nothing outside the rows x cols floats is touched.
func actLoop(g vm, lbl string, kind int) {
	s := g.s
	p, rows, cb, ldb, off, rem := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("x"), p)
	Load(Param("rows"), rows)
	Load(Param("cols"), cb)
	Load(Param("ld"), ldb)
	SHLQ(Imm(2), ldb)
	var lanes VecVirtual
	var kmask OpmaskVirtual
	if s.masked {
		MOVL(cb.As32(), ECX)
		ANDL(U32(15), ECX)
		one := GP32()
		MOVL(U32(1), one)
		// 1<<n - 1 enables the first n lanes.
		SHLL(CL, one)
		DECL(one)
		kmask = K()
		KMOVW(one, kmask)
	} else {
		mp := GP64()
		Load(Param("mask"), mp)
		lanes = YMM()
		VMOVUPS(Mem{Base: mp}, lanes)
	}
	SHLQ(Imm(2), cb)
	var alpha, beta, ab VecVirtual
	switch kind {
	case actClip, actLeakyRelu, actHardSigmoid, actElu, actSelu:
		alpha, beta = g.reg(), g.reg()
		VBROADCASTSS(param("alpha"), alpha)
		VBROADCASTSS(param("beta"), beta)
		ab = g.mul(alpha, beta)
	}

	Label(lbl + "_row")
	XORQ(off, off)
	Label(lbl + "_vec")
	MOVQ(cb, rem)
	SUBQ(off, rem)
	CMPQ(rem, U32(s.vbytes))
	JL(LabelRef(lbl + "_tail"))
	at := Mem{Base: p, Index: off, Scale: 1}
	x := g.reg()
	VMOVUPS(at, x)
	if hasFastPath(kind) {
		g.fastPath(kind, x, lbl+"_full", func(y VecVirtual) { VMOVUPS(y, at) })
		ADDQ(U32(s.vbytes), off)
		JMP(LabelRef(lbl + "_vec"))
		Label(lbl + "_full")
	}
	VMOVUPS(g.actOp(kind, x, alpha, beta, ab), at)
	ADDQ(U32(s.vbytes), off)
	JMP(LabelRef(lbl + "_vec"))

	Label(lbl + "_tail")
	TESTQ(rem, rem)
	JZ(LabelRef(lbl + "_next"))
	x = g.reg()
	store := func(y VecVirtual) { VMASKMOVPS(y, lanes, at) }
	if s.masked {
		VMOVUPS_Z(at, kmask, x)
		store = func(y VecVirtual) { VMOVUPS(y, kmask, at) }
	} else {
		VMASKMOVPS(at, lanes, x)
	}
	// The lanes a partial vector does not load are zeros, which the fast
	// path takes, so every element gets the same formula wherever it lies
	// in a row (the thread splits of a GEMM are bit for bit the same).
	if hasFastPath(kind) {
		g.fastPath(kind, x, lbl+"_tailfull", store)
		JMP(LabelRef(lbl + "_next"))
		Label(lbl + "_tailfull")
	}
	store(g.actOp(kind, x, alpha, beta, ab))
	Label(lbl + "_next")
	ADDQ(ldb, p)
	DECQ(rows)
	JNZ(LabelRef(lbl + "_row"))
	VZEROUPPER()
	RET()
}
