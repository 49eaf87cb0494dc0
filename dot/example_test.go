package dot_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/cnnc/cnnc/dot"
	"github.com/cnnc/cnnc/ir"
)

// The DOT of a two-node graph; pipe it to Graphviz's dot -Tsvg to draw it.
func ExampleString() {
	g := ir.NewGraph("tiny")
	x := g.AddInput("image", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 4}})
	g.Outputs = []*ir.Value{g.Apply("relu", &ir.Relu{}, g.Apply("neg", &ir.Neg{}, x))}
	if err := g.Infer(); err != nil {
		log.Fatal(err)
	}
	s, err := dot.String(g, dot.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimSpace(s))
	// Output:
	// digraph cnnc {
	//   graph [rankdir=TB, label="tiny", labelloc=t, fontname="Helvetica", fontsize=12];
	//   node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];
	//   edge [fontname="Helvetica", fontsize=9];
	//   in0 [shape=ellipse, fillcolor="#c8e6c9", label="input\nimage\nf32[N,4]", tooltip="image"];
	//   n0 [label="Neg\nneg\nf32[N,4]", tooltip="neg\nNeg"];
	//   n1 [label="Relu\nrelu\nf32[N,4]", tooltip="relu\nRelu"];
	//   out0 [shape=ellipse, fillcolor="#bbdefb", label="output\nrelu\nf32[N,4]", tooltip="relu"];
	//   in0 -> n0;
	//   n0 -> n1;
	//   n1 -> out0;
	// }
}
