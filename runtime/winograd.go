package runtime

import "strconv"

// Winograd convolution, F(n x n, 3x3) with output tiles of n = 4 or 2:
// each n x n block of output pixels (a tile) is computed from the a x a
// block of input pixels under it (a = n+2) as
//
//	Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
//
// per pair of input and output channels, where g is the 3x3 filter, d the
// input tile and ⊙ the element-wise product. Summed over input channels,
// the element-wise products become a*a independent GEMMs: for each position
// t of the transformed tile, [tiles, C] x [C, M]. F(4x4) takes 36
// multiplies per tile and channel pair where the direct convolution takes
// 16*9 = 144, so its GEMMs do a quarter of Conv2D's work; F(2x2) takes 16
// for 36, 4/9. The transforms cost a few adds per value, vectorized across
// channels, which NHWC keeps contiguous.
//
// The F(4x4) matrices are Lavin and Gray's, from the interpolation points
// 0, ±1, ±2 and infinity:
//
//	B^T = [4  0 -5  0 1 0]    G = [ 1/4     0    0]    A^T = [1 1  1 1  1 0]
//	      [0 -4 -4  1 1 0]        [-1/6  -1/6 -1/6]          [0 1 -1 2 -2 0]
//	      [0  4 -4 -1 1 0]        [-1/6   1/6 -1/6]          [0 1  1 4  4 0]
//	      [0 -2 -1  2 1 0]        [1/24  1/12  1/6]          [0 1 -1 8 -8 1]
//	      [0  2 -1 -2 1 0]        [1/24 -1/12  1/6]
//	      [0  4  0 -5 0 1]        [ 0      0     1]
//
// and the F(2x2) ones, from 0, ±1 and infinity:
//
//	B^T = [1  0 -1  0]    G = [  1    0    0]    A^T = [1 1  1  0]
//	      [0  1  1  0]        [1/2  1/2  1/2]          [0 1 -1 -1]
//	      [0 -1  1  0]        [1/2 -1/2  1/2]
//	      [0  1  0 -1]        [  0    0    1]
//
// The filter transform runs once, in float64, at initialization.

const (
	wgTaps    = 3 // the filter side
	wgMaxIn   = 6 // the largest input tile side
	wgMaxTile = 4 // the largest output tile side
)

// winoG4 and winoG2 are the filter transforms G.
var (
	winoG4 = [][wgTaps]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
	winoG2 = [][wgTaps]float64{
		{1, 0, 0},
		{1.0 / 2, 1.0 / 2, 1.0 / 2},
		{1.0 / 2, -1.0 / 2, 1.0 / 2},
		{0, 0, 1},
	}
)

// PackedWinograd is a 3x3 filter bank transformed for WinogradConv3x3 with
// output tiles of n x n pixels: the (n+2)^2 matrices G g G^T, each packed as
// the [C, M] B operand of one GEMM. It holds 4 (F(4x4)) or 16/9 (F(2x2))
// times the values of the filters and is read-only after PackWinograd
// returns, so Models may share it.
type PackedWinograd struct {
	c, m int
	n, a int // output and input tile sides
	b    []*PackedB
}

// C returns the number of input channels.
func (w *PackedWinograd) C() int { return w.c }

// M returns the number of output channels.
func (w *PackedWinograd) M() int { return w.m }

// Tile returns the side of the output tiles, 4 or 2.
func (w *PackedWinograd) Tile() int { return w.n }

// PackWinograd transforms 3x3 convolution filters stored as ONNX does,
// [cout][cin][3][3] (OIHW), for WinogradConv3x3 with output tiles of tile x
// tile pixels: 4 for F(4x4, 3x3), the faster algorithm, or 2 for F(2x2,
// 3x3), which moves 16/36 as much filter data and is the better choice when
// a layer has few tiles and many channels (see WinogradConv3x3). It
// allocates ((tile+2)^2*cout*cin float32s) and is meant to run once per
// layer, at initialization. It panics if tile is neither 4 nor 2, a size
// is not positive or w is shorter than cout*cin*9.
func PackWinograd(w []float32, cout, cin, tile int) *PackedWinograd {
	return packWinograd(bestKernel, w, cout, cin, tile)
}

func packWinograd(kern *kernel, w []float32, cout, cin, tile int) *PackedWinograd {
	var gt [][wgTaps]float64
	switch tile {
	case 4:
		gt = winoG4
	case 2:
		gt = winoG2
	default:
		panic("runtime.PackWinograd: tile=" + strconv.Itoa(tile) + "; want 4 or 2")
	}
	if cout < 1 || cin < 1 {
		panic("runtime.PackWinograd: sizes cout=" + strconv.Itoa(cout) + " cin=" + strconv.Itoa(cin) + " must be positive")
	}
	checkLen("PackWinograd", "w", len(w), cout*cin*9)
	a := tile + 2
	pos := a * a
	// u holds the B matrices one after the other, each [cin][cout]
	// row-major.
	u := make([]float32, pos*cin*cout)
	for o := 0; o < cout; o++ {
		for c := 0; c < cin; c++ {
			g := w[(o*cin+c)*9 : (o*cin+c)*9+9]
			// G g: a x 3.
			var gg [wgMaxIn][wgTaps]float64
			for r := 0; r < a; r++ {
				for b := 0; b < wgTaps; b++ {
					var s float64
					for k := 0; k < wgTaps; k++ {
						s += gt[r][k] * float64(g[k*3+b])
					}
					gg[r][b] = s
				}
			}
			// (G g) G^T: a x a.
			for r := 0; r < a; r++ {
				for k := 0; k < a; k++ {
					var s float64
					for b := 0; b < wgTaps; b++ {
						s += gg[r][b] * gt[k][b]
					}
					u[((r*a+k)*cin+c)*cout+o] = float32(s)
				}
			}
		}
	}
	// The packed matrices share one allocation, in the order the GEMMs
	// read them, so that a layer's filters stream from memory as one run
	// rather than as pos separate (and, for small layers, page-sized)
	// blocks that each start cold.
	p := &PackedWinograd{c: cin, m: cout, n: tile, a: a, b: make([]*PackedB, pos)}
	bs := make([]PackedB, pos)
	per := (&PackedB{k: cin, n: cout, kern: kern}).size()
	data := make([]float32, pos*per)
	for t := range p.b {
		bs[t] = PackedB{k: cin, n: cout, kern: kern, data: data[t*per : (t+1)*per : (t+1)*per]}
		bs[t].fill(u[t*cin*cout:(t+1)*cin*cout], cout, false)
		p.b[t] = &bs[t]
	}
	return p
}

// winoChunkBytes is the size the transformed input and output of one chunk
// of tiles ((n+2)^2 rows of C and of M values per tile) aim for, so that a
// chunk passes from the input transform through the GEMMs to the output
// transform in L2. Tests and benchmarks may change it.
var winoChunkBytes = 512 << 10

// winoChunk returns how many tiles go through the GEMMs together. Every
// chunk streams all the filter matrices (pos*C*M values), so a chunk is
// allowed to grow until its transformed tiles are as large as those: when
// the filters outgrow L2, reading them once for more tiles saves more than
// keeping the tiles in L2 gains. The count is a multiple of every kernel's
// mr (12), so that no GEMM row tile is short, and at least one row tile.
func winoChunk(tiles, pos, c, m int) int {
	n := max(winoChunkBytes/(4*pos*(c+m)), c*m/(c+m))
	n = max(12, n/12*12)
	return min(n, tiles)
}

// winoTiles returns the grid of tile x tile tiles over the output.
func winoTiles(g *Window, tile int) (th, tw int) {
	return (g.OH + tile - 1) / tile, (g.OW + tile - 1) / tile
}

// WinogradWorkSize returns the scratch, in float32s, that WinogradConv3x3
// needs for the window g, m output channels and output tiles of tile x
// tile pixels (wt.Tile()): the transformed input and output of one chunk
// of tiles plus one zero-padded input tile. It panics if tile is neither 4
// nor 2.
func WinogradWorkSize(g *Window, m, tile int) int {
	if tile != 4 && tile != 2 {
		panic("runtime.WinogradWorkSize: tile=" + strconv.Itoa(tile) + "; want 4 or 2")
	}
	pos := (tile + 2) * (tile + 2)
	th, tw := winoTiles(g, tile)
	n := winoChunk(th*tw, pos, g.C, m)
	return pos * (n*(g.C+m) + g.C)
}

// winoApplies reports whether WinogradConv3x3 computes the convolution g.
func winoApplies(g *Window) bool {
	return g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1
}

// WinogradConv3x3 is a 3x3, stride-1, undilated, ungrouped convolution of
// one NHWC image by Winograd's F(4x4, 3x3) or F(2x2, 3x3) algorithm, as wt
// was packed: the same result as Conv2D with the same filters, within a
// larger rounding error (see below), in less time when the layer suits it.
// It reads all g.C input channels of src and writes wt.M() output channels
// per pixel into dst at stride ldd, applying ep as Conv2D does (Bias per
// output channel, Residual laid out like dst and allowed to be dst itself,
// then the activation). Any pads work, asymmetric ones included, and any
// output size: tiles that hang over the right or bottom edge store only
// their pixels inside the output.
//
// Accuracy: on unit-scale activations and He-initialized filters the
// largest error of F(4x4) is about 3e-5 of the output's scale where
// Conv2D's is about 2e-6; F(2x2)'s is about Conv2D's. Both keep
// ResNet-18's outputs within rtol 1e-3, atol 1e-5 of the float64
// reference.
//
// When to use it: it computes exactly the convolutions that are 3x3 with
// strides 1, dilations 1 and one group, with any pads. Whether it beats
// Conv2D depends on the layer; with P = OH*OW output pixels, C input and M
// output channels, measured single-threaded on AVX-512 and AVX2 (against
// Conv2D, with the filters in cache and with them evicted, as in a network
// whose weights outgrow the cache):
//
//   - C < 4: Conv2D (C = 1 is 2x slower with Winograd, C = 3 breaks even).
//   - C*M <= 110000: F(4x4) if P*C*M/(C+M) >= 2000, else Conv2D. Below
//     that the transforms, which cost per tile and channel, outweigh the
//     GEMM work saved; above it F(4x4) is 1.2x to 3.7x faster (ResNet-18's
//     56x56x64, 28x28x128 and 14x14x256 layers about 3x).
//   - C*M > 110000: the F(4x4) filters (144*C*M bytes, over 16 MB) stream
//     from memory on every call, so F(4x4) if P >= 196, F(2x2) (64*C*M
//     bytes) if 64 <= P < 196, else Conv2D (ResNet-18's 7x7x512 layers).
//
// The pure-Go build (other CPUs, or the purego tag) gains about as much
// (1.7x to 3.3x on the layers above that were measured), so the same rule
// serves it.
//
// Contract: g passes Check and is 3x3 with strides and dilations 1; wt was
// packed for g.C input channels (wt.C() == g.C); ldd >= wt.M();
// len(src) >= g.InLen(); len(dst) >= (OH*OW-1)*ldd + wt.M(), and the same
// for a Residual; len(work) >= WinogradWorkSize(g, wt.M(), wt.Tile()). It
// never allocates.
func WinogradConv3x3(dst []float32, ldd int, src []float32, g *Window, wt *PackedWinograd, ep *Epilogue, work []float32) {
	var j winoJob
	if !j.init("WinogradConv3x3", dst, ldd, src, g, wt, ep, work, 1) {
		return
	}
	j.run(0, j.tiles, 0, j.panels)
}

// winoJob is a checked WinogradConv3x3 call, or one worker's share of one.
type winoJob struct {
	dst    []float32
	ldd    int
	src    []float32
	g      Window
	wt     *PackedWinograd
	tw     int // tiles per row of tiles
	tiles  int
	panels int // column panels of the B matrices
	chunk  int // tiles per chunk
	work   []float32

	// The epilogue, as the output transform applies it (flags with bias,
	// res, lo, hi and alpha) and an activation applied afterwards (post).
	flags     uint
	bias, res []float32
	lo, hi    float32
	alpha     float32
	post      ActKind
	postA     float32
	postB     float32
}

// init checks a call and decodes its epilogue; threads is the number of
// per-thread scratch areas work must hold. It reports false when there is
// nothing to compute.
func (j *winoJob) init(fn string, dst []float32, ldd int, src []float32, g *Window, wt *PackedWinograd, ep *Epilogue, work []float32, threads int) bool {
	if wt == nil {
		panic("runtime." + fn + ": nil PackedWinograd")
	}
	if !winoApplies(g) {
		panic("runtime." + fn + ": the window is not 3x3 with strides and dilations 1")
	}
	if wt.c != g.C {
		panic("runtime." + fn + ": filters packed for " + strconv.Itoa(wt.c) + " input channels, window has " + strconv.Itoa(g.C))
	}
	m := wt.m
	if ldd < m {
		panic("runtime." + fn + ": ldd=" + strconv.Itoa(ldd) + " is less than M=" + strconv.Itoa(m))
	}
	checkLen(fn, "src", len(src), g.InLen())
	need := (g.OutPixels()-1)*ldd + m
	checkLen(fn, "dst", len(dst), need)
	checkLen(fn, "work", len(work), threads*WinogradWorkSize(g, m, wt.n))
	th, tw := winoTiles(g, wt.n)
	*j = winoJob{dst: dst, ldd: ldd, src: src, g: *g, wt: wt, tw: tw, tiles: th * tw, work: work}
	j.panels = (m + wt.b[0].kern.nr - 1) / wt.b[0].kern.nr
	j.chunk = winoChunk(j.tiles, len(wt.b), g.C, m)
	if ep == nil {
		return true
	}
	if ep.Bias != nil {
		checkLen(fn, "Epilogue.Bias", len(ep.Bias), m)
		j.bias = ep.Bias
		j.flags |= tBias
	}
	if ep.Residual != nil {
		// A Residual that is dst itself is fine: every output value reads
		// its residual just before overwriting it.
		checkLen(fn, "Epilogue.Residual", len(ep.Residual), need)
		j.res = ep.Residual
		j.flags |= tRes
	}
	if lo, hi, ok := ep.Act.clampRange(ep.Alpha, ep.Beta); ok {
		j.lo, j.hi = lo, hi
		j.flags |= tClamp
	} else if ep.Act == ActLeakyRelu {
		j.alpha = ep.Alpha
		j.flags |= tLeaky
	} else {
		j.post, j.postA, j.postB = ep.Act, ep.Alpha, ep.Beta
	}
	return true
}

// run computes tiles [t0, t1) (row-major over the tile grid) for output
// channels in the B panels [p0, p1), using j.work as its scratch.
func (j *winoJob) run(t0, t1, p0, p1 int) {
	g := &j.g
	wt := j.wt
	c, m, tile, pos := wt.c, wt.m, wt.n, len(wt.b)
	nr := wt.b[0].kern.nr
	j0, j1 := p0*nr, min(m, p1*nr)
	n := j.chunk
	// The chunk's transformed input V and output U are tile-major: tile
	// i's pos rows of C (of M) values are contiguous, so the transforms
	// touch one block per tile and GEMM t reads every pos-th row.
	v := j.work[:pos*n*c]
	u := j.work[pos*n*c : pos*n*(c+m)]
	patch := j.work[pos*n*(c+m) : pos*(n*(c+m)+c)]
	var bias, res []float32
	if j.flags&tBias != 0 {
		bias = j.bias[j0:j1]
	}
	rsd := g.OW * j.ldd
	for c0 := t0; c0 < t1; c0 += n {
		cn := min(n, t1-c0)
		for i := 0; i < cn; i++ {
			j.inputTile(v[i*pos*c:(i+1)*pos*c], patch, c0+i)
		}
		for t, b := range wt.b {
			plan := gemmPlan{kern: b.kern, m: cn, k: c, n: m, panels: j.panels, a: v[t*c:], lda: pos * c, b: b, c: u[t*m:], ldc: pos * m}
			plan.run(0, cn, p0, p1)
		}
		for i := 0; i < cn; i++ {
			ti := c0 + i
			oh, ow := ti/j.tw*tile, ti%j.tw*tile
			rows, cols := min(tile, g.OH-oh), min(tile, g.OW-ow)
			off := (oh*g.OW+ow)*j.ldd + j0
			if j.res != nil {
				res = j.res[off:]
			}
			winoOutput(tile, u[i*pos*m+j0:(i+1)*pos*m], m, j.dst[off:], j.ldd, rsd, rows, cols, j1-j0, bias, res, j.flags, j.lo, j.hi, j.alpha)
			if j.post != ActNone {
				// Each row of the tile is cols pixels of j1-j0
				// channels at stride ldd, just written.
				for p := 0; p < rows; p++ {
					activateRows(j.dst[off+p*rsd:], cols, j1-j0, j.ldd, j.post, j.postA, j.postB)
				}
			}
		}
	}
}

// inputTile writes the transformed input of one tile into v (pos rows of
// C). A tile that reaches into the padding is first copied, with zeros for
// the padding, into patch.
func (j *winoJob) inputTile(v, patch []float32, ti int) {
	g := &j.g
	c, tile, a := g.C, j.wt.n, j.wt.a
	ih0 := ti/j.tw*tile - g.PadT
	iw0 := ti%j.tw*tile - g.PadL
	if ih0 >= 0 && iw0 >= 0 && ih0+a <= g.H && iw0+a <= g.W {
		s := (ih0*g.W + iw0) * c
		winoInput(tile, v, c, j.src[s:s+((a-1)*g.W+a)*c], g.W*c, c, c)
		return
	}
	// Rows and columns of the tile inside the image: [ilo, ihi) x [jlo, jhi).
	ilo, ihi := max(0, -ih0), min(a, g.H-ih0)
	jlo, jhi := max(0, -iw0), min(a, g.W-iw0)
	if ilo >= ihi || jlo >= jhi {
		clear(patch[:a*a*c])
	} else {
		clear(patch[:(ilo*a+jlo)*c])
		for i := ilo; i < ihi; i++ {
			s := ((ih0+i)*g.W + iw0) * c
			copy(patch[(i*a+jlo)*c:(i*a+jhi)*c], j.src[s+jlo*c:s+jhi*c])
			if i < ihi-1 {
				// The padding from this row's end to the next row's start.
				clear(patch[(i*a+jhi)*c : ((i+1)*a+jlo)*c])
			}
		}
		clear(patch[((ihi-1)*a+jhi)*c : a*a*c])
	}
	winoInput(tile, v, c, patch, a*c, c, c)
}

// winoInput transforms one tile of F(tile x tile) whose pixel (i, j) starts
// at src[i*rs+j*ps], writing V[t] to v[t*ldv:]. It checks that src holds
// the tile and v (tile+2)^2 rows.
func winoInput(tile int, v []float32, ldv int, src []float32, rs, ps, c int) {
	a := tile + 2
	_ = src[(a-1)*(rs+ps)+c-1]
	_ = v[(a*a-1)*ldv+c-1]
	if winoISA != isaGo {
		winoInputAsm(tile, v, ldv, src, rs, ps, c)
		return
	}
	winoInputGo(tile, v, ldv, src, rs, ps, c)
}

// winoOutput transforms one tile of M (t-th row at u[t*ldu:], m channels)
// into up to tile x tile output pixels, pixel (p, q) at dst[p*rsd+q*ldd:],
// with the epilogue; res, if tRes is set, is laid out like dst. It checks
// the slices. It may overwrite u.
func winoOutput(tile int, u []float32, ldu int, dst []float32, ldd, rsd, rows, cols, m int, bias, res []float32, flags uint, lo, hi, alpha float32) {
	a := tile + 2
	last := (rows-1)*rsd + (cols-1)*ldd + m
	_ = u[(a*a-1)*ldu+m-1]
	_ = dst[last-1]
	if flags&tRes != 0 {
		_ = res[last-1]
	}
	if flags&tBias != 0 {
		_ = bias[m-1]
	}
	if winoISA != isaGo {
		winoOutputAsm(tile, u, ldu, dst, ldd, rsd, rows, cols, m, bias, res, flags, lo, hi, alpha)
		return
	}
	winoOutputGo(tile, u, ldu, dst, ldd, rsd, rows, cols, m, bias, res, flags, lo, hi, alpha)
}

// The portable transforms work a row of the tile at a time with the
// channel loop innermost, as the assembly does, and use V and U themselves
// as the scratch between their two passes: each pass reads all of a
// channel's values along a row or column before writing that channel's
// results back to the same rows.

// winoInputGo is the portable input transform.
func winoInputGo(tile int, v []float32, ldv int, src []float32, rs, ps, c int) {
	a := tile + 2
	// Rows: d B, row i of the tile into V rows i*a+k.
	for i := 0; i < a; i++ {
		var x, y [wgMaxIn][]float32
		for k := 0; k < a; k++ {
			x[k] = src[i*rs+k*ps : i*rs+k*ps+c]
			y[k] = v[(i*a+k)*ldv : (i*a+k)*ldv+c]
		}
		winoInRows(tile, &y, &x)
	}
	// Columns: B^T (d B), column k of the tile in place.
	for k := 0; k < a; k++ {
		var y [wgMaxIn][]float32
		for i := 0; i < a; i++ {
			y[i] = v[(i*a+k)*ldv : (i*a+k)*ldv+c]
		}
		winoInRows(tile, &y, &y)
	}
}

// winoInRows applies B^T across the a vectors x, channel by channel,
// writing the a results to y, which may be x itself.
func winoInRows(tile int, y, x *[wgMaxIn][]float32) {
	if tile == 2 {
		x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
		n := len(x0)
		x1, x2, x3 = x1[:n], x2[:n], x3[:n]
		y0, y1, y2, y3 := y[0][:n], y[1][:n], y[2][:n], y[3][:n]
		for ch := range x0 {
			d0, d1, d2, d3 := x0[ch], x1[ch], x2[ch], x3[ch]
			y0[ch] = d0 - d2
			y1[ch] = d1 + d2
			y2[ch] = d2 - d1
			y3[ch] = d1 - d3
		}
		return
	}
	x0, x1, x2, x3, x4, x5 := x[0], x[1], x[2], x[3], x[4], x[5]
	n := len(x0)
	x1, x2, x3, x4, x5 = x1[:n], x2[:n], x3[:n], x4[:n], x5[:n]
	y0, y1, y2, y3, y4, y5 := y[0][:n], y[1][:n], y[2][:n], y[3][:n], y[4][:n], y[5][:n]
	for ch := range x0 {
		d0, d1, d2, d3, d4, d5 := x0[ch], x1[ch], x2[ch], x3[ch], x4[ch], x5[ch]
		a, b := d1+d2, d3+d4
		c, d := d1-d2, d4-d3
		e, f := d3-d1, d4-d2
		y0[ch] = d4 - 5*d2 + 4*d0
		y1[ch] = b - 4*a
		y2[ch] = d + 4*c
		y3[ch] = f + 2*e
		y4[ch] = f - 2*e
		y5[ch] = d5 - 5*d3 + 4*d1
	}
}

// winoOutRows applies A^T across the a vectors x, channel by channel,
// writing the tile results to y, which may share vectors with x.
func winoOutRows(tile int, y *[wgMaxTile][]float32, x *[wgMaxIn][]float32) {
	if tile == 2 {
		x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
		n := len(x0)
		x1, x2, x3 = x1[:n], x2[:n], x3[:n]
		y0, y1 := y[0][:n], y[1][:n]
		for ch := range x0 {
			m0, m1, m2, m3 := x0[ch], x1[ch], x2[ch], x3[ch]
			y0[ch] = m0 + m1 + m2
			y1[ch] = m1 - m2 - m3
		}
		return
	}
	x0, x1, x2, x3, x4, x5 := x[0], x[1], x[2], x[3], x[4], x[5]
	n := len(x0)
	x1, x2, x3, x4, x5 = x1[:n], x2[:n], x3[:n], x4[:n], x5[:n]
	y0, y1, y2, y3 := y[0][:n], y[1][:n], y[2][:n], y[3][:n]
	for ch := range x0 {
		m0, m1, m2, m3, m4, m5 := x0[ch], x1[ch], x2[ch], x3[ch], x4[ch], x5[ch]
		a, b := m1+m2, m1-m2
		c, d := m3+m4, m3-m4
		y0[ch] = m0 + a + c
		y1[ch] = b + 2*d
		y2[ch] = a + 4*c
		y3[ch] = m5 + b + 8*d
	}
}

// winoOutputGo is the portable output transform and epilogue. It
// overwrites the rows of u it reads.
func winoOutputGo(tile int, u []float32, ldu int, dst []float32, ldd, rsd, rows, cols, m int, bias, res []float32, flags uint, lo, hi, alpha float32) {
	a := tile + 2
	// Rows: M A, row r into U rows r*a+q.
	for r := 0; r < a; r++ {
		var x [wgMaxIn][]float32
		var y [wgMaxTile][]float32
		for k := 0; k < a; k++ {
			x[k] = u[(r*a+k)*ldu : (r*a+k)*ldu+m]
		}
		for q := 0; q < tile; q++ {
			y[q] = x[q]
		}
		winoOutRows(tile, &y, &x)
	}
	// Columns: A^T (M A), column q into U rows p*a+q, then to the output
	// pixels with the epilogue.
	for q := 0; q < cols; q++ {
		var x [wgMaxIn][]float32
		var y [wgMaxTile][]float32
		for r := 0; r < a; r++ {
			x[r] = u[(r*a+q)*ldu : (r*a+q)*ldu+m]
		}
		for p := 0; p < tile; p++ {
			y[p] = x[p]
		}
		winoOutRows(tile, &y, &x)
		for p := 0; p < rows; p++ {
			o := p*rsd + q*ldd
			var rr []float32
			if flags&tRes != 0 {
				rr = res[o : o+m]
			}
			winoStore(dst[o:o+m], y[p], flags, bias, rr, lo, hi, alpha)
		}
	}
}

// winoStore writes one output pixel: v with the bias, the residual, the
// clamp and the leaky slope applied as flags say, in the order and with
// the NaN behaviour of the assembly.
func winoStore(out, v []float32, flags uint, bias, res []float32, lo, hi, alpha float32) {
	// The residual may be out itself: each value is read before its
	// output is written.
	v = v[:len(out)]
	switch flags & (tBias | tRes) {
	case 0:
		copy(out, v)
	case tBias:
		bs := bias[:len(out)]
		for i := range out {
			out[i] = bs[i] + v[i]
		}
	case tRes:
		rs := res[:len(out)]
		for i := range out {
			out[i] = v[i] + rs[i]
		}
	default:
		bs, rs := bias[:len(out)], res[:len(out)]
		for i := range out {
			out[i] = bs[i] + v[i] + rs[i]
		}
	}
	if flags&tClamp != 0 {
		for i, x := range out {
			// The comparisons leave NaN alone.
			if x < lo {
				x = lo
			}
			if x > hi {
				x = hi
			}
			out[i] = x
		}
	}
	if flags&tLeaky != 0 {
		for i, x := range out {
			if x < 0 {
				out[i] = x * alpha
			}
		}
	}
}
