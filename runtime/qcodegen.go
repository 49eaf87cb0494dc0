package runtime

import (
	"math"
	"unsafe"
)

// This file holds what generated code needs around the quantized kernels:
// views of a Model's float32 arena as the bytes of 8-bit codes and as the
// int32 sums of ConvInteger and MatMulInteger, the decoding of integer
// weights, a lookup table kernel and DynamicQuantizeLinear.
//
// Generated code keeps every value in the one float32 arena of the memory
// plan, in slots of four bytes: an 8-bit tensor at slot off occupies bytes
// 4*off onwards of ArenaBytes(arena), an int32 tensor elements off onwards
// of ArenaInt32s(arena). int8 tensors are stored as uint8 codes plus 128
// (see S8ToU8), the form the kernels read.

// ArenaBytes returns the memory of a (the arena or the kernel scratch of
// a Model) as bytes. It shares a's memory and never allocates.
func ArenaBytes(a []float32) []uint8 {
	if len(a) == 0 {
		return nil
	}
	return unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(a))), 4*len(a))
}

// ArenaInt32s returns the memory of a as int32 values, slot for slot. It
// shares a's memory and never allocates.
func ArenaInt32s(a []float32) []int32 {
	if len(a) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(a))), len(a))
}

// Int8s decodes n int8 weights that generated code stores four to a
// float32 slot of its weights file: the slots' bit patterns, little-endian,
// are the bytes. It allocates and is meant to run once, at initialization.
func Int8s(slots []float32, n int) []int8 {
	b := Uint8s(slots, n)
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// Uint8s is Int8s for uint8 values.
func Uint8s(slots []float32, n int) []uint8 {
	checkLen("Uint8s", "slots", len(slots), (n+3)/4)
	out := make([]uint8, n)
	for i := range out {
		out[i] = uint8(math.Float32bits(slots[i/4]) >> (8 * (i % 4)))
	}
	return out
}

// Int32Bits decodes int32 values that generated code stores one to a
// float32 slot, as the slot's bit pattern (quantized biases). It allocates
// and is meant for initialization.
func Int32Bits(slots []float32) []int32 {
	out := make([]int32, len(slots))
	for i, v := range slots {
		out[i] = int32(math.Float32bits(v))
	}
	return out
}

// QLookup maps 8-bit codes through a table: dst[i] = table[src[i]]. Any
// element-wise function of one quantized tensor is such a table (an
// activation between DequantizeLinear and QuantizeLinear, a change of
// quantization); cnnc computes it at compile time.
//
// Contract: len(dst) >= len(src). It never allocates.
func QLookup(dst, src []uint8, table *[256]uint8) {
	checkLen("QLookup", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	if n := len(src) &^ 31; n > 0 && qewISA != isaGo {
		qlookupAsm(dst[:n], src[:n], table)
		dst, src = dst[n:], src[n:]
	}
	for i, x := range src {
		dst[i] = table[x]
	}
}

// DynamicQuantizeU8 is ONNX DynamicQuantizeLinear: it computes the scale
// (max - min)/255 of src's range extended to include 0 (1 when that range
// is empty), the zero point round_half_even(saturate(0 - min/scale)), and
// quantizes src with them into dst, all in float32 as the specification
// writes it. It stores the scale in scale[0] and the zero point in
// zero[0]. NaNs and infinities, which have no range, are left out of it
// (ONNX leaves them undefined; NaN then quantizes to the zero point).
//
// Contract: len(dst) >= len(src), len(scale) >= 1, len(zero) >= 1. It
// never allocates.
func DynamicQuantizeU8(dst []uint8, scale []float32, zero []uint8, src []float32) {
	checkLen("DynamicQuantizeU8", "dst", len(dst), len(src))
	checkLen("DynamicQuantizeU8", "scale", len(scale), 1)
	checkLen("DynamicQuantizeU8", "zero", len(zero), 1)
	var mx, mn float32
	for _, v := range src {
		if v-v != 0 { // NaN or an infinity
			continue
		}
		mx, mn = max(mx, v), min(mn, v)
	}
	s := float32(1)
	if mx != mn {
		s = float32(mx-mn) / 255
	}
	izp := float32(0 - float32(mn/s))
	z := int32(math.RoundToEven(float64(min(max(izp, 0), 255))))
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = uint8(quantize(v, s, z, 0, 255))
	}
	scale[0], zero[0] = s, uint8(z)
}

// QRequantScalar is the store step of one 8-bit output of generated
// code's direct loops (integer convolutions and matrix products whose
// weights or parameters are computed at run time): the stored code
// clamp(round_half_even(float32(acc) * mult) + zero, lo, hi), as a
// QEpilogue's store step computes it (mult is QScale's).
func QRequantScalar(acc int32, mult float32, zero, lo, hi int32) uint8 {
	v := float32(float32(acc) * mult)
	loF, hiF := float32(lo-zero), float32(hi-zero)
	if !(v >= loF) {
		v = loF
	}
	if v > hiF {
		v = hiF
	}
	return uint8(int32(math.RoundToEven(float64(v))) + zero)
}
