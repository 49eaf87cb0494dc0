package ir

import "fmt"

// Activation is an element-wise op that a Conv or Gemm can apply in its
// epilogue after fusion: Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid,
// HardSwish, Elu, Selu, Softplus, Exp, Erf, Gelu, Silu.
type Activation interface {
	Op
	activation()
}

// Element-wise unary operations. Each keeps its input's type.
type (
	// Relu is max(x, 0).
	Relu struct{}
	// LeakyRelu is x for x >= 0, Alpha*x otherwise.
	LeakyRelu struct{ Alpha float64 }
	// Sigmoid is 1/(1+exp(-x)).
	Sigmoid struct{}
	// Tanh is the hyperbolic tangent.
	Tanh struct{}
	// HardSigmoid is max(0, min(1, Alpha*x + Beta)).
	HardSigmoid struct{ Alpha, Beta float64 }
	// HardSwish is x * max(0, min(1, x/6 + 1/2)).
	HardSwish struct{}
	// Clip is min(max(x, Min), Max); use ±Inf for a missing bound.
	Clip struct{ Min, Max float64 }
	// Elu is x for x >= 0, Alpha*(exp(x)-1) otherwise.
	Elu struct{ Alpha float64 }
	// Selu is Gamma*x for x > 0, Gamma*Alpha*(exp(x)-1) otherwise.
	Selu struct{ Alpha, Gamma float64 }
	// Softplus is log(1+exp(x)).
	Softplus struct{}
	// Exp is e^x.
	Exp struct{}
	// Log is the natural logarithm.
	Log struct{}
	// Neg is -x.
	Neg struct{}
	// Abs is |x|.
	Abs struct{}
	// Sqrt is the square root.
	Sqrt struct{}
	// Reciprocal is 1/x.
	Reciprocal struct{}
	// Floor rounds toward -Inf.
	Floor struct{}
	// Ceil rounds toward +Inf.
	Ceil struct{}
	// Erf is the error function.
	Erf struct{}
	// Identity passes its input through.
	Identity struct{}
	// Dropout is the identity at inference time. Ratio is kept only for
	// display. A second output, the mask, is all true.
	Dropout struct{ Ratio float64 }
)

func (*Relu) activation()        {}
func (*LeakyRelu) activation()   {}
func (*Sigmoid) activation()     {}
func (*Tanh) activation()        {}
func (*HardSigmoid) activation() {}
func (*HardSwish) activation()   {}
func (*Clip) activation()        {}
func (*Elu) activation()         {}
func (*Selu) activation()        {}
func (*Softplus) activation()    {}
func (*Exp) activation()         {}
func (*Erf) activation()         {}

// OpType returns "Relu".
func (*Relu) OpType() string { return "Relu" }

// OpType returns "LeakyRelu".
func (*LeakyRelu) OpType() string { return "LeakyRelu" }

// OpType returns "Sigmoid".
func (*Sigmoid) OpType() string { return "Sigmoid" }

// OpType returns "Tanh".
func (*Tanh) OpType() string { return "Tanh" }

// OpType returns "HardSigmoid".
func (*HardSigmoid) OpType() string { return "HardSigmoid" }

// OpType returns "HardSwish".
func (*HardSwish) OpType() string { return "HardSwish" }

// OpType returns "Clip".
func (*Clip) OpType() string { return "Clip" }

// OpType returns "Elu".
func (*Elu) OpType() string { return "Elu" }

// OpType returns "Selu".
func (*Selu) OpType() string { return "Selu" }

// OpType returns "Softplus".
func (*Softplus) OpType() string { return "Softplus" }

// OpType returns "Exp".
func (*Exp) OpType() string { return "Exp" }

// OpType returns "Log".
func (*Log) OpType() string { return "Log" }

// OpType returns "Neg".
func (*Neg) OpType() string { return "Neg" }

// OpType returns "Abs".
func (*Abs) OpType() string { return "Abs" }

// OpType returns "Sqrt".
func (*Sqrt) OpType() string { return "Sqrt" }

// OpType returns "Reciprocal".
func (*Reciprocal) OpType() string { return "Reciprocal" }

// OpType returns "Floor".
func (*Floor) OpType() string { return "Floor" }

// OpType returns "Ceil".
func (*Ceil) OpType() string { return "Ceil" }

// OpType returns "Erf".
func (*Erf) OpType() string { return "Erf" }

// OpType returns "Identity".
func (*Identity) OpType() string { return "Identity" }

// OpType returns "Dropout".
func (*Dropout) OpType() string { return "Dropout" }

// Infer is Relu's shape rule.
func (*Relu) Infer(in []Type) ([]Type, error) { return inferUnary("Relu", in, false) }

// Infer is LeakyRelu's shape rule.
func (*LeakyRelu) Infer(in []Type) ([]Type, error) { return inferUnary("LeakyRelu", in, true) }

// Infer is Sigmoid's shape rule.
func (*Sigmoid) Infer(in []Type) ([]Type, error) { return inferUnary("Sigmoid", in, true) }

// Infer is Tanh's shape rule.
func (*Tanh) Infer(in []Type) ([]Type, error) { return inferUnary("Tanh", in, true) }

// Infer is HardSigmoid's shape rule.
func (*HardSigmoid) Infer(in []Type) ([]Type, error) { return inferUnary("HardSigmoid", in, true) }

// Infer is HardSwish's shape rule.
func (*HardSwish) Infer(in []Type) ([]Type, error) { return inferUnary("HardSwish", in, true) }

// Infer is Clip's shape rule.
func (*Clip) Infer(in []Type) ([]Type, error) { return inferUnary("Clip", in, false) }

// Infer is Elu's shape rule.
func (*Elu) Infer(in []Type) ([]Type, error) { return inferUnary("Elu", in, true) }

// Infer is Selu's shape rule.
func (*Selu) Infer(in []Type) ([]Type, error) { return inferUnary("Selu", in, true) }

// Infer is Softplus's shape rule.
func (*Softplus) Infer(in []Type) ([]Type, error) { return inferUnary("Softplus", in, true) }

// Infer is Exp's shape rule.
func (*Exp) Infer(in []Type) ([]Type, error) { return inferUnary("Exp", in, true) }

// Infer is Log's shape rule.
func (*Log) Infer(in []Type) ([]Type, error) { return inferUnary("Log", in, true) }

// Infer is Neg's shape rule.
func (*Neg) Infer(in []Type) ([]Type, error) { return inferUnary("Neg", in, false) }

// Infer is Abs's shape rule.
func (*Abs) Infer(in []Type) ([]Type, error) { return inferUnary("Abs", in, false) }

// Infer is Sqrt's shape rule.
func (*Sqrt) Infer(in []Type) ([]Type, error) { return inferUnary("Sqrt", in, true) }

// Infer is Reciprocal's shape rule.
func (*Reciprocal) Infer(in []Type) ([]Type, error) { return inferUnary("Reciprocal", in, true) }

// Infer is Floor's shape rule.
func (*Floor) Infer(in []Type) ([]Type, error) { return inferUnary("Floor", in, true) }

// Infer is Ceil's shape rule.
func (*Ceil) Infer(in []Type) ([]Type, error) { return inferUnary("Ceil", in, true) }

// Infer is Erf's shape rule.
func (*Erf) Infer(in []Type) ([]Type, error) { return inferUnary("Erf", in, true) }

// Infer is Identity's shape rule.
func (*Identity) Infer(in []Type) ([]Type, error) { return inferUnary("Identity", in, false) }

// Infer is Dropout's shape rule: the output and a bool mask of the same
// shape.
func (*Dropout) Infer(in []Type) ([]Type, error) {
	t, err := inferUnary("Dropout", in, false)
	if err != nil {
		return nil, err
	}
	mask := Type{DType: Bool, Shape: t[0].Shape, Layout: t[0].Layout}
	return []Type{t[0], mask}, nil
}

func inferUnary(op string, in []Type, floatOnly bool) ([]Type, error) {
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	if floatOnly {
		if err := needFloat(op, in, 0); err != nil {
			return nil, err
		}
	}
	return []Type{in[0]}, nil
}

// Cast converts to another element type.
type Cast struct{ To DType }

// OpType returns "Cast".
func (*Cast) OpType() string { return "Cast" }

// Infer is Cast's shape rule.
func (c *Cast) Infer(in []Type) ([]Type, error) {
	if err := need("Cast", in, 1); err != nil {
		return nil, err
	}
	if c.To == Invalid {
		return nil, fmt.Errorf("Cast: no target type")
	}
	t := in[0]
	t.DType = c.To
	return []Type{t}, nil
}

// Element-wise binary operations with numpy broadcasting.
type (
	// Add is a + b.
	Add struct{}
	// Sub is a - b.
	Sub struct{}
	// Mul is a * b.
	Mul struct{}
	// Div is a / b (truncating for integers).
	Div struct{}
	// Pow is a^b.
	Pow struct{}
	// Less is a < b, giving bool.
	Less struct{}
	// Greater is a > b, giving bool.
	Greater struct{}
	// Equal is a == b, giving bool.
	Equal struct{}
	// PRelu is x for x >= 0, slope*x otherwise; the slope (input 1)
	// broadcasts to x's shape.
	PRelu struct{}
)

// OpType returns "Add".
func (*Add) OpType() string { return "Add" }

// OpType returns "Sub".
func (*Sub) OpType() string { return "Sub" }

// OpType returns "Mul".
func (*Mul) OpType() string { return "Mul" }

// OpType returns "Div".
func (*Div) OpType() string { return "Div" }

// OpType returns "Pow".
func (*Pow) OpType() string { return "Pow" }

// OpType returns "Less".
func (*Less) OpType() string { return "Less" }

// OpType returns "Greater".
func (*Greater) OpType() string { return "Greater" }

// OpType returns "Equal".
func (*Equal) OpType() string { return "Equal" }

// OpType returns "PRelu".
func (*PRelu) OpType() string { return "PRelu" }

// Infer is Add's shape rule.
func (*Add) Infer(in []Type) ([]Type, error) { return inferBroadcast("Add", in, 2, true, Invalid) }

// Infer is Sub's shape rule.
func (*Sub) Infer(in []Type) ([]Type, error) { return inferBroadcast("Sub", in, 2, true, Invalid) }

// Infer is Mul's shape rule.
func (*Mul) Infer(in []Type) ([]Type, error) { return inferBroadcast("Mul", in, 2, true, Invalid) }

// Infer is Div's shape rule.
func (*Div) Infer(in []Type) ([]Type, error) { return inferBroadcast("Div", in, 2, true, Invalid) }

// Infer is Pow's shape rule; the exponent may have another type.
func (*Pow) Infer(in []Type) ([]Type, error) { return inferBroadcast("Pow", in, 2, false, Invalid) }

// Infer is Less's shape rule.
func (*Less) Infer(in []Type) ([]Type, error) { return inferBroadcast("Less", in, 2, true, Bool) }

// Infer is Greater's shape rule.
func (*Greater) Infer(in []Type) ([]Type, error) {
	return inferBroadcast("Greater", in, 2, true, Bool)
}

// Infer is Equal's shape rule.
func (*Equal) Infer(in []Type) ([]Type, error) { return inferBroadcast("Equal", in, 2, true, Bool) }

// Infer is PRelu's shape rule: the slope must broadcast to x's shape.
func (*PRelu) Infer(in []Type) ([]Type, error) {
	t, err := inferBroadcast("PRelu", in, 2, true, Invalid)
	if err != nil {
		return nil, err
	}
	if !t[0].Shape.Equal(in[0].Shape) {
		return nil, shapeErr("PRelu", in, "slope must broadcast to the input's shape")
	}
	return t, nil
}

// Variadic element-wise operations with numpy broadcasting over any number
// of inputs.
type (
	// Max is the element-wise maximum.
	Max struct{}
	// Min is the element-wise minimum.
	Min struct{}
	// Sum is the element-wise sum.
	Sum struct{}
	// Mean is the element-wise mean.
	Mean struct{}
)

// OpType returns "Max".
func (*Max) OpType() string { return "Max" }

// OpType returns "Min".
func (*Min) OpType() string { return "Min" }

// OpType returns "Sum".
func (*Sum) OpType() string { return "Sum" }

// OpType returns "Mean".
func (*Mean) OpType() string { return "Mean" }

// Infer is Max's shape rule.
func (*Max) Infer(in []Type) ([]Type, error) { return inferBroadcast("Max", in, 1, true, Invalid) }

// Infer is Min's shape rule.
func (*Min) Infer(in []Type) ([]Type, error) { return inferBroadcast("Min", in, 1, true, Invalid) }

// Infer is Sum's shape rule.
func (*Sum) Infer(in []Type) ([]Type, error) { return inferBroadcast("Sum", in, 1, true, Invalid) }

// Infer is Mean's shape rule.
func (*Mean) Infer(in []Type) ([]Type, error) { return inferBroadcast("Mean", in, 1, true, Invalid) }

// Where selects from X where the condition holds and from Y elsewhere.
// Inputs: condition (bool), X, Y, all broadcast together.
type Where struct{}

// OpType returns "Where".
func (*Where) OpType() string { return "Where" }

// Infer is Where's shape rule.
func (*Where) Infer(in []Type) ([]Type, error) {
	if err := need("Where", in, 3); err != nil {
		return nil, err
	}
	if in[0].DType != Bool {
		return nil, fmt.Errorf("Where: condition is %s, want bool", in[0].DType)
	}
	if in[1].DType != in[2].DType {
		return nil, fmt.Errorf("Where: X is %s and Y is %s", in[1].DType, in[2].DType)
	}
	s, err := BroadcastShapes(in[0].Shape, in[1].Shape, in[2].Shape)
	if err != nil {
		return nil, shapeErr("Where", in, "%v", err)
	}
	return []Type{{DType: in[1].DType, Shape: s, Layout: layoutOf(in[1:])}}, nil
}

// inferBroadcast is the rule of the broadcasting element-wise ops: at least
// minIn inputs, all of one type when sameType, result of type result (or
// the inputs' type when result is Invalid). The result keeps a layout only
// when its rank equals that of the input carrying the layout.
func inferBroadcast(op string, in []Type, minIn int, sameType bool, result DType) ([]Type, error) {
	if err := need(op, in, max(minIn, len(in))); err != nil {
		return nil, err
	}
	shapes := make([]Shape, len(in))
	for i, t := range in {
		if sameType && t.DType != in[0].DType {
			return nil, shapeErr(op, in, "inputs have different element types: %s and %s", in[0].DType, t.DType)
		}
		shapes[i] = t.Shape
	}
	s, err := BroadcastShapes(shapes...)
	if err != nil {
		return nil, shapeErr(op, in, "%v", err)
	}
	dt := result
	if dt == Invalid {
		dt = in[0].DType
	}
	layout := LayoutAny
	for _, t := range in {
		if t.Layout != LayoutAny && len(t.Shape) == len(s) {
			layout = t.Layout
			break
		}
	}
	return []Type{{DType: dt, Shape: s, Layout: layout}}, nil
}

// IsElementWise marks Relu as element-wise (see ElementWise).
func (*Relu) IsElementWise() {}

// IsElementWise marks LeakyRelu as element-wise (see ElementWise).
func (*LeakyRelu) IsElementWise() {}

// IsElementWise marks Sigmoid as element-wise (see ElementWise).
func (*Sigmoid) IsElementWise() {}

// IsElementWise marks Tanh as element-wise (see ElementWise).
func (*Tanh) IsElementWise() {}

// IsElementWise marks HardSigmoid as element-wise (see ElementWise).
func (*HardSigmoid) IsElementWise() {}

// IsElementWise marks HardSwish as element-wise (see ElementWise).
func (*HardSwish) IsElementWise() {}

// IsElementWise marks Clip as element-wise (see ElementWise).
func (*Clip) IsElementWise() {}

// IsElementWise marks Elu as element-wise (see ElementWise).
func (*Elu) IsElementWise() {}

// IsElementWise marks Selu as element-wise (see ElementWise).
func (*Selu) IsElementWise() {}

// IsElementWise marks Softplus as element-wise (see ElementWise).
func (*Softplus) IsElementWise() {}

// IsElementWise marks Exp as element-wise (see ElementWise).
func (*Exp) IsElementWise() {}

// IsElementWise marks Log as element-wise (see ElementWise).
func (*Log) IsElementWise() {}

// IsElementWise marks Neg as element-wise (see ElementWise).
func (*Neg) IsElementWise() {}

// IsElementWise marks Abs as element-wise (see ElementWise).
func (*Abs) IsElementWise() {}

// IsElementWise marks Sqrt as element-wise (see ElementWise).
func (*Sqrt) IsElementWise() {}

// IsElementWise marks Reciprocal as element-wise (see ElementWise).
func (*Reciprocal) IsElementWise() {}

// IsElementWise marks Floor as element-wise (see ElementWise).
func (*Floor) IsElementWise() {}

// IsElementWise marks Ceil as element-wise (see ElementWise).
func (*Ceil) IsElementWise() {}

// IsElementWise marks Erf as element-wise (see ElementWise).
func (*Erf) IsElementWise() {}

// IsElementWise marks Add as element-wise (see ElementWise).
func (*Add) IsElementWise() {}

// IsElementWise marks Sub as element-wise (see ElementWise).
func (*Sub) IsElementWise() {}

// IsElementWise marks Mul as element-wise (see ElementWise).
func (*Mul) IsElementWise() {}

// IsElementWise marks Div as element-wise (see ElementWise).
func (*Div) IsElementWise() {}

// IsElementWise marks Pow as element-wise (see ElementWise).
func (*Pow) IsElementWise() {}

// IsElementWise marks PRelu as element-wise (see ElementWise).
func (*PRelu) IsElementWise() {}

// IsElementWise marks Max as element-wise (see ElementWise).
func (*Max) IsElementWise() {}

// IsElementWise marks Min as element-wise (see ElementWise).
func (*Min) IsElementWise() {}

// IsElementWise marks Sum as element-wise (see ElementWise).
func (*Sum) IsElementWise() {}

// IsElementWise marks Mean as element-wise (see ElementWise).
func (*Mean) IsElementWise() {}

// IsElementWise marks Where as element-wise (see ElementWise).
func (*Where) IsElementWise() {}

// IsView marks Identity as a View.
func (*Identity) IsView() {}

// IsView marks Dropout as a View: at inference its output is its input.
func (*Dropout) IsView() {}

// PassesThrough is true: Identity returns its input.
func (*Identity) PassesThrough(*Node) bool { return true }

// PassesThrough is true: at inference Dropout returns its input (the
// remove-identity pass makes its mask output a constant).
func (*Dropout) PassesThrough(*Node) bool { return true }

// PassesThrough reports whether the input already has the target type.
func (c *Cast) PassesThrough(n *Node) bool {
	return len(n.Inputs) == 1 && n.Inputs[0] != nil && n.Inputs[0].DType == c.To
}
