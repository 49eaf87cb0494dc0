package ir

import "sort"

// Reduce holds the attributes shared by the reduction ops.
type Reduce struct {
	// Axes to reduce; none (nil or empty) means all axes, unless
	// NoopWithEmptyAxes.
	Axes              []int
	KeepDims          bool
	NoopWithEmptyAxes bool
}

// Reductions over Axes.
type (
	// ReduceMean averages.
	ReduceMean struct{ Reduce }
	// ReduceSum adds.
	ReduceSum struct{ Reduce }
	// ReduceMax takes the maximum.
	ReduceMax struct{ Reduce }
	// ReduceMin takes the minimum.
	ReduceMin struct{ Reduce }
)

// OpType returns "ReduceMean".
func (*ReduceMean) OpType() string { return "ReduceMean" }

// OpType returns "ReduceSum".
func (*ReduceSum) OpType() string { return "ReduceSum" }

// OpType returns "ReduceMax".
func (*ReduceMax) OpType() string { return "ReduceMax" }

// OpType returns "ReduceMin".
func (*ReduceMin) OpType() string { return "ReduceMin" }

// Infer is ReduceMean's shape rule.
func (r *ReduceMean) Infer(in []Type) ([]Type, error) { return r.infer("ReduceMean", in) }

// Infer is ReduceSum's shape rule.
func (r *ReduceSum) Infer(in []Type) ([]Type, error) { return r.infer("ReduceSum", in) }

// Infer is ReduceMax's shape rule.
func (r *ReduceMax) Infer(in []Type) ([]Type, error) { return r.infer("ReduceMax", in) }

// Infer is ReduceMin's shape rule.
func (r *ReduceMin) Infer(in []Type) ([]Type, error) { return r.infer("ReduceMin", in) }

// Reduced reports, for each axis of a rank-r input, whether it is reduced.
func (r *Reduce) Reduced(rank int) []bool {
	red := make([]bool, rank)
	if len(r.Axes) == 0 {
		if !r.NoopWithEmptyAxes {
			for i := range red {
				red[i] = true
			}
		}
		return red
	}
	for _, a := range r.Axes {
		red[a] = true
	}
	return red
}

func (r *Reduce) infer(op string, in []Type) ([]Type, error) {
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	if len(r.Axes) > 0 {
		seen := make(map[int]bool)
		for i, a := range r.Axes {
			n, err := NormAxis(a, rank)
			if err != nil {
				return nil, shapeErr(op, in, "%v", err)
			}
			if seen[n] {
				return nil, shapeErr(op, in, "axis %d is listed twice", n)
			}
			seen[n] = true
			r.Axes[i] = n
		}
		sort.Ints(r.Axes)
	}
	red := r.Reduced(rank)
	var out Shape
	for i, d := range x.Shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case d == Batch:
			return nil, shapeErr(op, in, "cannot reduce over the batch dimension")
		case r.KeepDims:
			out = append(out, 1)
		}
	}
	layout := LayoutAny
	if r.KeepDims {
		layout = x.Layout
	}
	return []Type{{DType: x.DType, Shape: out, Layout: layout}}, nil
}

// ToNHWC lets a reduction of rank-4 NHWC data follow it, its axes moved,
// when the result lies in memory as it would have in NCHW: with KeepDims
// (the result is NHWC itself) or when the kept axes keep their order (a
// mean over height and width gives [N, C] either way).
func (r *Reduce) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 || len(r.Axes) == 0 {
		return nil, false
	}
	red := make([]bool, 4)
	axes := make([]int, len(r.Axes))
	for i, a := range r.Axes {
		n, err := NormAxis(a, 4)
		if err != nil {
			return nil, false
		}
		red[n] = true
		axes[i] = nchwAxis[n]
	}
	if !r.KeepDims {
		last := -1
		for a := 0; a < 4; a++ {
			if red[a] {
				continue
			}
			if nchwAxis[a] < last {
				return nil, false
			}
			last = nchwAxis[a]
		}
	}
	sort.Ints(axes)
	r.Axes = axes
	return []int{0}, true
}
