package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cnnc/cnnc"
	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// GoOptions configure the Go engine.
type GoOptions struct {
	// Log receives the go command's output when a build fails; nil
	// discards it (the error still says what failed).
	Log io.Writer
	// Keep leaves the temporary module in place for inspection.
	Keep bool
	// Threads is the number of goroutines the generated code's matrix
	// products and convolutions use (Model.SetThreads); 0 or 1 runs them
	// on one.
	Threads int
}

// Go compiles g (which must be typed) into a Go package in a temporary
// module, builds a small program around it and returns an engine that
// runs that program. It needs the go command on PATH.
func Go(g *ir.Graph, opts GoOptions) (Engine, error) {
	engines, errs, err := GoMany([]*ir.Graph{g}, opts)
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	return engines[0], nil
}

// GoMany compiles several models into one temporary module and builds one
// program for all of them, which is much faster than one build each (the
// conformance tests compile hundreds). A model that the code generator
// rejects gets its error in errs and a nil engine; err is for failures of
// the whole build. The engines share the module: it is removed when every
// one of them is closed.
func GoMany(graphs []*ir.Graph, opts GoOptions) (engines []Engine, errs []error, err error) {
	dir, err := os.MkdirTemp("", "cnnc-go-")
	if err != nil {
		return nil, nil, err
	}
	b := &build{dir: dir, keep: opts.Keep, threads: max(opts.Threads, 1)}
	engines, errs = make([]Engine, len(graphs)), make([]error, len(graphs))
	var pkgs []generated
	for i, g := range graphs {
		cg := g.Clone()
		if err := (&passes.Manager{Passes: passes.Codegen()}).Run(cg); err != nil {
			errs[i] = err
			continue
		}
		name := fmt.Sprintf("m%d", i)
		files, err := codegen.Generate(cg, codegen.Options{Package: name})
		if err != nil {
			errs[i] = err
			continue
		}
		pkgs = append(pkgs, generated{name: name, graph: cg, files: files})
		engines[i] = &goEngine{g: g, b: b, name: name}
		b.users++
	}
	if len(pkgs) == 0 {
		b.remove()
		return engines, errs, nil
	}
	if err := b.make(pkgs, opts.Log); err != nil {
		b.remove()
		return nil, nil, err
	}
	return engines, errs, nil
}

// build is a temporary module holding generated packages and the runner
// program built from them.
type build struct {
	dir     string
	keep    bool
	threads int
	users   int
}

func (b *build) remove() error {
	if b.keep {
		return nil
	}
	return os.RemoveAll(b.dir)
}

type generated struct {
	name  string
	graph *ir.Graph
	files []codegen.File
}

type goEngine struct {
	g    *ir.Graph
	b    *build
	name string
}

func (*goEngine) Name() string { return "go" }

func (e *goEngine) Close() error {
	if e.b == nil {
		return nil
	}
	b := e.b
	e.b = nil
	if b.users--; b.users == 0 {
		return b.remove()
	}
	return nil
}

const appModule = "cnncapp"

// WriteModule lays out dir/cnnc, the runtime sources this binary carries
// (module github.com/cnnc/cnnc), and dir/app, an empty module named
// cnncapp that requires it through a replace directive, so that packages
// generated into dir/app build anywhere the go command runs. It returns
// dir/app.
func WriteModule(dir string) (string, error) {
	err := fs.WalkDir(cnnc.Sources, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := cnnc.Sources.ReadFile(path)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(dir, "cnnc", path), data)
	})
	if err != nil {
		return "", err
	}
	app := filepath.Join(dir, "app")
	gomod := fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire %s v0.0.0\n\nreplace %s => ../cnnc\n", appModule, cnnc.ModulePath, cnnc.ModulePath)
	sum, err := cnnc.Sources.ReadFile("go.sum")
	if err != nil {
		return "", err
	}
	if err := writeFile(filepath.Join(app, "go.mod"), []byte(gomod)); err != nil {
		return "", err
	}
	return app, writeFile(filepath.Join(app, "go.sum"), sum)
}

// make lays out the module (see WriteModule) with the generated packages
// and the runner, then builds dir/runner.
func (b *build) make(pkgs []generated, log io.Writer) error {
	app, err := WriteModule(b.dir)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"main.go": []byte(runnerSource), "models.go": registry(pkgs)} {
		if err := writeFile(filepath.Join(app, name), data); err != nil {
			return err
		}
	}
	for _, p := range pkgs {
		for _, f := range p.files {
			if err := writeFile(filepath.Join(app, p.name, f.Name), f.Data); err != nil {
				return err
			}
		}
	}
	cmd := exec.Command("go", "build", "-mod=mod", "-o", filepath.Join(b.dir, "runner"), ".")
	cmd.Dir = app
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if log != nil {
			log.Write(out.Bytes())
		}
		return fmt.Errorf("building the generated package: %w\n%s", err, tail(out.String(), 40))
	}
	return nil
}

// registry writes the runner's table of models: each generated package's
// constructor and its input and output sizes.
func registry(pkgs []generated) []byte {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\t%q\n", appModule+"/"+p.name)
	}
	b.WriteString(")\n\nvar models = map[string]entry{\n")
	for _, p := range pkgs {
		sizes := func(vs []*ir.Value) string {
			var s []string
			for _, v := range vs {
				s = append(s, fmt.Sprint(v.Shape.PerBatch()))
			}
			return strings.Join(s, ", ")
		}
		fmt.Fprintf(&b, "\t%q: {inputs: []int{%s}, outputs: []int{%s}, batched: %s.Batched, new: func() model { return %s.New() }},\n",
			p.name, sizes(p.graph.Inputs), sizes(p.graph.Outputs), p.name, p.name)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Run writes the inputs to a file, runs the program on it and reads the
// outputs back.
func (e *goEngine) Run(inputs []*ir.Tensor) ([]*ir.Tensor, error) {
	batch, err := CheckInputs(e.g, inputs)
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	for _, t := range inputs {
		writeFloats(&in, t)
	}
	inPath := filepath.Join(e.b.dir, e.name+".in")
	outPath := filepath.Join(e.b.dir, e.name+".out")
	if err := os.WriteFile(inPath, in.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if _, err := e.exec("-in", inPath, "-out", outPath, "-threads", fmt.Sprint(e.b.threads)); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(outPath)
	if err != nil {
		return nil, err
	}
	outs := make([]*ir.Tensor, len(e.g.Outputs))
	for i, v := range e.g.Outputs {
		shape := v.Shape.Clone()
		for d := range shape {
			if shape[d] == ir.Batch {
				shape[d] = batch
			}
		}
		t := ir.Zeros(ir.Float32, shape)
		if len(data) < 4*len(t.Floats) {
			return nil, fmt.Errorf("the generated program wrote %d bytes, too few for output %q", len(data), v.Name)
		}
		for j := range t.Floats {
			t.Floats[j] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:])))
		}
		data = data[4*len(t.Floats):]
		outs[i] = t
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("the generated program wrote %d bytes too many", len(data))
	}
	return outs, nil
}

func (e *goEngine) exec(args ...string) ([]byte, error) {
	if e.b == nil {
		return nil, fmt.Errorf("engine is closed")
	}
	cmd := exec.Command(filepath.Join(e.b.dir, "runner"), append([]string{"-model", e.name}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running the generated program: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func writeFloats(w *bytes.Buffer, t *ir.Tensor) {
	var b [4]byte
	for i := 0; i < t.Len(); i++ {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(t.Float(i))))
		w.Write(b[:])
	}
}

// BenchResult is the timing of the generated code's Run.
type BenchResult struct {
	Iters                  int
	Batch, Threads         int
	MedianMs, P10Ms, P90Ms float64
	Kernel                 string // the GEMM micro-kernel in use
}

// Bench times the generated code: iters runs of one batch after warm-up,
// in the generated program's own process.
func Bench(e Engine, batch, threads, iters int) (*BenchResult, error) {
	ge, ok := e.(*goEngine)
	if !ok {
		return nil, fmt.Errorf("only the go engine can be timed")
	}
	out, err := ge.exec("-bench", fmt.Sprint(iters), "-batch", fmt.Sprint(batch), "-threads", fmt.Sprint(threads))
	if err != nil {
		return nil, err
	}
	var r BenchResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("reading the benchmark result %q: %w", out, err)
	}
	return &r, nil
}

// runnerSource is the program built around the generated packages
// (listed by models.go): it runs one model on the values of -in, writing
// -out, or times it with -bench.
const runnerSource = `// Command runner drives packages generated by cnnc, for cnnc's Go engine.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/cnnc/cnnc/runtime"
)

// model is what every generated package's Model has.
type model interface {
	Run(inputs ...[]float32) ([][]float32, error)
	SetThreads(n int)
	Close()
}

// batchModel is the RunBatch method of a model with a batch dimension.
type batchModel interface {
	RunBatch(inputs, outputs [][]float32) error
}

// entry describes one generated package: values per item of each input
// and output, and its constructor.
type entry struct {
	inputs, outputs []int
	batched         bool
	new             func() model
}

func main() {
	name := flag.String("model", "", "generated package to run")
	in := flag.String("in", "", "file of little-endian float32 inputs, one after another")
	out := flag.String("out", "", "file to write the outputs to")
	bench := flag.Int("bench", 0, "time this many runs instead")
	batch := flag.Int("batch", 1, "batch size for -bench")
	threads := flag.Int("threads", 1, "goroutines for the matrix products")
	flag.Parse()
	e, ok := models[*name]
	if !ok {
		fail(fmt.Errorf("no model %q", *name))
	}
	m := e.new()
	m.SetThreads(*threads)
	defer m.Close()
	if *bench > 0 {
		if err := timeIt(e, m, *bench, *batch, *threads); err != nil {
			fail(err)
		}
		return
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		fail(err)
	}
	per := 0
	for _, k := range e.inputs {
		per += k
	}
	n := 1
	if per > 0 {
		if len(data)%(4*per) != 0 {
			fail(fmt.Errorf("input file holds %d bytes, not a whole number of items of %d values", len(data), per))
		}
		n = len(data) / (4 * per)
	}
	if !e.batched && n != 1 {
		fail(fmt.Errorf("the model's batch is fixed; got %d items", n))
	}
	var inputs, outputs [][]float32
	for _, k := range e.inputs {
		v := make([]float32, n*k)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*len(v):]
		inputs = append(inputs, v)
	}
	for _, k := range e.outputs {
		outputs = append(outputs, make([]float32, n*k))
	}
	if err := run(m, inputs, outputs); err != nil {
		fail(err)
	}
	var buf []byte
	for _, o := range outputs {
		for _, x := range o {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
	}
	if err := os.WriteFile(*out, buf, 0o644); err != nil {
		fail(err)
	}
}

func run(m model, inputs, outputs [][]float32) error {
	if b, ok := m.(batchModel); ok {
		return b.RunBatch(inputs, outputs)
	}
	got, err := m.Run(inputs...)
	if err != nil {
		return err
	}
	for i := range got {
		copy(outputs[i], got[i])
	}
	return nil
}

func timeIt(e entry, m model, iters, batch, threads int) error {
	if !e.batched && batch != 1 {
		return fmt.Errorf("the model's batch is fixed; -batch does not apply")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs, outputs [][]float32
	for _, k := range e.inputs {
		v := make([]float32, batch*k)
		for i := range v {
			v[i] = rng.Float32()
		}
		inputs = append(inputs, v)
	}
	for _, k := range e.outputs {
		outputs = append(outputs, make([]float32, batch*k))
	}
	for i := 0; i < max(10, iters/10); i++ {
		if err := run(m, inputs, outputs); err != nil {
			return err
		}
	}
	times := make([]float64, iters)
	for i := range times {
		start := time.Now()
		if err := run(m, inputs, outputs); err != nil {
			return err
		}
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	sort.Float64s(times)
	q := func(p float64) float64 { return times[int(p*float64(len(times)-1))] }
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"Iters": iters, "Batch": batch, "Threads": threads,
		"MedianMs": q(0.5), "P10Ms": q(0.1), "P90Ms": q(0.9), "Kernel": runtime.SgemmKernel(),
	})
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "runner:", err)
	os.Exit(1)
}
`
