package ir

// ShapeOf is ONNX Shape: the input's dimensions Start..End (clamped, negative
// counting from the end) as an int64 vector. Only constant folding evaluates
// it; it never reaches generated code.
type ShapeOf struct{ Start, End int }

// OpType returns "Shape".
func (*ShapeOf) OpType() string { return "Shape" }

// Range returns the clamped [start, end) for a rank-r input.
func (s *ShapeOf) Range(r int) (int, int) {
	b, e := s.Start, s.End
	if b < 0 {
		b += r
	}
	if e < 0 {
		e += r
	}
	b, e = max(0, min(b, r)), max(0, min(e, r))
	return b, max(b, e)
}

// Infer is Shape's shape rule.
func (s *ShapeOf) Infer(in []Type) ([]Type, error) {
	if err := need("Shape", in, 1); err != nil {
		return nil, err
	}
	b, e := s.Range(len(in[0].Shape))
	return []Type{{DType: Int64, Shape: Shape{e - b}}}, nil
}
