package runtime

import (
	"math/rand/v2"
	"testing"
)

// TestChannelShuffle checks the shuffle against its definition, output
// channel i*groups + j = input channel j*per + i of each pixel, for the
// assembly interleave of two groups (whole vectors and tails) and the
// portable loops, and that nothing past the rows is written.
func TestChannelShuffle(t *testing.T) {
	defer func(old isa) { layoutISA = old }(layoutISA)
	r := rand.New(rand.NewPCG(6, 7))
	for _, is := range depthwiseISAs() {
		layoutISA = is
		for _, groups := range []int{1, 2, 3, 4} {
			for _, per := range []int{1, 2, 7, 8, 9, 16, 29, 58, 116} {
				for _, rows := range []int{0, 1, 3, 10} {
					c := per * groups
					src := randSlice(r, rows*c)
					dst := randSlice(r, rows*c+5)
					tail := append([]float32(nil), dst[rows*c:]...)
					ChannelShuffle(dst, src, rows, c, groups)
					for p := 0; p < rows; p++ {
						for j := 0; j < groups; j++ {
							for i := 0; i < per; i++ {
								if got, want := dst[p*c+i*groups+j], src[p*c+j*per+i]; got != want {
									t.Fatalf("%v groups=%d per=%d rows=%d: pixel %d channel %d = %v, want %v", is, groups, per, rows, p, i*groups+j, got, want)
								}
							}
						}
					}
					for i, v := range tail {
						if dst[rows*c+i] != v {
							t.Fatalf("%v groups=%d per=%d rows=%d: wrote past the rows", is, groups, per, rows)
						}
					}
				}
			}
		}
	}
}
