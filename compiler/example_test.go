package compiler_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/frontend/onnx"
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

// Load an ONNX model whose height and width are symbolic: cnnc compiles
// static shapes, so LoadOptions.Dims fixes them (cnnc's -dim NAME=VALUE);
// the batch may stay symbolic (N). Without Dims the error names what to
// bind.
func ExampleLoad() {
	_, err := compiler.Load("../testdata/fcn_hw/model.onnx", compiler.LoadOptions{})
	var dims *onnx.DimsError
	if errors.As(err, &dims) {
		fmt.Println("unbound:", dims.Params)
	}
	m, err := compiler.Load("../testdata/fcn_hw/model.onnx", compiler.LoadOptions{Dims: map[string]int{"height": 12, "width": 16}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Graph.Inputs[0].Name, m.Graph.Inputs[0].Type)
	fmt.Println(m.Graph.Outputs[0].Name, m.Graph.Outputs[0].Type)
	// Output:
	// unbound: [height width]
	// input f32[N,3,12,16] NCHW
	// output f32[N,2,12,16] NCHW
}

// A model held in memory, here DSL source; the name is what errors cite.
func ExampleLoadBytes() {
	src := `model = Sequential(name='tiny')
model.add(Conv2D(4, (3, 3), activation='relu', input_shape=(8, 8, 1)))
model.add(GlobalAveragePooling2D())
model.add(Dense(2, activation='softmax'))
`
	m, err := compiler.LoadBytes("tiny.cnn", []byte(src), compiler.DSL, compiler.LoadOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	s := m.Summary()
	fmt.Printf("%s: %d layers, %d parameters, %d MACs per image\n", s.Name, len(s.Rows), s.Total, s.MACs)
	// Output: tiny: 3 layers, 50 parameters, 1304 MACs per image
}

// Errors in DSL source are name:line:col: message, with a hint for a near
// miss.
func ExampleLoadBytes_error() {
	src := "model = Sequential()\nmodel.add(Conv2d(4, 3, input_shape=(8, 8, 1)))\n"
	_, err := compiler.LoadBytes("tiny.cnn", []byte(src), compiler.DSL, compiler.LoadOptions{})
	fmt.Println(err)
	// Output: tiny.cnn:2:11: unknown layer Conv2d; did you mean Conv2D?
}

// The graph the Go code is generated from: Optimize runs Compile's passes
// on a copy. Here the ReLU is fused into the convolution's store step and
// the layout is NHWC, as the DSL declares it.
func ExampleModel_Optimize() {
	src := `Conv2D(4, (3, 3), input_shape=(8, 8, 1))
Activation('relu')
Flatten()
Dense(2)
`
	m, err := compiler.LoadBytes("tiny.cnn", []byte(src), compiler.DSL, compiler.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("as loaded:", len(m.Graph.Nodes), "nodes")
	g, err := m.Optimize(compiler.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range g.Nodes {
		op := n.Op.OpType()
		if c, ok := n.Op.(*ir.Conv); ok && c.Activation != nil {
			op += " + " + c.Activation.OpType()
		}
		fmt.Println(n.Name, op, n.Outputs[0].Type)
	}
	// Output:
	// as loaded: 4 nodes
	// conv2d Conv + Relu f32[N,6,6,4] NHWC
	// flatten Flatten f32[N,144]
	// dense Gemm f32[N,2]
}

// A package name must be a plain lower-case Go identifier; the error
// suggests one.
func ExampleModel_Compile() {
	m, err := compiler.Load("../testdata/tutorial_125_mnist.cnn", compiler.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	_, err = m.Compile(compiler.Options{Package: "MNIST-v2"})
	fmt.Println(err)
	// Output: "MNIST-v2" is not a plain lower-case Go package name (try "mnist_v2")
}

// The format follows the file name's extension, in any case.
func ExampleFormatOf() {
	for _, path := range []string{"model.cnn", "resnet18.ONNX", "weights.npz"} {
		fmt.Println(path, compiler.FormatOf(path))
	}
	// Output:
	// model.cnn DSL
	// resnet18.ONNX ONNX
	// weights.npz unknown
}
