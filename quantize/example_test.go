package quantize_test

import (
	"fmt"
	"log"

	"github.com/cnnc/cnnc/quantize"
)

// The uint8 parameters of an activation calibrated to [-1, 3]: zero maps to
// an exact code, values round half to even as QuantizeLinear rounds, and
// values past the range saturate.
func ExampleActivationParams() {
	p, err := quantize.ActivationParams(-1, 3, quantize.Uint8)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("scale %.6f, zero point %d\n", p.Scale, p.Zero)
	for _, x := range []float64{-1, 0, 1.5, 3, 7} {
		q := p.Quantize(x, quantize.Uint8)
		fmt.Printf("%4g -> %3d -> %.4f\n", x, q, p.Dequantize(q))
	}
	// Output:
	// scale 0.015686, zero point 64
	//   -1 ->   0 -> -1.0039
	//    0 ->  64 -> 0.0000
	//  1.5 -> 160 -> 1.5059
	//    3 -> 255 -> 2.9961
	//    7 -> 255 -> 2.9961
}

// Weights are symmetric: one scale per output channel, zero point 0.
func ExampleWeightParams() {
	p, err := quantize.WeightParams(0.5, quantize.WeightMax) // the channel's max |w|
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("scale %.6f, zero point %d, 0.5 -> %d\n", p.Scale, p.Zero, quantize.QuantizeWeight(0.5, p, quantize.WeightMax))
	// Output: scale 0.003937, zero point 0, 0.5 -> 127
}
