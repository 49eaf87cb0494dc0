package onnx_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/cnnc/cnnc/frontend/onnx"
)

// Import a PyTorch export: the graph comes back typed, its batch symbolic
// (N), its image input NCHW as ONNX declares it.
func ExampleImportFile() {
	g, err := onnx.ImportFile("../../examples/mnist/model/mnist.onnx", onnx.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("input:", g.Inputs[0].Name, g.Inputs[0].Type)
	fmt.Println("output:", g.Outputs[0].Name, g.Outputs[0].Type)
	for _, n := range g.Nodes[:3] {
		fmt.Println(n.Op.OpType(), n.Outputs[0].Type)
	}
	// Output:
	// input: input f32[N,1,28,28] NCHW
	// output: output f32[N,10]
	// Conv f32[N,32,26,26] NCHW
	// Relu f32[N,32,26,26] NCHW
	// Conv f32[N,64,24,24] NCHW
}

// Whether an operator is supported, and at which opsets.
func ExampleSupportedOps() {
	for _, op := range onnx.SupportedOps() {
		if op.OpType == "Conv" || op.OpType == "Resize" {
			fmt.Println(op.OpType, op.MinOpset, op.MaxOpset)
		}
	}
	// Output:
	// Conv 1 25
	// Resize 10 25
}

// Bytes that are not an ONNX model are an error that says what they look
// like, and matches ErrNotModel.
func ExampleImport_notModel() {
	_, err := onnx.Import([]byte("graph(%x) { ... }"), onnx.Options{})
	fmt.Println(errors.Is(err, onnx.ErrNotModel))
	// Output: true
}
