package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

// opt returns input i, or nil when it is omitted.
func opt(in []*ir.Tensor, i int) *ir.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// newTensor returns a zero tensor of the concrete type t.
func newTensor(t ir.Type) *ir.Tensor { return ir.Zeros(t.DType, t.Shape) }

// strides returns the row-major element strides of shape.
func strides(shape ir.Shape) []int {
	s := make([]int, len(shape))
	n := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = n
		n *= shape[i]
	}
	return s
}

// prod multiplies dims; 1 for none.
func prod(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// offsets lists, in row-major order over dims, base + sum(idx[d]*st[d]) for
// every multi-index idx: the element offsets of a strided view. Most
// data-movement ops (transpose, slice, broadcasting) are a strided view
// of their input followed by a gather through these offsets.
func offsets(dims, st []int, base int) []int {
	n := prod(dims)
	out := make([]int, n)
	if n == 0 {
		return out
	}
	idx := make([]int, len(dims))
	off := base
	for i := range out {
		out[i] = off
		// Advance the odometer, last axis fastest.
		for d := len(dims) - 1; d >= 0; d-- {
			idx[d]++
			off += st[d]
			if idx[d] < dims[d] {
				break
			}
			off -= idx[d] * st[d]
			idx[d] = 0
		}
	}
	return out
}

// broadcastOffsets gives, for each element of a tensor of shape out, the
// element of a tensor of shape in that numpy broadcasting maps to it; nil
// when the shapes are equal and the map is the identity.
func broadcastOffsets(out, in ir.Shape) []int {
	if out.Equal(in) {
		return nil
	}
	st := strides(in)
	bst := make([]int, len(out))
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			bst[off+i] = st[i]
		}
	}
	return offsets(out, bst, 0)
}

// at maps element i of the output through a broadcast map.
func at(m []int, i int) int {
	if m == nil {
		return i
	}
	return m[i]
}

// take builds a tensor of type out whose element i is src's element
// idx[i], or fill where idx[i] is negative.
func take(src *ir.Tensor, idx []int, fill float64, out ir.Type) *ir.Tensor {
	y := newTensor(out)
	if src.DType.IsFloat() {
		for i, j := range idx {
			if j < 0 {
				y.Floats[i] = fill
			} else {
				y.Floats[i] = src.Floats[j]
			}
		}
		return y
	}
	fi := floatToInt(out.DType, fill)
	for i, j := range idx {
		if j < 0 {
			y.Ints[i] = fi
		} else {
			y.Ints[i] = src.Ints[j]
		}
	}
	return y
}

// intToFloat converts an integer element of type dt to float64; uint64
// elements are stored as their two's-complement bit pattern.
func intToFloat(dt ir.DType, v int64) float64 {
	if dt == ir.Uint64 {
		return float64(uint64(v))
	}
	return float64(v)
}

// elemFloat returns element i of t as a float64, whatever its type.
func elemFloat(t *ir.Tensor, i int) float64 {
	if t.DType.IsFloat() {
		return t.Floats[i]
	}
	return intToFloat(t.DType, t.Ints[i])
}

// floatToInt converts f to the integer type dt: truncation toward zero, as
// a C cast does, then wrap-around to dt's width. ONNX leaves out-of-range
// conversions undefined; saturating to the int64 (or uint64) range before
// wrapping at least makes them deterministic, and NaN becomes 0.
func floatToInt(dt ir.DType, f float64) int64 {
	switch {
	case dt == ir.Bool:
		if f != 0 {
			return 1
		}
		return 0
	case math.IsNaN(f):
		return 0
	}
	t := math.Trunc(f)
	if dt == ir.Uint64 && t >= 1<<63 {
		if t >= 1<<64 {
			return -1 // all ones: the largest uint64
		}
		return int64(uint64(t))
	}
	switch {
	case t >= 1<<63:
		return ir.WrapInt(dt, math.MaxInt64)
	case t < -(1 << 63):
		return ir.WrapInt(dt, math.MinInt64)
	}
	return ir.WrapInt(dt, int64(t))
}

// intLess compares two integer elements of type dt.
func intLess(dt ir.DType, a, b int64) bool {
	if dt == ir.Uint64 {
		return uint64(a) < uint64(b)
	}
	return a < b
}

// intMin and intMax are the smallest and largest values of integer type
// dt, in its storage form: the identities of ReduceMax and ReduceMin.
func intMin(dt ir.DType) int64 {
	switch dt {
	case ir.Int8:
		return math.MinInt8
	case ir.Int16:
		return math.MinInt16
	case ir.Int32:
		return math.MinInt32
	case ir.Int64:
		return math.MinInt64
	}
	return 0 // unsigned and bool
}

func intMax(dt ir.DType) int64 {
	switch dt {
	case ir.Int8:
		return math.MaxInt8
	case ir.Int16:
		return math.MaxInt16
	case ir.Int32:
		return math.MaxInt32
	case ir.Uint8:
		return math.MaxUint8
	case ir.Uint16:
		return math.MaxUint16
	case ir.Uint32:
		return math.MaxUint32
	case ir.Uint64:
		return -1 // all ones
	case ir.Bool:
		return 1
	}
	return math.MaxInt64
}

// permShape returns the shape whose axis i is s's axis perm[i].
func permShape(s ir.Shape, perm []int) ir.Shape {
	out := make(ir.Shape, len(perm))
	for i, p := range perm {
		out[i] = s[p]
	}
	return out
}

// seqInts returns lo, lo+1, ..., hi-1.
func seqInts(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}
