package ir

import (
	"strings"
	"testing"
)

func f32(shape ...int) Type { return Type{DType: Float32, Shape: Shape(shape)} }

// inferAll runs every node's shape rule, as passes.InferShapes does (the
// passes package cannot be imported from here).
func inferAll(t *testing.T, g *Graph) {
	t.Helper()
	for _, n := range g.Nodes {
		types, err := n.Op.Infer(InputTypes(n))
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		for i, o := range n.Outputs {
			o.Type = types[i]
		}
	}
}

func smallGraph() *Graph {
	g := NewGraph("small")
	x := g.AddInput("x", Type{DType: Float32, Shape: Shape{Batch, 3, 8, 8}})
	w := NewConst("w", Zeros(Float32, Shape{4, 3, 3, 3}))
	b := NewConst("b", Zeros(Float32, Shape{4}))
	c := g.Apply("conv", &Conv{Window: Window{AutoPad: PadSameUpper}}, x, w, b)
	r := g.Apply("relu", &Relu{}, c)
	f := g.Apply("flat", &Flatten{Axis: 1}, r)
	g.Outputs = []*Value{f}
	return g
}

func TestVerifyAcceptsValidGraph(t *testing.T) {
	g := smallGraph()
	if err := g.Verify(); err != nil {
		t.Fatalf("untyped graph: %v", err)
	}
	inferAll(t, g)
	if err := g.Verify(); err != nil {
		t.Fatalf("typed graph: %v", err)
	}
	if got := g.Outputs[0].Shape; !got.Equal(Shape{Batch, 256}) {
		t.Errorf("output shape %v", got)
	}
}

func TestVerifyFindsProblems(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(g *Graph)
		want   string
	}{
		{"dangling input", func(g *Graph) {
			g.Nodes[1].Inputs[0] = &Value{Name: "ghost", Type: f32(1)}
		}, `input 0 "ghost" is dangling`},
		{"cycle", func(g *Graph) {
			// relu reads flat, which is computed from relu.
			g.Nodes[1].Inputs[0] = g.Nodes[2].Outputs[0]
		}, `computed by a later node "flat"`},
		{"wrong order", func(g *Graph) {
			g.Nodes[0], g.Nodes[1] = g.Nodes[1], g.Nodes[0]
		}, "later node"},
		{"type disagreement", func(g *Graph) {
			g.Nodes[1].Outputs[0].Shape = Shape{Batch, 4, 7, 8}
		}, "is recorded as f32[N,4,7,8] NCHW but its inputs give f32[N,4,8,8] NCHW"},
		{"shape rule failure", func(g *Graph) {
			g.Nodes[0].Inputs[1] = NewConst("w2", Zeros(Float32, Shape{4, 5, 3, 3}))
		}, "weights expect 5 input channels"},
		{"produced twice", func(g *Graph) {
			g.Nodes = append(g.Nodes, g.Nodes[1])
		}, "produced twice"},
		{"output never computed", func(g *Graph) {
			g.Outputs = append(g.Outputs, &Value{Name: "nowhere"})
		}, `graph output "nowhere" is never computed`},
		{"bad constant", func(g *Graph) {
			g.Nodes[0].Inputs[2].Const.Floats = nil
		}, "holds 0 float elements, want 4"},
		{"missing op", func(g *Graph) {
			g.Nodes[2].Op = nil
		}, "has no op"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := smallGraph()
			inferAll(t, g)
			tc.break_(g)
			err := g.Verify()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestDumpIsStable(t *testing.T) {
	g := smallGraph()
	inferAll(t, g)
	want := `graph "small"
input %x: f32[N,3,8,8]
%conv: f32[N,4,8,8] NCHW = Conv(%x, $w: f32[4,3,3,3], $b: f32[4]) {Kernel=[3 3] Strides=[1 1] Pads=[1 1 1 1] Dilations=[1 1] Group=1 Layout=NCHW}
%relu: f32[N,4,8,8] NCHW = Relu(%conv)
%flat: f32[N,256] = Flatten(%relu) {Axis=1}
output %flat
`
	if got := g.String(); got != want {
		t.Errorf("dump:\n%s\nwant:\n%s", got, want)
	}
}

// Hostile names must not break the dump's one-line-per-node structure.
func TestDumpQuotesHostileNames(t *testing.T) {
	g := NewGraph("evil\n\"graph\"")
	x := g.AddInput("in\nput", f32(1, 2))
	y := g.Apply("*/ `x`", &Relu{}, x)
	g.Outputs = []*Value{y}
	inferAll(t, g)
	got := g.String()
	if n := strings.Count(got, "\n"); n != 4 {
		t.Errorf("dump has %d lines, want 4:\n%s", n, got)
	}
	for _, want := range []string{`"in\nput"`, "\"*/ `x`\"", `"evil\n\"graph\""`} {
		if !strings.Contains(got, want) {
			t.Errorf("dump lacks %s:\n%s", want, got)
		}
	}
}

func TestFusedActivationDumps(t *testing.T) {
	got := Attrs(&Conv{Group: 1, Activation: &Clip{Min: 0, Max: 6}})
	if got != "Group=1 Activation=Clip{Max=6}" {
		t.Errorf("Attrs = %q", got)
	}
}

func TestReplaceAndRemoveDead(t *testing.T) {
	g := smallGraph()
	inferAll(t, g)
	relu := g.Nodes[1]
	g.Replace(relu.Outputs[0], relu.Inputs[0])
	g.RemoveDead()
	if len(g.Nodes) != 2 || g.Nodes[1].Name != "flat" || g.Nodes[1].Inputs[0] != g.Nodes[0].Outputs[0] {
		t.Fatalf("after removing relu:\n%s", g)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestCloneSharesNothingMutable(t *testing.T) {
	g := smallGraph()
	g.Nodes[0].Op.(*Conv).Activation = &LeakyRelu{Alpha: 0.1}
	inferAll(t, g)
	before := g.String()
	c := g.Clone()
	if c.String() != before {
		t.Fatalf("clone dumps differently:\n%s\nvs\n%s", c, before)
	}
	conv := c.Nodes[0].Op.(*Conv)
	conv.Pads[0] = 7
	conv.Activation.(*LeakyRelu).Alpha = 0.5
	c.Nodes[0].Outputs[0].Shape[1] = 99
	c.Nodes = c.Nodes[:1]
	if g.String() != before {
		t.Errorf("changing the clone changed the original:\n%s", g)
	}
	if err := g.Clone().Verify(); err != nil {
		t.Error(err)
	}
}
