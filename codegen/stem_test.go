package codegen_test

import (
	"fmt"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// stemGraph is a network's first layer on a channels-first image of c
// channels: a k x k convolution of stride s (pad k/2) to 16 channels with
// bias and ReLU, then a 3x3 convolution, so that the first one's output
// stays channels-last. With group, the first convolution is depthwise;
// with shared, the image is also a second convolution's input.
func stemGraph(batch, c, k, s int, depthwise, shared bool) *ir.Graph {
	b, in := newRows(fmt.Sprintf("stem%d_c%d_k%d_s%d_%v_%v", max(batch, 0), c, k, s, depthwise, shared), batch, c, 13)
	group, cout, cg := 1, 16, c
	if depthwise {
		group, cout, cg = c, c, 1
	}
	p := k / 2
	x := b.g.Apply(b.name("conv"), &ir.Conv{Window: ir.Window{Pads: []int{p, p, p, p}, Strides: []int{s, s}}, Group: group}, in, b.konst(cout, cg, k, k), b.konst(cout))
	x = b.g.Apply(b.name("relu"), &ir.Relu{}, x)
	y := b.conv(x, cout, 8, 3, 1)
	if shared {
		return b.done(y, b.conv(in, c, 4, 1, 1))
	}
	return b.done(y)
}

// TestReadNCHWInput checks passes.ReadNCHWInputFor as the compiler runs
// it: a first convolution of one, three or four channels reads the
// channels-first image (no Transpose, or for one channel no Reshape, of
// the image left), a convolution of eight channels or a depthwise one does not,
// and the generated code (runtime.ConvNCHW) matches the reference
// evaluator for a fixed batch of one and two and a symbolic batch.
func TestReadNCHWInput(t *testing.T) {
	var graphs []*ir.Graph
	for _, batch := range []int{1, 2, ir.Batch} {
		for _, tc := range []struct {
			c, k, s           int
			depthwise, shared bool
			direct            int // convolutions reading channels-first input
			transposes        int // each output's back to channels-first included
		}{
			{3, 3, 2, false, false, 1, 1},
			{3, 7, 2, false, false, 1, 1},
			{1, 5, 1, false, false, 1, 1},
			{4, 3, 1, false, true, 2, 2},
			{8, 3, 2, false, false, 0, 2},
			{3, 3, 1, true, false, 0, 2},
		} {
			g := stemGraph(batch, tc.c, tc.k, tc.s, tc.depthwise, tc.shared)
			cg := optimized(t, g)
			direct, transposes := 0, 0
			for _, n := range cg.Nodes {
				switch op := n.Op.(type) {
				case *ir.Conv:
					if op.NCHWInput {
						direct++
					}
				case *ir.Transpose:
					transposes++
				}
			}
			if direct != tc.direct || transposes != tc.transposes {
				t.Errorf("%s: %d convolutions on channels-first input and %d transposes, want %d and %d", g.Name, direct, transposes, tc.direct, tc.transposes)
			}
			graphs = append(graphs, g)
		}
	}
	goMatchesRefBatched(t, graphs)
}
