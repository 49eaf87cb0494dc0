package codegen

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

// Direct loops for the integer convolutions and matrix products whose
// weights or quantization parameters are computed at run time (the ONNX
// node tests feed them as inputs): slow, but exact and allocation-free.
// Models with constant weights take the packed kernels instead.

// qparamExpr is the expression of a scale (float32) or stored zero point
// ([]uint8) operand and its length: a weight field for a constant, the
// arena or an input for a run-time value. An omitted zero point is the
// stored code of 0.
func (gen *gen) qparamExpr(v *ir.Value, dt ir.DType, zero bool) (string, int, error) {
	if zero && (v == nil || v.IsConst()) {
		z, err := constZeros(v, dt)
		if err != nil {
			return "", 0, err
		}
		b := make([]byte, len(z))
		for i, x := range z {
			b[i] = byte(x)
		}
		name := "zero"
		if v != nil {
			name = v.Name
		}
		return gen.bytesField("qz", name, "uint8", b), len(b), nil
	}
	if v.IsConst() {
		s, err := constScales(v)
		if err != nil {
			return "", 0, err
		}
		return gen.float32Field(v.Name, s), len(s), nil
	}
	if zero && !ir.Is8Bit(v.DType) || !zero && v.DType != ir.Float32 {
		return "", 0, unsupportedf("a run-time %s quantization parameter", v.DType)
	}
	e, err := gen.buf(v)
	return e, numel(v.Shape), err
}

// at indexes a parameter expression of length n by idx when it has one
// value per channel.
func at(e string, n int, idx string) string {
	if n == 1 {
		return e + "[0]"
	}
	return e + "[" + idx + "]"
}

// loopParams holds the expressions the direct loops read.
type loopParams struct {
	xz, wz         string // stored zero points, per tensor or per channel
	nxz, nwz       int
	xs, ws, ys, yz string // requantization (QLinear ops)
	nws            int
	bias           string
	lo, hi         int64 // stored code range of the output
}

func (gen *gen) loopParams(n *ir.Node, a intConvArgs) (*loopParams, error) {
	x, w, y := n.Inputs[a.x], n.Inputs[a.w], n.Outputs[0]
	p := &loopParams{}
	var err error
	if p.xz, p.nxz, err = gen.qparamExpr(n.Input(a.xz), x.DType, true); err != nil {
		return nil, err
	}
	if p.wz, p.nwz, err = gen.qparamExpr(n.Input(a.wz), w.DType, true); err != nil {
		return nil, err
	}
	if !a.requant {
		if a.bias >= 0 && n.Input(a.bias) != nil {
			return nil, unsupportedf("a bias of int32 sums")
		}
		return p, nil
	}
	if a.act != nil {
		return nil, unsupportedf("a fused %s with run-time weights", a.act.OpType())
	}
	var one int
	if p.xs, _, err = gen.qparamExpr(n.Input(a.x+1), ir.Float32, false); err != nil {
		return nil, err
	}
	if p.ws, p.nws, err = gen.qparamExpr(n.Input(a.w+1), ir.Float32, false); err != nil {
		return nil, err
	}
	if p.ys, _, err = gen.qparamExpr(n.Inputs[6], ir.Float32, false); err != nil {
		return nil, err
	}
	if p.yz, one, err = gen.qparamExpr(n.Input(7), y.DType, true); err != nil {
		return nil, err
	}
	p.yz = at(p.yz, one, "0")
	if b := n.Input(a.bias); b != nil {
		if p.bias, err = gen.qbuf(b); err != nil {
			return nil, err
		}
		if numel(b.Shape) == 1 {
			p.bias += "[0:1]"
		}
	}
	lo, hi := ir.QuantRange(y.DType)
	p.lo, p.hi = lo+shift(y.DType), hi+shift(y.DType)
	return p, nil
}

// store is the statement writing sum s of output channel (or column) j to
// y[idx].
func (p *loopParams) store(y *ir.Value, idx, j string) string {
	if y.DType == ir.Int32 {
		return fmt.Sprintf("y[%s] = s", idx)
	}
	s := "s"
	if p.bias != "" {
		s = fmt.Sprintf("s + bias[%s%%len(bias)]", j)
	}
	return fmt.Sprintf("y[%s] = runtime.QRequantScalar(%s, runtime.QScale(%s[0], %s, %s[0]), int32(%s), %d, %d)",
		idx, s, p.xs, at(p.ws, p.nws, j), p.ys, p.yz, p.lo, p.hi)
}

// intMatMulLoops emits numpy's matmul of integer codes as direct loops.
func (gen *gen) intMatMulLoops(n *ir.Node, a intConvArgs) error {
	x, w, y := n.Inputs[a.x], n.Inputs[a.w], n.Outputs[0]
	p, err := gen.loopParams(n, a)
	if err != nil {
		return err
	}
	as, bs := batch1(x.Shape), batch1(w.Shape)
	if len(as) < 2 || len(bs) < 2 {
		return unsupportedf("a %s of a rank-1 operand with run-time weights", n.Op.OpType())
	}
	ra, rb := len(as), len(bs)
	mm, k, nn := as[ra-2], as[ra-1], bs[rb-1]
	batch, err := ir.BroadcastShapes(as[:ra-2], bs[:rb-2])
	if err != nil {
		return err
	}
	aStr := broadcastStrides(as[:ra-2], batch, mm*k)
	bStr := broadcastStrides(bs[:rb-2], batch, k*nn)
	var offs []string
	forEachIndex(batch, func(idx []int) {
		ao, bo := 0, 0
		for i, v := range idx {
			ao += v * aStr[i]
			bo += v * bStr[i]
		}
		offs = append(offs, fmt.Sprintf("{%d, %d}", ao, bo))
	})
	src, err := gen.qbuf(x)
	if err != nil {
		return err
	}
	wsrc, err := gen.qbuf(w)
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	gen.kernel = "int8 matmul loops"
	gen.line("{")
	gen.line("x, wt, y := %s, %s, %s", src, wsrc, dst)
	if p.bias != "" {
		gen.line("bias := %s", p.bias)
	}
	gen.line("for bi, o := range [...][2]int{%s} {", joinComma(offs))
	gen.line("for i := 0; i < %d; i++ {", mm)
	gen.line("for j := 0; j < %d; j++ {", nn)
	gen.line("var s int32")
	gen.line("for kk := 0; kk < %d; kk++ {", k)
	gen.line("s += (int32(x[o[0]+i*%d+kk]) - int32(%s)) * (int32(wt[o[1]+kk*%d+j]) - int32(%s))", k, at(p.xz, p.nxz, "i"), nn, at(p.wz, p.nwz, "j"))
	gen.line("}")
	gen.line("%s", p.store(y, fmt.Sprintf("bi*%d+i*%d+j", mm*nn, nn), "j"))
	gen.line("}")
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}

// intConvLoops emits a 2-D NHWC integer convolution as direct loops.
func (gen *gen) intConvLoops(n *ir.Node, win *ir.Window, group int, a intConvArgs) error {
	x, w, y := n.Inputs[a.x], n.Inputs[a.w], n.Outputs[0]
	if p := n.Input(a.xz); p != nil && numel(p.Shape) != 1 {
		return unsupportedf("per-channel zero points of the data")
	}
	p, err := gen.loopParams(n, a)
	if err != nil {
		return err
	}
	xs, ys, ws := batch1(x.Shape), batch1(y.Shape), w.Shape
	h, wd, c := xs[1], xs[2], xs[3]
	oh, ow, m := ys[1], ys[2], ys[3]
	kh, kw := ws[2], ws[3]
	cing, coutg := c/group, m/group
	wsrc, err := gen.qbuf(w)
	if err != nil {
		return err
	}
	gen.kernel = "int8 conv loops"
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("{")
		gen.line("x, wt, y := %s, %s, %s", src, wsrc, dst)
		if p.bias != "" {
			gen.line("bias := %s", p.bias)
		}
		gen.line("for oy := 0; oy < %d; oy++ {", oh)
		gen.line("for ox := 0; ox < %d; ox++ {", ow)
		gen.line("for oc := 0; oc < %d; oc++ {", m)
		gen.line("g := oc / %d", coutg)
		gen.line("var s int32")
		gen.line("for ky := 0; ky < %d; ky++ {", kh)
		gen.line("iy := oy*%d - %d + ky*%d", win.Strides[0], win.Pads[0], win.Dilations[0])
		gen.line("if iy < 0 || iy >= %d {", h)
		gen.line("continue")
		gen.line("}")
		gen.line("for kx := 0; kx < %d; kx++ {", kw)
		gen.line("ix := ox*%d - %d + kx*%d", win.Strides[1], win.Pads[1], win.Dilations[1])
		gen.line("if ix < 0 || ix >= %d {", wd)
		gen.line("continue")
		gen.line("}")
		gen.line("for ci := 0; ci < %d; ci++ {", cing)
		gen.line("s += (int32(x[(iy*%d+ix)*%d+g*%d+ci]) - int32(%s)) * (int32(wt[((oc*%d+ci)*%d+ky)*%d+kx]) - int32(%s))", wd, c, cing, at(p.xz, p.nxz, "0"), cing, kh, kw, at(p.wz, p.nwz, "oc"))
		gen.line("}")
		gen.line("}")
		gen.line("}")
		gen.line("%s", p.store(y, fmt.Sprintf("(oy*%d+ox)*%d+oc", ow, m), "oc"))
		gen.line("}")
		gen.line("}")
		gen.line("}")
		gen.line("}")
	})
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
