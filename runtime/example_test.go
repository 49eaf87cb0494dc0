package runtime_test

import (
	"fmt"

	"github.com/cnnc/cnnc/runtime"
)

// A dense layer as generated code computes it: the weights packed once,
// then one Sgemm per call with the bias and the ReLU applied as each
// output is stored.
func ExampleSgemm() {
	// W is 3 x 2 (inputs x outputs), row-major, as a Dense kernel.
	w := []float32{
		1, -1,
		2, 0,
		0, 1,
	}
	packed := runtime.PackB(3, 2, w, 2, false) // once, at initialization
	ep := &runtime.Epilogue{Bias: []float32{0.5, -4}, Act: runtime.ActRelu}

	x := []float32{ // two items of three features
		1, 1, 1,
		0, 2, 3,
	}
	y := make([]float32, 2*2)
	work := make([]float32, runtime.SgemmWorkSize(2, 3))
	runtime.Sgemm(2, x, 3, packed, y, 2, ep, work)
	fmt.Println(y)
	// Output: [3.5 0 4.5 0]
}

// Softmax over the rows of a matrix: each row of logits becomes
// probabilities. dst may be src.
func ExampleSoftmax() {
	logits := []float32{
		0, 0, 0, 0,
		1, 2, 3, 4,
	}
	runtime.Softmax(logits, logits, 2, 4)
	for r := 0; r < 2; r++ {
		fmt.Printf("%.4f\n", logits[r*4:r*4+4])
	}
	// Output:
	// [0.2500 0.2500 0.2500 0.2500]
	// [0.0321 0.0871 0.2369 0.6439]
}

// Activate applies an activation in place; Alpha and Beta are its
// parameters (here the bounds of Clip, which makes ReLU6).
func ExampleActivate() {
	x := []float32{-2, 0.5, 3, 8}
	runtime.Activate(x, runtime.ActClip, 0, 6)
	fmt.Println(x)
	// Output: [0 0.5 3 6]
}

// A generated package describes its inputs and outputs with TensorInfo;
// Len counts the values of one batch item.
func ExampleTensorInfo_Len() {
	in := runtime.TensorInfo{Name: "input", Shape: []int{-1, 28, 28, 1}, Layout: "NHWC"}
	fmt.Println(in.Len())
	// Output: 784
}

// Shared lends Models to concurrent callers; a generated package wraps it
// as NewShared, so user code rarely names it.
func ExampleShared() {
	type model struct{ calls int }
	made := 0
	s := runtime.NewShared(func() *model { made++; return new(model) })
	m := s.Get()
	m.calls++
	s.Put(m)
	m = s.Get() // the same Model again: none was made per call
	fmt.Println(made, m.calls)
	s.Put(m)
	// Output: 1 1
}
