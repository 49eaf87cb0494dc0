// Package engine runs a compiled-in-memory model on concrete tensors, by
// one of cnnc's two engines: "ref", the float64 reference evaluator, and
// "go", the generated Go package built and run as a program.
package engine

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// Engine computes a model's outputs from its inputs.
type Engine interface {
	// Name is "ref" or "go".
	Name() string
	// Run evaluates the model on inputs matched to the graph's inputs by
	// position and returns one tensor per graph output.
	Run(inputs []*ir.Tensor) ([]*ir.Tensor, error)
	// Close releases what the engine holds (temporary directories).
	Close() error
}

// Names lists the engines New accepts.
var Names = []string{"ref", "go"}

// Ref returns the reference engine for g, which must be typed.
func Ref(g *ir.Graph) Engine { return ref{g} }

type ref struct{ g *ir.Graph }

func (ref) Name() string { return "ref" }

func (r ref) Run(inputs []*ir.Tensor) ([]*ir.Tensor, error) { return eval.Run(r.g, inputs) }

func (ref) Close() error { return nil }

// CheckInputs verifies that inputs fit g's inputs (count, dtype and every
// static dimension) and returns the batch size they imply, so that a bad
// test-data file fails with a message instead of inside an engine.
func CheckInputs(g *ir.Graph, inputs []*ir.Tensor) (batch int, err error) {
	if len(inputs) != len(g.Inputs) {
		return 0, fmt.Errorf("model has %d inputs, got %d tensors", len(g.Inputs), len(inputs))
	}
	batch = 1
	for i, v := range g.Inputs {
		t := inputs[i]
		if t == nil {
			return 0, fmt.Errorf("input %d (%q) is missing", i, v.Name)
		}
		if len(t.Shape) != len(v.Shape) {
			return 0, fmt.Errorf("input %d (%q): got shape %v, model wants %v", i, v.Name, t.Shape, v.Shape)
		}
		for d, want := range v.Shape {
			got := t.Shape[d]
			switch {
			case want == ir.Batch:
				batch = got
			case got != want:
				return 0, fmt.Errorf("input %d (%q): got shape %v, model wants %v", i, v.Name, t.Shape, v.Shape)
			}
		}
		if t.DType.IsFloat() != v.DType.IsFloat() {
			return 0, fmt.Errorf("input %d (%q): got %s data, model wants %s", i, v.Name, t.DType, v.DType)
		}
	}
	return batch, nil
}
