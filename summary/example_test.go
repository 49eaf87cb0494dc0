package summary_test

import (
	"fmt"
	"log"

	"github.com/cnnc/cnnc/frontend/dsl"
	"github.com/cnnc/cnnc/summary"
)

// The rows and totals Keras' model.summary() prints, here for the
// tutorial's MNIST model; Write prints them as Keras' table.
func ExampleOf() {
	g, err := dsl.Load("../testdata/tutorial_125_mnist.cnn", dsl.Options{})
	if err != nil {
		log.Fatal(err)
	}
	s := summary.Of(g)
	for _, r := range s.Rows[:3] {
		fmt.Println(r.Name, r.Type, r.Shape.Keras(), r.Params)
	}
	fmt.Println("total", summary.Thousands(s.Total), "MACs", summary.Thousands(s.MACs))
	// Output:
	// conv2d Conv2D (None, 26, 26, 32) 320
	// activation Activation (None, 26, 26, 32) 0
	// conv2d_1 Conv2D (None, 24, 24, 64) 18496
	// total 1,199,882 MACs 11,992,448
}
