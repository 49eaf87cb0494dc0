package ir

import (
	"fmt"
	"math"
)

// BatchNormalization in inference mode: y = (x - mean) / sqrt(var +
// Epsilon) * scale + bias, per channel.
//
// Inputs: X, scale, bias, mean, var (each [C]).
type BatchNormalization struct {
	Epsilon float64
	// Layout decides the channel axis: last for NHWC, 1 otherwise.
	Layout Layout
	// Activation, if set, is applied to the result; the fusion pass sets
	// it for a BatchNorm it could not fold into a convolution (DenseNet's
	// BatchNorm, ReLU, Conv), so that one pass over the data does both.
	Activation Activation
}

// OpType returns "BatchNormalization".
func (*BatchNormalization) OpType() string { return "BatchNormalization" }

// Infer is BatchNormalization's shape rule.
func (b *BatchNormalization) Infer(in []Type) ([]Type, error) {
	if err := need("BatchNormalization", in, 5); err != nil {
		return nil, err
	}
	return inferChannelNorm("BatchNormalization", b.Layout, in, 4)
}

// FusedActivation returns the activation applied to the result.
func (b *BatchNormalization) FusedActivation() Activation { return b.Activation }

// SetActivation makes the BatchNorm apply act to its result.
func (b *BatchNormalization) SetActivation(act Activation) { b.Activation = act }

// Affine returns the normalization as y = x*scale[c] + shift[c], from the
// constant statistics of node n (a BatchNormalization whose inputs 1 to 4
// are constants, over c channels).
func (b *BatchNormalization) Affine(n *Node, c int) (scale, shift *Tensor) {
	scale, shift = Zeros(Float32, Shape{c}), Zeros(Float32, Shape{c})
	for i := 0; i < c; i++ {
		s := n.Inputs[1].Const.Float(i) / math.Sqrt(n.Inputs[4].Const.Float(i)+b.Epsilon)
		scale.Floats[i] = s
		shift.Floats[i] = n.Inputs[2].Const.Float(i) - n.Inputs[3].Const.Float(i)*s
	}
	return scale, shift
}

// InstanceNormalization normalizes each (batch, channel) plane by its own
// mean and variance: y = scale * (x - mean) / sqrt(var + Epsilon) + bias.
//
// Inputs: X, scale ([C]), bias ([C]).
type InstanceNormalization struct {
	Epsilon float64
	Layout  Layout
}

// OpType returns "InstanceNormalization".
func (*InstanceNormalization) OpType() string { return "InstanceNormalization" }

// Infer is InstanceNormalization's shape rule.
func (b *InstanceNormalization) Infer(in []Type) ([]Type, error) {
	if err := need("InstanceNormalization", in, 3); err != nil {
		return nil, err
	}
	if len(in[0].Shape) < 3 {
		return nil, shapeErr("InstanceNormalization", in, "input must have rank 3 or more")
	}
	return inferChannelNorm("InstanceNormalization", b.Layout, in, 2)
}

// inferChannelNorm checks that inputs 1..last are [C] vectors matching the
// channel axis of input 0, and passes input 0's type through.
func inferChannelNorm(op string, layout Layout, in []Type, last int) ([]Type, error) {
	if err := needFloat(op, in, 0); err != nil {
		return nil, err
	}
	for i := 1; i <= last; i++ {
		if !in[i].DType.IsFloat() {
			return nil, fmt.Errorf("%s: input %d is %s, want a floating-point tensor", op, i, in[i].DType)
		}
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, shapeErr(op, in, "input must have rank 2 or more")
	}
	c := x.Shape[layout.ChannelAxis(len(x.Shape))]
	for i := 1; i <= last; i++ {
		if len(in[i].Shape) != 1 || in[i].Shape[0] != c {
			return nil, shapeErr(op, in, "input %d must have shape [%d], one value per channel", i, c)
		}
	}
	return []Type{x}, nil
}

// LRN is local response normalization across channels:
// y = x / (Bias + Alpha/Size * sum of x^2 over Size neighbouring channels)^Beta.
type LRN struct {
	Size              int
	Alpha, Beta, Bias float64
	Layout            Layout
}

// OpType returns "LRN".
func (*LRN) OpType() string { return "LRN" }

// Infer is LRN's shape rule.
func (l *LRN) Infer(in []Type) ([]Type, error) {
	if err := need("LRN", in, 1); err != nil {
		return nil, err
	}
	if err := needFloat("LRN", in, 0); err != nil {
		return nil, err
	}
	if l.Size < 1 {
		return nil, shapeErr("LRN", in, "size must be positive, is %d", l.Size)
	}
	if len(in[0].Shape) < 3 {
		return nil, shapeErr("LRN", in, "input must have rank 3 or more")
	}
	return []Type{in[0]}, nil
}

// ToNHWC lets BatchNormalization follow NHWC data: it works in any layout,
// so it moves only when its input already is channels-last, never to make
// it so.
func (b *BatchNormalization) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if b.Layout == NHWC || !inputNHWC || len(in[0].Shape) != 4 {
		return nil, false
	}
	b.Layout = NHWC
	return []int{0}, true
}

// Work is the size window of every output element.
func (l *LRN) Work(_, out []Type) int64 { return int64(out[0].Shape.PerBatch()) * int64(l.Size) }
