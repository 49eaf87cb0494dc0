package ir

import "fmt"

// ChannelShuffle permutes the channels of an image as ShuffleNet's channel
// shuffle does: with C channels in Groups groups of C/Groups, output
// channel i*Groups + j is input channel j*(C/Groups) + i. Exporters write
// it as Reshape to [N, groups, C/groups, H, W], Transpose [0, 2, 1, 3, 4]
// and Reshape back, which the fuse-channel-shuffle pass recognizes; as one
// op it follows its input into NHWC, where it is a gather within each
// pixel, instead of forcing the data back to NCHW around a rank-5
// transpose.
type ChannelShuffle struct {
	Groups int
	// Layout says where the channel axis is; LayoutAny means NCHW.
	Layout Layout
}

// OpType returns "ChannelShuffle" (no ONNX operator has the name).
func (*ChannelShuffle) OpType() string { return "ChannelShuffle" }

// Infer is ChannelShuffle's shape rule.
func (s *ChannelShuffle) Infer(in []Type) ([]Type, error) {
	const op = "ChannelShuffle"
	if err := need(op, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, shapeErr(op, in, "input must have rank 2 or more")
	}
	s.Layout = imageLayout(s.Layout)
	c := x.Shape[s.Layout.ChannelAxis(len(x.Shape))]
	if s.Groups < 1 || c == Batch || c%s.Groups != 0 {
		return nil, shapeErr(op, in, "%d groups do not divide %d channels", s.Groups, c)
	}
	if c > maxDim {
		return nil, fmt.Errorf("%s: %d channels", op, c)
	}
	return []Type{{DType: x.DType, Shape: x.Shape, Layout: s.Layout}}, nil
}

// Source returns the input channel that output channel o reads, of c.
func (s *ChannelShuffle) Source(o, c int) int {
	per := c / s.Groups
	return (o%s.Groups)*per + o/s.Groups
}

// ToNHWC lets a rank-4 ChannelShuffle follow NHWC data.
func (s *ChannelShuffle) ToNHWC(in []Type, inputNHWC bool) ([]int, bool) {
	if !inputNHWC || len(in[0].Shape) != 4 || s.Layout == NHWC {
		return nil, false
	}
	s.Layout = NHWC
	return []int{0}, true
}
