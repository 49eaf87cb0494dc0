package runtime

import "math"

// The float32 approximations behind the transcendental activations. The
// assembly kernels (the avo generator's act.go) compute the same formulas
// with the same constants, a vector of lanes at a time; these are the
// portable twins, one value at a time, used by the purego build, on other
// architectures and on CPUs without AVX2. The two agree within a few ulp,
// not bit for bit, because the assembly fuses multiply-adds.
//
// Everything is float32: a range reduction brings the argument into a small
// interval, a polynomial fitted there (minimax for relative error, fitted in
// float64 and rounded to float32) does the rest, and integer arithmetic on
// the exponent bits undoes the reduction. Each function is accurate to a
// few ulp over the whole float32 range, denormal results included; the
// tests measure it against float64 math.

// Constants of the exponential. e^x = 2^n * e^r with n = round(x*log2(e))
// and r = x - n*ln2, |r| <= ln2/2. Adding expShift (1.5*2^23) rounds to an
// integer in float arithmetic and leaves n in the low mantissa bits, which
// saves a conversion. ln2 is split so that n*ln2Hi is exact for |n| < 2^9
// (ln2Hi has 15 significant bits), which keeps r exact to within ln2Lo's
// rounding without a fused multiply-add.
const (
	log2e    = 1.44269504
	expShift = 12582912 // 1.5 * 2^23
	ln2Hi    = 0.693145751953125
	ln2Lo    = 1.42860677e-06
	ln2f     = 0.693147182

	// e^r - 1 = r + r^2 * P(r) on [-ln2/2, ln2/2], P of degree 4: relative
	// error 8e-8 in float32 evaluation.
	expC2 = 0.49999994
	expC3 = 0.166665226
	expC4 = 0.0416682921
	expC5 = 0.00836853217
	expC6 = 0.00138182961

	// expMin and expMax clamp exp's argument: below -104 e^x is below
	// half the smallest denormal, above 88.8 it overflows. expMin is
	// lower still so that e^x times a factor of up to 2^60 (see
	// sigmoidMul) is still zero; it and expMax keep n within [-246, 128],
	// which the two-step scaling of expParts handles.
	expMin = -170
	expMax = 88.8
	// expm1Min clamps expm1's argument: below it e^x - 1 rounds to -1.
	expm1Min = -30

	// log(1+f) = 2s + s^3 Q(s^2), s = f/(2+f), for f in [-1/4, 1/2].
	logQ0 = 0.666669488
	logQ1 = 0.399576575
	logQ2 = 0.303644985

	// erf(x) = x * (erfE0 + erfE0Lo + z*E(z)), z = x^2, for |x| < erfSplit.
	// The leading coefficient (2/sqrt(pi), as fitted) is split in two
	// because float32 rounding of it alone would cost half an ulp.
	erfSplit = 0.5
	erfE0    = 1.12837911
	erfE0Lo  = 5.90457994e-08
	erfE1    = -0.376126081
	erfE2    = 0.112828225
	erfE3    = -0.0267571844
	erfE4    = 0.00471799029

	// erfc(u) = e^(-u^2) * t * S(v) for u in [erfSplit, erfcMax], with
	// t = 1/(1+u/2) and v = (1.625 - 0.75u)*t, which maps the interval
	// onto [-1, 1]. S is of degree 9, relative error 1e-7 in float32.
	// Beyond erfcMax, erfc(u) * 15 underflows to zero.
	erfcMax = 10.5
	erfcS0  = 0.497270525
	erfcS1  = 0.212794632
	erfcS2  = 0.0562987998
	erfcS3  = 0.0052137305
	erfcS4  = -0.00168917584
	erfcS5  = -0.000386591273
	erfcS6  = 9.55942014e-05
	erfcS7  = 2.37666791e-05
	erfcS8  = -7.09284541e-06
	erfcS9  = -1.26000452e-06

	// geluMax clamps GELU's argument for the erfc branch: beyond it
	// erfc(|x|/sqrt2) is zero in float32.
	geluMax = 14.8
	sqrt1_2 = 0.707106769

	// GELU's tanh form is x * sigmoid(x*(geluK1 + geluK2*x^2)), with
	// geluK1 = 2*sqrt(2/pi) and geluK2 = geluK1*0.044715, because
	// (1+tanh(y))/2 = sigmoid(2y) has no cancellation for negative x.
	geluK1 = 1.59576917
	geluK2 = 0.0713548139

	// siluMin clamps the x that multiplies the sigmoid in SiLU and the
	// GELUs, so that -Inf gives the limit 0 rather than -Inf*0 = NaN.
	siluMin = -200
	// sigFastMin bounds the arguments of sigmoidFast, -|x| >= sigFastMin:
	// there n = round(-x log2e) is within [-124, 124], so 2^n and e^-x =
	// 2^n (1+q) are normal floats.
	sigFastMin = -86
)

// expReduce returns q = e^r - 1 and n, where e^(x+xlo) = 2^n * (1 + q),
// for x in [expMin, expMax] and xlo at most an ulp of x (the part of the
// argument beyond float32 precision, or 0); a NaN x gives a NaN q.
func expReduce(x, xlo float32) (q float32, n int32) {
	t := x*log2e + expShift
	nf := t - expShift
	// The low mantissa bits of t hold n; the subtraction of the shift's
	// bits leaves n itself in two's complement.
	n = int32(math.Float32bits(t) - math.Float32bits(expShift))
	r := x - nf*ln2Hi
	r -= nf * ln2Lo
	r += xlo
	p := expC6*r + expC5
	p = p*r + expC4
	p = p*r + expC3
	p = p*r + expC2
	return (r*r)*p + r, n
}

// pow2 returns 2^n for n in [-126, 127].
func pow2(n int32) float32 { return math.Float32frombits(uint32(n+127) << 23) }

// expParts returns e^(x+xlo) as the product eh * s2 of a normal float and
// a power of two, for x in [expMin, expMax]: 2^n is applied in two halves,
// each a normal float, so that n <= -127 (denormal results) and n = 128
// (overflow to +Inf) round once, correctly, in the last multiplication.
// Callers that multiply the exponential by something fold the factor into
// eh first, so that a denormal product still rounds only once.
func expParts(x, xlo float32) (eh, s2 float32) {
	q, n := expReduce(x, xlo)
	n1 := n >> 1
	s1 := pow2(n1)
	return q*s1 + s1, pow2(n - n1)
}

// expf returns e^x within an ulp, denormal results included; e^NaN is NaN.
func expf(x float32) float32 {
	eh, s2 := expParts(min(max(x, expMin), expMax), 0)
	return eh * s2
}

// expm1f returns e^x - 1 for x <= 0 within 2 ulp, including x near 0
// where e^x - 1 cancels: 2^n(1+q) - 1 = (2^n - 1) + 2^n*q, where 2^n - 1
// is exact for the n that matter.
func expm1f(x float32) float32 {
	q, n := expReduce(min(max(x, expm1Min), 0), 0)
	s := pow2(n)
	return s*q + (s - 1)
}

// log1pf returns log(1+e) for e in [0, 1] (or NaN). 1+e = 2^k (1+f) with
// k = 0, f = e below 1/2 and k = 1, f = e/2 - 1/2 (exact) above, so f is
// exact and small e keeps its precision.
func log1pf(e float32) float32 {
	big := geMask(e, 0.5)
	f := pick(big, e*0.5-0.5, e)
	k := pick(big, ln2f, 0)
	s := f / (2 + f)
	z := s * s
	p := logQ2*z + logQ1
	p = p*z + logQ0
	return ((s*z)*p + 2*s) + k
}

// sqrSplit returns x*x as hi + lo, exactly: hi is the rounded square and
// lo its rounding error, from Dekker's product with x split into two
// halves of 12 bits, whose products are exact.
func sqrSplit(x float32) (hi, lo float32) {
	hi = float32(x * x) // the conversion forbids fusing this product away
	xh := math.Float32frombits(math.Float32bits(x) &^ 0xfff)
	xl := x - xh
	lo = ((xh*xh - hi) + 2*xh*xl) + xl*xl
	return hi, lo
}

// erfSmall returns erf(x) for |x| < erfSplit.
func erfSmall(x float32) float32 {
	z := x * x
	p := erfE4*z + erfE3
	p = p*z + erfE2
	p = p*z + erfE1
	p = p*z + erfE0Lo
	return x*erfE0 + x*p
}

// erfcMul returns m*erfc(a) for a in [erfSplit, erfcMax] given a^2 = a2 +
// a2lo exactly, and |m| <= 8. e^(-a^2) is computed from a^2 to more than
// float32 precision (its ylo), as rounding a^2 would cost a^2 ulp.
func erfcMul(a, a2, a2lo, m float32) float32 {
	t := 1 / (a*0.5 + 1)
	v := (a*-0.75 + 1.625) * t
	p := erfcS9*v + erfcS8
	p = p*v + erfcS7
	p = p*v + erfcS6
	p = p*v + erfcS5
	p = p*v + erfcS4
	p = p*v + erfcS3
	p = p*v + erfcS2
	p = p*v + erfcS1
	p = p*v + erfcS0
	// Where -a2 is clamped the result is zero and a2lo does not matter.
	eh, s2 := expParts(max(-a2, expMin), -a2lo)
	return (eh * (m * (t * p))) * s2
}

// erff returns erf(x).
func erff(x float32) float32 {
	a := abs32(x)
	ac := min(a, erfcMax)
	hi, lo := sqrSplit(ac)
	return pick(ltMask(a, erfSplit), erfSmall(x), copySign32(1-erfcMul(ac, hi, lo, 1), x))
}

// geluf returns x*(1+erf(x/sqrt2))/2. Where erf(x/sqrt2) is near -1 it
// uses erfc, which has no cancellation, with (x/sqrt2)^2 = x^2/2 from the
// exact square of x, since rounding u = x/sqrt2 first would cost 2u^2 ulp.
func geluf(x float32) float32 {
	h := 0.5 * x
	u := x * sqrt1_2
	xc := min(max(x, -geluMax), geluMax)
	hi, lo := sqrSplit(xc)
	c := erfcMul(abs32(xc)*sqrt1_2, 0.5*hi, 0.5*lo, 0.5*xc)
	return pick(ltMask(abs32(u), erfSplit), h*erfSmall(u)+h, pick(ltMask(x, 0), c, x-c))
}

// sigmoidMul returns m/(1+e^-x) from e = e^-|x|, which never overflows:
// m/(1+e) for x >= 0 and m*e/(1+e) below, where m is folded in before the
// last scaling of e (see expParts) so that SiLU's x*sigmoid(x) keeps its
// precision where sigmoid(x) is denormal.
func sigmoidMul(x, m float32) float32 {
	if -abs32(x) >= sigFastMin {
		return sigmoidFast(x, m)
	}
	eh, s2 := expParts(max(-abs32(x), expMin), 0)
	s := m / (1 + eh*s2)
	return pick(signMask(x), (eh*s)*s2, s)
}

// sigmoidFast is sigmoidMul for |x| <= -sigFastMin, nearly every input
// an activation sees: there e = e^-x is a normal float that one scaling
// makes, 1+e cannot overflow, and m/(1+e) needs no case for the sign of
// x, which keeps the assembly's kernels short (they take this path for a
// vector whose lanes are all in range, and sigmoidMul's for the rest).
// The error stays that of e^-x plus two roundings for either sign: where
// x < 0 the quotient's relative error is e's, where x > 0 it shrinks by
// 1+e.
func sigmoidFast(x, m float32) float32 {
	q, n := expReduce(-x, 0)
	s := pow2(n)
	return m / (1 + (q*s + s))
}

// tanhf returns tanh(x) = -m/(2+m) with m = e^(-2|x|) - 1, with the sign
// of x; expm1 keeps small x accurate.
func tanhf(x float32) float32 {
	m := expm1f(-2 * abs32(x))
	return copySign32(-m/(2+m), x)
}

// softplusf returns log(1+e^x) = max(x, 0) + log(1+e^-|x|), which never
// overflows.
func softplusf(x float32) float32 {
	return max(x, 0) + log1pf(expf(-abs32(x)))
}

// signMask returns all ones if x has its sign bit set (x < 0, -0 and
// negative NaNs), else zero.
func signMask(x float32) uint32 { return uint32(int32(math.Float32bits(x)) >> 31) }

// ltMask returns all ones if a < b, else zero (NaN compares false).
func ltMask(a, b float32) uint32 {
	var m uint32
	if a < b {
		m = ^m
	}
	return m
}

// geMask returns all ones if a >= b, else zero (NaN compares false).
func geMask(a, b float32) uint32 {
	var m uint32
	if a >= b {
		m = ^m
	}
	return m
}

// pick returns t where m is all ones and f where it is zero. The portable
// kernels select with it instead of branching: the branches would depend
// on the data and mispredict on half the elements.
func pick(m uint32, t, f float32) float32 {
	return math.Float32frombits(math.Float32bits(t)&m | math.Float32bits(f)&^m)
}

func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

func copySign32(x, s float32) float32 {
	return math.Float32frombits(math.Float32bits(x)&^(1<<31) | math.Float32bits(s)&(1<<31))
}

// activateGo is the portable activation kernel.
func activateGo(x []float32, act ActKind, alpha, beta float32) {
	switch act {
	case ActRelu:
		for i, v := range x {
			if v < 0 {
				x[i] = 0
			}
		}
	case ActClip:
		for i, v := range x {
			if v < alpha {
				v = alpha
			}
			if v > beta {
				v = beta
			}
			x[i] = v
		}
	case ActLeakyRelu:
		for i, v := range x {
			if v < 0 {
				x[i] = v * alpha
			}
		}
	case ActSigmoid:
		for i, v := range x {
			x[i] = sigmoidMul(v, 1)
		}
	case ActTanh:
		for i, v := range x {
			x[i] = tanhf(v)
		}
	case ActHardSigmoid:
		// alpha*v rounds before beta is added, where the assembly's
		// fused multiply-add rounds once: near the zero crossing the
		// result is off by up to half an ulp of alpha*v. Recovering the
		// product's error costs more than the operation itself.
		for i, v := range x {
			x[i] = min(max(alpha*v+beta, 0), 1)
		}
	case ActHardSwish:
		for i, v := range x {
			// (v+3)/6 rather than v/6 + 1/2, which cancels near -3.
			x[i] = v * min(max((v+3)*(1.0/6), 0), 1)
		}
	case ActElu:
		for i, v := range x {
			x[i] = pick(ltMask(v, 0), alpha*expm1f(v), v)
		}
	case ActSelu:
		for i, v := range x {
			x[i] = pick(ltMask(0, v), beta*v, (beta*alpha)*expm1f(v))
		}
	case ActSoftplus:
		for i, v := range x {
			x[i] = softplusf(v)
		}
	case ActSilu:
		for i, v := range x {
			x[i] = sigmoidMul(v, max(v, siluMin))
		}
	case ActErf:
		for i, v := range x {
			x[i] = erff(v)
		}
	case ActGelu:
		for i, v := range x {
			x[i] = geluf(v)
		}
	case ActGeluTanh:
		for i, v := range x {
			x[i] = sigmoidMul(v*(geluK2*(v*v)+geluK1), max(v, siluMin))
		}
	case ActExp:
		for i, v := range x {
			x[i] = expf(v)
		}
	}
}
