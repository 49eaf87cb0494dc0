package codegen

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/cnnc/cnnc/ir"
)

// The memory plan can put a value inside a wider one's memory, as a range
// of its columns (ir.MemoryPlan.In): a Concat's inputs written in place,
// a Slice of channels read where it lies. Only kernels that take rows at a
// stride can read or write such a value, so each op's file registers
// which of its operands its kernel so takes, and the compiler hands the
// tables to the planner (passes.Target). The tables are written only
// while the package initializes.
var (
	readsRows  = map[reflect.Type]func(n *ir.Node, i int) bool{}
	writesRows = map[reflect.Type]func(n *ir.Node) bool{}
)

// rowsOf registers, for op type O, whether a node's kernel reads input i
// and writes its output as rows at a stride; nil means never.
func rowsOf[O ir.Op](reads func(n *ir.Node, op O, i int) bool, writes func(n *ir.Node, op O) bool) {
	t := reflect.TypeFor[O]()
	if reads != nil {
		readsRows[t] = func(n *ir.Node, i int) bool { return reads(n, n.Op.(O), i) }
	}
	if writes != nil {
		writesRows[t] = func(n *ir.Node) bool { return writes(n, n.Op.(O)) }
	}
}

// ReadsRows reports whether the code emitted for node n reads its input i
// correctly when the memory plan puts that input inside a wider value's
// memory. With WritesRows it is what passes.Target asks of a generator.
func ReadsRows(n *ir.Node, i int) bool {
	f, ok := readsRows[reflect.TypeOf(n.Op)]
	return ok && f(n, i)
}

// WritesRows reports whether the code emitted for node n writes its
// output correctly when the memory plan puts it inside a wider value's
// memory.
func WritesRows(n *ir.Node) bool {
	f, ok := writesRows[reflect.TypeOf(n.Op)]
	return ok && f(n)
}

// rows returns where v's rows lie: the expression of the memory that
// holds them (v's own, or that of the value whose columns it is), the
// stride of its rows, and v's first column in them.
func (gen *gen) rows(v *ir.Value) (buf string, ld, col int, err error) {
	s, ok := gen.g.Plan.In[v]
	if !ok {
		buf, err = gen.buf(v)
		ld, col = lastDim(v.Shape), 0
		return buf, ld, col, err
	}
	buf, err = gen.buf(s.Of)
	return buf, lastDim(s.Of.Shape), s.Col, err
}

// inPlace reports whether v already lies in the memory of y at column
// col of y's rows, so that a Concat need not copy it there.
func (gen *gen) inPlace(v, y *ir.Value, col int) bool {
	s, ok := gen.g.Plan.In[v]
	if !ok {
		return false
	}
	of, base := y, 0
	if t, ok := gen.g.Plan.In[y]; ok {
		of, base = t.Of, t.Col
	}
	return s.Of == of && s.Col == base+col
}

// rowOperand is the loop operand of a value of shape s in buf whose rows
// (along the last axis) lie ld apart, its first element at col.
func rowOperand(buf string, s ir.Shape, ld, col int) operand {
	str := contiguous(s)
	if len(s) > 0 && ld != s[len(s)-1] {
		for d := len(s) - 2; d >= 0; d-- {
			if d == len(s)-2 {
				str[d] = ld
			} else {
				str[d] = str[d+1] * s[d+1]
			}
		}
	}
	return operand{buf: buf, off: col, strides: str}
}

func lastDim(s ir.Shape) int {
	if len(s) == 0 {
		return 1
	}
	return s[len(s)-1]
}

// inSlot is the error of an emitter asked for a value it cannot reach: a
// planner and a Target that disagree.
func inSlot(v *ir.Value) error {
	return fmt.Errorf("codegen: internal error: value %s lies inside another's memory, which this kernel cannot read or write", strconv.Quote(v.Name))
}

// offsetExpr is buf from element col on.
func offsetExpr(buf string, col int) string {
	if col == 0 {
		return buf
	}
	return buf + "[" + strconv.Itoa(col) + ":]"
}

// plusOffset is "k+" for a generated sum, or "" for k = 0.
func plusOffset(k int) string {
	if k == 0 {
		return ""
	}
	return strconv.Itoa(k) + "+"
}
