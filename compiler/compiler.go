// Package compiler is cnnc's one pipeline and its Go API: load a model (a
// .cnn file in the Keras-like DSL, or ONNX), optimize it and generate a Go
// package for it, and write that package. The cnnc command, the Go engine
// and programs that compile models themselves all go through it, so a
// model is loaded, typed and optimized the same way everywhere.
//
//	m, err := compiler.Load("model.onnx", compiler.LoadOptions{})
//	pkg, err := m.Compile(compiler.Options{Package: "mymodel", Test: true})
//	err = pkg.Write("./mymodel")
//
// Loading types the graph (shape inference runs once, in the frontend);
// Compile runs the optimizing passes on a copy, so one Model can be
// compiled several times, summarized or evaluated with the reference
// evaluator as loaded.
package compiler

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/frontend/dsl"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
	"github.com/cnnc/cnnc/summary"
)

// Format is a model file's format.
type Format int

// The formats.
const (
	Unknown Format = iota
	DSL            // .cnn: the Keras-like DSL
	ONNX           // .onnx
)

// String names the format.
func (f Format) String() string {
	switch f {
	case DSL:
		return "DSL"
	case ONNX:
		return "ONNX"
	}
	return "unknown"
}

// FormatOf tells a model's format from its file name.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".cnn":
		return DSL
	case ".onnx":
		return ONNX
	}
	return Unknown
}

// LoadOptions configure loading; each frontend ignores what does not
// apply to it and rejects what contradicts it.
type LoadOptions struct {
	// Weights is a Keras-compatible .npz for a DSL model; empty means
	// seeded Glorot-uniform weights.
	Weights string
	// Seed seeds those weights.
	Seed int64
	// Dims fixes symbolic ONNX dimensions by name (cnnc's -dim NAME=VALUE).
	Dims map[string]int
	// Inputs, when set, are the tensors the model is about to run on, one
	// per run-time input of the model file. Symbolic dimensions other than
	// the batch are bound from their shapes, and an ONNX graph input that
	// cnnc needs at compile time (a node test's shape or pads) is bound to
	// its value; Model.Feed then holds the tensors for the remaining
	// inputs.
	Inputs []*ir.Tensor
}

// Model is a loaded model: its typed IR graph, as the frontend built it.
type Model struct {
	// Source is the model file's base name ("" for a graph built in Go).
	Source string
	// Graph is the typed graph. Compile works on a copy.
	Graph *ir.Graph
	// Feed holds the tensors to feed Graph.Inputs when LoadOptions.Inputs
	// was given.
	Feed []*ir.Tensor
}

// Load reads a model file.
func Load(path string, opts LoadOptions) (*Model, error) {
	format := FormatOf(path)
	if err := checkOptions(path, format, opts); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := LoadBytes(path, data, format, opts)
	if err != nil {
		return nil, err
	}
	m.Source = filepath.Base(path)
	return m, nil
}

// LoadBytes loads a model held in memory; name is used in errors (a DSL
// error is name:line:col).
func LoadBytes(name string, data []byte, format Format, opts LoadOptions) (*Model, error) {
	if err := checkOptions(name, format, opts); err != nil {
		return nil, err
	}
	var g *ir.Graph
	var feed []*ir.Tensor
	var err error
	switch format {
	case DSL:
		var f *dsl.File
		if f, err = dsl.Parse(name, data); err != nil {
			return nil, err
		}
		if g, err = dsl.Build(f, dsl.Options{Weights: opts.Weights, Seed: opts.Seed}); err != nil {
			return nil, err
		}
		feed = opts.Inputs
	case ONNX:
		g, feed, err = loadONNX(data, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return &Model{Source: name, Graph: g, Feed: feed}, nil
}

// checkOptions rejects options that do not apply to the format, before
// anything is read.
func checkOptions(name string, format Format, opts LoadOptions) error {
	switch format {
	case DSL:
		if len(opts.Dims) > 0 {
			return fmt.Errorf("%s: -dim applies to ONNX models only", name)
		}
	case ONNX:
		if opts.Weights != "" {
			return fmt.Errorf("%s: -weights applies to DSL models only; an ONNX model carries its weights", name)
		}
	default:
		return fmt.Errorf("%s: unknown model format; want a .cnn (DSL) or .onnx file", name)
	}
	return nil
}

func loadONNX(data []byte, opts LoadOptions) (*ir.Graph, []*ir.Tensor, error) {
	if opts.Inputs == nil {
		g, err := onnx.Import(data, onnx.Options{Dims: opts.Dims})
		return g, nil, err
	}
	dims, err := onnx.BindDims(data, opts.Inputs)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range opts.Dims {
		dims[k] = v
	}
	return onnx.ImportWithInputs(data, onnx.Options{Dims: dims}, opts.Inputs)
}

// FromGraph wraps a graph built in Go (with package ir) as a Model,
// running shape inference if any value is untyped.
func FromGraph(g *ir.Graph) (*Model, error) {
	if g == nil {
		return nil, errors.New("compiler: nil graph")
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil && !o.Known() {
				if err := g.Infer(); err != nil {
					return nil, err
				}
				return &Model{Graph: g}, nil
			}
		}
	}
	return &Model{Graph: g}, nil
}

// Summary describes the model as loaded, the way Keras' model.summary()
// does. It runs no pass and generates nothing; Package.Summary adds the
// generated code's arena size.
func (m *Model) Summary() *summary.Summary { return summary.Of(m.Graph) }

// Options configure Compile.
type Options struct {
	// Package is the generated Go package's name; empty derives it from
	// the model's name.
	Package string
	// Threads is the number of goroutines a new Model of the generated
	// package runs on (Model.SetThreads changes it); 0 means 1.
	Threads int
	// Test also generates model_test.go and testdata/golden.bin: a test of
	// the generated code against the reference evaluator's outputs on a
	// seeded random input, computed now, plus allocation, wrong-size and
	// concurrency tests and a benchmark.
	Test bool
	// DumpAfter names passes after which the IR is written to Dump ("all"
	// for every pass, "import" for the graph as loaded).
	DumpAfter []string
	// Dump receives those dumps; nil writes none.
	Dump io.Writer
	// Log, if set, receives a line for every step that may take a while
	// (computing the reference outputs), and with Verbose, each pass's
	// time and what it changed.
	Log io.Writer
	// Verbose adds the per-pass lines to Log (cnnc's -v).
	Verbose bool
	// Profile generates a package that times each of its layers (cnnc
	// bench -layers); it is a little slower and meant for measuring.
	Profile bool
}

// Passes is the optimizing pipeline Compile runs, in order, planned for
// what the code generator's kernels can do (they read and write values
// that lie inside wider ones, which lets Concats happen in place).
func Passes() []passes.Pass {
	return passes.CodegenFor(passes.Target{ReadsRows: codegen.ReadsRows, WritesRows: codegen.WritesRows, GroupWidth: codegen.GroupWidth, StemSegments: codegen.StemSegments})
}

// PassNames lists the names -dump-after accepts: "import", each pass, and
// "all".
func PassNames() []string {
	names := []string{"import"}
	for _, p := range Passes() {
		names = append(names, p.Name)
	}
	return append(names, "all")
}

// CheckDumpAfter reports an error for a name that is not in PassNames.
func CheckDumpAfter(names []string) error {
	valid := PassNames()
	for _, n := range names {
		ok := false
		for _, v := range valid {
			ok = ok || v == n
		}
		if !ok {
			return fmt.Errorf("no pass named %q; want one of: %s", n, strings.Join(valid, ", "))
		}
	}
	return nil
}

// Optimize runs the optimizing passes on a copy of the graph and returns
// it, ready for code generation.
func (m *Model) Optimize(opts Options) (*ir.Graph, error) {
	if err := CheckDumpAfter(opts.DumpAfter); err != nil {
		return nil, err
	}
	g := m.Graph.Clone()
	dump := func(name string) bool {
		for _, d := range opts.DumpAfter {
			if d == name || d == "all" {
				return true
			}
		}
		return false
	}
	if opts.Dump != nil && dump("import") {
		fmt.Fprintf(opts.Dump, "# after import\n")
		if err := ir.Dump(opts.Dump, g); err != nil {
			return nil, err
		}
	}
	mgr := &passes.Manager{Passes: Passes()}
	if opts.Dump != nil {
		for _, p := range mgr.Passes {
			if dump(p.Name) {
				mgr.DumpAfter = append(mgr.DumpAfter, p.Name)
			}
		}
		mgr.Dump = opts.Dump
	}
	if opts.Verbose && opts.Log != nil {
		mgr.Observe = func(p passes.Pass, before, after passes.Stats, d time.Duration) {
			fmt.Fprintf(opts.Log, "  pass %-16s %8.2f ms  %s\n", p.Name, float64(d.Microseconds())/1000, before.Change(after))
		}
	}
	if err := mgr.Run(g); err != nil {
		return nil, where(m, err)
	}
	return g, nil
}

func where(m *Model, err error) error {
	if m.Source == "" {
		return err
	}
	return fmt.Errorf("%s: %w", m.Source, err)
}

// File is one generated file, its name relative to the package directory.
type File = codegen.File

// Package is a generated Go package, ready to write.
type Package struct {
	// Files are the generated files, names relative to the package
	// directory.
	Files []File
	// Graph is the optimized graph the code was generated from.
	Graph *ir.Graph
	// Summary is the model's summary, arena size included.
	Summary *summary.Summary
}

// Compile optimizes the model and generates its package.
func (m *Model) Compile(opts Options) (*Package, error) {
	if opts.Package != "" && !codegen.ValidPackageName(opts.Package) {
		return nil, fmt.Errorf("%q is not a plain lower-case Go package name (try %q)", opts.Package, codegen.PackageName(opts.Package))
	}
	cg, err := m.Optimize(opts)
	if err != nil {
		return nil, err
	}
	s := summary.Of(m.Graph)
	s.ArenaBytes = int64(cg.Plan.Size) * 4
	var table bytes.Buffer
	if err := s.Write(&table, summary.Options{}); err != nil {
		return nil, err
	}
	copts := codegen.Options{Package: opts.Package, Source: m.Source, Summary: table.String(), Threads: opts.Threads, Profile: opts.Profile}
	if opts.Test {
		logf(opts.Log, "computing the reference outputs for the generated test (float64 evaluator)")
		in := RandomInputs(m.Graph, 1, 1)
		want, err := goldenOutputs(m.Graph, cg, in)
		if err != nil {
			return nil, where(m, fmt.Errorf("computing the reference outputs for the generated test: %w", err))
		}
		copts.Golden = &codegen.Golden{Inputs: in, Outputs: want}
	}
	files, err := codegen.Generate(cg, copts)
	if err != nil {
		return nil, where(m, err)
	}
	return &Package{Files: files, Graph: cg, Summary: s}, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "cnnc: "+format+"\n", args...)
	}
}
