package ir

import "fmt"

// Slice takes a strided sub-range along each of Axes (ONNX Slice after its
// inputs have become constants). Starts and Ends are clamped as ONNX
// specifies; nil Axes means 0, 1, ..., nil Steps means all 1.
type Slice struct {
	Starts, Ends, Axes, Steps []int64
}

// OpType returns "Slice".
func (*Slice) OpType() string { return "Slice" }

// Ranges returns the normalized (start, step, count) of every input axis of
// a tensor of the given shape; untouched axes get (0, 1, dim).
func (s *Slice) Ranges(x Shape) (start, step, count []int, err error) {
	r := len(x)
	start, step, count = make([]int, r), make([]int, r), make([]int, r)
	for i, d := range x {
		start[i], step[i], count[i] = 0, 1, d
	}
	if len(s.Ends) != len(s.Starts) || (s.Axes != nil && len(s.Axes) != len(s.Starts)) || (s.Steps != nil && len(s.Steps) != len(s.Starts)) {
		return nil, nil, nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", s.Starts, s.Ends, s.Axes, s.Steps)
	}
	seen := make([]bool, r)
	for i := range s.Starts {
		a := i
		if s.Axes != nil {
			n, err := NormAxis(int(max(min(s.Axes[i], int64(r)), int64(-r-1))), r)
			if err != nil {
				return nil, nil, nil, err
			}
			a = n
		}
		if a >= r {
			return nil, nil, nil, fmt.Errorf("axis %d is out of range for rank %d", a, r)
		}
		if seen[a] {
			return nil, nil, nil, fmt.Errorf("axis %d is sliced twice", a)
		}
		seen[a] = true
		st := int64(1)
		if s.Steps != nil {
			st = s.Steps[i]
		}
		if st == 0 {
			return nil, nil, nil, fmt.Errorf("step is zero")
		}
		d := int64(x[a])
		if x[a] == Batch {
			if s.Starts[i] != 0 || s.Ends[i] < 1<<31 || st != 1 {
				return nil, nil, nil, fmt.Errorf("cannot slice the batch dimension")
			}
			continue
		}
		b, e := s.Starts[i], s.Ends[i]
		if b < 0 {
			b += d
		}
		if e < 0 {
			e += d
		}
		var n int64
		if st > 0 {
			b, e = max(0, min(b, d)), max(0, min(e, d))
			if e > b {
				n = (e - b + st - 1) / st
			}
		} else {
			b, e = max(-1, min(b, d-1)), max(-1, min(e, d-1))
			if b > e {
				n = (b - e + (-st) - 1) / (-st)
			}
		}
		start[a], step[a], count[a] = int(b), int(st), int(n)
	}
	return start, step, count, nil
}

// Infer is Slice's shape rule.
func (s *Slice) Infer(in []Type) ([]Type, error) {
	if err := need("Slice", in, 1); err != nil {
		return nil, err
	}
	_, _, count, err := s.Ranges(in[0].Shape)
	if err != nil {
		return nil, shapeErr("Slice", in, "%v", err)
	}
	return []Type{{DType: in[0].DType, Shape: Shape(count), Layout: in[0].Layout}}, nil
}

// ToNHWC lets a Slice of rank-4 NHWC data follow it by moving its axes.
func (s *Slice) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	axes := make([]int64, len(s.Starts))
	for i := range axes {
		a := int64(i)
		if s.Axes != nil {
			a = s.Axes[i]
		}
		n, err := NormAxis(int(a), 4)
		if err != nil {
			return nil, false
		}
		axes[i] = int64(nchwAxis[n])
	}
	s.Axes = axes
	return []int{0}, true
}

// ColumnRange reports a Slice that keeps every axis whole but the last,
// of which it takes a run of consecutive elements.
func (s *Slice) ColumnRange(n *Node) (int, bool) {
	if len(n.Inputs) == 0 || n.Inputs[0] == nil || len(n.Outputs) != 1 {
		return 0, false
	}
	x := n.Inputs[0].Shape.Clone()
	if len(x) < 2 {
		return 0, false
	}
	if x[0] == Batch {
		// The batch axis must not be sliced at all: its size is unknown.
		for i := range s.Starts {
			if a := i; s.Axes == nil && a == 0 || s.Axes != nil && (s.Axes[i] == 0 || s.Axes[i] == int64(-len(x))) {
				return 0, false
			}
		}
		x[0] = 1
	}
	if !x.Static() {
		return 0, false
	}
	start, step, count, err := s.Ranges(x)
	if err != nil {
		return 0, false
	}
	last := len(x) - 1
	for d := 0; d < last; d++ {
		if start[d] != 0 || step[d] != 1 || count[d] != x[d] {
			return 0, false
		}
	}
	if step[last] != 1 {
		return 0, false
	}
	return start[last], true
}
