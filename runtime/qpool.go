package runtime

// qJob is a Pool worker's share of a quantized kernel; poolJob carries
// one so that the quantized kernels need nothing else from pool.go.
type qJob struct {
	kind    qJobKind
	gemm    qgemmPlan
	conv    qconvJob
	dw      qdwJob
	pooling qplJob
}

type qJobKind uint8

const (
	qJobGemm      qJobKind = iota // gemm rows [m0, m1), panels [p0, p1)
	qJobConv                      // conv output pixels [m0, m1)
	qJobDepthwise                 // depthwise output rows [m0, m1)
	qJobPooling                   // pooling output rows [m0, m1)
)

func (j *qJob) run(m0, m1, p0, p1 int) {
	switch j.kind {
	case qJobGemm:
		j.gemm.run(m0, m1, p0, p1)
	case qJobConv:
		j.conv.run(&j.gemm, m0, m1)
	case qJobDepthwise:
		j.dw.run(m0, m1)
	case qJobPooling:
		j.pooling.run(m0, m1)
	}
}

// QGemm is QGemm split across the pool's goroutines like Pool.Sgemm: by
// rows of A and C when there are enough of them, otherwise by column
// panels of B. Every element is computed by the same code as in the
// serial call, so the result is the same bit for bit. A nil pool calls
// QGemm.
func (p *Pool) QGemm(m int, a []uint8, lda int, za uint8, b *PackedQB, c QOutput, ldc int, ep *QEpilogue) {
	if p == nil || len(p.workers) == 0 {
		QGemm(m, a, lda, za, b, c, ldc, ep)
		return
	}
	var plan qgemmPlan
	if !plan.init("Pool.QGemm", m, a, lda, za, b, c, ldc, ep) {
		return
	}
	plan.checkA("Pool.QGemm")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.qgemm(&plan)
}

// qgemm runs a checked plan across the pool, as gemm does a float one.
// The caller holds p.mu.
func (p *Pool) qgemm(plan *qgemmPlan) {
	m := plan.m
	threads := p.threads(2 * float64(m) * float64(plan.n) * float64(max(plan.k, 1)))
	mr := plan.kern.mr
	byRows := m >= threads*mr*2 || plan.panels < threads
	parts := threads
	if byRows {
		parts = min(parts, (m+mr-1)/mr)
	} else {
		parts = min(parts, plan.panels)
	}
	tiles := (m + mr - 1) / mr
	for i := 0; i < parts; i++ {
		j := poolJob{kind: jobQuant, q: qJob{kind: qJobGemm, gemm: *plan}, m0: 0, m1: m, p0: 0, p1: plan.panels}
		if byRows {
			j.m0 = min(m, tiles*i/parts*mr)
			j.m1 = min(m, tiles*(i+1)/parts*mr)
		} else {
			j.p0 = plan.panels * i / parts
			j.p1 = plan.panels * (i + 1) / parts
		}
		p.share(i, parts, &j)
	}
}

// QConv2DWorkSize is QConv2DWorkSize for Pool.QConv2D: one chunk of
// scratch per thread.
func (p *Pool) QConv2DWorkSize(g *Window, k int) int {
	return p.Threads() * QConv2DWorkSize(g, k)
}

// QConv2D is QConv2D split across the pool's goroutines as Pool.Conv2D
// splits Conv2D: by chunks of output pixels, each goroutine with its own
// part of work, whose length must be at least p.QConv2DWorkSize(g,
// b.K()); a single chunk is turned into im2col rows once and the GEMM
// split by column panels. A nil pool calls QConv2D.
func (p *Pool) QConv2D(dst QOutput, ldd int, src []uint8, g *Window, c0 int, za uint8, b *PackedQB, ep *QEpilogue, work []uint8) {
	if p == nil || len(p.workers) == 0 {
		QConv2D(dst, ldd, src, g, c0, za, b, ep, work)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	nthreads := p.size()
	var plan qgemmPlan
	var cj qconvJob
	if !cj.init("Pool.QConv2D", &plan, dst, ldd, src, g, c0, za, b, ep, work, nthreads) {
		return
	}
	m := plan.m
	chunks := (m + convChunk - 1) / convChunk
	if cj.src == nil || chunks == 1 {
		if cj.src != nil {
			cj.run0(&plan)
		}
		p.qgemm(&plan)
		return
	}
	threads := p.threads(2 * float64(m) * float64(plan.n) * float64(plan.k))
	parts := min(threads, chunks)
	chunkWork := QConv2DWorkSize(g, plan.k)
	for i := 0; i < parts; i++ {
		j := poolJob{kind: jobQuant, q: qJob{kind: qJobConv, gemm: plan, conv: cj}}
		j.q.conv.work = cj.work[i*chunkWork : (i+1)*chunkWork]
		j.m0 = min(m, chunks*i/parts*convChunk)
		j.m1 = min(m, chunks*(i+1)/parts*convChunk)
		p.share(i, parts, &j)
	}
}

// QDepthwiseConv is QDepthwiseConv split across the pool's goroutines by
// output rows. A nil pool calls QDepthwiseConv.
func (p *Pool) QDepthwiseConv(dst QOutput, ldd int, src []uint8, g *Window, mult int, za uint8, w *PackedQDepthwise, ep *QEpilogue) {
	if p == nil || len(p.workers) == 0 {
		QDepthwiseConv(dst, ldd, src, g, mult, za, w, ep)
		return
	}
	j := poolJob{kind: jobQuant, q: qJob{kind: qJobDepthwise}}
	j.q.dw.init("Pool.QDepthwiseConv", dst, ldd, src, g, mult, za, w, ep)
	p.byOutputRows(g, mult, &j)
}

// QMaxPool is QMaxPool split across the pool's goroutines by output rows.
// A nil pool calls QMaxPool.
func (p *Pool) QMaxPool(dst, src []uint8, g *Window) {
	if p == nil || len(p.workers) == 0 {
		QMaxPool(dst, src, g)
		return
	}
	var pj qplJob
	pj.init("Pool.QMaxPool", dst, src, g, false, false, nil)
	p.qpooling(&pj)
}

// QAvgPool is QAvgPool split across the pool's goroutines by output rows.
// A nil pool calls QAvgPool.
func (p *Pool) QAvgPool(dst, src []uint8, g *Window, countIncludePad bool, q *QRequant) {
	if p == nil || len(p.workers) == 0 {
		QAvgPool(dst, src, g, countIncludePad, q)
		return
	}
	var pj qplJob
	pj.init("Pool.QAvgPool", dst, src, g, true, countIncludePad, q)
	p.qpooling(&pj)
}

// qpooling runs a checked QMaxPool or QAvgPool across the pool.
func (p *Pool) qpooling(pj *qplJob) {
	p.byOutputRows(&pj.g, 1, &poolJob{kind: jobQuant, q: qJob{kind: qJobPooling, pooling: *pj}})
}
