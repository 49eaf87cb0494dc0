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

// GatherElements picks, for every position of the indices (input 1, of
// the data's rank), the element of the data (input 0) at that position
// with the coordinate on Axis replaced by the index; negative indices count
// from the end (ONNX GatherElements, PyTorch gather). The output has the
// indices' shape.
type GatherElements struct{ Axis int }

// OpType returns "GatherElements".
func (*GatherElements) OpType() string { return "GatherElements" }

// Infer is GatherElements' shape rule.
func (g *GatherElements) Infer(in []Type) ([]Type, error) {
	const op = "GatherElements"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	if in[1].DType != Int64 && in[1].DType != Int32 {
		return nil, fmt.Errorf("%s: indices are %s, want i32 or i64", op, in[1].DType)
	}
	x, idx := in[0].Shape, in[1].Shape
	if len(x) == 0 || len(idx) != len(x) {
		return nil, shapeErr(op, in, "indices must have the data's rank (%d), and it must be 1 or more", len(x))
	}
	a, err := NormAxis(g.Axis, len(x))
	if err != nil {
		return nil, shapeErr(op, in, "%v", err)
	}
	if x[a] == Batch {
		return nil, shapeErr(op, in, "cannot gather along the batch dimension")
	}
	g.Axis = a
	for i := range x {
		switch {
		case i == a:
		case (x[i] == Batch) != (idx[i] == Batch):
			return nil, shapeErr(op, in, "data and indices must share the batch dimension")
		case x[i] != Batch && idx[i] > x[i]:
			return nil, shapeErr(op, in, "indices dimension %d (%d) exceeds the data's (%d)", i, idx[i], x[i])
		}
	}
	return []Type{{DType: in[0].DType, Shape: idx.Clone()}}, nil
}
