// Package vision turns images into the inputs of cnnc-generated model packages
// and their outputs into labels: image.Image in, float32 slice out, top-k
// classes back.
//
// A generated package takes a flat []float32 in the layout its model declares
// (NCHW for ONNX models, NHWC for models written in cnnc's DSL; the package's
// Inputs variable says which) and returns flat []float32 outputs. A Transform
// does the preprocessing a model was trained with, matching torchvision's
// Resize, CenterCrop, ToTensor and Normalize on PIL images value for value:
//
//	f, _ := os.Open("cat.jpg")
//	img, _, err := image.Decode(f) // import _ "image/jpeg" to register the format
//
//	t := vision.ImageNet(224)      // Resize(256), CenterCrop(224), ImageNet mean/std, NCHW RGB
//	in, err := t.Tensor(img)       // or t.Apply(buf, img) into a reused buffer
//	logits, err := m.Predict(in)   // m from the generated package's New
//	vision.Softmax(logits)         // only if the model gives logits
//	labels, err := vision.ReadLabels(labelFile)
//	for _, c := range vision.TopK(logits, 5, labels) {
//		fmt.Println(c) // "tabby (281): 0.4532"
//	}
//
// and for a model compiled from the DSL, such as the MNIST one in cnnc's
// tutorial:
//
//	t := vision.MNIST()            // 28x28 gray, v/255; any size of image is resized to 28x28
//	t.Invert = true                // for a dark digit on a light background
//	in, err := t.Tensor(img)
//	probs, err := m.Predict(in)
//	best := vision.TopK(probs, 1, nil)[0].Index
//
// ForInput builds a Transform whose size, channels and layout come from a
// generated package's Inputs, so that they cannot disagree with the model:
//
//	t, err := vision.ForInput(mymodel.Inputs[0].Shape, mymodel.Inputs[0].Layout)
//
// # Matching torchvision
//
// Transform's steps and their rounding are those of torchvision 0.14 on PIL
// images (PIL's resize filters, Python's round-half-to-even in the center crop,
// PIL's luma rounding), so a PNG gives exactly the tensor torchvision gives;
// the tests check that against tensors torchvision computed (testdata/gen.py).
// JPEG files differ by a few levels of 255 because Go's image/jpeg and libjpeg
// round the inverse DCT differently; Apply does the rest of the decoding as
// libjpeg does (chroma upsampling, YCbCr to RGB), which keeps the difference at
// the 2-3 levels the DCT causes (with image/jpeg's own At, subsampled chroma
// alone differs by up to 51 levels on noisy images).
//
// The package imports only the standard library. Images of any standard type
// (image.RGBA, NRGBA, Gray, YCbCr, Paletted, 16-bit, CMYK) are read through
// their pixel buffers; other image.Image implementations through At.
package vision
