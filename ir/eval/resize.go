package eval

import (
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalResize)
}

// resizeTaps is what one output coordinate on one axis reads: input
// indices and their weights, or nothing (outside) when tf_crop_and_resize
// maps it outside the input.
type resizeTaps struct {
	idx     []int
	w       []float64
	outside bool
}

// maxResizeTaps bounds the taps of one output coordinate. An antialiased
// kernel spans about 2/scale input elements; a scale that small leaves
// an output length of 0 for any input a model can have.
const maxResizeTaps = 1 << 20

// evalResize resamples every axis as ONNX Resize specifies: each axis maps
// an output coordinate to input taps (evalResizeAxis), and an output
// element is the sum, over one tap per axis, of the product of the taps'
// weights times the input element they pick. Nearest picks one tap of
// weight 1 per axis and copies the element, so it works on any element
// type.
func evalResize(op *ir.Resize, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	rank := len(x.Shape)
	taps := make([][]resizeTaps, rank)
	for d := range taps {
		taps[d] = make([]resizeTaps, out.Shape[d])
		for o := range taps[d] {
			if op.Sizes[d] == ir.Batch {
				// The symbolic batch dimension is never resized.
				taps[d][o] = resizeTaps{idx: []int{o}, w: []float64{1}}
				continue
			}
			t, err := evalResizeAxis(op, d, rank, x.Shape[d], out.Shape[d], o)
			if err != nil {
				return nil, err
			}
			taps[d][o] = t
		}
	}
	st := strides(x.Shape)
	n := out.Shape.NumElements(1)
	pos := make([]int, rank)
	next := func() {
		for d := rank - 1; d >= 0; d-- {
			pos[d]++
			if pos[d] < out.Shape[d] {
				return
			}
			pos[d] = 0
		}
	}
	outside := func() bool {
		for d, p := range pos {
			if taps[d][p].outside {
				return true
			}
		}
		return false
	}
	if op.Mode == ir.ResizeNearest {
		idx := make([]int, n)
		for i := range idx {
			if outside() {
				idx[i] = -1
			} else {
				for d, p := range pos {
					idx[i] += taps[d][p].idx[0] * st[d]
				}
			}
			next()
		}
		return take(x, idx, op.ExtrapolationValue, out), nil
	}
	y := newTensor(out)
	k := make([]int, rank) // the tap of every axis
	for i := range y.Floats {
		if outside() {
			y.Floats[i] = op.ExtrapolationValue
			next()
			continue
		}
		sum := 0.0
		for d := range k {
			k[d] = 0
		}
		for {
			w, off := 1.0, 0
			for d, p := range pos {
				w *= taps[d][p].w[k[d]]
				off += taps[d][p].idx[k[d]] * st[d]
			}
			sum += w * x.Floats[off]
			d := rank - 1
			for ; d >= 0; d-- {
				if k[d]++; k[d] < len(taps[d][pos[d]].idx) {
					break
				}
				k[d] = 0
			}
			if d < 0 {
				break
			}
		}
		y.Floats[i] = sum
		next()
	}
	return y, nil
}

// evalResizeAxis returns the taps of output coordinate o on axis d, whose
// input length is in and output length out.
func evalResizeAxis(op *ir.Resize, d, rank, in, out, o int) (resizeTaps, error) {
	scale := op.Scales[d]
	xo, outside := resizeOriginal(op, d, rank, in, out, o)
	if outside {
		return resizeTaps{outside: true}, nil
	}
	if math.IsNaN(xo) {
		return resizeTaps{}, fmt.Errorf("axis %d: output coordinate %d maps to NaN", d, o)
	}
	// Far outside the input every tap reads an edge element (or, with
	// ExcludeOutside, none); the clamp keeps the int conversions exact.
	lim := float64(in) + maxResizeTaps + 8
	xo = max(-lim, min(xo, lim))
	last := in - 1
	if op.Mode == ir.ResizeNearest {
		var i float64
		switch op.Nearest {
		case ir.NearestFloor:
			i = math.Floor(xo)
		case ir.NearestCeil:
			i = math.Ceil(xo)
		case ir.NearestRoundPreferFloor: // round half down
			i = math.Ceil(xo - 0.5)
		case ir.NearestRoundPreferCeil: // round half up
			i = math.Floor(xo + 0.5)
		}
		return resizeTaps{idx: []int{max(0, min(int(i), last))}, w: []float64{1}}, nil
	}
	// base + ratio = xo with ratio in (0, 1]: the taps are base+j for j
	// from lo to 1-lo, and ONNX prefers the left neighbour, so an integer
	// coordinate is the right end of its interval.
	base := math.Floor(xo)
	ratio := xo - base
	if ratio == 0 {
		base--
		ratio = 1
	}
	// Antialiasing stretches the kernel by 1/scale when the axis shrinks.
	s := 1.0
	if op.Antialias {
		s = min(scale, 1)
	}
	kernel := func(t float64) float64 { // the linear (triangle) kernel
		return max(0, 1-math.Abs(t))
	}
	support := 1.0
	if op.Mode == ir.ResizeCubic {
		a := op.CubicCoeffA
		kernel = func(t float64) float64 { // Keys' cubic convolution kernel
			t = math.Abs(t)
			switch {
			case t <= 1:
				return ((a+2)*t-(a+3))*t*t + 1
			case t < 2:
				return ((a*t-5*a)*t+8*a)*t - 4*a
			}
			return 0
		}
		support = 2
	}
	flo := math.Floor(-support/s) + 1
	if 2-2*flo > maxResizeTaps {
		return resizeTaps{}, fmt.Errorf("axis %d: scale %g needs %g taps per output element", d, scale, 2-2*flo)
	}
	lo := int(flo)
	var t resizeTaps
	sum := 0.0
	for j := lo; j <= 1-lo; j++ {
		i := int(base) + j
		w := kernel((float64(j) - ratio) * s)
		if op.ExcludeOutside && (i < 0 || i > last) {
			w = 0
		}
		t.idx = append(t.idx, max(0, min(i, last)))
		t.w = append(t.w, w)
		sum += w
	}
	if op.Antialias || op.ExcludeOutside {
		for j := range t.w {
			t.w[j] /= sum
		}
	}
	return t, nil
}

// resizeOriginal maps output coordinate o on axis d to the input
// coordinate, following ONNX's coordinate_transformation_mode formulas
// with the resized length taken as scale x input length (fractional when
// the scale does not divide evenly, as in ONNX's reference
// implementation). outside reports a tf_crop_and_resize coordinate
// outside [0, in-1].
func resizeOriginal(op *ir.Resize, d, rank, in, out, o int) (xo float64, outside bool) {
	scale := op.Scales[d]
	length := scale * float64(in)
	x := float64(o)
	switch op.Coord {
	case ir.ResizeHalfPixel:
		return (x+0.5)/scale - 0.5, false
	case ir.ResizeHalfPixelSymmetric:
		offset := float64(in) / 2 * (1 - float64(out)/length)
		return offset + (x+0.5)/scale - 0.5, false
	case ir.ResizePytorchHalfPixel:
		if out > 1 {
			return (x+0.5)/scale - 0.5, false
		}
		return 0, false
	case ir.ResizeAlignCorners:
		if out > 1 {
			return x * float64(in-1) / (length - 1), false
		}
		return 0, false
	case ir.ResizeAsymmetric:
		return x / scale, false
	case ir.ResizeTFCropAndResize:
		start, end := op.RoiAt(d, rank)
		if out > 1 {
			xo = start*float64(in-1) + x*(end-start)*float64(in-1)/(length-1)
		} else {
			xo = 0.5 * (start + end) * float64(in-1)
		}
		return xo, xo < 0 || xo > float64(in-1)
	}
	return math.NaN(), false
}
