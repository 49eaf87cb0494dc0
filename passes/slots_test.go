package passes

import (
	"math/rand/v2"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// anyRows is a Target whose kernels take rows at a stride everywhere but
// in the ops named.
func anyRows(except ...string) Target {
	no := map[string]bool{}
	for _, e := range except {
		no[e] = true
	}
	return Target{
		ReadsRows:  func(n *ir.Node, i int) bool { return !no[n.Op.OpType()] },
		WritesRows: func(n *ir.Node) bool { return !no[n.Op.OpType()] },
	}
}

// TestSlots checks which values the plan puts inside others: a DenseNet
// block's Concats nest in the last one, and a column Slice lies in its
// input; a value a kernel cannot take as rows, a graph output, a value
// under a Reshape and a repeated input keep memory of their own.
func TestSlots(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	img := ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 5, 5, 4}, Layout: ir.NHWC}
	conv := func(g *ir.Graph, name string, x *ir.Value, cin, cout int) *ir.Value {
		return g.Apply(name, &ir.Conv{Group: 1, Layout: ir.NHWC}, x, constant(rng, name+"w", cout, cin, 1, 1))
	}
	t.Run("dense", func(t *testing.T) {
		g := ir.NewGraph("dense")
		x := g.AddInput("x", img)
		x0 := conv(g, "c0", x, 4, 4)
		f1 := conv(g, "c1", x0, 4, 2)
		cat1 := g.Apply("cat1", &ir.Concat{Axis: 3}, x0, f1)
		f2 := conv(g, "c2", cat1, 6, 2)
		cat2 := g.Apply("cat2", &ir.Concat{Axis: 3}, x0, f1, f2)
		g.Outputs = []*ir.Value{conv(g, "c3", cat2, 8, 3)}
		plan := planned(t, g, anyRows())
		want := map[*ir.Value]ir.Slot{x0: {Of: cat2, Col: 0}, f1: {Of: cat2, Col: 4}, f2: {Of: cat2, Col: 6}, cat1: {Of: cat2, Col: 0}}
		checkSlots(t, plan, want)
	})
	t.Run("refusals", func(t *testing.T) {
		g := ir.NewGraph("refusals")
		x := g.AddInput("x", img)
		a := conv(g, "a", x, 4, 2)
		b := conv(g, "b", x, 4, 2)
		p := g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{1, 1}}, Layout: ir.NHWC}, x)
		d := conv(g, "d", x, 4, 2)
		cat := g.Apply("cat", &ir.Concat{Axis: 3}, x, a, b, p, d, d)
		flat := g.Apply("flat", &ir.Flatten{Axis: 1}, d)
		sl := g.Apply("slice", &ir.Slice{Starts: []int64{1}, Ends: []int64{3}, Axes: []int64{3}}, cat)
		g.Outputs = []*ir.Value{conv(g, "e", cat, 16, 2), a, flat, conv(g, "f", sl, 2, 1)}
		plan := planned(t, g, anyRows("MaxPool"))
		// x is a graph input, a a graph output, p the output of a kernel
		// that cannot write rows, d is seen by a Flatten (and repeated);
		// only b goes in place, and the slice of cat reads it there.
		checkSlots(t, plan, map[*ir.Value]ir.Slot{b: {Of: cat, Col: 6}, sl: {Of: cat, Col: 1}})
	})
	t.Run("no target", func(t *testing.T) {
		g := ir.NewGraph("none")
		x := g.AddInput("x", img)
		a, b := conv(g, "a", x, 4, 2), conv(g, "b", x, 4, 2)
		g.Outputs = []*ir.Value{conv(g, "c", g.Apply("cat", &ir.Concat{Axis: 3}, a, b), 4, 1)}
		checkSlots(t, planned(t, g, Target{}), nil)
	})
}

func planned(t *testing.T, g *ir.Graph, tg Target) *ir.MemoryPlan {
	t.Helper()
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := PlanMemoryFor(tg)(g); err != nil {
		t.Fatal(err)
	}
	return g.Plan
}

func checkSlots(t *testing.T, plan *ir.MemoryPlan, want map[*ir.Value]ir.Slot) {
	t.Helper()
	for v, s := range plan.In {
		if w, ok := want[v]; !ok || w != s {
			t.Errorf("%s in %s at column %d, want %v", v.Name, s.Of.Name, s.Col, w)
		}
		if plan.Offset[v] != plan.Offset[s.Of] {
			t.Errorf("%s: offset %d, its slot's %d", v.Name, plan.Offset[v], plan.Offset[s.Of])
		}
	}
	for v := range want {
		if _, ok := plan.In[v]; !ok {
			t.Errorf("%s was not placed inside another value", v.Name)
		}
	}
}
