package ir

import "fmt"

// Gather picks entries along Axis of the data (input 0) at the integer
// indices of input 1; negative indices count from the end.
type Gather struct{ Axis int }

// OpType returns "Gather".
func (*Gather) OpType() string { return "Gather" }

// Infer is Gather's shape rule.
func (g *Gather) Infer(in []Type) ([]Type, error) {
	if err := need("Gather", in, 2); err != nil {
		return nil, err
	}
	if in[1].DType != Int64 && in[1].DType != Int32 {
		return nil, fmt.Errorf("Gather: indices are %s, want i32 or i64", in[1].DType)
	}
	x := in[0].Shape
	a, err := NormAxis(g.Axis, len(x))
	if err != nil {
		return nil, shapeErr("Gather", in, "%v", err)
	}
	if x[a] == Batch {
		return nil, shapeErr("Gather", in, "cannot gather along the batch dimension")
	}
	g.Axis = a
	out := append(Shape{}, x[:a]...)
	out = append(out, in[1].Shape...)
	out = append(out, x[a+1:]...)
	for i, d := range out {
		if d == Batch && i != 0 {
			return nil, shapeErr("Gather", in, "the batch dimension would leave axis 0")
		}
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}
