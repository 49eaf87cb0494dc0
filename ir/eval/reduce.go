package eval

import (
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	registerAs[*ir.ReduceMean](evalReduce)
	registerAs[*ir.ReduceSum](evalReduce)
	registerAs[*ir.ReduceMax](evalReduce)
	registerAs[*ir.ReduceMin](evalReduce)
}

type reduceKind int

const (
	reduceMean reduceKind = iota
	reduceSum
	reduceMax
	reduceMin
)

// evalReduce computes ReduceMean, ReduceSum, ReduceMax and ReduceMin over
// the axes Reduce.Reduced marks. An empty reduction
// gives the operation's identity, as ONNX specifies: 0 for a sum, -Inf (or
// the type's minimum) for a maximum, +Inf (or the maximum) for a minimum,
// and NaN (0/0) for a float mean. Integer means are computed from the
// exact (int64) sum and truncate toward zero, like numpy's mean cast back.
func evalReduce(op ir.Op, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	var r *ir.Reduce
	var kind reduceKind
	switch op := op.(type) {
	case *ir.ReduceMean:
		r, kind = &op.Reduce, reduceMean
	case *ir.ReduceSum:
		r, kind = &op.Reduce, reduceSum
	case *ir.ReduceMax:
		r, kind = &op.Reduce, reduceMax
	case *ir.ReduceMin:
		r, kind = &op.Reduce, reduceMin
	default:
		return nil, fmt.Errorf("internal error: %s is not a reduction", op.OpType())
	}
	x := in[0]
	red := r.Reduced(len(x.Shape))
	// Each input element's destination: the output offset of its kept
	// coordinates. Output strides of reduced axes are zero, whether or
	// not KeepDims left them in place as size-1 axes.
	var kept ir.Shape
	for i, d := range x.Shape {
		if !red[i] {
			kept = append(kept, d)
		}
	}
	kst := strides(kept)
	st := make([]int, len(x.Shape))
	j := 0
	for i := range x.Shape {
		if !red[i] {
			st[i] = kst[j]
			j++
		}
	}
	dst := offsets(x.Shape, st, 0)
	y := newTensor(out)
	count := 1
	for i, d := range x.Shape {
		if red[i] {
			count *= d
		}
	}

	if x.DType.IsFloat() {
		var init float64
		switch kind {
		case reduceMax:
			init = math.Inf(-1)
		case reduceMin:
			init = math.Inf(1)
		}
		for i := range y.Floats {
			y.Floats[i] = init
		}
		for i, v := range x.Floats {
			o := &y.Floats[dst[i]]
			switch kind {
			case reduceMean, reduceSum:
				*o += v
			case reduceMax:
				*o = math.Max(*o, v)
			case reduceMin:
				*o = math.Min(*o, v)
			}
		}
		if kind == reduceMean {
			for i := range y.Floats {
				y.Floats[i] /= float64(count)
			}
		}
		return y, nil
	}

	dt := x.DType
	var init int64
	switch kind {
	case reduceMax:
		init = intMin(dt)
	case reduceMin:
		init = intMax(dt)
	}
	for i := range y.Ints {
		y.Ints[i] = init
	}
	for i, v := range x.Ints {
		o := &y.Ints[dst[i]]
		switch kind {
		case reduceMean, reduceSum:
			*o += v
		case reduceMax:
			if intLess(dt, *o, v) {
				*o = v
			}
		case reduceMin:
			if intLess(dt, v, *o) {
				*o = v
			}
		}
	}
	for i, v := range y.Ints {
		if kind == reduceMean && count > 0 {
			if dt == ir.Uint64 {
				v = int64(uint64(v) / uint64(count))
			} else {
				v /= int64(count)
			}
		}
		y.Ints[i] = ir.WrapInt(dt, v)
	}
	return y, nil
}
