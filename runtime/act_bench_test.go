package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkActivate times every activation over a 64K-element slice:
// impl=scalar is the element-at-a-time float64 code the runtime used before
// the vector kernels (kept here, and only here, for the comparison),
// impl=go the portable kernel and impl=avx2 or avx512 the assembly. Use
// benchstat -col /impl to compare them side by side. The inputs are normal
// with a standard deviation of 4, the range activations see in practice.
func BenchmarkActivate(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	src := make([]float32, 64<<10)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 4)
	}
	x := make([]float32, len(src))
	defer func(old isa) { actISA = old }(actISA)
	for _, ac := range actAccuracy {
		if ac.kind == ActElu && ac.alpha != 1 {
			continue
		}
		b.Run("act="+ac.kind.String()+"/impl=scalar", func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				copy(x, src)
				activateScalar(x, ac.kind, ac.alpha, ac.beta)
			}
		})
		for _, is := range depthwiseISAs() {
			b.Run("act="+ac.kind.String()+"/impl="+is.String(), func(b *testing.B) {
				actISA = is
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					copy(x, src)
					Activate(x, ac.kind, ac.alpha, ac.beta)
				}
			})
		}
	}
}

// activateScalar is the runtime's Activate before the vector kernels: one
// element at a time, the transcendentals through float64 (expf below,
// math.Tanh, math.Expm1, math.Log1p). The kinds it did not have use the
// float64 math functions the same way.
func activateScalar(x []float32, act ActKind, alpha, beta float32) {
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
			x[i] = oldSigmoid(v)
		}
	case ActTanh:
		for i, v := range x {
			x[i] = float32(math.Tanh(float64(v)))
		}
	case ActHardSigmoid:
		for i, v := range x {
			x[i] = min(max(alpha*v+beta, 0), 1)
		}
	case ActHardSwish:
		for i, v := range x {
			x[i] = v * min(max(v*(1.0/6)+0.5, 0), 1)
		}
	case ActElu:
		for i, v := range x {
			if v < 0 {
				x[i] = alpha * float32(math.Expm1(float64(v)))
			}
		}
	case ActSelu:
		for i, v := range x {
			if v > 0 {
				x[i] = beta * v
			} else {
				x[i] = beta * alpha * float32(math.Expm1(float64(v)))
			}
		}
	case ActSoftplus:
		for i, v := range x {
			d := float64(v)
			x[i] = float32(max(d, 0) + math.Log1p(math.Exp(-math.Abs(d))))
		}
	case ActSilu:
		for i, v := range x {
			x[i] = v * oldSigmoid(v)
		}
	case ActErf:
		for i, v := range x {
			x[i] = float32(math.Erf(float64(v)))
		}
	case ActGelu:
		for i, v := range x {
			d := float64(v)
			x[i] = float32(0.5 * d * (1 + math.Erf(d/math.Sqrt2)))
		}
	case ActGeluTanh:
		for i, v := range x {
			d := float64(v)
			x[i] = float32(0.5 * d * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(d+0.044715*d*d*d))))
		}
	case ActExp:
		for i, v := range x {
			x[i] = oldExpf(v)
		}
	}
}

func oldSigmoid(x float32) float32 { return 1 / (1 + oldExpf(-x)) }

// oldExpf is the runtime's expf before the vector kernels: the reduction
// and a Taylor polynomial in float64.
func oldExpf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72284:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	xd := float64(x)
	kd := xd * math.Log2E
	var k int
	if kd >= 0 {
		k = int(kd + 0.5)
	} else {
		k = int(kd - 0.5)
	}
	r := xd - float64(k)*math.Ln2
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return float32(p * math.Float64frombits(uint64(k+1023)<<52))
}
