package quantize

import (
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// feed is a random input of n items for a model with one input.
func feed(m *Model, n int, seed uint64) []*ir.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := m.Graph.Inputs[0]
	shape := v.Shape.Clone()
	shape[0] = n
	t := ir.Zeros(ir.Float32, shape)
	for i := range t.Floats {
		t.Floats[i] = float64(float32(rng.Float64()*2 - 0.5))
	}
	return []*ir.Tensor{t}
}

func calibrate(t *testing.T, m *Model, names []string, opts CalibrateOptions, in []*ir.Tensor) map[string]*Stats {
	t.Helper()
	c, err := m.NewCalibrator(names, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Observe(in); err != nil {
		t.Fatal(err)
	}
	if got := c.Items(); got != int64(in[0].Shape[0]) {
		t.Errorf("%d items observed, want %d", got, in[0].Shape[0])
	}
	return c.Stats()
}

// TestCalibrationEngines: the reference evaluator and the generated code
// (reducing to extremes inside the program for MinMax, returning whole
// tensors for Percentile) see the same extremes, up to float32 rounding.
func TestCalibrationEngines(t *testing.T) {
	m := smallCNN("N").load(t)
	p, err := m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := p.Observe()
	if names[0] != "x" {
		t.Fatalf("the graph input is not observed: %v", names)
	}
	in := feed(m, 6, 1)
	ref := calibrate(t, m, names, CalibrateOptions{Engine: "ref"}, in)
	refPct := calibrate(t, m, names, CalibrateOptions{Engine: "ref", Method: Percentile}, in)
	for _, n := range names {
		if ref[n].Min != refPct[n].Min || ref[n].Max != refPct[n].Max || ref[n].Count != refPct[n].Count {
			t.Errorf("%s: minmax stats %+v, percentile stats %+v", n, ref[n], refPct[n])
		}
		if ref[n].Count == 0 || ref[n].Min > ref[n].Max {
			t.Errorf("%s: nothing observed", n)
		}
	}
	if ref["x"].Count != 6*64 {
		t.Errorf("the input's count is %d, want %d", ref["x"].Count, 6*64)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: the Go engine is not tested")
	}
	for _, method := range []Method{MinMax, Percentile} {
		got := calibrate(t, m, names, CalibrateOptions{Engine: "go", Method: method}, in)
		for _, n := range names {
			g, r := got[n], ref[n]
			tol := 1e-5 * max(1, math.Abs(r.Min), math.Abs(r.Max))
			if math.Abs(g.Min-r.Min) > tol || math.Abs(g.Max-r.Max) > tol || g.Count != r.Count {
				t.Errorf("%v, %s: go engine [%g, %g] over %d values, ref [%g, %g] over %d", method, n, g.Min, g.Max, g.Count, r.Min, r.Max, r.Count)
			}
		}
	}
}

// reshapeCNN is a fixed-batch model whose Reshape bakes the batch of 1
// into its shape constant ([1, -1]): with a symbolic batch it would merge
// the items, so calibration must run it one item at a time.
func reshapeCNN(flatten bool) *builder {
	b := newBuilder(13)
	b.input("x", 1, 1, 6, 6)
	b.init("w", []int64{3, 1, 3, 3}, nil)
	b.init("wg", []int64{3 * 4 * 4, 4}, nil)
	b.node("Conv", "c", []string{"x", "w"}, []string{"c_out"})
	b.node("Relu", "r", []string{"c_out"}, []string{"r_out"})
	if flatten {
		b.node("Flatten", "f", []string{"r_out"}, []string{"flat"})
	} else {
		b.initInt64("shape", 1, -1)
		b.node("Reshape", "f", []string{"r_out", "shape"}, []string{"flat"})
	}
	b.node("MatMul", "mm", []string{"flat", "wg"}, []string{"y"})
	b.output("y")
	return b
}

func TestCalibrationFixedBatch(t *testing.T) {
	flat := reshapeCNN(true).load(t)
	if flat.batched == nil {
		t.Fatalf("a fixed-batch model with Flatten does not run batched: %s", flat.batchNote)
	}
	reshaped := reshapeCNN(false).load(t)
	if reshaped.batched != nil || reshaped.batchNote == "" {
		t.Fatalf("a Reshape to [1, -1] runs batched")
	}
	var stats []map[string]*Stats
	for _, m := range []*Model{flat, reshaped} {
		p, err := m.Plan(Options{})
		if err != nil {
			t.Fatal(err)
		}
		stats = append(stats, calibrate(t, m, p.Observe(), CalibrateOptions{Engine: "ref"}, feed(m, 5, 2)))
	}
	for name, s := range stats[0] {
		r := stats[1][name]
		if r == nil || r.Min != s.Min || r.Max != s.Max || r.Count != s.Count {
			t.Errorf("%s: batched %+v, one at a time %+v", name, s, r)
		}
	}
}

func TestObserveErrors(t *testing.T) {
	m := smallCNN("N").load(t)
	p, err := m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.NewCalibrator(p.Observe(), CalibrateOptions{Engine: "ref"})
	if err != nil {
		t.Fatal(err)
	}
	nan := feed(m, 3, 1)
	nan[0].Floats[2*64+5] = math.NaN()
	wrongShape := []*ir.Tensor{ir.Zeros(ir.Float32, ir.Shape{2, 1, 7, 8})}
	tests := []struct {
		name string
		in   []*ir.Tensor
		err  string
	}{
		{"NaN", nan, `input "x": calibration item 2 holds NaN`},
		{"shape", wrongShape, `input 0 ("x"): got shape [2,1,7,8], the model wants [N,1,8,8]`},
		{"count", append(feed(m, 1, 1), feed(m, 1, 1)...), "the model has 1 inputs, got 2 tensors"},
		{"ints", []*ir.Tensor{ir.Zeros(ir.Int64, ir.Shape{1, 1, 8, 8})}, "got i64 data, the model wants f32"},
	}
	for _, tt := range tests {
		err := c.Observe(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.err)
		}
	}
	if c.Items() != 0 {
		t.Errorf("refused feeds count %d items", c.Items())
	}
	if _, err := m.NewCalibrator([]string{"nope"}, CalibrateOptions{}); err == nil {
		t.Error("a calibrator for a tensor the model lacks")
	}
	if _, err := m.NewCalibrator(nil, CalibrateOptions{Engine: "fast"}); err == nil {
		t.Error("an unknown engine is accepted")
	}
}

// TestDegenerateAndNotFinite: an activation that is zero for every input
// gets a safe scale; one that overflows to infinity is an error naming
// the tensor.
func TestDegenerateAndNotFinite(t *testing.T) {
	// x*k + x/d: with k = 0 the product is all zeros; with d = 0 the
	// quotient is infinite.
	build := func(k, d float32) *Model {
		b := newBuilder(13)
		b.input("x", "N", 2, 4, 4)
		b.init("k", []int64{1}, []float32{k})
		b.init("d", []int64{1}, []float32{d})
		b.init("w", []int64{2, 2, 1, 1}, nil)
		b.node("Mul", "z", []string{"x", "k"}, []string{"prod"})
		b.node("Div", "q", []string{"x", "d"}, []string{"quot"})
		b.node("Add", "a", []string{"prod", "quot"}, []string{"s"})
		b.node("Conv", "c", []string{"s", "w"}, []string{"y"})
		b.output("y")
		return b.load(t)
	}
	in := feed(build(0, 1), 2, 3)
	for i := range in[0].Floats {
		in[0].Floats[i] = math.Abs(in[0].Floats[i]) + 0.1
	}

	m := build(0, 1)
	p, err := m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	stats := calibrate(t, m, p.Observe(), CalibrateOptions{Engine: "ref"}, in)
	ranges, err := Ranges(stats, MinMax, 100)
	if err != nil {
		t.Fatal(err)
	}
	if r := ranges["prod"]; r.Lo != 0 || r.Hi != 0 {
		t.Fatalf("the product's range is %v", r)
	}
	_, rep, err := m.Quantize(p, ranges, QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tp := range rep.Params {
		if tp.Name == "prod" {
			found = true
			if tp.Params.Scale != 1 || tp.Params.Zero != 0 {
				t.Errorf("the all-zero tensor got %+v, want scale 1, zero point 0", tp.Params)
			}
		}
	}
	if !found {
		t.Error("the all-zero tensor is not quantized")
	}

	m = build(0, 0)
	p, err = m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.NewCalibrator(p.Observe(), CalibrateOptions{Engine: "ref"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Observe(in); err == nil || !strings.Contains(err.Error(), `tensor "quot"`) || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("got %v, want an error naming tensor quot", err)
	}
}
