package summary

import (
	"testing"

	"github.com/cnnc/cnnc/internal/qdqtest"
	"github.com/cnnc/cnnc/ir"
)

// A QDQ layer's parameters are its quantized weights and biases, not its
// scales and zero points.
func TestQuantizedParams(t *testing.T) {
	b := qdqtest.NewBuilder("q", 1)
	x := b.QDQ(b.Input(1, 3, 8, 8), 0.01, 128, ir.Uint8)
	w, ws := b.Weight(ir.Int8, 0, 8, 3, 3, 3)
	g := b.Out(b.Op(&ir.Conv{}, x, w, b.Bias(8, 0.01, ws)))
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if s := Of(g); s.Total != 8*3*3*3+8 {
		t.Fatalf("total params %d, want %d", s.Total, 8*3*3*3+8)
	}
}
