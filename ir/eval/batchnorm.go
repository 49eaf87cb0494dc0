package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalBatchNorm)
	register(evalInstanceNorm)
	register(evalLRN)
}

// channelOf returns, for a tensor of the given shape, the channel count
// and a function from element index to channel: the channel axis is the
// last one for NHWC and axis 1 otherwise.
func channelOf(shape ir.Shape, l ir.Layout) (int, func(i int) int) {
	ca := l.ChannelAxis(len(shape))
	c := shape[ca]
	inner := prod(shape[ca+1:])
	return c, func(i int) int { return i / inner % c }
}

// evalBatchNorm is inference-mode BatchNormalization:
// y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel, then
// the fused activation.
func evalBatchNorm(op *ir.BatchNormalization, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, scale, bias, mean, variance := in[0], in[1], in[2], in[3], in[4]
	act, err := activation(op.Activation)
	if err != nil {
		return nil, err
	}
	y := newTensor(out)
	c, ch := channelOf(x.Shape, op.Layout)
	sd := make([]float64, c)
	for i := range sd {
		sd[i] = math.Sqrt(elemFloat(variance, i) + op.Epsilon)
	}
	for i, v := range x.Floats {
		k := ch(i)
		y.Floats[i] = (v-elemFloat(mean, k))/sd[k]*elemFloat(scale, k) + elemFloat(bias, k)
		if act != nil {
			y.Floats[i] = act(y.Floats[i])
		}
	}
	return y, nil
}

// evalInstanceNorm normalizes every (batch, channel) plane by its own mean
// and population variance:
// y = scale * (x - mean) / sqrt(var + epsilon) + bias.
func evalInstanceNorm(op *ir.InstanceNormalization, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, scale, bias := in[0], in[1], in[2]
	xi := imageOf(x.Shape, op.Layout)
	y := newTensor(out)
	plane := xi.planeOffsets()
	cnt := float64(len(plane))
	for n := range xi.n {
		for c := range xi.c {
			b := n*xi.bs + c*xi.cs
			var mean float64
			for _, p := range plane {
				mean += x.Floats[b+p]
			}
			mean /= cnt
			var variance float64
			for _, p := range plane {
				d := x.Floats[b+p] - mean
				variance += d * d
			}
			variance /= cnt
			inv := 1 / math.Sqrt(variance+op.Epsilon)
			for _, p := range plane {
				y.Floats[b+p] = elemFloat(scale, c)*(x.Floats[b+p]-mean)*inv + elemFloat(bias, c)
			}
		}
	}
	return y, nil
}

// evalLRN is ONNX LRN across channels:
// y = x / (bias + alpha/size * square_sum)^beta, where square_sum at
// channel c adds x^2 over channels c - floor((size-1)/2) through
// c + ceil((size-1)/2), clipped to the existing ones.
func evalLRN(op *ir.LRN, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x := in[0]
	xi := imageOf(x.Shape, op.Layout)
	y := newTensor(out)
	plane := xi.planeOffsets()
	before, after := (op.Size-1)/2, op.Size/2 // floor and ceil of (size-1)/2
	for n := range xi.n {
		for c := range xi.c {
			lo, hi := max(0, c-before), min(xi.c-1, c+after)
			for _, p := range plane {
				var sq float64
				for j := lo; j <= hi; j++ {
					v := x.Floats[n*xi.bs+j*xi.cs+p]
					sq += v * v
				}
				i := n*xi.bs + c*xi.cs + p
				y.Floats[i] = x.Floats[i] / math.Pow(op.Bias+op.Alpha/float64(op.Size)*sq, op.Beta)
			}
		}
	}
	return y, nil
}
