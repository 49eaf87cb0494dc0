package runtime

// goIndirectTile is the portable indirect micro-kernel, the twin of the
// assembly one (see the asmgen command): rows output pixels, two at a
// time like goTile, times one packed panel of four columns, the table
// entry of row i and tap t at tbl[t*tstride + i]. The store step is
// goTile's. Each row's sums are formed in the same order whether it is
// paired or alone, like the assembly's, so splitting rows between calls
// changes no bits.
func goIndirectTile(rows, nw, taps, kc int, tbl []int32, tstride int, in, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	b = b[:taps*kc*4]
	for r := 0; r < rows; r += 2 {
		mr := min(2, rows-r)
		t := tbl[r:]
		var acc [2][4]float32
		if mr == 2 {
			acc[0], acc[1] = idot2x4(taps, kc, t, tstride, in, b)
		} else {
			acc[0] = idot1x4(taps, kc, t, tstride, in, b)
		}
		for i := 0; i < mr; i++ {
			var rr []float32
			if flags&tRes != 0 {
				rr = res[(r+i)*ldc:]
			}
			storeRow(c[(r+i)*ldc:(r+i)*ldc+nw], acc[i][:nw], flags, bias, rr, lo, hi, alpha)
		}
	}
}

// tapRow returns the kc input values a table entry names: the row at
// offset off of in, or zeros for a tap in the padding.
func tapRow(in []float32, off int32, kc int) []float32 {
	if off < 0 {
		return igemmZeros[:kc]
	}
	return in[off : int(off)+kc]
}

// idot2x4 is dot2x4 summed over taps: the 2x4 product of two pixels'
// tap rows (tbl[t*ts], tbl[t*ts+1]) with the panel's kc rows of each tap
// in turn, the sums carried across the taps.
//
//go:noinline
func idot2x4(taps, kc int, tbl []int32, ts int, in, b []float32) (r0, r1 [4]float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for t := 0; t < taps; t++ {
		a0 := tapRow(in, tbl[t*ts], kc)
		a1 := tapRow(in, tbl[t*ts+1], kc)[:len(a0)]
		bt := b[t*kc*4 : (t+1)*kc*4]
		bt = bt[:len(a0)*4]
		for i := range a0 {
			bv := (*[4]float32)(bt[i*4:])
			b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
			x, y := a0[i], a1[i]
			c00 += x * b0
			c01 += x * b1
			c02 += x * b2
			c03 += x * b3
			c10 += y * b0
			c11 += y * b1
			c12 += y * b2
			c13 += y * b3
		}
	}
	return [4]float32{c00, c01, c02, c03}, [4]float32{c10, c11, c12, c13}
}

// idot1x4 is idot2x4 for a single pixel.
//
//go:noinline
func idot1x4(taps, kc int, tbl []int32, ts int, in, b []float32) [4]float32 {
	var c00, c01, c02, c03 float32
	for t := 0; t < taps; t++ {
		a0 := tapRow(in, tbl[t*ts], kc)
		bt := b[t*kc*4 : (t+1)*kc*4]
		bt = bt[:len(a0)*4]
		for i, x := range a0 {
			bv := (*[4]float32)(bt[i*4:])
			c00 += x * bv[0]
			c01 += x * bv[1]
			c02 += x * bv[2]
			c03 += x * bv[3]
		}
	}
	return [4]float32{c00, c01, c02, c03}
}
