package codegen_test

import (
	"fmt"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// squeezeExcite is a squeeze-and-excitation block: an expansion, the
// channel scale from a global average pool through two 1x1 convolutions
// and a sigmoid, then a 1x1 projection to out channels, with the block's
// input added back when residual (out must then be 8).
func squeezeExcite(batch, out int, residual bool) *ir.Graph {
	b, x := newRows(fmt.Sprintf("se%d_%d_%v", max(batch, 0), out, residual), batch, 8, 12)
	h := b.conv(x, 8, 24, 3, 1)
	p := b.g.Apply(b.name("gap"), &ir.GlobalAveragePool{}, h)
	s := b.conv(p, 24, 6, 1, 1)
	s = b.g.Apply(b.name("fc"), &ir.Conv{Window: ir.Window{}, Group: 1}, s, b.konst(24, 6, 1, 1), b.konst(24))
	s = b.g.Apply(b.name("sig"), &ir.Sigmoid{}, s)
	y := b.g.Apply(b.name("scale"), &ir.Mul{}, h, s)
	y = b.g.Apply(b.name("proj"), &ir.Conv{Window: ir.Window{}, Group: 1}, y, b.konst(out, 24, 1, 1), b.konst(out))
	if residual {
		y = b.g.Apply(b.name("add"), &ir.Add{}, y, x)
	}
	return b.done(y)
}

// TestChannelScale checks the squeeze-and-excitation scale moved onto the
// projection's weights (passes.FuseChannelScale, runtime.ScaleRows): the
// pass takes it where the image has more pixels (144) than the projection
// has outputs, with and without a residual, and leaves it as a Mul where
// it does not; the generated code matches the reference evaluator for a
// fixed batch of one and two and a symbolic batch run with three items.
func TestChannelScale(t *testing.T) {
	var graphs []*ir.Graph
	for _, batch := range []int{1, 2, ir.Batch} {
		for _, tc := range []struct {
			out      int
			residual bool
			fused    bool
		}{{8, false, true}, {8, true, true}, {200, false, false}} {
			g := squeezeExcite(batch, tc.out, tc.residual)
			cg := optimized(t, g)
			scaled := 0
			for _, n := range cg.Nodes {
				if _, ok := n.Op.(*ir.Conv); ok && n.Input(4) != nil {
					scaled++
					if tc.residual && n.Input(3) == nil {
						t.Errorf("%s: the scaled projection lost its residual", g.Name)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.fused]; scaled != want {
				t.Errorf("%s: %d convolutions with an input channel scale, want %d", g.Name, scaled, want)
			}
			graphs = append(graphs, g)
		}
	}
	goMatchesRefBatched(t, graphs)
}
