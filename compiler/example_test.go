package compiler_test

import (
	"fmt"
	"log"
	"os"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/ir"
)

// Compile a model file into a Go package from a program, as cnnc compile
// does.
func Example() {
	m, err := compiler.Load("../testdata/tutorial_125_mnist.cnn", compiler.LoadOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	pkg, err := m.Compile(compiler.Options{Package: "mnist", Test: true})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "mnist")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := pkg.Write(dir); err != nil {
		log.Fatal(err)
	}
	for _, f := range pkg.Files {
		fmt.Println(f.Name)
	}
	fmt.Printf("%d parameters, %d-byte arena\n", pkg.Summary.Total, pkg.Summary.ArenaBytes)
	// Output:
	// model.go
	// weights.bin
	// model_test.go
	// testdata/golden.bin
	// 1199882 parameters, 233984-byte arena
}

// Build a graph with package ir and compile it: a 1x1 convolution with a
// fused ReLU over a 4-channel image.
func ExampleFromGraph() {
	g := ir.NewGraph("tiny")
	x := g.AddInput("image", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 4, 8, 8}, Layout: ir.NCHW})
	w := ir.NewConst("w", ir.NewFloatTensor(ir.Float32, ir.Shape{2, 4, 1, 1}, []float64{1, 0, 0, 0, 0, 1, 0, 0}))
	y := g.Apply("conv", &ir.Conv{}, x, w)
	g.Outputs = []*ir.Value{g.Apply("relu", &ir.Relu{}, y)}
	m, err := compiler.FromGraph(g)
	if err != nil {
		log.Fatal(err)
	}
	pkg, err := m.Compile(compiler.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(pkg.Files), "files; output", pkg.Graph.Outputs[0].Type)
	// Output: 2 files; output f32[N,2,8,8] NCHW
}
