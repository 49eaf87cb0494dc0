package dsl_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/cnnc/cnnc/frontend/dsl"
)

// Parse reads the syntax, Build gives it Keras' meaning: a typed graph
// whose nodes carry the Keras layer names, with seeded weights (or those
// of Options.Weights, a Keras-layout .npz).
func ExampleBuild() {
	src := `from keras.models import Sequential
model = Sequential()
model.add(Conv2D(8, (3, 3), padding='same', activation='relu', input_shape=(16, 16, 3)))
model.add(MaxPooling2D())
model.add(Flatten())
model.add(Dense(10, activation='softmax'))
`
	f, err := dsl.Parse("model.cnn", []byte(src))
	if err != nil {
		log.Fatal(err)
	}
	g, err := dsl.Build(f, dsl.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Inputs[0].Name, g.Inputs[0].Type)
	for _, n := range g.Nodes {
		fmt.Printf("%-20s %-10s %s\n", n.Name, n.LayerType, n.Outputs[0].Type)
	}
	// Output:
	// input f32[N,16,16,3] NHWC
	// conv2d               Conv2D     f32[N,16,16,8] NHWC
	// conv2d/relu          Conv2D     f32[N,16,16,8] NHWC
	// max_pooling2d        MaxPooling2D f32[N,8,8,8] NHWC
	// flatten              Flatten    f32[N,512]
	// dense                Dense      f32[N,10]
	// dense/softmax        Dense      f32[N,10]
}

// Problems come several at once, so that a file can be fixed in one round;
// err.Error() prints them as file:line:col: message lines, and ErrorList
// gives them one by one.
func ExampleErrorList() {
	src := `model = Sequential()
model.add(Conv2D(32, kernal_size=(3, 3), input_shape=(28, 28, 1)))
model.add(Activation('rleu'))
`
	f, err := dsl.Parse("model.cnn", []byte(src)) // syntax errors
	if err == nil {
		_, err = dsl.Build(f, dsl.Options{}) // names, arguments, shapes, weights
	}
	var list dsl.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Printf("line %d, column %d: %s\n", e.Pos.Line, e.Pos.Col, e.Msg)
		}
	}
	// Output:
	// line 2, column 22: Conv2D has no argument kernal_size; did you mean kernel_size?
	// line 3, column 22: Activation argument activation: unknown activation 'rleu'; did you mean relu?
}
