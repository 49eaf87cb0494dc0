package runtime

import (
	"math"
	"strconv"
	"unsafe"
)

// This file holds the element-wise kernels of quantized graphs: the
// QuantizeLinear and DequantizeLinear conversions, requantization (and so
// Concat of differently quantized inputs) and QLinearAdd/QLinearMul-style
// binary operators.
//
// The conversions and requantization compute exactly what the float QDQ
// graph around them computes in float32 (DequantizeLinear, then
// QuantizeLinear, each rounded to float32 in that order). QAdd and QMul
// round as ONNX Runtime's x86 kernels do instead (see QAdd), which is what
// ONNX Runtime runs for those QDQ patterns too: a quantized model then
// gives its codes bit for bit; so do the average pools (QAvgPool,
// QGlobalAvgPool) and the QLinearSigmoid tables (SigmoidORT). The GEMMs
// and convolutions, whose float counterparts would round their sums in an
// order no kernel reproduces, sum integers exactly and scale once (see
// QEpilogue).

// quantize is QuantizeLinear's saturate(round_half_even(x/scale) + zero)
// for the code range [lo, hi]. NaN gives the zero point (the code of 0).
func quantize(x, scale float32, zero, lo, hi int32) int32 {
	v := float32(x / scale)
	if v != v {
		return zero
	}
	// Clamping before rounding keeps the conversion in range; the bounds
	// are integers, so it commutes with the rounding.
	v = min(max(v, float32(lo-zero)), float32(hi-zero))
	return int32(math.RoundToEven(float64(v))) + zero
}

// quantParams checks the scale and zero-point slices of a conversion of n
// values and returns the channel count (1 per tensor).
func quantParams(fn string, n, scales, zeros int) int {
	if scales == 0 {
		panic("runtime." + fn + ": no scale")
	}
	if zeros > 1 && zeros != scales {
		panic("runtime." + fn + ": " + strconv.Itoa(zeros) + " zero points for " + strconv.Itoa(scales) + " scales")
	}
	if n%scales != 0 {
		panic("runtime." + fn + ": " + strconv.Itoa(n) + " values are not whole rows of " + strconv.Itoa(scales) + " channels")
	}
	return scales
}

// zeroAt returns the zero point of channel c from a nil, one-value or
// per-channel slice.
func zeroAt[T uint8 | int8](z []T, c int) int32 {
	switch len(z) {
	case 0:
		return 0
	case 1:
		return int32(z[0])
	}
	return int32(z[c])
}

// QuantizeU8 is ONNX QuantizeLinear to uint8:
//
//	dst[i] = saturate(round_half_even(src[i] / scale) + zero)
//
// with the division in float32 and rounding to nearest, ties to even, as
// the specification says. scale holds one value (per tensor) or one per
// channel of the last axis (src is then rows of len(scale) values); zero
// is nil (0), one value or one per scale. A NaN quantizes to the zero
// point; infinities saturate.
//
// Contract: len(dst) >= len(src); len(src) is a multiple of len(scale).
// It never allocates.
func QuantizeU8(dst []uint8, src []float32, scale []float32, zero []uint8) {
	c := quantParams("QuantizeU8", len(src), len(scale), len(zero))
	checkLen("QuantizeU8", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	if c == 1 {
		s, z := scale[0], zeroAt(zero, 0)
		i := 0
		if qewISA != isaGo {
			i = len(src) &^ 7
			qquantizeAsm(dst[:i], src[:i], s, z, float32(-z), float32(255-z), false)
		}
		for ; i < len(src); i++ {
			dst[i] = uint8(quantize(src[i], s, z, 0, 255))
		}
		return
	}
	for i, x := range src {
		ch := i % c
		dst[i] = uint8(quantize(x, scale[ch], zeroAt(zero, ch), 0, 255))
	}
}

// QuantizeS8 is QuantizeU8 for int8 codes (saturating to [-128, 127]).
func QuantizeS8(dst []int8, src []float32, scale []float32, zero []int8) {
	c := quantParams("QuantizeS8", len(src), len(scale), len(zero))
	checkLen("QuantizeS8", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	if c == 1 && qewISA != isaGo {
		s, z := scale[0], zeroAt(zero, 0)
		n := len(src) &^ 7
		u := unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(dst))), n)
		qquantizeAsm(u, src[:n], s, z, float32(-128-z), float32(127-z), true)
		for i := n; i < len(src); i++ {
			dst[i] = int8(quantize(src[i], s, z, -128, 127))
		}
		return
	}
	for i, x := range src {
		ch := i % c
		dst[i] = int8(quantize(x, scale[ch], zeroAt(zero, ch), -128, 127))
	}
}

// DequantizeU8 is ONNX DequantizeLinear from uint8: dst[i] =
// float32(src[i] - zero) * scale, with scale and zero as for QuantizeU8.
//
// Contract: len(dst) >= len(src); len(src) is a multiple of len(scale).
// It never allocates.
func DequantizeU8(dst []float32, src []uint8, scale []float32, zero []uint8) {
	c := quantParams("DequantizeU8", len(src), len(scale), len(zero))
	checkLen("DequantizeU8", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	for i, x := range src {
		ch := i % c
		dst[i] = float32(int32(x)-zeroAt(zero, ch)) * scale[ch]
	}
}

// DequantizeS8 is DequantizeU8 from int8 codes.
func DequantizeS8(dst []float32, src []int8, scale []float32, zero []int8) {
	c := quantParams("DequantizeS8", len(src), len(scale), len(zero))
	checkLen("DequantizeS8", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	for i, x := range src {
		ch := i % c
		dst[i] = float32(int32(x)-zeroAt(zero, ch)) * scale[ch]
	}
}

// DequantizeInt32 is DequantizeLinear from int32 (whose zero point ONNX
// requires to be 0): dst[i] = float32(src[i]) * scale, scale as for
// QuantizeU8.
func DequantizeInt32(dst []float32, src []int32, scale []float32) {
	c := quantParams("DequantizeInt32", len(src), len(scale), 0)
	checkLen("DequantizeInt32", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = float32(x) * scale[i%c]
	}
}

// S8ToU8 converts int8 codes to the uint8 codes the quantized kernels
// read: dst[i] = src[i] + 128. An int8 tensor with zero point z is the
// same real tensor as these codes with zero point z + 128 (differences,
// order and the real values are unchanged), so int8 activations run on
// the uint8 kernels; OutS8 and QuantizeS8 produce int8 codes directly where
// a model's outputs need them.
func S8ToU8(dst []uint8, src []int8) {
	checkLen("S8ToU8", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = uint8(x) ^ 0x80
	}
}

// U8ToS8 is the inverse of S8ToU8: dst[i] = src[i] - 128.
func U8ToS8(dst []int8, src []uint8) {
	checkLen("U8ToS8", "dst", len(dst), len(src))
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = int8(x ^ 0x80)
	}
}

// QRequant is a change of quantization, from codes with scale InScale and
// zero point InZero to codes with OutScale and OutZero. Signed says that
// the codes are int8 ones stored as uint8 (see S8ToU8), the zero points
// in that stored form too: QAvgPool then rounds as ONNX Runtime's int8
// kernel does, on the int8 values (the other kernels give the same codes
// either way).
type QRequant struct {
	InScale  float32
	InZero   int32
	OutScale float32
	OutZero  int32
	Signed   bool
}

// same reports whether the change is the identity.
func (q *QRequant) same() bool {
	return q.InScale == q.OutScale && q.InZero == q.OutZero
}

// QRequantize writes the rows x cols uint8 codes of src (rows at stride
// lds) requantized into dst (rows at stride ldd):
//
//	dst = QuantizeLinear(DequantizeLinear(src, InScale, InZero), OutScale, OutZero)
//
// computed in float32 as the QDQ pair is, through a table of the 256
// codes, and a plain copy when the two quantizations are the same. A
// Concat along the channels of NHWC tensors is one call per input, into
// the input's column range of the output (dst at its first column, ldd the
// output's channel count, rows its pixels).
//
// Contract: cols <= lds, cols <= ldd; len(src) >= (rows-1)*lds + cols and
// len(dst) >= (rows-1)*ldd + cols when rows > 0. It never allocates.
func QRequantize(dst []uint8, ldd int, src []uint8, lds int, rows, cols int, q *QRequant) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if cols > lds || cols > ldd {
		panic("runtime.QRequantize: cols=" + strconv.Itoa(cols) + " is more than lds=" + strconv.Itoa(lds) + " or ldd=" + strconv.Itoa(ldd))
	}
	checkLen("QRequantize", "src", len(src), (rows-1)*lds+cols)
	checkLen("QRequantize", "dst", len(dst), (rows-1)*ldd+cols)
	if q.same() {
		if lds == cols && ldd == cols {
			copy(dst[:rows*cols], src)
			return
		}
		for r := 0; r < rows; r++ {
			copy(dst[r*ldd:r*ldd+cols], src[r*lds:r*lds+cols])
		}
		return
	}
	var table [256]uint8
	for x := range table {
		v := float32(float32(int32(x)-q.InZero) * q.InScale)
		table[x] = uint8(quantize(v, q.OutScale, q.OutZero, 0, 255))
	}
	for r := 0; r < rows; r++ {
		d := dst[r*ldd : r*ldd+cols]
		s := src[r*lds : r*lds+cols]
		for i, x := range s {
			d[i] = table[x]
		}
	}
}

// QBinary is the quantization of a binary element-wise operator on uint8
// codes (QLinearAdd, QLinearMul, or Add and Mul between DequantizeLinear
// and QuantizeLinear): the scales and zero points of A, B and the output
// Y, and an optional clamp of the output codes to [Lo, Hi] (a fused Relu
// is Lo = YZero). Swapped says that A and B are the operator's B and A
// (a caller passes the operand of the output's shape first); QAdd's
// rounding depends on the operator's order (see QAdd). Signed says that
// the codes are int8 ones stored as uint8 (see S8ToU8), the zero points
// and the clamp in that stored form too: the kernels then round as ONNX
// Runtime's int8 kernels do, on the int8 values.
type QBinary struct {
	AScale  float32
	AZero   int32
	BScale  float32
	BZero   int32
	YScale  float32
	YZero   int32
	Clamp   bool
	Lo, Hi  int32
	Swapped bool
	Signed  bool
}

// rangeOf returns the output code range [lo, hi] of q.
func (q *QBinary) rangeOf(fn string) (lo, hi int32) {
	lo, hi = 0, 255
	if q.Clamp {
		lo, hi = max(lo, q.Lo), min(hi, q.Hi)
		if lo > hi {
			panic("runtime." + fn + ": clamp range [" + strconv.Itoa(int(q.Lo)) + ", " + strconv.Itoa(int(q.Hi)) + "] is empty")
		}
	}
	return lo, hi
}

// binaryLens checks a binary kernel's slices: b is as long as a, or its
// length divides a's (b repeats, as a per-channel operand of an NHWC
// tensor does).
func binaryLens(fn string, dst, a, b int) {
	checkLen(fn, "dst", dst, a)
	if b == 0 && a > 0 || b > 0 && a%b != 0 {
		panic("runtime." + fn + ": len(b) = " + strconv.Itoa(b) + " does not divide len(a) = " + strconv.Itoa(a))
	}
}

// QAdd is a quantized element-wise addition, QLinearAdd: dst[i] is the
// code of DQ(a[i]) + DQ(b[i % len(b)]) in Y's quantization, clamped to
// [Lo, Hi] if q.Clamp. b may be shorter than a when its length divides
// a's (a broadcast per channel); for a broadcast a, swap the operands and
// their parameters and set Swapped. dst may be a, or b when it is as long
// as a.
//
// The rounding is ONNX Runtime's x86 one (MLAS's AVX2 QLinearAdd kernel,
// which its QDQ transformer also runs for DequantizeLinear -> Add ->
// QuantizeLinear), so that a quantized model gives ONNX Runtime's codes
// bit for bit; ONNX leaves the rounding of QLinearAdd to the runtime, and
// a float evaluation of the QDQ graph may differ from it by one step where
// the sum lies next to a rounding boundary. With ra = AScale/YScale and
// rb = BScale/YScale, every operation in float32 and fma fused:
//
//	F = YZero - fma(ra, AZero, rb*BZero)   (the operator's A and B: swapped if Swapped)
//	dst[i] = saturate(round_half_even(fma(a[i], ra, fma(b[i], rb, F))))
//
// on the codes themselves (int8 values if Signed), the zero points folded
// into F. A sum outside
// the int32 range gives the smallest code, as the conversion ONNX Runtime
// uses does (it needs scale ratios beyond 10^7).
//
// Contract: len(dst) >= len(a); len(b) divides len(a). It never allocates.
func QAdd(dst, a, b []uint8, q *QBinary) {
	binaryLens("QAdd", len(dst), len(a), len(b))
	qbinaryRun(dst[:len(a)], a, b, q, qbinAdd, "QAdd")
}

// QMul is QAdd for multiplication (QLinearMul), with ONNX Runtime's x86
// rounding (MLAS's SSE2 QLinearMul kernel): with R = AScale*BScale/YScale
// in float32,
//
//	dst[i] = saturate(round_half_even(float32((a[i]-AZero)*(b[i]-BZero)) * R + YZero))
//
// the product of the codes exact, the multiplication and the addition
// rounded separately to float32.
func QMul(dst, a, b []uint8, q *QBinary) {
	binaryLens("QMul", len(dst), len(a), len(b))
	qbinaryRun(dst[:len(a)], a, b, q, qbinMul, "QMul")
}

// qbinaryParams returns the float32 parameters of the QAdd or QMul kernel
// (see the asmgen command): ra, rb and F for an addition, R and YZero for
// a multiplication, with the zero points of the int8 values if off = 128
// (Signed).
func qbinaryParams(q *QBinary, op int, off int32) [3]float32 {
	if op == qbinMul {
		return [3]float32{float32(float32(q.AScale*q.BScale) / q.YScale), float32(q.YZero - off), 0}
	}
	ra, rb := float32(q.AScale/q.YScale), float32(q.BScale/q.YScale)
	za, zb := float32(q.AZero-off), float32(q.BZero-off)
	var zsum float32
	if q.Swapped {
		zsum = fma32(rb, zb, float32(ra*za))
	} else {
		zsum = fma32(ra, za, float32(rb*zb))
	}
	return [3]float32{ra, rb, float32(float32(q.YZero-off) - zsum)}
}

// qbinaryRun computes QAdd or QMul on checked slices: whole groups of
// eight codes of each repetition of b in assembly when there is some, the
// rest in Go, with the same float32 operations in the same order.
func qbinaryRun(dst, a, b []uint8, q *QBinary, op int, fn string) {
	lo, hi := q.rangeOf(fn)
	off := int32(0)
	if q.Signed {
		off = 128
	}
	f := qbinaryParams(q, op, off)
	z := [5]int32{q.AZero, q.BZero, lo, hi, off}
	n8 := 0
	if qewISA != isaGo {
		n8 = len(b) &^ 7
	}
	for i0 := 0; i0 < len(a); i0 += len(b) {
		d := dst[i0 : i0+len(b)]
		x := a[i0 : i0+len(b)]
		if n8 > 0 {
			qbinaryAsm(d[:n8], x[:n8], b[:n8], &f, &z, op)
		}
		for i := n8; i < len(b); i++ {
			var v float32
			if op == qbinMul {
				p := float32((int32(x[i]) - q.AZero) * (int32(b[i]) - q.BZero))
				v = float32(float32(p*f[0]) + f[1])
			} else {
				v = fma32(float32(int32(x[i])-off), f[0], fma32(float32(int32(b[i])-off), f[1], f[2]))
			}
			d[i] = uint8(min(max(cvtps2dq(v)+off, lo), hi))
		}
	}
}

// cvtps2dq is x86's conversion of a float32 to int32 in the default
// rounding mode: to nearest, ties to even, and the "integer indefinite"
// value math.MinInt32 for NaN and values out of range.
func cvtps2dq(v float32) int32 {
	if !(v >= -(1<<31) && v < 1<<31) {
		return math.MinInt32
	}
	return int32(math.RoundToEven(float64(v)))
}

// fma32 is the float32 fused multiply-add a*b + c, rounded once, as the
// FMA instructions compute it: the product is exact in float64 and the
// sum is corrected for the double rounding that float64 would add.
func fma32(a, b, c float32) float32 {
	p := float64(float64(a) * float64(b)) // exact (24 + 24 bits); the conversion keeps it unfused
	s := p + float64(c)
	// The rounding error of s (TwoSum), so p + c = s + e exactly.
	bv := s - p
	e := (p - (s - bv)) + (float64(c) - bv)
	r := float32(s)
	if e == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
		return r
	}
	// s is exact but for e; rounding s to float32 is wrong only when s is
	// a tie between two float32 values, which e breaks.
	if rd := float64(r); rd != s {
		other := math.Nextafter32(r, float32(math.Copysign(math.Inf(1), s-rd)))
		if s-rd == float64(other)-s || rd-s == s-float64(other) {
			if e > 0 {
				return float32(math.Nextafter(s, math.Inf(1)))
			}
			return float32(math.Nextafter(s, math.Inf(-1)))
		}
	}
	return r
}
