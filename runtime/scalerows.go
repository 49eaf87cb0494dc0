package runtime

import "strconv"

// Clone returns a copy of p with the same packing, for ScaleRows to
// rewrite at run time. It allocates and is meant to run at initialization.
func (p *PackedB) Clone() *PackedB {
	return &PackedB{k: p.k, n: p.n, kern: p.kern, data: append([]float32(nil), p.data...)}
}

// ScaleRows sets dst to src with row kk of B multiplied by s[kk %
// len(s)]: the weights of a convolution whose input channel c is
// multiplied by s[c] (K is in (kh, kw, c) order, see PackConv). It is how
// a squeeze-and-excitation block's channel scale reaches the next 1x1
// convolution: rescaling its K x N weights costs less than rescaling its
// M x K input when the image has more pixels M than the convolution has
// output channels N.
//
// Contract: dst is a Clone of src (or of a PackedB packed alike); len(s) >
// 0 divides src.K(). It never allocates.
func ScaleRows(dst, src *PackedB, s []float32) {
	if dst.k != src.k || dst.n != src.n || dst.kern != src.kern || len(dst.data) != len(src.data) {
		panic("runtime.ScaleRows: dst is not packed like src (use src.Clone())")
	}
	if len(s) == 0 || src.k%len(s) != 0 {
		panic("runtime.ScaleRows: len(s) = " + strconv.Itoa(len(s)) + " does not divide K = " + strconv.Itoa(src.k))
	}
	k, nr := src.k, src.kern.nr
	vw := chanWidth()
	off := 0
	for p := 0; p*nr < src.n; p++ {
		w := src.panelWidth(p)
		from, to := src.data[off:off+k*w], dst.data[off:off+k*w]
		if vw > 0 && w%vw == 0 && len(s) == k {
			scaleRowsAsm(k, w, from, to, s)
		} else {
			scaleRowsGo(k, w, from, to, s)
		}
		off += k * w
	}
}

// scaleRowsGo is scaleRowsAsm's portable twin, for any len(s) dividing
// rows.
func scaleRowsGo(rows, w int, src, dst, s []float32) {
	for r := 0; r < rows; r++ {
		f := s[r%len(s)]
		d, x := dst[r*w:(r+1)*w], src[r*w:(r+1)*w]
		for j, v := range x {
			d[j] = v * f
		}
	}
}
