package ir

// Softmax is exp(x) normalized to sum 1 along Axis.
//
// With Coerce2D (ONNX opsets before 13) the input is viewed as a matrix
// [prod(dims before Axis), prod(dims from Axis on)] and the softmax runs
// over each row, that is over all axes from Axis on.
type Softmax struct {
	Axis     int
	Coerce2D bool
}

// OpType returns "Softmax".
func (*Softmax) OpType() string { return "Softmax" }

// Infer is Softmax's shape rule.
func (s *Softmax) Infer(in []Type) ([]Type, error) {
	return inferSoftmax("Softmax", &s.Axis, in)
}

// LogSoftmax is log(Softmax(x)), computed stably; its fields mean what
// Softmax's do.
type LogSoftmax struct {
	Axis     int
	Coerce2D bool
}

// OpType returns "LogSoftmax".
func (*LogSoftmax) OpType() string { return "LogSoftmax" }

// Infer is LogSoftmax's shape rule.
func (s *LogSoftmax) Infer(in []Type) ([]Type, error) {
	return inferSoftmax("LogSoftmax", &s.Axis, in)
}

func inferSoftmax(op string, axis *int, in []Type) ([]Type, error) {
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	if err := needFloat(op, in, 0); err != nil {
		return nil, err
	}
	r := len(in[0].Shape)
	if r == 0 {
		return nil, shapeErr(op, in, "input must have rank 1 or more")
	}
	a, err := NormAxis(*axis, r)
	if err != nil {
		return nil, shapeErr(op, in, "%v", err)
	}
	*axis = a
	return []Type{in[0]}, nil
}

// ToNHWC lets a rank-4 Softmax over one axis follow NHWC data by moving
// its axis; the opset < 13 form, which coerces to 2-D, cannot.
func (s *Softmax) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	return softmaxToNHWC(&s.Axis, s.Coerce2D, in, inputNHWC)
}

// ToNHWC is Softmax's.
func (s *LogSoftmax) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	return softmaxToNHWC(&s.Axis, s.Coerce2D, in, inputNHWC)
}

func softmaxToNHWC(axis *int, coerce bool, in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || coerce || len(in[0].Shape) != 4 || *axis < 0 || *axis > 3 {
		return nil, false
	}
	*axis = nchwAxis[*axis]
	return []int{0}, true
}
