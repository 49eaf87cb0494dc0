package summary

import (
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1199882: "1,199,882", -1234567: "-1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// A layer spanning several nodes is one row; its parameters are the float
// constants it reads, once each; BatchNorm statistics are non-trainable.
func TestOfGroupsLayers(t *testing.T) {
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 8, 8, 3}, Layout: ir.NHWC})
	w := ir.NewConst("k", ir.Zeros(ir.Float32, ir.Shape{4, 3, 3, 3}))
	b := ir.NewConst("b", ir.Zeros(ir.Float32, ir.Shape{4}))
	c := g.AddNode("conv", &ir.Conv{Window: ir.Window{AutoPad: ir.PadSameUpper}, Layout: ir.NHWC}, []*ir.Value{x, w, b}, 1)
	c.Layer, c.LayerType = "conv2d", "Conv2D"
	r := g.AddNode("conv/relu", &ir.Relu{}, c.Outputs, 1)
	r.Layer, r.LayerType = "conv2d", "Conv2D"
	v := func(n string) *ir.Value { return ir.NewConst(n, ir.Zeros(ir.Float32, ir.Shape{4})) }
	bn := g.AddNode("bn", &ir.BatchNormalization{Layout: ir.NHWC}, []*ir.Value{r.Outputs[0], v("g"), v("be"), v("m"), v("v")}, 1)
	bn.Layer, bn.LayerType = "bad\nname", "BatchNormalization"
	g.Outputs = bn.Outputs
	for _, n := range g.Nodes {
		types, err := n.Op.Infer(ir.InputTypes(n))
		if err != nil {
			t.Fatal(err)
		}
		n.Outputs[0].Type = types[0]
	}
	s := Of(g)
	if len(s.Rows) != 2 || s.Rows[0].Params != 112 || s.Rows[1].Params != 16 || s.Rows[1].NonTrainable != 8 {
		t.Fatalf("rows %+v", s.Rows)
	}
	if s.Total != 128 || s.Trainable != 120 || s.NonTrainable != 8 {
		t.Errorf("totals %d %d %d", s.Total, s.Trainable, s.NonTrainable)
	}
	if want := int64(8 * 8 * 4 * 27); s.MACs != want {
		t.Errorf("MACs %d, want %d", s.MACs, want)
	}
	var out strings.Builder
	if err := s.Write(&out, Options{MACsColumn: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conv2d (Conv2D)", "(None, 8, 8, 4)", `"bad\nname" (BatchNormalization)`, "Total params: 128", "Non-trainable params: 8", "6,912"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "\n") != 14 {
		t.Errorf("a hostile name changed the line count:\n%s", out.String())
	}
}
