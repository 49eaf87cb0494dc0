package ir

import "fmt"

// Infer runs every node's shape rule in order, recording the output types
// and resolving padding modes into explicit pads. Graph inputs and
// constants must already carry their types. An error names the node (and
// the source layer, when it differs) and the input shapes.
//
// Shape inference lives here, beside the shape rules, so that frontends
// can type the graph they build without depending on anything above ir.
func (g *Graph) Infer() error {
	for _, v := range g.Inputs {
		if !v.Known() {
			return fmt.Errorf("graph input %q has no type", v.Name)
		}
	}
	for _, n := range g.Nodes {
		if err := InferNode(n); err != nil {
			return err
		}
	}
	return nil
}

// InferNode runs one node's shape rule and records its output types.
func InferNode(n *Node) error {
	for i, in := range n.Inputs {
		if in != nil && !in.Known() {
			return fmt.Errorf("%s: input %d %q has no type (is it computed later?)", n.Where(), i, in.Name)
		}
	}
	types, err := n.Op.Infer(InputTypes(n))
	if err != nil {
		return fmt.Errorf("%s: %w", n.Where(), err)
	}
	if len(types) < len(n.Outputs) {
		return fmt.Errorf("%s: op gives %d outputs, node has %d", n.Where(), len(types), len(n.Outputs))
	}
	for i, o := range n.Outputs {
		o.Type = types[i]
	}
	return nil
}

// Where names a node for error messages: its layer and layer type when the
// node came from a DSL layer, else its name and op type.
func (n *Node) Where() string {
	op := n.Op.OpType()
	switch {
	case n.Layer != "" && n.LayerType != "" && n.Layer != n.Name:
		return fmt.Sprintf("layer %q (%s), node %q (%s)", n.Layer, n.LayerType, n.Name, op)
	case n.LayerType != "" && n.LayerType != op:
		return fmt.Sprintf("layer %q (%s)", n.Name, n.LayerType)
	}
	return fmt.Sprintf("node %q (%s)", n.Name, op)
}
