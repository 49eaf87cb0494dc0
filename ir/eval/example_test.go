package eval_test

import (
	"fmt"
	"log"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// Run a graph on concrete inputs in float64: the reference every engine is
// compared with. The batch dimension takes the inputs' size.
func ExampleRun() {
	g := ir.NewGraph("scores")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 3}})
	g.Outputs = []*ir.Value{g.Apply("softmax", &ir.Softmax{Axis: -1}, x)}
	if err := g.Infer(); err != nil {
		log.Fatal(err)
	}
	in := ir.NewFloatTensor(ir.Float32, ir.Shape{2, 3}, []float64{0, 0, 0, 1, 2, 3})
	out, err := eval.Run(g, []*ir.Tensor{in})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out[0].Shape)
	fmt.Printf("%.4f\n", out[0].Floats)
	// Output:
	// [2,3]
	// [0.3333 0.3333 0.3333 0.0900 0.2447 0.6652]
}
