package vision

import (
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"codeberg.org/sbinet/npyio"
)

var (
	imagenetMean = []float32{0.485, 0.456, 0.406}
	imagenetStd  = []float32{0.229, 0.224, 0.225}
)

// torchvisionCases are the cases of testdata/gen.py: the image, the Transform
// that does what gen.py's torchvision pipeline does, and the largest absolute
// difference allowed from torchvision's tensor.
//
// The PNG cases must match exactly: the resampler rounds like PIL, and the
// float32 arithmetic (v/255, then (x-mean)/std) is torchvision's, so the only
// room left would be a one-level difference of an 8-bit pixel (1/255/std, about
// 0.0175 with the ImageNet std), which would be a bug. The JPEG cases allow 3
// levels of 255 (3/255/0.225 after ImageNet normalization): Go's image/jpeg and
// libjpeg, which PIL uses, compute the inverse DCT with different rounding, so
// the YCbCr samples already differ before any transform runs. The _pixels
// cases (no resize) measure that decoder difference alone: 2 levels at most for
// 4:4:4 and 4:2:2, 3 for 4:2:0 here (51 for 4:2:0 if chroma were upsampled by nearest
// neighbour as image/jpeg's At does, which is why Apply follows libjpeg).
//
// tol is in 8-bit levels (see maxLevels), so that it reads the same with and
// without normalization.
var torchvisionCases = []struct {
	name, image string
	t           Transform
	tol         float64 // levels of 255
}{
	{"rgb64x48_imagenet", "rgb_64x48.png", ImageNet(28), 0}, // Resize(32), CenterCrop(28)
	{"rgb37x53_imagenet", "rgb_37x53.png", Transform{Width: 28, Height: 28, Resize: 32, CropWidth: 28, Mean: imagenetMean, Std: imagenetStd}, 0},
	{"rgb37x53_nearest", "rgb_37x53.png", Transform{Width: 28, Height: 28, Resize: 32, CropWidth: 28, Resampling: Nearest}, 0},
	{"rgb37x53_gray", "rgb_37x53.png", Transform{Width: 28, Height: 28, Channels: 1, Resize: 32, CropWidth: 28, Mean: []float32{0.5}, Std: []float32{0.5}}, 0},
	{"rgb64x48_factor6", "rgb_64x48.png", Transform{Width: 8, Height: 8, Resize: 8, CropWidth: 8}, 0},
	{"rgb64x48_direct", "rgb_64x48.png", Transform{Width: 28, Height: 28}, 0},
	{"rgb64x48_crop_resize", "rgb_64x48.png", Transform{Width: 20, Height: 16, Resize: 32, CropWidth: 30, CropHeight: 26}, 0},
	{"rgb37x53_pad", "rgb_37x53.png", Transform{Width: 40, Height: 40, CropWidth: 40}, 0},
	{"rgb64x48_resize_pad", "rgb_64x48.png", Transform{Width: 28, Height: 28, Resize: 20, CropWidth: 28}, 0},
	{"rgb20x15_upscale", "rgb_20x15.png", Transform{Width: 28, Height: 28, Resize: 32, CropWidth: 28, Mean: imagenetMean, Std: imagenetStd}, 0},
	{"rgba40x30_rgb", "rgba_40x30.png", Transform{Width: 28, Height: 28, Resize: 32, CropWidth: 28, Mean: imagenetMean, Std: imagenetStd}, 0},
	{"rgba40x30_gray", "rgba_40x30.png", Transform{Width: 28, Height: 28, Channels: 1, Resize: 32, CropWidth: 28}, 0},
	{"gray45_rgb", "gray_45x45.png", Transform{Width: 28, Height: 28, Resize: 32, CropWidth: 28}, 0},
	{"gray45_gray", "gray_45x45.png", Transform{Width: 28, Height: 28, Channels: 1, Resize: 32, CropWidth: 28}, 0},
	{"pal33x21_rgb", "pal_33x21.png", Transform{Width: 28, Height: 28, Resize: 32, CropWidth: 28}, 0},
	{"jpeg444_imagenet", "rgb_50x40_444.jpg", ImageNet(28), 3},
	{"jpeg420_imagenet", "rgb_50x40_420.jpg", ImageNet(28), 3},
	{"jpeg444_pixels", "rgb_50x40_444.jpg", Transform{Width: 50, Height: 40}, 3},
	{"jpeg422_pixels", "rgb_50x40_422.jpg", Transform{Width: 50, Height: 40}, 3},
	{"jpeg420_pixels", "rgb_50x40_420.jpg", Transform{Width: 50, Height: 40}, 3},
	{"digit100_mnist", "digit_100x100.png", MNIST(), 0},
	{"digit28_mnist", "digit_28x28.png", MNIST(), 0},
}

func loadImage(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// loadNpy reads a float32 array of shape (C, H, W).
func loadNpy(t testing.TB, name string) (data []float32, shape []int) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := r.Read(&data); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return data, r.Header.Descr.Shape
}

// chw2hwc reorders a (C, H, W) array as (H, W, C).
func chw2hwc(x []float32, c, h, w int) []float32 {
	y := make([]float32, len(x))
	for ci := 0; ci < c; ci++ {
		for i := 0; i < h*w; i++ {
			y[i*c+ci] = x[ci*h*w+i]
		}
	}
	return y
}

func maxAbsDiff(a, b []float32) (float64, int) {
	m, at := 0.0, -1
	for i := range a {
		if d := math.Abs(float64(a[i]) - float64(b[i])); d > m || math.IsNaN(d) {
			m, at = d, i
		}
	}
	return m, at
}

// TestTorchvision compares Apply with the tensors torchvision 0.14 computed
// (testdata/gen.py), in both layouts.
func TestTorchvision(t *testing.T) {
	for _, tc := range torchvisionCases {
		t.Run(tc.name, func(t *testing.T) {
			want, shape := loadNpy(t, tc.name+".npy")
			img := loadImage(t, tc.image)
			c := tc.t.channels()
			if len(shape) != 3 || shape[0] != c || shape[1] != tc.t.Height || shape[2] != tc.t.Width {
				t.Fatalf("torchvision's shape is %v, the transform's (%d, %d, %d)", shape, c, tc.t.Height, tc.t.Width)
			}
			for _, layout := range []Layout{NCHW, NHWC} {
				tr := tc.t
				tr.Layout = layout
				got, err := tr.Tensor(img)
				if err != nil {
					t.Fatal(err)
				}
				w := want
				if layout == NHWC {
					w = chw2hwc(want, c, tr.Height, tr.Width)
				}
				d, at := maxAbsDiff(got, w)
				lv := maxLevels(got, w, tr)
				t.Logf("%s %s: max |diff| %.3g (%.3g levels of 255)", tc.name, layout, d, lv)
				if lv > tc.tol+1e-3 { // 1e-3: float32 rounding of v/255
					t.Errorf("%s: max |diff| %g = %.3g levels at %d (got %g, torchvision %g), tolerance %g levels", layout, d, lv, at, got[at], w[at], tc.tol)
				}
			}
		})
	}
}

// maxLevels is the largest difference of got and want in 8-bit levels, each
// value's difference multiplied by 255 and its channel's Std.
func maxLevels(got, want []float32, t Transform) float64 {
	c := t.channels()
	m := 0.0
	for i := range got {
		ci := i % c // NHWC
		if t.Layout != NHWC {
			ci = i / (t.Width * t.Height)
		}
		std := 1.0
		if len(t.Std) > 0 {
			std = float64(t.Std[min(ci, len(t.Std)-1)])
		}
		m = max(m, math.Abs(float64(got[i])-float64(want[i]))*255*std)
	}
	return m
}
