package ir

// PadMode is how Pad fills the border.
type PadMode uint8

// The pad modes of ONNX Pad.
const (
	PadConstant PadMode = iota
	PadReflect
	PadEdge
	PadWrap
)

// String returns the ONNX spelling.
func (m PadMode) String() string {
	switch m {
	case PadReflect:
		return "reflect"
	case PadEdge:
		return "edge"
	case PadWrap:
		return "wrap"
	}
	return "constant"
}

// Pad adds a border: Pads holds every axis' begin pad, then every axis' end
// pad. Negative pads crop.
type Pad struct {
	Pads  []int
	Mode  PadMode
	Value float64
}

// OpType returns "Pad".
func (*Pad) OpType() string { return "Pad" }

// Infer is Pad's shape rule.
func (p *Pad) Infer(in []Type) ([]Type, error) {
	if err := need("Pad", in, 1); err != nil {
		return nil, err
	}
	x := in[0].Shape
	r := len(x)
	if len(p.Pads) != 2*r {
		return nil, shapeErr("Pad", in, "pads %v must have 2 x rank = %d entries", p.Pads, 2*r)
	}
	out := make(Shape, r)
	for i, d := range x {
		b, e := p.Pads[i], p.Pads[r+i]
		if d == Batch {
			if b != 0 || e != 0 {
				return nil, shapeErr("Pad", in, "cannot pad the batch dimension")
			}
			out[i] = Batch
			continue
		}
		if b > maxDim || e > maxDim || b < -maxDim || e < -maxDim {
			return nil, shapeErr("Pad", in, "pads %v are out of range", p.Pads)
		}
		out[i] = d + b + e
		if out[i] < 0 {
			return nil, shapeErr("Pad", in, "pads %v crop dimension %d below zero", p.Pads, i)
		}
		if p.Mode == PadReflect && (b >= d || e >= d) && (b > 0 || e > 0) {
			return nil, shapeErr("Pad", in, "reflect pads %v must be smaller than dimension %d (%d)", p.Pads, i, d)
		}
		if (p.Mode == PadEdge || p.Mode == PadWrap) && d == 0 && (b > 0 || e > 0) {
			return nil, shapeErr("Pad", in, "cannot %s-pad an empty dimension", p.Mode)
		}
	}
	if err := checkSize("Pad", out); err != nil {
		return nil, err
	}
	return []Type{{DType: in[0].DType, Shape: out, Layout: in[0].Layout}}, nil
}

// ToNHWC lets a rank-4 Pad follow NHWC data by permuting its pads.
func (p *Pad) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 || len(p.Pads) != 8 {
		return nil, false
	}
	q := p.Pads
	p.Pads = []int{q[0], q[2], q[3], q[1], q[4], q[6], q[7], q[5]}
	return []int{0}, true
}

// Source maps position i of a padded axis, counted from the input's first
// element (so i < 0 lies in the begin pad), to the input position it
// copies, or -1 where the constant goes. size is the input's extent on
// that axis. The code generator tabulates it at compile time; the
// reference evaluator calls it at run time. Sharing it is safe because the
// ONNX node tests (reflect, edge, wrap, constant, negative pads) check the
// evaluator's results against outputs ONNX computed.
func (p *Pad) Source(i, size int) int {
	if i >= 0 && i < size {
		return i
	}
	switch p.Mode {
	case PadEdge:
		return min(max(i, 0), size-1)
	case PadWrap:
		return ((i % size) + size) % size
	case PadReflect:
		if size == 1 {
			return 0
		}
		period := 2 * (size - 1)
		q := ((i % period) + period) % period
		if q >= size {
			q = period - q
		}
		return q
	}
	return -1
}

// PassesThrough reports a Pad that adds nothing on any side (exporters
// write one before pools whose padding they folded elsewhere).
func (p *Pad) PassesThrough(*Node) bool {
	for _, v := range p.Pads {
		if v != 0 {
			return false
		}
	}
	return true
}
