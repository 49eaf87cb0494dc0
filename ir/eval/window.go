package eval

import "github.com/cnnc/cnnc/ir"

// image describes an activation tensor as batch, channels and spatial
// axes, with the element stride of each, so that one loop nest serves
// every layout: NCHW and NHWC differ only in these strides.
type image struct {
	n, c   int
	sp     []int // spatial sizes
	bs, cs int   // batch and channel strides
	ss     []int // spatial strides
}

// imageOf views a tensor of the given shape in layout l (LayoutAny is
// NCHW, as the ops' shape rules treat it).
func imageOf(shape ir.Shape, l ir.Layout) image {
	st := strides(shape)
	r := len(shape)
	ca := l.ChannelAxis(r)
	im := image{n: shape[0], c: shape[ca], bs: st[0], cs: st[ca]}
	for _, a := range l.SpatialAxes(r) {
		im.sp = append(im.sp, shape[a])
		im.ss = append(im.ss, st[a])
	}
	return im
}

// planeOffsets lists the offsets of every spatial position of one
// (batch, channel) plane, in row-major spatial order.
func (im image) planeOffsets() []int { return offsets(im.sp, im.ss, 0) }

// ceilDiv is ceil(a/b) for b > 0 and any sign of a.
func ceilDiv(a, b int) int {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -(-a / b)
}

// span returns the range [i0, i1) of i in [0, n) for which
// lo <= i*step + off < hi (step > 0).
func span(n, step, off, lo, hi int) (i0, i1 int) {
	i0 = max(0, ceilDiv(lo-off, step))
	i1 = min(n, ceilDiv(hi-off, step))
	return i0, max(i0, i1)
}

// rowPair is the offset of one row (a position of all spatial axes but
// the last) on the two sides of a convolution tap.
type rowPair struct{ iter, other int }

// tapPlan is one kernel tap of a convolution laid out for a tight inner
// loop. The tap links position p of the "iter" grid to position
// p*stride + k*dilation - pad of the "other" grid on every spatial axis:
// for Conv the output is the iter grid and the input the other, for
// ConvTranspose the reverse. Only positions that land inside the other
// grid appear: rows lists the valid outer positions; along the last axis
// the n valid positions start at iter0/other0 and advance by the steps.
type tapPlan struct {
	rows                []rowPair
	n                   int
	iter0, other0       int
	iterStep, otherStep int
}

// planTaps makes one tapPlan per kernel tap, taps in row-major order (the
// order of a weight tensor's trailing kernel axes).
func planTaps(iter, other image, kernel, stride, dil, padBegin []int) []tapPlan {
	nsp := len(kernel)
	last := nsp - 1
	outer := iter.sp[:last]
	plans := make([]tapPlan, prod(kernel))
	k := make([]int, nsp)
	off := make([]int, nsp)
	pos := make([]int, last)
	for t := range plans {
		for d := range nsp {
			off[d] = k[d]*dil[d] - padBegin[d]
		}
		p := &plans[t]
		i0, i1 := span(iter.sp[last], stride[last], off[last], 0, other.sp[last])
		p.n = i1 - i0
		p.iter0 = i0 * iter.ss[last]
		p.other0 = (i0*stride[last] + off[last]) * other.ss[last]
		p.iterStep = iter.ss[last]
		p.otherStep = stride[last] * other.ss[last]
		if p.n > 0 {
			p.rows = outerRows(outer, pos, iter, other, stride, off)
		}
		// Next tap, last kernel axis fastest.
		for d := nsp - 1; d >= 0; d-- {
			k[d]++
			if k[d] < kernel[d] {
				break
			}
			k[d] = 0
		}
	}
	return plans
}

// outerRows lists the positions of the iter grid's outer axes (all
// spatial axes but the last) whose image under the tap, p*stride + off,
// lies inside the other grid.
func outerRows(outer, pos []int, iter, other image, stride, off []int) []rowPair {
	for d := range pos {
		pos[d] = 0
	}
	var rows []rowPair
	for _, d := range outer {
		if d == 0 {
			return nil
		}
	}
	for {
		r := rowPair{}
		ok := true
		for d, p := range pos {
			q := p*stride[d] + off[d]
			if q < 0 || q >= other.sp[d] {
				ok = false
				break
			}
			r.iter += p * iter.ss[d]
			r.other += q * other.ss[d]
		}
		if ok {
			rows = append(rows, r)
		}
		d := len(pos) - 1
		for ; d >= 0; d-- {
			pos[d]++
			if pos[d] < outer[d] {
				break
			}
			pos[d] = 0
		}
		if d < 0 {
			return rows
		}
	}
}
