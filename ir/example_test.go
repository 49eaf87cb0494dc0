package ir_test

import (
	"fmt"
	"log"

	"github.com/cnnc/cnnc/ir"
)

// Build a graph by hand: inputs, constants and ops; Infer types every
// value by the ops' shape rules, and Verify checks the result.
func ExampleGraph_Apply() {
	g := ir.NewGraph("tiny")
	x := g.AddInput("image", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 3, 32, 32}, Layout: ir.NCHW})
	w := ir.NewConst("w", ir.Zeros(ir.Float32, ir.Shape{8, 3, 3, 3}))
	y := g.Apply("conv", &ir.Conv{Window: ir.Window{Strides: []int{2, 2}}}, x, w)
	g.Outputs = []*ir.Value{g.Apply("pool", &ir.GlobalAveragePool{}, g.Apply("relu", &ir.Relu{}, y))}
	if err := g.Infer(); err != nil {
		log.Fatal(err)
	}
	if err := g.Verify(); err != nil {
		log.Fatal(err)
	}
	for _, n := range g.Nodes {
		fmt.Println(n.Name, n.Op.OpType(), n.Outputs[0].Type)
	}
	// Output:
	// conv Conv f32[N,8,15,15] NCHW
	// relu Relu f32[N,8,15,15] NCHW
	// pool GlobalAveragePool f32[N,8,1,1] NCHW
}

// A shape rule's error names the op and the shapes that do not fit.
func ExampleGraph_Infer() {
	g := ir.NewGraph("bad")
	a := g.AddInput("a", ir.Type{DType: ir.Float32, Shape: ir.Shape{2, 3}})
	b := g.AddInput("b", ir.Type{DType: ir.Float32, Shape: ir.Shape{4, 5}})
	g.Outputs = []*ir.Value{g.Apply("mm", &ir.MatMul{}, a, b)}
	fmt.Println(g.Infer())
	// Output:
	// node "mm" (MatMul): MatMul: inner dimensions differ: 3 vs 4 (input shapes [2,3], [4,5])
}
