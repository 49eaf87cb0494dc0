package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/ir"
)

// modelFlags are the flags every command that loads a model takes.
type modelFlags struct {
	weights   string
	seed      int64
	dims      dimsFlag
	dumpAfter string
	quiet     bool
	verbose   bool
	stderr    io.Writer
}

func addModelFlags(fs *flag.FlagSet, stderr io.Writer) *modelFlags {
	m := &modelFlags{dims: dimsFlag{}, stderr: stderr}
	fs.StringVar(&m.weights, "weights", "", "Keras-compatible `.npz` weights for a .cnn model (default: seeded Glorot-uniform)")
	fs.Int64Var(&m.seed, "seed", 1, "seed of the Glorot-uniform weights of a .cnn model without -weights")
	fs.Var(m.dims, "dim", "fix a symbolic ONNX dimension, `NAME=VALUE` (repeatable)")
	fs.StringVar(&m.dumpAfter, "dump-after", "", "write the IR to stderr after the named `passes` (comma-separated: import, a pass name, or all)")
	fs.BoolVar(&m.quiet, "q", false, "print nothing on stderr about what is being done")
	fs.BoolVar(&m.verbose, "v", false, "also print each pass's time and what it changed")
	return m
}

func (m *modelFlags) loadOptions() compiler.LoadOptions {
	return compiler.LoadOptions{Weights: m.weights, Seed: m.seed, Dims: m.dims}
}

// load reads the model.
func (m *modelFlags) load(path string) (*compiler.Model, error) {
	return m.loadWith(path, m.loadOptions())
}

// loadWith reads the model with the given options, after checking the
// flags that the load does not use.
func (m *modelFlags) loadWith(path string, opts compiler.LoadOptions) (*compiler.Model, error) {
	if _, err := m.compileOptions(); err != nil {
		return nil, err
	}
	return compiler.Load(path, opts)
}

// log is where progress goes: stderr unless -q.
func (m *modelFlags) log() io.Writer {
	if m.quiet {
		return nil
	}
	return m.stderr
}

// progress prints one line about a step that may take a while.
func (m *modelFlags) progress(format string, args ...any) {
	if w := m.log(); w != nil {
		fmt.Fprintf(w, "cnnc: "+format+"\n", args...)
	}
}

// compileOptions are the compiler options the flags imply.
func (m *modelFlags) compileOptions() (compiler.Options, error) {
	opts := compiler.Options{Log: m.log(), Verbose: m.verbose && !m.quiet}
	if m.dumpAfter != "" {
		opts.DumpAfter, opts.Dump = splitList(m.dumpAfter), m.stderr
		if err := compiler.CheckDumpAfter(opts.DumpAfter); err != nil {
			return opts, usageError(fmt.Sprintf("-dump-after: %v", err))
		}
	}
	return opts, nil
}

// dumpImport honours -dump-after import for commands that run no passes.
func (m *modelFlags) dumpImport(g *ir.Graph) error {
	for _, d := range splitList(m.dumpAfter) {
		if d == "import" || d == "all" {
			fmt.Fprintf(m.stderr, "# after import\n")
			return ir.Dump(m.stderr, g)
		}
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
