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
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine/runner"
	"github.com/cnnc/cnnc/ir"
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
	// Profile builds the generated code with per-layer timing, for
	// BenchLayers.
	Profile bool
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
	b := &build{dir: dir, keep: opts.Keep, threads: max(opts.Threads, 1), profile: opts.Profile}
	engines, errs = make([]Engine, len(graphs)), make([]error, len(graphs))
	var pkgs []generated
	for i, g := range graphs {
		name := fmt.Sprintf("m%d", i)
		m, err := compiler.FromGraph(g)
		if err != nil {
			errs[i] = err
			continue
		}
		pkg, err := m.Compile(compiler.Options{Package: name, Profile: opts.Profile})
		if err != nil {
			errs[i] = err
			continue
		}
		pkgs = append(pkgs, generated{name: name, files: pkg.Files})
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
	profile bool
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
	files []compiler.File
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
	if err := writeFile(filepath.Join(app, "main.go"), mainSource(pkgs)); err != nil {
		return err
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

// mainSource writes the program around the generated packages: a table
// of them for package runner, which does the work.
func mainSource(pkgs []generated) []byte {
	var b strings.Builder
	b.WriteString("// Command runner drives packages generated by cnnc, for cnnc's Go engine.\npackage main\n\nimport (\n")
	fmt.Fprintf(&b, "\t%q\n", cnnc.ModulePath+"/engine/runner")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\t%q\n", appModule+"/"+p.name)
	}
	b.WriteString(")\n\nfunc main() {\n\trunner.Main(map[string]runner.Entry{\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\t\t%q: {Inputs: %s.Inputs, Outputs: %s.Outputs, Batched: %s.Batched, New: func() runner.Model { return %s.New() }},\n",
			p.name, p.name, p.name, p.name, p.name)
	}
	b.WriteString("\t})\n}\n")
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
		outs[i] = asDeclared(t, v.DType)
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

// writeFloats appends t's elements to w as little-endian float32. It
// encodes into w's spare capacity in one pass rather than a Write per
// element, which for the 7.8M pixels of the MNIST test set took a
// quarter of a second.
func writeFloats(w *bytes.Buffer, t *ir.Tensor) {
	w.Grow(4 * t.Len())
	b := w.AvailableBuffer()
	for i := 0; i < t.Len(); i++ {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(t.Float(i))))
	}
	w.Write(b)
}

// asDeclared returns the float32 output t of generated code as a tensor of
// the model's declared type: integer outputs (quantized codes, int32
// sums) come back from generated code as float32 values holding the
// integers.
func asDeclared(t *ir.Tensor, dt ir.DType) *ir.Tensor {
	if !dt.IsInt() {
		return t
	}
	c := ir.Zeros(dt, t.Shape)
	for i, v := range t.Floats {
		c.Ints[i] = int64(math.Round(v))
	}
	return c
}

// BenchResult is the timing of the generated code's Run.
type BenchResult = runner.Result

// Bench times the generated code: rounds rounds of iters runs of one batch
// after warm-up, in the generated program's own process.
func Bench(e Engine, batch, threads, iters, rounds int) (*BenchResult, error) {
	ge, ok := e.(*goEngine)
	if !ok {
		return nil, fmt.Errorf("only the go engine can be timed")
	}
	out, err := ge.exec("-bench", fmt.Sprint(iters), "-rounds", fmt.Sprint(max(rounds, 1)), "-batch", fmt.Sprint(batch), "-threads", fmt.Sprint(threads), "-layers="+fmt.Sprint(ge.b.profile))
	if err != nil {
		return nil, err
	}
	var r BenchResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("reading the benchmark result %q: %w", out, err)
	}
	return &r, nil
}
