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

// maxAsmTaps bounds the kernel taps the assembly path takes; its table of
// offsets lives on the stack.
const maxAsmTaps = 64

// depthwiseRows computes output rows [oh0, oh1) of DepthwiseConv.
//
// With assembly (multiplier 1, at least one vector of channels), the rows
// go to the row kernels when there is one for the window (see
// depthwiseRowAsm); otherwise every pixel goes to the kernel with a table
// of the taps that fall inside the image: one call for the interior run of each row, whose pixels share a
// table, and one per border pixel. Channels beyond the last whole vector,
// and everything else, are done in Go.
func depthwiseRows(dst []float32, ldd int, src []float32, g *Window, mult int, w, bias, res []float32, act ActKind, alpha, beta float32, oh0, oh1 int) {
	c := g.C
	cv := 0 // channels the assembly does
	if vw := depthwiseWidth(); vw > 0 && mult == 1 && g.KH*g.KW <= maxAsmTaps {
		cv = c - c%vw
	}
	if cv == 0 {
		for oh := oh0; oh < oh1; oh++ {
			kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
			depthwisePixels(dst, ldd, src, g, mult, w, bias, res, act, alpha, beta, oh, kh0, kh1, 0, g.OW)
		}
		return
	}
	// Interior columns: every kw tap inside the image.
	owLo, owHi := interiorCols(g)
	// What the kernel does in its store step; epilogueRow does the rest.
	var flags uint
	var lo, hi float32
	if bias != nil {
		flags |= tBias
	}
	post := res != nil || act != ActNone
	if l, h, ok := act.clampRange(alpha, beta); ok && res == nil {
		flags |= tClamp
		lo, hi = l, h
		post = false
	}
	// Channels past the last whole vector (ShuffleNet's 58 and 116) go
	// through the kernel as one more vector, the last vw channels, which
	// overlaps the ones before it: they are computed again, from the same
	// inputs in the same order, so they get the same values, and no
	// channel is left for Go's per-pixel loop.
	vw, cdone, o := depthwiseWidth(), cv, 0
	if cv < c && c >= vw {
		cdone, o = c, c-vw
	}
	var tbias []float32
	if bias != nil {
		tbias = bias[o:]
	}
	if depthwiseRowOK(g) {
		for oh := oh0; oh < oh1; oh++ {
			kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
			ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
			depthwiseRowAsm(dst[oh*g.OW*ldd:], ldd, src, g, ih0, kh0, kh1, w, cv, bias, flags, lo, hi)
			if cdone > cv {
				depthwiseRowAsm(dst[oh*g.OW*ldd+o:], ldd, src[o:], g, ih0, kh0, kh1, w[o:], vw, tbias, flags, lo, hi)
			}
			depthwiseFinish(dst, ldd, src, g, w, bias, res, act, alpha, beta, oh, 0, g.OW, kh0, kh1, cdone, flags, post)
		}
		return
	}
	var table [2 * maxAsmTaps]int
	for oh := oh0; oh < oh1; oh++ {
		kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		ih0 := oh*g.StrideH - g.PadT + kh0*g.DilH
		for ow := 0; ow < g.OW; {
			kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			n := 1
			if ow == owLo && owHi > owLo {
				n = owHi - owLo
			}
			// Taps relative to the input pixel (ih0, first valid column).
			taps := table[:0]
			for kh := kh0; kh < kh1; kh++ {
				for kw := kw0; kw < kw1; kw++ {
					in := ((kh-kh0)*g.DilH*g.W + (kw-kw0)*g.DilW) * c
					taps = append(taps, 4*in, 4*(kh*g.KW+kw)*c)
				}
			}
			p := (oh*g.OW + ow) * ldd
			in := src
			if len(taps) > 0 {
				in = src[(ih0*g.W+ow*g.StrideW-g.PadL+kw0*g.DilW)*c:]
			}
			depthwiseAsm(n, dst[p:], ldd, in, g.StrideW*c, taps, w, cv, bias, flags, lo, hi)
			if cdone > cv {
				depthwiseAsm(n, dst[p+o:], ldd, in[o:], g.StrideW*c, taps, w[o:], vw, tbias, flags, lo, hi)
			}
			depthwiseFinish(dst, ldd, src, g, w, bias, res, act, alpha, beta, oh, ow, n, kh0, kh1, cdone, flags, post)
			ow += n
		}
	}
}

// depthwiseFinish completes output pixels [ow, ow+n) of row oh, whose
// channels [0, cv) the assembly has computed with the flags' epilogue:
// the remaining channels, the residual and the activation the kernel did
// not apply (post).
func depthwiseFinish(dst []float32, ldd int, src []float32, g *Window, w, bias, res []float32, act ActKind, alpha, beta float32, oh, ow, n, kh0, kh1, cv int, flags uint, post bool) {
	c := g.C
	cout := c
	for q := ow; q < ow+n; q++ {
		pq := (oh*g.OW + q) * ldd
		out := dst[pq : pq+cout]
		if cv < c {
			depthwiseTail(out, src, g, w, bias, oh, q, kh0, kh1, cv)
			if flags&tClamp != 0 {
				Activate(out[cv:], act, alpha, beta)
			}
		}
		if res != nil {
			epilogueRow(out, nil, res[pq:pq+cout], act, alpha, beta)
		}
	}
	if post && res == nil {
		// The activation alone runs over the n pixels at once, as a
		// tile of the output.
		activateRows(dst[(oh*g.OW+ow)*ldd:], n, cout, ldd, act, alpha, beta)
	}
}

// depthwiseTail computes channels [c0, C) of output pixel (oh, ow), with
// bias, for multiplier 1.
func depthwiseTail(out, src []float32, g *Window, w, bias []float32, oh, ow, kh0, kh1, c0 int) {
	c := g.C
	tail := out[c0:c]
	if bias != nil {
		copy(tail, bias[c0:c])
	} else {
		clear(tail)
	}
	kw0, kw1 := kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
	for kh := kh0; kh < kh1; kh++ {
		ih := oh*g.StrideH - g.PadT + kh*g.DilH
		for kw := kw0; kw < kw1; kw++ {
			iw := ow*g.StrideW - g.PadL + kw*g.DilW
			s := (ih*g.W+iw)*c + c0
			t := (kh*g.KW+kw)*c + c0
			fmaRow(tail, src[s:s+len(tail)], w[t:t+len(tail)])
		}
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

// eachRowGroup walks an output row of g in groups of np pixels for the row
// kernels: runs of whole groups whose input columns are all inside the
// image go to f as one plain call (masked false, npix a multiple of np),
// the others one group at a time with the mask of their input columns
// inside the image (bit j for column j of the group's (np-1)*StrideW+KW).
// When OW is not a multiple of np the last group starts earlier and
// overlaps the one before, computing some pixels twice, to the same values.
func eachRowGroup(g *Window, np int, f func(masked bool, ow, npix int, mask uint32)) {
	ncols := (np-1)*g.StrideW + g.KW
	full := uint32(1)<<ncols - 1
	run, runN := 0, 0 // a run of whole groups not yet computed
	for ow := 0; ; ow += np {
		last := ow+np >= g.OW
		if last {
			ow = g.OW - np
		}
		col0 := ow*g.StrideW - g.PadL
		mask := full
		if col0 < 0 {
			mask &^= uint32(1)<<min(-col0, ncols) - 1
		}
		if hi := g.W - col0; hi < ncols {
			mask &= uint32(1)<<max(hi, 0) - 1
		}
		if mask == full && ow == run+runN*np {
			if runN == 0 {
				run = ow
			}
			runN++
		} else {
			if runN > 0 {
				f(false, run, runN*np, full)
			}
			runN = 0
			if mask == full {
				run, runN = ow, 1
			} else {
				f(true, ow, np, mask)
			}
		}
		if last {
			break
		}
	}
	if runN > 0 {
		f(false, run, runN*np, full)
	}
}
