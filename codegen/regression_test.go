package codegen_test

import (
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// Regression tests for bugs found by engine's differential test: each
// graph is generated (which must not fail or panic) and, unless -short,
// built and compared with the reference evaluator.

// goMatchesRef builds every graph into one program and compares each
// with the reference evaluator on random inputs of the given batch size.
func goMatchesRef(t *testing.T, batch int, graphs ...*ir.Graph) {
	t.Helper()
	for _, g := range graphs {
		if err := g.Infer(); err != nil {
			t.Fatal(err)
		}
	}
	if testing.Short() {
		for _, g := range graphs {
			generate(t, g.Clone(), "m")
		}
		return
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range graphs {
		if errs[i] != nil {
			t.Errorf("%s: %v", g.Name, errs[i])
			continue
		}
		defer engines[i].Close()
		in := compiler.RandomInputs(g, batch, 1)
		want, err := engine.Ref(g).Run(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := engines[i].Run(in)
		if err != nil {
			t.Errorf("%s: %v", g.Name, err)
			continue
		}
		for k := range want {
			if r := check.Compare(got[k], want[k], 1e-3, 1e-5); !r.OK {
				t.Errorf("%s: %s", g.Name, check.Line(k, g.Outputs[k].Name, r))
			}
		}
	}
}

// goMatchesRefBatched runs goMatchesRef on graphs whose inputs have a
// fixed batch of one or two or a symbolic one: all of them with one item,
// then the symbolic ones with three.
func goMatchesRefBatched(t *testing.T, graphs []*ir.Graph) {
	t.Helper()
	for _, batch := range []int{1, 3} {
		var run []*ir.Graph
		for _, g := range graphs {
			if g.Inputs[0].Shape[0] == ir.Batch || batch == 1 {
				run = append(run, g)
			}
		}
		goMatchesRef(t, batch, run...)
	}
}

// A reduction of a scalar (the result of reducing over all axes) made
// the generator index the shape of a rank-0 value.
func TestReduceOfScalar(t *testing.T) {
	g := ir.NewGraph("scalar")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{2, 3}})
	all := g.Apply("all", &ir.ReduceSum{}, x)
	g.Outputs = []*ir.Value{g.Apply("again", &ir.ReduceMean{}, all)}
	goMatchesRef(t, 2, g)
}

// Nodes with an empty result compute nothing; in particular a pool over
// zero channels must not declare a runtime.Window, which would fail its
// check (every size positive) when the weights load.
func TestEmptyResults(t *testing.T) {
	g := ir.NewGraph("empty")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 3, 4, 4}})
	none := g.Apply("none", &ir.Slice{Starts: []int64{1}, Ends: []int64{1}, Axes: []int64{1}}, x)
	pool := g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}}}, none)
	gap := g.Apply("gap", &ir.GlobalAveragePool{}, pool)
	g.Outputs = []*ir.Value{g.Apply("cat", &ir.Concat{Axis: 1}, x, none), gap, pool}
	goMatchesRef(t, 1, g)
}

// A convolution over an empty input (zero channels) has nothing but
// padding to slide over: reported as unsupported, not compiled into a
// model whose every call fails.
func TestConvOverEmptyInputIsUnsupported(t *testing.T) {
	g := ir.NewGraph("empty")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 3, 4, 4}})
	none := g.Apply("none", &ir.Slice{Starts: []int64{1}, Ends: []int64{1}, Axes: []int64{1}}, x)
	g.Outputs = []*ir.Value{g.Apply("conv", &ir.Conv{Group: 1}, none, ir.NewConst("w", ir.Zeros(ir.Float32, ir.Shape{2, 0, 1, 1})), ir.NewConst("b", ir.NewFloatTensor(ir.Float32, ir.Shape{2}, []float64{1, 2})))}
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := (&passes.Manager{Passes: compiler.Passes()}).Run(g); err != nil {
		t.Fatal(err)
	}
	if _, err := codegen.Generate(g, codegen.Options{}); !codegen.IsUnsupported(err) {
		t.Errorf("Generate = %v, want an unsupported-construct error", err)
	}
}
