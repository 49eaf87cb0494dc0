// Package ir holds cnnc's intermediate representation: a graph of typed
// operations over tensor values.
//
// Every frontend (the Keras-like DSL, ONNX) builds an ir.Graph; every pass
// rewrites one; the code generator and the reference evaluator read one. An
// operation is a Go struct with typed fields (Conv{Kernel, Strides, Pads,
// ...}), not a map of attribute names, and each op type declares its shape
// rule next to its definition (the Infer method of the Op interface).
//
// Shapes are static except the batch dimension: dimension 0 of a value may be
// Batch, which stands for a size chosen at run time.
//
// An op's fields mean exactly what they hold: there are no hidden defaults,
// so Gemm{} multiplies by Alpha 0 and ShapeOf{} takes no dimensions. A
// frontend writes the source format's defaults (ONNX Gemm's alpha 1,
// LeakyRelu's 0.01, Shape's end as the input's rank when none is given)
// explicitly. The exceptions are the slice fields of window and axis
// attributes, where nil means the obvious default (strides 1, no pads, all
// axes), documented on each field.
//
// The package imports only the standard library, so that anything may
// depend on it.
package ir

import (
	"fmt"
	"strconv"
	"strings"
)

// DType is the element type of a tensor.
type DType uint8

// The element types cnnc knows. Only Float32 reaches generated code; the
// others appear in shape computations, in tests and in the reference
// evaluator.
const (
	Invalid DType = iota
	Float32
	Float64
	Float16
	Int8
	Int16
	Int32
	Int64
	Uint8
	Uint16
	Uint32
	Uint64
	Bool
)

var dtypeNames = [...]string{
	Invalid: "invalid",
	Float32: "f32",
	Float64: "f64",
	Float16: "f16",
	Int8:    "i8",
	Int16:   "i16",
	Int32:   "i32",
	Int64:   "i64",
	Uint8:   "u8",
	Uint16:  "u16",
	Uint32:  "u32",
	Uint64:  "u64",
	Bool:    "bool",
}

// String returns the short name used in dumps: f32, i64, bool, ...
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return "dtype(" + strconv.Itoa(int(d)) + ")"
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 || d == Float16 }

// IsInt reports whether d is an integer type (bool excluded).
func (d DType) IsInt() bool { return d >= Int8 && d <= Uint64 }

// Size is the storage size of one element in bytes.
func (d DType) Size() int {
	switch d {
	case Float64, Int64, Uint64:
		return 8
	case Float32, Int32, Uint32:
		return 4
	case Float16, Int16, Uint16:
		return 2
	case Int8, Uint8, Bool:
		return 1
	}
	return 0
}

// Batch marks the symbolic batch dimension in a Shape. It may appear only as
// dimension 0.
const Batch = -1

// Shape is a tensor shape in memory order. Dimension 0 may be Batch.
type Shape []int

// Rank is the number of dimensions.
func (s Shape) Rank() int { return len(s) }

// Static reports whether every dimension is known.
func (s Shape) Static() bool {
	for _, d := range s {
		if d < 0 {
			return false
		}
	}
	return true
}

// NumElements is the element count with the batch dimension taken as
// batch; it is 1 for a scalar.
func (s Shape) NumElements(batch int) int {
	n := 1
	for _, d := range s {
		if d == Batch {
			d = batch
		}
		n *= d
	}
	return n
}

// PerBatch is the element count of one batch item: the product of all
// dimensions except a symbolic dimension 0.
func (s Shape) PerBatch() int { return s.NumElements(1) }

// Equal reports whether two shapes are identical, Batch included.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy that shares no memory with s.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

// String prints the shape as [N,3,224,224], with N for the batch dimension.
func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		if d == Batch {
			b.WriteByte('N')
		} else {
			b.WriteString(strconv.Itoa(d))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// Keras prints the shape the way Keras' model.summary() does:
// (None, 26, 26, 32).
func (s Shape) Keras() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d == Batch {
			parts[i] = "None"
		} else {
			parts[i] = strconv.Itoa(d)
		}
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Layout says how the dimensions of a rank-4 (or rank-3/5) activation map
// onto batch, channel and spatial axes. Values that are not images have
// LayoutAny.
type Layout uint8

// The layouts. NCHW is ONNX's, NHWC is Keras' and the generated code's.
const (
	LayoutAny Layout = iota
	NCHW
	NHWC
)

// String returns "NCHW", "NHWC" or "any".
func (l Layout) String() string {
	switch l {
	case NCHW:
		return "NCHW"
	case NHWC:
		return "NHWC"
	}
	return "any"
}

// ChannelAxis returns the channel axis of a rank-r tensor in layout l.
func (l Layout) ChannelAxis(rank int) int {
	if l == NHWC {
		return rank - 1
	}
	return 1
}

// SpatialAxes returns the spatial axes of a rank-r tensor in layout l.
func (l Layout) SpatialAxes(rank int) []int {
	axes := make([]int, 0, rank-2)
	if l == NHWC {
		for i := 1; i < rank-1; i++ {
			axes = append(axes, i)
		}
	} else {
		for i := 2; i < rank; i++ {
			axes = append(axes, i)
		}
	}
	return axes
}

// Type is what shape inference knows of a value: element type, shape and
// layout.
type Type struct {
	DType  DType
	Shape  Shape
	Layout Layout
}

// String prints the type as f32[N,28,28,1], with the layout appended when
// it is not LayoutAny.
func (t Type) String() string {
	s := t.DType.String() + t.Shape.String()
	if t.Layout != LayoutAny {
		s += " " + t.Layout.String()
	}
	return s
}

// Known reports whether the type has been set (by a frontend or by shape
// inference).
func (t Type) Known() bool { return t.DType != Invalid }

// ShapeError is a shape-rule failure; it carries the offending shapes so
// that the message can name both.
type ShapeError struct {
	Op     string
	Inputs []Shape
	Msg    string
}

// Error formats the failure as "Op: Msg (input shapes [2,3], [4,5])".
func (e *ShapeError) Error() string {
	parts := make([]string, len(e.Inputs))
	for i, s := range e.Inputs {
		parts[i] = s.String()
	}
	return fmt.Sprintf("%s: %s (input shapes %s)", e.Op, e.Msg, strings.Join(parts, ", "))
}

func shapeErr(op string, in []Type, format string, args ...any) error {
	shapes := make([]Shape, 0, len(in))
	for _, t := range in {
		if t.Known() {
			shapes = append(shapes, t.Shape)
		}
	}
	return &ShapeError{Op: op, Inputs: shapes, Msg: fmt.Sprintf(format, args...)}
}
