package ir

import (
	"fmt"
	"math"
)

// ResizeMode is how Resize interpolates.
type ResizeMode uint8

// The interpolation modes of ONNX Resize.
const (
	ResizeNearest ResizeMode = iota
	ResizeLinear
	ResizeCubic
)

// String returns the ONNX spelling.
func (m ResizeMode) String() string {
	switch m {
	case ResizeNearest:
		return "nearest"
	case ResizeLinear:
		return "linear"
	case ResizeCubic:
		return "cubic"
	}
	return fmt.Sprintf("ResizeMode(%d)", uint8(m))
}

// ResizeCoord is ONNX Resize's coordinate_transformation_mode: how an
// output coordinate maps to a (fractional) input coordinate.
type ResizeCoord uint8

// The coordinate transformations of ONNX Resize (opset 19), the zero value
// being ONNX's default. ONNX's tf_half_pixel_for_nn (opsets 11 and 12) is
// not among them.
const (
	ResizeHalfPixel ResizeCoord = iota
	ResizeHalfPixelSymmetric
	ResizePytorchHalfPixel
	ResizeAlignCorners
	ResizeAsymmetric
	ResizeTFCropAndResize
)

// String returns the ONNX spelling.
func (c ResizeCoord) String() string {
	switch c {
	case ResizeHalfPixel:
		return "half_pixel"
	case ResizeHalfPixelSymmetric:
		return "half_pixel_symmetric"
	case ResizePytorchHalfPixel:
		return "pytorch_half_pixel"
	case ResizeAlignCorners:
		return "align_corners"
	case ResizeAsymmetric:
		return "asymmetric"
	case ResizeTFCropAndResize:
		return "tf_crop_and_resize"
	}
	return fmt.Sprintf("ResizeCoord(%d)", uint8(c))
}

// ResizeNearestMode is ONNX Resize's nearest_mode: how nearest
// interpolation rounds an input coordinate to an index.
type ResizeNearestMode uint8

// The rounding rules of nearest interpolation, the zero value being
// ONNX's default.
const (
	NearestRoundPreferFloor ResizeNearestMode = iota // round half down
	NearestRoundPreferCeil                           // round half up
	NearestFloor
	NearestCeil
)

// String returns the ONNX spelling.
func (m ResizeNearestMode) String() string {
	switch m {
	case NearestRoundPreferFloor:
		return "round_prefer_floor"
	case NearestRoundPreferCeil:
		return "round_prefer_ceil"
	case NearestFloor:
		return "floor"
	case NearestCeil:
		return "ceil"
	}
	return fmt.Sprintf("ResizeNearestMode(%d)", uint8(m))
}

// Resize resamples every axis of its input (ONNX Resize, and Upsample)
// after the importer has resolved scales, sizes, axes, roi and
// keep_aspect_ratio_policy into one entry per axis.
//
// For output coordinate x on an axis of input length in, output length
// out and scale s = Scales[axis], the input coordinate is
//
//	half_pixel            (x + 0.5)/s - 0.5
//	half_pixel_symmetric  in/2 * (1 - out/L) + (x + 0.5)/s - 0.5
//	pytorch_half_pixel    (x + 0.5)/s - 0.5, or 0 when out is 1
//	align_corners         x * (in - 1)/(L - 1), or 0 when out is 1
//	asymmetric            x/s
//	tf_crop_and_resize    start*(in - 1) + x*(end - start)*(in - 1)/(L - 1),
//	                      or (start + end)/2 * (in - 1) when out is 1
//
// where L = s*in is the resized length, fractional when a scale does not
// divide the input evenly (as in ONNX's reference implementation), and
// start, end are the axis' Roi entries. Nearest rounds that coordinate
// with Nearest and clamps it into the input; linear and cubic weigh the
// neighbouring elements (clamped to the edge) by the linear or cubic
// kernel, the latter with parameter CubicCoeffA. A tf_crop_and_resize
// coordinate outside [0, in-1] on any axis makes the element
// ExtrapolationValue.
type Resize struct {
	// Sizes is the output length of every axis; Batch on a symbolic batch
	// dimension, which Resize keeps as it is.
	Sizes []int
	// Scales is every axis' scale factor, output over input: the given
	// scale, or the size over the input length when sizes were given.
	// A symbolic batch dimension's is 1.
	Scales []float64
	// Roi holds every axis' start, then every axis' end, in normalized
	// input coordinates; only tf_crop_and_resize reads it, and nil means
	// starts 0 and ends 1.
	Roi []float64
	// Mode is the interpolation.
	Mode ResizeMode
	// Coord is the coordinate transformation.
	Coord ResizeCoord
	// Nearest is the rounding of nearest interpolation.
	Nearest ResizeNearestMode
	// CubicCoeffA is the cubic kernel's parameter a (ONNX's default is
	// -0.75).
	CubicCoeffA float64
	// ExcludeOutside gives linear and cubic taps outside the input weight
	// 0 and renormalizes the others.
	ExcludeOutside bool
	// Antialias stretches the linear or cubic kernel by 1/scale on axes
	// that shrink, normalizing its weights.
	Antialias bool
	// ExtrapolationValue fills tf_crop_and_resize's elements outside the
	// input.
	ExtrapolationValue float64
}

// OpType returns "Resize".
func (*Resize) OpType() string { return "Resize" }

// RoiAt returns the start and end of axis d of a rank-r input.
func (r *Resize) RoiAt(d, rank int) (start, end float64) {
	if r.Roi == nil {
		return 0, 1
	}
	return r.Roi[d], r.Roi[rank+d]
}

// Infer is Resize's shape rule: the output lengths are Sizes.
func (r *Resize) Infer(in []Type) ([]Type, error) {
	if err := need("Resize", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	rank := len(x)
	if len(r.Sizes) != rank || len(r.Scales) != rank {
		return nil, shapeErr("Resize", in, "sizes %v and scales %v must have one entry per input dimension (%d)", r.Sizes, r.Scales, rank)
	}
	if r.Roi != nil && len(r.Roi) != 2*rank {
		return nil, shapeErr("Resize", in, "roi %v must have 2 x rank = %d entries", r.Roi, 2*rank)
	}
	for _, v := range r.Roi {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, shapeErr("Resize", in, "roi %v is not finite", r.Roi)
		}
	}
	if r.Mode > ResizeCubic || r.Coord > ResizeTFCropAndResize || r.Nearest > NearestCeil {
		return nil, fmt.Errorf("Resize: invalid mode %v, coordinate transformation %v or nearest mode %v", r.Mode, r.Coord, r.Nearest)
	}
	if r.Mode != ResizeNearest && !in[0].DType.IsFloat() {
		return nil, fmt.Errorf("Resize: %s interpolation of a %s tensor; it needs a floating-point tensor", r.Mode, in[0].DType)
	}
	if math.IsNaN(r.CubicCoeffA) || math.IsInf(r.CubicCoeffA, 0) {
		return nil, fmt.Errorf("Resize: cubic coefficient %g is not finite", r.CubicCoeffA)
	}
	out := make(Shape, rank)
	for d, n := range x {
		size, scale := r.Sizes[d], r.Scales[d]
		if !(scale > 0) || math.IsInf(scale, 0) {
			return nil, shapeErr("Resize", in, "scale %g of axis %d must be positive and finite", scale, d)
		}
		if n == Batch {
			start, end := r.RoiAt(d, rank)
			if size != Batch || scale != 1 || (r.Coord == ResizeTFCropAndResize && (start != 0 || end != 1)) {
				return nil, shapeErr("Resize", in, "cannot resize the batch dimension (size %d, scale %g)", size, scale)
			}
			out[d] = Batch
			continue
		}
		if size == Batch {
			return nil, shapeErr("Resize", in, "axis %d has size %d, not the batch size", d, n)
		}
		if size < 0 || size > maxDim {
			return nil, shapeErr("Resize", in, "size %d of axis %d is out of range", size, d)
		}
		if n == 0 && size > 0 {
			return nil, shapeErr("Resize", in, "cannot resize the empty axis %d to %d", d, size)
		}
		if (r.Coord == ResizeAlignCorners || r.Coord == ResizeTFCropAndResize) && size > 1 && scale*float64(n) <= 1 {
			// The formula divides by the resized length minus 1.
			return nil, shapeErr("Resize", in, "%s on axis %d needs a resized length (%g) above 1 for %d outputs", r.Coord, d, scale*float64(n), size)
		}
		out[d] = size
	}
	if err := checkSize("Resize", out); err != nil {
		return nil, err
	}
	return []Type{{DType: in[0].DType, Shape: out, Layout: in[0].Layout}}, nil
}

// ToNHWC lets a rank-4 Resize follow NHWC data: it works axis by axis, so
// its per-axis sizes, scales and roi are permuted instead of the data (an
// upsampling in a feature pyramid stays between NHWC convolutions).
func (r *Resize) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(r.Sizes) != 4 || len(r.Scales) != 4 {
		return nil, false
	}
	perm := PermNCHWToNHWC
	sizes, scales := make([]int, 4), make([]float64, 4)
	for i, p := range perm {
		sizes[i], scales[i] = r.Sizes[p], r.Scales[p]
	}
	r.Sizes, r.Scales = sizes, scales
	if r.Roi != nil {
		roi := make([]float64, 8)
		for i, p := range perm {
			roi[i], roi[4+i] = r.Roi[p], r.Roi[4+p]
		}
		r.Roi = roi
	}
	return []int{0}, true
}
