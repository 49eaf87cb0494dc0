package runtime

import (
	"math"
	"strconv"
)

// QMaxPool is MaxPool on uint8 codes: the maximum code of each window of
// the NHWC image src goes to dst, OH*OW rows of C channels. A monotone
// quantization preserves order, so this is the float MaxPool of the
// dequantized image whenever input and output share their scale and zero
// point, as in a QDQ graph. Padding never wins; a window entirely in the
// padding yields 0, the quantization of MaxPool's -Inf.
//
// Contract: g passes Check; len(src) >= g.InLen(); len(dst) >=
// g.OutPixels()*C. It never allocates.
func QMaxPool(dst, src []uint8, g *Window) {
	var j qplJob
	j.init("QMaxPool", dst, src, g, false, false, nil)
	j.run(0, g.OH)
}

// QAvgPool is AveragePool on uint8 codes (com.microsoft
// QLinearAveragePool), computed as ONNX Runtime's kernel does so that a
// quantized model gives its codes (the operator's definition leaves the
// rounding open): every code of the NHWC image src is dequantized in
// float32, d = (x - InZero) * InScale, each window's values are summed in
// float32 in row-major kernel order, and
//
//	dst = saturate(round_half_even(float32(sum / n) / OutScale + OutZero))
//
// each operation rounded to float32 and the zero point added before the
// rounding (on the int8 values if q.Signed). A value outside the int32
// range, or the 0/0 of a window without a tap inside the image when
// countIncludePad is false, gives the smallest code (the x86 conversion's,
// as in ONNX Runtime). n counts the window's taps inside the image or,
// with countIncludePad, all KH*KW of them, even where a ceil_mode window
// passes the end pad; padding holds the real value 0. A window as large as
// the image without padding is a global pool instead, which ONNX Runtime
// computes on integers: see QGlobalAvgPool.
//
// Contract: g passes Check; len(src) >= g.InLen(); len(dst) >=
// g.OutPixels()*C. It never allocates.
func QAvgPool(dst, src []uint8, g *Window, countIncludePad bool, q *QRequant) {
	var j qplJob
	j.init("QAvgPool", dst, src, g, true, countIncludePad, q)
	j.run(0, g.OH)
}

// qplJob is a checked QMaxPool or QAvgPool call, or a worker's share.
type qplJob struct {
	dst, src   []uint8
	g          Window
	avg        bool
	includePad bool
	// global says that the average pool is a global one (see QAvgPool).
	global bool
	q      QRequant
}

func (j *qplJob) init(fn string, dst, src []uint8, g *Window, avg, includePad bool, q *QRequant) {
	checkLen(fn, "src", len(src), g.InLen())
	checkLen(fn, "dst", len(dst), g.OutPixels()*g.C)
	*j = qplJob{dst: dst, src: src, g: *g, avg: avg, includePad: includePad}
	if avg {
		if q == nil {
			panic("runtime." + fn + ": nil QRequant")
		}
		j.q = *q
		j.global = g.KH == g.H && g.KW == g.W && g.PadT == 0 && g.PadB == 0 && g.PadL == 0 && g.PadR == 0
	}
}

// qglobalMult is the multiplier of a global average over n positions,
// InScale / (OutScale * n), each operation rounded to float32 as ONNX
// Runtime computes it.
func qglobalMult(q *QRequant, n int) float32 {
	return float32(q.InScale / float32(q.OutScale*float32(n)))
}

// qpoolBlock is how many channels the average pools sum at a time.
const qpoolBlock = 256

// run computes output rows [oh0, oh1).
func (j *qplJob) run(oh0, oh1 int) {
	g := &j.g
	if !j.avg && qewISA != isaGo && g.C >= 16 && g.KH*g.KW <= maxPoolTaps {
		j.maxAsm(oh0, oh1)
		return
	}
	if j.avg && !j.global {
		j.avgFloat(oh0, oh1)
		return
	}
	c := g.C
	var acc [qpoolBlock]int32
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		for ow := 0; ow < g.OW; ow++ {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			p := (oh*g.OW + ow) * c
			out := j.dst[p : p+c]
			if !j.avg {
				clear(out)
				for kh := kh0; kh < kh1; kh++ {
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					for kw := kw0; kw < kw1; kw++ {
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						s := (ih*g.W + iw) * c
						maxBytes(out, j.src[s:s+c])
					}
				}
				continue
			}
			// A global pool: the whole image, every tap inside.
			valid := int32((kh1 - kh0) * (kw1 - kw0))
			m := qglobalMult(&j.q, int(valid))
			for c0 := 0; c0 < c; c0 += qpoolBlock {
				a := acc[:min(qpoolBlock, c-c0)]
				clear(a)
				for kh := kh0; kh < kh1; kh++ {
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					for kw := kw0; kw < kw1; kw++ {
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						s := (ih*g.W+iw)*c + c0
						sumBytes(a, j.src[s:s+len(a)])
					}
				}
				requantSums(out[c0:c0+len(a)], a, valid*j.q.InZero, m, j.q.OutZero)
			}
		}
	}
}

// avgFloat computes output rows [oh0, oh1) of a QAvgPool that is not a
// global pool, in float32 as QAvgPool says.
func (j *qplJob) avgFloat(oh0, oh1 int) {
	g := &j.g
	c := g.C
	var deq [256]float32
	for x := range deq {
		deq[x] = float32(int32(x)-j.q.InZero) * j.q.InScale
	}
	var acc [qpoolBlock]float32
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		for ow := 0; ow < g.OW; ow++ {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			n := (kh1 - kh0) * (kw1 - kw0)
			if j.includePad {
				n = g.KH * g.KW
			}
			p := (oh*g.OW + ow) * c
			out := j.dst[p : p+c]
			for c0 := 0; c0 < c; c0 += qpoolBlock {
				a := acc[:min(qpoolBlock, c-c0)]
				clear(a)
				for kh := kh0; kh < kh1; kh++ {
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					for kw := kw0; kw < kw1; kw++ {
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						s := (ih*g.W+iw)*c + c0
						sumDequantized(a, j.src[s:s+len(a)], &deq)
					}
				}
				requantMeans(out[c0:c0+len(a)], a, float32(n), &j.q)
			}
		}
	}
}

// sumDequantized adds deq[in[i]] to acc[i], rounding to float32.
func sumDequantized(acc []float32, in []uint8, deq *[256]float32) {
	in = in[:len(acc)]
	for i, v := range in {
		acc[i] = float32(acc[i] + deq[v])
	}
}

// requantMeans writes the codes of the means sum[i] / n to out, each
// saturate(round_half_even(float32(sum[i] / n) / OutScale + OutZero)) in
// float32, on the int8 values if q.Signed, as QAvgPool says.
func requantMeans(out []uint8, sum []float32, n float32, q *QRequant) {
	sum = sum[:len(out)]
	off := int32(0)
	if q.Signed {
		off = 128
	}
	zero := float32(q.OutZero - off)
	for i, s := range sum {
		v := float32(float32(float32(s/n)/q.OutScale) + zero)
		out[i] = uint8(min(max(cvtps2dq(v), -off), 255-off) + off)
	}
}

// maxAsm computes output rows [oh0, oh1) of QMaxPool in assembly, as
// MaxPool does: one call for the interior run of each row, whose pixels
// share a table of taps, and one per border pixel.
func (j *qplJob) maxAsm(oh0, oh1 int) {
	g := &j.g
	c := g.C
	owLo, owHi := interiorCols(g)
	var table [maxPoolTaps]int
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
		for ow := 0; ow < g.OW; {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			n := 1
			if ow == owLo && owHi > owLo {
				n = owHi - owLo
			}
			p := (oh*g.OW + ow) * c
			out := j.dst[p : p+n*c]
			if kh0 == kh1 || kw0 == kw1 {
				clear(out) // the window lies in the padding
				ow += n
				continue
			}
			taps := table[:0]
			for kh := kh0; kh < kh1; kh++ {
				for kw := kw0; kw < kw1; kw++ {
					taps = append(taps, ((kh-kh0)*g.DilH*g.W+(kw-kw0)*g.DilW)*c)
				}
			}
			base := (ih0*g.W + ow*g.StrideW - g.PadL + kw0*g.DilW) * c
			// The last pixel's last tap is inside the image, which the
			// slice expression checks once for the whole call.
			in := j.src[base : base+(n-1)*g.StrideW*c+taps[len(taps)-1]+c]
			qmaxPoolAsm(n, out, c, in, g.StrideW*c, taps, c)
			ow += n
		}
	}
}

// maxBytes sets out[i] = max(out[i], in[i]).
func maxBytes(out, in []uint8) {
	in = in[:len(out)]
	for i, v := range in {
		out[i] = max(out[i], v)
	}
}

// sumBytes adds in[i] to acc[i].
func sumBytes(acc []int32, in []uint8) {
	in = in[:len(acc)]
	for i, v := range in {
		acc[i] += int32(v)
	}
}

// requantSums writes saturate(round_half_even(float32(acc[i] - sub) * m) +
// zero) to out as uint8 codes.
func requantSums(out []uint8, acc []int32, sub int32, m float32, zero int32) {
	acc = acc[:len(out)]
	lo, hi := float32(-zero), float32(255-zero)
	for i, s := range acc {
		v := float32(s-sub) * m
		v = min(max(v, lo), hi)
		out[i] = uint8(roundEven32(v) + zero)
	}
}

// roundEven32 rounds v, a float32 in int32 range, to nearest, ties to even.
func roundEven32(v float32) int32 {
	return int32(math.RoundToEven(float64(v)))
}

// QGlobalAvgPool is GlobalAveragePool on uint8 codes (com.microsoft
// QLinearGlobalAveragePool): dst[ch] is the average of channel ch over the
// hw pixels of src (hw rows of c codes), computed as ONNX Runtime's kernel
// (MLAS) does: S = sum (x - InZero) exactly, then
//
//	dst = saturate(round_half_even(float32(S) * m) + OutZero),  m = InScale / (OutScale * hw)
//
// with m's operations each rounded to float32 and the zero point added
// after the rounding (which makes ties go another way than QAvgPool's).
//
// Contract: hw >= 1; len(src) >= hw*c, len(dst) >= c. It never allocates.
func QGlobalAvgPool(dst, src []uint8, hw, c int, q *QRequant) {
	if hw < 1 {
		panic("runtime.QGlobalAvgPool: hw=" + strconv.Itoa(hw))
	}
	checkLen("QGlobalAvgPool", "src", len(src), hw*c)
	checkLen("QGlobalAvgPool", "dst", len(dst), c)
	m := qglobalMult(q, hw)
	var acc [qpoolBlock]int32
	for c0 := 0; c0 < c; c0 += qpoolBlock {
		a := acc[:min(qpoolBlock, c-c0)]
		clear(a)
		cv := 0 // the channels the assembly sums (integer sums: any order gives the same)
		if qewISA != isaGo {
			cv = len(a) &^ 7
			if cv > 0 {
				qsumRowsAsm(a[:cv], src[c0:(hw-1)*c+c0+cv], c, hw)
			}
		}
		if cv < len(a) {
			for p := 0; p < hw; p++ {
				s := p*c + c0
				sumBytes(a[cv:], src[s+cv:s+len(a)])
			}
		}
		requantSums(dst[c0:c0+len(a)], a, int32(hw)*q.InZero, m, q.OutZero)
	}
}

// QGlobalMaxPool is GlobalMaxPool on uint8 codes: dst[ch] is the largest
// code of channel ch over the hw pixels of src.
//
// Contract: len(src) >= hw*c, len(dst) >= c. It never allocates.
func QGlobalMaxPool(dst, src []uint8, hw, c int) {
	checkLen("QGlobalMaxPool", "src", len(src), hw*c)
	checkLen("QGlobalMaxPool", "dst", len(dst), c)
	out := dst[:c]
	clear(out)
	for p := 0; p < hw; p++ {
		maxBytes(out, src[p*c:p*c+c])
	}
}
