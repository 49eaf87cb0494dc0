package ir

// Gelu is the Gaussian error linear unit x*Φ(x): exactly
// x*(1+erf(x/√2))/2, or with Tanh the approximation
// x*(1+tanh(√(2/π)*(x+0.044715x³)))/2 (ONNX Gelu, opset 20, approximate
// "none" or "tanh"). It is an activation, so it fuses into the store step
// of the convolution or GEMM before it.
type Gelu struct{ Tanh bool }

// OpType returns "Gelu".
func (*Gelu) OpType() string { return "Gelu" }

// Infer is Gelu's shape rule.
func (*Gelu) Infer(in []Type) ([]Type, error) { return inferUnary("Gelu", in, true) }

func (*Gelu) activation() {}

// IsElementWise marks Gelu as element-wise.
func (*Gelu) IsElementWise() {}
