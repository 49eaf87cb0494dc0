package runtime

import (
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a fixed set of worker goroutines that Pool methods split kernels
// across. Create one with NewPool, at initialization, and share it between
// models if you like: calls on one Pool are serialized (each call uses every
// worker), so concurrent callers wait for each other rather than
// oversubscribing the CPUs.
//
// A nil *Pool is valid and runs everything on the calling goroutine, so
// generated code can call pool methods unconditionally.
type Pool struct {
	mu      sync.Mutex
	workers []*poolWorker
	closed  bool
}

// A poolWorker is handed jobs through seq and reports through done rather
// than through channels alone: waking a parked goroutine costs tens of
// microseconds on some machines (as much as a whole small GEMM), and a
// goroutine readied by a channel send tends to wait for the sender's own P.
// So a worker spins (yielding) for a while after each job, and the caller
// spins for completion; only a worker idle for longer than spinTime parks on
// wake.
type poolWorker struct {
	seq    atomic.Uint64 // bumped by the caller after writing job
	done   atomic.Uint64 // set to seq by the worker after finishing it
	parked atomic.Bool   // the worker is (about to be) blocked on wake
	wake   chan struct{}
	job    poolJob
}

// spinTime is how long an idle worker polls for the next job before
// parking. Layers of a network follow each other within microseconds, so
// workers stay awake through a whole prediction and park soon after it.
const spinTime = 500 * time.Microsecond

// poolJob is one worker's share of a call. It holds everything by value so
// that a call's arguments never escape to the heap through the workers.
type poolJob struct {
	kind           jobKind
	gemm           gemmPlan
	conv           convJob
	groups         groupJob
	dw             dwJob
	wino           winoJob
	pooling        plJob
	q              qJob // the quantized kernels' jobs (qpool.go)
	stem           stemJob
	global         globalJob
	m0, m1, p0, p1 int
}

type jobKind uint8

const (
	jobQuit      jobKind = iota
	jobGemm              // gemm rows [m0, m1), panels [p0, p1)
	jobConv              // conv output pixels [m0, m1), panels [p0, p1)
	jobGroups            // grouped conv output pixels [m0, m1), groups [p0, p1)
	jobDepthwise         // depthwise output rows [m0, m1)
	jobWinograd          // Winograd tiles [m0, m1), panels [p0, p1)
	jobPooling           // MaxPool or AvgPool output rows [m0, m1)
	jobQuant             // a quantized kernel's share; q.kind says which
	jobStem              // ConvNCHW output rows [m0, m1)
	jobGlobal            // GlobalAvgPool pixel parts [m0, m1)
)

func (j *poolJob) run() {
	switch j.kind {
	case jobGemm:
		j.gemm.run(j.m0, j.m1, j.p0, j.p1)
	case jobConv:
		j.conv.run(&j.gemm, j.m0, j.m1, j.p0, j.p1)
	case jobGroups:
		j.groups.run(j.m0, j.m1, j.p0, j.p1)
	case jobDepthwise:
		j.dw.run(j.m0, j.m1)
	case jobWinograd:
		j.wino.run(j.m0, j.m1, j.p0, j.p1)
	case jobPooling:
		j.pooling.run(j.m0, j.m1)
	case jobQuant:
		j.q.run(j.m0, j.m1, j.p0, j.p1)
	case jobStem:
		j.stem.run(j.m0, j.m1)
	case jobGlobal:
		j.global.run(j.m0, j.m1)
	}
}

// NewPool starts a pool that runs kernels on threads goroutines, the
// caller's included (threads-1 are started). threads <= 0 means
// GOMAXPROCS. A pool of one thread is valid and runs everything inline.
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = goruntime.GOMAXPROCS(0)
	}
	p := &Pool{}
	for i := 1; i < threads; i++ {
		w := &poolWorker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		go w.loop()
	}
	// A pool dropped without Close would leave its workers parked forever;
	// the workers do not reference the Pool, so it can be collected and
	// its workers stopped.
	goruntime.AddCleanup(p, stopWorkers, p.workers)
	return p
}

func stopWorkers(ws []*poolWorker) {
	for _, w := range ws {
		w.job = poolJob{kind: jobQuit}
		w.start()
	}
}

// Threads returns the number of goroutines a call may use, the caller's
// included (1 for a nil or closed pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 1
	}
	return len(p.workers) + 1
}

// Close stops the worker goroutines. Later calls run on the caller's
// goroutine only. Close must not run concurrently with a call in progress
// on the same pool from another goroutine (it waits for it).
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	stopWorkers(p.workers)
}

// start hands the job in w.job to the worker.
func (w *poolWorker) start() {
	w.seq.Add(1)
	if w.parked.Swap(false) {
		w.wake <- struct{}{}
	}
}

// wait returns once the worker has finished the job last started.
func (w *poolWorker) wait() {
	want := w.seq.Load()
	for i := 0; w.done.Load() != want; i++ {
		if i > 100 {
			goruntime.Gosched()
		}
	}
}

func (w *poolWorker) loop() {
	var last uint64
	for {
		w.next(last)
		last = w.seq.Load()
		if w.job.kind == jobQuit {
			return
		}
		w.job.run()
		w.job = poolJob{} // drop references to the caller's slices
		w.done.Store(last)
	}
}

// next returns when seq has moved past last: first by polling, yielding the
// P so that a GOMAXPROCS=1 program still makes progress, then by parking.
func (w *poolWorker) next(last uint64) {
	start := time.Now()
	for i := 0; w.seq.Load() == last; i++ {
		if i < 64 {
			continue
		}
		goruntime.Gosched()
		if i%64 != 0 || time.Since(start) < spinTime {
			continue
		}
		// Park. The caller bumps seq before swapping parked, so either
		// it sees parked and sends, or the check below sees its bump.
		w.parked.Store(true)
		if w.seq.Load() != last {
			if !w.parked.Swap(false) {
				<-w.wake // the caller sent anyway; drain it
			}
			return
		}
		<-w.wake
		return
	}
}

// minParallelFlops is the smallest GEMM (2*m*n*k) worth splitting: handing
// work to a goroutine and waiting for it costs around a microsecond, the
// time of a 200 kFLOP product. Tests lower it to split everything.
var minParallelFlops = float64(1 << 20)

// Sgemm is Sgemm split across the pool's goroutines: by rows of A and C when
// there are enough of them, otherwise by column panels of B. The contract,
// results and zero allocation are those of the package-level Sgemm, which a
// nil pool calls; the result is the same bit for bit, since every element
// is computed by the same code. work is as for Sgemm.
func (p *Pool) Sgemm(m int, a []float32, lda int, b *PackedB, c []float32, ldc int, ep *Epilogue, work []float32) {
	if p == nil || len(p.workers) == 0 {
		Sgemm(m, a, lda, b, c, ldc, ep, work)
		return
	}
	if ep != nil && ep.Pre != nil {
		panic("runtime.Pool.Sgemm: Epilogue.Pre is for convolutions")
	}
	var plan gemmPlan
	if !plan.init("Pool.Sgemm", m, a, lda, b, c, ldc, ep, work) {
		return
	}
	plan.checkA("Pool.Sgemm")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gemm(&plan)
}

// size returns how many goroutines a call may use, the caller's included:
// 1 once the pool is closed. The caller holds p.mu.
func (p *Pool) size() int {
	if p.closed {
		return 1
	}
	return len(p.workers) + 1
}

// threads returns how many goroutines a call of the given size should use.
// The caller holds p.mu.
func (p *Pool) threads(flops float64) int {
	if p.closed || flops < minParallelFlops {
		return 1
	}
	return len(p.workers) + 1
}

// gemm runs a checked plan across the pool. The caller holds p.mu.
func (p *Pool) gemm(plan *gemmPlan) {
	threads := p.threads(2 * float64(plan.m) * float64(plan.n) * float64(max(plan.k, 1)))
	sp := splitGemm(plan.m, plan.panels, plan.kern.mr, threads)
	for i := 0; i < sp.parts; i++ {
		j := poolJob{kind: jobGemm, gemm: *plan}
		j.m0, j.m1, j.p0, j.p1 = sp.share(i)
		p.share(i, sp.parts, &j)
	}
}

// A gemmSplit is how a GEMM of m rows and some column panels is divided
// between goroutines: by rows when there are enough of them (each part
// then streams all of B once, which is cheap next to its share of the
// arithmetic, and writes whole rows), otherwise by panels.
type gemmSplit struct {
	m, panels, mr, parts int
	byRows               bool
}

func splitGemm(m, panels, mr, threads int) gemmSplit {
	sp := gemmSplit{m: m, panels: panels, mr: mr, parts: threads}
	sp.byRows = m >= threads*mr*2 || panels < threads
	if sp.byRows {
		sp.parts = min(sp.parts, (m+mr-1)/mr)
	} else {
		sp.parts = min(sp.parts, panels)
	}
	return sp
}

// share returns part i's rows and panels. Row shares are multiples of mr,
// so only the last share has a short tile.
func (sp gemmSplit) share(i int) (m0, m1, p0, p1 int) {
	if !sp.byRows {
		return 0, sp.m, sp.panels * i / sp.parts, sp.panels * (i + 1) / sp.parts
	}
	tiles := (sp.m + sp.mr - 1) / sp.mr
	return min(sp.m, tiles*i/sp.parts*sp.mr), min(sp.m, tiles*(i+1)/sp.parts*sp.mr), 0, sp.panels
}

// share hands part i of parts to worker i, or runs it on the caller's
// goroutine when it is the last part, and then waits for all of them.
// The caller holds p.mu.
func (p *Pool) share(i, parts int, j *poolJob) {
	if i < parts-1 {
		w := p.workers[i]
		w.job = *j
		w.start()
		return
	}
	j.run()
	for _, w := range p.workers[:parts-1] {
		w.wait()
	}
}

// Conv2DWorkSize is Conv2DWorkSize for Pool.Conv2D: one chunk of scratch
// per thread.
func (p *Pool) Conv2DWorkSize(g *Window, k int) int {
	return p.Threads() * Conv2DWorkSize(g, k)
}

// PrologueWorkSize is PrologueWorkSize for a call on the pool: one chunk
// per goroutine.
func (p *Pool) PrologueWorkSize(g *Window, k int) int {
	return p.Threads() * PrologueWorkSize(g, k)
}

// Conv2D is Conv2D split across the pool's goroutines, by chunks of output
// pixels, each goroutine with its own part of work, whose length must be at
// least p.Conv2DWorkSize(g, b.K()). Small outputs (a single chunk) are
// turned into im2col rows (or the indirect GEMM's table) once and the GEMM
// is split by row tiles or column panels. A nil pool calls Conv2D.
func (p *Pool) Conv2D(dst []float32, ldd int, src []float32, g *Window, c0 int, b *PackedB, ep *Epilogue, work []float32) {
	p.ConvN(dst, ldd, src, g, 1, c0, b, ep, work)
}

// ConvN is ConvN split across the pool's goroutines like Conv2D. A nil
// pool calls ConvN.
func (p *Pool) ConvN(dst []float32, ldd int, src []float32, g *Window, n, c0 int, b *PackedB, ep *Epilogue, work []float32) {
	if p == nil || len(p.workers) == 0 {
		ConvN(dst, ldd, src, g, n, c0, b, ep, work)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	nthreads := p.size()
	var plan gemmPlan
	var cj convJob
	if !cj.init("Pool.ConvN", &plan, dst, ldd, src, g, n, c0, b, ep, work, nthreads) {
		return
	}
	if cj.src == nil {
		p.gemm(&plan)
		return
	}
	m := plan.m
	chunks := (m + cj.chunk - 1) / cj.chunk
	threads := p.threads(2 * float64(m) * float64(plan.n) * float64(plan.k))
	chunkWork := cj.chunkWork(plan.k)
	if cj.indirect {
		// Any rows can start a share, so the indirect GEMM splits like a
		// GEMM, each share with its own scratch for its tables.
		sp := splitGemm(m, plan.panels, plan.kern.mr, threads)
		for i := 0; i < sp.parts; i++ {
			j := poolJob{kind: jobConv, gemm: plan, conv: cj}
			j.conv.work = cj.work[i*chunkWork : (i+1)*chunkWork]
			j.m0, j.m1, j.p0, j.p1 = sp.share(i)
			p.share(i, sp.parts, &j)
		}
		return
	}
	if chunks == 1 {
		cj.run0(&plan)
		plan.a, plan.lda = cj.work, plan.k
		p.gemm(&plan)
		return
	}
	parts := min(threads, chunks)
	for i := 0; i < parts; i++ {
		j := poolJob{kind: jobConv, gemm: plan, conv: cj, p1: plan.panels}
		j.conv.work = cj.work[i*chunkWork : (i+1)*chunkWork]
		j.m0 = min(m, chunks*i/parts*cj.chunk)
		j.m1 = min(m, chunks*(i+1)/parts*cj.chunk)
		p.share(i, parts, &j)
	}
}

// DepthwiseConv is DepthwiseConv split across the pool's goroutines by
// output rows. A nil pool calls DepthwiseConv.
func (p *Pool) DepthwiseConv(dst []float32, ldd int, src []float32, g *Window, mult int, w []float32, ep *Epilogue) {
	if p == nil || len(p.workers) == 0 {
		DepthwiseConv(dst, ldd, src, g, mult, w, ep)
		return
	}
	j := poolJob{kind: jobDepthwise}
	j.dw.init("Pool.DepthwiseConv", dst, ldd, src, g, mult, w, ep)
	p.byOutputRows(g, mult, &j)
}

// byOutputRows runs j, a job of light work per output tap (depthwise
// convolutions and pools: one multiply-add or compare each, the whole
// input moved through the cache), across the pool in bands of g's output
// rows; such work is split from a quarter of the GEMM threshold.
func (p *Pool) byOutputRows(g *Window, mult int, j *poolJob) {
	p.mu.Lock()
	defer p.mu.Unlock()
	threads := p.threads(4 * 2 * float64(g.OutPixels()*g.C*mult*g.KH*g.KW))
	parts := min(threads, g.OH)
	for i := 0; i < parts; i++ {
		band := *j
		band.m0, band.m1 = g.OH*i/parts, g.OH*(i+1)/parts
		p.share(i, parts, &band)
	}
}

// WinogradWorkSize is WinogradWorkSize for Pool.WinogradConv3x3: one
// scratch area per thread.
func (p *Pool) WinogradWorkSize(g *Window, m, tile int) int {
	return p.Threads() * WinogradWorkSize(g, m, tile)
}

// WinogradConv3x3 is WinogradConv3x3 split across the pool's goroutines,
// each with its own part of work, whose length must be at least
// p.WinogradWorkSize(g, wt.M(), wt.Tile()). Images of several chunks of
// tiles are split by chunks; smaller ones (the deep layers of a network, a
// few tiles of many channels) by output channels, every goroutine
// transforming the whole input but reading only its share of the filters,
// which are then the bulk of the memory traffic. Either way every output
// is computed by the same code as in the serial call, so the result is the
// same bit for bit. A nil pool calls WinogradConv3x3.
func (p *Pool) WinogradConv3x3(dst []float32, ldd int, src []float32, g *Window, wt *PackedWinograd, ep *Epilogue, work []float32) {
	if p == nil || len(p.workers) == 0 {
		WinogradConv3x3(dst, ldd, src, g, wt, ep, work)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	nthreads := p.size()
	var wj winoJob
	if !wj.init("Pool.WinogradConv3x3", dst, ldd, src, g, wt, ep, work, nthreads) {
		return
	}
	tiles := wj.tiles
	threads := p.threads(2 * float64(len(wt.b)) * float64(tiles) * float64(wt.c) * float64(wt.m))
	chunks := (tiles + wj.chunk - 1) / wj.chunk
	byChunks := chunks >= threads || wj.panels < threads
	parts := min(threads, chunks)
	// Fewer chunks than threads but tiles enough for whole GEMM row
	// tiles in every share: split the tiles (a multiple of 12 each, the
	// last taking the rest) rather than the panels, which would make
	// every thread transform all the input tiles. (28x28 ResNet layers,
	// one chunk of 49 tiles: 1.2 to 1.4x on two threads by panels.)
	byTiles := !byChunks && tiles >= 12*threads
	if byTiles {
		parts = threads
	} else if !byChunks {
		parts = min(threads, wj.panels)
	}
	per := WinogradWorkSize(g, wt.m, wt.n)
	for i := 0; i < parts; i++ {
		j := poolJob{kind: jobWinograd, wino: wj, m0: 0, m1: tiles, p0: 0, p1: wj.panels}
		j.wino.work = wj.work[i*per : (i+1)*per]
		if byTiles {
			share := tiles / parts / 12 * 12
			j.m0 = i * share
			if i < parts-1 {
				j.m1 = (i + 1) * share
			}
		} else if byChunks {
			j.m0 = min(tiles, chunks*i/parts*wj.chunk)
			j.m1 = min(tiles, chunks*(i+1)/parts*wj.chunk)
		} else {
			j.p0, j.p1 = wj.panels*i/parts, wj.panels*(i+1)/parts
		}
		p.share(i, parts, &j)
	}
}

// MaxPool is MaxPool split across the pool's goroutines by output rows. A
// nil pool calls MaxPool.
func (p *Pool) MaxPool(dst, src []float32, g *Window) { p.MaxPoolStrided(dst, g.C, src, g) }

// MaxPoolStrided is MaxPoolStrided split across the pool's goroutines by
// output rows. A nil pool calls MaxPoolStrided.
func (p *Pool) MaxPoolStrided(dst []float32, ldd int, src []float32, g *Window) {
	if p == nil || len(p.workers) == 0 {
		MaxPoolStrided(dst, ldd, src, g)
		return
	}
	var pj plJob
	pj.init("Pool.MaxPool", dst, ldd, src, g, false, false)
	p.pooling(&pj)
}

// AvgPool is AvgPool split across the pool's goroutines by output rows. A
// nil pool calls AvgPool.
func (p *Pool) AvgPool(dst, src []float32, g *Window, countIncludePad bool) {
	p.AvgPoolStrided(dst, g.C, src, g, countIncludePad)
}

// AvgPoolStrided is AvgPoolStrided split across the pool's goroutines by
// output rows. A nil pool calls AvgPoolStrided.
func (p *Pool) AvgPoolStrided(dst []float32, ldd int, src []float32, g *Window, countIncludePad bool) {
	if p == nil || len(p.workers) == 0 {
		AvgPoolStrided(dst, ldd, src, g, countIncludePad)
		return
	}
	var pj plJob
	pj.init("Pool.AvgPool", dst, ldd, src, g, true, countIncludePad)
	p.pooling(&pj)
}

// pooling runs a checked MaxPool or AvgPool across the pool.
func (p *Pool) pooling(pj *plJob) {
	p.byOutputRows(&pj.g, 1, &poolJob{kind: jobPooling, pooling: *pj})
}
