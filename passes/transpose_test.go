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

// ShuffleNet's channel shuffle becomes one op with the same results, NCHW
// and after the layout pass.
func TestFuseChannelShuffle(t *testing.T) {
	for _, groups := range []int{2, 3} {
		g := ir.NewGraph("m")
		x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 6, 3, 4}})
		r1 := g.Apply("r1", &ir.Reshape{Shape: []int64{ir.ReshapeBatch, int64(groups), int64(6 / groups), 3, 4}}, x)
		tr := g.Apply("t", &ir.Transpose{Perm: []int{0, 2, 1, 3, 4}}, r1)
		g.Outputs = []*ir.Value{g.Apply("relu", &ir.Relu{}, g.Apply("r2", &ir.Reshape{Shape: []int64{ir.ReshapeBatch, 6, 3, 4}}, tr))}
		runBoth(t, g, FuseChannelShuffle)
		if got := ops(g); got != "ChannelShuffle Relu" {
			t.Errorf("groups %d: ops after: %s", groups, got)
		}
		runBoth(t, g, ToNHWC)
	}
}
