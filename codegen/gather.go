package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).gather)
	emit((*gen).gatherElements)
}

// gather copies the blocks that constant indices pick along the axis.
func (gen *gen) gather(n *ir.Node, op *ir.Gather) error {
	x, idx, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !idx.IsConst() {
		return unsupportedf("Gather with run-time indices")
	}
	xs := batch1(x.Shape)
	outer, d, inner := 1, xs[op.Axis], 1
	for _, s := range xs[:op.Axis] {
		outer *= s
	}
	for _, s := range xs[op.Axis+1:] {
		inner *= s
	}
	picks := make([]string, idx.Const.Len())
	for i := range picks {
		k := idx.Const.Int(i)
		if k < 0 {
			k += int64(d)
		}
		if k < 0 || k >= int64(d) {
			return fmt.Errorf("index %d is out of range for dimension %d", idx.Const.Int(i), d)
		}
		picks[i] = fmt.Sprint(k)
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	_ = y
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for o := 0; o < %d; o++ {", outer)
	gen.line("for j, k := range [...]int{%s} {", strings.Join(picks, ", "))
	gen.line("copy(y[(o*%d+j)*%d:(o*%d+j+1)*%d], x[(o*%d+k)*%d:(o*%d+k+1)*%d])", len(picks), inner, len(picks), inner, d, inner, d, inner)
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}

// gatherElements copies through a table of source positions computed at
// compile time from the constant indices, kept in weights.bin.
func (gen *gen) gatherElements(n *ir.Node, op *ir.GatherElements) error {
	x, idx := n.Inputs[0], n.Inputs[1]
	if !idx.IsConst() {
		return unsupportedf("GatherElements with run-time indices")
	}
	xs, is := batch1(x.Shape), idx.Const.Shape
	if len(is) > 0 && x.Shape[0] == ir.Batch {
		return unsupportedf("GatherElements over a batch dimension")
	}
	xst := contiguous(xs)
	table := make([]int, idx.Const.Len())
	i := 0
	var err error
	forEachIndex(is, func(pos []int) {
		v := int(idx.Const.Int(i))
		if v < 0 {
			v += xs[op.Axis]
		}
		if v < 0 || v >= xs[op.Axis] {
			err = fmt.Errorf("index %d is out of range for dimension %d", idx.Const.Int(i), xs[op.Axis])
		}
		off := 0
		for d, p := range pos {
			if d == op.Axis {
				p = v
			}
			off += p * xst[d]
		}
		table[i] = off
		i++
	})
	if err != nil {
		return err
	}
	tab, err := gen.indexTable(idx.Name, table)
	if err != nil {
		return err
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for i, j := range %s {", tab)
	gen.line("y[i] = x[j]")
	gen.line("}")
	gen.line("}")
	return nil
}

// indexTable keeps a table of non-negative integers below 2^24 in
// weights.bin (as float32 values, which hold them exactly) and returns the
// expression of the []int32 it becomes at load time. Large tables as Go
// literals would slow the build of the generated package down.
func (gen *gen) indexTable(name string, table []int) (string, error) {
	t := ir.Zeros(ir.Float32, ir.Shape{len(table)})
	for i, v := range table {
		if v < 0 || v >= 1<<24 {
			return "", unsupportedf("an index table entry of %d (tables hold values below 2^24)", v)
		}
		t.Floats[i] = float64(v)
	}
	r := gen.constant(t)
	id := gen.names.ident("ix", name)
	fmt.Fprintf(&gen.wfields, "\t%s []int32 // %s\n", id, comment(name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.Int32s(all[%d:%d])\n", id, r.off, r.off+r.n)
	return "w." + id, nil
}
