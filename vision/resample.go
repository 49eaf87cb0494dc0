package vision

import "math"

// This file resizes 8-bit images the way PIL's Image.resize does, which is what
// torchvision's transforms.Resize calls on PIL images. It is written from the
// description of the method, not from PIL's source:
//
//   - Bilinear is a separable convolution with the triangle filter
//     f(x) = max(0, 1-|x|). For output sample i of an axis scaled from in to out
//     samples, scale = in/out, the filter is stretched by fs = max(scale, 1) (so a
//     downscale averages over every input sample it covers: antialiasing), the
//     sample's centre in input coordinates is (i+0.5)*scale, and the taps are the
//     input samples j with int(centre-fs+0.5) <= j < int(centre+fs+0.5), clipped to
//     the image, weighted f((j-centre+0.5)/fs) and normalized to sum to one.
//     The weights are rounded to fixed point with 22 fractional bits; each output
//     value is (sum(weight*pixel) + 2^21) >> 22 clipped to 0..255. The horizontal
//     pass runs first and its result is rounded to 8 bits before the vertical pass,
//     as PIL does; matching that rounding makes the results equal to PIL's.
//   - Nearest takes input sample floor(c) for output sample i, where c starts at
//     scale/2 and grows by scale per output sample (accumulated in float64, which
//     is what PIL's results show: (i+0.5)*scale computed directly differs from them
//     where it lands on an integer).

// precisionBits is the number of fractional bits of the fixed-point weights.
const precisionBits = 22

// kernel holds the fixed-point weights of the output samples lo <= i < hi of one
// axis: output i reads input samples start[i-lo] ... start[i-lo]+n[i-lo]-1 with
// weights w[(i-lo)*stride:].
type kernel struct {
	start, n []int
	w        []int32
	stride   int
	tmp      []float64
	acc      []int32 // vpass's sums
}

// bilinear fills k for resizing in samples to out samples, for outputs lo..hi-1.
func (k *kernel) bilinear(in, out, lo, hi int) {
	scale := float64(in) / float64(out)
	fs := math.Max(scale, 1)
	support := fs // the triangle filter's support is 1
	k.stride = int(math.Ceil(support))*2 + 1
	n := hi - lo
	k.start = growInts(k.start, n)
	k.n = growInts(k.n, n)
	k.w = growInt32s(k.w, n*k.stride)
	if cap(k.tmp) < k.stride+2 {
		k.tmp = make([]float64, k.stride+2)
	}
	tmp := k.tmp[:cap(k.tmp)]
	inv := 1 / fs
	for i := lo; i < hi; i++ {
		center := (float64(i) + 0.5) * scale
		x0 := int(center - support + 0.5) // truncation toward zero, as in the method
		if x0 < 0 {
			x0 = 0
		}
		x1 := int(center + support + 0.5)
		if x1 > in {
			x1 = in
		}
		if x1-x0 > len(tmp) {
			x1 = x0 + len(tmp)
		}
		sum := 0.0
		for j := x0; j < x1; j++ {
			v := 1 - math.Abs((float64(j)-center+0.5)*inv)
			if v < 0 {
				v = 0
			}
			tmp[j-x0] = v
			sum += v
		}
		// Drop zero-weight taps at the ends so that they cost nothing.
		for x1 > x0+1 && tmp[x1-1-x0] == 0 {
			x1--
		}
		first := 0
		for first < x1-x0-1 && tmp[first] == 0 {
			first++
		}
		m := x1 - x0 - first
		if m > k.stride {
			m = k.stride
		}
		w := k.w[(i-lo)*k.stride : (i-lo+1)*k.stride]
		for t := 0; t < m; t++ {
			v := tmp[first+t]
			if sum != 0 {
				v /= sum
			}
			w[t] = int32(v*(1<<precisionBits) + 0.5)
		}
		k.start[i-lo] = x0 + first
		k.n[i-lo] = m
	}
}

// nearest fills k for nearest-neighbour resizing of in samples to out samples.
func (k *kernel) nearest(in, out, lo, hi int) {
	scale := float64(in) / float64(out)
	n := hi - lo
	k.stride = 1
	k.start = growInts(k.start, n)
	k.n = growInts(k.n, n)
	k.w = growInt32s(k.w, n)
	c := scale * 0.5
	for i := 0; i < hi; i++ {
		if i >= lo {
			j := int(math.Floor(c))
			j = min(max(j, 0), in-1)
			k.start[i-lo], k.n[i-lo], k.w[i-lo] = j, 1, 1<<precisionBits
		}
		c += scale
	}
}

// span is the range of input samples that outputs lo..hi-1 of k read.
func (k *kernel) span() (lo, hi int) {
	lo, hi = math.MaxInt, 0
	for i := range k.start {
		if k.n[i] == 0 {
			continue
		}
		lo = min(lo, k.start[i])
		hi = max(hi, k.start[i]+k.n[i])
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// hpass resizes one row of c-channel pixels (c is 1 or 3): dst gets
// len(k.start) pixels, the output pixel i the weighted sum of src's pixels
// k.start[i]-base onward.
func (k *kernel) hpass(dst, src []uint8, c, base int) {
	const half = int32(1) << (precisionBits - 1)
	if c == 1 {
		for i, st := range k.start {
			w := k.w[i*k.stride : i*k.stride+k.n[i]]
			s := src[st-base:][:len(w)]
			acc := half
			for t, wt := range w {
				acc += int32(s[t]) * wt
			}
			dst[i] = clip8(acc)
		}
		return
	}
	dst = dst[:3*len(k.start)]
	for i, st := range k.start {
		w := k.w[i*k.stride : i*k.stride+k.n[i]]
		s := src[3*(st-base):][:3*len(w)]
		r, g, b := half, half, half
		for t, wt := range w {
			p := s[3*t : 3*t+3]
			r += int32(p[0]) * wt
			g += int32(p[1]) * wt
			b += int32(p[2]) * wt
		}
		d := dst[3*i : 3*i+3]
		d[0], d[1], d[2] = clip8(r), clip8(g), clip8(b)
	}
}

// vpass computes output row i of k: dst gets the weighted sum of rows
// k.start[i]-base onward of src, whose rows are len(dst) bytes long.
func (k *kernel) vpass(dst, src []uint8, i, base int) {
	const half = int32(1) << (precisionBits - 1)
	w := k.w[i*k.stride : i*k.stride+k.n[i]]
	n := len(dst)
	if cap(k.acc) < n {
		k.acc = make([]int32, n)
	}
	acc := k.acc[:n]
	for p := range acc {
		acc[p] = half
	}
	s0 := (k.start[i] - base) * n
	for t, wt := range w {
		row := src[s0+t*n:][:n]
		for p, v := range row {
			acc[p] += int32(v) * wt
		}
	}
	for p, v := range acc {
		dst[p] = clip8(v)
	}
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

func growInt32s(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growBytes(s []uint8, n int) []uint8 {
	if cap(s) < n {
		return make([]uint8, n)
	}
	return s[:n]
}
