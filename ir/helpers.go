package ir

import "fmt"

// NormAxis maps a possibly negative axis into [0, rank).
func NormAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// BroadcastShapes computes the numpy broadcast of shapes. The symbolic batch
// dimension broadcasts with 1 and with itself.
func BroadcastShapes(shapes ...Shape) (Shape, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot be broadcast together (dimension %d: %d vs %d)", shapes, off+i, o, d)
			}
		}
	}
	// A symbolic dimension may only stay in position 0.
	for i, d := range out {
		if d == Batch && i != 0 {
			return nil, fmt.Errorf("broadcasting %v moves the batch dimension off axis 0", shapes)
		}
	}
	return out, nil
}

// layoutOf picks the layout of the first input that has one.
func layoutOf(in []Type) Layout {
	for _, t := range in {
		if t.Layout != LayoutAny {
			return t.Layout
		}
	}
	return LayoutAny
}

// need checks that the first n inputs are present.
func need(op string, in []Type, n int) error {
	if len(in) < n {
		return fmt.Errorf("%s needs %d inputs, has %d", op, n, len(in))
	}
	for i := 0; i < n; i++ {
		if !in[i].Known() {
			return fmt.Errorf("%s: input %d is missing or has no type", op, i)
		}
	}
	return nil
}

// needFloat checks that input i is a floating-point tensor.
func needFloat(op string, in []Type, i int) error {
	if !in[i].DType.IsFloat() {
		return fmt.Errorf("%s: input %d is %s, want a floating-point tensor", op, i, in[i].DType)
	}
	return nil
}

func ints(n, v int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// Product multiplies the dimensions of s, treating Batch as 1.
func product(s []int) int {
	p := 1
	for _, d := range s {
		if d != Batch {
			p *= d
		}
	}
	return p
}

// maxDim bounds every dimension and element count that shape inference
// accepts, so that absurd models fail with an error instead of exhausting
// memory later.
const maxDim = 1 << 31

func checkSize(op string, s Shape) error {
	n := 1
	for _, d := range s {
		if d == Batch {
			continue
		}
		if d < 0 || d > maxDim {
			return fmt.Errorf("%s: dimension %d in %v is out of range", op, d, s)
		}
		if d != 0 && n > maxDim/d {
			return fmt.Errorf("%s: shape %v has more than 2^31 elements", op, s)
		}
		n *= d
	}
	return nil
}

// sameType checks that the present inputs at idx have input 0's element
// type (weights, biases and statistics of a float op).
func sameType(op string, in []Type, idx ...int) error {
	for _, i := range idx {
		if i < len(in) && in[i].Known() && in[i].DType != in[0].DType {
			return fmt.Errorf("%s: input %d is %s, input 0 is %s", op, i, in[i].DType, in[0].DType)
		}
	}
	return nil
}
