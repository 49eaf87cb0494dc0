package codegen

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emitQ(func(gen *gen, n *ir.Node, op *ir.QMaxPool) error {
		return gen.qpool(n, &op.Window, op.Layout, "QMaxPool", "")
	})
	emitQ(func(gen *gen, n *ir.Node, op *ir.QLinearAveragePool) error {
		q, err := gen.qrequant(n, 1, 3)
		if err != nil {
			return err
		}
		return gen.qpool(n, &op.Window, op.Layout, "QAvgPool", fmt.Sprintf(", %v, &%s", op.CountIncludePad, q))
	})
	emitQ((*gen).qglobalAvgPool)
	emitQ((*gen).qconcat)
}

// qrequant declares the runtime.QRequant from the per-tensor parameters at
// inputs s1 (scale, zero point after it) to those at s2, in stored form
// (Signed for int8 codes), and returns its name.
func (gen *gen) qrequant(n *ir.Node, s1, s2 int) (string, error) {
	dt := n.Outputs[0].DType
	var f [2]string
	for i, s := range []int{s1, s2} {
		sc, err := constScales(n.Input(s))
		if err != nil {
			return "", err
		}
		z, err := constZeros(n.Input(s+1), dt)
		if err != nil {
			return "", err
		}
		f[i] = fmt.Sprintf("%s, %d", floatLit(float64(sc[0])), z[0])
	}
	id := gen.names.ident("qrq", n.Name)
	fmt.Fprintf(&gen.decls, "var %s = qrequant(%s, %s, %v)\n\n", id, f[0], f[1], dt == ir.Int8)
	gen.qrequantHelper()
	return id, nil
}

// qrequantHelper declares, once, the package function that builds a
// runtime.QRequant from its five fields (a literal would need them
// named, which gofmt lays out on many lines).
func (gen *gen) qrequantHelper() {
	if gen.names.used["qrequant"] {
		return
	}
	gen.names.used["qrequant"] = true
	gen.decls.WriteString("// qrequant is a change of quantization, in the stored form of the codes.\n" +
		"func qrequant(inScale float32, inZero int32, outScale float32, outZero int32, signed bool) runtime.QRequant {\n" +
		"\treturn runtime.QRequant{InScale: inScale, InZero: inZero, OutScale: outScale, OutZero: outZero, Signed: signed}\n}\n\n")
}

// qpool emits a 2-D NHWC pool of 8-bit codes through the runtime, one call
// per batch item.
func (gen *gen) qpool(n *ir.Node, w *ir.Window, layout ir.Layout, fn, extra string) error {
	x, y := n.Inputs[0], n.Outputs[0]
	if layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D %s in %s layout", len(y.Shape)-2, n.Op.OpType(), layout)
	}
	win, err := gen.window(n, w)
	if err != nil {
		return err
	}
	gen.kernel = fn
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("m.rt.Pool.%s(%s, %s, &%s%s)", fn, dst, src, win, extra)
	})
}

// qglobalAvgPool emits QLinearGlobalAveragePool on NHWC data.
func (gen *gen) qglobalAvgPool(n *ir.Node, op *ir.QLinearGlobalAveragePool) error {
	x, y := n.Inputs[0], n.Outputs[0]
	if op.Layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D %s in %s layout", len(y.Shape)-2, n.Op.OpType(), op.Layout)
	}
	q, err := gen.qrequant(n, 1, 3)
	if err != nil {
		return err
	}
	xs := batch1(x.Shape)
	gen.kernel = "QGlobalAvgPool"
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("runtime.QGlobalAvgPool(%s, %s, %d, %d, &%s)", dst, src, xs[1]*xs[2], xs[3], q)
	})
}

// qconcat emits QLinearConcat along any axis: with every tensor seen as
// [outer, rest], each input's rows are requantized (or copied) into its
// column range of the output's rows.
func (gen *gen) qconcat(n *ir.Node, op *ir.QLinearConcat) error {
	y := n.Outputs[0]
	ys := batch1(y.Shape)
	outer := 1
	for _, d := range ys[:op.Axis] {
		outer *= d
	}
	row := numel(y.Shape) / max(outer, 1)
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	gen.kernel = "int8 concat"
	gen.line("{")
	gen.line("y := %s", dst)
	col := 0
	for i := 2; i < len(n.Inputs); i += 3 {
		x := n.Inputs[i]
		w := numel(x.Shape) / max(outer, 1)
		if w == 0 {
			continue
		}
		src, err := gen.qbuf(x)
		if err != nil {
			return err
		}
		q, err := gen.qrequant(n, i+1, 0)
		if err != nil {
			return err
		}
		gen.line("runtime.QRequantize(y[%d:], %d, %s, %d, %d, %d, &%s)", col, row, src, w, outer, w, q)
		col += w
	}
	gen.line("}")
	return nil
}
