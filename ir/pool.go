package ir

// MaxPool takes the maximum over each window (ONNX MaxPool, Keras
// MaxPooling2D). Padding never wins: padded positions count as -Inf.
type MaxPool struct {
	Window
	Layout Layout
}

// OpType returns "MaxPool".
func (*MaxPool) OpType() string { return "MaxPool" }

// Infer is MaxPool's shape rule.
func (p *MaxPool) Infer(in []Type) ([]Type, error) {
	p.Layout = imageLayout(p.Layout)
	return inferPool("MaxPool", &p.Window, p.Layout, in)
}

// AveragePool averages each window (ONNX AveragePool, Keras
// AveragePooling2D).
type AveragePool struct {
	Window
	Layout Layout
	// CountIncludePad divides by the full window size, padding included;
	// otherwise only by the number of input elements in the window
	// (Keras' behaviour with padding="same").
	CountIncludePad bool
}

// OpType returns "AveragePool".
func (*AveragePool) OpType() string { return "AveragePool" }

// Infer is AveragePool's shape rule.
func (p *AveragePool) Infer(in []Type) ([]Type, error) {
	p.Layout = imageLayout(p.Layout)
	return inferPool("AveragePool", &p.Window, p.Layout, in)
}

func inferPool(op string, w *Window, layout Layout, in []Type) ([]Type, error) {
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	if err := needFloat(op, in, 0); err != nil {
		return nil, err
	}
	n, c, sp, err := spatial(op, in[0], layout, 3)
	if err != nil {
		return nil, err
	}
	out, err := w.resolve(sp)
	if err != nil {
		return nil, shapeErr(op, in, "%v", err)
	}
	// A pad as wide as the window would make windows that see only
	// padding, which have no maximum or mean (PyTorch rejects them too).
	k := len(sp)
	for i := 0; i < k; i++ {
		if eff := (w.Kernel[i]-1)*w.Dilations[i] + 1; w.Pads[i] >= eff || w.Pads[k+i] >= eff {
			return nil, shapeErr(op, in, "pads %v must be smaller than the window %v on every axis", w.Pads, w.Kernel)
		}
	}
	return []Type{{DType: in[0].DType, Shape: assemble(n, c, out, layout), Layout: layout}}, nil
}

// GlobalAveragePool averages over all spatial positions, keeping them as
// size-1 dimensions: [N,C,H,W] -> [N,C,1,1].
type GlobalAveragePool struct{ Layout Layout }

// OpType returns "GlobalAveragePool".
func (*GlobalAveragePool) OpType() string { return "GlobalAveragePool" }

// Infer is GlobalAveragePool's shape rule.
func (p *GlobalAveragePool) Infer(in []Type) ([]Type, error) {
	p.Layout = imageLayout(p.Layout)
	return inferGlobalPool("GlobalAveragePool", p.Layout, in)
}

// GlobalMaxPool takes the maximum over all spatial positions.
type GlobalMaxPool struct{ Layout Layout }

// OpType returns "GlobalMaxPool".
func (*GlobalMaxPool) OpType() string { return "GlobalMaxPool" }

// Infer is GlobalMaxPool's shape rule.
func (p *GlobalMaxPool) Infer(in []Type) ([]Type, error) {
	p.Layout = imageLayout(p.Layout)
	return inferGlobalPool("GlobalMaxPool", p.Layout, in)
}

func inferGlobalPool(op string, layout Layout, in []Type) ([]Type, error) {
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	if err := needFloat(op, in, 0); err != nil {
		return nil, err
	}
	n, c, sp, err := spatial(op, in[0], layout, 3)
	if err != nil {
		return nil, err
	}
	return []Type{{DType: in[0].DType, Shape: assemble(n, c, ints(len(sp), 1), layout), Layout: layout}}, nil
}

// Work is output elements x window size.
func (p *MaxPool) Work(_, out []Type) int64 {
	return int64(out[0].Shape.PerBatch()) * prod64(p.Kernel)
}

// Work is output elements x window size.
func (p *AveragePool) Work(_, out []Type) int64 {
	return int64(out[0].Shape.PerBatch()) * prod64(p.Kernel)
}

// Work is one read per input element.
func (*GlobalAveragePool) Work(in, _ []Type) int64 { return int64(in[0].Shape.PerBatch()) }

// Work is one read per input element.
func (*GlobalMaxPool) Work(in, _ []Type) int64 { return int64(in[0].Shape.PerBatch()) }

// ToNHWC makes a 2-D pool compute channels-last, where a window's
// channels are contiguous.
func (p *MaxPool) ToNHWC(in []Type, _ bool) ([]int, bool) { return poolToNHWC(&p.Layout, in) }

// ToNHWC makes a 2-D pool compute channels-last.
func (p *AveragePool) ToNHWC(in []Type, _ bool) ([]int, bool) { return poolToNHWC(&p.Layout, in) }

// ToNHWC makes a 2-D global pool compute channels-last.
func (p *GlobalAveragePool) ToNHWC(in []Type, _ bool) ([]int, bool) {
	return poolToNHWC(&p.Layout, in)
}

// ToNHWC makes a 2-D global pool compute channels-last.
func (p *GlobalMaxPool) ToNHWC(in []Type, _ bool) ([]int, bool) { return poolToNHWC(&p.Layout, in) }

func poolToNHWC(l *Layout, in []Type) ([]int, bool) {
	if *l == NHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	*l = NHWC
	return []int{0}, true
}

// LiftTo2D runs a 1-D max pool as a 2-D one.
func (p *MaxPool) LiftTo2D(in []Type) (data, weights []int, ok bool) {
	if !liftable(p.Layout, in) || len(p.Kernel) != 1 {
		return nil, nil, false
	}
	p.Window.lift()
	return []int{0}, nil, true
}

// LiftTo2D runs a 1-D average pool as a 2-D one.
func (p *AveragePool) LiftTo2D(in []Type) (data, weights []int, ok bool) {
	if !liftable(p.Layout, in) || len(p.Kernel) != 1 {
		return nil, nil, false
	}
	p.Window.lift()
	return []int{0}, nil, true
}

// LiftTo2D runs a 1-D global pool as a 2-D one.
func (p *GlobalAveragePool) LiftTo2D(in []Type) (data, weights []int, ok bool) {
	return []int{0}, nil, liftable(p.Layout, in)
}

// LiftTo2D runs a 1-D global pool as a 2-D one.
func (p *GlobalMaxPool) LiftTo2D(in []Type) (data, weights []int, ok bool) {
	return []int{0}, nil, liftable(p.Layout, in)
}
