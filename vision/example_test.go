package vision_test

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png" // register the PNG decoder for image.Decode
	"log"
	"os"
	"strings"

	"github.com/cnnc/cnnc/examples/digits"
	"github.com/cnnc/cnnc/vision"
)

// An ImageNet classifier's input from a 640x480 photo: shorter side to 256
// (341x256), the central 224x224, ImageNet normalization, NCHW. torchvision
// prints the same centre pixel for the same picture.
func ExampleImageNet() {
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			photo.Set(x, y, color.RGBA{uint8(x * 255 / 639), uint8(y * 255 / 479), 128, 255})
		}
	}
	t := vision.ImageNet(224)
	in, err := t.Tensor(photo) // or t.Apply(buf, photo) to reuse buf
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d values: 3 planes of %dx%d\n", len(in), t.Width, t.Height)
	plane := t.Width * t.Height
	center := 112*t.Width + 112
	fmt.Printf("centre pixel R G B: %.4f %.4f %.4f\n", in[center], in[plane+center], in[2*plane+center])
	// Output:
	// 150528 values: 3 planes of 224x224
	// centre pixel R G B: 0.0569 0.1877 0.4265
}

// An MNIST digit of any size becomes the 28x28 grayscale input of a digit
// classifier; here a 100x100 PNG, shown as the model sees it (rows and
// columns 4 to 23; '.' is 0, '#' at least 0.75).
func ExampleMNIST() {
	f, err := os.Open("testdata/digit_100x100.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	in, err := vision.MNIST().Tensor(img) // resized to 28x28, values v/255
	if err != nil {
		log.Fatal(err)
	}
	for y := 4; y < 25; y++ {
		var b strings.Builder
		for x := 4; x < 24; x++ {
			b.WriteByte(".-+#"[min(int(in[y*28+x]*4), 3)])
		}
		fmt.Println(b.String())
	}
	// Output:
	// ......-+####+-......
	// .....+#########-....
	// ....###+-..--###-...
	// ...+##........+##...
	// ...##-.........##-..
	// ....-..........##-..
	// ..............+##...
	// ............-+##-...
	// ..........+####-....
	// ..........####-.....
	// ..........#####-....
	// ...........-+###....
	// ..............##+...
	// ..............-##...
	// ...-+..........##-..
	// ...##-........-##...
	// ...-##-.......##+...
	// ....+##+-..-+###....
	// .....+#########.....
	// ......-+####+-......
	// ....................
}

// The model's input size, channels and layout from a generated package's
// Inputs; here cnnc's example digit classifier (examples/digits, NHWC).
func ExampleForInput() {
	t, err := vision.ForInput(digits.Inputs[0].Shape, digits.Inputs[0].Layout)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d, %d channel, %s\n", t.Width, t.Height, t.Channels, t.Layout)

	img := image.NewGray(image.Rect(0, 0, 56, 56)) // a vertical stroke
	for y := 8; y < 48; y++ {
		for x := 26; x < 30; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	in, err := t.Tensor(img)
	if err != nil {
		log.Fatal(err)
	}
	probs, err := digits.New().Predict(in)
	if err != nil {
		log.Fatal(err)
	}
	top := vision.TopK(probs, 3, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})
	fmt.Println(len(top), "digits ranked") // the example's weights are random: no point printing which
	// Output:
	// 28x28, 1 channel, NHWC
	// 3 digits ranked
}

// TopK with labels, after Softmax for a model that gives logits.
func ExampleTopK() {
	logits := []float32{1.0, 3.5, 0.2, 3.5, 2.0}
	labels := []string{"tench", "goldfish", "great white shark", "tiger shark", "hammerhead"}
	vision.Softmax(logits)
	for _, c := range vision.TopK(logits, 3, labels) {
		fmt.Println(c)
	}
	// Output:
	// goldfish (1): 0.427
	// tiger shark (3): 0.427
	// hammerhead (4): 0.09527
}

func ExampleReadLabels() {
	labels, err := vision.ReadLabels(strings.NewReader("tench\ngoldfish\ngreat white shark\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(labels), labels[1])
	// Output: 3 goldfish
}
