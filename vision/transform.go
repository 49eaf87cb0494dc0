package vision

import (
	"errors"
	"fmt"
	"image"
	"reflect"
	"sync"
)

// Layout is the memory order of a model's image input.
type Layout string

const (
	// NCHW is channels first: the whole red plane, then green, then blue, each
	// row by row. ONNX models (PyTorch exports, the model zoo) take this.
	NCHW Layout = "NCHW"
	// NHWC is channels last: pixel by pixel, row by row, the channels of a pixel
	// side by side. Models written in cnnc's DSL (Keras-style) take this.
	NHWC Layout = "NHWC"
)

// Resampling is the interpolation a Transform resizes with.
type Resampling int

const (
	// Bilinear is torchvision's default, InterpolationMode.BILINEAR on a PIL
	// image: PIL's bilinear filter, antialiased when shrinking (the filter widens
	// with the downscale factor so that every input pixel counts).
	Bilinear Resampling = iota
	// Nearest is InterpolationMode.NEAREST: each output pixel copies one input
	// pixel, chosen as PIL does.
	Nearest
)

// String returns "bilinear" or "nearest".
func (r Resampling) String() string {
	switch r {
	case Bilinear:
		return "bilinear"
	case Nearest:
		return "nearest"
	}
	return fmt.Sprintf("Resampling(%d)", int(r))
}

// Limits on sizes, so that a bogus image (image.Uniform's bounds are two
// billion pixels wide) or transform is an error rather than an enormous
// allocation.
const (
	// MaxSide is the largest Width, Height, Resize, CropWidth or CropHeight.
	MaxSide = 1 << 16
	// MaxPixels is the largest number of pixels of the input image and of every
	// intermediate image (after Resize, after CenterCrop).
	MaxPixels = 1 << 28
)

// Transform turns an image.Image into the float32 input of a model. The steps,
// in torchvision's order (transforms.Compose of Resize, CenterCrop, ToTensor,
// Normalize on a PIL image):
//
//  1. Colour: the image becomes 8-bit RGB (Channels 3) or 8-bit gray (Channels
//     1), like PIL's convert("RGB") and convert("L"). Alpha is dropped, not
//     composited: a pixel's straight (non-premultiplied) colour is used, so a
//     transparent pixel keeps whatever colour it stores, and premultiplied
//     images (image.RGBA) are un-premultiplied first. Gray is ITU-R 601-2 luma,
//     L = R*299/1000 + G*587/1000 + B*114/1000, rounded as PIL rounds it; a gray
//     image given to a 3-channel transform gets R = G = B. 16-bit images keep
//     their high byte. To put a transparent image on a background instead, draw
//     it over an opaque image with image/draw first.
//  2. Resize (if non-zero): scale so that the shorter side is Resize pixels and
//     the longer side int(Resize*long/short) (truncated, as torchvision's
//     Resize(int) computes it), keeping the aspect ratio up to that rounding.
//     Nothing happens when the shorter side is already Resize.
//  3. Center crop (if CropWidth or CropHeight is non-zero): cut a CropWidth x
//     CropHeight window from the middle, with torchvision's rounding (top =
//     round((h-CropHeight)/2), rounding halves to even as Python's round
//     does). A side longer than the image is padded with zero (black) pixels,
//     as torchvision's CenterCrop pads.
//  4. Fit: if the image is still not Width x Height (always the case when
//     neither Resize nor a crop is set and the image has another size), it is
//     resized directly to Width x Height, ignoring the aspect ratio, as
//     torchvision's Resize((Height, Width)) does. An image of exactly Width x
//     Height with no Resize and no crop is used as it is.
//  5. Values: each 8-bit value v (255-v if Invert) becomes
//     (v*Scale - Mean[c]) / Std[c] in float32, written to dst in Layout order.
//     With the defaults that is v/255, what ToTensor gives.
//
// Resizing works on 8-bit pixels and rounds each pass to 8 bits, as PIL does,
// so the results equal torchvision's on the same decoded pixels (the tests
// compare them). JPEG files decode slightly differently in Go's image/jpeg and
// in libjpeg (which PIL uses): that difference, a few levels of 255 at most,
// is the decoders', not the transform's.
//
// The zero value is not usable: Width and Height must be set. A Transform is a
// plain value, safe to copy and to use from several goroutines at once.
type Transform struct {
	// Width and Height are the model input's spatial size, in pixels.
	Width, Height int
	// Channels is 3 for RGB (0 means 3) or 1 for grayscale.
	Channels int
	// Layout is the memory order of the output; "" means NCHW. For one channel
	// both are the same.
	Layout Layout
	// Resize, if non-zero, is the length the shorter side is scaled to, as
	// torchvision's transforms.Resize(int).
	Resize int
	// CropWidth and CropHeight, if either is non-zero, are the size of the
	// center crop, as torchvision's transforms.CenterCrop((h, w)). If only one
	// is set the crop is square.
	CropWidth, CropHeight int
	// Resampling is the interpolation of every resize (steps 2 and 4); the zero
	// value is Bilinear.
	Resampling Resampling
	// Scale multiplies the 8-bit values; 0 means 1/255 (the values are divided
	// by 255 as ToTensor divides, so 0..255 becomes 0..1).
	Scale float32
	// Mean and Std normalize each channel after Scale, as
	// transforms.Normalize(mean, std). nil means 0 and 1 (no normalization); a
	// single value applies to every channel; otherwise they need one value per
	// channel. No Std may be zero.
	Mean, Std []float32
	// Invert replaces each 8-bit value v by 255-v before scaling, for models
	// trained on light-on-dark images (MNIST digits are white on black) that
	// are given dark-on-light ones (a digit drawn in ink on paper).
	Invert bool
}

// ImageNet is the usual torchvision preprocessing of ImageNet classifiers for
// an input of size x size pixels: Resize(size*256/224 rounded to nearest, so 256
// for 224 and 342 for 299), CenterCrop(size), ToTensor, Normalize with the
// ImageNet mean (0.485, 0.456, 0.406) and standard deviation (0.229, 0.224,
// 0.225); RGB in NCHW layout, as ONNX exports of torchvision models expect.
// Models trained with another recipe need their own Resize (or Mean, Std).
func ImageNet(size int) Transform {
	return Transform{
		Width: size, Height: size, Channels: 3, Layout: NCHW,
		Resize:    (size*256 + 112) / 224,
		CropWidth: size, CropHeight: size,
		Mean: []float32{0.485, 0.456, 0.406},
		Std:  []float32{0.229, 0.224, 0.225},
	}
}

// MNIST is the input of an MNIST digit classifier: 28x28 grayscale, values
// v/255 in 0..1, no normalization, NHWC (the same as NCHW for one channel). A
// 28x28 image is used as it is; an image of another size is resized to 28x28
// directly with antialiased bilinear filtering, which distorts the digit if the
// image is not square (set Resize and CropWidth to 28 to cut the longer side
// instead). MNIST digits are white on black: set Invert for a dark digit on a
// light background. Colour images become their luma.
func MNIST() Transform {
	return Transform{Width: 28, Height: 28, Channels: 1, Layout: NHWC}
}

// ForInput returns a Transform for a model input of the given shape and
// layout, as a generated package declares them in its Inputs (Shape and
// Layout): shape is [N, C, H, W] for "NCHW" or [N, H, W, C] for "NHWC", the
// batch dimension N of any value (-1 for a free batch), or the same without N.
// C must be 1 or 3. The other fields are left at their defaults (resize
// directly to the input's size, values v/255): set Resize, crops, Mean and Std
// to the model's preprocessing.
func ForInput(shape []int, layout string) (Transform, error) {
	s := shape
	if len(s) == 4 {
		s = s[1:]
	}
	if len(s) != 3 {
		return Transform{}, fmt.Errorf("vision: input shape %v is not an image's (want 3 or 4 dimensions)", shape)
	}
	var t Transform
	switch Layout(layout) {
	case NCHW:
		t = Transform{Channels: s[0], Height: s[1], Width: s[2], Layout: NCHW}
	case NHWC:
		t = Transform{Height: s[0], Width: s[1], Channels: s[2], Layout: NHWC}
	default:
		return Transform{}, fmt.Errorf("vision: input layout %q: want %q or %q", layout, NCHW, NHWC)
	}
	if t.Channels != 1 && t.Channels != 3 {
		return Transform{}, fmt.Errorf("vision: input shape %v (%s) has %d channels, want 1 or 3", shape, layout, t.Channels)
	}
	if err := t.Validate(); err != nil {
		return Transform{}, fmt.Errorf("vision: input shape %v (%s): %w", shape, layout, unprefix(err))
	}
	return t, nil
}

// Len is the number of float32s Apply writes: Width*Height*Channels, or 0 if
// the transform is invalid.
func (t Transform) Len() int {
	if t.Validate() != nil {
		return 0
	}
	return t.Width * t.Height * t.channels()
}

func (t Transform) channels() int {
	if t.Channels == 0 {
		return 3
	}
	return t.Channels
}

func (t Transform) crop() (w, h int) {
	w, h = t.CropWidth, t.CropHeight
	if w == 0 {
		w = h
	}
	if h == 0 {
		h = w
	}
	return w, h
}

// Validate reports what is wrong with t, or nil. Apply calls it.
func (t Transform) Validate() error {
	if t.Width <= 0 || t.Height <= 0 || t.Width > MaxSide || t.Height > MaxSide {
		return fmt.Errorf("vision: Transform size %dx%d: Width and Height must be in 1..%d", t.Width, t.Height, MaxSide)
	}
	if t.Width*t.Height > MaxPixels {
		return fmt.Errorf("vision: Transform size %dx%d is more than %d pixels", t.Width, t.Height, MaxPixels)
	}
	c := t.channels()
	if c != 1 && c != 3 {
		return fmt.Errorf("vision: Transform.Channels is %d, want 1 (gray) or 3 (RGB)", t.Channels)
	}
	switch t.Layout {
	case "", NCHW, NHWC:
	default:
		return fmt.Errorf("vision: Transform.Layout is %q, want %q or %q", t.Layout, NCHW, NHWC)
	}
	if t.Resize < 0 || t.Resize > MaxSide {
		return fmt.Errorf("vision: Transform.Resize is %d, want 0 (none) or 1..%d", t.Resize, MaxSide)
	}
	if t.CropWidth < 0 || t.CropHeight < 0 || t.CropWidth > MaxSide || t.CropHeight > MaxSide {
		return fmt.Errorf("vision: Transform crop %dx%d: want sides in 0..%d", t.CropWidth, t.CropHeight, MaxSide)
	}
	if cw, ch := t.crop(); cw*ch > MaxPixels {
		return fmt.Errorf("vision: Transform crop %dx%d is more than %d pixels", cw, ch, MaxPixels)
	}
	if t.Resampling != Bilinear && t.Resampling != Nearest {
		return fmt.Errorf("vision: Transform.Resampling is %v, want Bilinear or Nearest", t.Resampling)
	}
	for _, v := range []struct {
		name string
		s    []float32
	}{{"Mean", t.Mean}, {"Std", t.Std}} {
		if len(v.s) != 0 && len(v.s) != 1 && len(v.s) != c {
			return fmt.Errorf("vision: Transform.%s has %d values, want 1 or %d (one per channel)", v.name, len(v.s), c)
		}
	}
	for i, s := range t.Std {
		if s == 0 {
			return fmt.Errorf("vision: Transform.Std[%d] is zero", i)
		}
	}
	return nil
}

// table fills lut[c][v] with the float32 that 8-bit value v of channel c becomes.
func (t Transform) table(lut *[3][256]float32) {
	for c := 0; c < t.channels(); c++ {
		mean, std := float32(0), float32(1)
		if len(t.Mean) > 0 {
			mean = t.Mean[min(c, len(t.Mean)-1)]
		}
		if len(t.Std) > 0 {
			std = t.Std[min(c, len(t.Std)-1)]
		}
		for v := 0; v < 256; v++ {
			u := v
			if t.Invert {
				u = 255 - v
			}
			var x float32
			if t.Scale == 0 {
				x = float32(u) / 255 // ToTensor divides: v*(1/255) can differ in the last bit
			} else {
				x = float32(u) * t.Scale
			}
			if len(t.Mean) > 0 || len(t.Std) > 0 {
				x = (x - mean) / std // Normalize: sub then div, in float32
			}
			lut[c][v] = x
		}
	}
}

// Apply writes the model input for img into dst, which must hold exactly Len()
// float32s. It allocates nothing once warmed up (its scratch buffers are
// pooled). It fails, without panicking, on an invalid transform, a wrong dst
// length, a nil or empty image, an image or intermediate size past MaxPixels,
// and a standard image type whose pixel buffer is too short for its bounds.
// Images with a non-zero Bounds().Min (sub-images) are read within their bounds.
func (t Transform) Apply(dst []float32, img image.Image) error {
	if err := t.Validate(); err != nil {
		return err
	}
	c := t.channels()
	if n := t.Width * t.Height * c; len(dst) != n {
		return fmt.Errorf("vision: dst has %d float32s, the transform writes %d (%dx%dx%d)", len(dst), n, c, t.Height, t.Width)
	}
	sc := getScratch()
	defer putScratch(sc)
	return t.apply(dst, img, sc)
}

// Tensor returns a new slice holding the model input for img (see Apply).
func (t Transform) Tensor(img image.Image) ([]float32, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	dst := make([]float32, t.Len())
	if err := t.Apply(dst, img); err != nil {
		return nil, err
	}
	return dst, nil
}

// ApplyBatch writes the inputs for imgs back to back into dst, which must hold
// len(imgs)*Len() float32s: the input of a model's batch dimension (for the
// generated packages' PredictBatch). An error names the failing image's index.
func (t Transform) ApplyBatch(dst []float32, imgs []image.Image) error {
	if err := t.Validate(); err != nil {
		return err
	}
	n := t.Len()
	if len(dst) != len(imgs)*n {
		return fmt.Errorf("vision: dst has %d float32s, %d images need %d (%d each)", len(dst), len(imgs), len(imgs)*n, n)
	}
	sc := getScratch()
	defer putScratch(sc)
	for i, img := range imgs {
		if err := t.apply(dst[i*n:(i+1)*n], img, sc); err != nil {
			return fmt.Errorf("vision: image %d: %w", i, unprefix(err))
		}
	}
	return nil
}

func unprefix(err error) error {
	const p = "vision: "
	if s := err.Error(); len(s) > len(p) && s[:len(p)] == p {
		return errors.New(s[len(p):])
	}
	return err
}

// scratch is the working memory of one Apply call.
type scratch struct {
	src      imageSource
	v1       view
	b1, b2   buffer
	kx, ky   kernel
	row, tmp []uint8
	lut      [3][256]float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch returns sc to the pool without the caller's image, so that the
// pool does not keep it alive.
func putScratch(sc *scratch) {
	sc.src.img = nil
	sc.v1 = view{}
	scratchPool.Put(sc)
}

// rowSource is an image of c-channel 8-bit pixels read row by row.
type rowSource interface {
	// row writes the pixels x0 <= x < x1 of row y into buf.
	row(y, x0, x1 int, buf []uint8)
}

// buffer is a packed w x h image of c-channel pixels.
type buffer struct {
	pix  []uint8
	w, c int
}

func (b *buffer) row(y, x0, x1 int, buf []uint8) {
	copy(buf, b.pix[(y*b.w+x0)*b.c:(y*b.w+x1)*b.c])
}

// view is a w x h window of src whose pixel (x, y) is src's (x+dx, y+dy); the
// pixels outside src's sw x sh are zero (torchvision's padding).
type view struct {
	src    rowSource
	sw, sh int
	dx, dy int
	w, h   int
	c      int
}

func (v *view) row(y, x0, x1 int, buf []uint8) {
	buf = buf[:(x1-x0)*v.c]
	sy := y + v.dy
	if sy < 0 || sy >= v.sh {
		clear(buf)
		return
	}
	a, b := max(x0+v.dx, 0), min(x1+v.dx, v.sw)
	if a >= b {
		clear(buf)
		return
	}
	lead := (a - (x0 + v.dx)) * v.c
	clear(buf[:lead])
	v.src.row(sy, a, b, buf[lead:lead+(b-a)*v.c])
	clear(buf[lead+(b-a)*v.c:])
}

// roundHalf2 is Python's round(n/2.0) for n >= 0: halves round to even.
func roundHalf2(n int) int {
	k := n / 2
	if n%2 == 1 && k%2 == 1 {
		k++
	}
	return k
}

// cropOrigin is where a crop of size c starts in a side of length n:
// torchvision pads (c-n)//2 on the left when c > n, and otherwise starts at
// round((n-c)/2).
func cropOrigin(n, c int) int {
	if c > n {
		return -((c - n) / 2)
	}
	return roundHalf2(n - c)
}

// resizedSize is torchvision's Resize(size) output for a w x h image.
func resizedSize(w, h, size int) (int, int) {
	short, long := w, h
	if h < w {
		short, long = h, w
	}
	l := int(float64(size) * float64(long) / float64(short))
	if w <= h {
		return size, l
	}
	return l, size
}

func (t Transform) apply(dst []float32, img image.Image, sc *scratch) error {
	if img == nil {
		return errors.New("vision: nil image")
	}
	if v := reflect.ValueOf(img); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("vision: nil image (a nil %T)", img)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("vision: empty image (bounds %v)", b)
	}
	if w > MaxPixels || h > MaxPixels || w*h > MaxPixels {
		return fmt.Errorf("vision: image of %dx%d pixels is more than %d", w, h, MaxPixels)
	}
	c := t.channels()
	if err := sc.src.init(img, b, c); err != nil {
		return err
	}
	var s rowSource = &sc.src
	cw, ch := t.crop()
	cropping := cw > 0
	if t.Resize > 0 {
		rw, rh := resizedSize(w, h, t.Resize)
		if rw > MaxPixels || rh > MaxPixels || rw*rh > MaxPixels {
			return fmt.Errorf("vision: Resize(%d) makes the %dx%d image %dx%d, more than %d pixels", t.Resize, w, h, rw, rh, MaxPixels)
		}
		if rw != w || rh != h {
			// Compute only the part of the resized image that the crop keeps.
			win := image.Rect(0, 0, rw, rh)
			if cropping {
				ox, oy := cropOrigin(rw, cw), cropOrigin(rh, ch)
				win = win.Intersect(image.Rect(ox, oy, ox+cw, oy+ch))
			}
			if err := t.resize(&sc.b1, s, w, h, rw, rh, win, sc); err != nil {
				return err
			}
			s = &sc.b1
			if cropping {
				ox, oy := cropOrigin(rw, cw), cropOrigin(rh, ch)
				sc.v1 = view{src: s, sw: win.Dx(), sh: win.Dy(), dx: ox - win.Min.X, dy: oy - win.Min.Y, w: cw, h: ch, c: c}
				s = &sc.v1
			}
			w, h = rw, rh
			if cropping {
				w, h = cw, ch
			}
			cropping = false
		}
	}
	if cropping {
		sc.v1 = view{src: s, sw: w, sh: h, dx: cropOrigin(w, cw), dy: cropOrigin(h, ch), w: cw, h: ch, c: c}
		s = &sc.v1
		w, h = cw, ch
	}
	if w != t.Width || h != t.Height {
		if err := t.resize(&sc.b2, s, w, h, t.Width, t.Height, image.Rect(0, 0, t.Width, t.Height), sc); err != nil {
			return err
		}
		s = &sc.b2
	}
	t.table(&sc.lut)
	sc.row = growBytes(sc.row, t.Width*c)
	row := sc.row
	plane := t.Width * t.Height
	nhwc := t.Layout == NHWC || c == 1
	for y := 0; y < t.Height; y++ {
		s.row(y, 0, t.Width, row)
		if nhwc {
			out := dst[y*t.Width*c : (y+1)*t.Width*c]
			if c == 1 {
				lut := &sc.lut[0]
				for i, v := range row {
					out[i] = lut[v]
				}
				continue
			}
			for x := 0; x < t.Width; x++ {
				out[3*x] = sc.lut[0][row[3*x]]
				out[3*x+1] = sc.lut[1][row[3*x+1]]
				out[3*x+2] = sc.lut[2][row[3*x+2]]
			}
			continue
		}
		for ci := 0; ci < c; ci++ {
			out := dst[ci*plane+y*t.Width : ci*plane+(y+1)*t.Width]
			lut := &sc.lut[ci]
			for x := range out {
				out[x] = lut[row[x*c+ci]]
			}
		}
	}
	return nil
}

// resize scales the w x h image s to ow x oh and stores the pixels inside win
// (a rectangle within ow x oh) in out, packed.
func (t Transform) resize(out *buffer, s rowSource, w, h, ow, oh int, win image.Rectangle, sc *scratch) error {
	c := t.channels()
	out.w, out.c = win.Dx(), c
	out.pix = growBytes(out.pix, win.Dx()*win.Dy()*c)
	if win.Empty() {
		return nil
	}
	kx, ky := &sc.kx, &sc.ky
	if t.Resampling == Nearest {
		kx.nearest(w, ow, win.Min.X, win.Max.X)
		ky.nearest(h, oh, win.Min.Y, win.Max.Y)
	} else {
		kx.bilinear(w, ow, win.Min.X, win.Max.X)
		ky.bilinear(h, oh, win.Min.Y, win.Max.Y)
	}
	x0, x1 := kx.span()
	y0, y1 := ky.span()
	if win.Dx()*(y1-y0) > MaxPixels {
		return fmt.Errorf("vision: resizing %dx%d to %dx%d needs more than %d intermediate pixels", w, h, ow, oh, MaxPixels)
	}
	// Horizontal pass over the rows the vertical pass reads, rounded to 8 bits.
	rowLen := win.Dx() * c
	sc.tmp = growBytes(sc.tmp, rowLen*(y1-y0))
	sc.row = growBytes(sc.row, (x1-x0)*c)
	for y := y0; y < y1; y++ {
		s.row(y, x0, x1, sc.row)
		kx.hpass(sc.tmp[(y-y0)*rowLen:(y-y0+1)*rowLen], sc.row, c, x0)
	}
	// Vertical pass.
	for i := range ky.start {
		ky.vpass(out.pix[i*rowLen:(i+1)*rowLen], sc.tmp, i, y0)
	}
	return nil
}
