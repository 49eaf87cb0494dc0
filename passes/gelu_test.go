package passes

import (
	"math"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func scalar(name string, v float64) *ir.Value {
	return ir.NewConst(name, ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{v}))
}

// The spellings of GELU that exporters write out with Erf become one Gelu;
// a chain that only looks alike stays.
func TestFuseGelu(t *testing.T) {
	cases := []struct {
		name string
		// build returns the chain's output from x.
		build func(g *ir.Graph, x *ir.Value) *ir.Value
		want  string
	}{
		{"torch: div, add, mul x, mul 0.5", func(g *ir.Graph, x *ir.Value) *ir.Value {
			e := g.Apply("erf", &ir.Erf{}, g.Apply("div", &ir.Div{}, x, scalar("s2", math.Sqrt2)))
			c := g.Apply("add", &ir.Add{}, e, scalar("one", 1))
			return g.Apply("half", &ir.Mul{}, g.Apply("mul", &ir.Mul{}, x, c), scalar("h", 0.5))
		}, "Gelu"},
		{"mul by 1/sqrt2, constants first, 0.5 on x", func(g *ir.Graph, x *ir.Value) *ir.Value {
			e := g.Apply("erf", &ir.Erf{}, g.Apply("scale", &ir.Mul{}, scalar("r", 1/math.Sqrt2), x))
			c := g.Apply("add", &ir.Add{}, scalar("one", 1), e)
			hx := g.Apply("hx", &ir.Mul{}, scalar("h", 0.5), x)
			return g.Apply("mul", &ir.Mul{}, c, hx)
		}, "Gelu"},
		{"wrong constant", func(g *ir.Graph, x *ir.Value) *ir.Value {
			e := g.Apply("erf", &ir.Erf{}, g.Apply("div", &ir.Div{}, x, scalar("s2", 1.5)))
			c := g.Apply("add", &ir.Add{}, e, scalar("one", 1))
			return g.Apply("half", &ir.Mul{}, g.Apply("mul", &ir.Mul{}, x, c), scalar("h", 0.5))
		}, "Div Erf Add Mul Mul"},
		{"multiplied by another value", func(g *ir.Graph, x *ir.Value) *ir.Value {
			e := g.Apply("erf", &ir.Erf{}, g.Apply("div", &ir.Div{}, x, scalar("s2", math.Sqrt2)))
			c := g.Apply("add", &ir.Add{}, e, scalar("one", 1))
			z := g.Apply("neg", &ir.Neg{}, x)
			return g.Apply("half", &ir.Mul{}, g.Apply("mul", &ir.Mul{}, z, c), scalar("h", 0.5))
		}, "Div Erf Add Neg Mul Mul"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := ir.NewGraph("m")
			x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 7}})
			g.Outputs = []*ir.Value{c.build(g, x)}
			runBoth(t, g, FuseGelu)
			if got := ops(g); got != c.want {
				t.Errorf("ops after: %s, want %s", got, c.want)
			}
		})
	}
}

func TestFuseSilu(t *testing.T) {
	for _, swap := range []bool{false, true} {
		g := ir.NewGraph("m")
		x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 3, 4, 4}})
		s := g.Apply("sig", &ir.Sigmoid{}, x)
		a, b := x, s
		if swap {
			a, b = s, x
		}
		g.Outputs = []*ir.Value{g.Apply("mul", &ir.Mul{}, a, b)}
		runBoth(t, g, FuseSilu)
		if got := ops(g); got != "Silu" {
			t.Errorf("swap %v: ops after: %s", swap, got)
		}
	}
	// A sigmoid that is also read elsewhere stays.
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{2, 3}})
	s := g.Apply("sig", &ir.Sigmoid{}, x)
	g.Outputs = []*ir.Value{g.Apply("mul", &ir.Mul{}, x, s), s}
	runBoth(t, g, FuseSilu)
	if got := ops(g); got != "Sigmoid Mul" {
		t.Errorf("ops after: %s", got)
	}
}
