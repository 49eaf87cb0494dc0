package onnx

import (
	"errors"
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

// ImportWithInputs imports a model for one set of input values, as a test
// harness or cnnc check does. inputs are the run-time inputs in InputNames
// order (input_0.pb, input_1.pb, ...). A graph input that the model needs
// at compile time (the ONNX node tests feed Reshape's shape, Pad's pads or
// Clip's bounds as inputs; see RunTimeInputError) is bound to its value
// and the model imported again, until no such input is left. It returns
// the graph and the tensors to feed its remaining inputs, in graph order.
func ImportWithInputs(data []byte, opts Options, inputs []*ir.Tensor) (*ir.Graph, []*ir.Tensor, error) {
	names, err := InputNames(data)
	if err != nil {
		return nil, nil, err
	}
	if len(inputs) != len(names) {
		return nil, nil, fmt.Errorf("got %d input tensors for a model with %d run-time inputs", len(inputs), len(names))
	}
	byName := make(map[string]*ir.Tensor, len(names))
	for i, n := range names {
		byName[n] = inputs[i]
	}
	bound := make(map[string]*ir.Tensor, len(opts.Constants))
	for k, v := range opts.Constants {
		bound[k] = v
	}
	opts.Constants = bound
	for {
		g, err := Import(data, opts)
		var rte *RunTimeInputError
		if !errors.As(err, &rte) || rte.Batch {
			if err != nil {
				return nil, nil, err
			}
			feed := make([]*ir.Tensor, len(g.Inputs))
			for i, v := range g.Inputs {
				if feed[i] = byName[v.Name]; feed[i] == nil {
					return nil, nil, fmt.Errorf("no value for graph input %q", v.Name)
				}
			}
			return g, feed, nil
		}
		progress := false
		for _, n := range rte.GraphInputs {
			if _, done := bound[n]; !done && byName[n] != nil {
				bound[n] = byName[n]
				progress = true
			}
		}
		if !progress {
			return nil, nil, err
		}
	}
}

// BindDims reads the symbolic dimensions of a model's run-time inputs
// (dim_param, other than a leading batch dimension) off the shapes of the
// tensors that are about to be fed, given in InputNames order, so that a
// fully convolutional model with free height and width imports for the
// size at hand. It returns the bindings by name; a name bound to two
// different sizes is an error.
func BindDims(data []byte, inputs []*ir.Tensor) (map[string]int, error) {
	m, err := decodeModel(data)
	if err != nil {
		return nil, err
	}
	inits := make(map[string]bool)
	for _, t := range m.Graph.Initializer {
		inits[t.Name] = true
	}
	dims := map[string]int{}
	k := 0
	for _, vi := range m.Graph.Input {
		if vi == nil || inits[vi.Name] {
			continue
		}
		if k >= len(inputs) {
			break
		}
		t := inputs[k]
		k++
		if t == nil || vi.Type == nil || vi.Type.GetTensorType() == nil || vi.Type.GetTensorType().Shape == nil {
			continue
		}
		for i, d := range vi.Type.GetTensorType().Shape.Dim {
			param := d.GetDimParam()
			if param == "" || i == 0 || i >= len(t.Shape) {
				continue // dimension 0 is the batch, which stays symbolic
			}
			if old, ok := dims[param]; ok && old != t.Shape[i] {
				return nil, fmt.Errorf("dimension %q is %d in one input and %d in input %q", param, old, t.Shape[i], vi.Name)
			}
			dims[param] = t.Shape[i]
		}
	}
	return dims, nil
}
