package passes

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// ToNHWC rewrites a graph's 2-D image ops to channels-last, the layout the
// generated code computes in (DESIGN.md: im2col rows become contiguous and
// a 1x1 convolution becomes a plain GEMM).
//
// Convolutions, pools and BatchNormalization on rank-4 NCHW values switch
// to NHWC; element-wise ops, Concat, Pad, Resize and Softmax follow their
// inputs' layout (constants and per-axis attributes are permuted at compile
// time); every other consumer
// of an NHWC value, and every graph output, gets it back in NCHW through a
// Transpose. Two cases need no data movement at all: a transpose of a
// tensor whose channel or spatial extent is 1 is a Reshape, and a Flatten
// feeding only constant-weight Gemms is absorbed by permuting the Gemm
// weights' rows. A graph already in NHWC (a DSL model) is left as it is.
func ToNHWC(g *ir.Graph) error {
	l := &layouter{g: g, toNHWC: map[*ir.Value]*ir.Value{}, toNCHW: map[*ir.Value]*ir.Value{}, nhwc: map[*ir.Value]bool{}}
	uses := g.Uses()
	for _, n := range g.Nodes {
		if err := l.node(n, uses); err != nil {
			return err
		}
	}
	for i, o := range g.Outputs {
		nv, err := l.nchw(o)
		if err != nil {
			return err
		}
		g.Outputs[i] = nv
	}
	g.Nodes = l.out
	return nil
}

type layouter struct {
	g              *ir.Graph
	out            []*ir.Node
	toNHWC, toNCHW map[*ir.Value]*ir.Value // cached conversions
	nhwc           map[*ir.Value]bool      // values converted to hold NHWC data
}

func (l *layouter) emit(n *ir.Node) error {
	l.out = append(l.out, n)
	return ir.InferNode(n)
}

func (l *layouter) node(n *ir.Node, uses map[*ir.Value][]*ir.Node) error {
	anyNHWC := false
	for _, in := range n.Inputs {
		anyNHWC = anyNHWC || l.nhwc[in]
	}
	// The op's own rule (ir.Relayout) says whether it computes in NHWC and
	// which of its inputs must then be NHWC; the op rewrites its own
	// attributes.
	if r, ok := n.Op.(ir.Relayout); ok && n.Inputs[0] != nil {
		if idx, ok := r.ToNHWC(ir.InputTypes(n), anyNHWC); ok {
			if err := l.convert(n, idx...); err != nil {
				return err
			}
			return l.emitNHWC(n)
		}
	}
	// A flattening view of NHWC data (Flatten, or a Reshape to [N, -1])
	// may be absorbed into its consumers' weights.
	if anyNHWC && ir.IsView(n) && len(n.Inputs[0].Shape) == 4 && len(n.Outputs[0].Shape) == 2 && n.Outputs[0].Shape[0] == n.Inputs[0].Shape[0] {
		if ok, err := l.absorbFlatten(n, uses); ok || err != nil {
			return err
		}
	}
	if _, ok := n.Op.(ir.ElementWise); ok && anyNHWC && len(n.Outputs[0].Shape) == 4 && l.broadcastable(n) {
		if err := l.convert(n, allIndices(n)...); err != nil {
			return err
		}
		return l.emitNHWC(n)
	}
	// Any other op reads NCHW.
	for i, in := range n.Inputs {
		if l.nhwc[in] {
			nv, err := l.nchw(in)
			if err != nil {
				return err
			}
			n.Inputs[i] = nv
		}
	}
	return l.emit(n)
}

func allIndices(n *ir.Node) []int {
	idx := make([]int, len(n.Inputs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// broadcastable reports whether every run-time input of an element-wise
// node has the output's rank, so that converting it is a plain transpose;
// constants of any rank are permuted at compile time.
func (l *layouter) broadcastable(n *ir.Node) bool {
	r := len(n.Outputs[0].Shape)
	for _, in := range n.Inputs {
		if in != nil && !in.IsConst() && len(in.Shape) != r {
			return false
		}
	}
	return true
}

// convert makes the inputs at the given indices NHWC.
func (l *layouter) convert(n *ir.Node, idx ...int) error {
	for _, i := range idx {
		in := n.Input(i)
		if in == nil {
			continue
		}
		nv, err := l.nhwcOf(in)
		if err != nil {
			return err
		}
		n.Inputs[i] = nv
	}
	return nil
}

func (l *layouter) emitNHWC(n *ir.Node) error {
	if err := l.emit(n); err != nil {
		return err
	}
	for _, o := range n.Outputs {
		if len(o.Shape) == 4 {
			l.nhwc[o] = true
		}
	}
	return nil
}

// nhwcOf returns v as NHWC data: v itself when it already is, a permuted
// copy of a constant, or the output of a new transpose.
func (l *layouter) nhwcOf(v *ir.Value) (*ir.Value, error) {
	if l.nhwc[v] {
		return v, nil
	}
	if c, ok := l.toNHWC[v]; ok {
		return c, nil
	}
	var nv *ir.Value
	if v.IsConst() {
		t := v.Const
		shape := t.Shape.Clone()
		for len(shape) < 4 {
			shape = append(ir.Shape{1}, shape...)
		}
		if len(shape) != 4 {
			return nil, fmt.Errorf("constant %q of rank %d cannot join a rank-4 NHWC computation", v.Name, len(t.Shape))
		}
		r := &ir.Tensor{DType: t.DType, Shape: shape, Floats: t.Floats, Ints: t.Ints}
		tn := &ir.Node{Name: v.Name + "/nhwc", Op: &ir.Transpose{Perm: ir.PermNCHWToNHWC}, Inputs: []*ir.Value{ir.NewConst(v.Name, r)}}
		tn.Outputs = []*ir.Value{{Name: tn.Name, Producer: tn}}
		if err := ir.InferNode(tn); err != nil {
			return nil, err
		}
		res, err := eval.Node(tn, []*ir.Tensor{r})
		if err != nil {
			return nil, fmt.Errorf("permuting constant %q: %w", v.Name, err)
		}
		nv = ir.NewConst(v.Name+"/nhwc", res[0])
		nv.Layout = ir.NHWC
	} else {
		var err error
		nv, err = l.relayout(v, ir.PermNCHWToNHWC, "/nhwc")
		if err != nil {
			return nil, err
		}
	}
	l.nhwc[nv] = true
	l.toNHWC[v] = nv
	return nv, nil
}

// nchw returns v as NCHW data.
func (l *layouter) nchw(v *ir.Value) (*ir.Value, error) {
	if !l.nhwc[v] {
		return v, nil
	}
	if c, ok := l.toNCHW[v]; ok {
		return c, nil
	}
	nv, err := l.relayout(v, ir.PermNHWCToNCHW, "/nchw")
	if err != nil {
		return nil, err
	}
	l.toNCHW[v] = nv
	return nv, nil
}

// relayout emits the node that permutes a run-time rank-4 value: a
// Reshape when the move is trivial (the channel extent is 1, or all the
// spatial ones are), else a Transpose.
func (l *layouter) relayout(v *ir.Value, perm []int, suffix string) (*ir.Value, error) {
	s := v.Shape
	out := make(ir.Shape, 4)
	for i, p := range perm {
		out[i] = s[p]
	}
	var op ir.Op = &ir.Transpose{Perm: append([]int(nil), perm...)}
	fromNHWC := perm[1] == 3
	c := s[1]
	if fromNHWC {
		c = s[3]
	}
	if c == 1 || out.PerBatch() == c {
		shape := make([]int64, 4)
		for i, d := range out {
			shape[i] = int64(d)
			if d == ir.Batch {
				shape[i] = ir.ReshapeBatch
			}
		}
		op = &ir.Reshape{Shape: shape, AllowZero: true} // a 0 is an empty dimension, not a copy
	}
	n := &ir.Node{Name: v.Name + suffix, Op: op, Inputs: []*ir.Value{v}}
	n.Outputs = []*ir.Value{{Name: n.Name, Producer: n}}
	if err := l.emit(n); err != nil {
		return nil, err
	}
	return n.Outputs[0], nil
}

// absorbFlatten handles a Flatten (or an equivalent Reshape to [N, -1]) of
// an NHWC value. When the flattened features go only into Gemms with
// constant weights, as their A operand and nothing else, it reorders those
// weights from (c, h, w) to (h, w, c) feature order instead of moving the
// activations.
func (l *layouter) absorbFlatten(n *ir.Node, uses map[*ir.Value][]*ir.Node) (bool, error) {
	in := n.Inputs[0]
	h, w, c := in.Shape[1], in.Shape[2], in.Shape[3]
	flat := n.Outputs[0]
	if h*w != 1 && c != 1 {
		if l.g.IsOutput(flat) {
			return false, nil
		}
		for _, u := range uses[flat] {
			gm, ok := u.Op.(*ir.Gemm)
			if !ok || gm.TransA || u.Inputs[0] != flat || u.Inputs[1] == flat || u.Input(2) == flat || !u.Inputs[1].IsConst() {
				return false, nil
			}
		}
		for _, u := range uses[flat] {
			gm := u.Op.(*ir.Gemm)
			u.Inputs[1] = permuteFeatures(u.Inputs[1], gm.TransB, c, h, w)
		}
	}
	// The data already lies in the order the (re-ordered) consumers read.
	// A view whose rule gives another shape for the permuted input (a 0
	// in a Reshape's shape copies an input dimension, which the layout
	// change has moved) becomes a Reshape to its output shape spelled out.
	o := n.Outputs[0].Shape
	if got, err := ir.CloneOp(n.Op).Infer(ir.InputTypes(n)); err != nil || !got[0].Shape.Equal(o) {
		shape := []int64{int64(o[0]), int64(o[1])}
		if o[0] == ir.Batch {
			shape[0] = ir.ReshapeBatch
		}
		n.Op = &ir.Reshape{Shape: shape, AllowZero: true}
	}
	return true, l.emit(n)
}

// permuteFeatures reorders the K axis of a Gemm weight from NCHW feature
// order (c*H + h)*W + w to NHWC order (h*W + w)*C + c.
func permuteFeatures(b *ir.Value, transB bool, c, h, w int) *ir.Value {
	t := b.Const
	k, n := t.Shape[0], t.Shape[1]
	if transB {
		k, n = n, k
	}
	out := ir.Zeros(t.DType, t.Shape)
	for ci := 0; ci < c; ci++ {
		for hi := 0; hi < h; hi++ {
			for wi := 0; wi < w; wi++ {
				src := (ci*h+hi)*w + wi
				dst := (hi*w+wi)*c + ci
				for j := 0; j < n; j++ {
					if transB {
						out.Floats[j*k+dst] = t.Floats[j*k+src]
					} else {
						out.Floats[dst*n+j] = t.Floats[src*n+j]
					}
				}
			}
		}
	}
	return ir.NewConst(b.Name+"/nhwc", out)
}
