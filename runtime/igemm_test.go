package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// withConvPaths runs f once with Conv2D forced to im2col and once forced
// to the indirect GEMM (on kernels that have it), so that the convolution
// tests check both paths on every machine.
func withConvPaths(t *testing.T, f func(t *testing.T)) {
	defer func(old int) { convPath = old }(convPath)
	for _, p := range []struct {
		name string
		path int
	}{{"im2col", pathIm2col}, {"igemm", pathIndirect}} {
		convPath = p.path
		t.Run(p.name, f)
	}
}

// indirectTestKernels are the CPU's kernels, each indirect one again with
// a K block of 8 (so that K blocks split the taps, and a tap's channels
// when cin > 8), and a portable kernel without an indirect twin, which
// must keep im2col whatever convPath says.
func indirectTestKernels() []*kernel {
	ks := append([]*kernel(nil), kernels...)
	for _, k := range kernels {
		if k.indirect {
			small := *k
			small.name += "-kc8"
			small.kc = 8
			ks = append(ks, &small)
		}
	}
	plain := *goKernel
	plain.name, plain.indirect = "go-noindirect", false
	return append(ks, &plain)
}

// indirectGeoms add to convGeoms a first layer's 7x7 stride-2 window on
// three channels, an image of several chunks, and more input channels than
// a K block holds.
var indirectGeoms = append([]Window{
	convGeom(17, 15, 3, 7, 2, 3),
	convGeom(23, 19, 12, 3, 1, 1),
	convGeom(5, 6, 300, 3, 1, 1),
	convGeom(9, 9, 32, 3, 2, 1),
}, convGeoms...)

// TestIndirectConv checks ConvN forced to the indirect GEMM against the
// direct reference on every kernel, with the epilogue in each of its
// places (clamp in the store step, leaky slope in the store step with the
// residual aliasing the output, sigmoid afterwards), for grouped calls
// into a channel slice of a wider output, several images, and pools,
// whose results must equal the serial ones bit for bit (every row is
// summed in the same order whatever tile or share it falls in).
func TestIndirectConv(t *testing.T) {
	defer func(old int) { convPath = old }(convPath)
	defer splitEverything()()
	convPath = pathIndirect
	pool := NewPool(3)
	defer pool.Close()
	for _, kern := range indirectTestKernels() {
		t.Run(kern.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(41, 42))
			for gi, g := range indirectGeoms {
				if err := g.Check(); err != nil {
					t.Fatal(err)
				}
				for _, group := range []int{1, 2} {
					if g.C%group != 0 {
						continue
					}
					for variant := 0; variant < 3; variant++ {
						n := 1 + variant%2*2
						name := fmt.Sprintf("geometry %d group %d variant %d", gi, group, variant)
						testIndirectConv(t, r, kern, pool, &g, group, n, variant, name)
					}
				}
			}
		})
	}
}

func testIndirectConv(t *testing.T, r *rand.Rand, kern *kernel, pool *Pool, g *Window, group, n, variant int, name string) {
	cout := group * (3 + variant*7) // 3, 10 and 17 per group: partial panels
	ldd := cout + 3
	cpg, opg := g.C/group, cout/group
	k := g.KH * g.KW * cpg
	m := g.OutPixels()
	w := randSlice(r, cout*cpg*g.KH*g.KW)
	bias := randSlice(r, cout)
	src := randSlice(r, n*g.InLen())
	orig := randSlice(r, n*m*ldd)
	res := randSlice(r, n*m*ldd)
	pbs := make([]*PackedB, group)
	for gr := range pbs {
		pbs[gr] = packConv(kern, w[gr*opg*k:], opg, cpg, g.KH, g.KW)
	}
	if got := useIndirect(kern, g, cpg, opg); got != kern.indirect {
		t.Fatalf("%s: useIndirect = %v on kernel %s", name, got, kern.name)
	}
	var serial []float32
	for _, p := range []*Pool{nil, pool} {
		dst := append([]float32(nil), orig...)
		work := make([]float32, p.Conv2DWorkSize(g, k))
		for gr := 0; gr < group; gr++ {
			var ep Epilogue
			switch variant {
			case 0:
				ep = Epilogue{Bias: bias[gr*opg:], Residual: res[gr*opg:], Act: ActRelu}
			case 1:
				ep = Epilogue{Bias: bias[gr*opg:], Residual: dst[gr*opg:], Act: ActLeakyRelu, Alpha: 0.25}
			default:
				ep = Epilogue{Act: ActSigmoid}
			}
			p.ConvN(dst[gr*opg:], ldd, src, g, n, gr*cpg, pbs[gr], &ep, work)
		}
		refBias := bias
		if variant == 2 {
			refBias = nil
		}
		for img := 0; img < n; img++ {
			want, mag := refConv(src[img*g.InLen():], g, group, cout, w, refBias)
			for px := 0; px < m; px++ {
				row := (img*m + px) * ldd
				for j := 0; j < ldd; j++ {
					got := dst[row+j]
					if j >= cout {
						if got != orig[row+j] {
							t.Fatalf("%s: channel %d outside the output changed", name, j)
						}
						continue
					}
					wv := want[px*cout+j]
					var act float64
					switch variant {
					case 0:
						act = math.Max(0, wv+float64(res[row+j]))
					case 1:
						act = act64(ActLeakyRelu, wv+float64(orig[row+j]), 0.25, 0)
					default:
						act = act64(ActSigmoid, wv, 0, 0)
					}
					if !closeTo(got, act, 1e-6*mag[px*cout+j]*float64(k)+1e-5) {
						t.Fatalf("%s pool %v: image %d pixel %d channel %d = %v, want %v", name, p != nil, img, px, j, got, act)
					}
				}
			}
		}
		if p == nil {
			serial = dst
			continue
		}
		if !kern.indirect {
			continue
		}
		for i := range dst {
			if dst[i] != serial[i] {
				t.Fatalf("%s: pool [%d] = %v, serial %v", name, i, dst[i], serial[i])
			}
		}
	}
}

// TestIndirectTable checks the table against the geometry directly: every
// entry names the input pixel its tap reads, or -1 for padding, for chunks
// that start anywhere and run into the next image.
func TestIndirectTable(t *testing.T) {
	for gi, g := range indirectGeoms {
		const n = 2
		per := g.OutPixels()
		cj := convJob{src: make([]float32, n*g.InLen()), g: g, c0: 1 % g.C, cin: 1}
		for _, r0 := range []int{0, per / 3, per - 1} {
			r1 := min(n*per, r0+convChunk)
			tbl := make([]int32, (r1-r0)*g.KH*g.KW)
			in := cj.fillTable(tbl, r0, r1)
			base := len(cj.src) - len(in) // the offsets' origin in src
			for i := 0; i < r1-r0; i++ {
				img, p := (r0+i)/per, (r0+i)%per
				oh, ow := p/g.OW, p%g.OW
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih := oh*g.StrideH - g.PadT + kh*g.DilH
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						want := -1
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							want = img*g.InLen() + (ih*g.W+iw)*g.C + cj.c0 - base
						}
						if got := tbl[(kh*g.KW+kw)*(r1-r0)+i]; int(got) != want {
							t.Fatalf("geometry %d chunk at %d: pixel %d tap (%d,%d) = %d, want %d", gi, r0, i, kh, kw, got, want)
						}
					}
				}
			}
		}
	}
}

func TestKBlocks(t *testing.T) {
	for _, c := range []struct{ taps, cin, kc, tb, parts, blocks int }{
		{9, 16, 256, 9, 1, 1},
		{9, 64, 256, 3, 1, 3}, // 576 rows in three blocks of three taps
		{49, 3, 256, 49, 1, 1},
		{9, 300, 256, 1, 2, 18},
		{1, 256, 256, 1, 1, 1},
		{7, 37, 8, 1, 5, 35},
		{10, 2, 8, 4, 1, 3},
	} {
		tb, parts, blocks := kBlocks(c.taps, c.cin, c.kc)
		if tb != c.tb || parts != c.parts || blocks != c.blocks {
			t.Errorf("kBlocks(%d, %d, %d) = %d, %d, %d, want %d, %d, %d", c.taps, c.cin, c.kc, tb, parts, blocks, c.tb, c.parts, c.blocks)
		}
	}
}

// TestIndirectRule checks the choice of path: the indirect GEMM for a
// group's slice of the channels on a kernel that has one, im2col for all
// the channels, for a kernel without an indirect twin (AVX-512), and for
// an image too large for the table's offsets.
func TestIndirectRule(t *testing.T) {
	g := convGeom(14, 14, 160, 3, 1, 1)
	plain := *goKernel
	plain.indirect = false
	huge := convGeom(1<<14, 1<<14, 8, 3, 1, 1)
	for _, c := range []struct {
		kern *kernel
		g    *Window
		cin  int
		want bool
	}{
		{goKernel, &g, 16, true},
		{goKernel, &g, 160, false},
		{&plain, &g, 16, false},
		{goKernel, &huge, 4, false},
	} {
		if got := useIndirect(c.kern, c.g, c.cin, 16); got != c.want {
			t.Errorf("useIndirect(%s, C=%d, cin=%d) = %v, want %v", c.kern.name, c.g.C, c.cin, got, c.want)
		}
	}
}
