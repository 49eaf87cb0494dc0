// Package check compares tensors the way ONNX's backend tests do: element
// by element, |got - want| <= atol + rtol*|want|. cnnc check, the
// conformance test and the code generator's tests use it to judge an
// engine's outputs against reference ones.
package check

import (
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

// Result is the outcome of comparing two tensors.
type Result struct {
	// OK reports whether the tensors agree: same shape (see Compare),
	// compatible element types and every element within tolerance.
	OK bool
	// Problem explains a structural mismatch (shape, element type,
	// missing tensor); it is empty when the elements could be compared.
	Problem string
	// N is the number of elements compared.
	N int
	// Mismatches counts the elements outside tolerance.
	Mismatches int
	// MaxAbs is the largest |got - want|, and MaxRel the largest
	// |got - want| / |want| over elements where want is not zero. NaN
	// against NaN counts as equal; any other pair involving NaN, or
	// infinities that differ, count as +Inf.
	MaxAbs, MaxRel float64
	// Worst is the index (row-major) of the element closest to failing or
	// furthest past its tolerance; -1 when nothing was compared.
	Worst int
	// GotWorst and WantWorst are the two values at Worst.
	GotWorst, WantWorst float64
}

// class groups element types that may be compared with each other: a
// float32 engine output may be judged against a float64 reference, but a
// bool or integer output only against the same kind.
func class(dt ir.DType) int {
	switch {
	case dt.IsFloat():
		return 1
	case dt.IsInt():
		return 2
	case dt == ir.Bool:
		return 3
	}
	return 0
}

// Compare checks got against want elementwise with the ONNX tolerance
// |got - want| <= atol + rtol*|want|. NaN matches NaN, and an infinity
// matches the same infinity. The shapes must be equal, except that a
// dimension 0 marked ir.Batch on one side is taken as whatever makes the
// element counts agree. The element types must be of one class (floating
// point, integer or bool).
func Compare(got, want *ir.Tensor, rtol, atol float64) Result {
	r := Result{Worst: -1}
	switch {
	case got == nil || want == nil:
		r.Problem = "missing tensor"
		return r
	case class(got.DType) == 0 || class(got.DType) != class(want.DType):
		r.Problem = fmt.Sprintf("element types differ: got %s, want %s", got.DType, want.DType)
		return r
	case !sameShape(got.Shape, want.Shape):
		r.Problem = fmt.Sprintf("shapes differ: got %v, want %v", got.Shape, want.Shape)
		return r
	case got.Len() != want.Len():
		r.Problem = fmt.Sprintf("element counts differ: got %d, want %d", got.Len(), want.Len())
		return r
	}
	r.N = got.Len()
	exact := !got.DType.IsFloat() && !want.DType.IsFloat()
	worst := math.Inf(-1)
	for i := 0; i < r.N; i++ {
		g, w := got.Float(i), want.Float(i)
		var abs, rel, excess float64
		var bad bool
		if exact {
			// Integers and bools must match exactly, compared as
			// integers so that float64 rounding cannot hide a
			// difference.
			if bad = got.Ints[i] != want.Ints[i]; bad {
				abs = math.Max(math.Abs(g-w), 1)
				if w != 0 {
					rel = abs / math.Abs(w)
				}
			}
			excess = abs - 0.5
		} else {
			abs, rel, bad = diff(g, w, rtol, atol)
			excess = abs - (atol + rtol*math.Abs(w))
			if math.IsNaN(g) && math.IsNaN(w) {
				excess = math.Inf(-1)
			}
		}
		r.MaxAbs = math.Max(r.MaxAbs, abs)
		r.MaxRel = math.Max(r.MaxRel, rel)
		if bad {
			r.Mismatches++
		}
		if r.Worst < 0 || excess > worst {
			worst = excess
			r.Worst, r.GotWorst, r.WantWorst = i, g, w
		}
	}
	r.OK = r.Mismatches == 0
	return r
}

// diff returns the absolute and relative errors of g against w and
// whether they exceed the tolerance.
func diff(g, w, rtol, atol float64) (abs, rel float64, bad bool) {
	switch {
	case math.IsNaN(g) && math.IsNaN(w):
		return 0, 0, false
	case math.IsNaN(g) || math.IsNaN(w):
		return math.Inf(1), math.Inf(1), true
	case math.IsInf(g, 0) || math.IsInf(w, 0):
		if g == w {
			return 0, 0, false
		}
		return math.Inf(1), math.Inf(1), true
	}
	abs = math.Abs(g - w)
	if w != 0 {
		rel = abs / math.Abs(w)
	}
	return abs, rel, abs > atol+rtol*math.Abs(w)
}

// sameShape compares shapes, letting an ir.Batch dimension 0 on either
// side match any size (the element counts are compared separately).
func sameShape(a, b ir.Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(i == 0 && (a[i] == ir.Batch || b[i] == ir.Batch)) {
			return false
		}
	}
	return true
}

// String is a one-line summary: "ok  max abs 1.2e-07  max rel 3.4e-06
// (1000 elements)" or "FAIL 3/1000 elements differ ...".
func (r Result) String() string {
	if r.Problem != "" {
		return "FAIL " + r.Problem
	}
	status := "ok  "
	if !r.OK {
		status = fmt.Sprintf("FAIL %d/%d elements differ,", r.Mismatches, r.N)
	}
	s := fmt.Sprintf("%s max abs %.3g  max rel %.3g (%d elements)", status, r.MaxAbs, r.MaxRel, r.N)
	if !r.OK && r.Worst >= 0 {
		s += fmt.Sprintf("; worst at %d: got %.9g, want %.9g", r.Worst, r.GotWorst, r.WantWorst)
	}
	return s
}

// Line formats a per-output report line, for example
//
//	output 0 "prob": ok   max abs 1.19e-07  max rel 2.5e-06 (10 elements)
func Line(index int, name string, r Result) string {
	return fmt.Sprintf("output %d %q: %s", index, name, r)
}
