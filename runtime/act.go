package runtime

import (
	"math"
	"strconv"
)

// ActKind selects the element-wise activation of an Epilogue or of Activate.
// The parameters named in each constant's comment come from Epilogue.Alpha
// and Epilogue.Beta (or Activate's alpha and beta); kinds that take none
// ignore them. There are no implicit defaults: a zero Alpha means zero, so
// the code generator must write ONNX's defaults (LeakyRelu 0.01, Elu 1,
// HardSigmoid 0.2 and 0.5, Selu 1.67326319 and 1.05070102) explicitly.
type ActKind uint8

// The activations. Each is defined for every float32 input, NaN included
// (NaN stays NaN except under HardSigmoid and Clip with a NaN bound).
const (
	ActNone        ActKind = iota // x
	ActRelu                       // max(x, 0)
	ActClip                       // min(max(x, Alpha), Beta); Relu6 is Clip(0, 6); ±Inf for a missing bound
	ActLeakyRelu                  // x if x >= 0, else Alpha*x
	ActSigmoid                    // 1/(1+exp(-x))
	ActTanh                       // tanh(x)
	ActHardSigmoid                // max(0, min(1, Alpha*x+Beta))
	ActHardSwish                  // x * max(0, min(1, x/6+1/2))
	ActElu                        // x if x >= 0, else Alpha*(exp(x)-1)
	ActSelu                       // Beta*x if x > 0, else Beta*Alpha*(exp(x)-1) (ONNX alpha is Alpha, gamma is Beta)
	ActSoftplus                   // log(1+exp(x))
	ActSilu                       // x*sigmoid(x), also called Swish
	numActKinds
)

var actNames = [numActKinds]string{"None", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh",
	"HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Silu"}

// String returns the ONNX operator name of the activation ("None" for
// ActNone).
func (k ActKind) String() string {
	if k < numActKinds {
		return actNames[k]
	}
	return "ActKind(" + strconv.Itoa(int(k)) + ")"
}

// Epilogue is the work fused into the store step of a GEMM or convolution.
// For every output element C[i, j] it computes
//
//	C[i, j] = Act(C[i, j] + Bias[j] + Residual[i*ldc + j])
//
// where C[i, j] is the raw product (or convolution sum), ldc is the output's
// leading dimension and each term is skipped when its slice is nil. The
// order is fixed: bias, then residual, then activation, which is what a
// ResNet block (conv, bias, add skip, relu) needs.
//
// A nil *Epilogue, or the zero Epilogue, stores the raw result. Epilogues
// are meant to be package-level variables or fields of a generated model,
// built once; passing one never allocates.
type Epilogue struct {
	// Bias, if not nil, holds one value per output column (convolution
	// output channel), indexed from the first column of the call: len(Bias)
	// must be at least n.
	Bias []float32
	// Residual, if not nil, is a matrix added element-wise, laid out exactly
	// like the output: element (i, j) is Residual[i*ldc + j], with the
	// output's ldc. It may be the output slice itself (same first element),
	// meaning "accumulate into C"; any other overlap with the output is not
	// allowed.
	Residual []float32
	// Act is applied last.
	Act ActKind
	// Alpha and Beta are Act's parameters; see the ActKind constants.
	Alpha, Beta float32
}

// clampRange reports whether the activation is a clamp to [lo, hi], which
// the assembly kernels apply in registers during the store.
func (k ActKind) clampRange(alpha, beta float32) (lo, hi float32, ok bool) {
	switch k {
	case ActRelu:
		return 0, float32(math.Inf(1)), true
	case ActClip:
		return alpha, beta, true
	}
	return 0, 0, false
}

// Activate applies an activation in place to every element of x.
func Activate(x []float32, act ActKind, alpha, beta float32) {
	switch act {
	case ActNone:
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
			x[i] = sigmoid(v)
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
			x[i] = softplus(v)
		}
	case ActSilu:
		for i, v := range x {
			x[i] = v * sigmoid(v)
		}
	}
}

// ApplyEpilogue applies ep to the m x n matrix stored row-major in c with
// leading dimension ldc (c[i*ldc+j] is element (i, j)); Residual, if any, has
// the same layout. It is the epilogue of Sgemm run on its own, for results
// that were not produced by a GEMM, such as a residual Add that could not be
// fused. A Residual that is c itself adds nothing. len(c) must be at least
// (m-1)*ldc+n when m > 0.
func ApplyEpilogue(c []float32, m, n, ldc int, ep *Epilogue) {
	if m <= 0 || n <= 0 || ep == nil {
		return
	}
	need := (m-1)*ldc + n
	checkLen("ApplyEpilogue", "c", len(c), need)
	if ep.Bias != nil {
		checkLen("ApplyEpilogue", "Epilogue.Bias", len(ep.Bias), n)
	}
	res := ep.Residual
	if res != nil {
		checkLen("ApplyEpilogue", "Epilogue.Residual", len(res), need)
		if &res[0] == &c[0] {
			// As in Sgemm, a Residual that is C itself means the
			// result accumulates into C, which it already holds.
			res = nil
		}
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		var rrow []float32
		if res != nil {
			rrow = res[i*ldc : i*ldc+n]
		}
		epilogueRow(row, ep.Bias, rrow, ep.Act, ep.Alpha, ep.Beta)
	}
}

// epilogueRow applies bias, residual and activation to one output row
// segment; bias and res are nil or at least len(row) long.
func epilogueRow(row, bias, res []float32, act ActKind, alpha, beta float32) {
	if bias != nil {
		bias = bias[:len(row)]
		for j := range row {
			row[j] += bias[j]
		}
	}
	if res != nil {
		res = res[:len(row)]
		for j := range row {
			row[j] += res[j]
		}
	}
	Activate(row, act, alpha, beta)
}

func sigmoid(x float32) float32 {
	return 1 / (1 + expf(-x))
}

func softplus(x float32) float32 {
	// log(1+e^x) = max(x,0) + log(1+e^-|x|) never overflows.
	v := float64(x)
	return float32(max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))))
}

const (
	log2e = 1.4426950408889634
	ln2   = 0.6931471805599453
)

// expf is e^x for float32, within an ulp or so of the exact result and about
// five times faster than math.Exp, which matters for sigmoid and softmax
// over whole feature maps. The reduction and polynomial run in float64, so
// a Taylor polynomial is accurate enough and no split constants are needed.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72284:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	xd := float64(x)
	kd := xd * log2e
	var k int
	if kd >= 0 {
		k = int(kd + 0.5)
	} else {
		k = int(kd - 0.5)
	}
	r := xd - float64(k)*ln2 // |r| <= ln2/2, so the 8-term series errs by < 2e-9
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	// k is in [-150, 128], inside float64's normal exponent range; the final
	// conversion rounds to float32, producing denormals or +Inf as needed.
	return float32(p * math.Float64frombits(uint64(k+1023)<<52))
}

// checkLen panics with a descriptive message when a slice argument is
// shorter than its contract requires. Kernels call it once on entry.
func checkLen(fn, name string, have, need int) {
	if have < need {
		panic("runtime." + fn + ": len(" + name + ") = " + strconv.Itoa(have) + ", need at least " + strconv.Itoa(need))
	}
}
