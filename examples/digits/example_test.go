package digits_test

import (
	"fmt"
	"log"

	"github.com/cnnc/cnnc/examples/digits"
)

// Classify one 28x28 image, given as InputLen values in the model's
// layout (NHWC: row by row, one channel).
func ExampleModel_Predict() {
	img := make([]float32, digits.InputLen)
	for y := 4; y < 24; y++ { // a vertical stroke, something like a "1"
		img[y*28+14] = 1
	}
	m := digits.New()
	probs, err := m.Predict(img)
	if err != nil {
		log.Fatal(err)
	}
	sum := float32(0)
	for _, p := range probs {
		sum += p
	}
	fmt.Printf("%d classes, probabilities sum to %.3f\n", len(probs), sum)
	// Output: 10 classes, probabilities sum to 1.000
}

// A wrong-sized input is an error, never a panic.
func ExampleModel_Predict_wrongSize() {
	_, err := digits.New().Predict(make([]float32, 100))
	fmt.Println(err)
	// Output: digits: input has 100 values, want 784 (shape [-1 28 28 1])
}

// Classify a batch of images in one call: the model's first dimension is
// the batch.
func ExampleModel_PredictBatch() {
	const n = 3
	src := make([]float32, n*digits.InputLen)
	dst := make([]float32, n*digits.OutputLen)
	if err := digits.New().PredictBatch(dst, src); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(dst) / digits.OutputLen)
	// Output: 3
}
