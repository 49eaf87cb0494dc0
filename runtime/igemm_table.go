package runtime

// runIndirect computes rows [r0, r1) and column panels [p0, p1) of the
// convolution with the indirect kernel, a chunk of output pixels at a
// time, each chunk's table in cj.work.
func (cj *convJob) runIndirect(plan *gemmPlan, r0, r1, p0, p1 int) {
	taps := cj.g.KH * cj.g.KW
	for i := r0; i < r1; i += cj.chunk {
		end := min(r1, i+cj.chunk)
		tbl := int32s(cj.work, (end-i)*taps)
		in := cj.fillTable(tbl, i, end)
		igemmRows(plan, tbl, in, i, end-i, taps, cj.cin, p0, p1)
	}
}

// fillTable writes the table of output pixels [r0, r1) (at most
// convChunk of them) of the job's images into tbl: entry t*(r1-r0) + i is,
// for pixel r0 + i and tap t, the offset in floats of the tap's input
// pixel from the returned slice (channel c0 of the first pixel of the
// image that holds pixel r0), or -1 when the tap falls in the padding.
// Taps are the kernel positions in (kh, kw) order; tap-major order makes
// the rows of a tile of pixels, for one tap, consecutive entries.
//
// It runs once per chunk (and per group when the groups come one ConvN at
// a time), so it is kept to a few instructions an entry: every tap is written for all the pixels in one loop, as if no tap
// were in the padding, and then the few pixels whose window reaches into
// the padding are written again with their tests.
func (cj *convJob) fillTable(tbl []int32, r0, r1 int) (in []float32) {
	g := &cj.g
	n := r1 - r0
	per, inLen, rowC := g.OutPixels(), g.InLen(), g.W*g.C
	dh, dw := g.DilH*rowC, g.DilW*g.C
	kw := g.KW
	owLo, owHi := interiorCols(g)

	// Each pixel's offset (that of its window's first tap, which may lie
	// in the padding), and the pixels to write again with the taps [kh0,
	// kh1) x [kw0, kw1) that lie inside the image.
	var pix [convChunk]int32
	var edge [convChunk]struct{ i, kh0, kh1, kw0, kw1 int32 }
	nEdge := 0
	img0 := r0 / per
	img, oh, ow := img0, r0%per/g.OW, r0%g.OW
	kh0, kh1 := kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
	for i := range pix[:n] {
		pix[i] = int32((img-img0)*inLen + (oh*g.StrideH-g.PadT)*rowC + (ow*g.StrideW-g.PadL)*g.C)
		rowEdge := kh0 > 0 || kh1 < g.KH
		if colEdge := ow < owLo || ow >= owHi; rowEdge || colEdge {
			kw0, kw1 := 0, kw
			if colEdge {
				kw0, kw1 = kRange(ow, g.StrideW, g.PadL, g.DilW, g.KW, g.W)
			}
			edge[nEdge] = struct{ i, kh0, kh1, kw0, kw1 int32 }{int32(i), int32(kh0), int32(kh1), int32(kw0), int32(kw1)}
			nEdge++
		}
		if ow++; ow == g.OW {
			ow = 0
			if oh++; oh == g.OH {
				oh = 0
				img++
			}
			kh0, kh1 = kRange(oh, g.StrideH, g.PadT, g.DilH, g.KH, g.H)
		}
	}

	src := pix[:n]
	e := 0
	for y := 0; y < g.KH; y++ {
		for x := 0; x < kw; x++ {
			off := int32(y*dh + x*dw)
			dst := tbl[e : e+n]
			for i, p := range src {
				dst[i] = p + off
			}
			e += n
		}
	}

	// Padding: whole kernel rows above and below the image, and in the
	// others the columns beside it.
	for _, ed := range edge[:nEdge] {
		for y := 0; y < g.KH; y++ {
			e := int(ed.i) + y*kw*n
			if y < int(ed.kh0) || y >= int(ed.kh1) {
				for x := 0; x < kw; x++ {
					tbl[e+x*n] = -1
				}
				continue
			}
			for x := 0; x < int(ed.kw0); x++ {
				tbl[e+x*n] = -1
			}
			for x := int(ed.kw1); x < kw; x++ {
				tbl[e+x*n] = -1
			}
		}
	}
	return cj.src[img0*inLen+cj.c0:]
}
