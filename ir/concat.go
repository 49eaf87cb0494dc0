package ir

// Concat joins its inputs along Axis.
type Concat struct{ Axis int }

// OpType returns "Concat".
func (*Concat) OpType() string { return "Concat" }

// Infer is Concat's shape rule.
func (c *Concat) Infer(in []Type) ([]Type, error) {
	if err := need("Concat", in, max(1, len(in))); err != nil {
		return nil, err
	}
	r := len(in[0].Shape)
	a, err := NormAxis(c.Axis, r)
	if err != nil {
		return nil, shapeErr("Concat", in, "%v", err)
	}
	c.Axis = a
	out := in[0].Shape.Clone()
	for _, t := range in[1:] {
		if t.DType != in[0].DType {
			return nil, shapeErr("Concat", in, "inputs have different element types: %s and %s", in[0].DType, t.DType)
		}
		if len(t.Shape) != r {
			return nil, shapeErr("Concat", in, "inputs have different ranks")
		}
		for i, d := range t.Shape {
			if i == a {
				if d == Batch || out[a] == Batch {
					return nil, shapeErr("Concat", in, "cannot concatenate along the batch dimension")
				}
				out[a] += d
			} else if d != out[i] {
				return nil, shapeErr("Concat", in, "inputs differ in dimension %d", i)
			}
		}
	}
	if err := checkSize("Concat", out); err != nil {
		return nil, err
	}
	return []Type{{DType: in[0].DType, Shape: out, Layout: layoutOf(in)}}, nil
}

// ToNHWC lets a rank-4 Concat follow NHWC inputs by moving its axis.
func (c *Concat) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in) == 0 || len(in[0].Shape) != 4 || c.Axis < 0 || c.Axis > 3 {
		return nil, false
	}
	c.Axis = nchwAxis[c.Axis]
	all := make([]int, len(in))
	for i := range all {
		all[i] = i
	}
	return all, true
}

// PassesThrough reports a Concat of a single input, which ONNX exporters
// write for the first layer of a DenseNet block.
func (*Concat) PassesThrough(n *Node) bool { return len(n.Inputs) == 1 }

// JoinsColumns reports a Concat along the last axis.
func (c *Concat) JoinsColumns(n *Node) bool {
	if len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return false
	}
	r := len(n.Outputs[0].Shape)
	return r >= 2 && (c.Axis == r-1 || c.Axis == -1)
}
