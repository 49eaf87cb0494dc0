package runtime

import "strconv"

// ConvGroups is ConvN for all the groups of a grouped convolution in one
// call: group gr reads input channels [c0+gr*cin, c0+(gr+1)*cin), where cin =
// bs[gr].K()/(KH*KW), and writes its N = bs[gr].N() output channels, with
// the epilogue eps[gr], from channel gr*N of each row of dst (rows ldd
// apart); eps[gr].Bias and Residual count from the group's first channel,
// as for ConvN. The results are those of one ConvN per group, but the
// indirect GEMM builds the table of each chunk of pixels once for all the
// groups, which matters when a group has few channels (RegNet, ResNeXt):
// its GEMM is then short next to the table.
//
// Contract: len(eps) == len(bs) >= 1; every bs[gr] has the K and N of
// bs[0] and was packed the same way (PackConv); c0+len(bs)*cin <= C;
// len(dst) >= (n*OH*OW-1)*ldd + len(bs)*N; the rest as for ConvN, each
// group's call in turn (work is sized for one group). It never allocates.
func ConvGroups(dst []float32, ldd int, src []float32, g *Window, n, c0 int, bs []*PackedB, eps []Epilogue, work []float32) {
	var gj groupJob
	if !gj.init("ConvGroups", dst, ldd, src, g, n, c0, bs, eps, work, 1) {
		for gr, b := range bs {
			ConvN(dst[gr*b.n:], ldd, src, g, n, c0+gr*gj.cin, b, &eps[gr], work)
		}
		return
	}
	gj.run(0, gj.m, 0, len(bs))
}

// groupJob is a ConvGroups call on the indirect path, or one worker's
// share of one: rows [m0, m1) of groups [g0, g1).
type groupJob struct {
	fn   string
	dst  []float32
	ldd  int
	bs   []*PackedB
	eps  []Epilogue
	cj   convJob // group 0's, whose tables serve every group
	m    int     // output pixels of all the images
	cin  int
	nOut int // each group's output channels
}

// init checks a ConvGroups call as ConvN checks each group's. It reports
// whether the groups go through the indirect GEMM together; if not, the
// caller runs them one at a time (cin is set either way), and nothing
// needs computing when m or N is zero.
func (gj *groupJob) init(fn string, dst []float32, ldd int, src []float32, g *Window, n, c0 int, bs []*PackedB, eps []Epilogue, work []float32, threads int) bool {
	if len(bs) < 1 || len(eps) != len(bs) {
		panic("runtime." + fn + ": " + strconv.Itoa(len(bs)) + " filter banks and " + strconv.Itoa(len(eps)) + " epilogues")
	}
	if n < 1 {
		panic("runtime." + fn + ": " + strconv.Itoa(n) + " images")
	}
	b0 := bs[0]
	if b0 == nil {
		panic("runtime." + fn + ": nil PackedB")
	}
	for _, b := range bs {
		if b == nil || b.k != b0.k || b.n != b0.n || b.kern != b0.kern {
			panic("runtime." + fn + ": the groups' filter banks differ in shape or packing")
		}
	}
	taps := g.KH * g.KW
	*gj = groupJob{fn: fn, dst: dst, ldd: ldd, bs: bs, eps: eps, m: n * g.OutPixels(), cin: b0.k / max(taps, 1), nOut: b0.n}
	checkLen(fn, "dst", len(dst), (gj.m-1)*ldd+len(bs)*b0.n)
	// Each group as ConvN would check it; group 0's job is kept.
	var plan gemmPlan
	var cj convJob
	live := false
	for gr := len(bs) - 1; gr >= 0; gr-- {
		live = cj.init(fn, &plan, dst[gr*b0.n:], ldd, src, g, n, c0+gr*gj.cin, bs[gr], &eps[gr], work, threads)
	}
	gj.cj = cj
	return live && cj.src != nil && cj.indirect
}

// run computes output pixels [m0, m1) of groups [g0, g1), a chunk of
// pixels at a time: its table, then every group's product from it.
func (gj *groupJob) run(m0, m1, g0, g1 int) {
	cj := &gj.cj
	var plan gemmPlan
	taps := cj.g.KH * cj.g.KW
	for i := m0; i < m1; i += cj.chunk {
		end := min(m1, i+cj.chunk)
		tbl := int32s(cj.work, (end-i)*taps)
		in := cj.fillTable(tbl, i, end)
		for gr := g0; gr < g1; gr++ {
			b := gj.bs[gr]
			// Checked by init; this only decodes the group's epilogue.
			plan.init(gj.fn, gj.m, nil, b.k, b, gj.dst[gr*gj.nOut:], gj.ldd, &gj.eps[gr], nil)
			igemmRows(&plan, tbl, in[gr*gj.cin:], i, end-i, taps, gj.cin, 0, plan.panels)
		}
	}
}

// ConvGroups is ConvGroups split across the pool's goroutines: by rows of
// output pixels, every goroutine building the tables of its own rows for
// all the groups, or by groups when there are too few pixels (the last
// stage of a network). work is as for Pool.ConvN. Every output is computed
// by the same code as in the serial call, so the result is the same bit
// for bit. A nil pool calls ConvGroups.
func (p *Pool) ConvGroups(dst []float32, ldd int, src []float32, g *Window, n, c0 int, bs []*PackedB, eps []Epilogue, work []float32) {
	if p == nil || len(p.workers) == 0 {
		ConvGroups(dst, ldd, src, g, n, c0, bs, eps, work)
		return
	}
	var gj groupJob
	if !gj.init("Pool.ConvGroups", dst, ldd, src, g, n, c0, bs, eps, work, p.Threads()) {
		for gr, b := range bs {
			p.ConvN(dst[gr*b.n:], ldd, src, g, n, c0+gr*gj.cin, b, &eps[gr], work)
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	groups, b := len(bs), bs[0]
	threads := p.threads(2 * float64(gj.m) * float64(b.n) * float64(b.k) * float64(groups))
	mr := b.kern.mr
	byRows := gj.m >= threads*mr*2 || groups < threads
	parts := min(threads, groups)
	tiles := (gj.m + mr - 1) / mr
	if byRows {
		parts = min(threads, tiles)
	}
	per := Conv2DWorkSize(g, b.k)
	for i := 0; i < parts; i++ {
		j := poolJob{kind: jobGroups, groups: gj, m0: 0, m1: gj.m, p0: groups * i / parts, p1: groups * (i + 1) / parts}
		if byRows {
			j.m0, j.m1 = min(gj.m, tiles*i/parts*mr), min(gj.m, tiles*(i+1)/parts*mr)
			j.p0, j.p1 = 0, groups
		}
		j.groups.cj.work = work[i*per : (i+1)*per]
		p.share(i, parts, &j)
	}
}
