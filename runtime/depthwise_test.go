package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// dwRowGeoms are windows for the AVX2 row kernels of DepthwiseConv: every
// kernel width 1..7 (those without a row kernel check the dispatch),
// strides 1..3, dilated rows and columns, no padding, padding on one side,
// padding wider than the kernel (rows and groups with no tap inside), rows
// of exactly one group and of several with an overlapping last group,
// channel counts that are multiples of 8, 16 and 128 and ones with a tail.
var dwRowGeoms = func() []Window {
	var gs []Window
	add := func(h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr int) {
		g := Window{H: h, W: w, C: c, KH: kh, KW: kw, StrideH: sh, StrideW: sw, DilH: dh, DilW: dw, PadT: pt, PadL: pl, PadB: pb, PadR: pr}
		g.OH = (h+pt+pb-((kh-1)*dh+1))/sh + 1
		g.OW = (w+pl+pr-((kw-1)*dw+1))/sw + 1
		gs = append(gs, g)
	}
	for k := 1; k <= 7; k++ {
		for s := 1; s <= 3; s++ {
			p := k / 2
			add(9, 8*s+k+3, 16, k, k, s, s, 1, 1, p, p, p, p)         // same padding
			add(7, 8*s+k+9, 37, k, k, s, s, 1, 1, 0, 0, 0, 0)         // valid, channel tail
			add(2*k+4, 17*s+k, 128, k, k, s, s, 2, 1, k-1, 1, 0, k-1) // dilated rows, uneven pads
			add(5, 8*s+k-1, 24, 3, k, s, s, 1, 1, 1, k, 1, k)         // pads as wide as the kernel
			add(4, 16*s+2*k, 8, k, k, 1, s, 1, 2, p, p, p, p)         // dilated columns: table path
			add(4, 16*s+2*k, 13, k, k, 1, s, 1, 2, p, p, p, p)        // table path, channel tail
			add(3, 3*s, 48, k, k, s, s, 1, 1, k, k+2, k, k+2)         // groups with no tap inside
		}
	}
	return gs
}()

// TestDepthwiseRowKernels compares DepthwiseConv on dwRowGeoms with the
// float64 reference, for both row-kernel group sizes (and the Go path),
// with an output stride wider than the channels, a residual or not, and
// every activation, fused as a clamp or applied after.
func TestDepthwiseRowKernels(t *testing.T) {
	defer func(old isa, force int) { dwISA, dwRowForce = old, force }(dwISA, dwRowForce)
	r := rand.New(rand.NewPCG(5, 5))
	for _, is := range depthwiseISAs() {
		for _, force := range []int{8, 4} {
			if is != isaAVX2 && force == 4 {
				continue
			}
			dwISA, dwRowForce = is, force
			for gi, g := range dwRowGeoms {
				if err := g.Check(); err != nil {
					t.Fatalf("geometry %d %+v: %v", gi, g, err)
				}
				act := ActKind(gi % int(numActKinds))
				alpha, beta := float32(0.3), float32(1.5)
				if act == ActClip {
					alpha, beta = -0.3, 0.7
				}
				withRes := gi%3 == 1
				name := fmt.Sprintf("%v/p%d/%dx%dx%d_k%dx%d_s%d_d%dx%d_res%v_act%d", is, force, g.H, g.W, g.C, g.KH, g.KW, g.StrideW, g.DilH, g.DilW, withRes, act)
				ldd := g.C + gi%5
				w := randSlice(r, g.C*g.KH*g.KW)
				bias := randSlice(r, g.C)
				src := randSlice(r, g.InLen())
				n := (g.OutPixels()-1)*ldd + g.C
				dst := randSlice(r, n)
				orig := append([]float32(nil), dst...)
				ep := &Epilogue{Bias: bias, Act: act, Alpha: alpha, Beta: beta}
				if gi%4 == 3 {
					ep.Bias = nil
					bias = make([]float32, g.C)
				}
				var res []float32
				if withRes {
					res = randSlice(r, n)
					ep.Residual = res
				}
				DepthwiseConv(dst, ldd, src, &g, 1, PackDepthwise(w, g.C, g.KH, g.KW), ep)
				want, _ := refConv(src, &g, g.C, g.C, w, bias)
				for p := 0; p < g.OutPixels(); p++ {
					for j := 0; j < ldd && p*ldd+j < n; j++ {
						got := dst[p*ldd+j]
						if j >= g.C {
							if got != orig[p*ldd+j] {
								t.Fatalf("%s: wrote outside its channels at pixel %d channel %d", name, p, j)
							}
							continue
						}
						wv := want[p*g.C+j]
						if withRes {
							wv += float64(res[p*ldd+j])
						}
						wv = act64(act, wv, float64(alpha), float64(beta))
						if !closeTo(got, wv, 2e-5*max(1, abs64(wv))) {
							t.Fatalf("%s: pixel %d channel %d = %v, want %v", name, p, j, got, wv)
						}
					}
				}
			}
		}
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
