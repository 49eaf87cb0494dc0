package ir

import (
	"errors"
	"fmt"
)

// Op is one operation type. Each op is a struct whose fields are its
// attributes; Infer is its shape rule.
type Op interface {
	// OpType is the op's name, the ONNX spelling where ONNX has the op.
	OpType() string
	// Infer computes the output types from the input types. An omitted
	// optional input has the zero Type. Infer may canonicalize the op's own
	// attributes from its input types (resolve auto_pad into explicit pads,
	// normalize negative axes); doing so twice changes nothing.
	Infer(in []Type) ([]Type, error)
}

// Value is a tensor in the graph: a graph input, a constant, or the output
// of exactly one node.
type Value struct {
	Name string
	Type
	// Const holds the data of a compile-time constant (a weight, an
	// initializer, a folded subgraph); nil for run-time values.
	Const *Tensor
	// Producer is the node that computes the value; nil for graph inputs and
	// constants.
	Producer *Node
}

// IsConst reports whether v is a compile-time constant.
func (v *Value) IsConst() bool { return v != nil && v.Const != nil }

// Node applies one Op to its inputs.
type Node struct {
	Name string
	Op   Op
	// Inputs in the op's order; nil marks an omitted optional input.
	Inputs  []*Value
	Outputs []*Value
	// Layer and LayerType name the source-model layer the node came from
	// (for a DSL model "conv2d" and "Conv2D"; for ONNX the node's own name
	// and op type). cnnc summary prints one row per layer.
	Layer     string
	LayerType string
}

// Input returns input i, or nil when it is absent.
func (n *Node) Input(i int) *Value {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

// Graph is a model: its run-time inputs, its outputs and the nodes between
// them in topological order.
type Graph struct {
	Name    string
	Inputs  []*Value
	Outputs []*Value
	Nodes   []*Node
	// BatchName is the name the source model gave its symbolic batch
	// dimension ("N", "batch_size"), if any.
	BatchName string
	// Plan is the memory plan, set by the planning pass before code
	// generation; nil before.
	Plan *MemoryPlan
}

// NewGraph returns an empty graph named name.
func NewGraph(name string) *Graph { return &Graph{Name: name} }

// AddInput declares a run-time input.
func (g *Graph) AddInput(name string, t Type) *Value {
	v := &Value{Name: name, Type: t}
	g.Inputs = append(g.Inputs, v)
	return v
}

// NewConst returns a constant value holding t. Constants are not listed in
// the graph; they are reached through the nodes that use them.
func NewConst(name string, t *Tensor) *Value {
	return &Value{Name: name, Type: t.Type(), Const: t}
}

// AddNode appends a node applying op to inputs, creating nOut output values
// named after name (name, name:1, name:2, ...) with unknown types, and
// returns the node.
func (g *Graph) AddNode(name string, op Op, inputs []*Value, nOut int) *Node {
	n := &Node{Name: name, Op: op, Inputs: inputs}
	for i := 0; i < nOut; i++ {
		vn := name
		if i > 0 {
			vn = fmt.Sprintf("%s:%d", name, i)
		}
		n.Outputs = append(n.Outputs, &Value{Name: vn, Producer: n})
	}
	g.Nodes = append(g.Nodes, n)
	return n
}

// Apply is AddNode for a single-output op; it returns the output value.
func (g *Graph) Apply(name string, op Op, inputs ...*Value) *Value {
	return g.AddNode(name, op, inputs, 1).Outputs[0]
}

// Uses maps each value to the nodes that read it, in node order. A value
// read twice by one node is listed twice.
func (g *Graph) Uses() map[*Value][]*Node {
	uses := make(map[*Value][]*Node)
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != nil {
				uses[in] = append(uses[in], n)
			}
		}
	}
	return uses
}

// IsOutput reports whether v is a graph output.
func (g *Graph) IsOutput(v *Value) bool {
	for _, o := range g.Outputs {
		if o == v {
			return true
		}
	}
	return false
}

// Replace makes every reader of old (nodes and graph outputs) read new
// instead.
func (g *Graph) Replace(old, new *Value) {
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if in == old {
				n.Inputs[i] = new
			}
		}
	}
	for i, o := range g.Outputs {
		if o == old {
			g.Outputs[i] = new
		}
	}
}

// RemoveDead deletes nodes none of whose outputs is read by another node
// or by the graph outputs, repeating until nothing changes.
func (g *Graph) RemoveDead() {
	live := make(map[*Value]bool)
	for _, o := range g.Outputs {
		live[o] = true
	}
	keep := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			if live[o] {
				keep[i] = true
				break
			}
		}
		if keep[i] {
			for _, in := range n.Inputs {
				if in != nil {
					live[in] = true
				}
			}
		}
	}
	out := g.Nodes[:0]
	for i, n := range g.Nodes {
		if keep[i] {
			out = append(out, n)
		}
	}
	for i := len(out); i < len(g.Nodes); i++ {
		g.Nodes[i] = nil
	}
	g.Nodes = out
}

// Verify checks the graph's structure: every value read is a graph input, a
// constant or the output of an earlier node (so dangling values and cycles
// are found); each value has one producer; outputs exist; and, where types
// are known, each node's recorded output types equal what its shape rule
// gives. It returns all problems found, joined.
func (g *Graph) Verify() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	defined := make(map[*Value]bool)
	inputs := make(map[*Value]bool)
	for _, v := range g.Inputs {
		if v == nil {
			fail("graph has a nil input")
			continue
		}
		if v.Const != nil || v.Producer != nil {
			fail("graph input %q is a constant or has a producer", v.Name)
		}
		if defined[v] {
			fail("graph input %q is listed twice", v.Name)
		}
		defined[v] = true
		inputs[v] = true
	}
	producedLater := make(map[*Value]*Node)
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producedLater[o] = n
		}
	}
	for _, n := range g.Nodes {
		if n.Op == nil {
			fail("node %q has no op", n.Name)
			continue
		}
		where := fmt.Sprintf("node %q (%s)", n.Name, n.Op.OpType())
		for i, in := range n.Inputs {
			switch {
			case in == nil:
			case in.Const != nil:
				if in.Producer != nil {
					fail("%s: input %d %q is a constant with a producer", where, i, in.Name)
				}
				if err := in.Const.Check(); err != nil {
					fail("%s: input %d %q: %v", where, i, in.Name, err)
				}
			case defined[in]:
			case producedLater[in] != nil:
				fail("%s: input %d %q is computed by a later node %q (cycle or bad order)", where, i, in.Name, producedLater[in].Name)
			default:
				fail("%s: input %d %q is dangling: not a graph input, a constant or a node output", where, i, in.Name)
			}
		}
		for i, o := range n.Outputs {
			if o == nil {
				fail("%s: output %d is nil", where, i)
				continue
			}
			if o.Producer != n {
				fail("%s: output %q does not point back to its producer", where, o.Name)
			}
			if defined[o] {
				fail("%s: output %q is produced twice", where, o.Name)
			}
			defined[o] = true
		}
		if t := recordedTypes(n); t != nil {
			got, err := n.Op.Infer(inputTypes(n))
			switch {
			case err != nil:
				fail("%s: %v", where, err)
			case len(got) < len(n.Outputs):
				// Fewer is fine: trailing optional outputs (Dropout's mask)
				// may be omitted, as in ONNX.
				fail("%s: shape rule gives %d outputs, node has %d", where, len(got), len(n.Outputs))
			default:
				for i := range t {
					if t[i].Known() && !typeEqual(got[i], t[i]) {
						fail("%s: output %q is recorded as %v but its inputs give %v", where, n.Outputs[i].Name, t[i], got[i])
					}
				}
			}
		}
	}
	for i, o := range g.Outputs {
		switch {
		case o == nil:
			fail("graph output %d is nil", i)
		case !defined[o] && o.Const == nil:
			fail("graph output %q is never computed", o.Name)
		}
	}
	return errors.Join(errs...)
}

// recordedTypes returns the node's output types if every input type is
// known, or nil when shape inference has not run.
func recordedTypes(n *Node) []Type {
	for _, in := range n.Inputs {
		if in != nil && !in.Known() {
			return nil
		}
	}
	t := make([]Type, len(n.Outputs))
	any := false
	for i, o := range n.Outputs {
		if o != nil {
			t[i] = o.Type
			any = any || o.Known()
		}
	}
	if !any {
		return nil
	}
	return t
}

func inputTypes(n *Node) []Type {
	in := make([]Type, len(n.Inputs))
	for i, v := range n.Inputs {
		if v != nil {
			in[i] = v.Type
		}
	}
	return in
}

// InputTypes returns the types of n's inputs, with the zero Type for an
// omitted one: the argument Op.Infer expects.
func InputTypes(n *Node) []Type { return inputTypes(n) }

func typeEqual(a, b Type) bool {
	return a.DType == b.DType && a.Shape.Equal(b.Shape) && a.Layout == b.Layout
}
