package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// unaryExpr is the float32 expression of a unary op that is not one of the
// runtime's activations, in terms of x0.
func unaryExpr(op ir.Op) (string, bool) {
	f := func(fn string) string { return "float32(math." + fn + "(float64(x0)))" }
	switch op.(type) {
	case *ir.Exp:
		return f("Exp"), true
	case *ir.Log:
		return f("Log"), true
	case *ir.Sqrt:
		return f("Sqrt"), true
	case *ir.Erf:
		return f("Erf"), true
	case *ir.Floor:
		return f("Floor"), true
	case *ir.Ceil:
		return f("Ceil"), true
	case *ir.Abs:
		return f("Abs"), true
	case *ir.Neg:
		return "-x0", true
	case *ir.Reciprocal:
		return "1 / x0", true
	}
	return "", false
}

// binaryExpr is the float32 expression of a broadcasting op with n inputs,
// in terms of x0, x1, ...
func binaryExpr(op ir.Op, n int) (string, bool) {
	xs := make([]string, n)
	for i := range xs {
		xs[i] = fmt.Sprintf("x%d", i)
	}
	switch op.(type) {
	case *ir.Add:
		return "x0 + x1", true
	case *ir.Sub:
		return "x0 - x1", true
	case *ir.Mul:
		return "x0 * x1", true
	case *ir.Div:
		return "x0 / x1", true
	case *ir.Pow:
		return "float32(math.Pow(float64(x0), float64(x1)))", true
	case *ir.PRelu:
		// x for x >= 0, slope*x below: one of the two terms is zero.
		return "max(x0, 0) + min(x0, 0)*x1", true
	case *ir.Max:
		if n == 1 {
			return "x0", true
		}
		return "max(" + strings.Join(xs, ", ") + ")", true
	case *ir.Min:
		if n == 1 {
			return "x0", true
		}
		return "min(" + strings.Join(xs, ", ") + ")", true
	case *ir.Sum:
		return strings.Join(xs, " + "), true
	case *ir.Mean:
		return fmt.Sprintf("(%s) / %d", strings.Join(xs, " + "), n), true
	}
	return "", false
}

func (gen *gen) unary(n *ir.Node, expr string) error {
	dst, err := gen.buf(n.Outputs[0])
	if err != nil {
		return err
	}
	return gen.broadcastInto(dst, n.Outputs[0].Shape, n.Inputs[:1], expr)
}

func (gen *gen) broadcast(n *ir.Node, expr string) error {
	dst, err := gen.buf(n.Outputs[0])
	if err != nil {
		return err
	}
	for _, in := range n.Inputs {
		if in == nil {
			return unsupportedf("an omitted input of %s", n.Op.OpType())
		}
	}
	return gen.broadcastInto(dst, n.Outputs[0].Shape, n.Inputs, expr)
}

// broadcastInto emits loops that set every element of dst (of shape out)
// to expr, where xi is the element of inputs[i] that numpy broadcasting
// pairs with it.
func (gen *gen) broadcastInto(dst string, out ir.Shape, inputs []*ir.Value, expr string) error {
	shape := batch1(out)
	ops := []operand{{buf: dst, strides: broadcastStrides(shape, shape, 1)}}
	for _, in := range inputs {
		b, err := gen.buf(in)
		if err != nil {
			return err
		}
		ops = append(ops, operand{buf: b, strides: broadcastStrides(batch1(in.Shape), shape, 1)})
	}
	gen.loops(shape, ops, func(o string) string { return fmt.Sprintf("o[%s] = %s", o, expr) })
	return nil
}

// operand is a tensor addressed affinely inside generated loops: element
// (i0, i1, ...) is buf[off + i0*strides[0] + i1*strides[1] + ...].
type operand struct {
	buf     string
	off     int
	strides []int
}

// loops emits nested loops over shape. ops[0] is the destination, bound
// to o; ops[1:] are read into x0, x1, ... for the statement that stmt
// builds from the destination's index expression. Axes along which every
// operand is contiguous are merged, so a same-shape operation is one loop
// and a bias addition two.
func (gen *gen) loops(shape ir.Shape, ops []operand, stmt func(o string) string) {
	if shape.NumElements(1) == 0 {
		return
	}
	strides := make([][]int, len(ops))
	for i, op := range ops {
		strides[i] = op.strides
	}
	dims, strides := mergeAxes(shape, strides)
	names, vals := []string{"o"}, []string{ops[0].buf}
	for i, op := range ops[1:] {
		names = append(names, fmt.Sprintf("s%d", i))
		vals = append(vals, op.buf)
	}
	gen.line("{")
	gen.line("%s := %s", strings.Join(names, ", "), strings.Join(vals, ", "))
	vars := make([]string, len(dims))
	for d := range dims {
		vars[d] = fmt.Sprintf("i%d", d)
		gen.line("for %s := 0; %s < %d; %s++ {", vars[d], vars[d], dims[d], vars[d])
	}
	index := func(off int, str []int) string {
		var terms []string
		if off != 0 {
			terms = append(terms, fmt.Sprint(off))
		}
		for d, s := range str {
			switch {
			case s == 0:
			case s == 1:
				terms = append(terms, vars[d])
			default:
				terms = append(terms, fmt.Sprintf("%s*%d", vars[d], s))
			}
		}
		if len(terms) == 0 {
			return "0"
		}
		return strings.Join(terms, "+")
	}
	for i, op := range ops[1:] {
		gen.line("x%d := s%d[%s]", i, i, index(op.off, strides[i+1]))
	}
	gen.line("%s", stmt(index(ops[0].off, strides[0])))
	for range dims {
		gen.line("}")
	}
	gen.line("}")
}

// contiguous returns the row-major strides of shape.
func contiguous(shape ir.Shape) []int {
	str := make([]int, len(shape))
	step := 1
	for i := len(shape) - 1; i >= 0; i-- {
		str[i] = step
		step *= shape[i]
	}
	return str
}

// mergeAxes merges neighbouring axes along which every operand keeps
// linear addressing (outer stride = inner stride x inner size, which holds
// for broadcast operands with stride 0 on both), and drops size-1 axes.
func mergeAxes(shape ir.Shape, strides [][]int) ([]int, [][]int) {
	var dims []int
	out := make([][]int, len(strides))
	for d := range shape {
		if shape[d] == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 {
			ok := true
			for i := range strides {
				if out[i][k] != strides[i][d]*shape[d] {
					ok = false
					break
				}
			}
			if ok {
				for i := range strides {
					out[i][k] = strides[i][d]
				}
				dims[k] *= shape[d]
				continue
			}
		}
		dims = append(dims, shape[d])
		for i := range strides {
			out[i] = append(out[i], strides[i][d])
		}
	}
	return dims, out
}
