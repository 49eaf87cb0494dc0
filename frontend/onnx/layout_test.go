package onnx

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// Graph inputs that feed image ops are declared NCHW, with the tag
// reaching the values computed from them; other inputs keep no layout.
func TestImageInputLayout(t *testing.T) {
	w4 := f32(ir.Shape{4, 3, 3, 3})
	w3 := f32(ir.Shape{4, 3, 3})
	scale := f32(ir.Shape{1, 3, 1, 1}, 0.5, 0.25, 0.125)
	cases := []struct {
		name  string
		model *testModel
		want  map[string]ir.Layout // by graph input name
	}{
		{"conv", x4(13).init("w", w4).node("Conv", []string{"x", "w"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.NCHW}},
		{"pool", x4(13).node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 2, 2)).output("y"),
			map[string]ir.Layout{"x": ir.NCHW}},
		{"global pool", x4(13).node("GlobalAveragePool", []string{"x"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.NCHW}},
		{"normalized then convolved", x4(13).init("m", scale).init("s", scale).init("w", w4).
			node("Sub", []string{"x", "m"}, []string{"a"}).
			node("Div", []string{"a", "s"}, []string{"b"}).
			node("Pad", []string{"b", "pads"}, []string{"c"}).init("pads", i64(0, 0, 1, 1, 0, 0, 1, 1)).
			node("Conv", []string{"c", "w"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.NCHW}},
		{"1-D convolution", newModel(13).input("x", tFloat, 1, 3, 16).init("w", w3).
			node("Conv", []string{"x", "w"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.NCHW}},
		{"matmul operand", newModel(13).input("x", tFloat, 1, 2, 8, 4).init("k", f32(ir.Shape{4, 4})).
			node("MatMul", []string{"x", "k"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.LayoutAny}},
		{"element-wise only", x4(13).node("Relu", []string{"x"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.LayoutAny}},
		{"reshaped first", x4(13).init("shape", i64(1, 3, 4, 16)).init("w", w4).
			node("Reshape", []string{"x", "shape"}, []string{"r"}).
			node("Conv", []string{"r", "w"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.LayoutAny}},
		{"rank 2", x2(13).init("b", f32(ir.Shape{6})).node("Add", []string{"x", "b"}, []string{"y"}).output("y"),
			map[string]ir.Layout{"x": ir.LayoutAny}},
		{"an image and a mask", x4(13).input("mask", tFloat, 1, 4, 6, 6).init("w", w4).
			node("Conv", []string{"x", "w"}, []string{"c"}).
			node("Mul", []string{"c", "mask"}, []string{"y"}).output("y"),
			// The mask meets the image only after the convolution.
			map[string]ir.Layout{"x": ir.NCHW, "mask": ir.LayoutAny}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.model.mustLoad(t)
			if len(g.Inputs) != len(tc.want) {
				t.Fatalf("%d inputs, want %d", len(g.Inputs), len(tc.want))
			}
			for _, in := range g.Inputs {
				if got, want := in.Layout, tc.want[in.Name]; got != want {
					t.Errorf("input %q: layout %v, want %v", in.Name, got, want)
				}
			}
			// The tag flows: whatever image op the input feeds sees it,
			// and the graph verifies (types recorded = types inferred).
			if err := g.Verify(); err != nil {
				t.Error(err)
			}
			if tc.want["x"] == ir.NCHW && g.Nodes[0].Outputs[0].Layout != ir.NCHW {
				t.Errorf("the first node's output is %v, want it NCHW like the input", g.Nodes[0].Outputs[0].Type)
			}
		})
	}
}
