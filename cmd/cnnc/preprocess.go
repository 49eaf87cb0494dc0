package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/vision"
)

// imageFlags are cnnc run's image preprocessing flags. They make a
// vision.Transform whose size, channels and layout come from the model's
// input and whose steps come from the flags.
type imageFlags struct {
	preset    string
	resize    int
	crop      cropFlag
	scale     scaleFlag
	mean, std floatsFlag
	invert    bool
}

func addImageFlags(fs *flag.FlagSet) *imageFlags {
	f := &imageFlags{scale: scaleFlag{text: "1/255"}}
	fs.StringVar(&f.preset, "preset", "", "image preprocessing `recipe`: imagenet (resize the shorter side to 256/224 of the input size, center crop to the input size, ImageNet mean and std; for RGB inputs) or mnist (28x28 gray, X/255: the defaults, checked against the model); flags given beside it override it")
	fs.IntVar(&f.resize, "resize", 0, "first scale an image's shorter side to `N` pixels, keeping its aspect ratio (torchvision's Resize(N)); 0: the image is resized straight to the model's input size")
	fs.Var(&f.crop, "crop", "center crop of `N or WxH` pixels after -resize (torchvision's CenterCrop); the result is then resized to the input size if it differs")
	fs.Var(&f.scale, "scale", "multiply each 8-bit pixel value by `F`, a number or a fraction (1/255 gives 0..1, as ToTensor and the MNIST example's X/255; 1 keeps 0..255)")
	fs.Var(&f.mean, "mean", "per-channel mean `M[,M,M]` subtracted after -scale (default 0; one value, or one per channel)")
	fs.Var(&f.std, "std", "per-channel standard deviation `S[,S,S]` divided by after -mean (default 1)")
	fs.BoolVar(&f.invert, "invert", false, "use 255-v for each pixel value v: a dark digit on a light background for an MNIST model, which was trained on white on black")
	return f
}

// imageNetMean and imageNetStd are torchvision's ImageNet statistics.
var (
	imageNetMean = []float32{0.485, 0.456, 0.406}
	imageNetStd  = []float32{0.229, 0.224, 0.225}
)

// layoutOf is the memory order of an image input: what the model declares
// (the DSL's inputs are NHWC), else NCHW, ONNX's convention for image
// tensors, except when only channels-last fits: tf2onnx exports keep
// TensorFlow's [N,224,224,3] input and transpose inside the graph.
func layoutOf(v *ir.Value) vision.Layout {
	if v.Layout == ir.NHWC {
		return vision.NHWC
	}
	if r := len(v.Shape); v.Layout == ir.LayoutAny && (r == 3 || r == 4) {
		channels := func(d int) bool { return d == 1 || d == 3 }
		if first, last := v.Shape[r-3], v.Shape[r-1]; !channels(first) && channels(last) {
			return vision.NHWC
		}
	}
	return vision.NCHW
}

// transform builds the preprocessing of model input v (input number i).
// set holds the names of the flags given on the command line, so that a
// flag overrides the preset only when it was given.
func (f *imageFlags) transform(i int, v *ir.Value, set map[string]bool) (vision.Transform, error) {
	if !v.DType.IsFloat() {
		return vision.Transform{}, fmt.Errorf("input %d (%q) is %s %v, not an image input: give it a .pb or .npy file", i, v.Name, v.DType, v.Shape)
	}
	t, err := vision.ForInput(v.Shape, string(layoutOf(v)))
	if err != nil {
		return vision.Transform{}, fmt.Errorf("input %d (%q) %v is not an image input (images fit [N,C,H,W] or [N,H,W,C] inputs with 1 or 3 channels): give it a .pb or .npy file", i, v.Name, v.Shape)
	}
	switch f.preset {
	case "":
	case "imagenet":
		if t.Channels != 3 {
			return vision.Transform{}, fmt.Errorf("-preset imagenet is for RGB inputs; input %d (%q) %v is gray (1 channel)", i, v.Name, v.Shape)
		}
		t.Resize = (min(t.Width, t.Height)*256 + 112) / 224 // 256 for 224, as vision.ImageNet
		t.CropWidth, t.CropHeight = t.Width, t.Height
		t.Mean, t.Std = imageNetMean, imageNetStd
	case "mnist":
		if want := vision.MNIST(); t.Width != want.Width || t.Height != want.Height || t.Channels != want.Channels {
			return vision.Transform{}, fmt.Errorf("-preset mnist is for 28x28 gray inputs; input %d (%q) is %v", i, v.Name, v.Shape)
		}
	default:
		return vision.Transform{}, usageError(fmt.Sprintf("-preset %q: want imagenet or mnist", f.preset))
	}
	if set["resize"] {
		t.Resize = f.resize
	}
	if set["crop"] {
		t.CropWidth, t.CropHeight = f.crop.w, f.crop.h
	}
	if set["scale"] {
		t.Scale = f.scale.value
	}
	if set["mean"] {
		t.Mean = f.mean
	}
	if set["std"] {
		t.Std = f.std
	}
	if set["invert"] {
		t.Invert = f.invert
	}
	if err := t.Validate(); err != nil {
		return vision.Transform{}, fmt.Errorf("preprocessing for input %d (%q) %v: %w", i, v.Name, v.Shape, err)
	}
	return t, nil
}

// describeTransform says in one line what a transform does, for the
// progress line of cnnc run.
func describeTransform(t vision.Transform) string {
	var steps []string
	if t.Resize > 0 {
		steps = append(steps, fmt.Sprintf("resize shorter side to %d", t.Resize))
	}
	if w, h := cropSize(t); w > 0 {
		steps = append(steps, fmt.Sprintf("center crop %dx%d", w, h))
	}
	if w, h := cropSize(t); w != t.Width || h != t.Height {
		steps = append(steps, fmt.Sprintf("resize to %dx%d", t.Width, t.Height))
	}
	if t.Invert {
		steps = append(steps, "255-v")
	}
	if t.Scale == 0 {
		steps = append(steps, "v/255")
	} else {
		steps = append(steps, fmt.Sprintf("v*%g", t.Scale))
	}
	if t.Mean != nil || t.Std != nil {
		steps = append(steps, fmt.Sprintf("mean %v std %v", orDefault(t.Mean, 0), orDefault(t.Std, 1)))
	}
	colour := "RGB"
	if t.Channels == 1 {
		colour = "gray"
	}
	return fmt.Sprintf("%s %s: %s", colour, t.Layout, strings.Join(steps, ", "))
}

// cropSize is the center crop's size, 0x0 for none; one side given means
// a square, as in vision.Transform.
func cropSize(t vision.Transform) (w, h int) {
	w, h = t.CropWidth, t.CropHeight
	if w == 0 {
		w = h
	}
	if h == 0 {
		h = w
	}
	return w, h
}

func orDefault(s []float32, d float32) []float32 {
	if s == nil {
		return []float32{d}
	}
	return s
}

// cropFlag is -crop N or -crop WxH.
type cropFlag struct{ w, h int }

func (c *cropFlag) String() string {
	if c == nil || c.w == 0 && c.h == 0 {
		return ""
	}
	if c.w == c.h {
		return strconv.Itoa(c.w)
	}
	return fmt.Sprintf("%dx%d", c.w, c.h)
}

func (c *cropFlag) Set(s string) error {
	ws, hs, pair := strings.Cut(strings.ToLower(s), "x")
	if !pair {
		hs = ws
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w < 1 || h < 1 || w > vision.MaxSide || h > vision.MaxSide {
		return fmt.Errorf("want N or WxH, positive pixel counts up to %d, got %q", vision.MaxSide, s)
	}
	c.w, c.h = w, h
	return nil
}

// scaleFlag is -scale F, where F may be a fraction such as 1/255.
type scaleFlag struct {
	text  string
	value float32 // 0 for exactly 1/255, which vision.Transform computes as v/255
}

func (s *scaleFlag) String() string {
	if s == nil {
		return ""
	}
	return s.text
}

func (s *scaleFlag) Set(v string) error {
	num, den, frac := strings.Cut(v, "/")
	a, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return fmt.Errorf("want a number or a fraction such as 1/255, got %q", v)
	}
	b := 1.0
	if frac {
		if b, err = strconv.ParseFloat(strings.TrimSpace(den), 64); err != nil || b == 0 {
			return fmt.Errorf("want a number or a fraction such as 1/255, got %q", v)
		}
	}
	x := float32(a / b)
	if x == 0 || x != x || x > 1e30 || x < -1e30 {
		return fmt.Errorf("scale %q must be a non-zero finite number", v)
	}
	s.text, s.value = v, x
	// vision.Transform divides by 255 when Scale is 0, as ToTensor does;
	// multiplying by float32(1/255) would differ in the last bit.
	if x == float32(1.0/255) {
		s.value = 0
	}
	return nil
}

// floatsFlag is a comma-separated list of numbers.
type floatsFlag []float32

func (f *floatsFlag) String() string {
	if f == nil || *f == nil {
		return ""
	}
	parts := make([]string, len(*f))
	for i, x := range *f {
		parts[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	return strings.Join(parts, ",")
}

func (f *floatsFlag) Set(s string) error {
	var out []float32
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || x != x {
			return fmt.Errorf("want comma-separated numbers (one, or one per channel), got %q", s)
		}
		out = append(out, float32(x))
	}
	*f = out
	return nil
}
