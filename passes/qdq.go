package passes

import (
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// QDQ turns the DequantizeLinear -> float op -> QuantizeLinear patterns of
// a quantized ("QDQ") model into integer ops, as ONNX Runtime's QDQ
// transformer does, wherever the Go code generator has an integer kernel:
//
//   - Conv (2-D, constant quantized weights, an optional bias, then an
//     optional Relu or Clip, which becomes the requantization's clamp):
//     QLinearConv;
//   - Gemm (alpha 1, a per-column bias) and MatMul by constant quantized
//     2-D weights: QLinearMatMul (a transposed B is transposed now);
//   - Add and Mul (operands of the output's shape, or one repeating along
//     leading axes, then an optional Relu when the QuantizeLinear's zero
//     point is the smallest code, so that the saturation is the Relu):
//     QLinearAdd, QLinearMul, which round as ONNX Runtime's do;
//   - MaxPool (2-D): QMaxPool, AveragePool (2-D): QLinearAveragePool,
//     GlobalAveragePool: QLinearGlobalAveragePool; Concat: QLinearConcat;
//   - reshapes, Transpose and Pad (constant padding with the pad value's
//     code): the same op on the codes;
//   - any other element-wise op of one input (Relu, Clip, Sigmoid,
//     LeakyRelu, HardSwish, ...), a QuantizeLinear of a DequantizeLinear
//     (a change of quantization) and com.microsoft's QLinearLeakyRelu and
//     QLinearSigmoid: a QLookup table of the 256 codes, computed by the
//     reference evaluator from the float ops themselves, except that a
//     Sigmoid between codes of one type is tabulated as QLinearSigmoid,
//     with ONNX Runtime's approximation of the function (ONNX Runtime
//     computes that table for it, whether it fuses the group or not).
//
// Every pattern needs constant per-tensor parameters on the activations
// (per channel on the weights); anything else keeps its float path, which
// stays correct: a DequantizeLinear and a QuantizeLinear left over run as
// conversions. Weights that are a DequantizeLinear of integer constants
// become the integer ops' packed weights; the ones no integer op takes are
// folded into float constants at the end, with everything that depends
// only on them.
//
// Integer results equal those of the float graph wherever ONNX defines
// them exactly (reshapes, MaxPool, Concat, the element-wise ops and
// tables, which compute in float32 as QuantizeLinear does); the
// convolutions and matrix products sum integers exactly and scale once,
// and Add, Mul, the average pools and Sigmoid round as ONNX Runtime does,
// which may differ from a float evaluation by one quantization step where
// a value lies next to a rounding boundary.
func QDQ(g *ir.Graph) error {
	r := &qdq{g: g}
	for i := 0; i < len(g.Nodes); i++ {
		n := g.Nodes[i]
		uses := g.Uses()
		if err := r.rewrite(n, uses); err != nil {
			return fmt.Errorf("%s: %w", n.Where(), err)
		}
	}
	g.RemoveDead()
	return foldDequantized(g)
}

type qdq struct {
	g *ir.Graph
}

// qparam is a constant (scale, zero point) pair of a tensor of codes of
// type dt, per tensor (axis -1) or per channel along axis.
type qparam struct {
	scale, zero *ir.Value // zero is a constant of dt; never nil
	dt          ir.DType
	axis        int
}

// perTensor reports whether p covers its whole tensor with one scale.
func (p qparam) perTensor() bool { return p.axis < 0 }

// same reports whether two per-tensor parameters quantize identically.
func (p qparam) same(q qparam) bool {
	return p.dt == q.dt && p.perTensor() && q.perTensor() &&
		float32(p.scale.Const.Float(0)) == float32(q.scale.Const.Float(0)) && p.zero.Const.Ints[0] == q.zero.Const.Ints[0]
}

// constParam reads the constant parameters of a Q or DQ node (inputs 1
// and 2) for codes of type dt, or reports that they are not constants,
// not valid, or blocked.
func constParam(n *ir.Node, dt ir.DType, axis, block int) (qparam, bool) {
	s, z := n.Input(1), n.Input(2)
	if block > 0 || s == nil || !s.IsConst() || s.DType != ir.Float32 || (z != nil && !z.IsConst()) {
		return qparam{}, false
	}
	if z == nil {
		z = ir.NewConst(n.Name+"/zero", ir.Zeros(dt, ir.Shape{}))
	}
	if ir.CheckQuantValues(n.Op, []*ir.Tensor{nil, s.Const, z.Const}) != nil {
		return qparam{}, false
	}
	p := qparam{scale: s, zero: z, dt: dt, axis: -1}
	if s.Const.Len() > 1 {
		p.axis = axis
	}
	return p, true
}

// dq returns the codes and parameters behind a value computed by a
// DequantizeLinear to float32.
func dq(v *ir.Value) (*ir.Value, qparam, bool) {
	if v == nil || v.Producer == nil {
		return nil, qparam{}, false
	}
	n := v.Producer
	op, ok := n.Op.(*ir.DequantizeLinear)
	if !ok || op.To != ir.Float32 {
		return nil, qparam{}, false
	}
	p, ok := constParam(n, n.Inputs[0].DType, op.Axis, op.BlockSize)
	return n.Inputs[0], p, ok
}

// dq8 is dq for 8-bit codes with per-tensor parameters (activations).
func dq8(v *ir.Value) (*ir.Value, qparam, bool) {
	c, p, ok := dq(v)
	if !ok || !ir.Is8Bit(c.DType) || !p.perTensor() {
		return nil, qparam{}, false
	}
	return c, p, true
}

// quantizer returns the QuantizeLinear that alone reads v (v not a graph
// output), with constant per-tensor parameters and 8-bit codes.
func (r *qdq) quantizer(v *ir.Value, uses map[*ir.Value][]*ir.Node) (*ir.Node, qparam, bool) {
	if !singleUse(r.g, uses, v) {
		return nil, qparam{}, false
	}
	n := uses[v][0]
	op, ok := n.Op.(*ir.QuantizeLinear)
	if !ok || n.Inputs[0] != v || !ir.Is8Bit(op.To) || (op.Precision != ir.Invalid && op.Precision != ir.Float32) {
		return nil, qparam{}, false
	}
	p, ok := constParam(n, op.To, op.Axis, op.BlockSize)
	if !ok || !p.perTensor() {
		return nil, qparam{}, false
	}
	return n, p, true
}

// quantizerAfterClamp is quantizer, also looking through a Relu or Clip
// between v and the QuantizeLinear, which it returns as a clamp.
func (r *qdq) quantizerAfterClamp(v *ir.Value, uses map[*ir.Value][]*ir.Node) (*ir.Node, qparam, ir.Activation, bool) {
	if q, p, ok := r.quantizer(v, uses); ok {
		return q, p, nil, true
	}
	if !singleUse(r.g, uses, v) {
		return nil, qparam{}, nil, false
	}
	n := uses[v][0]
	var act ir.Activation
	switch op := n.Op.(type) {
	case *ir.Relu:
		act = &ir.Relu{}
	case *ir.Clip:
		act = &ir.Clip{Min: op.Min, Max: op.Max}
	default:
		return nil, qparam{}, nil, false
	}
	q, p, ok := r.quantizer(n.Outputs[0], uses)
	return q, p, act, ok
}

// replace puts a node computing op on in in place of the QuantizeLinear
// q, writing q's output, and types it.
func (r *qdq) replace(q *ir.Node, like *ir.Node, op ir.Op, in ...*ir.Value) error {
	out := q.Outputs[0]
	n := &ir.Node{Name: like.Name, Op: op, Inputs: in, Outputs: []*ir.Value{out}, Layer: like.Layer, LayerType: like.LayerType}
	if err := ir.InferNode(n); err != nil {
		return fmt.Errorf("internal error: the integer op does not type: %w", err)
	}
	out.Producer = n
	for i, m := range r.g.Nodes {
		if m == q {
			r.g.Nodes[i] = n
			return nil
		}
	}
	return fmt.Errorf("internal error: QuantizeLinear %q is not in the graph", q.Name)
}

// requantized writes to q's output the codes c with parameters from,
// through a lookup table to the parameters to when they differ: the
// replacement of a QuantizeLinear by an op on codes that keeps the
// quantization (a reshape, MaxPool). op == nil means no op.
func (r *qdq) requantized(q, like *ir.Node, op ir.Op, c *ir.Value, from, to qparam, rest ...*ir.Value) error {
	if from.same(to) {
		if op == nil {
			r.g.Replace(q.Outputs[0], c)
			return nil
		}
		return r.replace(q, like, op, append([]*ir.Value{c}, rest...)...)
	}
	table, err := lookupTable(from.dt, func(g *ir.Graph, x *ir.Value) *ir.Value {
		d := g.Apply("dq", &ir.DequantizeLinear{To: ir.Float32}, x, from.scale, from.zero)
		return g.Apply("q", &ir.QuantizeLinear{To: to.dt}, d, to.scale, to.zero)
	})
	if err != nil {
		return err
	}
	if op == nil {
		return r.replace(q, like, &ir.QLookup{}, c, table)
	}
	// The op on the codes, then the table.
	mid := &ir.Node{Name: like.Name, Op: op, Inputs: append([]*ir.Value{c}, rest...), Layer: like.Layer, LayerType: like.LayerType}
	mid.Outputs = []*ir.Value{{Name: like.Name + "/codes", Producer: mid}}
	if err := ir.InferNode(mid); err != nil {
		return fmt.Errorf("internal error: %w", err)
	}
	for i, m := range r.g.Nodes {
		if m == q {
			r.g.Nodes = append(r.g.Nodes[:i], append([]*ir.Node{mid}, r.g.Nodes[i:]...)...)
			break
		}
	}
	return r.replace(q, like, &ir.QLookup{}, mid.Outputs[0], table)
}

// lookupTable evaluates build's graph on the 256 codes of type dt and
// returns the results, a QLookup's table.
func lookupTable(dt ir.DType, build func(g *ir.Graph, x *ir.Value) *ir.Value) (*ir.Value, error) {
	g := ir.NewGraph("table")
	x := g.AddInput("codes", ir.Type{DType: dt, Shape: ir.Shape{256}})
	g.Outputs = []*ir.Value{build(g, x)}
	if err := g.Infer(); err != nil {
		return nil, fmt.Errorf("tabulating: %w", err)
	}
	lo, _ := ir.QuantRange(dt)
	codes := ir.Zeros(dt, ir.Shape{256})
	for i := range codes.Ints {
		codes.Ints[i] = lo + int64(i)
	}
	out, err := eval.Run(g, []*ir.Tensor{codes})
	if err != nil {
		return nil, fmt.Errorf("tabulating: %w", err)
	}
	return ir.NewConst("table", out[0]), nil
}

// rewrite tries the patterns that start at n.
func (r *qdq) rewrite(n *ir.Node, uses map[*ir.Value][]*ir.Node) error {
	if len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return nil
	}
	y := n.Outputs[0]
	switch op := n.Op.(type) {
	case *ir.Conv:
		return r.conv(n, op, uses)
	case *ir.Gemm:
		return r.gemm(n, op, uses)
	case *ir.MatMul:
		return r.matmul(n, uses)
	case *ir.Add, *ir.Mul:
		return r.binary(n, uses)
	case *ir.Concat:
		return r.concat(n, op, uses)
	case *ir.QLinearActivation:
		return r.activation(n, op)
	case *ir.QuantizeLinear:
		// A change of quantization: Q(DQ(c)).
		c, from, ok := dq8(n.Inputs[0])
		if !ok {
			return nil
		}
		if _, to, ok := r.quantizer(n.Inputs[0], uses); ok && uses[n.Inputs[0]][0] == n {
			return r.requantized(n, n, nil, c, from, to)
		}
		return nil
	}
	c, from, ok := dq8(n.Input(0))
	if !ok || c.IsConst() {
		return nil
	}
	q, to, ok := r.quantizer(y, uses)
	if !ok {
		return nil
	}
	switch op := n.Op.(type) {
	case *ir.MaxPool:
		if len(y.Shape) != 4 {
			return nil
		}
		return r.requantized(q, n, &ir.QMaxPool{Window: op.Window, Layout: op.Layout}, c, from, to)
	case *ir.AveragePool:
		if len(y.Shape) != 4 || to.dt != from.dt {
			return nil
		}
		return r.replace(q, n, &ir.QLinearAveragePool{Window: op.Window, Layout: op.Layout, CountIncludePad: op.CountIncludePad}, c, from.scale, from.zero, to.scale, to.zero)
	case *ir.GlobalAveragePool:
		if len(y.Shape) != 4 || to.dt != from.dt {
			return nil
		}
		return r.replace(q, n, &ir.QLinearGlobalAveragePool{Layout: op.Layout}, c, from.scale, from.zero, to.scale, to.zero)
	case *ir.Transpose:
		return r.requantized(q, n, ir.CloneOp(op), c, from, to)
	case *ir.Pad:
		// Padding with the code of the pad value; through a table only
		// when that is exact (the value 0, whose codes are the zero
		// points, or no constant at all).
		pad := &ir.Pad{Pads: append([]int(nil), op.Pads...), Mode: op.Mode}
		if op.Mode == ir.PadConstant {
			if !from.same(to) && op.Value != 0 {
				return nil
			}
			pad.Value = float64(quantizeValue(op.Value, from))
		}
		return r.requantized(q, n, pad, c, from, to)
	}
	if ir.IsView(n) {
		return r.requantized(q, n, ir.CloneOp(n.Op), c, from, to, n.Inputs[1:]...)
	}
	if isUnary(n) {
		table, err := lookupTable(from.dt, func(g *ir.Graph, x *ir.Value) *ir.Value {
			if sig, ok := n.Op.(*ir.Sigmoid); ok && from.dt == to.dt {
				return g.Apply("f", &ir.QLinearActivation{Act: ir.CloneOp(sig).(*ir.Sigmoid)}, x, from.scale, from.zero, to.scale, to.zero)
			}
			d := g.Apply("dq", &ir.DequantizeLinear{To: ir.Float32}, x, from.scale, from.zero)
			f := g.Apply("f", ir.CloneOp(n.Op), d)
			return g.Apply("q", &ir.QuantizeLinear{To: to.dt}, f, to.scale, to.zero)
		})
		if err != nil {
			return err
		}
		return r.replace(q, n, &ir.QLookup{}, c, table)
	}
	return nil
}

// isUnary reports whether n applies an element-wise function to one
// input.
func isUnary(n *ir.Node) bool {
	_, ok := n.Op.(ir.ElementWise)
	return ok && len(n.Inputs) == 1 && n.Inputs[0] != nil
}

// conv rewrites DQ(x), DQ(w) -> Conv (bias) [-> Relu|Clip] -> Q.
func (r *qdq) conv(n *ir.Node, op *ir.Conv, uses map[*ir.Value][]*ir.Node) error {
	if op.Activation != nil || n.Input(3) != nil || len(n.Inputs[0].Shape) != 4 {
		return nil
	}
	x, xp, ok := dq8(n.Inputs[0])
	if !ok {
		return nil
	}
	w, wp, ok := dq(n.Inputs[1])
	if !ok || !w.IsConst() || !ir.Is8Bit(w.DType) || !(wp.perTensor() || wp.axis == 0) {
		return nil
	}
	q, yp, act, ok := r.quantizerAfterClamp(n.Outputs[0], uses)
	if !ok {
		return nil
	}
	m := w.Shape[0]
	bias, ok := quantBias(n.Input(2), xp, wp, m)
	if !ok {
		return nil
	}
	qc := &ir.QLinearConv{Window: op.Window, Group: op.Group, Layout: op.Layout, Activation: act}
	in := []*ir.Value{x, xp.scale, xp.zero, w, wp.scale, wp.zero, yp.scale, yp.zero}
	if bias != nil {
		in = append(in, bias)
	}
	return r.replace(q, n, qc, in...)
}

// quantBias turns a float bias (a constant, or the DequantizeLinear of one)
// into int32 with scale x_scale*w_scale[j] and zero point 0: its codes as
// they are when it is quantized so already, else rounded. It reports false
// for a bias computed at run time.
func quantBias(b *ir.Value, xp, wp qparam, m int) (*ir.Value, bool) {
	if b == nil {
		return nil, true
	}
	xs := float32(xp.scale.Const.Float(0))
	ws := func(j int) float32 { return float32(wp.scale.Const.Float(min(j, wp.scale.Const.Len()-1))) }
	if c, bp, ok := dq(b); ok && c.IsConst() && c.DType == ir.Int32 && c.Const.Len() == m {
		same := bp.zero.Const.Ints[0] == 0 || bp.zero.Const.Len() > 1
		for j := 0; same && j < m; j++ {
			same = float32(bp.scale.Const.Float(min(j, bp.scale.Const.Len()-1))) == float32(xs*ws(j)) && bp.zero.Const.Ints[min(j, bp.zero.Const.Len()-1)] == 0
		}
		if same {
			if !c.Shape.Equal(ir.Shape{m}) {
				c = ir.NewConst(c.Name, &ir.Tensor{DType: ir.Int32, Shape: ir.Shape{m}, Ints: c.Const.Ints})
			}
			return c, true
		}
	}
	vals, ok := constFloats(b)
	if !ok || (len(vals) != m && len(vals) != 1) {
		return nil, false
	}
	t := ir.Zeros(ir.Int32, ir.Shape{m})
	for j := range t.Ints {
		v := vals[min(j, len(vals)-1)] / float64(float32(xs*ws(j)))
		t.Ints[j] = int64(math.Max(math.MinInt32, math.Min(math.MaxInt32, math.RoundToEven(v))))
	}
	return ir.NewConst(b.Name+"/int32", t), true
}

// constFloats returns the values of a constant float, or of the
// DequantizeLinear of a constant, computed by the reference evaluator.
func constFloats(v *ir.Value) ([]float64, bool) {
	if v.IsConst() {
		if !v.DType.IsFloat() {
			return nil, false
		}
		return v.Const.Floats, true
	}
	p := v.Producer
	if p == nil {
		return nil, false
	}
	if _, ok := p.Op.(*ir.DequantizeLinear); !ok {
		return nil, false
	}
	in := make([]*ir.Tensor, len(p.Inputs))
	for i, x := range p.Inputs {
		if x != nil {
			if !x.IsConst() {
				return nil, false
			}
			in[i] = x.Const
		}
	}
	out, err := eval.Node(p, in)
	if err != nil {
		return nil, false
	}
	return out[0].Floats, true
}

// gemm rewrites DQ(a), DQ(w) (constant) -> Gemm (alpha 1, per-column C)
// [-> Relu|Clip] -> Q.
func (r *qdq) gemm(n *ir.Node, op *ir.Gemm, uses map[*ir.Value][]*ir.Node) error {
	if op.TransA || op.Alpha != 1 || op.Activation != nil {
		return nil
	}
	a, ap, ok := dq8(n.Inputs[0])
	if !ok || a.IsConst() {
		return nil
	}
	wAxis := 1
	if op.TransB {
		wAxis = 0
	}
	w, wp, ok := dq(n.Inputs[1])
	if !ok || !w.IsConst() || !ir.Is8Bit(w.DType) || !(wp.perTensor() || wp.axis == wAxis) {
		return nil
	}
	q, yp, act, ok := r.quantizerAfterClamp(n.Outputs[0], uses)
	if !ok {
		return nil
	}
	k, nn := w.Shape[0], w.Shape[1]
	if op.TransB {
		k, nn = nn, k
		t := ir.Zeros(w.DType, ir.Shape{k, nn})
		for i := 0; i < k; i++ {
			for j := 0; j < nn; j++ {
				t.Ints[i*nn+j] = w.Const.Ints[j*k+i]
			}
		}
		w = ir.NewConst(w.Name+"/t", t)
	}
	var bias *ir.Value
	if c := n.Input(2); c != nil && op.Beta != 0 {
		if len(c.Shape) > 2 || len(c.Shape) == 2 && c.Shape[0] != 1 {
			return nil
		}
		vals, ok := constFloats(c)
		if !ok || len(vals) != nn && len(vals) != 1 {
			return nil
		}
		scaled := ir.NewConst(c.Name+"/beta", ir.NewFloatTensor(ir.Float32, ir.Shape{len(vals)}, scale(vals, op.Beta)))
		if op.Beta == 1 {
			scaled = c
		}
		if bias, ok = quantBias(scaled, ap, wp, nn); !ok {
			return nil
		}
	}
	in := []*ir.Value{a, ap.scale, ap.zero, w, wp.scale, wp.zero, yp.scale, yp.zero}
	if bias != nil {
		in = append(in, bias)
	}
	return r.replace(q, n, &ir.QLinearMatMul{Activation: act}, in...)
}

func scale(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}

// matmul rewrites DQ(a) x DQ(w) (constant, 2-D) -> Q.
func (r *qdq) matmul(n *ir.Node, uses map[*ir.Value][]*ir.Node) error {
	a, ap, ok := dq8(n.Inputs[0])
	if !ok || a.IsConst() || len(a.Shape) < 2 {
		return nil
	}
	w, wp, ok := dq(n.Inputs[1])
	if !ok || !w.IsConst() || !ir.Is8Bit(w.DType) || len(w.Shape) != 2 || !(wp.perTensor() || wp.axis == 1) {
		return nil
	}
	q, yp, act, ok := r.quantizerAfterClamp(n.Outputs[0], uses)
	if !ok {
		return nil
	}
	return r.replace(q, n, &ir.QLinearMatMul{Activation: act}, a, ap.scale, ap.zero, w, wp.scale, wp.zero, yp.scale, yp.zero)
}

// binary rewrites DQ(a) + DQ(b) (or *) [-> Relu] -> Q, for the broadcasts the
// runtime's kernels take: one operand of the output's shape, the other
// repeating along its leading axes.
func (r *qdq) binary(n *ir.Node, uses map[*ir.Value][]*ir.Node) error {
	a, ap, ok1 := dq8(n.Inputs[0])
	b, bp, ok2 := dq8(n.Inputs[1])
	if !ok1 || !ok2 || a.DType != b.DType || a.IsConst() && b.IsConst() {
		return nil
	}
	q, yp, act, ok := r.quantizerAfterClamp(n.Outputs[0], uses)
	if !ok || yp.dt != a.DType {
		return nil
	}
	if act != nil {
		// A Relu before a QuantizeLinear whose zero point is the smallest
		// code changes nothing the saturation does not (ONNX Runtime's
		// QDQ transformer drops it too, then fuses the Add).
		lo, _ := ir.QuantRange(yp.dt)
		if _, relu := act.(*ir.Relu); !relu || yp.zero.Const.Ints[0] != lo {
			return nil
		}
	}
	y := n.Outputs[0].Shape
	fits := func(s ir.Shape) bool { return leadingBroadcast(s, y) || channelBroadcast(s, y) }
	if !fits(a.Shape) || !fits(b.Shape) || !a.Shape.Equal(y) && !b.Shape.Equal(y) {
		return nil
	}
	var op ir.Op = &ir.QLinearAdd{}
	if _, ok := n.Op.(*ir.Mul); ok {
		op = &ir.QLinearMul{}
	}
	return r.replace(q, n, op, a, ap.scale, ap.zero, b, bp.scale, bp.zero, yp.scale, yp.zero)
}

// leadingBroadcast reports whether s broadcasts to out by repeating along
// leading axes only.
func leadingBroadcast(s, out ir.Shape) bool {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	return len(s) <= len(out) && s.Equal(out[len(out)-len(s):])
}

// channelBroadcast reports whether s is one value per item and channel of
// channels-first out ([N, C, 1, 1] against [N, C, H, W]): a
// squeeze-and-excitation scale, which the layout pass makes a trailing
// broadcast of NHWC data and the code generator otherwise loops over the
// channels for.
func channelBroadcast(s, out ir.Shape) bool {
	if len(s) != len(out) || len(s) < 3 || s[0] != out[0] || s[1] != out[1] {
		return false
	}
	for _, d := range s[2:] {
		if d != 1 {
			return false
		}
	}
	return true
}

// concat rewrites DQ(x_i)... -> Concat -> Q.
func (r *qdq) concat(n *ir.Node, op *ir.Concat, uses map[*ir.Value][]*ir.Node) error {
	q, yp, ok := r.quantizer(n.Outputs[0], uses)
	if !ok {
		return nil
	}
	in := []*ir.Value{yp.scale, yp.zero}
	for _, v := range n.Inputs {
		c, p, ok := dq8(v)
		if !ok || c.DType != yp.dt {
			return nil
		}
		in = append(in, c, p.scale, p.zero)
	}
	return r.replace(q, n, &ir.QLinearConcat{Axis: op.Axis}, in...)
}

// activation turns an imported QLinearLeakyRelu or QLinearSigmoid with
// constant parameters into a table, computed by its reference kernel.
func (r *qdq) activation(n *ir.Node, op *ir.QLinearActivation) error {
	for _, v := range n.Inputs[1:] {
		if v != nil && !v.IsConst() {
			return nil
		}
	}
	x := n.Inputs[0]
	table, err := lookupTable(x.DType, func(g *ir.Graph, c *ir.Value) *ir.Value {
		return g.Apply("f", ir.CloneOp(op), append([]*ir.Value{c}, n.Inputs[1:]...)...)
	})
	if err != nil {
		return nil // bad parameters: the reference kernel reports them where the node runs
	}
	nn := &ir.Node{Name: n.Name, Op: &ir.QLookup{}, Inputs: []*ir.Value{x, table}, Outputs: n.Outputs, Layer: n.Layer, LayerType: n.LayerType}
	if err := ir.InferNode(nn); err != nil {
		return fmt.Errorf("internal error: %w", err)
	}
	n.Outputs[0].Producer = nn
	for i, m := range r.g.Nodes {
		if m == n {
			r.g.Nodes[i] = nn
		}
	}
	return nil
}

// foldDequantized folds every DequantizeLinear of constants left (weights
// no integer op took) into a float constant, then whatever depends only
// on constants.
func foldDequantized(g *ir.Graph) error {
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*ir.DequantizeLinear); !ok {
			continue
		}
		in := make([]*ir.Tensor, len(n.Inputs))
		all := true
		for i, v := range n.Inputs {
			if v != nil {
				all = all && v.IsConst()
				in[i] = v.Const
			}
		}
		if !all {
			continue
		}
		out, err := eval.Node(n, in)
		if err != nil {
			return fmt.Errorf("%s: folding a dequantized constant: %w", n.Where(), err)
		}
		out[0].RoundToType()
		c := ir.NewConst(n.Outputs[0].Name, out[0])
		c.Layout = n.Outputs[0].Layout
		g.Replace(n.Outputs[0], c)
	}
	g.RemoveDead()
	return FoldConstants(g)
}

// quantizeValue is QuantizeLinear of one float32 value with per-tensor
// parameters p, computed by the reference evaluator.
func quantizeValue(v float64, p qparam) int64 {
	n := &ir.Node{Op: &ir.QuantizeLinear{To: p.dt}}
	n.Outputs = []*ir.Value{{Name: "q", Producer: n}}
	x := ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{v})
	out, err := eval.Node(n, []*ir.Tensor{x, p.scale.Const, p.zero.Const})
	if err != nil {
		return p.zero.Const.Ints[0] // cannot happen: the parameters were checked
	}
	return out[0].Ints[0]
}
