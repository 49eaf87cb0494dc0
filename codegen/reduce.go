package codegen

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit(func(gen *gen, n *ir.Node, op *ir.ReduceMean) error { return gen.reduce(n, &op.Reduce, "mean") })
	emit(func(gen *gen, n *ir.Node, op *ir.ReduceSum) error { return gen.reduce(n, &op.Reduce, "sum") })
	emit(func(gen *gen, n *ir.Node, op *ir.ReduceMax) error { return gen.reduce(n, &op.Reduce, "max") })
	emit(func(gen *gen, n *ir.Node, op *ir.ReduceMin) error { return gen.reduce(n, &op.Reduce, "min") })
}

// reduce emits ReduceMean/Sum/Max/Min: initialize the output, then one
// pass over the input accumulating into the output element each input
// element maps to (stride 0 along the reduced axes).
func (gen *gen) reduce(n *ir.Node, r *ir.Reduce, kind string) error {
	x := n.Inputs[0]
	xs := batch1(x.Shape)
	red := r.Reduced(len(xs))
	if len(xs) > 0 && x.Shape[0] == ir.Batch && red[0] {
		return unsupportedf("a reduction over the batch dimension")
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	// A mean or max over the height and width of NHWC data is a global
	// pool, which the runtime vectorizes across the channels.
	if x.Layout == ir.NHWC && len(xs) == 4 && !red[0] && red[1] && red[2] && !red[3] && (kind == "mean" || kind == "max") {
		fn := map[string]string{"mean": "GlobalAvgPool", "max": "GlobalMaxPool"}[kind]
		gen.kernel = fn
		gen.line("runtime.%s(%s, %s, %d, %d)", fn, dst, src, xs[1]*xs[2], xs[3])
		return nil
	}
	// Output strides over the input's axes, 0 where reduced.
	var kept ir.Shape
	for d, s := range xs {
		if !red[d] {
			kept = append(kept, s)
		}
	}
	kstr := contiguous(kept)
	ostr := make([]int, len(xs))
	count := 1
	k := 0
	for d := range xs {
		if red[d] {
			count *= xs[d]
			continue
		}
		ostr[d] = kstr[k]
		k++
	}
	init := map[string]string{"mean": "0", "sum": "0", "max": "runtime.Inf(-1)", "min": "runtime.Inf(1)"}[kind]
	gen.line("{")
	gen.line("y := %s", dst)
	gen.line("for i := range y {")
	gen.line("y[i] = %s", init)
	gen.line("}")
	gen.line("}")
	stmt := map[string]string{
		"mean": "o[%[1]s] += x0",
		"sum":  "o[%[1]s] += x0",
		"max":  "o[%[1]s] = max(o[%[1]s], x0)",
		"min":  "o[%[1]s] = min(o[%[1]s], x0)",
	}[kind]
	gen.loops(xs, []operand{{buf: dst, strides: ostr}, {buf: src, strides: contiguous(xs)}}, func(o string) string { return fmt.Sprintf(stmt, o) })
	if kind == "mean" && count > 1 {
		gen.line("{")
		gen.line("y := %s", dst)
		gen.line("for i := range y {")
		gen.line("y[i] /= %d", count)
		gen.line("}")
		gen.line("}")
	}
	return nil
}
