package codegen

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

// batchNorm emits a BatchNormalization that could not be folded into a
// convolution as a per-channel scale and shift computed at compile time.
func (gen *gen) batchNorm(n *ir.Node, op *ir.BatchNormalization) error {
	for _, v := range n.Inputs[1:5] {
		if !v.IsConst() {
			return unsupportedf("BatchNormalization with run-time statistics")
		}
	}
	x, y := n.Inputs[0], n.Outputs[0]
	shape := batch1(x.Shape)
	axis := op.Layout.ChannelAxis(len(shape))
	c := shape[axis]
	scale, shift := ir.Zeros(ir.Float32, ir.Shape{c}), ir.Zeros(ir.Float32, ir.Shape{c})
	for i := 0; i < c; i++ {
		s := n.Inputs[1].Const.Float(i) / math.Sqrt(n.Inputs[4].Const.Float(i)+op.Epsilon)
		scale.Floats[i] = s
		shift.Floats[i] = n.Inputs[2].Const.Float(i) - n.Inputs[3].Const.Float(i)*s
	}
	sc := gen.weightSlice(n.Name+"/scale", scale)
	sh := gen.weightSlice(n.Name+"/shift", shift)
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	if axis == len(shape)-1 {
		gen.line("runtime.ScaleShift(%s, %s, %d, %d, %s, %s)", dst, src, numel(y.Shape)/c, c, sc, sh)
		return nil
	}
	// Channels first: a per-channel vector broadcast along the inner axes.
	str := make([]int, len(shape))
	str[axis] = 1
	ops := []operand{
		{buf: dst, strides: contiguous(shape)},
		{buf: src, strides: contiguous(shape)},
		{buf: sc, strides: str},
		{buf: sh, strides: str},
	}
	gen.loops(shape, ops, func(o string) string { return "o[" + o + "] = x0*x1 + x2" })
	return nil
}
