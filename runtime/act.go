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
	ActErf                        // erf(x)
	ActGelu                       // x*(1+erf(x/sqrt(2)))/2, ONNX Gelu with approximate="none"
	ActGeluTanh                   // x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))/2, ONNX Gelu with approximate="tanh"
	ActExp                        // exp(x)
	numActKinds
)

var actNames = [numActKinds]string{"None", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh",
	"HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Silu", "Erf", "Gelu", "GeluTanh", "Exp"}

// String returns the ONNX operator name of the activation ("None" for
// ActNone, "GeluTanh" for Gelu with approximate="tanh").
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
	// Pre, if not nil, maps the input of a convolution as it is read (see
	// Prologue); only ConvN and Conv2D (and their Pool forms) take it, for
	// a 1x1, stride-1, unpadded window.
	Pre *Prologue
}

// Prologue is a per-channel map of a convolution's input: input channel
// c0+j (j < cin, the channels the call reads) becomes Act(x*Scale[j] +
// Shift[j]), with Act's Alpha and Beta. It is a BatchNormalization and
// its activation that feed the convolution and cannot fold into its
// weights (DenseNet's pre-activation); the convolution applies it a chunk
// of pixels at a time into its scratch (PrologueWorkSize), where the GEMM
// reads it from cache. Shift may be nil (no shift).
type Prologue struct {
	Scale, Shift []float32
	Act          ActKind
	Alpha, Beta  float32
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
//
// The transcendental activations are float32 approximations within a few
// ulp of the exact function over the whole float32 range (see actmath.go),
// vectorized with AVX2 or AVX-512 where the CPU has them. Activate never
// allocates.
func Activate(x []float32, act ActKind, alpha, beta float32) {
	activateRows(x, 1, len(x), len(x), act, alpha, beta)
}

// activateRows applies an activation in place to rows x cols elements of
// x, row i at x[i*ld:], a tile of a matrix with leading dimension ld. It is
// the one place that picks between the assembly kernels and activateGo.
func activateRows(x []float32, rows, cols, ld int, act ActKind, alpha, beta float32) {
	if rows <= 0 || cols <= 0 || act == ActNone || act >= numActKinds {
		return
	}
	_ = x[(rows-1)*ld+cols-1]
	if actISA != isaGo {
		activateAsm(x, rows, cols, ld, act, alpha, beta)
		return
	}
	for i := 0; i < rows; i++ {
		activateGo(x[i*ld:i*ld+cols], act, alpha, beta)
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

// checkLen panics with a descriptive message when a slice argument is
// shorter than its contract requires. Kernels call it once on entry.
func checkLen(fn, name string, have, need int) {
	if have < need {
		panic("runtime." + fn + ": len(" + name + ") = " + strconv.Itoa(have) + ", need at least " + strconv.Itoa(need))
	}
}
