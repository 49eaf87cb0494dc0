package ir

import "slices"

// Transpose permutes the axes: output axis i is input axis Perm[i]. A nil
// Perm reverses the axes.
type Transpose struct{ Perm []int }

// OpType returns "Transpose".
func (*Transpose) OpType() string { return "Transpose" }

// Permutations between the two image layouts.
var (
	PermNCHWToNHWC = []int{0, 2, 3, 1}
	PermNHWCToNCHW = []int{0, 3, 1, 2}
)

// Infer is Transpose's shape rule.
func (t *Transpose) Infer(in []Type) ([]Type, error) {
	if err := need("Transpose", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	if t.Perm == nil {
		t.Perm = make([]int, len(x))
		for i := range t.Perm {
			t.Perm[i] = len(x) - 1 - i
		}
	}
	if len(t.Perm) != len(x) {
		return nil, shapeErr("Transpose", in, "perm %v does not fit rank %d", t.Perm, len(x))
	}
	seen := make([]bool, len(x))
	out := make(Shape, len(x))
	for i, p := range t.Perm {
		if p < 0 || p >= len(x) || seen[p] {
			return nil, shapeErr("Transpose", in, "perm %v is not a permutation", t.Perm)
		}
		seen[p] = true
		out[i] = x[p]
	}
	if len(x) > 0 && x[0] == Batch && t.Perm[0] != 0 {
		return nil, shapeErr("Transpose", in, "perm %v moves the batch dimension", t.Perm)
	}
	layout := LayoutAny
	switch {
	case in[0].Layout == NCHW && slices.Equal(t.Perm, PermNCHWToNHWC):
		layout = NHWC
	case in[0].Layout == NHWC && slices.Equal(t.Perm, PermNHWCToNCHW):
		layout = NCHW
	}
	return []Type{{DType: in[0].DType, Shape: out, Layout: layout}}, nil
}
