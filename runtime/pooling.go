package runtime

import (
	"math"
	"strconv"
)

// MaxPool writes the maximum of each window of the NHWC image src into dst,
// OH*OW rows of C channels. Padding counts as -Inf, so it never wins; a
// window that lies entirely in the padding yields -Inf. A NaN in a window
// makes its result NaN.
//
// Contract: g passes Check; len(src) >= g.InLen(); len(dst) >=
// g.OutPixels()*C. It never allocates.
func MaxPool(dst, src []float32, g *Window) {
	MaxPoolStrided(dst, g.C, src, g)
}

// MaxPoolStrided is MaxPool writing its rows of C channels at stride ldd
// >= C into dst (a column range of a wider tensor: the branch of a Concat
// written in place), leaving the rest of each row alone.
//
// Contract: as MaxPool, with len(dst) >= (OH*OW-1)*ldd + C.
func MaxPoolStrided(dst []float32, ldd int, src []float32, g *Window) {
	var j plJob
	j.init("MaxPool", dst, ldd, src, g, false, false)
	j.run(0, g.OH)
}

// AvgPool writes the mean of each window of the NHWC image src into dst,
// OH*OW rows of C channels. With countIncludePad the divisor counts the
// window's positions inside the padded image (input plus PadT/PadL/PadB/PadR,
// as ONNX count_include_pad=1 does, so ceil-mode windows that hang past the
// padding are not charged for it); otherwise only the input positions. A
// window with nothing to count yields 0.
//
// Contract: g passes Check; len(src) >= g.InLen(); len(dst) >=
// g.OutPixels()*C. It never allocates.
func AvgPool(dst, src []float32, g *Window, countIncludePad bool) {
	AvgPoolStrided(dst, g.C, src, g, countIncludePad)
}

// AvgPoolStrided is AvgPool writing its rows at stride ldd >= C, as
// MaxPoolStrided does.
func AvgPoolStrided(dst []float32, ldd int, src []float32, g *Window, countIncludePad bool) {
	var j plJob
	j.init("AvgPool", dst, ldd, src, g, true, countIncludePad)
	j.run(0, g.OH)
}

// plJob is a checked MaxPool or AvgPool call, or a worker's share of one.
type plJob struct {
	dst, src   []float32
	ldd        int
	g          Window
	avg        bool
	includePad bool
}

func (j *plJob) init(fn string, dst []float32, ldd int, src []float32, g *Window, avg, includePad bool) {
	if ldd < g.C {
		panic("runtime." + fn + ": ldd=" + strconv.Itoa(ldd) + " is smaller than C=" + strconv.Itoa(g.C))
	}
	checkLen(fn, "src", len(src), g.InLen())
	checkLen(fn, "dst", len(dst), (g.OutPixels()-1)*ldd+g.C)
	*j = plJob{dst: dst, ldd: ldd, src: src, g: *g, avg: avg, includePad: includePad}
}

// maxPoolTaps bounds the window size the assembly takes: its table of tap
// offsets lives on the stack. Larger windows, as big as a whole feature
// map, are better served by GlobalMaxPool and GlobalAvgPool anyway.
const maxPoolTaps = 256

// run computes output rows [oh0, oh1).
//
// With assembly, every pixel goes to the kernel with a table of the taps
// that fall inside the image: one call for the interior run of each row,
// whose pixels share a table (and a divisor), and one per border pixel.
func (j *plJob) run(oh0, oh1 int) {
	g := &j.g
	if poolISA == isaGo || g.KH*g.KW > maxPoolTaps {
		for oh := oh0; oh < oh1; oh++ {
			if j.avg {
				avgPoolRow(j.dst, j.ldd, j.src, g, j.includePad, oh)
			} else {
				maxPoolRow(j.dst, j.ldd, j.src, g, oh)
			}
		}
		return
	}
	c := g.C
	// Interior columns: every kw tap inside the image.
	owLo, owHi := interiorCols(g)
	var table [maxPoolTaps]int
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		nh := kh1 - kh0
		if j.includePad {
			a, b := kRange(oh, g.StrideH, 0, g.DilH, g.KH, g.H+g.PadT+g.PadB)
			nh = b - a
		}
		ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
		for ow := 0; ow < g.OW; {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			n := 1
			if ow == owLo && owHi > owLo {
				n = owHi - owLo
			}
			p := (oh*g.OW + ow) * j.ldd
			out := j.dst[p : p+(n-1)*j.ldd+c]
			if kh0 == kh1 || kw0 == kw1 {
				// The window lies in the padding.
				fill := float32(math.Inf(-1))
				if j.avg {
					fill = 0
				}
				for px := 0; px < n; px++ {
					row := out[px*j.ldd : px*j.ldd+c]
					for i := range row {
						row[i] = fill
					}
				}
				ow += n
				continue
			}
			// Taps relative to the input pixel (ih0, first valid column).
			taps := table[:0]
			for kh := kh0; kh < kh1; kh++ {
				for kw := kw0; kw < kw1; kw++ {
					taps = append(taps, 4*((kh-kh0)*g.DilH*g.W+(kw-kw0)*g.DilW)*c)
				}
			}
			base := (ih0*g.W + ow*g.StrideW - g.PadL + kw0*g.DilW) * c
			// The last pixel's last tap is inside the image, which the
			// slice expression checks once for the whole call.
			in := j.src[base : base+(n-1)*g.StrideW*c+taps[len(taps)-1]/4+c]
			var scale float32
			if j.avg {
				nw := kw1 - kw0
				if j.includePad {
					a, b := kRange(ow, g.StrideW, 0, g.DilW, g.KW, g.W+g.PadL+g.PadR)
					nw = b - a
				}
				scale = 1 / float32(nh*nw)
			}
			poolAsm(j.avg, n, out, j.ldd, in, g.StrideW*c, taps, c, scale)
			ow += n
		}
	}
}

// maxPoolRow computes output row oh of MaxPool in Go.
func maxPoolRow(dst []float32, ldd int, src []float32, g *Window, oh int) {
	c := g.C
	negInf := float32(math.Inf(-1))
	kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
	for ow := 0; ow < g.OW; ow++ {
		kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
		p := (oh*g.OW + ow) * ldd
		out := dst[p : p+c]
		for i := range out {
			out[i] = negInf
		}
		for kh := kh0; kh < kh1; kh++ {
			ih := oh*g.StrideH - g.PadT + kh*g.DilH
			for kw := kw0; kw < kw1; kw++ {
				iw := ow*g.StrideW - g.PadL + kw*g.DilW
				s := (ih*g.W + iw) * c
				in := src[s : s+c]
				in = in[:len(out)]
				for i, v := range in {
					// The builtin max is branch-free and, as ONNX
					// wants, lets a NaN through from either side.
					out[i] = max(out[i], v)
				}
			}
		}
	}
}

// avgPoolRow computes output row oh of AvgPool in Go.
func avgPoolRow(dst []float32, ldd int, src []float32, g *Window, countIncludePad bool, oh int) {
	c := g.C
	kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
	nh := kh1 - kh0
	if countIncludePad {
		a, b := kRange(oh, g.StrideH, 0, g.DilH, g.KH, g.H+g.PadT+g.PadB)
		nh = b - a
	}
	for ow := 0; ow < g.OW; ow++ {
		kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
		nw := kw1 - kw0
		if countIncludePad {
			a, b := kRange(ow, g.StrideW, 0, g.DilW, g.KW, g.W+g.PadL+g.PadR)
			nw = b - a
		}
		p := (oh*g.OW + ow) * ldd
		out := dst[p : p+c]
		clear(out)
		for kh := kh0; kh < kh1; kh++ {
			ih := oh*g.StrideH - g.PadT + kh*g.DilH
			for kw := kw0; kw < kw1; kw++ {
				iw := ow*g.StrideW - g.PadL + kw*g.DilW
				s := (ih*g.W + iw) * c
				in := src[s : s+c]
				in = in[:len(out)]
				for i, v := range in {
					out[i] += v
				}
			}
		}
		if n := nh * nw; n > 0 {
			scale := 1 / float32(n)
			for i := range out {
				out[i] *= scale
			}
		}
	}
}

// GlobalAvgPool writes the mean over the hw pixels of one NHWC image
// (hw rows of c values) into dst[0:c].
//
// Contract: len(src) >= hw*c, len(dst) >= c, hw >= 1. It never allocates.
func GlobalAvgPool(dst, src []float32, hw, c int) {
	checkLen("GlobalAvgPool", "src", len(src), hw*c)
	checkLen("GlobalAvgPool", "dst", len(dst), c)
	out := dst[:c]
	sumPixels(out, src, hw, c)
	if hw > 0 {
		scale := 1 / float32(hw)
		for i := range out {
			out[i] *= scale
		}
	}
}

// sumPixels writes the sum over hw rows of c values into out[0:c].
func sumPixels(out, src []float32, hw, c int) {
	out = out[:c]
	clear(out)
	cv := 0
	if vw := chanWidth(); vw > 0 {
		cv = c - c%vw
		sumRowsAsm(hw, cv, src, c, out)
	}
	if cv < c {
		tail := out[cv:]
		for p := 0; p < hw; p++ {
			in := src[p*c+cv : p*c+c]
			in = in[:len(tail)]
			for i, v := range in {
				tail[i] += v
			}
		}
	}
}

// globalParts is how many ranges of pixels Pool.GlobalAvgPool sums
// separately, to add the sums in order afterwards: a fixed number, so that
// a pool of any size (or none) gives the same bits.
const globalParts = 4

// GlobalAvgPoolWorkSize returns the scratch (in float32s) that
// Pool.GlobalAvgPool needs for c channels: one sum per part.
func (p *Pool) GlobalAvgPoolWorkSize(c int) int { return globalParts * c }

// GlobalAvgPool is GlobalAvgPool split across the pool's goroutines by
// ranges of pixels (each goroutine reads the rows the previous layer's
// share most likely left in its core's cache), whose sums are added in
// order. Its result does not depend on the pool's size, nil included, but
// may differ from the package-level GlobalAvgPool's in rounding.
//
// Contract: as GlobalAvgPool, with len(work) >= p.GlobalAvgPoolWorkSize(c).
// It never allocates.
func (p *Pool) GlobalAvgPool(dst, src []float32, hw, c int, work []float32) {
	checkLen("Pool.GlobalAvgPool", "src", len(src), hw*c)
	checkLen("Pool.GlobalAvgPool", "dst", len(dst), c)
	checkLen("Pool.GlobalAvgPool", "work", len(work), globalParts*c)
	j := poolJob{kind: jobGlobal, global: globalJob{src: src, work: work, hw: hw, c: c}}
	threads := 1
	if p != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		threads = p.threads(4 * float64(hw) * float64(c))
	}
	parts := min(threads, globalParts)
	if parts == 1 {
		j.global.run(0, globalParts)
	} else {
		for i := 0; i < parts; i++ {
			share := j
			share.m0, share.m1 = globalParts*i/parts, globalParts*(i+1)/parts
			p.share(i, parts, &share)
		}
	}
	out := dst[:c]
	copy(out, work[:c])
	for part := 1; part < globalParts; part++ {
		sum := work[part*c : (part+1)*c]
		for i := range out {
			out[i] += sum[i]
		}
	}
	if hw > 0 { // no pixels: zeros, as GlobalAvgPool gives
		scale := 1 / float32(hw)
		for i := range out {
			out[i] *= scale
		}
	}
}

// globalJob is a Pool.GlobalAvgPool call: parts [m0, m1) of its pixels
// are summed into their rows of work.
type globalJob struct {
	src, work []float32
	hw, c     int
}

func (j *globalJob) run(m0, m1 int) {
	for part := m0; part < m1; part++ {
		p0, p1 := j.hw*part/globalParts, j.hw*(part+1)/globalParts
		sumPixels(j.work[part*j.c:(part+1)*j.c], j.src[p0*j.c:], p1-p0, j.c)
	}
}

// GlobalMaxPool writes the maximum over the hw pixels of one NHWC image
// (hw rows of c values) into dst[0:c].
//
// Contract: len(src) >= hw*c, len(dst) >= c, hw >= 1. It never allocates.
func GlobalMaxPool(dst, src []float32, hw, c int) {
	checkLen("GlobalMaxPool", "src", len(src), hw*c)
	checkLen("GlobalMaxPool", "dst", len(dst), c)
	out := dst[:c]
	negInf := float32(math.Inf(-1))
	for i := range out {
		out[i] = negInf
	}
	for p := 0; p < hw; p++ {
		in := src[p*c : p*c+c]
		in = in[:len(out)]
		for i, v := range in {
			if v > out[i] || v != v {
				out[i] = v
			}
		}
	}
}
