package vision

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// noise is a deterministic w x h NRGBA image with opaque random colours.
func noise(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func mustTensor(t *testing.T, tr Transform, img image.Image) []float32 {
	t.Helper()
	x, err := tr.Tensor(img)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestPresets(t *testing.T) {
	in := ImageNet(224)
	want := Transform{Width: 224, Height: 224, Channels: 3, Layout: NCHW, Resize: 256, CropWidth: 224, CropHeight: 224,
		Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("ImageNet(224) = %+v, want %+v", in, want)
	}
	if r := ImageNet(299).Resize; r != 342 {
		t.Errorf("ImageNet(299).Resize = %d, want 342 (torchvision's inception_v3 recipe)", r)
	}
	if n := in.Len(); n != 3*224*224 {
		t.Errorf("ImageNet(224).Len() = %d", n)
	}
	m := MNIST()
	if m.Width != 28 || m.Height != 28 || m.Channels != 1 || m.Resize != 0 || m.CropWidth != 0 || m.Mean != nil || m.Len() != 784 {
		t.Errorf("MNIST() = %+v", m)
	}
}

// A 28x28 gray image is used as it is by MNIST: v/255, nothing else.
func TestMNISTIdentity(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	x := mustTensor(t, MNIST(), img)
	for i, v := range img.Pix {
		if x[i] != float32(v)/255 {
			t.Fatalf("x[%d] = %g, want %d/255", i, x[i], v)
		}
	}
	inv := MNIST()
	inv.Invert = true
	x = mustTensor(t, inv, img)
	for i, v := range img.Pix {
		if x[i] != float32(255-v)/255 {
			t.Fatalf("inverted x[%d] = %g, want (255-%d)/255", i, x[i], v)
		}
	}
}

// MNIST on digits of other sizes and colours: a white-on-black 280x280 square,
// a black-on-white RGBA one inverted, a non-square one: all give a 28x28
// image with the stroke where it was.
func TestMNISTSizes(t *testing.T) {
	stroke := func(img draw.Image, fg color.Color) {
		b := img.Bounds()
		for y := b.Min.Y + b.Dy()/5; y < b.Max.Y-b.Dy()/5; y++ {
			for x := b.Min.X + 2*b.Dx()/5; x < b.Max.X-2*b.Dx()/5; x++ {
				img.Set(x, y, fg)
			}
		}
	}
	big := image.NewGray(image.Rect(0, 0, 280, 280))
	stroke(big, color.White)
	paper := image.NewRGBA(image.Rect(0, 0, 140, 140))
	draw.Draw(paper, paper.Bounds(), image.White, image.Point{}, draw.Src)
	stroke(paper, color.Black)
	tall := image.NewGray(image.Rect(0, 0, 100, 300))
	stroke(tall, color.White)
	inv := MNIST()
	inv.Invert = true
	for _, tc := range []struct {
		name string
		t    Transform
		img  image.Image
	}{{"280x280", MNIST(), big}, {"140x140 ink on paper, Invert", inv, paper}, {"100x300", MNIST(), tall}} {
		x := mustTensor(t, tc.t, tc.img)
		if got := x[14*28+14]; got != 1 {
			t.Errorf("%s: centre = %g, want 1 (the stroke)", tc.name, got)
		}
		if got := x[14*28+2]; got != 0 {
			t.Errorf("%s: left edge = %g, want 0 (background)", tc.name, got)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Transform{Width: 4, Height: 4}
	for _, tc := range []struct {
		name string
		t    Transform
		err  string // "" for valid
	}{
		{"minimal", ok, ""},
		{"zero", Transform{}, "Width and Height must be in 1.."},
		{"negative", Transform{Width: -1, Height: 4}, "size -1x4"},
		{"huge", Transform{Width: MaxSide + 1, Height: 1}, "must be in 1..65536"},
		{"too many pixels", Transform{Width: MaxSide, Height: MaxSide}, "more than"},
		{"channels 2", Transform{Width: 4, Height: 4, Channels: 2}, "Channels is 2, want 1 (gray) or 3 (RGB)"},
		{"channels 4", Transform{Width: 4, Height: 4, Channels: 4}, "Channels is 4"},
		{"layout", Transform{Width: 4, Height: 4, Layout: "CHW"}, `Layout is "CHW"`},
		{"nhwc", Transform{Width: 4, Height: 4, Layout: NHWC}, ""},
		{"resize", Transform{Width: 4, Height: 4, Resize: -3}, "Resize is -3"},
		{"crop", Transform{Width: 4, Height: 4, CropHeight: -1}, "crop 0x-1"},
		{"resampling", Transform{Width: 4, Height: 4, Resampling: 7}, "Resampling is Resampling(7)"},
		{"mean length", Transform{Width: 4, Height: 4, Mean: []float32{1, 2}}, "Mean has 2 values, want 1 or 3"},
		{"std length", Transform{Width: 4, Height: 4, Channels: 1, Std: []float32{1, 2, 3}}, "Std has 3 values, want 1 or 1"},
		{"std zero", Transform{Width: 4, Height: 4, Std: []float32{1, 0, 1}}, "Std[1] is zero"},
		{"broadcast", Transform{Width: 4, Height: 4, Mean: []float32{0.5}, Std: []float32{0.5}}, ""},
	} {
		err := tc.t.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
		if tc.err != "" {
			if n := tc.t.Len(); n != 0 {
				t.Errorf("%s: Len() = %d for an invalid transform", tc.name, n)
			}
			if err2 := tc.t.Apply(nil, noise(4, 4, 1)); err2 == nil {
				t.Errorf("%s: Apply accepted an invalid transform", tc.name)
			}
		}
	}
}

// badImage is an image.Image whose Bounds are as given and whose pixels are
// gray 100.
type badImage struct{ r image.Rectangle }

func (b badImage) ColorModel() color.Model { return color.GrayModel }
func (b badImage) Bounds() image.Rectangle { return b.r }
func (b badImage) At(x, y int) color.Color { return color.Gray{100} }

// Bad inputs are errors, never panics.
func TestApplyErrors(t *testing.T) {
	tr := Transform{Width: 8, Height: 8}
	dst := make([]float32, tr.Len())
	shortRGBA := image.NewRGBA(image.Rect(0, 0, 8, 8))
	shortRGBA.Pix = shortRGBA.Pix[:100]
	negStride := image.NewGray(image.Rect(0, 0, 8, 8))
	negStride.Stride = -8
	hugeStride := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	hugeStride.Stride = math.MaxInt / 2
	shortY := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	shortY.Cr = shortY.Cr[:3]
	badPal := image.NewPaletted(image.Rect(0, 0, 8, 8), nil) // empty palette: every index black
	for _, tc := range []struct {
		name string
		dst  []float32
		img  image.Image
		err  string // "" for no error
	}{
		{"short dst", dst[:10], noise(8, 8, 1), "dst has 10 float32s, the transform writes 192 (3x8x8)"},
		{"long dst", make([]float32, 1000), noise(8, 8, 1), "dst has 1000 float32s"},
		{"nil image", dst, nil, "nil image"},
		{"typed nil", dst, (*image.RGBA)(nil), "nil image"},
		{"empty", dst, image.NewRGBA(image.Rectangle{}), "empty image"},
		{"zero width", dst, image.NewGray(image.Rect(3, 3, 3, 10)), "empty image"},
		{"uniform", dst, image.NewUniform(color.White), "more than"},
		{"inverted rect", dst, badImage{image.Rectangle{Min: image.Pt(5, 5)}}, "empty image"},
		{"short Pix", dst, shortRGBA, "pixel buffer is too short"},
		{"negative stride", dst, negStride, "pixel buffer is too short"},
		{"huge stride", dst, hugeStride, "pixel buffer is too short"},
		{"short chroma", dst, shortY, "pixel buffer is too short"},
		{"empty palette", dst, badPal, ""},
		{"generic", dst, badImage{image.Rect(-3, -3, 17, 9)}, ""},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic: %v", tc.name, r)
				}
			}()
			err := tr.Apply(tc.dst, tc.img)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
		}()
	}
	if _, err := tr.Tensor(nil); err == nil {
		t.Error("Tensor(nil) did not fail")
	}
	if _, err := (Transform{Width: 8, Height: 8, Resize: 60000}).Tensor(image.NewGray(image.Rect(0, 0, 1, 60000))); err == nil ||
		!strings.Contains(err.Error(), "more than") {
		t.Errorf("Resize to 60000x3600000000: %v", err)
	}
}

func TestCropAndResizeSizes(t *testing.T) {
	// Python: int(round(n / 2.0)) rounds halves to even.
	for n, want := range map[int]int{0: 0, 1: 0, 2: 1, 3: 2, 4: 2, 5: 2, 7: 4, 9: 4, 17: 8, 19: 10} {
		if got := roundHalf2(n); got != want {
			t.Errorf("roundHalf2(%d) = %d, want %d", n, got, want)
		}
	}
	for _, tc := range []struct{ n, c, want int }{{45, 28, 8}, {32, 28, 2}, {37, 40, -1}, {36, 40, -2}, {28, 28, 0}, {10, 13, -1}} {
		if got := cropOrigin(tc.n, tc.c); got != tc.want {
			t.Errorf("cropOrigin(%d, %d) = %d, want %d", tc.n, tc.c, got, tc.want)
		}
	}
	// torchvision: long = int(size * long / short), truncated.
	for _, tc := range []struct{ w, h, size, ww, wh int }{
		{37, 53, 32, 32, 45}, {64, 48, 32, 42, 32}, {640, 480, 256, 341, 256}, {500, 375, 256, 341, 256},
		{100, 100, 28, 28, 28}, {20, 15, 32, 42, 32}, {1, 3, 2, 2, 6},
	} {
		if w, h := resizedSize(tc.w, tc.h, tc.size); w != tc.ww || h != tc.wh {
			t.Errorf("resizedSize(%dx%d, %d) = %dx%d, want %dx%d", tc.w, tc.h, tc.size, w, h, tc.ww, tc.wh)
		}
	}
}

// The same picture in every image type gives the same tensor.
func TestImageTypes(t *testing.T) {
	src := noise(23, 17, 3)
	b := src.Bounds()
	conv := func(dst draw.Image) image.Image { draw.Draw(dst, b, src, b.Min, draw.Src); return dst }
	pal := image.NewPaletted(b, nil)
	for i := 0; i < 256; i++ { // some of the image's colours, with alpha
		c := src.NRGBAAt(i%23, i/23)
		c.A = uint8(i)
		pal.Palette = append(pal.Palette, c)
	}
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i * 7)
	}
	types := map[string]image.Image{
		"RGBA":    conv(image.NewRGBA(b)),
		"RGBA64":  conv(image.NewRGBA64(b)),
		"NRGBA64": conv(image.NewNRGBA64(b)),
		"generic": badImageFrom{src},
	}
	for _, tr := range []Transform{
		{Width: 23, Height: 17},
		{Width: 11, Height: 9, Channels: 1},
		{Width: 20, Height: 20, Resize: 20, CropWidth: 20, Layout: NHWC, Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.3, 0.2, 0.1}},
	} {
		want := mustTensor(t, tr, src)
		for name, img := range types {
			if got := mustTensor(t, tr, img); !reflect.DeepEqual(got, want) {
				d, at := maxAbsDiff(got, want)
				t.Errorf("%+v on %s: differs from NRGBA by %g at %d", tr, name, d, at)
			}
		}
		// Paletted: compare with its own At colours.
		if got, w := mustTensor(t, tr, pal), mustTensor(t, tr, badImageFrom{pal}); !reflect.DeepEqual(got, w) {
			t.Errorf("%+v on Paletted differs from its colours", tr)
		}
	}
	// Palette indexes past the palette are black (At would panic).
	short := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.White})
	short.Pix[1] = 5
	if got := mustTensor(t, Transform{Width: 2, Height: 1, Channels: 1}, short); got[0] != 1 || got[1] != 0 {
		t.Errorf("paletted [white, index 5 of 1]: %v, want [1 0]", got)
	}
	// Gray and Gray16 (high byte), gray images in RGB.
	g := image.NewGray(b)
	g16 := image.NewGray16(b)
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 13)
		g16.Pix[2*i], g16.Pix[2*i+1] = g.Pix[i], 0xff
	}
	tr := Transform{Width: 23, Height: 17}
	x := mustTensor(t, tr, g)
	if !reflect.DeepEqual(mustTensor(t, tr, g16), x) {
		t.Error("Gray16 differs from Gray")
	}
	plane := 23 * 17
	for i, v := range g.Pix {
		if x[i] != float32(v)/255 || x[plane+i] != x[i] || x[2*plane+i] != x[i] {
			t.Fatalf("gray pixel %d: R, G, B = %g %g %g, want %d/255 each", i, x[i], x[plane+i], x[2*plane+i], v)
		}
	}
	// CMYK through its pixel buffer, as color.CMYKToRGB converts.
	cm := image.NewCMYK(image.Rect(0, 0, 5, 3))
	for i := range cm.Pix {
		cm.Pix[i] = uint8(i * 37)
	}
	if got, w := mustTensor(t, Transform{Width: 5, Height: 3}, cm), mustTensor(t, Transform{Width: 5, Height: 3}, badImageFrom{cm}); !reflect.DeepEqual(got, w) {
		t.Error("CMYK differs from its colours")
	}
}

// badImageFrom hides an image's type, so that Apply reads it through At.
type badImageFrom struct{ image.Image }

func TestAlphaAndLuma(t *testing.T) {
	// NRGBA: the stored colour, whatever the alpha. RGBA: un-premultiplied.
	n := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	copy(n.Pix, []uint8{200, 100, 50, 0, 200, 100, 50, 128, 200, 100, 50, 255})
	r := image.NewRGBA(image.Rect(0, 0, 3, 1))
	copy(r.Pix, []uint8{0, 0, 0, 0, 100, 50, 25, 128, 200, 100, 50, 255})
	tr := Transform{Width: 3, Height: 1, Layout: NHWC, Scale: 1}
	want := []float32{200, 100, 50, 200, 100, 50, 200, 100, 50}
	if got := mustTensor(t, tr, n); !reflect.DeepEqual(got, want) {
		t.Errorf("NRGBA: %v, want %v (alpha dropped)", got, want)
	}
	nc := color.NRGBAModel.Convert(color.RGBA{100, 50, 25, 128}).(color.NRGBA)
	want = []float32{0, 0, 0, float32(nc.R), float32(nc.G), float32(nc.B), 200, 100, 50}
	if got := mustTensor(t, tr, r); !reflect.DeepEqual(got, want) {
		t.Errorf("RGBA: %v, want %v (un-premultiplied as color.NRGBAModel)", got, want)
	}
	// Luma with PIL's rounding.
	for _, tc := range []struct{ r, g, b, l uint8 }{
		{255, 0, 0, 76}, {0, 255, 0, 150}, {0, 0, 255, 29}, {255, 255, 255, 255}, {1, 1, 1, 1}, {10, 20, 30, 18},
	} {
		if got := luma(tc.r, tc.g, tc.b); got != tc.l {
			t.Errorf("luma(%d, %d, %d) = %d, want %d", tc.r, tc.g, tc.b, got, tc.l)
		}
	}
}

// Sub-images (non-zero Min, shared pixel buffers) read only their bounds.
func TestSubImage(t *testing.T) {
	full := noise(40, 30, 5)
	rect := image.Rect(7, 5, 31, 26)
	sub := full.SubImage(rect)
	copied := image.NewNRGBA(image.Rect(0, 0, rect.Dx(), rect.Dy()))
	draw.Draw(copied, copied.Bounds(), full, rect.Min, draw.Src)
	gray := image.NewGray(full.Bounds())
	draw.Draw(gray, gray.Bounds(), full, image.Point{}, draw.Src)
	grayCopy := image.NewGray(copied.Bounds())
	draw.Draw(grayCopy, grayCopy.Bounds(), gray, rect.Min, draw.Src)
	for _, tr := range []Transform{
		{Width: 24, Height: 21},
		{Width: 16, Height: 16, Resize: 18, CropWidth: 16},
		{Width: 30, Height: 30, CropWidth: 30, Resampling: Nearest},
	} {
		if got, want := mustTensor(t, tr, sub), mustTensor(t, tr, copied); !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: NRGBA sub-image differs from its copy", tr)
		}
		if got, want := mustTensor(t, tr, gray.SubImage(rect)), mustTensor(t, tr, grayCopy); !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: Gray sub-image differs from its copy", tr)
		}
	}
	// YCbCr 4:2:0 sub-images at even and odd offsets: the chroma filter reads
	// only inside the bounds, so away from the edges the pixels are the full
	// image's.
	y := image.NewYCbCr(image.Rect(0, 0, 40, 30), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, p := range [][]uint8{y.Y, y.Cb, y.Cr} {
		for i := range p {
			p[i] = uint8(rng.IntN(256))
		}
	}
	tr := Transform{Width: 40, Height: 30, Layout: NHWC, Scale: 1}
	whole := mustTensor(t, tr, y)
	for _, r := range []image.Rectangle{image.Rect(0, 0, 40, 30), image.Rect(2, 4, 30, 20), image.Rect(3, 5, 31, 26), image.Rect(39, 29, 40, 30)} {
		st := Transform{Width: r.Dx(), Height: r.Dy(), Layout: NHWC, Scale: 1}
		part := mustTensor(t, st, y.SubImage(r))
		for yy := r.Min.Y + 1; yy < r.Max.Y-1; yy++ {
			for xx := r.Min.X + 1; xx < r.Max.X-1; xx++ {
				for c := 0; c < 3; c++ {
					if a, b := part[((yy-r.Min.Y)*r.Dx()+xx-r.Min.X)*3+c], whole[(yy*40+xx)*3+c]; a != b {
						t.Fatalf("YCbCr sub-image %v: pixel (%d, %d) channel %d = %g, the full image's %g", r, xx, yy, c, a, b)
					}
				}
			}
		}
	}
}

// Away from subsampling, YCbCr reads as libjpeg converts: within one level of
// color.YCbCrToRGB (image/jpeg's At), which rounds differently.
func TestYCbCr444(t *testing.T) {
	y := image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio444)
	for i := range y.Y {
		y.Y[i], y.Cb[i], y.Cr[i] = uint8(i), uint8(255-i), uint8(i*7)
	}
	tr := Transform{Width: 16, Height: 16, Layout: NHWC, Scale: 1}
	got, want := mustTensor(t, tr, y), mustTensor(t, tr, badImageFrom{y})
	if d, at := maxAbsDiff(got, want); d > 1 {
		t.Errorf("YCbCr 4:4:4 differs from color.YCbCrToRGB by %g at %d", d, at)
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440,
		image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		// Constant chroma: the chroma filter changes nothing.
		img := image.NewYCbCr(image.Rect(0, 0, 13, 11), ratio)
		for i := range img.Y {
			img.Y[i] = uint8(i * 3)
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 90, 200
		}
		tr := Transform{Width: 13, Height: 11, Layout: NHWC, Scale: 1}
		got, want := mustTensor(t, tr, img), mustTensor(t, tr, badImageFrom{img})
		if d, at := maxAbsDiff(got, want); d > 1 {
			t.Errorf("YCbCr %v differs from At by %g at %d", ratio, d, at)
		}
	}
	// NYCbCrA reads like its YCbCr, alpha dropped.
	a := image.NewNYCbCrA(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420)
	copy(a.Y, y.Y)
	if got, want := mustTensor(t, tr, a), mustTensor(t, tr, &a.YCbCr); !reflect.DeepEqual(got, want) {
		t.Error("NYCbCrA differs from its YCbCr")
	}
}

func TestLayouts(t *testing.T) {
	img := noise(30, 20, 7)
	tr := Transform{Width: 12, Height: 10, Resize: 12, CropWidth: 12, CropHeight: 10, Mean: []float32{0.5}, Std: []float32{0.25}}
	chw := mustTensor(t, tr, img)
	tr.Layout = NHWC
	hwc := mustTensor(t, tr, img)
	if !reflect.DeepEqual(chw2hwc(chw, 3, 10, 12), hwc) {
		t.Error("NHWC is not NCHW transposed")
	}
	// Scale, Mean and Std: (v*Scale - mean)/std.
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	g.Pix[0], g.Pix[1] = 0, 200
	x := mustTensor(t, Transform{Width: 2, Height: 1, Channels: 1, Scale: 0.5, Mean: []float32{10}, Std: []float32{2}}, g)
	if x[0] != -5 || x[1] != 45 {
		t.Errorf("Scale 0.5, Mean 10, Std 2 on 0, 200: %v, want [-5 45]", x)
	}
}

// Nearest upscaling repeats pixels.
func TestNearest(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(g.Pix, []uint8{10, 20, 30, 40})
	x := mustTensor(t, Transform{Width: 4, Height: 4, Channels: 1, Scale: 1, Resampling: Nearest}, g)
	want := []float32{10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40}
	if !reflect.DeepEqual(x, want) {
		t.Errorf("nearest 2x2 -> 4x4: %v, want %v", x, want)
	}
	if Nearest.String() != "nearest" || Bilinear.String() != "bilinear" {
		t.Error("Resampling.String")
	}
}

// A huge downscale (1000x1 to 1x1) averages everything.
func TestBigDownscale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 1000, 3))
	for i := range g.Pix {
		g.Pix[i] = uint8(100 + 100*(i%2))
	}
	x := mustTensor(t, Transform{Width: 1, Height: 1, Channels: 1, Scale: 1}, g)
	if x[0] != 150 {
		t.Errorf("1000x3 -> 1x1 of alternating 100, 200: %g, want 150", x[0])
	}
}

func TestBatch(t *testing.T) {
	tr := ImageNet(32)
	imgs := []image.Image{noise(50, 40, 1), noise(33, 60, 2), image.NewGray(image.Rect(0, 0, 32, 32))}
	dst := make([]float32, 3*tr.Len())
	if err := tr.ApplyBatch(dst, imgs); err != nil {
		t.Fatal(err)
	}
	for i, img := range imgs {
		if !reflect.DeepEqual(dst[i*tr.Len():(i+1)*tr.Len()], mustTensor(t, tr, img)) {
			t.Errorf("batch item %d differs from Apply", i)
		}
	}
	if err := tr.ApplyBatch(dst[:10], imgs); err == nil || !strings.Contains(err.Error(), "dst has 10 float32s, 3 images need 9216 (3072 each)") {
		t.Errorf("short batch: %v", err)
	}
	imgs[1] = nil
	if err := tr.ApplyBatch(dst, imgs); err == nil || err.Error() != "vision: image 1: nil image" {
		t.Errorf("nil image in batch: %v", err)
	}
	if err := tr.ApplyBatch(nil, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func TestForInput(t *testing.T) {
	for _, tc := range []struct {
		shape  []int
		layout string
		want   Transform
		err    string
	}{
		{[]int{-1, 28, 28, 1}, "NHWC", Transform{Width: 28, Height: 28, Channels: 1, Layout: NHWC}, ""},
		{[]int{1, 3, 224, 200}, "NCHW", Transform{Width: 200, Height: 224, Channels: 3, Layout: NCHW}, ""},
		{[]int{32, 32, 3}, "NHWC", Transform{Width: 32, Height: 32, Channels: 3, Layout: NHWC}, ""},
		{[]int{-1, 10}, "", Transform{}, "not an image's"},
		{[]int{1, 4, 8, 8}, "NCHW", Transform{}, "has 4 channels"},
		{[]int{1, 8, 8, 3}, "", Transform{}, `layout ""`},
		{[]int{1, 3, -1, 8}, "NCHW", Transform{}, "Width and Height must be"},
	} {
		got, err := ForInput(tc.shape, tc.layout)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ForInput(%v, %q): error %v, want one containing %q", tc.shape, tc.layout, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ForInput(%v, %q) = %+v, %v; want %+v", tc.shape, tc.layout, got, err, tc.want)
		}
	}
}

func TestZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	photo := noise(320, 240, 4)
	jpeg := image.NewYCbCr(image.Rect(0, 0, 300, 200), image.YCbCrSubsampleRatio420)
	digit := image.NewGray(image.Rect(0, 0, 28, 28))
	for _, tc := range []struct {
		name string
		t    Transform
		img  image.Image
	}{
		{"ImageNet(224) NRGBA 320x240", ImageNet(224), photo},
		{"ImageNet(224) YCbCr 300x200", ImageNet(224), jpeg},
		{"MNIST 28x28", MNIST(), digit},
		{"MNIST 320x240", MNIST(), photo},
	} {
		dst := make([]float32, tc.t.Len())
		var err error
		if n := testing.AllocsPerRun(20, func() { err = tc.t.Apply(dst, tc.img) }); n != 0 {
			t.Errorf("%s: %v allocations per Apply", tc.name, n)
		}
		if err != nil {
			t.Error(err)
		}
	}
}

// Apply is safe for concurrent use.
func TestConcurrent(t *testing.T) {
	tr := ImageNet(64)
	img := noise(100, 80, 8)
	want := mustTensor(t, tr, img)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]float32, tr.Len())
			for i := 0; i < 10; i++ {
				if err := tr.Apply(dst, img); err != nil || !reflect.DeepEqual(dst, want) {
					t.Errorf("concurrent Apply differs (%v)", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Random sizes, offsets, types and transforms: never a panic or an error, and
// the fast paths read exactly what At gives (YCbCr aside: see TestYCbCr444).
func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	for iter := 0; iter < 300; iter++ {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		ox, oy := rng.IntN(5)-2, rng.IntN(5)-2
		full := noise(w+4, h+4, uint64(iter))
		full.Rect = full.Rect.Add(image.Pt(ox, oy))
		r := image.Rect(ox+rng.IntN(3), oy+rng.IntN(3), ox+w+2, oy+h+2)
		var img image.Image = full.SubImage(r)
		switch rng.IntN(3) {
		case 1:
			g := image.NewGray(full.Rect)
			draw.Draw(g, g.Rect, full, full.Rect.Min, draw.Src)
			img = g.SubImage(r)
		case 2:
			p := image.NewRGBA(full.Rect)
			draw.Draw(p, p.Rect, full, full.Rect.Min, draw.Src)
			img = p.SubImage(r)
		}
		tr := Transform{
			Width: 1 + rng.IntN(30), Height: 1 + rng.IntN(30),
			Channels:   []int{1, 3}[rng.IntN(2)],
			Layout:     []Layout{NCHW, NHWC}[rng.IntN(2)],
			Resize:     []int{0, 0, 1 + rng.IntN(50)}[rng.IntN(3)],
			CropWidth:  []int{0, 1 + rng.IntN(40)}[rng.IntN(2)],
			CropHeight: []int{0, 1 + rng.IntN(40)}[rng.IntN(2)],
			Resampling: Resampling(rng.IntN(2)),
			Invert:     rng.IntN(2) == 0,
		}
		got, err := tr.Tensor(img)
		if err != nil {
			t.Fatalf("%+v on %T %v: %v", tr, img, img.Bounds(), err)
		}
		want := mustTensor(t, tr, badImageFrom{img})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v on %T %v: fast path differs from At", tr, img, img.Bounds())
		}
		for i, v := range got {
			if v < 0 || v > 1 {
				t.Fatalf("%+v: value %d is %g, outside 0..1", tr, i, v)
			}
		}
	}
}

func BenchmarkImageNet224(b *testing.B) {
	img := noise(640, 480, 1)
	tr := ImageNet(224)
	dst := make([]float32, tr.Len())
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.Apply(dst, img); err != nil {
			b.Fatal(err)
		}
	}
}
