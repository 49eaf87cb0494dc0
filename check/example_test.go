package check_test

import (
	"fmt"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/ir"
)

// Compare with ONNX's backend-test tolerance: |got - want| <= atol +
// rtol*|want| for every element.
func ExampleCompare() {
	want := ir.NewFloatTensor(ir.Float32, ir.Shape{1, 3}, []float64{0.1, 0.2, 0.7})
	close := ir.NewFloatTensor(ir.Float32, ir.Shape{1, 3}, []float64{0.1, 0.2000001, 0.7})
	off := ir.NewFloatTensor(ir.Float32, ir.Shape{1, 3}, []float64{0.1, 0.3, 0.6})
	fmt.Println(check.Line(0, "prob", check.Compare(close, want, 1e-3, 1e-7)))
	fmt.Println(check.Line(0, "prob", check.Compare(off, want, 1e-3, 1e-7)))
	// Output:
	// output 0 "prob": ok   max abs 1e-07  max rel 5e-07 (3 elements)
	// output 0 "prob": FAIL 2/3 elements differ, max abs 0.1  max rel 0.5 (3 elements); worst at 1: got 0.3, want 0.2
}
