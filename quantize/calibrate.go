package quantize

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// Engines are the calibration engines CalibrateOptions.Engine takes.
var Engines = []string{"auto", "go", "ref"}

// CalibrateOptions configure a Calibrator.
type CalibrateOptions struct {
	// Engine runs the model: "go" (generated code, built with the go
	// command: fast), "ref" (the float64 reference evaluator: exact, and
	// 5 to 10 times slower), or "auto" (the default: go when the go
	// command is on PATH and the model builds, else ref).
	Engine string
	// Method decides what is kept: the extremes for MinMax, a histogram
	// for Percentile.
	Method Method
	// Threads is the number of goroutines of the generated code (0: 1).
	Threads int
	// Log receives a line for each step that takes a while; nil is quiet.
	Log io.Writer
}

// Calibrator runs a model on calibration inputs and accumulates the
// statistics of the tensors to quantize.
//
// It runs a variant of the model whose outputs are those tensors: with
// the Go engine and MinMax, each is reduced inside the generated code to
// its minimum and maximum per item (ReduceMin and ReduceMax nodes added
// to the graph), so that only two numbers per tensor and item come back;
// otherwise the tensors themselves are outputs and their values go into
// a histogram. A model with a fixed batch runs with a symbolic one when
// that computes the same thing item by item (see Model.batched), so that
// many items share one run.
type Calibrator struct {
	m      *Model
	opts   CalibrateOptions
	stats  map[string]*Stats
	engine string // the engine in use: "go" or "ref"
	g      *ir.Graph
	eng    engine.Engine
	// outs says what each output of g holds.
	outs []calOutput
	// inputs are the observed tensors that are graph inputs, by input
	// position.
	inputs map[int]string
	// fixed is the batch of a model that runs one fixed batch at a time
	// (0 when the batch is symbolic); unbatched is set for a model whose
	// inputs have no common first dimension, which runs one feed as is.
	fixed     int
	unbatched bool
	// chunk is the number of items per run.
	chunk   int
	items   int64
	elapsed time.Duration
}

// calOutput is one output of the calibration graph: a tensor, or its
// per-item minimum or maximum.
type calOutput struct {
	name string
	kind int // full, minOf, maxOf
	// per is the number of elements an item of the tensor has (for the
	// reduced outputs' counts).
	per int64
}

const (
	full = iota
	minOf
	maxOf
)

// NewCalibrator prepares the calibration of the named tensors, building
// the generated code when the Go engine is used.
func (m *Model) NewCalibrator(names []string, opts CalibrateOptions) (*Calibrator, error) {
	if opts.Engine == "" {
		opts.Engine = "auto"
	}
	switch opts.Engine {
	case "auto", "go", "ref":
	default:
		return nil, fmt.Errorf("unknown calibration engine %q; want auto, go or ref", opts.Engine)
	}
	c := &Calibrator{m: m, opts: opts, stats: map[string]*Stats{}, inputs: map[int]string{}}
	base := m.Graph
	switch {
	case m.batched != nil:
		base = m.batched
	case m.fixedBatch > 0:
		c.fixed = m.fixedBatch
		logf(opts.Log, "calibrating one batch of %d at a time: %s", m.fixedBatch, m.batchNote)
	case !hasBatch(base):
		c.unbatched = true
	}
	g := base.Clone()
	var want []*ir.Value
	for _, name := range names {
		i, ok := m.index[name]
		if !ok {
			return nil, fmt.Errorf("the model has no tensor %q", name)
		}
		v := g.Outputs[i]
		c.stats[name] = NewStats(opts.Method == Percentile)
		switch {
		case v.IsConst():
			// A tensor the importer folded: its one value is its range.
			if err := c.stats[name].Add(v.Const.Floats); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", name, err)
			}
		case v.Producer == nil:
			for k, in := range g.Inputs {
				if in == v {
					c.inputs[k] = name
				}
			}
		default:
			want = append(want, v)
			c.outs = append(c.outs, calOutput{name: name})
		}
	}
	g.Outputs = want
	if len(want) == 0 {
		c.engine = "none"
		return c, nil
	}
	engineName := opts.Engine
	if engineName == "auto" {
		engineName = "ref"
		if _, err := exec.LookPath("go"); err == nil {
			engineName = "go"
		} else {
			logf(opts.Log, "the go command is not on PATH: calibrating with the reference evaluator (slower)")
		}
	}
	if engineName == "go" && opts.Method == MinMax {
		c.reduce(g)
	}
	g.RemoveDead()
	c.g = g
	c.engine = engineName
	if engineName == "go" {
		logf(opts.Log, "building the calibration program: the model with %d tensors as outputs (go build)", len(want))
		start := time.Now()
		e, err := engine.Go(g, engine.GoOptions{Threads: opts.Threads})
		switch {
		case err == nil:
			c.eng = e
			logf(opts.Log, "built in %.1f s", time.Since(start).Seconds())
		case opts.Engine == "auto":
			logf(opts.Log, "the Go engine cannot run the model (%v): calibrating with the reference evaluator (slower)", err)
			c.engine = "ref"
			c.rebuildFull(base)
		default:
			return nil, fmt.Errorf("building the calibration program: %w", err)
		}
	}
	c.chunk = c.chunkSize()
	return c, nil
}

// rebuildFull makes the calibration graph again with the tensors
// themselves as outputs, for the reference engine after the Go engine
// failed.
func (c *Calibrator) rebuildFull(base *ir.Graph) {
	g := base.Clone()
	var want []*ir.Value
	var outs []calOutput
	seen := map[string]bool{}
	for _, o := range c.outs {
		if seen[o.name] {
			continue
		}
		seen[o.name] = true
		want = append(want, g.Outputs[c.m.index[o.name]])
		outs = append(outs, calOutput{name: o.name})
	}
	g.Outputs = want
	g.RemoveDead()
	c.g, c.outs = g, outs
}

// hasBatch reports whether some input has the symbolic batch.
func hasBatch(g *ir.Graph) bool {
	for _, v := range g.Inputs {
		if len(v.Shape) > 0 && v.Shape[0] == ir.Batch {
			return true
		}
	}
	return false
}

// reduce replaces each output of rank 2 or more by its minimum and
// maximum over every axis but the first (the batch's), which ReduceMin and
// ReduceMax nodes compute inside the generated code.
func (c *Calibrator) reduce(g *ir.Graph) {
	var outs []*ir.Value
	var kinds []calOutput
	for i, v := range g.Outputs {
		name := c.outs[i].name
		if len(v.Shape) < 2 {
			outs = append(outs, v)
			kinds = append(kinds, c.outs[i])
			continue
		}
		axes := make([]int, len(v.Shape)-1)
		for d := range axes {
			axes[d] = d + 1
		}
		per := int64(v.Shape[1:].NumElements(1))
		lo := g.Apply("cnnc_calibration_min_"+strconv.Itoa(i), &ir.ReduceMin{Reduce: ir.Reduce{Axes: append([]int(nil), axes...)}}, v)
		hi := g.Apply("cnnc_calibration_max_"+strconv.Itoa(i), &ir.ReduceMax{Reduce: ir.Reduce{Axes: append([]int(nil), axes...)}}, v)
		t := ir.Type{DType: v.DType, Shape: ir.Shape{v.Shape[0]}}
		lo.Type, hi.Type = t, t
		outs = append(outs, lo, hi)
		kinds = append(kinds, calOutput{name: name, kind: minOf, per: per}, calOutput{name: name, kind: maxOf, per: per})
	}
	g.Outputs, c.outs = outs, kinds
}

// chunkSize is the number of items per run: the generated code reducing
// to extremes returns little, so many items go at once; full tensors are
// bounded to about 256 MB of results per run.
func (c *Calibrator) chunkSize() int {
	if c.fixed > 0 {
		return c.fixed
	}
	per := int64(0)
	for i, o := range c.outs {
		if s := c.g.Outputs[i].Shape; o.kind == full && len(s) > 0 {
			per += int64(s[1:].NumElements(1))
		} else if o.kind == full {
			per++
		}
	}
	const budget = 256 << 20
	n := int64(64)
	if per > 0 {
		n = max(1, min(64, budget/(per*8*2)))
	}
	return int(n)
}

// Engine is the engine calibration runs on: "go", "ref", or "none" when
// every observed tensor is a graph input.
func (c *Calibrator) Engine() string { return c.engine }

// Items is the number of items observed so far.
func (c *Calibrator) Items() int64 { return c.items }

// Elapsed is the time spent running the model.
func (c *Calibrator) Elapsed() time.Duration { return c.elapsed }

// ChunkSize is the number of items Observe runs at once; callers that
// decode inputs (images) may feed that many at a time.
func (c *Calibrator) ChunkSize() int {
	if c.chunk == 0 {
		return 64
	}
	return c.chunk
}

// Inputs are the model's graph inputs, as calibration feeds them: with a
// symbolic batch dimension whenever the model computes item by item.
func (c *Calibrator) Inputs() []*ir.Value {
	if c.m.batched != nil {
		return c.m.batched.Inputs
	}
	return c.m.Graph.Inputs
}

// Stats returns the statistics of every observed tensor.
func (c *Calibrator) Stats() map[string]*Stats { return c.stats }

// Close releases the generated program.
func (c *Calibrator) Close() error {
	if c.eng != nil {
		return c.eng.Close()
	}
	return nil
}

// Observe runs the model on a feed: one tensor per model input, all
// with the same number of items in their first dimension (a multiple of
// a fixed batch). Values that are not finite are an error naming the
// input and item.
func (c *Calibrator) Observe(feed []*ir.Tensor) error {
	inputs := c.Inputs()
	if len(feed) != len(inputs) {
		return fmt.Errorf("the model has %d inputs, got %d tensors", len(inputs), len(feed))
	}
	items := -1
	for i, t := range feed {
		v := inputs[i]
		if t == nil {
			return fmt.Errorf("input %d (%q) is missing", i, v.Name)
		}
		if !t.DType.IsFloat() && v.DType.IsFloat() || t.DType.IsFloat() && !v.DType.IsFloat() {
			return fmt.Errorf("input %d (%q): got %s data, the model wants %s", i, v.Name, t.DType, v.DType)
		}
		if len(t.Shape) != len(v.Shape) {
			return fmt.Errorf("input %d (%q): got shape %v, the model wants %v", i, v.Name, t.Shape, v.Shape)
		}
		for d, want := range v.Shape {
			if d == 0 && (want == ir.Batch || c.fixed > 0) {
				continue
			}
			if t.Shape[d] != want {
				return fmt.Errorf("input %d (%q): got shape %v, the model wants %v", i, v.Name, t.Shape, v.Shape)
			}
		}
		n := 1
		if !c.unbatched && len(t.Shape) > 0 {
			n = t.Shape[0]
		}
		if items >= 0 && n != items {
			return fmt.Errorf("input %d (%q) holds %d items and input 0 %d: every input needs the same number", i, v.Name, n, items)
		}
		items = n
		if c.fixed > 0 && n%c.fixed != 0 {
			return fmt.Errorf("input %d (%q) has a fixed batch of %d; got %d items, not a multiple of it", i, v.Name, c.fixed, n)
		}
		if err := checkFeed(t, v.Name, n); err != nil {
			return err
		}
	}
	if items <= 0 {
		return nil
	}
	step := c.ChunkSize()
	if c.unbatched {
		step = 1
	}
	for at := 0; at < items; at += step {
		k := min(step, items-at)
		part := feed
		if !c.unbatched && (at > 0 || k < items) {
			part = make([]*ir.Tensor, len(feed))
			for i, t := range feed {
				part[i] = sliceItems(t, at, k)
			}
		}
		if err := c.run(part, k, at); err != nil {
			return err
		}
	}
	return nil
}

// run observes one part of the feed: k items, the first at index at of
// the caller's feed (for messages).
func (c *Calibrator) run(feed []*ir.Tensor, k, at int) error {
	for i, name := range c.inputs {
		if err := c.stats[name].Add(feed[i].Floats); err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
	}
	c.items += int64(k)
	if c.g == nil {
		return nil
	}
	start := time.Now()
	var outs []*ir.Tensor
	var err error
	if c.eng != nil {
		outs, err = c.eng.Run(feed)
	} else {
		outs, err = eval.Run(c.g, feed)
	}
	c.elapsed += time.Since(start)
	if err != nil {
		return fmt.Errorf("running the model on calibration items %d to %d: %w", at, at+k-1, err)
	}
	if len(outs) != len(c.outs) {
		return errors.New("internal error: the calibration program returned the wrong number of outputs")
	}
	for i, o := range c.outs {
		t := outs[i]
		switch o.kind {
		case full:
			err = c.stats[o.name].Add(t.Floats)
		case minOf:
			hi := outs[i+1]
			for j := range t.Floats {
				if err = c.stats[o.name].AddRange(t.Floats[j], hi.Floats[j], o.per); err != nil {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("tensor %q on calibration items %d to %d: %w (the model computes NaN or infinity from these inputs)", o.name, at, at+k-1, err)
		}
	}
	return nil
}

// checkFeed rejects NaN and infinities in a calibration input, naming the
// item.
func checkFeed(t *ir.Tensor, name string, items int) error {
	per := 1
	if items > 0 {
		per = max(1, len(t.Floats)/items)
	}
	for j, x := range t.Floats {
		if !finite(x) {
			return fmt.Errorf("input %q: calibration item %d holds %g; calibration data must be finite", name, j/per, x)
		}
	}
	return nil
}

// sliceItems returns items [at, at+k) of t's first dimension, sharing
// its data.
func sliceItems(t *ir.Tensor, at, k int) *ir.Tensor {
	shape := t.Shape.Clone()
	per := 1
	for _, d := range shape[1:] {
		per *= d
	}
	shape[0] = k
	s := &ir.Tensor{DType: t.DType, Shape: shape}
	if t.Floats != nil {
		s.Floats = t.Floats[at*per : (at+k)*per]
	}
	if t.Ints != nil {
		s.Ints = t.Ints[at*per : (at+k)*per]
	}
	return s
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "cnnc: "+format+"\n", args...)
	}
}
