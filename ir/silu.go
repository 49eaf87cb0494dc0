package ir

// Silu is x*sigmoid(x), also called Swish: EfficientNet's and MobileNetV3's
// activation. ONNX has no operator for it; exporters write Sigmoid and a
// Mul, which the fuse-silu pass turns into this one activation so that it
// fuses into the preceding convolution's store step.
type Silu struct{}

// OpType returns "Silu".
func (*Silu) OpType() string { return "Silu" }

// Infer is Silu's shape rule.
func (*Silu) Infer(in []Type) ([]Type, error) { return inferUnary("Silu", in, true) }

func (*Silu) activation() {}

// IsElementWise marks Silu as element-wise.
func (*Silu) IsElementWise() {}
