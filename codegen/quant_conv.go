package codegen

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emitQ(func(gen *gen, n *ir.Node, op *ir.QLinearConv) error {
		return gen.intConv(n, &op.Window, op.Group, op.Layout, intConvArgs{x: 0, xz: 2, w: 3, wz: 5, bias: 8, requant: true, act: op.Activation})
	})
	emitQ(func(gen *gen, n *ir.Node, op *ir.ConvInteger) error {
		return gen.intConv(n, &op.Window, op.Group, op.Layout, intConvArgs{x: 0, xz: 2, w: 1, wz: 3, bias: -1})
	})
}

// intConvArgs says where an integer convolution's operands are: input
// indices (-1 for none) and whether it requantizes (QLinearConv: x_scale
// at x+1, w_scale at w+1, y_scale and y_zero at 6 and 7) or stores int32
// sums (ConvInteger).
type intConvArgs struct {
	x, xz, w, wz, bias int
	requant            bool
	act                ir.Activation
}

// intWeights returns a constant 8-bit weight tensor as int8 values and its
// zero points (nil, one, or one per output channel) as int8: uint8 weights
// w with zero point z are int8 weights w-128 with zero point z-128.
func intWeights(w, wz *ir.Value) (vals []byte, zeros []byte, err error) {
	if !w.IsConst() {
		return nil, nil, unsupportedf("a quantized %s with run-time weights", "layer")
	}
	d := int64(0)
	if w.DType == ir.Uint8 {
		d = -128
	}
	vals = make([]byte, w.Const.Len())
	for i, v := range w.Const.Ints {
		vals[i] = byte(int8(v + d))
	}
	switch {
	case wz == nil && d == 0:
		return vals, nil, nil
	case wz == nil:
		return vals, []byte{byte(int8(d))}, nil
	case !wz.IsConst():
		return nil, nil, unsupportedf("weight zero points computed at run time")
	}
	zeros = make([]byte, wz.Const.Len())
	for i, v := range wz.Const.Ints {
		zeros[i] = byte(int8(v + d))
	}
	return vals, zeros, nil
}

// zeroArg is the stored uint8 zero point of an activation operand as a Go
// expression: a literal for a constant (or an omitted one), the byte in
// the arena for a run-time scalar.
func (gen *gen) zeroArg(v *ir.Value, dt ir.DType) (string, error) {
	if v == nil || v.IsConst() {
		z, err := constZeros(v, dt)
		if err != nil {
			return "", err
		}
		if len(z) != 1 {
			return "", unsupportedf("per-channel zero points of the data")
		}
		return fmt.Sprint(z[0]), nil
	}
	if numel(v.Shape) != 1 {
		return "", unsupportedf("per-channel zero points of the data")
	}
	e, err := gen.buf(v)
	if err != nil {
		return "", err
	}
	return e + "[0]", nil
}

// epilogue declares the QEpilogue of a quantized GEMM or convolution with
// n output columns among the shared weights and returns its expression
// ("nil" for int32 sums): bias and per-column multipliers x_scale *
// w_scale[j] / y_scale.
func (gen *gen) qepilogue(node *ir.Node, a intConvArgs, groups, perGroup int) (string, error) {
	if !a.requant {
		if a.bias >= 0 && node.Input(a.bias) != nil {
			return "", unsupportedf("a bias of int32 sums")
		}
		return "nil", nil
	}
	xs, err := constScales(node.Input(a.x + 1))
	if err != nil {
		return "", err
	}
	ws, err := constScales(node.Input(a.w + 1))
	if err != nil {
		return "", err
	}
	ys, err := constScales(node.Inputs[6])
	if err != nil {
		return "", err
	}
	y := node.Outputs[0]
	yz, err := constZeros(node.Input(7), y.DType)
	if err != nil {
		return "", err
	}
	m := groups * perGroup
	mult := make([]float32, m)
	for j := range mult {
		mult[j] = qscale(xs[0], ws[min(j, len(ws)-1)], ys[0])
	}
	scale := gen.float32Field(node.Name+"/requant", mult)
	bias := ""
	if b := node.Input(a.bias); b != nil {
		if !b.IsConst() {
			return "", unsupportedf("a quantized bias computed at run time")
		}
		v := b.Const.Ints
		if len(v) == 1 && m > 1 {
			v = repeat(v[0], m)
		}
		bias = gen.int32Field("qb", b.Name, v)
	}
	clamp := clampLit(a.act, ys[0], yz[0], y.DType)
	id := gen.names.ident("qep", node.Name)
	fmt.Fprintf(&gen.wfields, "\t%s [%d]runtime.QEpilogue // %s\n", id, groups, comment(node.Name))
	for g := 0; g < groups; g++ {
		lo, hi := g*perGroup, (g+1)*perGroup
		parts := fmt.Sprintf("Scale: %s[%d:%d]", scale, lo, hi)
		if bias != "" {
			parts = fmt.Sprintf("Bias: %s[%d:%d], %s", bias, lo, hi, parts)
		}
		fmt.Fprintf(&gen.wload, "\tw.%s[%d] = runtime.QEpilogue{%s, ZeroPoint: %d%s}\n", id, g, parts, yz[0], clamp)
	}
	return "w." + id, nil
}

// outKind is the runtime.QOutput constructor of a value's stored form.
func outKind(v *ir.Value) string {
	if v.DType == ir.Int32 {
		return "runtime.OutInt32"
	}
	return "runtime.OutU8"
}

// intConv emits a 2-D NHWC integer convolution with constant weights: a
// depthwise one as runtime.QDepthwiseConv, any other as runtime.QConv2D
// per group (im2col in chunks and the int8 GEMM), requantizing or storing
// int32 sums in the store step.
func (gen *gen) intConv(n *ir.Node, win *ir.Window, group int, layout ir.Layout, a intConvArgs) error {
	x, wv, y := n.Inputs[a.x], n.Inputs[a.w], n.Outputs[0]
	if layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D %s in %s layout", len(y.Shape)-2, n.Op.OpType(), layout)
	}
	if !wv.IsConst() || !constParams(n, a) {
		return gen.intConvLoops(n, win, group, a)
	}
	vals, zeros, err := intWeights(wv, n.Input(a.wz))
	if err != nil {
		return err
	}
	za, err := gen.zeroArg(n.Input(a.xz), x.DType)
	if err != nil {
		return err
	}
	xs, ys, ws := batch1(x.Shape), batch1(y.Shape), wv.Shape
	c, m, kh, kw := xs[3], ys[3], ws[2], ws[3]
	cing, coutg := c/group, m/group
	depthwise := group > 1 && ws[1] == 1 && group == c
	groups := group
	if depthwise {
		groups = 1
	}
	ep, err := gen.qepilogue(n, a, groups, m/groups)
	if err != nil {
		return err
	}
	winID, err := gen.window(n, win)
	if err != nil {
		return err
	}
	wts := gen.bytesField("qw", wv.Name, "int8", vals)
	zb := "nil"
	if zeros != nil {
		zb = gen.bytesField("qwz", wv.Name+"/zero", "int8", zeros)
	}
	zbAt := func(lo, hi int) string {
		if zeros == nil || len(zeros) == 1 {
			return zb
		}
		return fmt.Sprintf("%s[%d:%d]", zb, lo, hi)
	}
	epAt := func(g int) string {
		if ep == "nil" {
			return "nil"
		}
		return fmt.Sprintf("&%s[%d]", ep, g)
	}
	pk := gen.names.ident("qpk", n.Name)
	out := outKind(y)
	if depthwise {
		gen.kernel = fmt.Sprintf("int8 depthwise %dx%d", kh, kw)
		fmt.Fprintf(&gen.wfields, "\t%s *runtime.PackedQDepthwise // %s\n", pk, comment(wv.Name))
		fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackQDepthwise(%s, %d, %d, %d, %s)\n", pk, wts, m, kh, kw, zb)
		return gen.perItem(x, y, func(s, d string) {
			gen.line("m.rt.Pool.QDepthwiseConv(%s(%s), %d, %s, &%s, %d, %s, w.%s, %s)", out, d, m, s, winID, m/c, za, pk, epAt(0))
		})
	}
	gen.kernel = "int8 im2col+gemm"
	if kh == 1 && kw == 1 && win.Strides[0] == 1 && win.Strides[1] == 1 {
		gen.kernel = "int8 gemm (1x1)"
	}
	if groups > 1 {
		gen.kernel += fmt.Sprintf(", %d groups", groups)
	}
	per := coutg * cing * kh * kw
	fmt.Fprintf(&gen.wfields, "\t%s [%d]*runtime.PackedQB // %s\n", pk, groups, comment(wv.Name))
	for g := 0; g < groups; g++ {
		fmt.Fprintf(&gen.wload, "\tw.%s[%d] = runtime.PackQConv(%s[%d:%d], %d, %d, %d, %d, %s)\n", pk, g, wts, g*per, (g+1)*per, coutg, cing, kh, kw, zbAt(g*coutg, (g+1)*coutg))
	}
	gen.work = append(gen.work, fmt.Sprintf("(p.QConv2DWorkSize(&%s, %d)+3)/4", winID, kh*kw*cing))
	return gen.perItem(x, y, func(s, d string) {
		if groups == 1 {
			gen.line("m.rt.Pool.QConv2D(%s(%s), %d, %s, &%s, 0, %s, w.%s[0], %s, runtime.ArenaBytes(m.rt.Work))", out, d, m, s, winID, za, pk, epAt(0))
			return
		}
		for g := 0; g < groups; g++ {
			gen.line("m.rt.Pool.QConv2D(%s(%s[%d:]), %d, %s, &%s, %d, %s, w.%s[%d], %s, runtime.ArenaBytes(m.rt.Work))", out, d, g*coutg, m, s, winID, g*cing, za, pk, g, epAt(g))
		}
	})
}

// constParams reports whether the weights' zero points, the scales, the
// output's zero point and the bias of an integer convolution or matrix
// product are constants, which the packed kernels need (the data's zero
// point may be a run-time scalar).
func constParams(n *ir.Node, a intConvArgs) bool {
	idx := []int{a.wz}
	if a.requant {
		idx = append(idx, a.x+1, a.w+1, 6, 7, a.bias)
	}
	for _, i := range idx {
		if v := n.Input(i); v != nil && !v.IsConst() {
			return false
		}
	}
	return true
}
