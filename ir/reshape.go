package ir

// ReshapeBatch in Reshape.Shape stands for the symbolic batch dimension.
const ReshapeBatch = -2

// Reshape gives the input a new shape with the same elements in the same
// order. In Shape, 0 copies the input's dimension at that index (unless
// AllowZero), -1 is inferred from the element count, and ReshapeBatch is the
// batch dimension.
type Reshape struct {
	Shape     []int64
	AllowZero bool
}

// OpType returns "Reshape".
func (*Reshape) OpType() string { return "Reshape" }

// Infer is Reshape's shape rule.
func (r *Reshape) Infer(in []Type) ([]Type, error) {
	if err := need("Reshape", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	out := make(Shape, len(r.Shape))
	infer := -1
	batchOut := false
	for i, d := range r.Shape {
		switch {
		case d == 0 && !r.AllowZero:
			if i >= len(x) {
				return nil, shapeErr("Reshape", in, "shape %v copies dimension %d, which the input lacks", r.Shape, i)
			}
			out[i] = x[i]
		case d == -1:
			if infer >= 0 {
				return nil, shapeErr("Reshape", in, "shape %v has more than one -1", r.Shape)
			}
			infer = i
		case d == ReshapeBatch:
			if i != 0 {
				return nil, shapeErr("Reshape", in, "the batch dimension may only be dimension 0")
			}
			out[i] = Batch
		case d < 0 || d > maxDim:
			return nil, shapeErr("Reshape", in, "shape %v has an invalid dimension %d", r.Shape, d)
		default:
			out[i] = int(d)
		}
		if out[i] == Batch {
			if i != 0 {
				return nil, shapeErr("Reshape", in, "the batch dimension would move to axis %d", i)
			}
			batchOut = true
		}
	}
	batchIn := len(x) > 0 && x[0] == Batch
	if batchOut && !batchIn {
		return nil, shapeErr("Reshape", in, "output has a batch dimension, input has none")
	}
	total := product(x)
	if err := checkSize("Reshape", x); err != nil {
		return nil, err
	}
	known := 1
	for i, d := range out {
		if i != infer && d != Batch {
			if d != 0 && known > maxDim/d {
				return nil, shapeErr("Reshape", in, "shape %v is too large", r.Shape)
			}
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, shapeErr("Reshape", in, "cannot infer the -1 in %v from %d elements", r.Shape, total)
		}
		out[infer] = total / known
		if batchIn && !batchOut {
			if infer != 0 || out[0] != 1 {
				return nil, shapeErr("Reshape", in, "shape %v would merge the batch dimension with others", r.Shape)
			}
			out[0] = Batch
			batchOut = true
		}
	} else if known != total {
		return nil, shapeErr("Reshape", in, "shape %v holds %d elements per batch item, input holds %d", r.Shape, known, total)
	}
	if batchIn && !batchOut {
		return nil, shapeErr("Reshape", in, "shape %v would merge the batch dimension with others", r.Shape)
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}

// Flatten reshapes to a matrix [prod(dims before Axis), prod(dims from
// Axis on)]. On an NHWC value Flatten(1) gives Keras' H, W, C order.
type Flatten struct{ Axis int }

// OpType returns "Flatten".
func (*Flatten) OpType() string { return "Flatten" }

// Infer is Flatten's shape rule.
func (f *Flatten) Infer(in []Type) ([]Type, error) {
	if err := need("Flatten", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	r := len(x)
	a := f.Axis
	if a < 0 {
		a += r
	}
	if a < 0 || a > r {
		return nil, shapeErr("Flatten", in, "axis %d is out of range for rank %d", f.Axis, r)
	}
	f.Axis = a
	outer, inner := product(x[:a]), product(x[a:])
	out := Shape{outer, inner}
	if r > 0 && x[0] == Batch {
		if a == 0 || outer != 1 {
			return nil, shapeErr("Flatten", in, "axis %d would merge the batch dimension with others", a)
		}
		out[0] = Batch
	}
	if err := checkSize("Flatten", x); err != nil {
		return nil, err
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}

// Squeeze removes size-1 dimensions: those in Axes, or all when Axes is nil.
type Squeeze struct{ Axes []int }

// OpType returns "Squeeze".
func (*Squeeze) OpType() string { return "Squeeze" }

// Infer is Squeeze's shape rule.
func (s *Squeeze) Infer(in []Type) ([]Type, error) {
	if err := need("Squeeze", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	drop := make([]bool, len(x))
	if s.Axes == nil {
		for i, d := range x {
			drop[i] = d == 1
		}
	} else {
		for i, a := range s.Axes {
			n, err := NormAxis(a, len(x))
			if err != nil {
				return nil, shapeErr("Squeeze", in, "%v", err)
			}
			if x[n] != 1 {
				return nil, shapeErr("Squeeze", in, "dimension %d has size %d, not 1", n, x[n])
			}
			s.Axes[i] = n
			drop[n] = true
		}
	}
	var out Shape
	for i, d := range x {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}

// Unsqueeze inserts size-1 dimensions at Axes (positions in the output).
type Unsqueeze struct{ Axes []int }

// OpType returns "Unsqueeze".
func (*Unsqueeze) OpType() string { return "Unsqueeze" }

// Infer is Unsqueeze's shape rule.
func (u *Unsqueeze) Infer(in []Type) ([]Type, error) {
	if err := need("Unsqueeze", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	r := len(x) + len(u.Axes)
	ins := make([]bool, r)
	for i, a := range u.Axes {
		n, err := NormAxis(a, r)
		if err != nil {
			return nil, shapeErr("Unsqueeze", in, "%v", err)
		}
		if ins[n] {
			return nil, shapeErr("Unsqueeze", in, "axis %d is listed twice", n)
		}
		ins[n] = true
		u.Axes[i] = n
	}
	out := make(Shape, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, x[j])
			j++
		}
	}
	for i, d := range out {
		if d == Batch && i != 0 {
			return nil, shapeErr("Unsqueeze", in, "axes %v would move the batch dimension", u.Axes)
		}
	}
	return []Type{{DType: in[0].DType, Shape: out}}, nil
}

// IsView marks Reshape as a View.
func (*Reshape) IsView() {}

// IsView marks Flatten as a View.
func (*Flatten) IsView() {}

// IsView marks Squeeze as a View.
func (*Squeeze) IsView() {}

// IsView marks Unsqueeze as a View.
func (*Unsqueeze) IsView() {}
