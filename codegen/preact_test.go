package codegen_test

import (
	"fmt"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// preActivation is a BatchNormalization (with a ReLU when relu) of a
// convolution's output (channels last, as in a network) feeding a k x k
// convolution, and also the graph's output when shared.
func preActivation(batch, k int, relu, shared bool) *ir.Graph {
	b, in := newRows(fmt.Sprintf("pre%d_k%d_%v_%v", max(batch, 0), k, relu, shared), batch, 3, 7)
	x := b.conv(in, 3, 12, 3, 1)
	var h *ir.Value
	if relu {
		h = b.bnRelu(x, 12)
	} else {
		v := b.konst(12)
		for i := range v.Const.Floats {
			v.Const.Floats[i]++
		}
		h = b.g.Apply(b.name("bn"), &ir.BatchNormalization{Epsilon: 1e-5}, x, b.konst(12), b.konst(12), b.konst(12), v)
	}
	y := b.conv(h, 12, 16, k, 1)
	if shared {
		return b.done(y, h)
	}
	return b.done(y)
}

// TestFusePreActivation checks passes.FusePreActivation as the compiler
// runs it: a BatchNorm, with or without its ReLU, that feeds only a 1x1
// convolution becomes that convolution's input channel map (no
// BatchNormalization left), one that feeds a 3x3 convolution or is also
// an output stays, and the generated code (runtime.Prologue) matches the
// reference evaluator for a fixed batch of one and two and a symbolic
// batch. DenseNet's blocks, whose maps read a Concat in place, are in
// TestValuesInsideOthers.
func TestFusePreActivation(t *testing.T) {
	var graphs []*ir.Graph
	for _, batch := range []int{1, 2, ir.Batch} {
		for _, tc := range []struct {
			k            int
			relu, shared bool
			fused        bool
		}{{1, true, false, true}, {1, false, false, true}, {3, true, false, false}, {1, true, true, false}} {
			g := preActivation(batch, tc.k, tc.relu, tc.shared)
			cg := optimized(t, g)
			mapped, bns := 0, 0
			for _, n := range cg.Nodes {
				switch n.Op.(type) {
				case *ir.Conv:
					if n.Input(5) != nil {
						mapped++
					}
				case *ir.BatchNormalization:
					bns++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.fused]; mapped != want || bns != 1-want {
				t.Errorf("%s: %d mapped convolutions and %d BatchNorms, want %d and %d", g.Name, mapped, bns, want, 1-want)
			}
			graphs = append(graphs, g)
		}
	}
	goMatchesRefBatched(t, graphs)
}
