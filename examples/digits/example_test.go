package digits_test

import (
	"fmt"
	"log"
	"sync"

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

// Inputs and Outputs describe the model's tensors: names, shapes (-1 for
// the batch) and the layout of images, so that a program can check or
// prepare its data without knowing the model.
func Example() {
	for _, t := range digits.Inputs {
		fmt.Println("input", t.Name, t.Shape, t.Layout, t.Len())
	}
	for _, t := range digits.Outputs {
		fmt.Println("output", t.Name, t.Shape, t.Len())
	}
	fmt.Println("batched:", digits.Batched)
	// Output:
	// input input [-1 28 28 1] NHWC 784
	// output dense_2/softmax [-1 10] 10
	// batched: true
}

// Run takes one slice per input and returns one per output; for a model
// of one input and one output, Predict says the same more briefly.
func ExampleModel_Run() {
	m := digits.New()
	outs, err := m.Run(make([]float32, digits.InputLen))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(outs), "output of", len(outs[0]), "values")
	_, err = m.Run()
	fmt.Println(err)
	// Output:
	// 1 output of 10 values
	// digits: got 0 inputs, want 1
}

// Shared serves many goroutines at once, as an HTTP handler's calls come:
// each call borrows a Model and gives it back, and writes into the caller's
// slice.
func ExampleNewShared() {
	s := digits.NewShared()
	var wg sync.WaitGroup
	results := make([][]float32, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := make([]float32, digits.InputLen)
			img[i*28+14] = 1
			results[i] = make([]float32, digits.OutputLen)
			if err := s.Predict(results[i], img); err != nil {
				log.Print(err)
			}
		}()
	}
	wg.Wait()
	fmt.Println(len(results), "images classified")
	// Output: 4 images classified
}

// SetThreads splits each layer's matrix products across goroutines; the
// results equal one thread's up to float32 rounding. Close stops them.
func ExampleModel_SetThreads() {
	m := digits.New()
	m.SetThreads(2)
	defer m.Close()
	probs, err := m.Predict(make([]float32, digits.InputLen))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(probs))
	// Output: 10
}
