package engine_test

import (
	"fmt"
	"log"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
)

// Compile a model and run the generated code on an input, as cnnc check
// -engine go does: the package is built with the go command in a temporary
// module and run as a program.
func ExampleGo() {
	m, err := compiler.Load("../testdata/tutorial_125_mnist.cnn", compiler.LoadOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	e, err := engine.Go(m.Graph, engine.GoOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	in := compiler.RandomInputs(m.Graph, 1, 1)
	got, err := e.Run(in)
	if err != nil {
		log.Fatal(err)
	}
	want, err := engine.Ref(m.Graph).Run(in)
	if err != nil {
		log.Fatal(err)
	}
	worst := 0.0
	for i := range got[0].Floats {
		worst = max(worst, got[0].Floats[i]-want[0].Floats[i], want[0].Floats[i]-got[0].Floats[i])
	}
	fmt.Printf("output %v, within 1e-5 of the reference: %v\n", got[0].Shape, worst < 1e-5)
	// Output: output [1,10], within 1e-5 of the reference: true
}
