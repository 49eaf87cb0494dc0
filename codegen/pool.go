package codegen

import (
	"fmt"
	"strconv"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit(func(gen *gen, n *ir.Node, op *ir.MaxPool) error {
		return gen.pool(n, &op.Window, op.Layout, "MaxPool", "")
	})
	emit(func(gen *gen, n *ir.Node, op *ir.AveragePool) error {
		return gen.pool(n, &op.Window, op.Layout, "AvgPool", ", "+strconv.FormatBool(op.CountIncludePad))
	})
	emit(func(gen *gen, n *ir.Node, op *ir.GlobalAveragePool) error {
		return gen.globalPool(n, op.Layout, "GlobalAvgPool")
	})
	emit(func(gen *gen, n *ir.Node, op *ir.GlobalMaxPool) error {
		return gen.globalPool(n, op.Layout, "GlobalMaxPool")
	})
}

// pool emits a 2-D NHWC max or average pool through the runtime, one call
// per batch item.
func (gen *gen) pool(n *ir.Node, w *ir.Window, layout ir.Layout, fn, extra string) error {
	x, y := n.Inputs[0], n.Outputs[0]
	if layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D %s in %s layout", len(y.Shape)-2, n.Op.OpType(), layout)
	}
	gen.kernel = fn
	win, err := gen.window(n, w)
	if err != nil {
		return err
	}
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("m.rt.Pool.%s(%s, %s, &%s%s)", fn, dst, src, win, extra)
	})
}

// globalPool emits GlobalAveragePool or GlobalMaxPool on NHWC data.
func (gen *gen) globalPool(n *ir.Node, layout ir.Layout, fn string) error {
	x, y := n.Inputs[0], n.Outputs[0]
	if layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D %s in %s layout", len(y.Shape)-2, n.Op.OpType(), layout)
	}
	xs := batch1(x.Shape)
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("runtime.%s(%s, %s, %d, %d)", fn, dst, src, xs[1]*xs[2], xs[3])
	})
}

// perItem emits body once per batch item of a fixed batch (once for a
// symbolic batch, which forward runs item by item), with src and dst the
// item's slices of x and y.
func (gen *gen) perItem(x, y *ir.Value, body func(src, dst string)) error {
	src, err := gen.buf(x)
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	batch := batch1(x.Shape)[0]
	if batch == 1 {
		body(src, dst)
		return nil
	}
	in, out := numel(x.Shape)/batch, numel(y.Shape)/batch
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for b := 0; b < %d; b++ {", batch)
	body(fmt.Sprintf("x[b*%d:(b+1)*%d]", in, in), fmt.Sprintf("y[b*%d:(b+1)*%d]", out, out))
	gen.line("}")
	gen.line("}")
	return nil
}
