package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emitQ(func(gen *gen, n *ir.Node, _ *ir.QLinearAdd) error { return gen.qbinary(n, "QAdd") })
	emitQ(func(gen *gen, n *ir.Node, _ *ir.QLinearMul) error { return gen.qbinary(n, "QMul") })
	emitQ((*gen).qlookup)
	emitQ((*gen).qlinearActivation)
}

// qbinary emits QLinearAdd or QLinearMul as runtime.QAdd or runtime.QMul:
// operands of the output's shape, or one of them repeating along the
// other (a broadcast along leading axes, such as a per-channel operand of
// NHWC data).
func (gen *gen) qbinary(n *ir.Node, fn string) error {
	y := n.Outputs[0]
	ys := batch1(y.Shape)
	first, second := 0, 3 // input index of each operand; its scale and zero point follow it
	a, b := n.Inputs[first], n.Inputs[second]
	// groups > 0: one operand matches the output on its leading axes and
	// broadcasts along the rest ([N, C, 1, 1] against [N, C, H, W], a
	// squeeze-and-excitation scale left in NCHW, or [N, 1, 1, C] against
	// [N, H, W, C] for a fixed batch of N): done a group at a time, each
	// group a broadcast of small values along leading axes.
	groups, small := 0, 0
	if !trailing(batch1(a.Shape), ys) || !trailing(batch1(b.Shape), ys) {
		ga, sa := perGroup(batch1(a.Shape), ys)
		gb, sb := perGroup(batch1(b.Shape), ys)
		groups, small = max(ga, gb), max(sa, sb)
		if groups == 0 {
			return unsupportedf("a %s broadcasting %v and %v", n.Op.OpType(), a.Shape, b.Shape)
		}
	}
	swapped := false
	switch {
	case numel(a.Shape) == numel(y.Shape):
	case numel(b.Shape) == numel(y.Shape):
		first, second = second, first // both ops commute; QAdd's rounding follows the op's order
		swapped = true
	default:
		return unsupportedf("a %s broadcasting both operands", n.Op.OpType())
	}
	var fields []string
	for _, p := range []struct {
		name string
		at   int
	}{{"A", first}, {"B", second}, {"Y", 5}} {
		s, err := constScales(n.Input(p.at + 1))
		if err != nil {
			return err
		}
		z, err := constZeros(n.Input(p.at+2), y.DType)
		if err != nil {
			return err
		}
		fields = append(fields, fmt.Sprintf("%sScale: %s, %sZero: %d", p.name, floatLit(float64(s[0])), p.name, z[0]))
	}
	if swapped {
		fields = append(fields, "Swapped: true")
	}
	if y.DType == ir.Int8 {
		fields = append(fields, "Signed: true") // ONNX Runtime's int8 rounding
	}
	x1, err := gen.qbuf(n.Inputs[first])
	if err != nil {
		return err
	}
	x2, err := gen.qbuf(n.Inputs[second])
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	id := gen.names.ident("qbin", n.Name)
	fmt.Fprintf(&gen.decls, "var %s = runtime.QBinary{%s}\n\n", id, strings.Join(fields, ", "))
	gen.kernel = "int8 " + strings.ToLower(fn[1:])
	if groups > 0 {
		per := numel(ys) / groups
		gen.line("for g := 0; g < %d; g++ {", groups)
		gen.line("runtime.%s(%s[g*%d:(g+1)*%d], %s[g*%d:(g+1)*%d], %s[g*%d:(g+1)*%d], &%s)", fn, dst, per, per, x1, per, per, x2, small, small, id)
		gen.line("}")
		return nil
	}
	gen.line("runtime.%s(%s, %s, %s, &%s)", fn, dst, x1, x2, id)
	return nil
}

// perGroup reports whether an operand of shape s equals out on its
// leading k > 0 axes and broadcasts along leading axes of the rest
// ([N, C, 1, 1] against [N, C, H, W]; [N, 1, 1, C] against [N, H, W, C]):
// then out is groups contiguous groups, the product of those k axes, each
// combined with small values of the operand. It returns 0, 0 otherwise.
func perGroup(s, out ir.Shape) (groups, small int) {
	if len(s) != len(out) {
		return 0, 0
	}
	k := 0
	for k < len(s) && s[k] == out[k] {
		k++
	}
	if k == 0 || k == len(s) || !trailing(s[k:], out[k:]) {
		return 0, 0
	}
	return numel(out[:k]), numel(s[k:])
}

// trailing reports whether s broadcasts to out by repeating along leading
// axes only: without its leading ones, s equals out's trailing axes.
func trailing(s, out ir.Shape) bool {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) > len(out) {
		return false
	}
	return s.Equal(out[len(out)-len(s):])
}

// qlookup emits a table lookup of 8-bit codes: the table, in the stored
// form of the output codes and indexed by the stored input code, is a
// package-level array.
func (gen *gen) qlookup(n *ir.Node, _ *ir.QLookup) error {
	x, tv, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !tv.IsConst() {
		return unsupportedf("a lookup table computed at run time")
	}
	codes := storedCodes(tv.Const)
	vals := make([]string, len(codes))
	for i, c := range codes {
		vals[i] = fmt.Sprint(c)
	}
	src, dst, err := gen.bufPair(x, y)
	if err != nil {
		return err
	}
	id := gen.names.ident("qtab", n.Name)
	fmt.Fprintf(&gen.decls, "var %s = [256]uint8{%s}\n\n", id, strings.Join(vals, ", "))
	gen.kernel = "int8 lookup"
	gen.line("runtime.QLookup(%s, %s, &%s)", dst, src, id)
	return nil
}

// qlinearActivation emits QLinearLeakyRelu or QLinearSigmoid whose scales
// or zero points are computed at run time (the qdq pass makes constant
// ones QLookup tables with the reference): the table of the 256 codes is
// computed in each pass as ONNX Runtime computes it, and as the reference
// does, with the runtime's float32 kernels (DequantizeU8, Activate or,
// for the sigmoid, SigmoidORT, QuantizeU8), then applied.
func (gen *gen) qlinearActivation(n *ir.Node, op *ir.QLinearActivation) error {
	x, y := n.Inputs[0], n.Outputs[0]
	kind, alpha, beta, err := actFields(op.Act)
	if err != nil {
		return err
	}
	xs, _, err := gen.qparamExpr(n.Inputs[1], ir.Float32, false)
	if err != nil {
		return err
	}
	xz, _, err := gen.qparamExpr(n.Input(2), x.DType, true)
	if err != nil {
		return err
	}
	ys, _, err := gen.qparamExpr(n.Inputs[3], ir.Float32, false)
	if err != nil {
		return err
	}
	yz, _, err := gen.qparamExpr(n.Input(4), y.DType, true)
	if err != nil {
		return err
	}
	src, dst, err := gen.bufPair(x, y)
	if err != nil {
		return err
	}
	id := gen.names.ident("qact", n.Name)
	fmt.Fprintf(&gen.mfields, "\t%s struct{ codes, table [256]uint8; vals [256]float32 } // %s's table\n", id, comment(n.Name))
	fmt.Fprintf(&gen.mnew, "\tfor i := range m.%s.codes {\n\t\tm.%s.codes[i] = uint8(i)\n\t}\n", id, id)
	gen.kernel = "int8 lookup"
	gen.line("{")
	gen.line("t := &m.%s", id)
	gen.line("runtime.DequantizeU8(t.vals[:], t.codes[:], %s[:1], %s[:1])", xs, xz)
	if _, ok := op.Act.(*ir.Sigmoid); ok {
		gen.line("runtime.SigmoidORT(t.vals[:])")
	} else {
		gen.line("runtime.Activate(t.vals[:], %s, %s, %s)", kind, floatLit(alpha), floatLit(beta))
	}
	gen.line("runtime.QuantizeU8(t.table[:], t.vals[:], %s[:1], %s[:1])", ys, yz)
	gen.line("runtime.QLookup(%s, %s, &t.table)", dst, src)
	gen.line("}")
	return nil
}
