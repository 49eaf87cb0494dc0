package passes

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestCancelTransposes(t *testing.T) {
	cases := []struct {
		name   string
		p1, p2 []int
		want   string
	}{
		{"inverse pair", ir.PermNCHWToNHWC, ir.PermNHWCToNCHW, "Relu"},
		{"composed", []int{1, 0, 2, 3}, []int{0, 2, 1, 3}, "Transpose Relu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := ir.NewGraph("m")
			x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{2, 3, 4, 5}})
			a := g.Apply("t1", &ir.Transpose{Perm: c.p1}, x)
			b := g.Apply("t2", &ir.Transpose{Perm: c.p2}, a)
			g.Outputs = []*ir.Value{g.Apply("relu", &ir.Relu{}, b)}
			runBoth(t, g, CancelTransposes)
			if got := ops(g); got != c.want {
				t.Errorf("ops after: %s, want %s", got, c.want)
			}
		})
	}
}
