package runtime

import (
	"math"
	"strconv"
	"unsafe"
)

// This file holds the integer GEMM of quantized models (QLinearConv,
// QLinearMatMul, ConvInteger, MatMulInteger and QDQ graphs of them):
// uint8 activations times int8 weights, summed exactly in int32, with the
// requantization to 8-bit codes fused into the store step.
//
// With a the activation codes (zero point za), w the weight codes (zero
// point zw[j] per column, usually 0) and K the inner dimension, the kernels
// form sum_k a*w and correct it with the identity
//
//	sum_k (a - za)(w - zw) = sum_k a*w - za*sum_k w - zw*(sum_k a - K*za)
//
// whose second term is a per-column constant computed at packing and whose
// last is needed only for weights with a zero point.

// PackedQB is a K x N int8 matrix (the weights of a quantized GEMM or
// convolution) rearranged once, at model initialization, into the panel
// order its micro-kernel reads, together with the per-column sums the
// zero-point correction needs. Like PackedB it is read-only after packing,
// may be shared by concurrent calls and remembers the kernel it was packed
// for.
type PackedQB struct {
	k, n int
	kern *qkernel
	// One of these holds the panels, each the panel's packed width wide
	// (see panelWidth) and padded with zero weights: w16 for the AVX2
	// kernel and w8 for the AVX2 VPMADDUBSW and AVX-512 VNNI ones (groups of four k, see the
	// asmgen command), w64 for the Go kernel (per k, two int64 holding
	// three columns' weights each, see qdot2).
	w16 []int16
	w8  []int8
	w64 [][2]int64
	// colSum[j] = sum_k B(k, j), and zw the weight zero points (nil when
	// all are zero), one per column.
	colSum []int32
	zw     []int32
	// Panel i covers columns [col[i], col[i+1]) and is packed width[i]
	// wide (a multiple of the kernel's nrMin) from off[i] in the packed
	// data, which counts elements of w16 or w8 for the AVX2 kernels and
	// weights for the Go kernel.
	col, width, off []int
}

// K returns the number of rows of B (the GEMM's inner dimension).
func (p *PackedQB) K() int { return p.k }

// N returns the number of columns of B (output channels).
func (p *PackedQB) N() int { return p.n }

// Kernel names the micro-kernel B was packed for (see QGemmKernel).
func (p *PackedQB) Kernel() string { return p.kern.name }

// panelData is the address of panel pn's packed weights for the AVX2
// kernels.
func (p *PackedQB) panelData(pn int) unsafe.Pointer {
	if p.kern.bytesB() {
		return unsafe.Pointer(&p.w8[p.off[pn]])
	}
	return unsafe.Pointer(&p.w16[p.off[pn]])
}

// ubswFits reports whether the VPMADDUBSW kernel multiplies the k x n
// weights at exactly: every pair of weights it adds into one saturating
// int16, k = 2i and 2i+1 of a column, has |w0| + |w1| <= 128, so that
// 255*(|w0| + |w1|) fits (see the asmgen command). An odd last k meets a
// zero weight of the padding.
func ubswFits(k, n int, at func(kk, j int) int8) bool {
	abs := func(v int8) int {
		if v < 0 {
			return -int(v)
		}
		return int(v)
	}
	for j := 0; j < n; j++ {
		for kk := 0; kk+1 < k; kk += 2 {
			if abs(at(kk, j))+abs(at(kk+1, j)) > 128 {
				return false
			}
		}
	}
	return true
}

// qPanelWidths returns the packed widths of the panels of n columns:
// whole panels of nr columns, then the rest rounded up to nrMin, except
// that a last panel of nrMin after whole ones is merged with the one
// before it and split in two equal halves (24+8 becomes 16+16 for the
// AVX2 kernel), because a one-vector panel runs at two thirds of the speed
// of the others: its per-row broadcasts are shared by fewer columns.
func qPanelWidths(kern *qkernel, n int) []int {
	var ws []int
	for j := 0; j < n; j += kern.nr {
		ws = append(ws, min(kern.nr, (n-j+kern.nrMin-1)/kern.nrMin*kern.nrMin))
	}
	if l := len(ws); l >= 2 && ws[l-1] == kern.nrMin && (ws[l-2]+ws[l-1])%(2*kern.nrMin) == 0 && kern.nr > kern.nrMin {
		h := (ws[l-2] + ws[l-1]) / 2
		ws[l-2], ws[l-1] = h, h
	}
	return ws
}

// PackQB packs the k x n int8 matrix B for QGemm. It allocates and is
// meant to run once per weight tensor, at initialization.
//
// When transB is false, B(kk, j) is b[kk*ldb + j] (row-major K x N, ldb >=
// n); when it is true, B(kk, j) is b[j*ldb + kk] (b is the row-major N x K
// matrix B^T, ldb >= k), as for PackB.
//
// zb holds the weights' zero points: nil (symmetric weights, zero point
// 0), one value for the whole tensor, or one per column (per output
// channel). uint8 weights with zero point z are int8 weights w-128 with
// zero point z-128, since only differences enter the product.
//
// PackQB panics if k or n is negative, ldb is too small, b too short or zb
// of another length.
func PackQB(k, n int, b []int8, ldb int, transB bool, zb []int8) *PackedQB {
	return packQB(bestQKernel, k, n, b, ldb, transB, zb)
}

func packQB(kern *qkernel, k, n int, b []int8, ldb int, transB bool, zb []int8) *PackedQB {
	if k < 0 || n < 0 {
		panic("runtime.PackQB: negative size k=" + strconv.Itoa(k) + " n=" + strconv.Itoa(n))
	}
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	if ldb < cols {
		panic("runtime.PackQB: ldb=" + strconv.Itoa(ldb) + " is less than " + strconv.Itoa(cols))
	}
	if rows > 0 && cols > 0 {
		checkLen("PackQB", "b", len(b), (rows-1)*ldb+cols)
	}
	if len(zb) > 1 && len(zb) != n {
		panic("runtime.PackQB: " + strconv.Itoa(len(zb)) + " zero points for " + strconv.Itoa(n) + " columns")
	}
	at := func(kk, j int) int8 {
		if transB {
			return b[j*ldb+kk]
		}
		return b[kk*ldb+j]
	}
	if kern.ubsw && !ubswFits(k, n, at) {
		kern = kern.fallback
	}
	if kern.amx && !amxGranted() {
		// The CPU has AMX but Linux refused the tile state.
		kern = avx512VNNIQKernel
	}
	p := &PackedQB{k: k, n: n, kern: kern}
	p.width = qPanelWidths(kern, n)
	panels := len(p.width)
	p.col = make([]int, panels+1)
	p.off = make([]int, panels)
	size := 0
	for pn, w := range p.width {
		p.col[pn+1] = min(n, p.col[pn]+w)
		p.off[pn] = size
		size += w * kern.rowsPacked(k)
	}
	p.colSum = make([]int32, n)
	for j := 0; j < n; j++ {
		var s int32
		for kk := 0; kk < k; kk++ {
			s += int32(at(kk, j))
		}
		p.colSum[j] = s
	}
	for _, z := range zb {
		if z != 0 {
			p.zw = make([]int32, n)
			break
		}
	}
	if p.zw != nil {
		for j := 0; j < n; j++ {
			if len(zb) == 1 {
				p.zw[j] = int32(zb[0])
			} else {
				p.zw[j] = int32(zb[j])
			}
		}
	}
	switch {
	case kern.isa == isaGo:
		p.w64 = make([][2]int64, size/6)
	case kern.bytesB():
		p.w8 = make([]int8, size)
	default:
		p.w16 = make([]int16, size)
	}
	for pn := 0; pn < panels; pn++ {
		j0 := p.col[pn]
		jn := p.col[pn+1] - j0
		w := p.width[pn]
		off := p.off[pn]
		for jj := 0; jj < jn; jj++ {
			for kk := 0; kk < k; kk++ {
				v := at(kk, j0+jj)
				if kern.isa == isaGo {
					// Columns 3q, 3q+1 and 3q+2 in lanes of 21 bits
					// of one int64 (see qdot2).
					i := off/6 + kk
					p.w64[i][jj/3] += int64(v) << (21 * (jj % 3))
					continue
				}
				g, r := kk/4, kk%4
				if kern.bytesB() {
					// Group g's four k of a column in one dword,
					// the panel's columns one after another: the
					// vectors of 8 (AVX2) or 16 (VNNI) columns the
					// kernels load are consecutive.
					p.w8[off+g*w*4+jj*4+r] = v
					continue
				}
				vec, c := jj/8, jj%8
				// Group kk/4; within it the even k (0, 2) go to the
				// first half of the column vector's 64 bytes, the odd
				// ones to the second, each column's pair adjacent.
				i := off + g*w*4 + vec*32 + (r%2)*16 + c*2 + r/2
				p.w16[i] = int16(v)
			}
		}
	}
	return p
}

// PackQConv packs int8 convolution filters stored as ONNX does,
// [cout][cin][kh][kw], into the B operand of the im2col GEMM (K =
// kh*kw*cin in (kh, kw, c) order, N = cout), as PackConv does for float
// filters; zb is as for PackQB, per output channel. For a grouped
// convolution pack each group's filters separately. It allocates and is
// meant to run at initialization.
func PackQConv(w []int8, cout, cin, kh, kw int, zb []int8) *PackedQB {
	return packQConv(bestQKernel, w, cout, cin, kh, kw, zb)
}

func packQConv(kern *qkernel, w []int8, cout, cin, kh, kw int, zb []int8) *PackedQB {
	if cout < 0 || cin < 0 || kh < 0 || kw < 0 {
		panic("runtime.PackQConv: negative size")
	}
	k := kh * kw * cin
	checkLen("PackQConv", "w", len(w), cout*k)
	return packQB(kern, k, cout, filtersHWC(w, cout, cin, kh, kw), max(k, 1), true, zb)
}

// qKind is what a quantized kernel stores; the values are the store kinds
// of the assembly kernels (see the asmgen command).
type qKind uint8

const (
	qOutI32 qKind = iota
	qOutF32
	qOutU8
	qOutS8
)

// qRowZW is the assembly kernels' flag for the row term of weights with a
// zero point, and qAccIn the VNNI kernel's for starting from int32 sums
// (an AMX block's) instead of zero.
const (
	qRowZW = 4
	qAccIn = 8
)

// QOutput is the destination of a quantized GEMM or convolution: a slice
// of one of the four output types, which decides what the store step
// does with each exact int32 sum acc (already corrected for the zero
// points and with the bias added; see QEpilogue):
//
//   - OutU8 and OutS8: requantize, y = saturate(round(acc*Scale[j]) +
//     ZeroPoint), clamped further when the epilogue says so;
//   - OutInt32: store acc (ConvInteger, MatMulInteger);
//   - OutFloat32: store float32(acc)*Scale[j], the dequantized value, for
//     a float operator that follows.
//
// A QOutput is a small value meant to be built at the call site; building
// one never allocates.
type QOutput struct {
	p    unsafe.Pointer
	n    int // elements
	kind qKind
}

// OutU8 returns a QOutput writing uint8 codes into c.
func OutU8(c []uint8) QOutput {
	return QOutput{unsafe.Pointer(unsafe.SliceData(c)), len(c), qOutU8}
}

// OutS8 returns a QOutput writing int8 codes into c.
func OutS8(c []int8) QOutput {
	return QOutput{unsafe.Pointer(unsafe.SliceData(c)), len(c), qOutS8}
}

// OutInt32 returns a QOutput writing the raw int32 sums into c.
func OutInt32(c []int32) QOutput {
	return QOutput{unsafe.Pointer(unsafe.SliceData(c)), len(c), qOutI32}
}

// OutFloat32 returns a QOutput writing dequantized float32 values into c.
func OutFloat32(c []float32) QOutput {
	return QOutput{unsafe.Pointer(unsafe.SliceData(c)), len(c), qOutF32}
}

// size is the size in bytes of one output element.
func (o QOutput) size() int {
	switch o.kind {
	case qOutI32, qOutF32:
		return 4
	}
	return 1
}

// QEpilogue is the store step of a quantized GEMM or convolution, the
// requantization of QLinearConv and QLinearMatMul. For output column j
// (an output channel) and the exact sum
//
//	acc = sum_k (a - za)*(w - zw[j]) + Bias[j]       (int32, wrapping)
//
// an 8-bit output (OutU8, OutS8) receives
//
//	y = clamp(round_half_even(float32(acc) * Scale[j]) + ZeroPoint, lo, hi)
//
// where [lo, hi] is the output type's range ([0, 255] or [-128, 127]),
// narrowed to [Lo, Hi] when Clamp is set. The product is one float32
// multiplication and the rounding is to nearest, ties to even, as ONNX's
// QuantizeLinear specifies and ONNX Runtime computes
// (nearbyintf(acc*scale) + zero point). Scale[j] is the float32 value
// x_scale*w_scale[j]/y_scale, which the caller computes once (QScale does
// it in float32, as ONNX Runtime does).
//
// Note that ONNX's Python reference for QLinearConv adds the zero point
// before rounding; the two differ only on exact ties with an odd zero
// point (2.5+1 rounds to 4, round(2.5)+1 is 3). QuantizeLinear, and so
// every QDQ graph, rounds first, as here.
//
// OutFloat32 receives float32(acc)*Scale[j] (Scale is then x_scale*
// w_scale[j]) and OutInt32 acc itself; both ignore ZeroPoint and Clamp.
// An epilogue is required for 8-bit and float32 outputs; a nil *QEpilogue
// with OutInt32 stores the bare sums.
type QEpilogue struct {
	// Bias, if not nil, holds one int32 per output column (at least N),
	// quantized with scale x_scale*w_scale and zero point 0 as
	// QLinearConv's B is.
	Bias []int32
	// Scale holds the multiplier: one value for the whole tensor or one
	// per output column (at least N). Scales must be finite.
	Scale []float32
	// ZeroPoint is the output's zero point, in the output type's range.
	ZeroPoint int32
	// Clamp narrows the output codes to [Lo, Hi] (intersected with the
	// type's range): a fused Relu is Lo = ZeroPoint, a fused Relu6 also
	// Hi = ZeroPoint + round(6/y_scale).
	Clamp  bool
	Lo, Hi int32
}

// QScale returns the requantization multiplier xScale*wScale/yScale
// computed in float32 (the product rounded, then the quotient), which is
// what an epilogue's Scale holds for QLinearConv and QLinearMatMul.
func QScale(xScale, wScale, yScale float32) float32 {
	p := float32(xScale * wScale)
	return float32(p / yScale)
}

// qRange is the code range of an 8-bit output kind.
func qRange(kind qKind) (lo, hi int32) {
	if kind == qOutS8 {
		return -128, 127
	}
	return 0, 255
}

// qStore is a decoded epilogue: everything the store step needs except
// the per-column values, which the drivers gather a panel at a time.
type qStore struct {
	kind       qKind
	bias       []int32
	scale      []float32 // nil, or 1 or n values
	zy         int32
	loF, hiF   float32 // the clamp range minus the zero point
	esize, ldc int     // output element size (bytes) and row stride (elements)
}

// init checks and decodes ep for n output columns.
func (s *qStore) init(fn string, kind qKind, n int, ep *QEpilogue) {
	*s = qStore{kind: kind}
	if ep == nil {
		if kind != qOutI32 {
			panic("runtime." + fn + ": a nil QEpilogue needs an OutInt32 output")
		}
		return
	}
	if ep.Bias != nil {
		checkLen(fn, "QEpilogue.Bias", len(ep.Bias), n)
		s.bias = ep.Bias
	}
	if kind == qOutI32 {
		return
	}
	if len(ep.Scale) != 1 {
		if len(ep.Scale) == 0 {
			panic("runtime." + fn + ": QEpilogue.Scale is empty")
		}
		checkLen(fn, "QEpilogue.Scale", len(ep.Scale), n)
	}
	s.scale = ep.Scale
	if kind == qOutF32 {
		return
	}
	lo, hi := qRange(kind)
	if ep.ZeroPoint < lo || ep.ZeroPoint > hi {
		panic("runtime." + fn + ": QEpilogue.ZeroPoint " + strconv.Itoa(int(ep.ZeroPoint)) + " is outside the output type's range")
	}
	if ep.Clamp {
		lo, hi = max(lo, ep.Lo), min(hi, ep.Hi)
		if lo > hi {
			panic("runtime." + fn + ": QEpilogue clamp range [" + strconv.Itoa(int(ep.Lo)) + ", " + strconv.Itoa(int(ep.Hi)) + "] is empty")
		}
	}
	s.zy = ep.ZeroPoint
	s.loF, s.hiF = float32(lo-s.zy), float32(hi-s.zy)
}

// scaleAt is the multiplier of column j.
func (s *qStore) scaleAt(j int) float32 {
	if len(s.scale) == 1 {
		return s.scale[0]
	}
	return s.scale[j]
}

// requant is the store step of one 8-bit output value: v is acc*scale.
// It is the scalar twin of the assembly's clamp, VCVTPS2DQ and add.
func (s *qStore) requant(v float32) int32 {
	// The comparisons are written so that a NaN (only a NaN scale makes
	// one) ends at the low end rather than in an undefined conversion.
	if !(v >= s.loF) {
		v = s.loF
	}
	if v > s.hiF {
		v = s.hiF
	}
	return int32(math.RoundToEven(float64(v))) + s.zy
}

// storeRow writes the finished sums v (one output row's columns [j0,
// j0+len(v))) to the output row at p.
func (s *qStore) storeRow(p unsafe.Pointer, v []int32, j0 int) {
	switch s.kind {
	case qOutI32:
		copy(unsafe.Slice((*int32)(p), len(v)), v)
	case qOutF32:
		out := unsafe.Slice((*float32)(p), len(v))
		for j, x := range v {
			out[j] = float32(x) * s.scaleAt(j0+j)
		}
	case qOutU8:
		out := unsafe.Slice((*uint8)(p), len(v))
		for j, x := range v {
			out[j] = uint8(s.requant(float32(x) * s.scaleAt(j0+j)))
		}
	case qOutS8:
		out := unsafe.Slice((*int8)(p), len(v))
		for j, x := range v {
			out[j] = int8(s.requant(float32(x) * s.scaleAt(j0+j)))
		}
	}
}

// qMaxNR and qMaxMR bound the tiles of every quantized kernel, and qMaxMC
// the M block; the drivers keep per-tile values in arrays of these sizes.
const (
	qMaxNR = 48
	qMaxMR = 8
	qMaxMC = 96
)

// QGemm computes C = epilogue(A x B) for the m x K uint8 matrix A (codes
// with zero point za) and the packed K x N int8 matrix B, writing the m x N
// result into c:
//
//	C[i*ldc + j] = store(sum_kk (A[i*lda + kk] - za)*(B(kk, j) - zb[j]) + Bias[j])
//
// for 0 <= i < m, 0 <= j < N, where store is what c's type and ep say (see
// QOutput and QEpilogue). The sums are exact (int32, wrapping as ONNX
// allows), whichever kernel runs, so every kernel writes the same bits.
//
// Contract: lda >= K and ldc >= N; len(a) >= (m-1)*lda + K and c holds at
// least (m-1)*ldc + N elements when m > 0. To write into a column range of
// a wider matrix, pass c starting at the first column and ldc the wider
// row length; only the m x N elements are written. C must not overlap A,
// B or the epilogue's slices.
//
// QGemm runs on the calling goroutine and never allocates. A violated
// contract panics before anything is written.
func QGemm(m int, a []uint8, lda int, za uint8, b *PackedQB, c QOutput, ldc int, ep *QEpilogue) {
	var plan qgemmPlan
	if !plan.init("QGemm", m, a, lda, za, b, c, ldc, ep) {
		return
	}
	plan.checkA("QGemm")
	plan.run(0, m, 0, plan.panels)
}

// qgemmPlan is one QGemm call with its checked arguments; Pool workers run
// parts of one.
type qgemmPlan struct {
	kern   *qkernel
	m, k   int
	n      int
	panels int
	a      []uint8
	lda    int
	za     int32
	b      *PackedQB
	c      unsafe.Pointer
	st     qStore
	flags  uint // the assembly kernels' store kind and flags
	// inPlace is the number of rows of A from the first whose bytes up to
	// K rounded up to a multiple of four lie inside a, so that the AVX2
	// kernel may read their last group in place.
	inPlace int
}

// init checks the arguments and decodes the epilogue. It reports false when
// there is nothing to do.
func (g *qgemmPlan) init(fn string, m int, a []uint8, lda int, za uint8, b *PackedQB, c QOutput, ldc int, ep *QEpilogue) bool {
	if b == nil {
		panic("runtime." + fn + ": nil PackedQB")
	}
	k, n := b.k, b.n
	if m <= 0 || n == 0 {
		return false
	}
	if lda < k || ldc < n {
		panic("runtime." + fn + ": lda=" + strconv.Itoa(lda) + " or ldc=" + strconv.Itoa(ldc) + " is smaller than K=" + strconv.Itoa(k) + " or N=" + strconv.Itoa(n))
	}
	checkLen(fn, "c", c.n, (m-1)*ldc+n)
	*g = qgemmPlan{kern: b.kern, m: m, k: k, n: n, a: a, lda: lda, za: int32(za), b: b, c: c.p}
	g.panels = len(b.width)
	g.st.init(fn, c.kind, n, ep)
	g.st.esize, g.st.ldc = c.size(), ldc
	g.flags = uint(g.st.kind)
	if b.zw != nil {
		g.flags |= qRowZW
	}
	g.setInPlace()
	return true
}

// setInPlace computes inPlace for the plan's A.
func (g *qgemmPlan) setInPlace() {
	g.inPlace = g.m
	if g.k%4 != 0 {
		need := (g.k + 3) &^ 3
		g.inPlace = 0
		if len(g.a) >= need {
			g.inPlace = min(g.m, (len(g.a)-need)/g.lda+1)
		}
	}
}

// checkA checks the length of A, which init leaves to its callers because
// QConv2D supplies A a chunk at a time.
func (g *qgemmPlan) checkA(fn string) {
	if g.k > 0 {
		checkLen(fn, "a", len(g.a), (g.m-1)*g.lda+g.k)
	}
}

// rows returns the plan for rows [i0, i1) of this one, with A replaced by
// a, whose row 0 is row i0 of the product.
func (g *qgemmPlan) rows(i0, i1 int, a []uint8, lda int) qgemmPlan {
	sub := *g
	sub.m = i1 - i0
	sub.a, sub.lda = a, lda
	sub.c = unsafe.Add(g.c, i0*g.st.ldc*g.st.esize)
	sub.setInPlace()
	return sub
}

// qPanel is what the store step needs of one panel: the integer offset
// bias[j] - za*colSum[j], the weights' zero points and the multipliers,
// for the panel's packed width (zeros beyond N).
type qPanel struct {
	off   [qMaxNR]int32
	zw    [qMaxNR]int32
	scale [qMaxNR]float32
}

func (g *qgemmPlan) panel(q *qPanel, j0, nw, w int) {
	b := g.b
	for j := 0; j < w; j++ {
		if j >= nw {
			q.off[j], q.zw[j], q.scale[j] = 0, 0, 0
			continue
		}
		o := -g.za * b.colSum[j0+j]
		if g.st.bias != nil {
			o += g.st.bias[j0+j]
		}
		q.off[j] = o
		if b.zw != nil {
			q.zw[j] = b.zw[j0+j]
		}
		if g.st.scale != nil {
			q.scale[j] = g.st.scaleAt(j0 + j)
		}
	}
}

// run computes rows [m0, m1) and column panels [p0, p1) of the product.
//
// Unlike Sgemm there is no K blocking: the int32 sums cannot be left in an
// 8-bit C between blocks, and packed int8 panels are small enough (a
// 24-column panel of K = 4608 is 216 KiB as the VPMADDWD kernel widens it,
// 108 KiB for the VPMADDUBSW one) to stream from L2 while the M block of A
// stays there too.
func (g *qgemmPlan) run(m0, m1, p0, p1 int) {
	if g.kern.amx {
		g.runAMX(m0, m1, p0, p1)
		return
	}
	kern := g.kern
	mr, mc := kern.mr, kern.mc
	st := &g.st
	var rs [qMaxMC]int32
	var q qPanel
	for ic := m0; ic < m1; ic += mc {
		mcb := min(mc, m1-ic)
		g.rowTerms(rs[:mcb], ic)
		tiles := (mcb + mr - 1) / mr
		for p := p0; p < p1; p++ {
			j0 := g.b.col[p]
			nw := g.b.col[p+1] - j0
			w := g.b.width[p]
			g.panel(&q, j0, nw, w)
			i := ic
			if kern.isa != isaGo && nw == w {
				// The assembly walks the row tiles itself, for the
				// rows whose last group of four bytes it can read in
				// place; the few others, at the end of A, go a tile at
				// a time below.
				if n := min(ic+mcb, g.inPlace) - ic; n > 0 {
					qAsmRows(g, ic, n, p, unsafe.Add(g.c, (ic*st.ldc+j0)*st.esize), &q, rs[:])
					i += n
				}
				for ; i < ic+mcb; i += mr {
					rows := min(mr, ic+mcb-i)
					ct := unsafe.Add(g.c, (i*st.ldc+j0)*st.esize)
					qtile(g, rows, i, p, j0, nw, w, ct, &q, rs[i-ic:])
				}
				continue
			}
			for t := 0; t < tiles; t++ {
				rows := mcb / tiles
				if t < mcb%tiles {
					rows++
				}
				ct := unsafe.Add(g.c, (i*st.ldc+j0)*st.esize)
				qtile(g, rows, i, p, j0, nw, w, ct, &q, rs[i-ic:])
				i += rows
			}
		}
	}
}

// rowTerms sets rs[r] = sum_k (a - za) for the rows of A from row i, the
// row terms that weights with a zero point need (nothing otherwise).
func (g *qgemmPlan) rowTerms(rs []int32, i int) {
	if g.b.zw == nil {
		return
	}
	for r := range rs {
		var s int32
		for _, x := range g.a[(i+r)*g.lda : (i+r)*g.lda+g.k] {
			s += int32(x)
		}
		rs[r] = s - int32(g.k)*g.za
	}
}

// runAMX is run for the AMX kernel: blocks of 32 rows whose 64-byte K
// steps lie inside A's slice go through AMX tile products (amxBlock). A
// block may end past m1 when A's slice has room for all of it (QConv2D's
// scratch does): its rows beyond m1 hold whatever is there, and their sums
// are not stored. A short end of A goes to amxTail; every row when K is
// too short for AMX to pay (amxBlockMin), and rows amxTail cannot take,
// go through the VNNI kernel, which reads the same packed panels.
func (g *qgemmPlan) runAMX(m0, m1, p0, p1 int) {
	kt := g.b.kern.rowsPacked(g.k) / 64
	i := m0
	if kt >= amxBlockMin {
		var sums [32 * 32]int32 // once per call: Go clears it
		for ; i < m1 && (i+31)*g.lda+64*kt <= len(g.a); i += 32 {
			g.amxBlock(i, min(32, m1-i), i, p0, p1, &sums)
		}
		if i < m1 && m1-i <= 32 && 64*kt <= amxTailBytes/32 {
			g.amxTail(i, m1, p0, p1, kt)
			return
		}
	}
	if i < m1 {
		sub := *g
		sub.kern = avx512VNNIQKernel
		sub.run(i, m1, p0, p1)
	}
}

// amxBlock computes rows [ci, ci+rows) of C, panels [p0, p1), from the 32
// rows of A from row ai (its first rows rows are C's rows; the others are
// computed and not stored), with sums as the tile products' scratch.
func (g *qgemmPlan) amxBlock(ai, rows, ci, p0, p1 int, sums *[32 * 32]int32) {
	var rs [32]int32
	g.rowTerms(rs[:rows], ai)
	var q qPanel
	st := &g.st
	for p := p0; p < p1; p++ {
		j0 := g.b.col[p]
		nw := g.b.col[p+1] - j0
		w := g.b.width[p]
		g.panel(&q, j0, nw, w)
		amxRows(g, ai, rows, p, nw, w, unsafe.Add(g.c, (ci*st.ldc+j0)*st.esize), &q, rs[:], sums)
	}
}

// amxTailBytes bounds the stack copy of a last, partial block of A that
// amxTail runs on AMX: 32 rows of at most 1 KiB (K <= 1024, every 1x1
// convolution of MobileNet-like networks; im2col rows, longer, get room in
// QConv2D's scratch instead).
const amxTailBytes = 32 << 10

// amxTail runs rows [i, m1) (fewer than 32, the end of A) as one AMX block
// on a copy of them, rows 64*kt bytes apart with the rest zero, so that a
// 7x7 layer's 49 pixels are two AMX blocks rather than one and 17 rows on
// the VNNI kernel. It is a function of its own so that only these calls
// clear the buffer.
func (g *qgemmPlan) amxTail(i, m1, p0, p1, kt int) {
	var buf [amxTailBytes]uint8
	lda := 64 * kt
	rows := m1 - i
	for r := 0; r < rows; r++ {
		copy(buf[r*lda:r*lda+g.k], g.a[(i+r)*g.lda:(i+r)*g.lda+g.k])
	}
	sub := *g
	sub.a, sub.lda = buf[:], lda
	var sums [32 * 32]int32
	sub.amxBlock(0, rows, i, p0, p1, &sums)
}

// qtile runs the kernel on rows [i, i+rows) of panel p, which starts at
// column j0 and is packed w wide, of which the first nw columns are stored
// at ct. rs holds the rows' zero-point row terms when the weights have
// zero points.
func qtile(g *qgemmPlan, rows, i, p, j0, nw, w int, ct unsafe.Pointer, q *qPanel, rs []int32) {
	if g.kern.isa != isaGo {
		qAsmTile(g, rows, i, p, nw, w, ct, q, rs)
		return
	}
	st := &g.st
	b := g.b.w64[g.b.off[p]/6:]
	for r := 0; r < rows; r += 2 {
		mr := min(2, rows-r)
		var acc [2][6]int32
		if g.k > 0 {
			a := g.a[(i+r)*g.lda:]
			if mr == 2 {
				qdot2(a[:g.k], a[g.lda:g.lda+g.k], b, &acc)
			} else {
				qdot1(a[:g.k], b, &acc[0])
			}
		}
		for rr := 0; rr < mr; rr++ {
			v := acc[rr][:nw]
			for j := range v {
				v[j] += q.off[j]
				if g.b.zw != nil {
					v[j] -= rs[r+rr] * q.zw[j]
				}
			}
			st.storeRow(unsafe.Add(ct, (r+rr)*st.ldc*st.esize), v, j0)
		}
	}
}

// qdotChunk is how many k the Go kernel sums before decoding its lanes:
// 32 products of at most 255*128 in magnitude stay below 2^20, the
// range of a 21-bit lane.
const qdotChunk = 32

// qdot2 is the Go kernel: acc[r][j] += sum_k a_r[k]*B(k, j) for two rows
// of A and a 6-column panel. Each int64 of the panel holds three
// columns' weights, w0 + w1<<21 + w2<<42, so one 64-bit multiply by an
// activation forms three products in lanes of 21 bits. Summed over at
// most qdotChunk k, every lane's sum S fits in 21 signed bits, so the
// int64 is exactly S0 + S1<<21 + S2<<42 and split3 recovers the three
// (the lanes borrow from each other, but exactly, and the decoding
// undoes it). That is a third of the multiplies of a plain int32 loop;
// the sums are then added into int32, wrapping as the assembly's do.
//
//go:noinline
func qdot2(a0, a1 []uint8, b [][2]int64, acc *[2][6]int32) {
	a1 = a1[:len(a0)]
	b = b[:len(a0)]
	for k0 := 0; k0 < len(a0); k0 += qdotChunk {
		k1 := min(len(a0), k0+qdotChunk)
		x0, x1, bb := a0[k0:k1], a1[k0:k1], b[k0:k1]
		x1 = x1[:len(x0)]
		bb = bb[:len(x0)]
		var c00, c01, c10, c11 int64
		for i := range x0 {
			bv := &bb[i]
			b0, b1 := bv[0], bv[1]
			x, y := int64(x0[i]), int64(x1[i])
			c00 += x * b0
			c01 += x * b1
			c10 += y * b0
			c11 += y * b1
		}
		add3(acc[0][0:3], c00)
		add3(acc[0][3:6], c01)
		add3(acc[1][0:3], c10)
		add3(acc[1][3:6], c11)
	}
}

// qdot1 is qdot2 for one row.
//
//go:noinline
func qdot1(a0 []uint8, b [][2]int64, acc *[6]int32) {
	b = b[:len(a0)]
	for k0 := 0; k0 < len(a0); k0 += qdotChunk {
		k1 := min(len(a0), k0+qdotChunk)
		x0, bb := a0[k0:k1], b[k0:k1]
		bb = bb[:len(x0)]
		var c00, c01 int64
		for i, x := range x0 {
			bv := &bb[i]
			c00 += int64(x) * bv[0]
			c01 += int64(x) * bv[1]
		}
		add3(acc[0:3], c00)
		add3(acc[3:6], c01)
	}
}

// add3 adds the three 21-bit lanes of v, S0 + S1<<21 + S2<<42 with every
// |Si| < 2^20, to acc[0:3].
func add3(acc []int32, v int64) {
	acc = acc[:3]
	s0 := v << 43 >> 43
	v = (v - s0) >> 21
	s1 := v << 43 >> 43
	acc[0] += int32(s0)
	acc[1] += int32(s1)
	acc[2] += int32((v - s1) >> 21)
}
