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
	// Max and average pools write rows at any stride (MaxPoolStrided), so
	// a pool feeding a Concat writes into it.
	rowsOf(nil, func(n *ir.Node, op *ir.MaxPool) bool { return op.Layout == ir.NHWC && len(n.Outputs[0].Shape) == 4 })
	rowsOf(nil, func(n *ir.Node, op *ir.AveragePool) bool { return op.Layout == ir.NHWC && len(n.Outputs[0].Shape) == 4 })
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
	if _, ok := gen.g.Plan.In[y]; ok {
		return gen.poolRows(x, y, fn, win, extra)
	}
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("m.rt.Pool.%s(%s, %s, &%s%s)", fn, dst, src, win, extra)
	})
}

// poolRows is a pool whose output lies in a wider value's memory (a
// Concat's input written in place).
func (gen *gen) poolRows(x, y *ir.Value, fn, win, extra string) error {
	src, err := gen.buf(x)
	if err != nil {
		return err
	}
	dst, ld, col, err := gen.rows(y)
	if err != nil {
		return err
	}
	xs, ys := batch1(x.Shape), batch1(y.Shape)
	batch := xs[0]
	if batch == 1 {
		gen.line("m.rt.Pool.%sStrided(%s, %d, %s, &%s%s)", fn, offsetExpr(dst, col), ld, src, win, extra)
		return nil
	}
	in, out := numel(x.Shape)/batch, ys[1]*ys[2]*ld
	gen.line("for b := 0; b < %d; b++ {", batch)
	gen.line("m.rt.Pool.%sStrided(%s[b*%d+%d:], %d, %s[b*%d:(b+1)*%d], &%s%s)", fn, dst, out, col, ld, src, in, in, win, extra)
	gen.line("}")
	return nil
}

// globalPool emits GlobalAveragePool or GlobalMaxPool on NHWC data.
func (gen *gen) globalPool(n *ir.Node, layout ir.Layout, fn string) error {
	x, y := n.Inputs[0], n.Outputs[0]
	if layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D %s in %s layout", len(y.Shape)-2, n.Op.OpType(), layout)
	}
	xs := batch1(x.Shape)
	if fn == "GlobalAvgPool" {
		// The pool's form sums ranges of pixels on its goroutines: a
		// squeeze-and-excitation block's pool would otherwise read, on
		// one core, a map the other cores just wrote.
		gen.work = append(gen.work, fmt.Sprintf("p.GlobalAvgPoolWorkSize(%d)", xs[3]))
		gen.kernel = "GlobalAvgPool"
		return gen.perItem(x, y, func(src, dst string) {
			gen.line("m.rt.Pool.GlobalAvgPool(%s, %s, %d, %d, m.rt.Work)", dst, src, xs[1]*xs[2], xs[3])
		})
	}
	return gen.perItem(x, y, func(src, dst string) {
		gen.line("runtime.%s(%s, %s, %d, %d)", fn, dst, src, xs[1]*xs[2], xs[3])
	})
}

// bufPair returns the buffer expressions of an op's input x and output y.
func (gen *gen) bufPair(x, y *ir.Value) (src, dst string, err error) {
	if src, err = gen.buf(x); err != nil {
		return "", "", err
	}
	dst, err = gen.buf(y)
	return src, dst, err
}

// perItem emits body once per batch item of a fixed batch (once for a
// symbolic batch, which forward runs item by item), with src and dst the
// item's slices of x and y.
func (gen *gen) perItem(x, y *ir.Value, body func(src, dst string)) error {
	src, dst, err := gen.bufPair(x, y)
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
