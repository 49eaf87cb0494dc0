package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emitWhole((*gen).gemm, gemmWhole)
	emit(func(gen *gen, n *ir.Node, _ *ir.MatMul) error { return gen.matmul(n) })
}

// gemm emits Y = act(alpha*op(A)*op(B) + beta*C). With constant weights B
// (every Dense/Linear layer) it is one packed Sgemm: alpha is folded into
// the packed B, a per-column C becomes the epilogue's bias, any other C is
// broadcast into Y first and accumulated through the epilogue's residual.
// Run-time weights get plain loops.
func (gen *gen) gemm(n *ir.Node, op *ir.Gemm) error {
	a, bv, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	as, ys := batch1(a.Shape), batch1(y.Shape)
	m, k, nn := as[0], as[1], ys[1]
	if op.TransA {
		m, k = as[1], as[0]
	}
	src, err := gen.buf(a)
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	cv := n.Input(2)
	if op.Beta == 0 {
		cv = nil
	}
	if !bv.IsConst() || op.TransA || a.IsConst() {
		return gen.gemmLoops(n, op, src, dst, m, k, nn, cv)
	}
	bias, viaResidual := "", false
	if cv != nil {
		if vec, ok := columnVector(cv, nn); ok && cv.IsConst() {
			t := ir.Zeros(ir.Float32, ir.Shape{nn})
			for i := range vec {
				t.Floats[i] = op.Beta * vec[i]
			}
			bias = gen.weightSlice(cv.Name, t)
		} else {
			viaResidual = true
		}
	}
	// Fold alpha into the packed weights.
	bt := bv.Const
	if op.Alpha != 1 {
		scaled := bt.Clone()
		for i := range scaled.Floats {
			scaled.Floats[i] *= op.Alpha
		}
		bt = scaled
	}
	ref := gen.constant(bt)
	ldb := nn
	if op.TransB {
		ldb = k
	}
	pk := gen.names.ident("pk", n.Name)
	fmt.Fprintf(&gen.wfields, "\t%s *runtime.PackedB // %s\n", pk, comment(bv.Name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackB(%d, %d, all[%d:%d], %d, %v)\n", pk, k, nn, ref.off, ref.off+ref.n, ldb, op.TransB)
	ep, err := gen.epilogueField(n, bias, op.Activation)
	if err != nil {
		return err
	}
	gen.work = append(gen.work, fmt.Sprintf("runtime.SgemmWorkSize(%d, %d)", m, k))
	gen.kernel = "sgemm"
	gen.line("{")
	gen.line("y := %s", dst)
	if viaResidual {
		if err := gen.broadcastInto("y", y.Shape, []*ir.Value{cv}, fmt.Sprintf("%s * x0", floatLit(op.Beta))); err != nil {
			return err
		}
		gen.line("m.%s.Residual = y", ep)
	}
	rows := strconv.Itoa(m)
	if gen.whole {
		// The batch's items are the GEMM's rows: one product, the
		// weights read once, instead of a matrix-vector product per item.
		rows = times("n", m)
	}
	gen.line("m.rt.Pool.Sgemm(%s, %s, %d, w.%s, y, %d, &m.%s, m.rt.Work)", rows, src, k, pk, nn, ep)
	gen.line("}")
	return nil
}

// gemmWhole reports whether a Gemm runs once for a whole batch: the plain
// path (constant weights, A with the batch as its rows, a bias that is a
// vector) does; the loops and a broadcast C added through the residual
// run per item.
func gemmWhole(n *ir.Node, op *ir.Gemm) bool {
	a, bv := n.Inputs[0], n.Inputs[1]
	if !bv.IsConst() || op.TransA || a.IsConst() || len(a.Shape) != 2 || a.Shape[0] != ir.Batch {
		return false
	}
	if cv := n.Input(2); cv != nil && op.Beta != 0 {
		if _, ok := columnVector(cv, n.Outputs[0].Shape[1]); !ok || !cv.IsConst() {
			return false
		}
	}
	return true
}

// columnVector returns C's values when it is one value per output column
// (shape [N], [1,N] or a scalar).
func columnVector(c *ir.Value, n int) ([]float64, bool) {
	if !c.IsConst() {
		return nil, false
	}
	s := c.Shape
	if len(s) > 2 || (len(s) == 2 && s[0] != 1) || (len(s) >= 1 && s[len(s)-1] != n && s[len(s)-1] != 1) {
		return nil, false
	}
	out := make([]float64, n)
	for i := range out {
		if c.Const.Len() == 1 {
			out[i] = c.Const.Float(0)
		} else {
			out[i] = c.Const.Float(i)
		}
	}
	return out, true
}

// gemmLoops is the Gemm of run-time weights: plain loops, then C and the
// activation.
func (gen *gen) gemmLoops(n *ir.Node, op *ir.Gemm, src, dst string, m, k, nn int, cv *ir.Value) error {
	b, err := gen.buf(n.Inputs[1])
	if err != nil {
		return err
	}
	bIdx := "kk*%d+j"
	if op.TransB {
		bIdx = "j*%d+kk"
	}
	aIdx := fmt.Sprintf("i*%d+kk", k)
	if op.TransA {
		aIdx = fmt.Sprintf("kk*%d+i", m)
	}
	ld := nn
	if op.TransB {
		ld = k
	}
	gen.line("{")
	gen.line("x, wt, y := %s, %s, %s", src, b, dst)
	if cv != nil {
		if err := gen.broadcastInto("y", n.Outputs[0].Shape, []*ir.Value{cv}, fmt.Sprintf("%s * x0", floatLit(op.Beta))); err != nil {
			return err
		}
	} else {
		gen.line("clear(y)")
	}
	gen.line("for i := 0; i < %d; i++ {", m)
	gen.line("for j := 0; j < %d; j++ {", nn)
	gen.line("var s float32")
	gen.line("for kk := 0; kk < %d; kk++ {", k)
	gen.line("s += x[%s] * wt[%s]", aIdx, fmt.Sprintf(bIdx, ld))
	gen.line("}")
	gen.line("y[i*%d+j] += %s * s", nn, floatLit(op.Alpha))
	gen.line("}")
	gen.line("}")
	if op.Activation != nil {
		kind, alpha, beta, err := actFields(op.Activation)
		if err != nil {
			return err
		}
		gen.line("runtime.Activate(y, %s, %s, %s)", kind, floatLit(alpha), floatLit(beta))
	}
	gen.line("}")
	return nil
}

// matmul emits numpy's matmul. A constant 2-D B (a linear layer applied to
// a higher-rank tensor) is one Sgemm over all leading rows; anything else
// runs plain loops over the broadcast batch of matrices.
func (gen *gen) matmul(n *ir.Node) error {
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	as, bs := batch1(a.Shape), batch1(b.Shape)
	src, err := gen.buf(a)
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	if b.IsConst() && len(bs) == 2 && len(as) >= 2 && !a.IsConst() {
		k, nn := bs[0], bs[1]
		rows := numel(a.Shape) / k
		ref := gen.constant(b.Const)
		pk := gen.names.ident("pk", n.Name)
		fmt.Fprintf(&gen.wfields, "\t%s *runtime.PackedB // %s\n", pk, comment(b.Name))
		fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackB(%d, %d, all[%d:%d], %d, false)\n", pk, k, nn, ref.off, ref.off+ref.n, nn)
		gen.work = append(gen.work, fmt.Sprintf("runtime.SgemmWorkSize(%d, %d)", rows, k))
		gen.line("m.rt.Pool.Sgemm(%d, %s, %d, w.%s, %s, %d, nil, m.rt.Work)", rows, src, k, pk, dst, nn)
		return nil
	}
	bsrc, err := gen.buf(b)
	if err != nil {
		return err
	}
	// Promote rank-1 operands as numpy does.
	pa, pb := as, bs
	if len(as) == 1 {
		pa = ir.Shape{1, as[0]}
	}
	if len(bs) == 1 {
		pb = ir.Shape{bs[0], 1}
	}
	ra, rb := len(pa), len(pb)
	mm, k, nn := pa[ra-2], pa[ra-1], pb[rb-1]
	batch, err := ir.BroadcastShapes(pa[:ra-2], pb[:rb-2])
	if err != nil {
		return err
	}
	aStr := broadcastStrides(pa[:ra-2], batch, mm*k)
	bStr := broadcastStrides(pb[:rb-2], batch, k*nn)
	var offs []string
	forEachIndex(batch, func(idx []int) {
		ao, bo := 0, 0
		for i, x := range idx {
			ao += x * aStr[i]
			bo += x * bStr[i]
		}
		offs = append(offs, fmt.Sprintf("{%d, %d}", ao, bo))
	})
	gen.line("{")
	gen.line("x, wt, y := %s, %s, %s", src, bsrc, dst)
	gen.line("for bi, o := range [...][2]int{%s} {", strings.Join(offs, ", "))
	gen.line("for i := 0; i < %d; i++ {", mm)
	gen.line("for j := 0; j < %d; j++ {", nn)
	gen.line("var s float32")
	gen.line("for kk := 0; kk < %d; kk++ {", k)
	gen.line("s += x[o[0]+i*%d+kk] * wt[o[1]+kk*%d+j]", k, nn)
	gen.line("}")
	gen.line("y[bi*%d+i*%d+j] = s", mm*nn, nn)
	gen.line("}")
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}

// broadcastStrides returns, for each axis of out, the element stride of a
// tensor of shape s (right-aligned to out, with inner block size inner)
// along it: 0 where s broadcasts.
func broadcastStrides(s, out ir.Shape, inner int) []int {
	str := make([]int, len(out))
	off := len(out) - len(s)
	step := inner
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			str[off+i] = step
		}
		step *= s[i]
	}
	return str
}

// forEachIndex calls f with every index of shape s in row-major order
// (once, with an empty index, for a scalar shape).
func forEachIndex(s ir.Shape, f func([]int)) {
	idx := make([]int, len(s))
	for _, d := range s {
		if d == 0 {
			return
		}
	}
	for {
		f(idx)
		i := len(s) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < s[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}
