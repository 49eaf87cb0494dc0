package onnx

import (
	"fmt"
	"math"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Resize", opEntry{min: 10, max: MaxOpset, fn: importResize, notes: "constant scales, sizes (may follow a symbolic batch) and roi; nearest, linear, cubic; every coordinate_transformation_mode but tf_half_pixel_for_nn (tf_crop_and_resize with sizes only); antialias (linear, cubic), axes, keep_aspect_ratio_policy (18+); opset 10 as Upsample; linear and cubic on float only", produces: []ir.Op{&ir.Resize{}}})
	register("Upsample", opEntry{min: 7, max: 9, fn: importUpsample, notes: "scales attribute (7) or constant input (9); asymmetric coordinates; nearest (floor, scales >= 1) or linear (float only)", produces: []ir.Op{&ir.Resize{}}})
}

// resizeSpec is an ONNX Resize or Upsample node's request before it is
// resolved per axis: either scales or sizes (for the axes listed, all when
// axes is nil), and roi.
type resizeSpec struct {
	axes   []int
	scales []float64
	sizes  []symDim
	sized  bool // sizes rather than scales
	roi    []float64
	policy string // keep_aspect_ratio_policy
	// sizesValue is the sizes input, for a run-time-input error.
	sizesValue *ir.Value
}

// importResize imports Resize. Opset 10 has only scales and no
// attributes but mode, and is read as Upsample (asymmetric coordinates);
// 11 adds roi, sizes and the coordinate, nearest and cubic attributes
// (roi and scales must be given, possibly empty; from 13 they may be
// omitted); 18 adds antialias, axes and keep_aspect_ratio_policy;
// 19 half_pixel_symmetric. scales, sizes and (for tf_crop_and_resize)
// roi must be constants after folding; sizes may also follow a symbolic
// batch dimension through a shape computation.
func importResize(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if opset < 11 {
		if err := arity(in, 2, 2); err != nil {
			return nil, err
		}
		return importUpsampleScales(b, in[0], in[1], nil)
	}
	a := b.attrs()
	// Opsets 11 and 12 require roi and scales, but an omitted one means
	// the same as an empty one.
	if err := arity(in, 1, 4); err != nil {
		return nil, err
	}
	x := in[0]
	op := &ir.Resize{}
	var err error
	if op.Mode, err = resizeMode(a.string("mode", "nearest")); err != nil {
		return nil, err
	}
	if op.Coord, err = resizeCoord(a.string("coordinate_transformation_mode", "half_pixel"), opset); err != nil {
		return nil, err
	}
	nearest := a.string("nearest_mode", "round_prefer_floor")
	cubicA := a.float("cubic_coeff_a", -0.75)
	exclude := a.bool("exclude_outside", false)
	extrapolation := a.float("extrapolation_value", 0)
	spec := resizeSpec{policy: "stretch"}
	antialias := false
	if opset >= 18 {
		antialias = a.bool("antialias", false)
		spec.policy = a.string("keep_aspect_ratio_policy", "stretch")
		if axes := a.ints64("axes"); axes != nil {
			if spec.axes, err = resizeAxes(axes, len(x.Shape)); err != nil {
				return nil, err
			}
		}
	}
	if a.err != nil {
		return nil, a.err
	}
	// Only the chosen mode's attributes go into the op.
	switch op.Mode {
	case ir.ResizeNearest:
		if op.Nearest, err = resizeNearestMode(nearest); err != nil {
			return nil, err
		}
	case ir.ResizeCubic:
		op.CubicCoeffA = cubicA
		fallthrough
	case ir.ResizeLinear:
		if !x.DType.IsFloat() {
			return nil, unsupportedf("mode %q on %s tensors is not supported", op.Mode, x.DType)
		}
		op.ExcludeOutside, op.Antialias = exclude, antialias
	}
	switch spec.policy {
	case "stretch", "not_larger", "not_smaller":
	default:
		return nil, fmt.Errorf("keep_aspect_ratio_policy %q is not one of stretch, not_larger, not_smaller", spec.policy)
	}

	// scales or sizes; an empty constant counts as omitted.
	scales, sizes := resizeInput(in, 2), resizeInput(in, 3)
	switch {
	case scales != nil && sizes != nil:
		return nil, fmt.Errorf("scales and sizes are both given; only one may be")
	case scales != nil:
		if spec.policy != "stretch" {
			return nil, fmt.Errorf("keep_aspect_ratio_policy %q applies to sizes, not scales", spec.policy)
		}
		if spec.scales, err = b.resizeFloats(scales, "scales"); err != nil {
			return nil, err
		}
	case sizes != nil:
		if sizes.DType.IsFloat() || sizes.DType == ir.Bool {
			return nil, fmt.Errorf("sizes must be an integer tensor, is %v", sizes.Type)
		}
		if spec.sizes, err = b.symInts(sizes, "sizes"); err != nil {
			return nil, err
		}
		spec.sized, spec.sizesValue = true, sizes
	default:
		return nil, fmt.Errorf("one of scales and sizes must be given")
	}
	if op.Coord == ir.ResizeTFCropAndResize {
		op.ExtrapolationValue = extrapolation
		if !spec.sized {
			// ONNX computes the output length as in*(end-start)*scale but
			// its reference implementation as in*scale.
			return nil, unsupportedf("coordinate_transformation_mode \"tf_crop_and_resize\" with scales is not supported, only with sizes")
		}
		if roi := resizeInput(in, 1); roi != nil {
			if spec.roi, err = b.resizeFloats(roi, "roi"); err != nil {
				return nil, err
			}
		}
	}
	if err := b.resolveResize(op, x, &spec); err != nil {
		return nil, err
	}
	return one(b.add1(op, x))
}

// importUpsample imports Upsample: scales as an attribute (opset 7) or a
// constant input (9). Like Resize-10 it is read with asymmetric
// coordinates, which makes nearest the repetition of elements that
// Caffe2, PyTorch and ONNX Runtime compute.
func importUpsample(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if opset < 9 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		a := b.attrs()
		scales := a.floats("scales")
		if a.err == nil && scales == nil {
			return nil, fmt.Errorf("attribute scales is required")
		}
		return importUpsampleScales(b, in[0], nil, scales)
	}
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	return importUpsampleScales(b, in[0], in[1], nil)
}

// importUpsampleScales builds the Resize of Upsample and Resize-10: the
// scales are the value sv or, without it, the given ones. The opsets
// define no coordinate mapping; cnnc uses asymmetric coordinates, as ONNX
// Runtime does, and floor for nearest, which it limits to axes that do
// not shrink (ONNX Runtime rounds those up).
func importUpsampleScales(b *builder, x, sv *ir.Value, scales []float64) ([]*ir.Value, error) {
	a := b.attrs()
	op := &ir.Resize{Coord: ir.ResizeAsymmetric}
	var err error
	if op.Mode, err = resizeMode(a.string("mode", "nearest")); err != nil {
		return nil, err
	}
	if a.err != nil {
		return nil, a.err
	}
	switch op.Mode {
	case ir.ResizeNearest:
		op.Nearest = ir.NearestFloor
	case ir.ResizeCubic:
		return nil, fmt.Errorf("mode \"cubic\" is not a mode of this opset")
	default:
		if !x.DType.IsFloat() {
			return nil, unsupportedf("mode %q on %s tensors is not supported", op.Mode, x.DType)
		}
	}
	if sv != nil {
		if scales, err = b.resizeFloats(sv, "scales"); err != nil {
			return nil, err
		}
	}
	if op.Mode == ir.ResizeNearest {
		for _, s := range scales {
			if s < 1 {
				return nil, unsupportedf("mode \"nearest\" with scale %g below 1 is not supported (this opset leaves its rounding unspecified)", s)
			}
		}
	}
	if err := b.resolveResize(op, x, &resizeSpec{scales: scales, policy: "stretch"}); err != nil {
		return nil, err
	}
	return one(b.add1(op, x))
}

// resolveResize fills op's per-axis Sizes, Scales and Roi from spec.
func (b *builder) resolveResize(op *ir.Resize, x *ir.Value, spec *resizeSpec) error {
	shape := x.Shape
	r := len(shape)
	axes := spec.axes
	if axes == nil {
		axes = make([]int, r)
		for i := range axes {
			axes[i] = i
		}
	}
	k := len(axes)
	op.Sizes = make([]int, r)
	op.Scales = make([]float64, r)
	for d, n := range shape {
		op.Sizes[d], op.Scales[d] = n, 1
	}
	if spec.roi != nil {
		if len(spec.roi) != 2*k {
			return fmt.Errorf("roi %v must have %d entries (start and end for %d axes)", spec.roi, 2*k, k)
		}
		op.Roi = make([]float64, 2*r)
		for d := range shape {
			op.Roi[d], op.Roi[r+d] = 0, 1
		}
		for i, d := range axes {
			op.Roi[d], op.Roi[r+d] = spec.roi[i], spec.roi[k+i]
		}
	}
	if !spec.sized {
		if len(spec.scales) != k {
			return fmt.Errorf("scales %v must have %d entries (one per resized axis)", spec.scales, k)
		}
		for i, d := range axes {
			s := spec.scales[i]
			if !(s > 0) || math.IsInf(s, 0) {
				return fmt.Errorf("scale %g of axis %d must be positive and finite", s, d)
			}
			if shape[d] == ir.Batch {
				if s != 1 {
					return fmt.Errorf("scale %g of axis %d: cannot resize the symbolic batch dimension", s, d)
				}
				continue
			}
			size := math.Floor(s * float64(shape[d]))
			if size > maxDim {
				return fmt.Errorf("scale %g of axis %d gives a length beyond 2^31", s, d)
			}
			op.Sizes[d], op.Scales[d] = int(size), s
		}
		return nil
	}
	if len(spec.sizes) != k {
		return fmt.Errorf("sizes %v must have %d entries (one per resized axis)", spec.sizes, k)
	}
	for i, d := range axes {
		sz := spec.sizes[i]
		switch {
		case shape[d] == ir.Batch && sz == (symDim{K: 1}):
			if spec.policy != "stretch" {
				return fmt.Errorf("keep_aspect_ratio_policy %q over the symbolic batch dimension", spec.policy)
			}
			op.Sizes[d] = ir.Batch
			continue
		case shape[d] == ir.Batch:
			return fmt.Errorf("size %v of axis %d: cannot resize the symbolic batch dimension", sz, d)
		case sz.K != 0:
			return b.runTimeError(spec.sizesValue, "sizes")
		case sz.C < 0 || sz.C > maxDim:
			return fmt.Errorf("size %d of axis %d is out of range", sz.C, d)
		}
		op.Sizes[d] = int(sz.C)
		if shape[d] > 0 {
			op.Scales[d] = float64(sz.C) / float64(shape[d])
		}
	}
	if spec.policy == "stretch" {
		return nil
	}
	// not_larger scales every listed axis by the smallest ratio,
	// not_smaller by the largest, rounding the lengths half up.
	scale := math.Inf(1)
	if spec.policy == "not_smaller" {
		scale = 0
	}
	for _, d := range axes {
		if shape[d] == 0 {
			return fmt.Errorf("keep_aspect_ratio_policy %q over the empty axis %d", spec.policy, d)
		}
		if spec.policy == "not_larger" {
			scale = min(scale, op.Scales[d])
		} else {
			scale = max(scale, op.Scales[d])
		}
	}
	for _, d := range axes {
		size := math.Floor(scale*float64(shape[d]) + 0.5)
		if size > maxDim {
			return fmt.Errorf("keep_aspect_ratio_policy %q makes axis %d longer than 2^31", spec.policy, d)
		}
		op.Sizes[d], op.Scales[d] = int(size), scale
	}
	return nil
}

// resizeInput returns optional input i of a Resize, or nil when it is
// omitted or empty (opsets 11 and 12 pass an empty scales with sizes).
func resizeInput(in []*ir.Value, i int) *ir.Value {
	v := opt(in, i)
	if v == nil || (v.Shape.Static() && v.Shape.NumElements(1) == 0) {
		return nil
	}
	return v
}

// resizeFloats returns the elements of a floating-point value needed at
// compile time (scales, roi).
func (b *builder) resizeFloats(v *ir.Value, what string) ([]float64, error) {
	if !v.IsConst() {
		return nil, b.runTimeError(v, what)
	}
	if !v.DType.IsFloat() {
		return nil, fmt.Errorf("%s must be a floating-point tensor, is %v", what, v.Type)
	}
	return v.Const.Floats, nil
}

// resizeAxes normalizes the axes attribute.
func resizeAxes(axes []int64, r int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, r)
	for i, a := range axes {
		if a < -int64(r) || a >= int64(r) {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", a, r)
		}
		if a < 0 {
			a += int64(r)
		}
		if seen[a] {
			return nil, fmt.Errorf("axis %d is listed twice", a)
		}
		seen[a] = true
		out[i] = int(a)
	}
	return out, nil
}

func resizeMode(s string) (ir.ResizeMode, error) {
	switch s {
	case "nearest":
		return ir.ResizeNearest, nil
	case "linear":
		return ir.ResizeLinear, nil
	case "cubic":
		return ir.ResizeCubic, nil
	}
	return 0, fmt.Errorf("mode %q is not nearest, linear or cubic", s)
}

func resizeCoord(s string, opset int64) (ir.ResizeCoord, error) {
	switch s {
	case "half_pixel":
		return ir.ResizeHalfPixel, nil
	case "pytorch_half_pixel":
		return ir.ResizePytorchHalfPixel, nil
	case "align_corners":
		return ir.ResizeAlignCorners, nil
	case "asymmetric":
		return ir.ResizeAsymmetric, nil
	case "tf_crop_and_resize":
		return ir.ResizeTFCropAndResize, nil
	case "half_pixel_symmetric":
		if opset >= 19 {
			return ir.ResizeHalfPixelSymmetric, nil
		}
	case "tf_half_pixel_for_nn":
		if opset < 13 {
			return 0, unsupportedf("coordinate_transformation_mode %q is not supported", s)
		}
	}
	return 0, fmt.Errorf("coordinate_transformation_mode %q is not one of this opset", s)
}

func resizeNearestMode(s string) (ir.ResizeNearestMode, error) {
	switch s {
	case "round_prefer_floor":
		return ir.NearestRoundPreferFloor, nil
	case "round_prefer_ceil":
		return ir.NearestRoundPreferCeil, nil
	case "floor":
		return ir.NearestFloor, nil
	case "ceil":
		return ir.NearestCeil, nil
	}
	return 0, fmt.Errorf("nearest_mode %q is not round_prefer_floor, round_prefer_ceil, floor or ceil", s)
}
