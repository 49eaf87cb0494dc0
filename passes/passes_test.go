package passes

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// kerasGraph builds the start of a Keras-style model by hand: input, a
// 3x3 valid Conv2D, as the DSL frontend would.
func kerasGraph(h, w int) *ir.Graph {
	g := ir.NewGraph("m")
	x := g.AddInput("input", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, h, w, 1}, Layout: ir.NHWC})
	k := ir.NewConst("conv2d_2/kernel", ir.Zeros(ir.Float32, ir.Shape{8, 1, 3, 3}))
	n := g.AddNode("conv2d_2", &ir.Conv{Window: ir.Window{AutoPad: ir.PadValid}, Layout: ir.NHWC}, []*ir.Value{x, k}, 1)
	n.Layer, n.LayerType = "conv2d_2", "Conv2D"
	r := g.AddNode("conv2d_2/relu", &ir.Relu{}, []*ir.Value{n.Outputs[0]}, 1)
	r.Layer, r.LayerType = "conv2d_2", "Conv2D"
	g.Outputs = r.Outputs
	return g
}

func TestInferShapes(t *testing.T) {
	g := kerasGraph(28, 28)
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if got := g.Outputs[0].Type.String(); got != "f32[N,26,26,8] NHWC" {
		t.Errorf("output type %s", got)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
}

// An empty output is an error naming the layer and both shapes.
func TestInferShapesNamesLayer(t *testing.T) {
	err := kerasGraph(2, 2).Infer()
	if err == nil {
		t.Fatal("3x3 valid conv on 2x2 succeeded")
	}
	for _, want := range []string{`layer "conv2d_2" (Conv2D)`, "[N,2,2,1]", "[8,1,3,3]", "window 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var se *ir.ShapeError
	if !errors.As(err, &se) {
		t.Errorf("error %v does not wrap an *ir.ShapeError", err)
	}
}

func TestInferShapesUntypedInput(t *testing.T) {
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{})
	g.Outputs = []*ir.Value{g.Apply("r", &ir.Relu{}, x)}
	if err := g.Infer(); err == nil || !strings.Contains(err.Error(), `graph input "x" has no type`) {
		t.Errorf("got %v", err)
	}
}

func TestManagerVerifiesAndDumps(t *testing.T) {
	g := kerasGraph(28, 28)
	var dump strings.Builder
	breakIt := Pass{Name: "break", Run: func(g *ir.Graph) error {
		g.Nodes[1].Inputs[0] = &ir.Value{Name: "ghost", Type: g.Nodes[0].Outputs[0].Type}
		return nil
	}}
	infer := Pass{Name: "infer-shapes", Run: func(g *ir.Graph) error { return g.Infer() }}
	m := &Manager{Passes: []Pass{infer, breakIt}, Verify: true, DumpAfter: []string{"infer-shapes"}, Dump: &dump}
	err := m.Run(g)
	if err == nil || !strings.Contains(err.Error(), "after pass break") || !strings.Contains(err.Error(), "dangling") {
		t.Errorf("Run = %v, want a verify failure after pass break", err)
	}
	if !strings.HasPrefix(dump.String(), "# after infer-shapes\ngraph \"m\"\n") {
		t.Errorf("dump:\n%s", dump.String())
	}
	if err := m.CheckNames([]string{"infer-shapes", "all"}); err != nil {
		t.Error(err)
	}
	if err := m.CheckNames([]string{"infer-shape"}); err == nil || !strings.Contains(err.Error(), "passes: infer-shapes, break") {
		t.Errorf("CheckNames = %v", err)
	}
}

func TestPeakActivationBytes(t *testing.T) {
	// input 28x28x1, conv out 26x26x8, relu out 26x26x8: the peak is while
	// relu runs with conv's output and its own live (the input is dead).
	g := kerasGraph(28, 28)
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	want := int64(4 * (26*26*8 + 26*26*8))
	if got := PeakActivationBytes(g); got != want {
		t.Errorf("peak %d, want %d", got, want)
	}
	ivs := Liveness(g)
	if len(ivs) != 3 || ivs[0].Def != -1 || ivs[0].LastUse != 0 || ivs[2].LastUse != 2 {
		t.Errorf("liveness %+v", ivs)
	}
}
