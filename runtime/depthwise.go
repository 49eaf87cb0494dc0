package runtime

import "strconv"

// PackDepthwise reorders depthwise filters from ONNX's [cout][1][kh][kw]
// into the [kh][kw][cout] layout DepthwiseConv reads, where each kernel tap
// holds one contiguous weight per output channel. It allocates and is meant
// to run at initialization.
func PackDepthwise(w []float32, cout, kh, kw int) []float32 {
	checkLen("PackDepthwise", "w", len(w), cout*kh*kw)
	out := make([]float32, cout*kh*kw)
	for o := 0; o < cout; o++ {
		for t := 0; t < kh*kw; t++ {
			out[t*cout+o] = w[o*kh*kw+t]
		}
	}
	return out
}

// DepthwiseConv computes a depthwise convolution (ONNX Conv with group ==
// C) of one NHWC image directly, without im2col: output channel o =
// c*mult + m (m < mult) convolves input channel c with its own filter, so
// there are cout = C*mult output channels. w holds the filters as
// PackDepthwise lays them out, [KH][KW][cout]. The epilogue is applied as
// in Sgemm, with Bias indexed by output channel and Residual laid out like
// dst; unlike Sgemm's, the Residual must not overlap dst.
//
// dst receives OH*OW rows of cout values at stride ldd >= cout (ldd >
// cout writes into a channel slice of a wider tensor, as for Concat).
//
// Contract: g passes Check; mult >= 1; len(src) >= g.InLen(); len(w) >=
// KH*KW*cout; len(dst) >= (OH*OW-1)*ldd + cout, and the same for a
// Residual. It never allocates.
func DepthwiseConv(dst []float32, ldd int, src []float32, g *Window, mult int, w []float32, ep *Epilogue) {
	var d dwJob
	d.init("DepthwiseConv", dst, ldd, src, g, mult, w, ep)
	d.run(0, g.OH)
}

// dwJob is a checked DepthwiseConv call, or a worker's share of one.
type dwJob struct {
	dst         []float32
	ldd         int
	src         []float32
	g           Window
	mult        int
	w           []float32
	bias, res   []float32
	act         ActKind
	alpha, beta float32
}

func (d *dwJob) init(fn string, dst []float32, ldd int, src []float32, g *Window, mult int, w []float32, ep *Epilogue) {
	cout := g.C * mult
	if mult < 1 || ldd < cout {
		panic("runtime." + fn + ": mult=" + strconv.Itoa(mult) + ", ldd=" + strconv.Itoa(ldd) + " for " + strconv.Itoa(cout) + " output channels")
	}
	need := (g.OutPixels()-1)*ldd + cout
	checkLen(fn, "src", len(src), g.InLen())
	checkLen(fn, "w", len(w), g.KH*g.KW*cout)
	checkLen(fn, "dst", len(dst), need)
	*d = dwJob{dst: dst, ldd: ldd, src: src, g: *g, mult: mult, w: w}
	if ep != nil {
		if ep.Bias != nil {
			checkLen(fn, "Epilogue.Bias", len(ep.Bias), cout)
			d.bias = ep.Bias[:cout]
		}
		if ep.Residual != nil {
			checkLen(fn, "Epilogue.Residual", len(ep.Residual), need)
			if &ep.Residual[0] == &dst[0] {
				panic("runtime." + fn + ": Epilogue.Residual is dst; DepthwiseConv cannot accumulate in place")
			}
			d.res = ep.Residual
		}
		d.act, d.alpha, d.beta = ep.Act, ep.Alpha, ep.Beta
	}
}

// run computes output rows [oh0, oh1).
func (d *dwJob) run(oh0, oh1 int) {
	depthwiseRows(d.dst, d.ldd, d.src, &d.g, d.mult, d.w, d.bias, d.res, d.act, d.alpha, d.beta, oh0, oh1)
}

// maxAsmTaps bounds the kernel taps the assembly path takes; the offsets
// table lives on the stack.
const maxAsmTaps = 64

// depthwiseRows computes output rows [oh0, oh1) of DepthwiseConv.
//
// Each output row splits into the columns whose windows are clipped by the
// left or right padding, computed here in Go, and the interior run, whose
// pixels all see the same taps at the same offsets and go to the assembly
// kernel when there is one (multiplier 1, channels a multiple of its
// vector width).
func depthwiseRows(dst []float32, ldd int, src []float32, g *Window, mult int, w, bias, res []float32, act ActKind, alpha, beta float32, oh0, oh1 int) {
	c := g.C
	cout := c * mult
	vw := depthwiseWidth()
	simd := vw > 0 && mult == 1 && c%vw == 0 && g.KH*g.KW <= maxAsmTaps
	// Interior columns: every kw tap inside the image.
	owLo, owHi := 0, 0
	if simd {
		owLo = min(g.OW, (g.PadL+g.StrideW-1)/g.StrideW)
		if last := g.W - 1 - (g.KW-1)*g.DilW + g.PadL; last >= 0 {
			owHi = min(g.OW, last/g.StrideW+1)
		}
		if owHi <= owLo {
			simd = false
		}
	}
	// What the kernel can do in its store step; the rest is left to
	// epilogueRow.
	var flags uint
	var lo, hi float32
	post := res != nil || act != ActNone
	if bias != nil {
		flags |= tBias
	}
	if l, h, ok := act.clampRange(alpha, beta); ok && res == nil {
		flags |= tClamp
		lo, hi = l, h
		post = false
	}
	var offs [maxAsmTaps]int
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		if !simd {
			depthwisePixels(dst, ldd, src, g, mult, w, bias, res, act, alpha, beta, oh, kh0, kh1, 0, g.OW)
			continue
		}
		depthwisePixels(dst, ldd, src, g, mult, w, bias, res, act, alpha, beta, oh, kh0, kh1, 0, owLo)
		ntaps := (kh1 - kh0) * g.KW
		taps := offs[:ntaps]
		for t := range taps {
			kh, kw := t/g.KW, t%g.KW
			taps[t] = 4 * ((kh*g.DilH*g.W + kw*g.DilW) * c)
		}
		p := (oh*g.OW + owLo) * ldd
		in := src
		if ntaps > 0 {
			ih := oh*g.StrideH - g.PadT + kh0*g.DilH
			in = src[(ih*g.W+owLo*g.StrideW-g.PadL)*c:]
		}
		depthwiseAsm(owHi-owLo, dst[p:], ldd, in, g.StrideW*c, taps, w[kh0*g.KW*c:], c, bias, flags, lo, hi)
		if post {
			for ow := owLo; ow < owHi; ow++ {
				q := (oh*g.OW + ow) * ldd
				var rrow []float32
				if res != nil {
					rrow = res[q : q+cout]
				}
				epilogueRow(dst[q:q+cout], nil, rrow, act, alpha, beta)
			}
		}
		depthwisePixels(dst, ldd, src, g, mult, w, bias, res, act, alpha, beta, oh, kh0, kh1, owHi, g.OW)
	}
}

// depthwisePixels computes output pixels [ow0, ow1) of row oh in Go, with
// the row's valid kernel rows [kh0, kh1).
func depthwisePixels(dst []float32, ldd int, src []float32, g *Window, mult int, w, bias, res []float32, act ActKind, alpha, beta float32, oh, kh0, kh1, ow0, ow1 int) {
	c := g.C
	cout := c * mult
	for ow := ow0; ow < ow1; ow++ {
		kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
		p := (oh*g.OW + ow) * ldd
		out := dst[p : p+cout]
		if bias != nil {
			copy(out, bias)
		} else {
			clear(out)
		}
		for kh := kh0; kh < kh1; kh++ {
			ih := oh*g.StrideH - g.PadT + kh*g.DilH
			for kw := kw0; kw < kw1; kw++ {
				iw := ow*g.StrideW - g.PadL + kw*g.DilW
				s := (ih*g.W + iw) * c
				in := src[s : s+c]
				t := (kh*g.KW + kw) * cout
				wt := w[t : t+cout]
				if mult == 1 {
					fmaRow(out, in, wt)
					continue
				}
				for ci, x := range in {
					o := out[ci*mult : ci*mult+mult]
					ws := wt[ci*mult : ci*mult+mult]
					for m := range o {
						o[m] += x * ws[m]
					}
				}
			}
		}
		var rrow []float32
		if res != nil {
			rrow = res[p : p+cout]
		}
		epilogueRow(out, nil, rrow, act, alpha, beta)
	}
}

// fmaRow adds x[i]*w[i] to dst[i] for every i < len(dst); x and w are at
// least as long.
func fmaRow(dst, x, w []float32) {
	x = x[:len(dst)]
	w = w[:len(dst)]
	for i := range dst {
		dst[i] += x[i] * w[i]
	}
}
