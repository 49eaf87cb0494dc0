package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConvGroups checks that ConvGroups, alone and on a pool, gives one
// ConvN per group bit for bit, on both paths and every kernel, with the
// residual separate or aliasing the output, into a channel slice of a
// wider output, from the first channels of the input or from an offset,
// for one image and several.
func TestConvGroups(t *testing.T) {
	defer splitEverything()()
	pool := NewPool(3)
	defer pool.Close()
	withConvPaths(t, func(t *testing.T) {
		for _, kern := range indirectTestKernels() {
			t.Run(kern.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(51, 52))
				for gi, g := range indirectGeoms {
					for _, groups := range []int{2, 4} {
						if g.C%groups != 0 {
							continue
						}
						for variant := 0; variant < 2; variant++ {
							n := 1 + variant*2
							testConvGroups(t, r, kern, pool, &g, groups, n, variant, fmt.Sprintf("geometry %d groups %d variant %d", gi, groups, variant))
						}
					}
				}
			})
		}
	})
}

func testConvGroups(t *testing.T, r *rand.Rand, kern *kernel, pool *Pool, g *Window, groups, n, variant int, name string) {
	cpg, opg, c0 := g.C/groups, 5+variant*6, 0
	if variant == 1 && cpg > 1 {
		// The groups read the last channels: a channel slice of the input.
		cpg--
		c0 = g.C - groups*cpg
	}
	ldd := groups*opg + 2
	k := g.KH * g.KW * cpg
	m := n * g.OutPixels()
	src := randSlice(r, n*g.InLen())
	orig := randSlice(r, m*ldd)
	res := randSlice(r, m*ldd)
	bias := randSlice(r, groups*opg)
	bs := make([]*PackedB, groups)
	for gr := range bs {
		bs[gr] = packConv(kern, randSlice(r, opg*k), opg, cpg, g.KH, g.KW)
	}
	eps := func(dst []float32) []Epilogue {
		e := make([]Epilogue, groups)
		for gr := range e {
			if variant == 0 {
				e[gr] = Epilogue{Bias: bias[gr*opg:], Residual: res[gr*opg:], Act: ActSigmoid}
			} else {
				e[gr] = Epilogue{Bias: bias[gr*opg:], Residual: dst[gr*opg:], Act: ActRelu}
			}
		}
		return e
	}
	want := append([]float32(nil), orig...)
	work := make([]float32, pool.Conv2DWorkSize(g, k))
	we := eps(want)
	for gr := range bs {
		ConvN(want[gr*opg:], ldd, src, g, n, c0+gr*cpg, bs[gr], &we[gr], work)
	}
	for _, p := range []*Pool{nil, pool} {
		got := append([]float32(nil), orig...)
		p.ConvGroups(got, ldd, src, g, n, c0, bs, eps(got), work)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s pool %v: [%d] = %v, one ConvN per group gives %v", name, p != nil, i, got[i], want[i])
			}
		}
	}
}
