package codegen

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emitWhole(alias[*ir.Identity], aliasWhole[*ir.Identity])
	emitWhole(alias[*ir.Dropout], aliasWhole[*ir.Dropout])

	// The activations run on the runtime's kernels, named by their
	// runtime.ActKind and its two parameters (and fuse into a
	// convolution's or GEMM's store step, see fuse-activation).
	act(func(*ir.Relu) (string, float64, float64) { return "ActRelu", 0, 0 })
	act(func(a *ir.LeakyRelu) (string, float64, float64) { return "ActLeakyRelu", a.Alpha, 0 })
	act(func(*ir.Sigmoid) (string, float64, float64) { return "ActSigmoid", 0, 0 })
	act(func(*ir.Tanh) (string, float64, float64) { return "ActTanh", 0, 0 })
	act(func(a *ir.HardSigmoid) (string, float64, float64) { return "ActHardSigmoid", a.Alpha, a.Beta })
	act(func(*ir.HardSwish) (string, float64, float64) { return "ActHardSwish", 0, 0 })
	act(func(a *ir.Clip) (string, float64, float64) { return "ActClip", a.Min, a.Max })
	act(func(a *ir.Elu) (string, float64, float64) { return "ActElu", a.Alpha, 0 })
	act(func(a *ir.Selu) (string, float64, float64) { return "ActSelu", a.Alpha, a.Gamma })
	act(func(*ir.Softplus) (string, float64, float64) { return "ActSoftplus", 0, 0 })
	act(func(*ir.Exp) (string, float64, float64) { return "ActExp", 0, 0 })
	act(func(*ir.Erf) (string, float64, float64) { return "ActErf", 0, 0 })

	// The other unary ops are an expression of x0 in a loop.
	emit(unary[*ir.Log](mathCall("Log")))
	emit(unary[*ir.Sqrt](mathCall("Sqrt")))
	emit(unary[*ir.Floor](mathCall("Floor")))
	emit(unary[*ir.Ceil](mathCall("Ceil")))
	emit(unary[*ir.Abs](mathCall("Abs")))
	emit(unary[*ir.Neg](plain("-x0")))
	emit(unary[*ir.Reciprocal](plain("1 / x0")))

	// Broadcasting ops: an expression of x0, x1, ... .
	emit(broadcast[*ir.Add](plain("x0 + x1")))
	emit(broadcast[*ir.Sub](plain("x0 - x1")))
	emit(mul)
	emit(broadcast[*ir.Div](plain("x0 / x1")))
	emit(broadcast[*ir.Pow](func(gen *gen, _ int) string {
		return "float32(" + gen.imp("math") + ".Pow(float64(x0), float64(x1)))"
	}))
	// x for x >= 0, slope*x below: one of the two terms is zero.
	emit(broadcast[*ir.PRelu](plain("max(x0, 0) + min(x0, 0)*x1")))
	emit(broadcast[*ir.Max](variadic("max(", ", ", ")")))
	emit(broadcast[*ir.Min](variadic("min(", ", ", ")")))
	emit(broadcast[*ir.Sum](variadic("", " + ", "")))
	emit(broadcast[*ir.Mean](func(_ *gen, n int) string {
		return fmt.Sprintf("(%s) / %d", strings.Join(xs(n), " + "), n)
	}))

	const boolean = "bool values are not computed by generated code, which is float32 throughout"
	noEmitter[*ir.Less](boolean)
	noEmitter[*ir.Greater](boolean)
	noEmitter[*ir.Equal](boolean)
	noEmitter[*ir.Where](boolean + " (its condition)")
	noEmitter[*ir.Cast]("a Cast to another type yields a run-time value other than float32 (a float-to-float32 Cast is removed by the passes)")
}

// expr builds the float32 expression of an element-wise op with n inputs
// named x0, x1, ...; gen lets it import what it calls.
type expr func(gen *gen, n int) string

func plain(s string) expr { return func(*gen, int) string { return s } }

// mathCall is a float64 function of package math applied to x0.
func mathCall(fn string) expr {
	return func(gen *gen, _ int) string { return "float32(" + gen.imp("math") + "." + fn + "(float64(x0)))" }
}

// variadic joins x0 ... x(n-1) between open and close; a single input is
// itself.
func variadic(open, sep, close string) expr {
	return func(_ *gen, n int) string {
		if n == 1 {
			return "x0"
		}
		return open + strings.Join(xs(n), sep) + close
	}
}

func xs(n int) []string {
	x := make([]string, n)
	for i := range x {
		x[i] = fmt.Sprintf("x%d", i)
	}
	return x
}

// actKinds maps an activation's op type to its runtime.ActKind name and
// parameters.
var actKinds = map[reflect.Type]func(ir.Activation) (string, float64, float64){}

// act registers an activation: the runtime kind it maps to, and its
// stand-alone emitter.
func act[O ir.Activation](kind func(O) (string, float64, float64)) {
	actKinds[reflect.TypeFor[O]()] = func(a ir.Activation) (string, float64, float64) { return kind(a.(O)) }
	emit(func(gen *gen, n *ir.Node, op O) error { return gen.activation(n, op) })
}

// mul emits Mul; a product by one value per channel of the last axis
// (a squeeze-and-excitation block's channel scale on NHWC data) is the
// runtime's vectorized ScaleShift, the rest broadcasting loops.
func mul(gen *gen, n *ir.Node, op *ir.Mul) error {
	out := batch1(n.Outputs[0].Shape)
	if len(out) > 0 && len(n.Inputs) == 2 && n.Inputs[0] != nil && n.Inputs[1] != nil {
		c := out[len(out)-1]
		for i := range 2 {
			x, s := n.Inputs[i], n.Inputs[1-i]
			if batch1(x.Shape).Equal(out) && perLastAxis(batch1(s.Shape), c) && c > 1 {
				src, err := gen.buf(x)
				if err != nil {
					return err
				}
				scale, err := gen.buf(s)
				if err != nil {
					return err
				}
				dst, err := gen.buf(n.Outputs[0])
				if err != nil {
					return err
				}
				gen.kernel = "scale channels"
				gen.line("runtime.ScaleShift(%s, %s, %d, %d, %s, nil)", dst, src, out.NumElements(1)/c, c, scale)
				return nil
			}
		}
	}
	return broadcast[*ir.Mul](plain("x0 * x1"))(gen, n, op)
}

// perLastAxis reports whether shape s holds c values along its last axis
// and nothing else ([C], [1, 1, 1, C]).
func perLastAxis(s ir.Shape, c int) bool {
	if len(s) == 0 || s[len(s)-1] != c {
		return false
	}
	for _, d := range s[:len(s)-1] {
		if d != 1 {
			return false
		}
	}
	return true
}

func unary[O ir.Op](e expr) func(*gen, *ir.Node, O) error {
	return func(gen *gen, n *ir.Node, _ O) error {
		dst, err := gen.buf(n.Outputs[0])
		if err != nil {
			return err
		}
		return gen.broadcastInto(dst, n.Outputs[0].Shape, n.Inputs[:1], e(gen, 1))
	}
}

func broadcast[O ir.Op](e expr) func(*gen, *ir.Node, O) error {
	return func(gen *gen, n *ir.Node, _ O) error {
		dst, err := gen.buf(n.Outputs[0])
		if err != nil {
			return err
		}
		for _, in := range n.Inputs {
			if in == nil {
				return unsupportedf("an omitted input of %s", n.Op.OpType())
			}
		}
		return gen.broadcastInto(dst, n.Outputs[0].Shape, n.Inputs, e(gen, len(n.Inputs)))
	}
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
	for i, op := range ops[1:] {
		gen.line("x%d := s%d[%s]", i, i, indexExpr(vars, op.off, strides[i+1]))
	}
	gen.line("%s", stmt(indexExpr(vars, ops[0].off, strides[0])))
	for range dims {
		gen.line("}")
	}
	gen.line("}")
}

// copyLoops is loops with the statement o = x0 (ops[0] the destination,
// ops[1] the source), whose innermost axis, where both operands step by
// one along it, becomes one copy call (a memmove) instead of a loop of
// single floats: the channel copies of Slices and Concats.
func (gen *gen) copyLoops(shape ir.Shape, ops []operand) {
	if shape.NumElements(1) == 0 {
		return
	}
	dims, strides := mergeAxes(shape, [][]int{ops[0].strides, ops[1].strides})
	last := len(dims) - 1
	if last < 0 || dims[last] < 4 || strides[0][last] != 1 || strides[1][last] != 1 {
		gen.loops(shape, ops, func(o string) string { return "o[" + o + "] = x0" })
		return
	}
	if gen.kernel == "" {
		gen.kernel = "copy"
	}
	gen.line("{")
	gen.line("o, s0 := %s, %s", ops[0].buf, ops[1].buf)
	vars := make([]string, last)
	for d := range vars {
		vars[d] = fmt.Sprintf("i%d", d)
		gen.line("for %s := 0; %s < %d; %s++ {", vars[d], vars[d], dims[d], vars[d])
	}
	do, so := indexExpr(vars, ops[0].off, strides[0]), indexExpr(vars, ops[1].off, strides[1])
	gen.line("copy(o[%s:%s+%d], s0[%s:%s+%d])", do, do, dims[last], so, so, dims[last])
	for range vars {
		gen.line("}")
	}
	gen.line("}")
}

// indexExpr is the index off + sum of vars[d]*str[d] over the loop
// variables of loops and copyLoops (str may be longer than vars: the
// innermost axis of a copy has no variable).
func indexExpr(vars []string, off int, str []int) string {
	var terms []string
	if off != 0 {
		terms = append(terms, fmt.Sprint(off))
	}
	for d, v := range vars {
		switch s := str[d]; s {
		case 0:
		case 1:
			terms = append(terms, v)
		default:
			terms = append(terms, fmt.Sprintf("%s*%d", v, s))
		}
	}
	if len(terms) == 0 {
		return "0"
	}
	return strings.Join(terms, "+")
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
