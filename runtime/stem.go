package runtime

import "strconv"

// A network's first convolution reads the image as the model's input gives
// it, channels-first ([C][H][W], C = 3 for RGB), and writes channels-last
// output. Through NCHWToNHWC and Conv2D that layer would cost a transpose
// of the image and an im2col matrix of C*KH*KW (27 for a 3x3 RGB stem)
// values per output pixel, both larger than the layer's arithmetic makes
// worthwhile. ConvNCHW instead copies the image once into a zero-padded
// plane per channel, after which output pixel ox of a row reads its taps
// at a fixed stride (StrideW) from one base: one (channel, kernel row)
// pair is a run of KW values, so the GEMM kernel's A rows become strided
// views of the planes and nothing else is copied.

// MaxStemSegments is the most (input channel, kernel row) pairs ConvNCHW
// takes: C*KH <= MaxStemSegments. The compiler's code generator uses
// ConvNCHW only within it.
const MaxStemSegments = 64

// stemGeom is the padded copy's geometry: planes of hp rows of wp values
// with the image at row top, column left.
type stemGeom struct{ top, left, hp, wp int }

func stemGeometry(g *Window) stemGeom {
	bottom := max(0, (g.OH-1)*g.StrideH-g.PadT+(g.KH-1)*g.DilH-(g.H-1))
	right := max(0, (g.OW-1)*g.StrideW-g.PadL+(g.KW-1)*g.DilW-(g.W-1))
	return stemGeom{top: g.PadT, left: g.PadL, hp: g.PadT + g.H + bottom, wp: g.PadL + g.W + right}
}

// ConvNCHWWorkSize returns the scratch (in float32s) ConvNCHW needs for
// the window g: one zero-padded copy of an image. A pool's goroutines
// share it.
func ConvNCHWWorkSize(g *Window) int {
	s := stemGeometry(g)
	return g.C * s.hp * s.wp
}

// ConvNCHWWorkSize is ConvNCHWWorkSize for Pool.ConvNCHW, which needs no
// more than the serial call.
func (p *Pool) ConvNCHWWorkSize(g *Window) int { return ConvNCHWWorkSize(g) }

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
	if !j.init("ConvNCHW", dst, ldd, src, g, n, b, ep, work) {
		return
	}
	for img := 0; img < n; img++ {
		j.pad(img)
		j.run(img*g.OH, (img+1)*g.OH)
	}
}

// ConvNCHW is ConvNCHW split across the pool's goroutines by output rows,
// the padded copy made once per image by the caller; every output is
// computed by the same code as in the serial call, so the result is the
// same bit for bit. A nil pool calls ConvNCHW.
func (p *Pool) ConvNCHW(dst []float32, ldd int, src []float32, g *Window, n int, b *PackedB, ep *Epilogue, work []float32) {
	if p == nil || len(p.workers) == 0 {
		ConvNCHW(dst, ldd, src, g, n, b, ep, work)
		return
	}
	var j poolJob
	if !j.stem.init("Pool.ConvNCHW", dst, ldd, src, g, n, b, ep, work) {
		return
	}
	j.kind = jobStem
	p.mu.Lock()
	defer p.mu.Unlock()
	plan := &j.stem.plan
	threads := p.threads(2 * float64(g.OutPixels()) * float64(plan.n) * float64(plan.k))
	parts := min(threads, g.OH)
	for img := 0; img < n; img++ {
		j.stem.pad(img)
		for i := 0; i < parts; i++ {
			band := j
			band.m0, band.m1 = img*g.OH+g.OH*i/parts, img*g.OH+g.OH*(i+1)/parts
			p.share(i, parts, &band)
		}
	}
}

// stemJob is a ConvNCHW call: its checked plan (A is the padded copy in
// work) and the segment table its kernel calls share.
type stemJob struct {
	plan gemmPlan
	src  []float32
	g    Window
	s    stemGeom
	work []float32
	nseg int
	segs [MaxStemSegments]int32 // offset of each (channel, kernel row) run from a row's base
}

func (j *stemJob) init(fn string, dst []float32, ldd int, src []float32, g *Window, n int, b *PackedB, ep *Epilogue, work []float32) bool {
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
	checkLen(fn, "work", len(work), ConvNCHWWorkSize(g))
	if !j.plan.init(fn, n*g.OutPixels(), nil, b.k, b, dst, ldd, ep, nil) {
		return false
	}
	j.src, j.g, j.s, j.work = src, *g, stemGeometry(g), work
	plane := j.s.hp * j.s.wp
	j.nseg = g.C * g.KH
	for c := 0; c < g.C; c++ {
		for ky := 0; ky < g.KH; ky++ {
			j.segs[c*g.KH+ky] = int32(c*plane + ky*g.DilH*j.s.wp)
		}
	}
	return true
}

// pad copies image img into the padded planes.
func (j *stemJob) pad(img int) {
	g, s := &j.g, j.s
	src := j.src[img*g.InLen() : (img+1)*g.InLen()]
	for c := 0; c < g.C; c++ {
		plane := j.work[c*s.hp*s.wp : (c+1)*s.hp*s.wp]
		clear(plane[:s.top*s.wp])
		for y := 0; y < g.H; y++ {
			row := plane[(s.top+y)*s.wp : (s.top+y+1)*s.wp]
			clear(row[:s.left])
			copy(row[s.left:], src[(c*g.H+y)*g.W:(c*g.H+y+1)*g.W])
			clear(row[s.left+g.W:])
		}
		clear(plane[(s.top+g.H)*s.wp:])
	}
}

// run computes output rows [r0, r1) of the job's images (row r is row
// r%OH of image r/OH), whose padded copy is in work.
func (j *stemJob) run(r0, r1 int) {
	g, pl := &j.g, &j.plan
	kern := pl.kern
	nr := kern.nr
	for r := r0; r < r1; r++ {
		oy := r % g.OH
		a := j.work[oy*g.StrideH*j.s.wp:]
		c0 := r * g.OW * pl.ldc
		for p := 0; p < pl.panels; p++ {
			j0 := p * nr
			nw := min(nr, pl.n-j0)
			w := pl.b.panelWidth(p)
			var bias, res []float32
			if pl.lastFlags&tBias != 0 {
				bias = pl.bias[j0:]
			}
			if pl.lastFlags&tRes != 0 {
				res = pl.res[c0+j0:]
			}
			stemTile(kern, g.OW, nw, w, g.KW, a, g.StrideW, j.segs[:j.nseg], g.DilW, pl.b.data[p*pl.k*nr:], pl.c[c0+j0:], pl.ldc, pl.lastFlags, bias, res, pl.lo, pl.hi, pl.alpha)
		}
		if pl.post != ActNone {
			activateRows(pl.c[c0:], g.OW, pl.n, pl.ldc, pl.post, pl.postA, pl.postB)
		}
	}
}

// stemTile runs the kernel on rows output pixels and one panel of packed
// width w, of which the first nw columns are stored: pixel i's taps are
// a[i*lda + segs[s] + x*dx] for each segment s and x < kw. The caller has
// checked every offset.
func stemTile(kern *kernel, rows, nw, w, kw int, a []float32, lda int, segs []int32, dx int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	if kern.isa != isaGo {
		asmStemTile(rows, nw, w, kw, a, lda, segs, dx, b, c, ldc, flags, bias, res, lo, hi, alpha)
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
