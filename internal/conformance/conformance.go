// Package conformance locates and loads the third-party conformance data
// in ../shared/conformance (ONNX backend tests and exported models) for
// the tests of several packages.
package conformance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
)

// Folder is one folder of the conformance data with the tolerance its
// reference outputs were produced for.
type Folder struct {
	Name       string
	RTol, ATol float64
}

// Folders are the conformance folders: the ONNX backend tests are judged
// with the ONNX runner's tolerance, whole models with a looser absolute
// one.
var Folders = []Folder{
	{"onnx-node", 1e-3, 1e-7},
	{"onnx-node-extra", 1e-3, 1e-7},
	{"onnx-pytorch-converted", 1e-3, 1e-7},
	{"onnx-pytorch-operator", 1e-3, 1e-7},
	{"models", 1e-3, 1e-5},
}

// Case is one test directory: a model and its data sets, each imported
// with the graph inputs that the model needs at compile time (the node
// tests feed shapes and axes as inputs) bound to that set's values.
type Case struct {
	Folder Folder
	Name   string // the test directory's name
	Dir    string
	Sets   []Set
}

// Set is one test_data_set_N: a typed graph, the run-time inputs in graph
// order, and the expected outputs.
type Set struct {
	Name            string
	Graph           *ir.Graph
	Inputs, Outputs []*ir.Tensor
}

// Tests lists the test directories of a folder, sorted.
func Tests(root string, f Folder) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, f.Name))
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		dir := filepath.Join(root, f.Name, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err == nil {
			dirs = append(dirs, dir)
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// Load imports a test directory. An error wrapping onnx.ErrUnsupported
// means cnnc does not claim the model (the test is skipped with it); any
// other error is a failure.
func Load(f Folder, dir string) (*Case, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return nil, err
	}
	c := &Case{Folder: f, Name: filepath.Base(dir), Dir: dir}
	// Unsupported models are rejected before their data is read: the data
	// of a sequence-typed input, say, is no TensorProto.
	if _, err := onnx.Import(data, onnx.Options{}); errors.Is(err, onnx.ErrUnsupported) {
		return nil, err
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	sort.Strings(sets)
	if len(sets) == 0 {
		return nil, fmt.Errorf("%s: no test_data_set_* directories", dir)
	}
	for _, set := range sets {
		s, err := loadSet(data, set)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(set), err)
		}
		c.Sets = append(c.Sets, *s)
	}
	return c, nil
}

func loadSet(model []byte, dir string) (*Set, error) {
	ins, outs, err := onnx.LoadTestDataSet(dir)
	if err != nil {
		return nil, err
	}
	g, feed, err := onnx.ImportWithInputs(model, onnx.Options{}, ins)
	if err != nil {
		return nil, err
	}
	return &Set{Name: filepath.Base(dir), Graph: g, Inputs: feed, Outputs: outs}, nil
}
