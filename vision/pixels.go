package vision

import (
	"fmt"
	"image"
	"image/color"
)

// imageSource reads rows of an image.Image as 8-bit gray (c == 1) or RGB
// (c == 3) pixels, with fast paths for the standard library's image types. Every
// conversion goes through the straight (non-premultiplied) 8-bit RGB colour of
// the pixel, alpha dropped, as PIL's convert('RGB') and convert('L') do; gray is
// the ITU-R 601-2 luma of that colour with PIL's rounding (see luma). JPEG
// images (image.YCbCr) are converted as libjpeg converts them (see ycbcrRow).
type imageSource struct {
	img  image.Image
	b    image.Rectangle
	c    int
	pal  [256][3]uint8 // *image.Paletted: straight RGB of each index
	palL [256]uint8    // *image.Paletted: luma of each index
}

// luma is ITU-R 601-2 luma, L = R*299/1000 + G*587/1000 + B*114/1000, computed in
// 16-bit fixed point with rounding: (19595*R + 38470*G + 7471*B + 2^15) >> 16.
// That is how PIL's convert('L') rounds (checked on a million random colours).
func luma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// unpremul8 turns one premultiplied 8-bit channel into a straight one the way
// color.NRGBAModel does, clipped to 255 for invalid colours (channel > alpha).
func unpremul8(v, a uint8) uint8 {
	switch a {
	case 0xff:
		return v
	case 0:
		return 0
	}
	return uint8(min(uint32(v)*0xffff/uint32(a)>>8, 0xff))
}

// straight is the non-premultiplied 8-bit RGB of any colour, alpha dropped. A
// nil colour is black.
func straight(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case nil:
		return 0, 0, 0
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.RGBA:
		return unpremul8(c.R, c.A), unpremul8(c.G, c.A), unpremul8(c.B, c.A)
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.YCbCr:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.NYCbCrA:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.NRGBA64:
		return uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)
	case color.Gray16:
		return uint8(c.Y >> 8), uint8(c.Y >> 8), uint8(c.Y >> 8)
	}
	r16, g16, b16, a16 := c.RGBA()
	return unpremul16(r16, a16), unpremul16(g16, a16), unpremul16(b16, a16)
}

func unpremul16(v, a uint32) uint8 {
	switch a {
	case 0xffff:
		return uint8(min(v, 0xffff) >> 8)
	case 0:
		return 0
	}
	return uint8(min(v*0xffff/a, 0xffff) >> 8)
}

// planeOK reports whether a pixel buffer of n bytes holds rows rows of rowBytes
// bytes each, stride bytes apart, without overflowing.
func planeOK(n, stride, rows, rowBytes int) bool {
	if stride < 0 || rowBytes > n {
		return false
	}
	return rows <= 1 || stride <= (n-rowBytes)/(rows-1)
}

// init prepares s to read img, which must have a non-empty bounds. It rejects
// standard images whose pixel buffers are too short for their bounds and strides.
func (s *imageSource) init(img image.Image, b image.Rectangle, c int) error {
	s.img, s.b, s.c = img, b, c
	w, h := b.Dx(), b.Dy()
	ok := true
	switch p := img.(type) {
	case *image.RGBA:
		ok = planeOK(len(p.Pix), p.Stride, h, 4*w)
	case *image.NRGBA:
		ok = planeOK(len(p.Pix), p.Stride, h, 4*w)
	case *image.RGBA64:
		ok = planeOK(len(p.Pix), p.Stride, h, 8*w)
	case *image.NRGBA64:
		ok = planeOK(len(p.Pix), p.Stride, h, 8*w)
	case *image.Gray:
		ok = planeOK(len(p.Pix), p.Stride, h, w)
	case *image.Gray16:
		ok = planeOK(len(p.Pix), p.Stride, h, 2*w)
	case *image.CMYK:
		ok = planeOK(len(p.Pix), p.Stride, h, 4*w)
	case *image.Paletted:
		ok = planeOK(len(p.Pix), p.Stride, h, w)
		for i := range s.pal {
			var r, g, b uint8 // indexes past the palette are black
			if i < len(p.Palette) {
				r, g, b = straight(p.Palette[i])
			}
			s.pal[i] = [3]uint8{r, g, b}
			s.palL[i] = luma(r, g, b)
		}
	case *image.NYCbCrA:
		ok = ycbcrOK(&p.YCbCr) && planeOK(len(p.A), p.AStride, h, w)
	case *image.YCbCr:
		ok = ycbcrOK(p)
	}
	if !ok {
		return fmt.Errorf("vision: %T with bounds %v: its pixel buffer is too short for its bounds and stride", img, b)
	}
	return nil
}

// ycbcrOK checks the planes of p against its bounds (which are not empty).
func ycbcrOK(p *image.YCbCr) bool {
	r := p.Rect
	w, h := r.Dx(), r.Dy()
	if !planeOK(len(p.Y), p.YStride, h, w) {
		return false
	}
	// Chroma coordinates as YCbCr.COffset computes them; they grow with x and y,
	// so the last pixel's are the largest.
	cx := func(x int) int { return x - r.Min.X }
	cy := func(y int) int { return y - r.Min.Y }
	switch p.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		cx = func(x int) int { return x/2 - r.Min.X/2 }
	case image.YCbCrSubsampleRatio420:
		cx = func(x int) int { return x/2 - r.Min.X/2 }
		cy = func(y int) int { return y/2 - r.Min.Y/2 }
	case image.YCbCrSubsampleRatio440:
		cy = func(y int) int { return y/2 - r.Min.Y/2 }
	case image.YCbCrSubsampleRatio411:
		cx = func(x int) int { return x/4 - r.Min.X/4 }
	case image.YCbCrSubsampleRatio410:
		cx = func(x int) int { return x/4 - r.Min.X/4 }
		cy = func(y int) int { return y/2 - r.Min.Y/2 }
	}
	cw, ch := cx(r.Max.X-1)+1, cy(r.Max.Y-1)+1
	return len(p.Cb) == len(p.Cr) && planeOK(len(p.Cb), p.CStride, ch, cw)
}

// row writes the pixels x0 <= x < x1 of row y (coordinates relative to the
// bounds' Min) into buf, s.c bytes per pixel.
func (s *imageSource) row(y, x0, x1 int, buf []uint8) {
	py := s.b.Min.Y + y
	ax0, ax1 := s.b.Min.X+x0, s.b.Min.X+x1
	n := x1 - x0
	gray := s.c == 1
	put := func(k int, r, g, b uint8) {
		if gray {
			buf[k] = luma(r, g, b)
		} else {
			buf[3*k], buf[3*k+1], buf[3*k+2] = r, g, b
		}
	}
	switch p := s.img.(type) {
	case *image.Gray:
		pix := p.Pix[p.PixOffset(ax0, py):][:n]
		if gray {
			copy(buf, pix)
			return
		}
		for k, v := range pix {
			buf[3*k], buf[3*k+1], buf[3*k+2] = v, v, v
		}
	case *image.NRGBA:
		pix := p.Pix[p.PixOffset(ax0, py):][:4*n]
		for k := 0; k < n; k++ {
			put(k, pix[4*k], pix[4*k+1], pix[4*k+2])
		}
	case *image.RGBA:
		pix := p.Pix[p.PixOffset(ax0, py):][:4*n]
		for k := 0; k < n; k++ {
			a := pix[4*k+3]
			put(k, unpremul8(pix[4*k], a), unpremul8(pix[4*k+1], a), unpremul8(pix[4*k+2], a))
		}
	case *image.YCbCr:
		s.ycbcrRow(p, py, ax0, ax1, put)
	case *image.NYCbCrA:
		s.ycbcrRow(&p.YCbCr, py, ax0, ax1, put)
	case *image.Paletted:
		pix := p.Pix[p.PixOffset(ax0, py):][:n]
		if gray {
			for k, v := range pix {
				buf[k] = s.palL[v]
			}
			return
		}
		for k, v := range pix {
			c := &s.pal[v]
			buf[3*k], buf[3*k+1], buf[3*k+2] = c[0], c[1], c[2]
		}
	case *image.Gray16:
		pix := p.Pix[p.PixOffset(ax0, py):][:2*n]
		for k := 0; k < n; k++ {
			v := pix[2*k] // the high byte, as color.GrayModel rounds down
			put(k, v, v, v)
		}
	case *image.NRGBA64:
		pix := p.Pix[p.PixOffset(ax0, py):][:8*n]
		for k := 0; k < n; k++ {
			put(k, pix[8*k], pix[8*k+2], pix[8*k+4])
		}
	case *image.RGBA64:
		pix := p.Pix[p.PixOffset(ax0, py):][:8*n]
		for k := 0; k < n; k++ {
			q := pix[8*k:]
			a := uint32(q[6])<<8 | uint32(q[7])
			put(k, unpremul16(uint32(q[0])<<8|uint32(q[1]), a),
				unpremul16(uint32(q[2])<<8|uint32(q[3]), a),
				unpremul16(uint32(q[4])<<8|uint32(q[5]), a))
		}
	case *image.CMYK:
		pix := p.Pix[p.PixOffset(ax0, py):][:4*n]
		for k := 0; k < n; k++ {
			r, g, b := color.CMYKToRGB(pix[4*k], pix[4*k+1], pix[4*k+2], pix[4*k+3])
			put(k, r, g, b)
		}
	default:
		for k := 0; k < n; k++ {
			r, g, b := straight(s.img.At(ax0+k, py))
			put(k, r, g, b)
		}
	}
}

// jpegRGB converts full-range YCbCr to RGB as libjpeg does (16-bit fixed point,
// rounding by adding one half): R = Y + 1.402 Cr', G = Y - 0.34414 Cb' -
// 0.71414 Cr', B = Y + 1.772 Cb', with Cb' = Cb-128 and Cr' = Cr-128.
// color.YCbCrToRGB rounds differently, by up to one level.
func jpegRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy, b1, r1 := int32(y), int32(cb)-128, int32(cr)-128
	return clampByte(yy + (91881*r1+1<<15)>>16),
		clampByte(yy + (-22554*b1-46802*r1+1<<15)>>16),
		clampByte(yy + (116130*b1+1<<15)>>16)
}

func clampByte(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}

// ycbcrRow reads a row of a YCbCr image (a decoded JPEG) the way libjpeg, and
// so PIL, decodes JPEG files: chroma subsampled 4:2:0 or 4:2:2 is upsampled with
// libjpeg's "fancy" triangle filter (each output sample is 3/4 of the nearest
// chroma sample and 1/4 of the next nearest, in each subsampled direction, edges
// replicated, with libjpeg's alternating rounding), and converted by jpegRGB.
// The other ratios, and images with negative coordinates, take the nearest
// chroma sample, as img.At does.
func (s *imageSource) ycbcrRow(p *image.YCbCr, py, ax0, ax1 int, put func(int, uint8, uint8, uint8)) {
	r := p.Rect
	ratio := p.SubsampleRatio
	if r.Min.X < 0 || r.Min.Y < 0 || (ratio != image.YCbCrSubsampleRatio420 && ratio != image.YCbCrSubsampleRatio422) {
		for x := ax0; x < ax1; x++ {
			yi, ci := p.YOffset(x, py), p.COffset(x, py)
			r, g, b := jpegRGB(p.Y[yi], p.Cb[ci], p.Cr[ci])
			put(x-ax0, r, g, b)
		}
		return
	}
	ys := p.Y[p.YOffset(ax0, py):][:ax1-ax0]
	jmin, jmax := r.Min.X/2, (r.Max.X-1)/2 // chroma columns of the image
	if ratio == image.YCbCrSubsampleRatio422 {
		o := (py - r.Min.Y) * p.CStride
		cb, cr := p.Cb[o:], p.Cr[o:]
		for x := ax0; x < ax1; x++ {
			j, j2, bias := x/2, x/2+1, int32(2)
			if x%2 == 0 {
				j2, bias = j-1, 1
			}
			j, j2 = j-jmin, min(max(j2, jmin), jmax)-jmin
			u := (3*int32(cb[j]) + int32(cb[j2]) + bias) >> 2
			v := (3*int32(cr[j]) + int32(cr[j2]) + bias) >> 2
			r, g, b := jpegRGB(ys[x-ax0], uint8(u), uint8(v))
			put(x-ax0, r, g, b)
		}
		return
	}
	// 4:2:0: blend the nearest chroma row with the one above (even rows) or
	// below (odd rows), then the columns likewise.
	cy, cy2 := py/2, py/2+1
	if py%2 == 0 {
		cy2 = cy - 1
	}
	cy2 = min(max(cy2, r.Min.Y/2), (r.Max.Y-1)/2)
	o1, o2 := (cy-r.Min.Y/2)*p.CStride, (cy2-r.Min.Y/2)*p.CStride
	cb1, cb2, cr1, cr2 := p.Cb[o1:], p.Cb[o2:], p.Cr[o1:], p.Cr[o2:]
	for x := ax0; x < ax1; x++ {
		j, j2, bias := x/2, x/2+1, int32(7)
		if x%2 == 0 {
			j2, bias = j-1, 8
		}
		j, j2 = j-jmin, min(max(j2, jmin), jmax)-jmin
		u := (3*(3*int32(cb1[j])+int32(cb2[j])) + 3*int32(cb1[j2]) + int32(cb2[j2]) + bias) >> 4
		v := (3*(3*int32(cr1[j])+int32(cr2[j])) + 3*int32(cr1[j2]) + int32(cr2[j2]) + bias) >> 4
		r, g, b := jpegRGB(ys[x-ax0], uint8(u), uint8(v))
		put(x-ax0, r, g, b)
	}
}
