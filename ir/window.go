package ir

import "fmt"

// AutoPad is how a convolution or pooling window pads its input when no
// explicit pads are given. Shape inference turns every mode into explicit
// (begin, end) pads and resets the mode to PadExplicit.
type AutoPad uint8

// The padding modes. PadSameUpper is Keras/TensorFlow "same" and ONNX
// SAME_UPPER: the output size is ceil(in/stride) and an odd total pad puts
// the extra element at the end; PadSameLower puts it at the start.
const (
	PadExplicit AutoPad = iota // ONNX NOTSET: use Pads as given
	PadValid
	PadSameUpper
	PadSameLower
)

// String returns the ONNX spelling.
func (a AutoPad) String() string {
	switch a {
	case PadValid:
		return "VALID"
	case PadSameUpper:
		return "SAME_UPPER"
	case PadSameLower:
		return "SAME_LOWER"
	}
	return "NOTSET"
}

// Window is the sliding-window geometry shared by convolution and pooling.
// Every slice has one entry per spatial axis, except Pads, which holds all
// begin pads and then all end pads, as ONNX does: [h_begin, w_begin, h_end,
// w_end].
type Window struct {
	// Kernel is the window's size; a Conv takes it from its weights when
	// nil.
	Kernel []int
	// Strides default to 1 when nil.
	Strides []int
	// Pads default to 0 when nil.
	Pads []int
	// Dilations default to 1 when nil.
	Dilations []int
	AutoPad   AutoPad
	// CeilMode rounds the output size up instead of down (pooling only).
	CeilMode bool
}

// resolve fills defaults (strides and dilations 1, pads 0), turns AutoPad
// into explicit pads for the given spatial input sizes, and returns the
// spatial output sizes. An output that would be empty is an error.
func (w *Window) resolve(in []int) ([]int, error) {
	n := len(in)
	if len(w.Kernel) != n {
		return nil, fmt.Errorf("kernel has %d dimensions, input has %d spatial dimensions", len(w.Kernel), n)
	}
	if w.Strides == nil {
		w.Strides = ints(n, 1)
	}
	if w.Dilations == nil {
		w.Dilations = ints(n, 1)
	}
	if w.Pads == nil {
		w.Pads = ints(2*n, 0)
	}
	if len(w.Strides) != n || len(w.Dilations) != n || len(w.Pads) != 2*n {
		return nil, fmt.Errorf("strides %v, dilations %v and pads %v do not fit %d spatial dimensions", w.Strides, w.Dilations, w.Pads, n)
	}
	for i := 0; i < n; i++ {
		if w.Kernel[i] < 1 || w.Strides[i] < 1 || w.Dilations[i] < 1 {
			return nil, fmt.Errorf("kernel %v, strides %v and dilations %v must be positive", w.Kernel, w.Strides, w.Dilations)
		}
		if w.Kernel[i] > maxDim || w.Strides[i] > maxDim || w.Dilations[i] > maxDim {
			return nil, fmt.Errorf("kernel %v, strides %v or dilations %v is out of range", w.Kernel, w.Strides, w.Dilations)
		}
		if w.Pads[i] < 0 || w.Pads[n+i] < 0 || w.Pads[i] > maxDim || w.Pads[n+i] > maxDim {
			return nil, fmt.Errorf("pads %v must be between 0 and 2^31", w.Pads)
		}
	}
	out := make([]int, n)
	for i := 0; i < n; i++ {
		eff := (w.Kernel[i]-1)*w.Dilations[i] + 1 // extent of the dilated kernel
		s := w.Strides[i]
		switch w.AutoPad {
		case PadValid:
			w.Pads[i], w.Pads[n+i] = 0, 0
		case PadSameUpper, PadSameLower:
			o := (in[i] + s - 1) / s
			total := max(0, (o-1)*s+eff-in[i])
			small, big := total/2, total-total/2
			if w.AutoPad == PadSameUpper {
				w.Pads[i], w.Pads[n+i] = small, big
			} else {
				w.Pads[i], w.Pads[n+i] = big, small
			}
		}
		span := in[i] + w.Pads[i] + w.Pads[n+i] - eff
		if span < 0 {
			return nil, fmt.Errorf("window %d (kernel %d, dilation %d) is larger than the padded input %d (input %d, pads %d+%d) on spatial axis %d",
				eff, w.Kernel[i], w.Dilations[i], in[i]+w.Pads[i]+w.Pads[n+i], in[i], w.Pads[i], w.Pads[n+i], i)
		}
		if w.CeilMode {
			out[i] = (span+s-1)/s + 1
			// The last window must start inside the input or its begin
			// padding, not entirely in the end padding.
			if (out[i]-1)*s >= in[i]+w.Pads[i] {
				out[i]--
			}
		} else {
			out[i] = span/s + 1
		}
	}
	w.AutoPad = PadExplicit
	return out, nil
}

// spatial splits an activation type into its batch, channel and spatial
// sizes according to layout.
func spatial(op string, t Type, layout Layout, minRank int) (n, c int, sp []int, err error) {
	r := len(t.Shape)
	if r < minRank {
		return 0, 0, nil, fmt.Errorf("%s: input has rank %d, want at least %d (batch, channels, spatial...)", op, r, minRank)
	}
	ca := layout.ChannelAxis(r)
	for _, a := range layout.SpatialAxes(r) {
		sp = append(sp, t.Shape[a])
	}
	return t.Shape[0], t.Shape[ca], sp, nil
}

// assemble builds an activation shape from batch, channel and spatial
// sizes according to layout.
func assemble(n, c int, sp []int, layout Layout) Shape {
	s := Shape{n}
	if layout == NHWC {
		s = append(s, sp...)
		return append(s, c)
	}
	s = append(s, c)
	return append(s, sp...)
}

// imageLayout defaults an op's layout to NCHW, ONNX's.
func imageLayout(l Layout) Layout {
	if l == LayoutAny {
		return NCHW
	}
	return l
}
