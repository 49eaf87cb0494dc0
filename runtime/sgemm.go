package runtime

import "strconv"

// PackedB is a K x N matrix (GEMM weights) rearranged once, at model
// initialization, into the panel order the micro-kernel streams: column
// panels of the kernel's width, each holding its K rows contiguously, with
// the last panel padded with zeros. It is read-only after PackB returns and
// may be shared by any number of concurrent Sgemm calls.
type PackedB struct {
	k, n int
	kern *kernel
	// data holds the panels one after the other. Panel p covers columns
	// [p*nr, p*nr+w) and starts at p*k*nr; its row kk is the w values at
	// kk*w within the panel, where w is nr except for the last panel, which
	// may be narrower (a multiple of kern.nrMin).
	data []float32
}

// K returns the number of rows of B (the GEMM's inner dimension).
func (p *PackedB) K() int { return p.k }

// N returns the number of columns of B (output channels).
func (p *PackedB) N() int { return p.n }

// panelWidth is the packed width of panel p.
func (p *PackedB) panelWidth(panel int) int {
	nr := p.kern.nr
	rem := p.n - panel*nr
	if rem >= nr {
		return nr
	}
	return (rem + p.kern.nrMin - 1) / p.kern.nrMin * p.kern.nrMin
}

// PackB packs the k x n matrix B for Sgemm. It allocates and is meant to run
// once per weight tensor, at initialization.
//
// When transB is false, B(kk, j) is b[kk*ldb + j] (row-major K x N, ldb >=
// n). When transB is true, B(kk, j) is b[j*ldb + kk]: b is the row-major
// N x K matrix B^T (ldb >= k), which is how ONNX Gemm stores weights with
// transB=1 and how a convolution's [Cout, KH*KW*Cin] filters look once their
// inner axes are in (kh, kw, c) order (see PackConv).
//
// PackB panics if k or n is negative, ldb is too small or b too short.
func PackB(k, n int, b []float32, ldb int, transB bool) *PackedB {
	return packB(bestKernel, k, n, b, ldb, transB)
}

func packB(kern *kernel, k, n int, b []float32, ldb int, transB bool) *PackedB {
	if k < 0 || n < 0 {
		panic("runtime.PackB: negative size k=" + strconv.Itoa(k) + " n=" + strconv.Itoa(n))
	}
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	if ldb < cols {
		panic("runtime.PackB: ldb=" + strconv.Itoa(ldb) + " is less than " + strconv.Itoa(cols))
	}
	if rows > 0 && cols > 0 {
		checkLen("PackB", "b", len(b), (rows-1)*ldb+cols)
	}
	p := &PackedB{k: k, n: n, kern: kern}
	p.data = make([]float32, p.size())
	p.fill(b, ldb, transB)
	return p
}

// size returns the number of values the packed panels take.
func (p *PackedB) size() int {
	nr := p.kern.nr
	panels := (p.n + nr - 1) / nr
	size := 0
	for pn := 0; pn < panels; pn++ {
		size += p.k * p.panelWidth(pn)
	}
	return size
}

// fill packs B into p.data, which holds p.size() zeros.
func (p *PackedB) fill(b []float32, ldb int, transB bool) {
	k, n := p.k, p.n
	nr := p.kern.nr
	panels := (n + nr - 1) / nr
	off := 0
	for pn := 0; pn < panels; pn++ {
		w := p.panelWidth(pn)
		j0 := pn * nr
		jn := min(nr, n-j0)
		dst := p.data[off : off+k*w]
		for kk := 0; kk < k; kk++ {
			d := dst[kk*w : kk*w+jn]
			if transB {
				for j := range d {
					d[j] = b[(j0+j)*ldb+kk]
				}
			} else {
				copy(d, b[kk*ldb+j0:])
			}
		}
		off += k * w
	}
}

// filtersHWC reorders each of cout filters of w from ONNX's (c, kh, kw)
// order to the im2col GEMM's (kh, kw, c), the transposed B operand PackConv
// and PackQConv pack. It allocates (initialization only).
func filtersHWC[T float32 | int8](w []T, cout, cin, kh, kw int) []T {
	k := kh * kw * cin
	t := make([]T, cout*k)
	for o := 0; o < cout; o++ {
		src := w[o*k : o*k+k]
		dst := t[o*k : o*k+k]
		for c := 0; c < cin; c++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					dst[(y*kw+x)*cin+c] = src[(c*kh+y)*kw+x]
				}
			}
		}
	}
	return t
}

// PackConv packs convolution filters stored as ONNX does, [cout][cin][kh][kw]
// (OIHW), into the B operand of the im2col GEMM: K = kh*kw*cin in (kh, kw, c)
// order, matching Im2col's rows, and N = cout. For a grouped convolution
// pass one group's filters (cout and cin per group) and pack each group
// separately. It allocates and is meant to run at initialization.
func PackConv(w []float32, cout, cin, kh, kw int) *PackedB {
	return packConv(bestKernel, w, cout, cin, kh, kw)
}

func packConv(kern *kernel, w []float32, cout, cin, kh, kw int) *PackedB {
	if cout < 0 || cin < 0 || kh < 0 || kw < 0 {
		panic("runtime.PackConv: negative size")
	}
	k := kh * kw * cin
	checkLen("PackConv", "w", len(w), cout*k)
	return packB(kern, k, cout, filtersHWC(w, cout, cin, kh, kw), max(k, 1), true)
}

// SgemmWorkSize returns the number of float32 scratch elements Sgemm needs
// for an m-row A with inner dimension k. Generated code sizes one buffer
// with the largest value over its GEMMs, once. It is currently zero for every
// kernel (A is read in place), but callers should not rely on that.
func SgemmWorkSize(m, k int) int { return 0 }

// Sgemm computes C = epilogue(A x B) for the m x K matrix A and the packed
// K x N matrix B, writing the m x N result into C:
//
//	C[i*ldc + j] = Act(sum_kk A[i*lda + kk]*B(kk, j) + Bias[j] + Residual[i*ldc + j])
//
// for 0 <= i < m, 0 <= j < N, with the terms of ep (which may be nil)
// described at Epilogue. K and N are b.K() and b.N().
//
// Contract: lda >= K and ldc >= N; len(a) >= (m-1)*lda + K and len(c) >=
// (m-1)*ldc + N when m > 0; len(work) >= SgemmWorkSize(m, K) (work may be nil
// when that is zero). C must not overlap A, B or the Bias. To write into a
// column range of a wider matrix (grouped convolution, or a convolution whose
// output is a slice of a Concat), pass c starting at the first column and
// ldc = the wider matrix's row length. Only the m x N elements are written;
// the rest of each ldc-long row is left alone.
//
// Sgemm runs on the calling goroutine and never allocates. A violated
// length contract panics before anything is written.
func Sgemm(m int, a []float32, lda int, b *PackedB, c []float32, ldc int, ep *Epilogue, work []float32) {
	if ep != nil && ep.Pre != nil {
		panic("runtime.Sgemm: Epilogue.Pre is for convolutions")
	}
	var plan gemmPlan
	if !plan.init("Sgemm", m, a, lda, b, c, ldc, ep, work) {
		return
	}
	plan.checkA("Sgemm")
	plan.run(0, m, 0, plan.panels)
}

// gemmPlan is one Sgemm call with its checked arguments and decoded
// epilogue; Pool workers run parts of one.
type gemmPlan struct {
	kern   *kernel
	m, k   int
	n      int
	panels int
	a      []float32
	lda    int
	b      *PackedB
	c      []float32
	ldc    int

	// The epilogue, split into what the kernel does in its store step
	// (lastFlags with bias, res, lo, hi, alpha) and an activation applied
	// afterwards, by the activation kernel, to each finished tile (post).
	alias     bool // Residual is C itself: accumulate from the first K block
	lastFlags uint
	bias, res []float32
	lo, hi    float32
	alpha     float32
	post      ActKind
	postA     float32
	postB     float32
}

// init checks the arguments and decodes the epilogue. It reports false when
// there is nothing to do.
func (g *gemmPlan) init(fn string, m int, a []float32, lda int, b *PackedB, c []float32, ldc int, ep *Epilogue, work []float32) bool {
	if b == nil {
		panic("runtime." + fn + ": nil PackedB")
	}
	k, n := b.k, b.n
	if m <= 0 || n == 0 {
		return false
	}
	if lda < k || ldc < n {
		panic("runtime." + fn + ": lda=" + strconv.Itoa(lda) + " or ldc=" + strconv.Itoa(ldc) + " is smaller than K=" + strconv.Itoa(k) + " or N=" + strconv.Itoa(n))
	}
	needC := (m-1)*ldc + n
	checkLen(fn, "c", len(c), needC)
	checkLen(fn, "work", len(work), SgemmWorkSize(m, k))
	*g = gemmPlan{kern: b.kern, m: m, k: k, n: n, a: a, lda: lda, b: b, c: c, ldc: ldc}
	g.panels = (n + b.kern.nr - 1) / b.kern.nr
	if ep == nil {
		return true
	}
	if ep.Bias != nil {
		checkLen(fn, "Epilogue.Bias", len(ep.Bias), n)
		g.bias = ep.Bias
		g.lastFlags |= tBias
	}
	if r := ep.Residual; r != nil {
		checkLen(fn, "Epilogue.Residual", len(r), needC)
		if &r[0] == &c[0] {
			g.alias = true
		} else {
			g.res = r
			g.lastFlags |= tRes
		}
	}
	if lo, hi, ok := ep.Act.clampRange(ep.Alpha, ep.Beta); ok {
		g.lo, g.hi = lo, hi
		g.lastFlags |= tClamp
	} else if ep.Act == ActLeakyRelu {
		g.alpha = ep.Alpha
		g.lastFlags |= tLeaky
	} else {
		g.post, g.postA, g.postB = ep.Act, ep.Alpha, ep.Beta
	}
	return true
}

// checkA checks the length of A, which init leaves to its callers because
// Conv2D supplies A a chunk at a time.
func (g *gemmPlan) checkA(fn string) {
	if g.k > 0 {
		checkLen(fn, "a", len(g.a), (g.m-1)*g.lda+g.k)
	}
}

// rows returns the plan for rows [i0, i1) of this one, with A replaced by
// a, whose row 0 is row i0 of the product (a chunk of an im2col matrix).
func (g *gemmPlan) rows(i0, i1 int, a []float32, lda int) gemmPlan {
	sub := *g
	sub.m = i1 - i0
	sub.a, sub.lda = a, lda
	sub.c = g.c[i0*g.ldc:]
	if g.res != nil {
		sub.res = g.res[i0*g.ldc:]
	}
	return sub
}

// run computes rows [m0, m1) and column panels [p0, p1) of the product.
//
// The loops are ordered M block, K block, B panel, row tile: the A block
// (mc x kc) stays in L2 while every panel of B streams past it, each panel
// slice (kc x nr) stays in L1 while the row tiles of the block reuse it,
// and the C block stays in L2 across K blocks.
func (g *gemmPlan) run(m0, m1, p0, p1 int) {
	kern := g.kern
	nr, kc := kern.nr, kern.kc
	blocks := splitRows(m1-m0, kern.mc, kern.mr)
	k := g.k
	for blk := 0; blk < blocks.n; blk++ {
		lo, hi := blocks.block(blk)
		ic, mcb := m0+lo, hi-lo
		for pc := 0; ; pc += kc {
			kcb := min(kc, k-pc)
			last := pc+kcb >= k
			var flags uint
			if pc > 0 || g.alias {
				flags = tAcc
			}
			if last {
				flags |= g.lastFlags
			}
			for p := p0; p < p1; p++ {
				j0 := p * nr
				nw := min(nr, g.n-j0)
				w := g.b.panelWidth(p)
				bp := g.b.data[p*k*nr+pc*w:]
				var bias []float32
				if flags&tBias != 0 {
					bias = g.bias[j0:]
				}
				// One call covers the block's rows: the kernels loop over
				// their row tiles themselves, and store a partial last panel
				// through a mask.
				var res []float32
				if flags&tRes != 0 {
					res = g.res[ic*g.ldc+j0:]
				}
				var at []float32
				if kcb > 0 {
					at = g.a[ic*g.lda+pc:]
				}
				tile(kern, mcb, nw, w, kcb, at, g.lda, bp, g.c[ic*g.ldc+j0:], g.ldc, flags, bias, res, g.lo, g.hi, g.alpha, g.nextPanel(p, p0, p1, pc))
			}
			if last {
				if g.post != ActNone {
					// The activations the kernels do not apply in their
					// store step run on the block of rows just finished,
					// while it is in L2: one call for the whole block, so
					// that the vector kernel's setup is paid once.
					j0 := p0 * nr
					activateRows(g.c[ic*g.ldc+j0:], mcb, min(p1*nr, g.n)-j0, g.ldc, g.post, g.postA, g.postB)
				}
				break
			}
		}
	}
}

// rowBlocks splits m rows into M blocks of about mc rows whose tile
// counts (tiles of mr rows) differ by at most one. Fixed blocks of mc leave
// a short last block (196 rows in blocks of 96 leave 4) that streams every
// panel of B once more for a few rows, which costs most when B is cold.
type rowBlocks struct{ m, mr, tiles, n int }

func splitRows(m, mc, mr int) rowBlocks {
	return rowBlocks{m: m, mr: mr, tiles: (m + mr - 1) / mr, n: max(1, (m+mc/2)/mc)}
}

// block returns the rows [lo, hi) of block b.
func (r rowBlocks) block(b int) (lo, hi int) {
	return b * r.tiles / r.n * r.mr, min(r.m, (b+1)*r.tiles/r.n*r.mr)
}

// nextPanel returns the start of the B slice the call after panel p's (at
// K offset pc) reads, for its kernel to prefetch: the next panel's, or the
// first panel's of the next K block, or nil after the last.
func (g *gemmPlan) nextPanel(p, p0, p1, pc int) *float32 {
	if g.k == 0 || g.kern.isa == isaGo {
		return nil
	}
	if p+1 < p1 {
		p++
	} else {
		p, pc = p0, pc+g.kern.kc
		if pc >= g.k {
			return nil
		}
	}
	return &g.b.data[p*g.k*g.kern.nr+pc*g.b.panelWidth(p)]
}

// tile runs the kernel on one tile of at most kern.mr rows and one B panel
// of packed width w, of which the first nw columns are stored.
func tile(kern *kernel, rows, nw, w, kc int, a []float32, lda int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32, pf *float32) {
	if kern.isa != isaGo {
		asmTile(kern, rows, nw, w, kc, a, lda, b, c, ldc, flags, bias, res, lo, hi, alpha, pf)
		return
	}
	for r := 0; r < rows; r += 2 {
		mr := min(2, rows-r)
		var at, rt []float32
		if kc > 0 {
			at = a[r*lda:]
		}
		if res != nil {
			rt = res[r*ldc:]
		}
		goTile(mr, nw, kc, at, lda, b, c[r*ldc:], ldc, flags, bias, rt, lo, hi, alpha)
	}
}
