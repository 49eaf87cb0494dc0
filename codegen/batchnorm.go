package codegen

import (
	"fmt"
	"strconv"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).batchNorm)
	// The channels-last BatchNorm with constant statistics is one
	// ScaleShiftStrided call, which takes rows at any stride.
	rowsOf(func(n *ir.Node, op *ir.BatchNormalization, i int) bool { return i == 0 && scaleShiftBN(n, op) },
		func(n *ir.Node, op *ir.BatchNormalization) bool { return scaleShiftBN(n, op) })
	emit((*gen).instanceNorm)
	emit((*gen).lrn)
}

// scaleShiftBN reports whether batchNorm emits n as ScaleShiftStrided.
func scaleShiftBN(n *ir.Node, op *ir.BatchNormalization) bool {
	for _, v := range n.Inputs[1:] {
		if v == nil || !v.IsConst() {
			return false
		}
	}
	r := len(n.Inputs[0].Shape)
	return r >= 2 && op.Layout.ChannelAxis(r) == r-1
}

// batchNorm emits a BatchNormalization that could not be folded into a
// convolution as a per-channel scale and shift computed at compile time,
// with its fused activation in the same pass.
func (gen *gen) batchNorm(n *ir.Node, op *ir.BatchNormalization) error {
	x, y := n.Inputs[0], n.Outputs[0]
	shape := batch1(x.Shape)
	axis := op.Layout.ChannelAxis(len(shape))
	kind, alpha, beta, err := actFields(op.Activation)
	if err != nil {
		return err
	}
	for _, v := range n.Inputs[1:5] {
		if !v.IsConst() {
			if err := gen.batchNormRunTime(n, op, shape, axis); err != nil {
				return err
			}
			return gen.activateInPlace(n.Outputs[0], op.Activation)
		}
	}
	c := shape[axis]
	scale, shift := op.Affine(n, c)
	sc := gen.weightSlice(n.Name+"/scale", scale)
	sh := gen.weightSlice(n.Name+"/shift", shift)
	if axis == len(shape)-1 {
		src, lds, cs, err := gen.rows(x)
		if err != nil {
			return err
		}
		dst, ldd, cd, err := gen.rows(y)
		if err != nil {
			return err
		}
		gen.kernel = "scale+shift"
		if op.Activation != nil {
			gen.kernel += ", " + op.Activation.OpType()
		}
		if lds == c && ldd == c && kind == "runtime.ActNone" {
			gen.line("runtime.ScaleShift(%s, %s, %d, %d, %s, %s)", dst, src, numel(y.Shape)/c, c, sc, sh)
			return nil
		}
		if lds == c && ldd == c {
			gen.line("runtime.ScaleShiftAct(%s, %s, %d, %d, %s, %s, %s, %s, %s)", dst, src, numel(y.Shape)/c, c, sc, sh, kind, floatLit(alpha), floatLit(beta))
			return nil
		}
		gen.line("runtime.ScaleShiftStrided(%s, %d, %s, %d, %d, %d, %s, %s, %s, %s, %s)", offsetExpr(dst, cd), ldd, offsetExpr(src, cs), lds, numel(y.Shape)/c, c, sc, sh, kind, floatLit(alpha), floatLit(beta))
		return nil
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
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
	return gen.activateInPlace(y, op.Activation)
}

// batchNormRunTime is BatchNormalization whose statistics are run-time
// tensors: the formula element by element.
func (gen *gen) batchNormRunTime(n *ir.Node, op *ir.BatchNormalization, shape ir.Shape, axis int) error {
	str := make([]int, len(shape))
	str[axis] = 1
	ops := []operand{{strides: contiguous(shape)}, {strides: contiguous(shape)}}
	var err error
	if ops[0].buf, err = gen.buf(n.Outputs[0]); err != nil {
		return err
	}
	if ops[1].buf, err = gen.buf(n.Inputs[0]); err != nil {
		return err
	}
	for _, v := range n.Inputs[1:5] {
		b, err := gen.buf(v)
		if err != nil {
			return err
		}
		ops = append(ops, operand{buf: b, strides: str})
	}
	gen.loops(shape, ops, func(o string) string {
		return fmt.Sprintf("o[%s] = (x0-x3)/float32(%s.Sqrt(float64(x4)+%s))*x1 + x2", o, gen.imp("math"), strconv.FormatFloat(op.Epsilon, 'g', -1, 64))
	})
	return nil
}

// instanceNorm normalizes each (item, channel) plane of NCHW data by its
// own mean and variance, accumulated in float64.
func (gen *gen) instanceNorm(n *ir.Node, op *ir.InstanceNormalization) error {
	if op.Layout == ir.NHWC {
		return unsupportedf("InstanceNormalization in NHWC layout")
	}
	shape := batch1(n.Inputs[0].Shape)
	c, plane := shape[1], 1
	for _, d := range shape[2:] {
		plane *= d
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	scale, err := gen.buf(n.Inputs[1])
	if err != nil {
		return err
	}
	bias, err := gen.buf(n.Inputs[2])
	if err != nil {
		return err
	}
	gen.line("{")
	gen.line("x, y, scale, bias := %s, %s, %s, %s", src, dst, scale, bias)
	gen.line("for p := 0; p < %d; p++ {", shape[0]*c)
	gen.line("xs, ys := x[p*%d:(p+1)*%d], y[p*%d:(p+1)*%d]", plane, plane, plane, plane)
	gen.line("var sum, sq float64")
	gen.line("for _, v := range xs {")
	gen.line("sum += float64(v)")
	gen.line("}")
	gen.line("mean := sum / %d", plane)
	gen.line("for _, v := range xs {")
	gen.line("d := float64(v) - mean")
	gen.line("sq += d * d")
	gen.line("}")
	gen.line("inv := 1 / %s.Sqrt(sq/%d+%s)", gen.imp("math"), plane, strconv.FormatFloat(op.Epsilon, 'g', -1, 64))
	gen.line("s, b := float64(scale[p%%%d]), float64(bias[p%%%d])", c, c)
	gen.line("for i, v := range xs {")
	gen.line("ys[i] = float32((float64(v)-mean)*inv*s + b)")
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}

// lrn emits local response normalization across the channels of NCHW
// data.
func (gen *gen) lrn(n *ir.Node, op *ir.LRN) error {
	if op.Layout == ir.NHWC {
		return unsupportedf("LRN in NHWC layout")
	}
	shape := batch1(n.Inputs[0].Shape)
	c, plane := shape[1], 1
	for _, d := range shape[2:] {
		plane *= d
	}
	lo, hi := (op.Size-1)/2, (op.Size-1)-(op.Size-1)/2
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for b := 0; b < %d; b++ {", shape[0])
	gen.line("for ch := 0; ch < %d; ch++ {", c)
	gen.line("for i := 0; i < %d; i++ {", plane)
	gen.line("var sq float64")
	gen.line("for k := max(0, ch-%d); k <= min(%d, ch+%d); k++ {", lo, c-1, hi)
	gen.line("v := float64(x[(b*%d+k)*%d+i])", c, plane)
	gen.line("sq += v * v")
	gen.line("}")
	gen.line("at := (b*%d+ch)*%d + i", c, plane)
	gen.line("y[at] = float32(float64(x[at]) / %s.Pow(%s+%s*sq, %s))", gen.imp("math"), f(op.Bias), f(op.Alpha/float64(op.Size)), f(op.Beta))
	gen.line("}")
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}
