package runtime

// ChannelShuffle writes rows rows of c channels (NHWC pixels) of src to
// dst with the channels shuffled in groups groups, as ShuffleNet does:
// output channel i*groups + j is input channel j*(c/groups) + i. dst and
// src must not overlap.
//
// Contract: groups divides c; len(src), len(dst) >= rows*c. It never
// allocates.
func ChannelShuffle(dst, src []float32, rows, c, groups int) {
	checkLen("ChannelShuffle", "src", len(src), rows*c)
	checkLen("ChannelShuffle", "dst", len(dst), rows*c)
	if groups < 1 || c%groups != 0 {
		panic("runtime.ChannelShuffle: groups do not divide the channels")
	}
	per := c / groups
	if groups == 2 {
		// Interleave the two halves of each pixel, the ShuffleNet case:
		// whole vectors in assembly where there is some, the rest here.
		done := interleave2(dst, src, rows, per)
		for r := 0; r < rows; r++ {
			a := src[r*c+done : r*c+per]
			b := src[r*c+per+done : r*c+c]
			d := dst[r*c+2*done : r*c+c]
			b = b[:len(a)]
			d = d[:2*len(a)]
			for i, v := range a {
				d[2*i], d[2*i+1] = v, b[i]
			}
		}
		return
	}
	for r := 0; r < rows; r++ {
		s := src[r*c : r*c+c]
		d := dst[r*c : r*c+c]
		for j := 0; j < groups; j++ {
			g := s[j*per : (j+1)*per]
			for i, v := range g {
				d[i*groups+j] = v
			}
		}
	}
}
