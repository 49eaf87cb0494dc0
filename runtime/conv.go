package runtime

import "strconv"

// convChunk is how many output pixels Conv2D turns into im2col rows at a
// time: a multiple of every kernel's mr and the GEMM's M block, so that each
// chunk is one M block whose A rows are still in cache when the GEMM reads
// them.
const convChunk = 96

// Conv2DWorkSize returns the scratch (in float32s) that Conv2D needs for
// the window g with a GEMM inner dimension k = KH*KW*cin: room for one chunk
// of im2col rows (which also holds the indirect GEMM's table of the
// chunk's taps, one int32 per pixel and tap), or nothing when the
// convolution is 1x1, stride 1 and unpadded (A is then the input itself).
func Conv2DWorkSize(g *Window, k int) int {
	if directConv(g) {
		return 0
	}
	return chunkRows(g) * k
}

// PrologueWorkSize returns the scratch (in float32s) that Conv2D and ConvN
// need for the window g with a GEMM inner dimension k when their epilogue
// has a Prologue: one chunk of mapped input rows.
func PrologueWorkSize(g *Window, k int) int { return chunkRows(g) * k }

// chunkRows is the number of output pixels a chunk of im2col (or mapped)
// rows holds: convChunk, or one image's pixels if fewer.
func chunkRows(g *Window) int { return min(g.OutPixels(), convChunk) }

// directConv reports whether the input is already the im2col matrix.
func directConv(g *Window) bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 &&
		g.PadT == 0 && g.PadL == 0 && g.PadB == 0 && g.PadR == 0 && g.OH == g.H && g.OW == g.W
}

// Conv2D is a convolution of one NHWC image as Im2col followed by Sgemm,
// done a chunk of output pixels at a time so that the im2col rows go
// from cache to the GEMM instead of through memory, or, where it is
// faster, as an indirect GEMM that reads the input in place (see
// igemm.go); the results agree within float32 rounding. It reads input channels
// [c0, c0+cin), where cin = b.K()/(KH*KW), and writes b.N() output channels
// per pixel into dst at stride ldd, applying ep as Sgemm does (Residual laid
// out like dst). b is the filter bank packed by PackConv; for a grouped
// convolution call it once per group with that group's PackedB, c0 and a
// dst starting at the group's first output channel, and ldd = all output
// channels. A 1x1, stride-1, unpadded convolution is a plain GEMM on the
// input and needs no scratch.
//
// Contract: g passes Check; b.K() is a multiple of KH*KW and c0+cin <= C;
// len(src) >= g.InLen(); len(dst) >= (OH*OW-1)*ldd + b.N(), ldd >= b.N();
// len(work) >= Conv2DWorkSize(g, b.K()). It never allocates.
func Conv2D(dst []float32, ldd int, src []float32, g *Window, c0 int, b *PackedB, ep *Epilogue, work []float32) {
	ConvN(dst, ldd, src, g, 1, c0, b, ep, work)
}

// ConvN is Conv2D over n images stored one after another (n*g.InLen()
// input values, n*OH*OW output rows at stride ldd): the images' output
// pixels are one GEMM's rows, so that a batch fills the GEMM the way a
// larger image would, and its weights are read once for all n.
//
// Contract: as Conv2D, with len(src) >= n*g.InLen() and len(dst) >=
// (n*OH*OW-1)*ldd + b.N(); n >= 1. It never allocates.
func ConvN(dst []float32, ldd int, src []float32, g *Window, n, c0 int, b *PackedB, ep *Epilogue, work []float32) {
	var plan gemmPlan
	var cj convJob
	if !cj.init("ConvN", &plan, dst, ldd, src, g, n, c0, b, ep, work, 1) {
		return
	}
	cj.run(&plan, 0, plan.m, 0, plan.panels)
}

// convJob is the im2col (or indirect table) half of a Conv2D call, or of
// one worker's share.
type convJob struct {
	src      []float32
	g        Window
	c0, cin  int
	work     []float32 // this goroutine's chunk of scratch
	chunk    int       // im2col rows per GEMM call: convChunk, or one image's pixels if fewer
	indirect bool      // the indirect GEMM instead of im2col; work holds a run's table
	pre      *Prologue // a 1x1 convolution's input map: work holds mapped rows, not im2col's
}

// chunkWork is the scratch one goroutine's share takes.
func (cj *convJob) chunkWork(k int) int {
	if cj.pre != nil {
		return PrologueWorkSize(&cj.g, k)
	}
	return Conv2DWorkSize(&cj.g, k)
}

// im2col writes rows [r0, r1) of the im2col matrix of the job's images
// into work, splitting the range where it crosses from one image to the
// next.
func (cj *convJob) im2col(work []float32, r0, r1 int) {
	k := cj.g.KH * cj.g.KW * cj.cin
	if p := cj.pre; p != nil {
		// A 1x1 stride-1 window: output pixel r is input pixel r, over
		// all the images.
		ScaleShiftStrided(work, k, cj.src[r0*cj.g.C+cj.c0:], cj.g.C, r1-r0, k, p.Scale, p.Shift, p.Act, p.Alpha, p.Beta)
		return
	}
	per := cj.g.OutPixels()
	in := cj.g.InLen()
	for r := r0; r < r1; {
		img := r / per
		e := min(r1, (img+1)*per)
		im2colRows(work[(r-r0)*k:], cj.src[img*in:(img+1)*in], &cj.g, cj.c0, cj.cin, r-img*per, e-img*per)
		r = e
	}
}

// init checks a Conv2D call and sets up its GEMM plan. threads is the
// number of scratch chunks work must hold. It reports false when there is
// nothing to compute.
func (cj *convJob) init(fn string, plan *gemmPlan, dst []float32, ldd int, src []float32, g *Window, n, c0 int, b *PackedB, ep *Epilogue, work []float32, threads int) bool {
	if b == nil {
		panic("runtime." + fn + ": nil PackedB")
	}
	taps := g.KH * g.KW
	if taps < 1 || b.k%taps != 0 {
		panic("runtime." + fn + ": K=" + strconv.Itoa(b.k) + " is not a multiple of the kernel's " + strconv.Itoa(taps) + " taps")
	}
	cin := b.k / taps
	if c0 < 0 || c0+cin > g.C || cin < 1 {
		panic("runtime." + fn + ": input channels [" + strconv.Itoa(c0) + ", " + strconv.Itoa(c0+cin) + ") outside [0, " + strconv.Itoa(g.C) + ")")
	}
	if n < 1 {
		panic("runtime." + fn + ": " + strconv.Itoa(n) + " images")
	}
	checkLen(fn, "src", len(src), n*g.InLen())
	m := n * g.OutPixels()
	var pre *Prologue
	if ep != nil {
		pre = ep.Pre
	}
	if pre != nil {
		if !directConv(g) {
			panic("runtime." + fn + ": Epilogue.Pre needs a 1x1, stride-1, unpadded window")
		}
		checkLen(fn, "Epilogue.Pre.Scale", len(pre.Scale), cin)
		if pre.Shift != nil {
			checkLen(fn, "Epilogue.Pre.Shift", len(pre.Shift), cin)
		}
	} else if directConv(g) {
		// The input rows are the A rows; the channel offset is a column
		// offset of A.
		if !plan.init(fn, m, src[c0:], g.C, b, dst, ldd, ep, work) {
			return false
		}
		plan.checkA(fn)
		return true
	}
	// A comes a chunk at a time, from work: im2col rows, or the input rows
	// mapped by the prologue. The scratch holds one chunk, which is never
	// more than one image's pixels, even when the images' pixels run on.
	job := convJob{src: src, g: *g, c0: c0, cin: cin, work: work, chunk: chunkRows(g), pre: pre}
	job.indirect = pre == nil && useIndirect(b.kern, g, cin, b.n)
	checkLen(fn, "work", len(work), threads*job.chunkWork(b.k))
	if !plan.init(fn, m, nil, b.k, b, dst, ldd, ep, nil) {
		return false
	}
	*cj = job
	return true
}

// run computes output pixels [r0, r1) of the convolution, r0 a multiple of
// cj.chunk on the im2col path, and column panels [p0, p1) (all of them on
// the im2col path).
func (cj *convJob) run(plan *gemmPlan, r0, r1, p0, p1 int) {
	if cj.src == nil {
		plan.run(r0, r1, p0, p1)
		return
	}
	if cj.indirect {
		cj.runIndirect(plan, r0, r1, p0, p1)
		return
	}
	k := plan.k
	for i := r0; i < r1; i += cj.chunk {
		i1 := min(r1, i+cj.chunk)
		cj.im2col(cj.work, i, i1)
		sub := plan.rows(i, i1, cj.work, k)
		sub.run(0, i1-i, 0, sub.panels)
	}
}

// run0 writes all the im2col rows of a convolution of a single chunk into
// work, for a GEMM split by panels instead of by chunks.
func (cj *convJob) run0(plan *gemmPlan) {
	cj.im2col(cj.work, 0, plan.m)
}
