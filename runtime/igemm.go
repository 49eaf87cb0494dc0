package runtime

import (
	"math"
	"unsafe"
)

// The indirect GEMM computes a convolution without writing its im2col
// matrix. For each chunk of output pixels it builds a table that names,
// for every pixel and kernel tap, where that tap's input channels start in
// the image (or that the tap falls in the padding), and the micro-kernel
// then forms a tile of pixels x output channels by running, tap after tap,
// the K loop over the tap's channels straight from the input, with its
// accumulators in registers across all the taps. The B panels are those
// PackConv makes for the im2col GEMM: K in (kh, kw, c) order, so tap t's
// weights are rows [t*cin, (t+1)*cin) of each panel, and the taps simply
// consume the panel in order.
//
// The table costs one int32 per pixel and tap where im2col copies cin
// floats; the copy matters most when cin and cout are small (grouped
// convolutions), which is where this path is chosen (indirectPays).

// igemmZeros is the input row that taps in the padding read. It is never
// written. Its length bounds the channels of one tap in one kernel call
// (see kBlocks).
var igemmZeros [256]float32

// int32s views the first n floats of a scratch buffer as int32s, which
// have the size and alignment of float32 and hold no pointers, so that
// the table shares the convolution's scratch instead of needing a second
// buffer in every caller.
func int32s(work []float32, n int) []int32 {
	work = work[:n]
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(work))), n)
}

// Convolution paths, for convPath.
const (
	pathAuto     = iota // the rule of useIndirect
	pathIm2col          // always im2col (where the kernel has an indirect twin too)
	pathIndirect        // always the indirect GEMM where the kernel has one
)

// convPath overrides the choice between im2col and the indirect GEMM, so
// that tests and benchmarks can run both on one machine.
var convPath = pathAuto

// useIndirect reports whether a convolution with window g, cin input
// channels and n output channels (the PackedB's K/taps and N) packed for
// kern goes through the indirect GEMM rather than im2col.
func useIndirect(kern *kernel, g *Window, cin, n int) bool {
	// Offsets are int32s relative to the image of a chunk's first pixel;
	// a chunk spans at most two images.
	if !kern.indirect || 2*g.InLen() > math.MaxInt32 {
		return false
	}
	switch convPath {
	case pathIm2col:
		return false
	case pathIndirect:
		return true
	}
	return indirectPays(g, cin, n)
}

// indirectPays is the rule that chooses the indirect GEMM, from
// BenchmarkConvPaths (AVX2, one goroutine; on AVX-512 the grouped layers
// there ran 1.2x to 1.9x as fast as with im2col, the ungrouped ones within
// 10% but the three-channel first layers, 30% slower): it pays when the
// call reads a slice of the input's channels, a group of a grouped convolution. im2col
// then copies one run of cin floats per tap, and its GEMMs are narrow
// (few output channels per group), so the copy is a large share of the
// work: the indirect GEMM was 1.1x to 1.6x as fast on RegNet's groups of
// 16 and 24 channels and 1.6x to 4x on ResNeXt's of 8 and 4. A call that
// reads all the channels copies whole kernel rows (KW*C floats) at a
// time, and its GEMM is usually wide: there the two were within 5% on
// strided and dilated 3x3 layers, and im2col was faster by up to 15% on a
// 1x1 stride-2 layer and on three-channel first layers (whose taps are
// too short for the indirect kernel), so those keep im2col.
func indirectPays(g *Window, cin, n int) bool {
	return cin < g.C
}

// kBlocks splits K (taps x cin) into blocks of at most kc rows: tb whole
// taps at a time when a tap's channels fit (as many blocks as kc requires,
// of as even a size as whole taps allow), or else every tap in parts
// parts of its channels. The K block keeps the B panel slice in L1 as in
// the GEMM; the accumulators go through C once per block.
func kBlocks(taps, cin, kc int) (tb, parts, blocks int) {
	if cin > kc {
		parts = (cin + kc - 1) / kc
		return 1, parts, taps * parts
	}
	nb := (taps*cin + kc - 1) / kc
	tb = (taps + nb - 1) / nb
	return tb, 1, (taps + tb - 1) / tb
}

// igemmRows computes rows [r0, r0+rows) and column panels [p0, p1) of the
// product with the indirect kernel, from the table tbl of those rows
// (taps entries per row, tap-major, as fillTable writes it) whose offsets
// count from in, every tap reading tcin channels. It is gemmPlan.run with
// the indirect kernel: K blocks outside the panels, the store-step
// epilogue on the last block and any other activation on the finished
// rows.
func igemmRows(plan *gemmPlan, tbl []int32, in []float32, r0, rows, taps, tcin, p0, p1 int) {
	kern := plan.kern
	nr, k := kern.nr, plan.k
	ro := r0 * plan.ldc
	tb, parts, blocks := kBlocks(taps, tcin, min(kern.kc, len(igemmZeros)))
	for bi := 0; bi < blocks; bi++ {
		t0, t1, ca, cb := bi*tb, min(taps, (bi+1)*tb), 0, tcin
		if parts > 1 {
			t0, t1 = bi/parts, bi/parts+1
			q := bi % parts
			ca, cb = tcin*q/parts, tcin*(q+1)/parts
		}
		var flags uint
		if bi > 0 || plan.alias {
			flags = tAcc
		}
		if bi == blocks-1 {
			flags |= plan.lastFlags
		}
		for p := p0; p < p1; p++ {
			j0 := p * nr
			nw := min(nr, plan.n-j0)
			w := plan.b.panelWidth(p)
			bp := plan.b.data[p*k*nr+(t0*tcin+ca)*w:]
			var bias, res []float32
			if flags&tBias != 0 {
				bias = plan.bias[j0:]
			}
			if flags&tRes != 0 {
				res = plan.res[ro+j0:]
			}
			indirectTile(kern, rows, nw, w, t1-t0, cb-ca, tbl[t0*rows:], rows, in[ca:], bp, plan.c[ro+j0:], plan.ldc, flags, bias, res, plan.lo, plan.hi, plan.alpha)
		}
	}
	if plan.post != ActNone {
		j0 := p0 * nr
		activateRows(plan.c[ro+j0:], rows, min(p1*nr, plan.n)-j0, plan.ldc, plan.post, plan.postA, plan.postB)
	}
}

// indirectTile runs the kernel's indirect variant on rows output pixels
// (any number; the kernels loop over their tiles) and one B panel of
// packed width w, of which the first nw columns are stored: taps taps of
// kc channels each, the table entry of row i and tap t at tbl[t*tstride +
// i], the panel's rows for those taps at b.
func indirectTile(kern *kernel, rows, nw, w, taps, kc int, tbl []int32, tstride int, in, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	if kern.isa != isaGo {
		asmIndirectTile(kern, rows, nw, w, taps, kc, tbl, tstride, in, b, c, ldc, flags, bias, res, lo, hi, alpha)
		return
	}
	goIndirectTile(rows, nw, taps, kc, tbl, tstride, in, b, c, ldc, flags, bias, res, lo, hi, alpha)
}
