// Package frontend loads a model file into the IR, choosing the frontend
// by the file's extension: .cnn for the Keras-like DSL, .onnx for ONNX.
package frontend

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cnnc/cnnc/frontend/dsl"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
)

// Options configure both frontends; each ignores what does not apply.
type Options struct {
	// Weights is a Keras-compatible .npz for a DSL model; empty means a
	// seeded Glorot-uniform initialisation.
	Weights string
	// Seed seeds the DSL initialisation.
	Seed int64
	// Dims fixes unknown ONNX dimensions by name (--dim NAME=VALUE).
	Dims map[string]int
}

// Kind is a model file's format.
type Kind int

// The formats.
const (
	Unknown Kind = iota
	DSL
	ONNX
)

// KindOf tells the format from the file name.
func KindOf(path string) Kind {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".cnn":
		return DSL
	case ".onnx":
		return ONNX
	}
	return Unknown
}

// Load reads a model file into a typed graph.
func Load(path string, opts Options) (*ir.Graph, error) {
	switch KindOf(path) {
	case DSL:
		if len(opts.Dims) > 0 {
			return nil, fmt.Errorf("%s: --dim applies to ONNX models only", path)
		}
		return dsl.Load(path, dsl.Options{Weights: opts.Weights, Seed: opts.Seed})
	case ONNX:
		if opts.Weights != "" {
			return nil, fmt.Errorf("%s: --weights applies to DSL models only; an ONNX model carries its weights", path)
		}
		return onnx.ImportFile(path, onnx.Options{Dims: opts.Dims})
	}
	return nil, fmt.Errorf("%s: unknown model format; want a .cnn (DSL) or .onnx file", path)
}
