// Package eval is the reference interpreter of the IR: plain loops in
// float64 that follow the ONNX operator specifications as literally as
// possible. It is the oracle that ONNX conformance tests and generated-code
// tests compare against, and the engine behind `cnnc run`, so it favours
// evident correctness over speed; it is still fast enough for a ResNet-18
// forward pass in a few seconds.
//
// Floating-point results are kept in float64 whatever the declared element
// type (no rounding to float32), except where an op's meaning is a rounding
// (Cast). Integer results wrap to the width of their element type, as C
// integer arithmetic does.
//
// Output shapes are never computed here: every node's shape comes from its
// op's own Infer method run on the concrete input types, so the interpreter
// and the compiler cannot disagree about shapes.
//
// Evaluating a node calls its op's Infer method, which may canonicalize the
// op's attributes in place (an idempotent change). Evaluating one graph from
// several goroutines at once is therefore not safe.
package eval

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"

	"github.com/cnnc/cnnc/ir"
)

// Run evaluates g on inputs, matched to g.Inputs by position. Input tensors
// carry concrete shapes: where a graph input's type has ir.Batch as
// dimension 0, the tensor's dimension 0 gives the batch size; every other
// dimension, the rank and the element type must equal the declared type.
// Run returns one tensor per g.Outputs; the results share no memory with
// the inputs or with the graph's constants.
//
// Errors from a node name it, as node "name" (OpType): cause.
func Run(g *ir.Graph, inputs []*ir.Tensor) ([]*ir.Tensor, error) {
	if g == nil {
		return nil, errors.New("eval: nil graph")
	}
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("graph %q has %d inputs, got %d tensors", g.Name, len(g.Inputs), len(inputs))
	}
	vals := make(map[*ir.Value]*ir.Tensor)
	// types holds each value's type as shape inference sees it, the batch
	// dimension symbolic, so that the next node's Infer sees exactly what
	// it sees at compile time.
	types := make(map[*ir.Value]ir.Type)
	for i, v := range g.Inputs {
		if v == nil {
			return nil, fmt.Errorf("graph input %d is nil", i)
		}
		if err := checkInput(v, inputs[i]); err != nil {
			return nil, fmt.Errorf("graph input %d %q: %w", i, v.Name, err)
		}
		vals[v] = inputs[i]
		types[v] = v.Type
	}

	lastUse := make(map[*ir.Value]int)
	for i, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("graph node %d is nil", i)
		}
		for _, v := range n.Inputs {
			lastUse[v] = i
		}
	}
	keep := make(map[*ir.Value]bool)
	for _, v := range g.Inputs {
		keep[v] = true
	}
	for _, v := range g.Outputs {
		keep[v] = true
	}

	for i, n := range g.Nodes {
		in := make([]*ir.Tensor, len(n.Inputs))
		hint := make([]ir.Type, len(n.Inputs))
		for j, v := range n.Inputs {
			switch {
			case v == nil:
			case v.Const != nil:
				in[j] = v.Const
				hint[j] = constType(v)
			default:
				t, ok := vals[v]
				if !ok {
					return nil, nodeErr(n, fmt.Errorf("input %d %q is not computed before the node (not a graph input, constant or earlier node's output)", j, v.Name))
				}
				in[j], hint[j] = t, types[v]
			}
		}
		outs, outTypes, err := evalNode(n, in, hint)
		if err != nil {
			return nil, nodeErr(n, err)
		}
		for j, o := range n.Outputs {
			if o == nil {
				continue
			}
			if o.Known() && !sameType(o.Type, outTypes[j]) {
				return nil, nodeErr(n, fmt.Errorf("output %q is recorded as %v but evaluates to %v (stale shape inference?)", o.Name, o.Type, outTypes[j]))
			}
			vals[o], types[o] = outs[j], outTypes[j]
		}
		// Dropping dead intermediates keeps a large model's peak memory
		// near that of its largest layers instead of the sum of all.
		for _, v := range n.Inputs {
			if v != nil && lastUse[v] == i && !keep[v] {
				delete(vals, v)
			}
		}
	}

	res := make([]*ir.Tensor, len(g.Outputs))
	given := make(map[*ir.Tensor]bool)
	for _, t := range inputs {
		given[t] = true
	}
	for i, v := range g.Outputs {
		var t *ir.Tensor
		switch {
		case v == nil:
			return nil, fmt.Errorf("graph output %d is nil", i)
		case v.Const != nil:
			t = v.Const
		default:
			var ok bool
			if t, ok = vals[v]; !ok {
				return nil, fmt.Errorf("graph output %q is never computed", v.Name)
			}
		}
		// The caller may modify what it gets back; constants, inputs and
		// a value listed twice must not be modified through it.
		if v.Const != nil || given[t] {
			t = t.Clone()
		}
		given[t] = true
		res[i] = t
	}
	return res, nil
}

// Node evaluates a single node on concrete input tensors matched to
// n.Inputs by position (nil exactly where n.Inputs has nil, for an omitted
// optional input; constants may be passed as their Const tensors) and
// returns one tensor per n.Outputs. Constant folding uses it. The results
// share no memory with the inputs. A node without input values (built
// bare, for a test) takes any tensors.
//
// Where n.Inputs[i] carries a type, its layout is passed on to the op's
// shape rule, and an ir.Batch dimension 0 there marks the tensor's
// dimension 0 as the batch dimension.
func Node(n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	if n == nil {
		return nil, errors.New("eval: nil node")
	}
	// A node built bare (no input values) is evaluated on whatever it is
	// given; otherwise tensors and values must pair up, so that a
	// constant folder's off-by-one cannot silently drop an operand.
	if len(n.Inputs) > 0 {
		if len(in) != len(n.Inputs) {
			return nil, nodeErr(n, fmt.Errorf("node has %d inputs, got %d tensors", len(n.Inputs), len(in)))
		}
		for i, v := range n.Inputs {
			if (v == nil) != (in[i] == nil) {
				return nil, nodeErr(n, fmt.Errorf("input %d: the node's value and the tensor given disagree on whether it is omitted", i))
			}
		}
	}
	hint := make([]ir.Type, len(in))
	for i := range in {
		if v := n.Input(i); v != nil {
			hint[i] = v.Type
		}
	}
	outs, _, err := evalNode(n, in, hint)
	if err != nil {
		return nil, nodeErr(n, err)
	}
	return outs, nil
}

// kernel computes an op's outputs from its inputs and the concrete output
// types its shape rule gave.
type kernel func(in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error)

// evalNode runs n's shape rule on the concrete input types and then its
// kernel. hint[i], when known, is the compile-time type of input i: it
// supplies the layout and whether dimension 0 is the batch dimension. It
// returns the outputs and their compile-time (batch-symbolic) types.
func evalNode(n *ir.Node, in []*ir.Tensor, hint []ir.Type) (outs []*ir.Tensor, types []ir.Type, err error) {
	defer func() {
		// Shape rules and kernels index slices by attribute values that
		// come from arbitrary model files; a slip there must surface as
		// an error naming the node, not bring down cnnc run.
		if r := recover(); r != nil {
			outs, types = nil, nil
			err = fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	if isNil(n.Op) {
		return nil, nil, errors.New("node has no op")
	}
	k, err := kernelFor(n.Op)
	if err != nil {
		return nil, nil, err
	}
	inTypes, batch, err := concreteTypes(in, hint)
	if err != nil {
		return nil, nil, err
	}
	types, err = n.Op.Infer(inTypes)
	if err != nil {
		return nil, nil, err
	}
	if len(types) < len(n.Outputs) {
		return nil, nil, fmt.Errorf("op gives %d outputs, node has %d", len(types), len(n.Outputs))
	}
	conc := make([]ir.Type, len(types))
	for i, t := range types {
		conc[i] = t
		conc[i].Shape = t.Shape.Clone()
		for d, s := range t.Shape {
			if s == ir.Batch {
				if batch < 0 {
					return nil, nil, fmt.Errorf("output %d has a batch dimension but no input has one", i)
				}
				conc[i].Shape[d] = batch
			}
		}
	}
	outs, err = k(in, conc)
	if err != nil {
		return nil, nil, err
	}
	if len(outs) < len(n.Outputs) {
		return nil, nil, fmt.Errorf("internal error: kernel gives %d outputs, node has %d", len(outs), len(n.Outputs))
	}
	for i := range n.Outputs {
		if err := outs[i].Check(); err != nil || outs[i].DType != conc[i].DType || !outs[i].Shape.Equal(conc[i].Shape) {
			return nil, nil, fmt.Errorf("internal error: output %d is %v, shape rule says %v (%v)", i, outs[i].Type(), conc[i], err)
		}
	}
	return outs[:len(n.Outputs)], types[:len(n.Outputs)], nil
}

// concreteTypes builds the shape rule's input types from the tensors,
// marking dimension 0 as ir.Batch where the hint has it, and returns the
// concrete batch size (-1 when no input has a batch dimension).
func concreteTypes(in []*ir.Tensor, hint []ir.Type) ([]ir.Type, int, error) {
	types := make([]ir.Type, len(in))
	batch := -1
	for i, t := range in {
		if t == nil {
			continue
		}
		if err := checkTensor(t); err != nil {
			return nil, 0, fmt.Errorf("input %d: %w", i, err)
		}
		types[i] = ir.Type{DType: t.DType, Shape: t.Shape.Clone()}
		if i >= len(hint) {
			continue
		}
		h := hint[i]
		types[i].Layout = h.Layout
		if h.Known() && len(h.Shape) == len(t.Shape) && len(h.Shape) > 0 && h.Shape[0] == ir.Batch {
			if batch >= 0 && batch != t.Shape[0] {
				return nil, 0, fmt.Errorf("inputs disagree on the batch size: %d and %d (input %d)", batch, t.Shape[0], i)
			}
			batch = t.Shape[0]
			types[i].Shape[0] = ir.Batch
		}
	}
	return types, batch, nil
}

// bind turns a single-output kernel of op into a kernel. Every such
// kernel takes the op, the inputs (shape-checked by the op's rule) and the
// concrete output type.
func bind[O any](f func(op O, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error), op O) kernel {
	return func(in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error) {
		t, err := f(op, in, out[0])
		if err != nil {
			return nil, err
		}
		return []*ir.Tensor{t}, nil
	}
}

// checkInput validates a graph input tensor against its declared type.
func checkInput(v *ir.Value, t *ir.Tensor) error {
	if t == nil {
		return errors.New("tensor is nil")
	}
	if !v.Known() {
		return errors.New("the graph declares no type for it")
	}
	if t.DType != v.DType {
		return fmt.Errorf("tensor is %s, graph wants %v", t.DType, v.Type)
	}
	if len(t.Shape) != len(v.Shape) {
		return fmt.Errorf("tensor has shape %v (rank %d), graph wants %v (rank %d)", t.Shape, len(t.Shape), v.Type, len(v.Shape))
	}
	for i, d := range v.Shape {
		if t.Shape[i] < 0 {
			return fmt.Errorf("tensor shape %v has a negative dimension", t.Shape)
		}
		if d != ir.Batch && t.Shape[i] != d {
			return fmt.Errorf("tensor has shape %v, graph wants %v (dimension %d differs)", t.Shape, v.Type, i)
		}
	}
	return checkTensor(t)
}

// checkTensor is Tensor.Check plus a range check of integer elements: the
// kernels assume that an element of a narrow type holds a value of that
// type (an i8 holding 300 would compare as 300 but add as 44).
func checkTensor(t *ir.Tensor) error {
	if err := t.Check(); err != nil {
		return err
	}
	for i, v := range t.Ints {
		if ir.WrapInt(t.DType, v) != v {
			return fmt.Errorf("element %d (%d) of a %s tensor is out of the type's range", i, v, t.DType)
		}
	}
	return nil
}

// constType is the compile-time type of a constant value: its recorded
// type when it has one (with a layout, say), else the tensor's own.
func constType(v *ir.Value) ir.Type {
	if v.Known() {
		return v.Type
	}
	return v.Const.Type()
}

func sameType(a, b ir.Type) bool {
	return a.DType == b.DType && a.Shape.Equal(b.Shape) && a.Layout == b.Layout
}

func nodeErr(n *ir.Node, err error) error {
	op := "?"
	if !isNil(n.Op) {
		op = n.Op.OpType()
	}
	return fmt.Errorf("node %q (%s): %w", n.Name, op, err)
}

// isNil reports whether x is nil or a nil pointer inside an interface;
// calling a method of an op on the latter would dereference nil.
func isNil(x any) bool {
	if x == nil {
		return true
	}
	v := reflect.ValueOf(x)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
