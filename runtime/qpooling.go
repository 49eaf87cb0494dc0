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

// QAvgPool is AveragePool on uint8 codes: for each window of the NHWC
// image src it sums S = sum (x - InZero) over the window's input
// positions exactly and writes
//
//	dst = saturate(round_half_even(float32(S) * m) + OutZero),  m = float32(InScale / (OutScale * n))
//
// (m computed in float64 and rounded once), where n counts the window's
// input positions or, with countIncludePad, its positions inside the
// padded image as AvgPool does; padding holds the real value 0. A window
// with nothing to count yields OutZero.
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
	q          QRequant
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
	}
}

// qavgMult is the multiplier of an average over n positions.
func qavgMult(q *QRequant, n int) float32 {
	if n == 0 {
		return 0
	}
	return float32(float64(q.InScale) / (float64(q.OutScale) * float64(n)))
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
	c := g.C
	var acc [qpoolBlock]int32
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		nh := kh1 - kh0
		if j.includePad {
			a, b := kRange(oh, g.StrideH, 0, g.DilH, g.KH, g.H+g.PadT+g.PadB)
			nh = b - a
		}
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
			nw := kw1 - kw0
			if j.includePad {
				a, b := kRange(ow, g.StrideW, 0, g.DilW, g.KW, g.W+g.PadL+g.PadR)
				nw = b - a
			}
			valid := int32((kh1 - kh0) * (kw1 - kw0))
			m := qavgMult(&j.q, nh*nw)
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

// QGlobalAvgPool is GlobalAveragePool on uint8 codes: dst[ch] is the
// average of channel ch over the hw pixels of src (hw rows of c codes),
// requantized as QAvgPool does with n = hw.
//
// Contract: hw >= 1; len(src) >= hw*c, len(dst) >= c. It never allocates.
func QGlobalAvgPool(dst, src []uint8, hw, c int, q *QRequant) {
	if hw < 1 {
		panic("runtime.QGlobalAvgPool: hw=" + strconv.Itoa(hw))
	}
	checkLen("QGlobalAvgPool", "src", len(src), hw*c)
	checkLen("QGlobalAvgPool", "dst", len(dst), c)
	m := qavgMult(q, hw)
	var acc [qpoolBlock]int32
	for c0 := 0; c0 < c; c0 += qpoolBlock {
		a := acc[:min(qpoolBlock, c-c0)]
		clear(a)
		for p := 0; p < hw; p++ {
			s := p*c + c0
			sumBytes(a, src[s:s+len(a)])
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
