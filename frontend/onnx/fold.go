package onnx

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// Constant folding at import.
//
// A node whose inputs are all constants is evaluated at once by the
// reference interpreter and replaced by constants. This is what turns the
// shape subgraphs of exported models into the constant shapes, pads and
// slice bounds that the typed IR ops hold.
//
// With a symbolic batch, Shape(x) is not a constant, so a second, symbolic
// folder runs next to it: an integer tensor computed from shapes is tracked
// as a symTensor whose elements are affine forms K*N + C of the batch size
// N. The node itself stays in the graph (it is a correct run-time
// computation), but importers that need a compile-time value (Reshape's
// shape) read the symbolic form. Elements with K = 0 are plain numbers, and
// a symbolic result whose elements all have K = 0 becomes a constant, so
// Shape(x)[1:] folds even when the batch is unknown.

// symDim is the affine form K*N + C of the batch size N.
type symDim struct{ K, C int64 }

func (d symDim) String() string {
	switch {
	case d.K == 0:
		return fmt.Sprint(d.C)
	case d.C == 0 && d.K == 1:
		return "N"
	case d.C == 0:
		return fmt.Sprintf("%d*N", d.K)
	}
	return fmt.Sprintf("%d*N%+d", d.K, d.C)
}

// symTensor is a small integer tensor with symbolic elements, in row-major
// order.
type symTensor struct {
	shape ir.Shape
	el    []symDim
}

// maxSym bounds the size of tensors the symbolic folder handles: shape
// computations are tiny, and anything larger is real data.
const maxSym = 1 << 12

// fold evaluates n if its inputs allow it. It returns the values that
// replace n's outputs, or nil when n must stay in the graph (possibly with
// a symbolic form recorded for its output).
func (b *builder) fold(n *ir.Node) ([]*ir.Value, error) {
	allConst := len(n.Inputs) > 0
	for _, in := range n.Inputs {
		if in != nil && !in.IsConst() {
			allConst = false
		}
	}
	if allConst {
		if !worthFolding(n) {
			// Too big to materialize or too slow to compute at compile
			// time; the node stays and computes it at run time.
			return nil, nil
		}
		return b.foldConst(n)
	}
	s := b.symEval(n)
	if s == nil {
		return nil, nil
	}
	if s.static() {
		out := n.Outputs[0]
		t := ir.Zeros(out.DType, out.Shape)
		for i, d := range s.el {
			t.Ints[i] = d.C
		}
		t.RoundToType()
		return []*ir.Value{ir.NewConst(out.Name, t)}, nil
	}
	b.sym[n.Outputs[0]] = s
	return nil, nil
}

// foldBudget bounds the work of folding one node, in multiply-adds: a
// few bytes of model must not keep the importer busy for minutes.
const foldBudget = 1 << 26

// worthFolding reports whether n's results are small enough to hold as
// constants and cheap enough to compute at import.
func worthFolding(n *ir.Node) bool {
	if ir.KeepsUnfolded(n) {
		return false // a quantized weight's DequantizeLinear, for the QDQ pass
	}
	for _, o := range n.Outputs {
		if o.Shape.NumElements(1) > maxFold {
			return false
		}
	}
	// The op's own estimate of its work (MACs, window reads), which
	// counts every input and output element too.
	return ir.Work(n) <= foldBudget
}

// foldConst evaluates a node with constant inputs.
func (b *builder) foldConst(n *ir.Node) ([]*ir.Value, error) {
	in := make([]*ir.Tensor, len(n.Inputs))
	for i, v := range n.Inputs {
		if v != nil {
			in[i] = v.Const
		}
	}
	res, err := eval.Node(n, in)
	if err != nil {
		return nil, fmt.Errorf("constant folding: %w", err)
	}
	if len(res) < len(n.Outputs) {
		return nil, fmt.Errorf("constant folding gave %d results for %d outputs", len(res), len(n.Outputs))
	}
	outs := make([]*ir.Value, len(n.Outputs))
	for i, o := range n.Outputs {
		t := res[i]
		if t.DType != o.DType || !t.Shape.Equal(o.Shape) {
			return nil, fmt.Errorf("constant folding gave %v, the shape rule says %v", t.Type(), o.Type)
		}
		t.RoundToType()
		outs[i] = ir.NewConst(o.Name, t)
	}
	return outs, nil
}

// static reports whether no element depends on the batch size.
func (s *symTensor) static() bool {
	for _, d := range s.el {
		if d.K != 0 {
			return false
		}
	}
	return true
}

// symOf returns the symbolic form of an integer value: its recorded one,
// or a small integer constant's elements. It returns nil otherwise.
func (b *builder) symOf(v *ir.Value) *symTensor {
	if v == nil {
		return nil
	}
	if s, ok := b.sym[v]; ok {
		return s
	}
	if c := v.Const; c != nil && !c.DType.IsFloat() && c.Len() <= maxSym {
		s := &symTensor{shape: c.Shape, el: make([]symDim, len(c.Ints))}
		for i, x := range c.Ints {
			s.el[i] = symDim{C: x}
		}
		return s
	}
	return nil
}

// symEval runs the symbolic folder on n, returning nil when n does not
// compute a symbolic integer tensor from symbolic or constant inputs.
func (b *builder) symEval(n *ir.Node) (res *symTensor) {
	if len(n.Outputs) != 1 {
		return nil
	}
	out := n.Outputs[0]
	if out.DType.IsFloat() || out.DType == ir.Bool || !out.Shape.Static() || out.Shape.NumElements(1) > maxSym {
		return nil
	}
	if sh, ok := n.Op.(*ir.ShapeOf); ok {
		x := n.Inputs[0].Shape
		lo, hi := sh.Range(len(x))
		s := &symTensor{shape: out.Shape}
		for _, d := range x[lo:hi] {
			if d == ir.Batch {
				s.el = append(s.el, symDim{K: 1})
			} else {
				s.el = append(s.el, symDim{C: int64(d)})
			}
		}
		return s
	}
	// Every other op needs symbolic or constant inputs, at least one of
	// them symbolic (all-constant nodes were folded already).
	ins := make([]*symTensor, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		if ins[i] = b.symOf(v); ins[i] == nil {
			return nil
		}
	}
	el := func(i int) []symDim { return ins[i].el }
	size := out.Shape.NumElements(1)
	switch op := n.Op.(type) {
	case *ir.Identity, *ir.Reshape, *ir.Flatten, *ir.Squeeze, *ir.Unsqueeze:
		return &symTensor{shape: out.Shape, el: el(0)}
	case *ir.Cast:
		if !op.To.IsInt() {
			return nil
		}
		return &symTensor{shape: out.Shape, el: el(0)}
	case *ir.Gather:
		idx := ins[1]
		x := ins[0]
		outer := x.shape[:op.Axis].NumElements(1)
		dim := x.shape[op.Axis]
		inner := x.shape[op.Axis+1:].NumElements(1)
		s := &symTensor{shape: out.Shape}
		for o := 0; o < outer; o++ {
			for _, ix := range idx.el {
				if ix.K != 0 || ix.C < -int64(dim) || ix.C >= int64(dim) {
					return nil
				}
				k := int(ix.C)
				if k < 0 {
					k += dim
				}
				base := (o*dim + k) * inner
				s.el = append(s.el, x.el[base:base+inner]...)
			}
		}
		return s
	case *ir.Concat:
		outer := out.Shape[:op.Axis].NumElements(1)
		s := &symTensor{shape: out.Shape}
		for o := 0; o < outer; o++ {
			for _, x := range ins {
				chunk := x.shape[op.Axis:].NumElements(1)
				s.el = append(s.el, x.el[o*chunk:(o+1)*chunk]...)
			}
		}
		return s
	case *ir.Slice:
		x := ins[0]
		start, step, count, err := op.Ranges(x.shape)
		if err != nil {
			return nil
		}
		strides := rowStrides(x.shape)
		s := &symTensor{shape: out.Shape, el: make([]symDim, size)}
		idx := make([]int, len(count))
		for i := range s.el {
			off := 0
			for a := range idx {
				off += (start[a] + idx[a]*step[a]) * strides[a]
			}
			s.el[i] = x.el[off]
			for a := len(idx) - 1; a >= 0; a-- {
				if idx[a]++; idx[a] < count[a] {
					break
				}
				idx[a] = 0
			}
		}
		return s
	case *ir.Add, *ir.Sub, *ir.Mul, *ir.Div, *ir.Neg:
		return symArith(n.Op, ins, out.Shape)
	}
	return nil
}

// symArith applies integer Add, Sub, Mul, Div or Neg to affine forms with
// numpy broadcasting. A product of two batch-dependent forms, or a
// division that is not exact for every N, is not affine: it returns nil.
func symArith(op ir.Op, ins []*symTensor, shape ir.Shape) *symTensor {
	s := &symTensor{shape: shape, el: make([]symDim, shape.NumElements(1))}
	maps := make([][]int, len(ins))
	for i, x := range ins {
		maps[i] = broadcastIndex(shape, x.shape)
	}
	for i := range s.el {
		a := ins[0].el[maps[0][i]]
		var r symDim
		if _, ok := op.(*ir.Neg); ok {
			r = symDim{-a.K, -a.C}
			s.el[i] = r
			continue
		}
		c := ins[1].el[maps[1][i]]
		switch op.(type) {
		case *ir.Add:
			r = symDim{a.K + c.K, a.C + c.C}
		case *ir.Sub:
			r = symDim{a.K - c.K, a.C - c.C}
		case *ir.Mul:
			switch {
			case a.K == 0:
				r = symDim{a.C * c.K, a.C * c.C}
			case c.K == 0:
				r = symDim{a.K * c.C, a.C * c.C}
			default:
				return nil
			}
		case *ir.Div:
			if c.K != 0 || c.C == 0 || a.K%c.C != 0 || a.C%c.C != 0 {
				return nil
			}
			r = symDim{a.K / c.C, a.C / c.C}
		}
		s.el[i] = r
	}
	return s
}

// rowStrides returns the row-major strides of a static shape.
func rowStrides(s ir.Shape) []int {
	st := make([]int, len(s))
	n := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = n
		n *= s[i]
	}
	return st
}

// broadcastIndex maps each element index of shape out to the index of the
// element of a tensor of shape in that numpy broadcasting reads there.
func broadcastIndex(out, in ir.Shape) []int {
	n := out.NumElements(1)
	res := make([]int, n)
	off := len(out) - len(in)
	inStrides := rowStrides(in)
	idx := make([]int, len(out))
	for i := 0; i < n; i++ {
		j := 0
		for a := range in {
			if in[a] != 1 {
				j += idx[off+a] * inStrides[a]
			}
		}
		res[i] = j
		for a := len(out) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < out[a] {
				break
			}
			idx[a] = 0
		}
	}
	return res
}

// constInts returns the elements of an integer value needed at compile
// time (what names it for the error), or a *RunTimeInputError when the
// value is not a constant.
func (b *builder) constInts(v *ir.Value, what string) ([]int64, error) {
	if v.IsConst() {
		if v.DType.IsFloat() || v.DType == ir.Bool {
			return nil, fmt.Errorf("%s must be an integer tensor, is %v", what, v.Type)
		}
		return v.Const.Ints, nil
	}
	return nil, b.runTimeError(v, what)
}

// constFloat returns the single element of a scalar (or one-element)
// value needed at compile time.
func (b *builder) constScalar(v *ir.Value, what string) (float64, error) {
	if !v.IsConst() {
		return 0, b.runTimeError(v, what)
	}
	if v.Const.Len() != 1 {
		return 0, fmt.Errorf("%s must be a scalar, has shape %v", what, v.Shape)
	}
	return v.Const.Float(0), nil
}

// symInts returns the symbolic elements of a value needed at compile time:
// those of a constant, or of a tracked shape computation.
func (b *builder) symInts(v *ir.Value, what string) ([]symDim, error) {
	if s := b.symOf(v); s != nil {
		return s.el, nil
	}
	if v.IsConst() {
		return nil, fmt.Errorf("%s must be an integer tensor, is %v", what, v.Type)
	}
	return nil, b.runTimeError(v, what)
}

// runTimeError explains that v, needed at compile time, is computed at
// run time, listing the graph inputs it comes from.
func (b *builder) runTimeError(v *ir.Value, what string) error {
	e := &RunTimeInputError{What: what, Input: v.Name}
	seen := make(map[*ir.Value]bool)
	stack := []*ir.Value{v}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == nil || seen[v] || v.Const != nil {
			continue
		}
		seen[v] = true
		p := v.Producer
		switch {
		case p == nil:
			e.GraphInputs = append(e.GraphInputs, v.Name)
		case p.Op.OpType() == "Shape":
			// A shape depends on the input's type, not its values: only
			// a symbolic batch makes it a run-time value.
			if in := p.Inputs[0]; len(in.Shape) > 0 && in.Shape[0] == ir.Batch {
				e.Batch = true
			}
		default:
			for i := len(p.Inputs) - 1; i >= 0; i-- {
				stack = append(stack, p.Inputs[i])
			}
		}
	}
	return e
}
