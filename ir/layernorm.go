package ir

import "fmt"

// LayerNormalization normalizes over the trailing axes from Axis on:
//
//	y = (x - mean) / sqrt(var + Epsilon) * Scale + B
//
// where mean and var are taken over axes [Axis, rank) of each leading
// index (ONNX LayerNormalization, opset 17; torch.nn.LayerNorm).
//
// Inputs: X, Scale and optional B, each broadcasting to X's shape from
// Axis on (numpy rules against the trailing axes only). Outputs: Y and,
// optionally, Mean and InvStdDev, shaped like X with the normalized axes
// set to 1.
type LayerNormalization struct {
	// Axis is the first normalized axis; shape inference makes a negative
	// one positive.
	Axis    int
	Epsilon float64
}

// OpType returns "LayerNormalization".
func (*LayerNormalization) OpType() string { return "LayerNormalization" }

// Infer is LayerNormalization's shape rule.
func (l *LayerNormalization) Infer(in []Type) ([]Type, error) {
	const op = "LayerNormalization"
	if err := need(op, in, 2); err != nil {
		return nil, err
	}
	if err := needFloat(op, in, 0); err != nil {
		return nil, err
	}
	x := in[0]
	r := len(x.Shape)
	if r == 0 {
		return nil, shapeErr(op, in, "input must have rank 1 or more")
	}
	a, err := NormAxis(l.Axis, r)
	if err != nil {
		return nil, shapeErr(op, in, "%v", err)
	}
	if a == 0 && x.Shape[0] == Batch {
		return nil, shapeErr(op, in, "cannot normalize across the batch dimension")
	}
	l.Axis = a
	norm := x.Shape[a:]
	for i := 1; i < len(in) && i < 3; i++ {
		t := in[i]
		if !t.Known() {
			continue
		}
		if !t.DType.IsFloat() {
			return nil, fmt.Errorf("%s: input %d is %s, want a floating-point tensor", op, i, t.DType)
		}
		if len(t.Shape) > len(norm) {
			return nil, shapeErr(op, in, "input %d has rank %d, more than the %d normalized axes", i, len(t.Shape), len(norm))
		}
		if s, err := BroadcastShapes(norm, t.Shape); err != nil || !s.Equal(norm) {
			return nil, shapeErr(op, in, "input %d (shape %v) does not broadcast to the normalized axes %v", i, t.Shape, norm)
		}
	}
	stat := x.Shape.Clone()
	for i := a; i < r; i++ {
		stat[i] = 1
	}
	st := Type{DType: Float32, Shape: stat}
	if x.DType == Float64 {
		st.DType = Float64
	}
	return []Type{{DType: x.DType, Shape: x.Shape, Layout: x.Layout}, st, st}, nil
}

// Work is a few reads per element (mean, variance, normalization).
func (*LayerNormalization) Work(in, _ []Type) int64 { return 4 * int64(in[0].Shape.PerBatch()) }
