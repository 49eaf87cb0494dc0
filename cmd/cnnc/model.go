package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnnc/cnnc/frontend"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// modelFlags are the flags every command that loads a model takes.
type modelFlags struct {
	weights   string
	seed      int64
	dims      dimsFlag
	dumpAfter string
	dump      io.Writer
}

func addModelFlags(fs *flag.FlagSet) *modelFlags {
	m := &modelFlags{dims: dimsFlag{}, dump: os.Stderr}
	fs.StringVar(&m.weights, "weights", "", "Keras-compatible `.npz` weights for a .cnn model (default: seeded Glorot-uniform)")
	fs.Int64Var(&m.seed, "seed", 1, "seed of the Glorot-uniform weights of a .cnn model without -weights")
	fs.Var(m.dims, "dim", "fix an unknown ONNX dimension, `NAME=VALUE` (repeatable)")
	fs.StringVar(&m.dumpAfter, "dump-after", "", "write the IR to stderr after the named `passes` (comma-separated, or all)")
	return m
}

// load reads the model and runs the passes, honouring -dump-after.
func (m *modelFlags) load(path string, pipeline []passes.Pass) (*ir.Graph, error) {
	g, err := frontend.Load(path, frontend.Options{Weights: m.weights, Seed: m.seed, Dims: m.dims})
	if err != nil {
		return nil, err
	}
	return g, m.run(path, g, pipeline)
}

// run runs the passes on g, honouring -dump-after.
func (m *modelFlags) run(path string, g *ir.Graph, pipeline []passes.Pass) error {
	mgr := &passes.Manager{Passes: pipeline}
	if m.dumpAfter != "" {
		mgr.DumpAfter = splitList(m.dumpAfter)
		mgr.Dump = m.dump
		if err := mgr.CheckNames(mgr.DumpAfter); err != nil {
			return usageError(fmt.Sprintf("-dump-after: %v", err))
		}
	}
	if err := mgr.Run(g); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func onePath(positional []string) (string, error) {
	switch len(positional) {
	case 0:
		return "", usageError("no model given")
	case 1:
		return positional[0], nil
	}
	return "", usageError(fmt.Sprintf("want one model, got %d arguments: %s", len(positional), strings.Join(positional, " ")))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
