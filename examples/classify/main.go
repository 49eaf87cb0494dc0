// Command classify labels digit images with a package that cnnc generated:
// the whole of a program written around generated code.
//
//	go run ./examples/classify cmd/cnnc/testdata/images/digits/*.png
//
// It imports examples/digits, whose weights are untrained (seeded at
// random), so the digits it names are arbitrary. Compile a trained model
// with the same input and output, such as the quick start's MNIST model,
// and import that package instead to get real ones:
//
//	cnnc compile -weights examples/mnist/model/mnist.npz examples/mnist/model/mnist.cnn -o ./mnist -pkg mnist
package main

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register the decoders image.Decode uses
	_ "image/png"
	"io"
	"log"
	"os"
	"strings"

	model "github.com/cnnc/cnnc/examples/digits" // the generated package
	"github.com/cnnc/cnnc/vision"
)

func main() {
	log.SetFlags(0)
	if err := classify(os.Stdout, os.Args[1:]); err != nil {
		log.Fatal("classify: ", err)
	}
}

// classify prints the three most likely digits of each image file.
func classify(w io.Writer, paths []string) error {
	if len(paths) == 0 {
		return errors.New("usage: classify IMAGE...")
	}
	// 28x28 gray with values v/255, as the MNIST models were trained;
	// vision.ForInput(model.Inputs[0].Shape, model.Inputs[0].Layout)
	// reads the size and layout from the package instead.
	t := vision.MNIST()
	m := model.New() // cheap: the weights are decoded once per process
	in := make([]float32, t.Len())
	for _, path := range paths {
		img, err := decode(path)
		if err != nil {
			return err
		}
		if err := t.Apply(in, img); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		probs, err := m.Predict(in) // the model ends in a softmax
		if err != nil {
			return err
		}
		var top []string
		for _, c := range vision.TopK(probs, 3, nil) {
			top = append(top, c.String()) // "7: 0.9999"
		}
		fmt.Fprintf(w, "%s: %s\n", path, strings.Join(top, ", "))
	}
	return nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
