package passes

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

// FuseGelu recognizes GELU written out with Erf, as exporters before ONNX
// opset 20 write torch.nn.GELU:
//
//	y = x * (erf(x / √2) + 1) * 0.5
//
// with the division a multiplication by 1/√2, either operand order of each
// Add and Mul, and the 0.5 applied to x or to the product, and replaces the
// chain by one Gelu op, which the code generator fuses into the preceding
// GEMM's or convolution's store step.
func FuseGelu(g *ir.Graph) error {
	uses := g.Uses()
	changed := false
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.Erf); !ok {
			continue
		}
		x, ok := geluInput(n.Inputs[0])
		if !ok || !singleUse(g, uses, n.Inputs[0]) || !singleUse(g, uses, n.Outputs[0]) {
			continue
		}
		add := uses[n.Outputs[0]][0]
		if _, ok := add.Op.(*ir.Add); !ok || !hasConstOperand(add, n.Outputs[0], 1) || !singleUse(g, uses, add.Outputs[0]) {
			continue
		}
		mul := uses[add.Outputs[0]][0]
		other, ok := otherOperand(mul, add.Outputs[0])
		if _, isMul := mul.Op.(*ir.Mul); !isMul || !ok {
			continue
		}
		var y *ir.Value
		switch {
		case other == x:
			// (x * (erf+1)) * 0.5
			if !singleUse(g, uses, mul.Outputs[0]) {
				continue
			}
			half := uses[mul.Outputs[0]][0]
			if _, ok := half.Op.(*ir.Mul); !ok || !hasConstOperand(half, mul.Outputs[0], 0.5) {
				continue
			}
			y = half.Outputs[0]
		case other.Producer != nil && singleUse(g, uses, other):
			// (x * 0.5) * (erf+1)
			hx := other.Producer
			if _, ok := hx.Op.(*ir.Mul); !ok || !hasConstOperand(hx, x, 0.5) {
				continue
			}
			y = mul.Outputs[0]
		default:
			continue
		}
		if !y.Type.Shape.Equal(x.Shape) || y.DType != x.DType {
			continue // a broadcasting constant changed the shape
		}
		gelu := &ir.Node{Name: y.Producer.Name, Op: &ir.Gelu{}, Inputs: []*ir.Value{x}, Layer: y.Producer.Layer, LayerType: y.Producer.LayerType}
		out := &ir.Value{Name: y.Name, Producer: gelu}
		gelu.Outputs = []*ir.Value{out}
		if err := ir.InferNode(gelu); err != nil {
			return err
		}
		// The new node takes the place of the chain's last one, after
		// everything the chain read.
		for i, m := range g.Nodes {
			if m == y.Producer {
				g.Nodes[i] = gelu
			}
		}
		g.Replace(y, out)
		changed = true
		uses = g.Uses()
	}
	if changed {
		g.RemoveDead()
	}
	return nil
}

// geluInput recognizes x/√2 or x*(1/√2) and returns x.
func geluInput(v *ir.Value) (*ir.Value, bool) {
	p := v.Producer
	if p == nil || len(p.Inputs) != 2 {
		return nil, false
	}
	switch p.Op.(type) {
	case *ir.Div:
		return p.Inputs[0], isScalar(p.Inputs[1], math.Sqrt2)
	case *ir.Mul:
		if isScalar(p.Inputs[1], 1/math.Sqrt2) {
			return p.Inputs[0], true
		}
		if isScalar(p.Inputs[0], 1/math.Sqrt2) {
			return p.Inputs[1], true
		}
	}
	return nil, false
}

// hasConstOperand reports whether the binary node n reads v and a scalar
// constant equal to c.
func hasConstOperand(n *ir.Node, v *ir.Value, c float64) bool {
	o, ok := otherOperand(n, v)
	return ok && isScalar(o, c)
}

// otherOperand returns the input of the binary node n that is not v.
func otherOperand(n *ir.Node, v *ir.Value) (*ir.Value, bool) {
	if len(n.Inputs) != 2 {
		return nil, false
	}
	switch v {
	case n.Inputs[0]:
		return n.Inputs[1], true
	case n.Inputs[1]:
		return n.Inputs[0], true
	}
	return nil, false
}

// isScalar reports whether v is a constant of one element within float32
// rounding of c.
func isScalar(v *ir.Value, c float64) bool {
	if !v.IsConst() || v.Const.Len() != 1 {
		return false
	}
	return math.Abs(v.Const.Float(0)-c) <= 1e-6*math.Abs(c)
}
