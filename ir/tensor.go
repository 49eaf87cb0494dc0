package ir

import (
	"fmt"
	"math"
)

// Tensor is a constant: a weight, an initializer, or the result of constant
// folding. Floating-point elements are held as float64 so that folding
// (BatchNorm into Conv, say) loses nothing before the code generator rounds
// to float32; integer and bool elements are held as int64 (bool as 0/1).
// Exactly one of Floats and Ints is used, chosen by DType.
type Tensor struct {
	DType  DType
	Shape  Shape
	Floats []float64
	Ints   []int64
}

// NewFloatTensor returns a float tensor of type dt holding data.
func NewFloatTensor(dt DType, shape Shape, data []float64) *Tensor {
	return &Tensor{DType: dt, Shape: shape, Floats: data}
}

// NewIntTensor returns an integer or bool tensor of type dt holding data.
func NewIntTensor(dt DType, shape Shape, data []int64) *Tensor {
	return &Tensor{DType: dt, Shape: shape, Ints: data}
}

// Zeros returns a zero tensor of the given type and static shape.
func Zeros(dt DType, shape Shape) *Tensor {
	n := shape.NumElements(1)
	if dt.IsFloat() {
		return &Tensor{DType: dt, Shape: shape.Clone(), Floats: make([]float64, n)}
	}
	return &Tensor{DType: dt, Shape: shape.Clone(), Ints: make([]int64, n)}
}

// Len is the number of elements.
func (t *Tensor) Len() int {
	if t.DType.IsFloat() {
		return len(t.Floats)
	}
	return len(t.Ints)
}

// Float returns element i as a float64, whatever the element type.
func (t *Tensor) Float(i int) float64 {
	if t.DType.IsFloat() {
		return t.Floats[i]
	}
	return float64(t.Ints[i])
}

// Int returns element i as an int64, truncating floats toward zero.
func (t *Tensor) Int(i int) int64 {
	if t.DType.IsFloat() {
		return int64(t.Floats[i])
	}
	return t.Ints[i]
}

// Type returns the tensor's type with LayoutAny.
func (t *Tensor) Type() Type { return Type{DType: t.DType, Shape: t.Shape} }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: t.Shape.Clone()}
	if t.Floats != nil {
		c.Floats = append([]float64(nil), t.Floats...)
	}
	if t.Ints != nil {
		c.Ints = append([]int64(nil), t.Ints...)
	}
	return c
}

// Check verifies that the element count matches the shape and that the
// storage matches the element type.
func (t *Tensor) Check() error {
	if !t.Shape.Static() {
		return fmt.Errorf("constant of shape %v has an unknown dimension", t.Shape)
	}
	want := t.Shape.NumElements(1)
	if t.DType.IsFloat() {
		if len(t.Floats) != want || t.Ints != nil {
			return fmt.Errorf("%s constant of shape %v holds %d float elements, want %d", t.DType, t.Shape, len(t.Floats), want)
		}
		return nil
	}
	if t.DType == Invalid {
		return fmt.Errorf("constant has no element type")
	}
	if len(t.Ints) != want || t.Floats != nil {
		return fmt.Errorf("%s constant of shape %v holds %d integer elements, want %d", t.DType, t.Shape, len(t.Ints), want)
	}
	return nil
}

// RoundToType rounds every float element to the precision of t's type
// (float32 or float16) and wraps every integer element to the width of t's
// type, so that a constant computed in float64 or int64 holds exactly what
// the declared type can.
func (t *Tensor) RoundToType() {
	switch t.DType {
	case Float32:
		for i, v := range t.Floats {
			t.Floats[i] = float64(float32(v))
		}
	case Float16:
		for i, v := range t.Floats {
			t.Floats[i] = RoundFloat16(v)
		}
	default:
		for i, v := range t.Ints {
			t.Ints[i] = WrapInt(t.DType, v)
		}
	}
}

// WrapInt converts v to the integer type dt the way a C cast does
// (two's-complement wrap-around); for Bool it returns 0 or 1.
func WrapInt(dt DType, v int64) int64 {
	switch dt {
	case Int8:
		return int64(int8(v))
	case Int16:
		return int64(int16(v))
	case Int32:
		return int64(int32(v))
	case Uint8:
		return int64(uint8(v))
	case Uint16:
		return int64(uint16(v))
	case Uint32:
		return int64(uint32(v))
	case Bool:
		if v != 0 {
			return 1
		}
		return 0
	}
	return v
}

// RoundFloat16 rounds v to the nearest IEEE half-precision value (ties to
// even), returning it as a float64.
func RoundFloat16(v float64) float64 {
	return Float16ToFloat(FloatToFloat16(float32(v)))
}

// Float16ToFloat decodes an IEEE 754 half-precision bit pattern.
func Float16ToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * frac * math.Pow(2, -24)
	case 0x1f:
		if frac == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * (1 + frac/1024) * math.Pow(2, float64(exp-15))
}

// FloatToFloat16 encodes f as IEEE 754 half precision, rounding to nearest
// even.
func FloatToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff:
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15:
		return sign | 0x7c00
	case exp-127 >= -14:
		// Normal half: keep 10 mantissa bits, round to nearest even.
		e := uint32(exp - 127 + 15)
		m := mant >> 13
		rest := mant & 0x1fff
		h := uint32(sign) | e<<10 | m
		if rest > 0x1000 || (rest == 0x1000 && m&1 == 1) {
			h++ // may carry into the exponent, which is still right
		}
		return uint16(h)
	case exp-127 >= -25:
		// Subnormal half.
		m := mant | 0x800000
		shift := uint32(-(exp - 127) - 14 + 13)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}
