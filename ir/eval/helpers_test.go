package eval_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// f32 builds a Float32 tensor.
func f32(shape ir.Shape, data ...float64) *ir.Tensor {
	return ir.NewFloatTensor(ir.Float32, shape, data)
}

// ints builds an integer or bool tensor.
func ints(dt ir.DType, shape ir.Shape, data ...int64) *ir.Tensor {
	return ir.NewIntTensor(dt, shape, data)
}

// seq returns 1, 2, ..., n (or from start, step).
func seq(n int, start, step float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = start + float64(i)*step
	}
	return s
}

// random returns a Float32 tensor of uniform values in [-1, 1).
func random(rng *rand.Rand, shape ...int) *ir.Tensor {
	s := ir.Shape(shape)
	d := make([]float64, s.NumElements(1))
	for i := range d {
		d[i] = rng.Float64()*2 - 1
	}
	return f32(s, d...)
}

// nodeOf wraps op in a node whose inputs are constants holding in (nil
// for an omitted input) and which has nOut outputs.
func nodeOf(op ir.Op, nOut int, in ...*ir.Tensor) *ir.Node {
	g := ir.NewGraph("t")
	vals := make([]*ir.Value, len(in))
	for i, t := range in {
		if t != nil {
			vals[i] = ir.NewConst(fmt.Sprintf("in%d", i), t)
		}
	}
	return g.AddNode("n", op, vals, nOut)
}

// run evaluates op on in and returns its single output.
func run(t *testing.T, op ir.Op, in ...*ir.Tensor) *ir.Tensor {
	t.Helper()
	outs, err := eval.Node(nodeOf(op, 1, in...), in)
	if err != nil {
		t.Fatalf("%s: %v", op.OpType(), err)
	}
	return outs[0]
}

// runErr evaluates op on in and returns the error, failing if there is
// none.
func runErr(t *testing.T, op ir.Op, in ...*ir.Tensor) error {
	t.Helper()
	_, err := eval.Node(nodeOf(op, 1, in...), in)
	if err == nil {
		t.Fatalf("%s: no error", op.OpType())
	}
	return err
}

// close reports whether a and b agree within a relative and absolute
// tolerance, NaNs and infinities matching exactly.
func closeTo(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= tol*(1+math.Abs(b))
}

// expect checks a float tensor's shape and values.
func expect(t *testing.T, got *ir.Tensor, shape ir.Shape, want []float64) {
	t.Helper()
	expectTol(t, got, shape, want, 1e-12)
}

func expectTol(t *testing.T, got *ir.Tensor, shape ir.Shape, want []float64, tol float64) {
	t.Helper()
	if !got.Shape.Equal(shape) {
		t.Fatalf("shape %v, want %v", got.Shape, shape)
	}
	if len(got.Floats) != len(want) {
		t.Fatalf("%d float elements, want %d", len(got.Floats), len(want))
	}
	bad := 0
	for i := range want {
		if !closeTo(got.Floats[i], want[i], tol) {
			if bad < 5 {
				t.Errorf("element %d = %v, want %v", i, got.Floats[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d elements differ", bad, len(want))
	}
}

// expectInts checks an integer tensor's type, shape and values.
func expectInts(t *testing.T, got *ir.Tensor, dt ir.DType, shape ir.Shape, want []int64) {
	t.Helper()
	if got.DType != dt || !got.Shape.Equal(shape) {
		t.Fatalf("got %v, want %s%v", got.Type(), dt, shape)
	}
	if fmt.Sprint(got.Ints) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got.Ints, want)
	}
}

// expectSame checks that two float tensors agree element by element.
func expectSame(t *testing.T, got, want *ir.Tensor, tol float64) {
	t.Helper()
	expectTol(t, got, want.Shape, want.Floats, tol)
}

// errContains fails unless err mentions every one of subs.
func errContains(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
}

// forIndex calls f with every multi-index of shape in row-major order.
func forIndex(shape []int, f func(idx []int)) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	idx := make([]int, len(shape))
	for range n {
		f(idx)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

// flat is the row-major offset of idx in shape.
func flat(shape []int, idx []int) int {
	o := 0
	for d, i := range idx {
		o = o*shape[d] + i
	}
	return o
}

// permute transposes a tensor the slow way: output axis i is input axis
// perm[i]. The tests use it to move between NCHW and NHWC independently
// of the Transpose kernel.
func permute(x *ir.Tensor, perm []int) *ir.Tensor {
	shape := make(ir.Shape, len(perm))
	for i, p := range perm {
		shape[i] = x.Shape[p]
	}
	y := ir.Zeros(x.DType, shape)
	src := make([]int, len(perm))
	forIndex(shape, func(idx []int) {
		for i, p := range perm {
			src[p] = idx[i]
		}
		y.Floats[flat(shape, idx)] = x.Floats[flat(x.Shape, src)]
	})
	return y
}

// channelsLast moves axis 1 to the end; channelsFirst undoes it.
func channelsLast(x *ir.Tensor) *ir.Tensor {
	r := len(x.Shape)
	perm := []int{0}
	for i := 2; i < r; i++ {
		perm = append(perm, i)
	}
	return permute(x, append(perm, 1))
}

func channelsFirst(x *ir.Tensor) *ir.Tensor {
	r := len(x.Shape)
	perm := []int{0, r - 1}
	for i := 1; i < r-1; i++ {
		perm = append(perm, i)
	}
	return permute(x, perm)
}
