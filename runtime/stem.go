package runtime

import "strconv"

// A network's first convolution reads the image as the model's input gives
// it, channels-first ([C][H][W], C = 3 for RGB), and writes channels-last
// output. Through NCHWToNHWC and Conv2D that layer would cost a transpose
// of the image and an im2col matrix of C*KH*KW (27 for a 3x3 RGB stem)
// values per output pixel, both larger than the layer's arithmetic makes
// worthwhile. ConvNCHW instead copies a band of the image's rows at a time
// into zero-padded planes (a few tens of KB, so the band stays in L2 while
// the kernel reads it), where output pixel ox's taps along a kernel row
// are a run of KW values (at stride DilW) StrideW values after pixel
// ox-1's: a row of output pixels is a GEMM whose A rows are strided views
// of the band, one run per (channel, kernel row) pair, and nothing else is
// copied.

// MaxStemSegments is the most (input channel, kernel row) pairs ConvNCHW
// takes: C*KH <= MaxStemSegments. The compiler's code generator uses
// ConvNCHW only within it.
const MaxStemSegments = 64

// stemBandFloats is about how much of the padded image one band holds.
const stemBandFloats = 16 << 10

// stemBand is a band's geometry: rows output rows per band, whose inputs
// are hp padded rows of wp values per channel.
type stemBand struct{ rows, hp, wp int }

func stemBandOf(g *Window) stemBand {
	wp := (g.OW-1)*g.StrideW + (g.KW-1)*g.DilW + 1
	rows := max(1, min(g.OH, stemBandFloats/max(1, g.C*wp*g.StrideH)))
	return stemBand{rows: rows, hp: (rows-1)*g.StrideH + (g.KH-1)*g.DilH + 1, wp: wp}
}

// ConvNCHWWorkSize returns the scratch (in float32s) ConvNCHW needs for
// the window g: one band.
func ConvNCHWWorkSize(g *Window) int {
	b := stemBandOf(g)
	return g.C * b.hp * b.wp
}

// ConvNCHWWorkSize is ConvNCHWWorkSize for Pool.ConvNCHW: one band per
// goroutine.
func (p *Pool) ConvNCHWWorkSize(g *Window) int { return p.Threads() * ConvNCHWWorkSize(g) }

// PackStem packs the filters w ([cout][cin][kh][kw], ONNX's order) of a
// convolution for ConvNCHW, whose K order is that order, (input channel,
// kernel row, kernel column). It allocates and is meant to run once, at
// initialization.
func PackStem(w []float32, cout, cin, kh, kw int) *PackedB {
	if cout < 0 || cin < 0 || kh < 0 || kw < 0 {
		panic("runtime.PackStem: negative size")
	}
	k := cin * kh * kw
	checkLen("PackStem", "w", len(w), cout*k)
	return packB(stemKernel(bestKernel), k, cout, w, max(k, 1), true)
}

// ConvNCHW computes a convolution (one group) of n images stored
// channels-first, src[img][c][y][x] with c < g.C, y < g.H, x < g.W, and
// writes b.N() output channels per output pixel, channels-last, into dst at
// stride ldd (output pixel p of image img at dst[(img*OH*OW + p)*ldd]),
// applying ep as Sgemm does (Residual laid out like dst; no Prologue). b is
// the filter bank packed by PackStem. The sums run in (channel, kernel row,
// kernel column) order, so the result agrees with Conv2D on the transposed
// image within float32 rounding, not bit for bit.
//
// Contract: g passes Check; g.C*g.KH <= MaxStemSegments; b.K() ==
// g.C*g.KH*g.KW; len(src) >= n*g.InLen(); len(dst) >= (n*OH*OW-1)*ldd +
// b.N(), ldd >= b.N(); len(work) >= ConvNCHWWorkSize(g). It never
// allocates.
func ConvNCHW(dst []float32, ldd int, src []float32, g *Window, n int, b *PackedB, ep *Epilogue, work []float32) {
	var j stemJob
	if !j.init("ConvNCHW", dst, ldd, src, g, n, b, ep, work, 1) {
		return
	}
	j.run(0, n*g.OH)
}

// ConvNCHW is ConvNCHW split across the pool's goroutines by output rows,
// each with its own patch in work, whose length must be at least
// p.ConvNCHWWorkSize(g). Every output is computed by the same code as in
// the serial call, so the result is the same bit for bit. A nil pool
// calls ConvNCHW.
func (p *Pool) ConvNCHW(dst []float32, ldd int, src []float32, g *Window, n int, b *PackedB, ep *Epilogue, work []float32) {
	if p == nil || len(p.workers) == 0 {
		ConvNCHW(dst, ldd, src, g, n, b, ep, work)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	nthreads := p.size()
	j := poolJob{kind: jobStem}
	if !j.stem.init("Pool.ConvNCHW", dst, ldd, src, g, n, b, ep, work, nthreads) {
		return
	}
	plan := &j.stem.plan
	rows := n * g.OH
	threads := p.threads(2 * float64(plan.m) * float64(plan.n) * float64(plan.k))
	parts := min(threads, rows)
	size := ConvNCHWWorkSize(g)
	for i := 0; i < parts; i++ {
		band := j
		band.stem.work = work[i*size : (i+1)*size]
		band.m0, band.m1 = rows*i/parts, rows*(i+1)/parts
		p.share(i, parts, &band)
	}
}

// stemJob is a ConvNCHW call, or one goroutine's share of it.
type stemJob struct {
	plan gemmPlan
	src  []float32
	g    Window
	work []float32 // this goroutine's band
	band stemBand
	nseg int
	segs [MaxStemSegments]int32 // each (channel, kernel row) run's offset in the band
}

func (j *stemJob) init(fn string, dst []float32, ldd int, src []float32, g *Window, n int, b *PackedB, ep *Epilogue, work []float32, threads int) bool {
	if b == nil {
		panic("runtime." + fn + ": nil PackedB")
	}
	if g.C*g.KH > MaxStemSegments {
		panic("runtime." + fn + ": " + strconv.Itoa(g.C) + " channels x " + strconv.Itoa(g.KH) + " kernel rows exceed MaxStemSegments")
	}
	if b.k != g.C*g.KH*g.KW {
		panic("runtime." + fn + ": K=" + strconv.Itoa(b.k) + " is not C*KH*KW=" + strconv.Itoa(g.C*g.KH*g.KW))
	}
	if n < 1 {
		panic("runtime." + fn + ": " + strconv.Itoa(n) + " images")
	}
	if ep != nil && ep.Pre != nil {
		panic("runtime." + fn + ": Epilogue.Pre is not supported")
	}
	checkLen(fn, "src", len(src), n*g.InLen())
	checkLen(fn, "work", len(work), threads*ConvNCHWWorkSize(g))
	if !j.plan.init(fn, n*g.OutPixels(), nil, b.k, b, dst, ldd, ep, nil) {
		return false
	}
	j.src, j.g, j.work, j.band = src, *g, work, stemBandOf(g)
	if int64(g.C)*int64(j.band.hp*j.band.wp) > 1<<31-1 {
		panic("runtime." + fn + ": a band of more than 2^31-1 values")
	}
	j.nseg = g.C * g.KH
	for c := 0; c < g.C; c++ {
		for ky := 0; ky < g.KH; ky++ {
			j.segs[c*g.KH+ky] = int32((c*j.band.hp + ky*g.DilH) * j.band.wp)
		}
	}
	return true
}

// run computes output rows [r0, r1) of the job's images (row r is row
// r%OH of image r/OH), a band at a time.
func (j *stemJob) run(r0, r1 int) {
	g, pl, bd := &j.g, &j.plan, j.band
	for r := r0; r < r1; {
		img, oy0 := r/g.OH, r%g.OH
		rows := min(bd.rows, r1-r, g.OH-oy0)
		j.fill(j.src[img*g.InLen():(img+1)*g.InLen()], oy0)
		for i := 0; i < rows; i++ {
			pix := (r + i) * g.OW
			j.tiles(j.work[i*g.StrideH*bd.wp:], j.segs[:j.nseg], g.OW, pix)
			if pl.post != ActNone {
				activateRows(pl.c[pix*pl.ldc:], g.OW, pl.n, pl.ldc, pl.post, pl.postA, pl.postB)
			}
		}
		r += rows
	}
}

// fill copies into the band the inputs of output rows oy0 onward, zero
// where the window reaches into the padding: band row y of channel c is
// input row oy0*StrideH - PadT + y, band column x input column x - PadL.
func (j *stemJob) fill(src []float32, oy0 int) {
	g, bd := &j.g, j.band
	lo, hi := g.PadL, min(bd.wp, g.PadL+g.W) // the band columns inside the image
	for c := 0; c < g.C; c++ {
		for y := 0; y < bd.hp; y++ {
			dst := j.work[(c*bd.hp+y)*bd.wp : (c*bd.hp+y+1)*bd.wp]
			iy := oy0*g.StrideH - g.PadT + y
			if iy < 0 || iy >= g.H || lo >= hi {
				clear(dst)
				continue
			}
			clear(dst[:lo])
			copy(dst[lo:hi], src[(c*g.H+iy)*g.W:])
			clear(dst[hi:])
		}
	}
}

// tiles runs the kernel over npix output pixels starting at output pixel
// pix, their taps at a[i*StrideW + segs[s] + x*DilW], for every panel.
// The segments ascend, so the bound check of the last tap of the last
// segment covers every read.
func (j *stemJob) tiles(a []float32, segs []int32, npix, pix int) {
	// Only the first npix-1 strides and the last run must lie in a.
	_ = a[(npix-1)*j.g.StrideW+int(segs[len(segs)-1])+(j.g.KW-1)*j.g.DilW]
	g, pl := &j.g, &j.plan
	kern := pl.kern
	c0 := pix * pl.ldc
	for p := 0; p < pl.panels; p++ {
		j0 := p * kern.nr
		nw := min(kern.nr, pl.n-j0)
		var bias, res []float32
		if pl.lastFlags&tBias != 0 {
			bias = pl.bias[j0:]
		}
		if pl.lastFlags&tRes != 0 {
			res = pl.res[c0+j0:]
		}
		stemTile(kern, npix, nw, pl.b.panelWidth(p), g.KW, a, g.StrideW, segs, g.DilW, pl.b.data[p*pl.k*kern.nr:], pl.c[c0+j0:], pl.ldc, pl.lastFlags, bias, res, pl.lo, pl.hi, pl.alpha)
	}
}

// stemTile runs the kernel on rows output pixels and one panel of packed
// width w, of which the first nw columns are stored: pixel i's taps are
// a[i*lda + segs[s] + x*dx] for each segment s and x < kw. The caller has
// checked every offset.
func stemTile(kern *kernel, rows, nw, w, kw int, a []float32, lda int, segs []int32, dx int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	if kern.isa != isaGo {
		asmStemTile(kern, rows, nw, w, kw, a, lda, segs, dx, b, c, ldc, flags, bias, res, lo, hi, alpha)
		return
	}
	goStemTile(rows, nw, w, kw, a, lda, segs, dx, b, c, ldc, flags, bias, res, lo, hi, alpha)
}

// goStemTile is the portable stem kernel, for any panel width (up to 32):
// the sums of the assembly in the same order, though the assembly fuses
// each multiply-add and Go need not.
func goStemTile(rows, nw, w, kw int, a []float32, lda int, segs []int32, dx int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	var acc [32]float32
	b = b[:len(segs)*kw*w]
	for i := 0; i < rows; i++ {
		v := acc[:w]
		clear(v)
		base := a[i*lda:]
		k := 0
		for _, off := range segs {
			run := base[off:]
			for x := 0; x < kw; x++ {
				av := run[x*dx]
				br := b[k*w : (k+1)*w]
				for jj := range v {
					v[jj] += av * br[jj]
				}
				k++
			}
		}
		var rr []float32
		if flags&tRes != 0 {
			rr = res[i*ldc:]
		}
		storeRow(c[i*ldc:i*ldc+nw], v[:nw], flags, bias, rr, lo, hi, alpha)
	}
}
