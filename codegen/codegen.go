// Package codegen writes a Go package specialized to one model: every
// shape, stride and pad a constant, convolutions as im2col + GEMM on the
// kernels of github.com/cnnc/cnnc/runtime, the weights in one binary file
// embedded with go:embed and checked by length and SHA-256 when the first
// Model is made.
//
// The input graph must have been through the optimizing passes
// (passes.Codegen): constants folded, BatchNorm folded, activations fused,
// image ops in NHWC, memory planned. Package compiler runs the whole
// pipeline.
package codegen

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"go/format"
	"math"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// RuntimeImport is the import path of the kernels generated code calls.
const RuntimeImport = "github.com/cnnc/cnnc/runtime"

// Options control what Generate writes.
type Options struct {
	// Package is the Go package name; empty derives it from the model name.
	Package string
	// Source names the model file in the generated doc comment (its base
	// name, so that output does not depend on where the model lies).
	Source string
	// Summary is the model's summary table, printed in the package doc.
	Summary string
	// Threads is the number of goroutines a new Model runs its layers on;
	// 0 means 1.
	Threads int
	// Profile makes a build for cnnc bench -layers: forward times every
	// layer (runtime.Model.Tick) and Spec.Layers describes them.
	Profile bool
	// Golden, when set, is an input and the reference evaluator's outputs
	// for it, recorded so that the generated test can compare Predict with
	// them.
	Golden *Golden
}

// Golden is one batch item of inputs and the expected outputs.
type Golden struct {
	Inputs, Outputs []*ir.Tensor
}

// File is one generated file, its name relative to the package directory.
type File struct {
	Name string
	Data []byte
}

// Generate writes the package for g. Every .go file is gofmt'd; the same
// graph and options always give byte-identical files.
func Generate(g *ir.Graph, opts Options) ([]File, error) {
	if g.Plan == nil {
		return nil, fmt.Errorf("codegen: the graph has no memory plan; run the passes.Codegen pipeline first")
	}
	pkg := opts.Package
	if pkg == "" {
		pkg = PackageName(g.Name)
	}
	if !ValidPackageName(pkg) {
		return nil, fmt.Errorf("codegen: %q is not a usable package name (try %q)", pkg, PackageName(pkg))
	}
	gen := &gen{
		g:      g,
		pkg:    pkg,
		opts:   opts,
		file:   newGoFile("model.go", pkg),
		names:  newNamer("w", "m", "a", "l", "p", "s", "rt", "in", "out", "all", "ok", "err", "i", "j", "k", "n", "b", "x", "y", "v", "spec", "loaded", "unpack", "workSize", "weightsBin", "weights"),
		consts: make(map[*ir.Tensor]blobRef),
		fields: make(map[*ir.Tensor]string),
	}
	if err := gen.check(); err != nil {
		return nil, err
	}
	// A batched model runs its front layers, whose activations are large,
	// one item at a time through all of them, so that each item's data
	// stays in cache from layer to layer; the rest run layer by layer over
	// all the items, where the batch fills the GEMMs of small feature maps
	// and dense layers (see ir.MemoryPlan.Front).
	front := g.Plan.Front
	if front > 0 {
		gen.line("for b := 0; b < n; b++ {")
		gen.itemMajor = true
	}
	for i, n := range g.Nodes {
		if i == front && front > 0 {
			gen.itemMajor = false
			gen.line("}")
		}
		if err := gen.node(n); err != nil {
			return nil, fmt.Errorf("codegen: %s: %w", where(n), err)
		}
	}
	if front == len(g.Nodes) && front > 0 {
		gen.itemMajor = false
		gen.line("}")
	}
	if err := gen.outputs(); err != nil {
		return nil, err
	}
	model, err := gen.modelFile()
	if err != nil {
		return nil, err
	}
	files := []File{{Name: "model.go", Data: model}, {Name: weightsFile, Data: gen.blob.Bytes()}}
	if opts.Golden != nil {
		test, golden, err := gen.testFiles(opts.Golden)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: "model_test.go", Data: test}, File{Name: goldenFile, Data: golden})
	}
	return files, nil
}

const (
	weightsFile = "weights.bin"
	goldenFile  = "testdata/golden.bin"
)

func where(n *ir.Node) string {
	return fmt.Sprintf("node %s (%s)", strconv.Quote(n.Name), n.Op.OpType())
}

// unsupported is an error for a construct the Go engine cannot compile;
// the reference engine may still run it.
type unsupported struct{ msg string }

func (e *unsupported) Error() string { return e.msg + " is not supported by the Go code generator" }

func unsupportedf(format string, args ...any) error {
	return &unsupported{msg: fmt.Sprintf(format, args...)}
}

// IsUnsupported reports whether err says that the model uses something the
// code generator cannot compile (as opposed to a broken graph).
func IsUnsupported(err error) bool {
	for err != nil {
		if _, ok := err.(*unsupported); ok {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

type gen struct {
	g     *ir.Graph
	pkg   string
	opts  Options
	file  *goFile // model.go
	names *namer

	blob   bytes.Buffer // weights.bin
	consts map[*ir.Tensor]blobRef

	decls   strings.Builder // package-level declarations
	wfields strings.Builder // fields of the shared weights struct
	wload   strings.Builder // statements of loadWeights that fill them
	mfields strings.Builder // fields of Model
	mnew    strings.Builder // statements of New
	body    strings.Builder // statements of forward
	work    []string        // expressions of the scratch sizes the kernels need
	windows []string        // runtime.Window variables, checked at load
	kernel  string          // the kernel the current node's emitter chose, for profiles
	whole   bool            // the current node is emitted for all n items (see emitWhole)
	// itemMajor is set while the front layers are emitted inside one loop
	// over the items (see ir.MemoryPlan.Front).
	itemMajor bool
	layers    []string // runtime.Layer literals of a profiling build
	fields    map[*ir.Tensor]string
}

// blobRef is a float32 array's place in weights.bin, in elements.
type blobRef struct{ off, n int }

// batch1 replaces a symbolic batch dimension by 1: generated code runs one
// batch item at a time.
func batch1(s ir.Shape) ir.Shape {
	c := s.Clone()
	for i, d := range c {
		if d == ir.Batch {
			c[i] = 1
		}
	}
	return c
}

func numel(s ir.Shape) int { return batch1(s).NumElements(1) }

// check rejects graphs the generator cannot handle before any code is
// written: run-time values of other types than float32, most of all.
func (gen *gen) check() error {
	for i, v := range gen.g.Inputs {
		if v.DType != ir.Float32 {
			return fmt.Errorf("codegen: input %d (%s): %w", i, strconv.Quote(v.Name), unsupportedf("a run-time %s value", v.DType))
		}
		for d, x := range v.Shape {
			if x == ir.Batch && d != 0 {
				return fmt.Errorf("codegen: input %s has a batch dimension at axis %d", strconv.Quote(v.Name), d)
			}
		}
	}
	for i, v := range gen.g.Outputs {
		if v.DType != ir.Float32 {
			return fmt.Errorf("codegen: output %d (%s): %w", i, strconv.Quote(v.Name), unsupportedf("a run-time %s value", v.DType))
		}
	}
	for _, n := range gen.g.Nodes {
		for _, o := range n.Outputs {
			if o.DType != ir.Float32 {
				return fmt.Errorf("codegen: %s: %w", where(n), unsupportedf("a run-time %s value", o.DType))
			}
		}
	}
	return nil
}

// constant stores t in weights.bin (once per tensor), rounded to float32.
func (gen *gen) constant(t *ir.Tensor) blobRef {
	if r, ok := gen.consts[t]; ok {
		return r
	}
	r := blobRef{off: gen.blob.Len() / 4, n: t.Len()}
	var b [4]byte
	for i := 0; i < t.Len(); i++ {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(t.Float(i))))
		gen.blob.Write(b[:])
	}
	gen.consts[t] = r
	return r
}

// weightSlice declares a []float32 field of the shared weights holding t
// and returns the expression that reads it.
func (gen *gen) weightSlice(name string, t *ir.Tensor) string {
	if f, ok := gen.fields[t]; ok {
		return f
	}
	r := gen.constant(t)
	id := gen.names.ident("f", name)
	fmt.Fprintf(&gen.wfields, "\t%s []float32 // %s\n", id, comment(name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.CopyOf(all[%d:%d])\n", id, r.off, r.off+r.n)
	gen.fields[t] = "w." + id
	return "w." + id
}

// buf returns the expression for v's data in forward: a slice of the
// arena, an input, or a weight.
func (gen *gen) buf(v *ir.Value) (string, error) {
	if v.IsConst() {
		return gen.weightSlice(v.Name, v.Const), nil
	}
	if _, ok := gen.g.Plan.In[v]; ok {
		return "", inSlot(v)
	}
	size := numel(v.Shape)
	for i, in := range gen.g.Inputs {
		if in == v {
			if !gen.batched() || gen.whole {
				return "in" + strconv.Itoa(i), nil
			}
			return fmt.Sprintf("in%d[b*%d:(b+1)*%d]", i, size, size), nil
		}
	}
	if off, ok := gen.g.Plan.Offset[v]; ok {
		// A batched model's forward pass computes n items: each value
		// has n items' room at n times its offset in the plan, and item
		// b's part of it follows b items', except for the front's own
		// values, which every item reuses (in l).
		switch {
		case gen.g.Plan.Local[v]:
			return fmt.Sprintf("l[%d:%d]", off, off+size), nil
		case !gen.batched():
			return fmt.Sprintf("a[%d:%d]", off, off+size), nil
		case gen.whole:
			return fmt.Sprintf("a[%s:n*%d]", times("n", off), off+size), nil
		}
		base := times("n", off)
		if base != "" {
			base += "+"
		}
		return fmt.Sprintf("a[%s%s:%s%s]", base, times("b", size), base, times("(b+1)", size)), nil
	}
	if p := v.Producer; p != nil && ir.IsView(p) {
		return gen.buf(p.Inputs[0])
	}
	return "", fmt.Errorf("codegen: value %s has no memory", strconv.Quote(v.Name))
}

// imp records that model.go uses the package at path and returns its name.
func (gen *gen) imp(path string) string { return gen.file.Import(path) }

func (gen *gen) line(format string, args ...any) {
	fmt.Fprintf(&gen.body, "\t"+format+"\n", args...)
}

// outputs wires the graph outputs: most already live in the arena; a
// constant or an input passed straight through gets a buffer of its own.
func (gen *gen) outputs() error {
	for i, v := range gen.g.Outputs {
		size := numel(v.Shape)
		off, inArena := gen.g.Plan.Offset[v]
		if !inArena && v.Producer != nil && ir.IsView(v.Producer) {
			off, inArena = gen.viewOffset(v)
		}
		switch {
		case inArena && !gen.batched():
			fmt.Fprintf(&gen.mnew, "\tm.rt.Outs[%d] = m.rt.Arena[%d:%d:%d]\n", i, off, off+size, off+size)
		case inArena:
			// The arena grows with the batch: point at this pass's n
			// items.
			gen.line("m.rt.Outs[%d] = a[n*%d : n*%d : n*%d]", i, off, off+size, off+size)
		default:
			// A constant or an input: copy it into a buffer the caller may
			// read (and even change) without harming the model.
			src, err := gen.buf(v)
			if err != nil {
				return err
			}
			if !gen.batched() {
				fmt.Fprintf(&gen.mnew, "\tm.rt.Outs[%d] = make([]float32, %d)\n", i, size)
				gen.line("copy(m.rt.Outs[%d], %s)", i, src)
				continue
			}
			gen.line("m.rt.Outs[%d] = m.rt.Own(%d, n*%d)", i, i, size)
			gen.line("for b := 0; b < n; b++ {")
			gen.line("copy(m.rt.Outs[%d][b*%d:], %s)", i, size, src)
			gen.line("}")
		}
	}
	return nil
}

// backPeak is the largest per-item output of the nodes after the front,
// in float32 values: what bounds a batched forward pass's working set.
func (gen *gen) backPeak() int {
	peak := 1
	for _, n := range gen.g.Nodes[gen.g.Plan.Front:] {
		for _, o := range n.Outputs {
			peak = max(peak, numel(o.Shape))
		}
	}
	return peak
}

// times writes the product of variable v and constant k for generated
// code: "" for 0, v for 1.
func times(v string, k int) string {
	switch k {
	case 0:
		return ""
	case 1:
		return v
	}
	return v + "*" + strconv.Itoa(k)
}

// viewOffset follows a chain of views to the arena value they show.
func (gen *gen) viewOffset(v *ir.Value) (int, bool) {
	for v.Producer != nil && ir.IsView(v.Producer) {
		v = v.Producer.Inputs[0]
		if off, ok := gen.g.Plan.Offset[v]; ok {
			return off, true
		}
	}
	return 0, false
}

func (gen *gen) weightsHash() string {
	sum := sha256.Sum256(gen.blob.Bytes())
	return hex.EncodeToString(sum[:])
}

// floatLit prints a float32 constant as Go source.
func floatLit(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "runtime.Inf(1)"
	case math.IsInf(f, -1):
		return "runtime.Inf(-1)"
	case math.IsNaN(f):
		return "runtime.NaN()"
	}
	return strconv.FormatFloat(float64(float32(f)), 'g', -1, 32)
}

// gofmt formats generated source, reporting the offending text on failure
// (a generator bug).
func gofmt(name string, src []byte) ([]byte, error) {
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("codegen: generated %s does not parse (a cnnc bug): %w\n%s", name, err, numbered(src))
	}
	return out, nil
}

func numbered(src []byte) string {
	lines := strings.Split(string(src), "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%5d %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}
