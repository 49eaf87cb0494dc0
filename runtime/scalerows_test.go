package runtime

import (
	"math/rand/v2"
	"testing"
)

// TestScaleRows checks that ScaleRows makes the packing of diag(s)·B (s
// repeated along K), on every kernel and for the assembly's and the
// portable path's shapes, and leaves src alone; and that it refuses
// mismatched operands.
func TestScaleRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	withKernel(t, func(t *testing.T, kern *kernel) {
		for _, s := range []struct{ k, n, ls int }{{16, 24, 16}, {3, 5, 3}, {18, 40, 6}, {32, 100, 32}, {9, 1, 9}} {
			bm := randSlice(r, s.k*s.n)
			sc := randSlice(r, s.ls)
			src := packB(kern, s.k, s.n, bm, s.n, false)
			dst := src.Clone()
			ScaleRows(dst, src, sc)
			// The reference: B with its rows scaled, packed.
			scaled := make([]float32, len(bm))
			for kk := 0; kk < s.k; kk++ {
				for j := 0; j < s.n; j++ {
					scaled[kk*s.n+j] = bm[kk*s.n+j] * sc[kk%s.ls]
				}
			}
			want := packB(kern, s.k, s.n, scaled, s.n, false)
			for i := range want.data {
				if dst.data[i] != want.data[i] {
					t.Fatalf("%+v: packed element %d = %v, want %v", s, i, dst.data[i], want.data[i])
				}
			}
			for i, v := range src.data {
				if v != packB(kern, s.k, s.n, bm, s.n, false).data[i] {
					t.Fatalf("%+v: ScaleRows changed src", s)
				}
			}
		}
	})
	for _, bad := range []func(){
		func() {
			ScaleRows(PackB(4, 4, make([]float32, 16), 4, false), PackB(4, 8, make([]float32, 32), 8, false), make([]float32, 4))
		},
		func() { p := PackB(4, 4, make([]float32, 16), 4, false); ScaleRows(p.Clone(), p, make([]float32, 3)) },
		func() { p := PackB(4, 4, make([]float32, 16), 4, false); ScaleRows(p.Clone(), p, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("ScaleRows accepted a contract violation")
				}
			}()
			bad()
		}()
	}
}
