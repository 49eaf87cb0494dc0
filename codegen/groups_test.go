package codegen_test

import (
	"fmt"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// groupedConv is one grouped k x k convolution, with bias and ReLU, of
// cin channels into cout in the given groups, at the given stride.
func groupedConv(batch, cin, cout, groups, k, stride int) *ir.Graph {
	b, x := newRows(fmt.Sprintf("g%d_%d_%d_%d_%d_s%d", max(batch, 0), cin, cout, groups, k, stride), batch, cin, 9)
	p := k / 2
	c := b.g.Apply(b.name("conv"), &ir.Conv{Window: ir.Window{Pads: []int{p, p, p, p}, Strides: []int{stride, stride}}, Group: groups},
		x, b.konst(cout, cin/groups, k, k), b.konst(cout))
	return b.done(b.g.Apply(b.name("relu"), &ir.Relu{}, c))
}

// TestWidenGroups checks passes.WidenGroupsFor as the compiler runs it:
// groups narrower than codegen.GroupWidth output channels are merged up
// to it where the group count allows (ResNeXt's 4 channels per group,
// pairs; 2 per group, fours; 3 per group, pairs), wider groups and
// depthwise convolutions keep theirs, and the generated code matches the
// reference evaluator on each, for a fixed batch of one and two and a
// symbolic batch.
func TestWidenGroups(t *testing.T) {
	var graphs []*ir.Graph
	for _, batch := range []int{1, 2, ir.Batch} {
		for _, tc := range []struct {
			cin, cout, groups, k, stride int
			want                         int // groups after the pass
		}{
			{32, 32, 8, 3, 1, 4},   // 4 per group: pairs
			{32, 32, 8, 3, 2, 4},   // strided
			{32, 16, 8, 3, 1, 2},   // 4 inputs, 2 outputs per group: fours
			{24, 24, 8, 1, 1, 4},   // 3 per group: pairs (9 would not fit)
			{16, 16, 2, 3, 1, 2},   // 8 per group is wide enough
			{16, 8, 2, 3, 1, 1},    // two groups of 4 become one dense conv
			{32, 64, 4, 3, 1, 4},   // 16 per group: unchanged
			{16, 16, 16, 3, 1, 16}, // depthwise: unchanged
			{30, 30, 5, 3, 1, 5},   // 6 per group, 5 groups: no divisor fits
		} {
			g := groupedConv(batch, tc.cin, tc.cout, tc.groups, tc.k, tc.stride)
			cg := optimized(t, g)
			for _, n := range cg.Nodes {
				if c, ok := n.Op.(*ir.Conv); ok && c.Group != tc.want {
					t.Errorf("%s: %d groups after the passes, want %d", g.Name, c.Group, tc.want)
				}
			}
			graphs = append(graphs, g)
		}
	}
	goMatchesRefBatched(t, graphs)
}
