// Package runner is the main program of cnnc's Go engine: the engine
// builds a small command around one or more generated model packages and
// this package, and drives it through files. With -in and -out it runs a
// model on little-endian float32 inputs and writes the outputs; with -bench
// it times the model and prints one JSON line.
//
// It is an ordinary, tested package rather than source text inside the
// engine, so that the program cnnc builds is vetted like the rest; it
// imports only the runtime, as generated code does.
package runner

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/cnnc/cnnc/runtime"
)

// Model is what every generated package's Model has.
type Model interface {
	Run(inputs ...[]float32) ([][]float32, error)
	SetThreads(n int)
	Close()
}

// profiler is what a package generated for profiling adds.
type profiler interface {
	EnableProfile()
	Profile() []runtime.LayerTime
}

// batchModel is the RunBatch method of a model with a batch dimension.
type batchModel interface {
	RunBatch(inputs, outputs [][]float32) error
}

// Entry describes one generated package.
type Entry struct {
	Inputs, Outputs []runtime.TensorInfo
	Batched         bool
	New             func() Model
}

// Main runs the program on os.Args and exits.
func Main(models map[string]Entry) {
	if err := run(models, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

func run(models map[string]Entry, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	name := fs.String("model", "", "generated package to run")
	in := fs.String("in", "", "file of little-endian float32 inputs, one after another")
	out := fs.String("out", "", "file to write the outputs to")
	bench := fs.Int("bench", 0, "time this many runs instead")
	rounds := fs.Int("rounds", 1, "with -bench: time this many rounds of -bench runs, reporting each round's median")
	batch := fs.Int("batch", 1, "batch size for -bench")
	threads := fs.Int("threads", 1, "goroutines for the kernels")
	layers := fs.Bool("layers", false, "with -bench: also report each layer's time (a profiling build)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, ok := models[*name]
	if !ok {
		return fmt.Errorf("no model %q", *name)
	}
	m := e.New()
	m.SetThreads(*threads)
	defer m.Close()
	if *bench > 0 {
		var p profiler
		if *layers {
			var ok bool
			if p, ok = m.(profiler); !ok {
				return errors.New("-layers needs a package generated for profiling")
			}
			p.EnableProfile()
		}
		var warm func()
		if p != nil {
			warm = p.EnableProfile // forget the warm-up's layer times
		}
		r, err := Bench(e, m, *bench, max(*rounds, 1), *batch, warm)
		if err != nil {
			return err
		}
		r.Threads = *threads
		if p != nil {
			r.Layers = p.Profile()
		}
		return json.NewEncoder(stdout).Encode(r)
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	outputs, err := RunFile(e, m, data)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, Encode(outputs), 0o644)
}

// RunFile runs m on the items in data: the float32 values of every input
// of one item after another, for as many items as data holds.
func RunFile(e Entry, m Model, data []byte) ([][]float32, error) {
	per := 0
	for _, t := range e.Inputs {
		per += t.Len()
	}
	n := 1
	if per > 0 {
		if len(data)%(4*per) != 0 {
			return nil, fmt.Errorf("input file holds %d bytes, not a whole number of items of %d values", len(data), per)
		}
		n = len(data) / (4 * per)
	}
	if !e.Batched && n != 1 {
		return nil, fmt.Errorf("the model's batch is fixed; got %d items", n)
	}
	var inputs, outputs [][]float32
	for _, t := range e.Inputs {
		v := make([]float32, n*t.Len())
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*len(v):]
		inputs = append(inputs, v)
	}
	for _, t := range e.Outputs {
		outputs = append(outputs, make([]float32, n*t.Len()))
	}
	return outputs, runOnce(m, inputs, outputs)
}

// Encode writes float32 slices back to back, little-endian.
func Encode(vs [][]float32) []byte {
	var buf []byte
	for _, o := range vs {
		for _, x := range o {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
	}
	return buf
}

func runOnce(m Model, inputs, outputs [][]float32) error {
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

// Result is a benchmark's outcome, in milliseconds per Run of one batch.
type Result struct {
	Iters, Rounds, Batch, Threads int
	MedianMs, P10Ms, P90Ms        float64
	// RoundMedianMs holds each round's median, for a caller that
	// alternates rounds with another runtime.
	RoundMedianMs []float64
	Kernel        string // the GEMM micro-kernel in use
	QKernel       string // the int8 GEMM micro-kernel quantized layers use
	// Layers holds each layer's mean time per timed Run (the warm-up
	// excluded) in a profiling build.
	Layers []runtime.LayerTime `json:",omitempty"`
}

// Bench times rounds rounds of iters runs of one batch of seeded random
// inputs, after a warm-up, at whose end it calls warm if not nil; the
// overall figures are over all runs.
func Bench(e Entry, m Model, iters, rounds, batch int, warm func()) (*Result, error) {
	if batch < 1 || iters < 1 {
		return nil, errors.New("-batch and -bench must be positive")
	}
	if !e.Batched && batch != 1 {
		return nil, errors.New("the model's batch is fixed; -batch does not apply")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs, outputs [][]float32
	for _, t := range e.Inputs {
		v := make([]float32, batch*t.Len())
		for i := range v {
			v[i] = rng.Float32()
		}
		inputs = append(inputs, v)
	}
	for _, t := range e.Outputs {
		outputs = append(outputs, make([]float32, batch*t.Len()))
	}
	for i := 0; i < max(10, iters/10); i++ {
		if err := runOnce(m, inputs, outputs); err != nil {
			return nil, err
		}
	}
	if warm != nil {
		warm()
	}
	r := &Result{Iters: iters, Rounds: rounds, Batch: batch, Kernel: runtime.SgemmKernel(), QKernel: runtime.QGemmKernel()}
	var all []float64
	for range rounds {
		times := make([]float64, iters)
		for i := range times {
			start := time.Now()
			if err := runOnce(m, inputs, outputs); err != nil {
				return nil, err
			}
			times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
		}
		all = append(all, times...)
		sort.Float64s(times)
		r.RoundMedianMs = append(r.RoundMedianMs, quantile(times, 0.5))
	}
	sort.Float64s(all)
	r.MedianMs, r.P10Ms, r.P90Ms = quantile(all, 0.5), quantile(all, 0.1), quantile(all, 0.9)
	return r, nil
}

func quantile(sorted []float64, p float64) float64 {
	return sorted[int(p*float64(len(sorted)-1))]
}
