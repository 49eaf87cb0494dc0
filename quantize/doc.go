// Package quantize is cnnc's post-training static quantization: it
// calibrates the activation ranges of a float ONNX model on sample inputs
// and writes the model again in the QDQ format, the one ONNX Runtime's
// quantize_static writes and its graph optimizer turns into integer
// kernels (QLinearConv, QLinearAdd, QGemm, ...).
//
//	m, err := quantize.Load(data, quantize.LoadOptions{})
//	plan, err := m.Plan(quantize.Options{KeepFirstLast: true})
//	cal, err := m.NewCalibrator(plan.Observe(), quantize.CalibrateOptions{})
//	err = cal.Observe(inputs) // as many times as there are batches
//	ranges, err := quantize.Ranges(cal.Stats(), quantize.MinMax, 100)
//	qdq, report, err := m.Quantize(plan, ranges, quantize.QuantizeOptions{})
//
// # The scheme
//
// Weights are int8, symmetric, with one scale per output channel
// (Conv's axis 0, Gemm's output axis, a 2-D MatMul weight's columns):
// scale = max|w|/127 and zero point 0, values in [-127, 127] (or
// [-64, 64] with ReduceRange, see ReducedWeightMax).
//
// Activations are uint8 (or int8), asymmetric, from the calibrated range
// widened to include 0: scale = (max-min)/255 and zero point =
// round_half_even(qmin - min/scale), clamped; see ActivationParams.
//
// The biases of Conv and Gemm are int32 with scale x_scale*w_scale (the
// float32 product) and zero point 0, behind a DequantizeLinear: ONNX
// Runtime's QDQ fusions for Conv and Gemm want every input to come from a
// DequantizeLinear, and an int32 bias in the accumulator's units, which
// they use as it is. Constant operands of Add, Mul and Concat are
// quantized with the activation type from their own range, since their
// integer kernels take both operands in that type.
//
// # What is quantized
//
// The nodes of the types in Quantizable, unless excluded, get a
// QuantizeLinear/DequantizeLinear pair on each activation input and on
// their output; a Relu or Clip right after a Conv, Gemm, MatMul, Add or
// Mul is inside the pair (ONNX Runtime drops it when the Q's range
// clamps as it does), a MaxPool's output takes its input's parameters
// (ONNX Runtime then runs it on the integers directly), and a Gemm or
// MatMul output that only float nodes read stays float. Each quantized
// tensor has one pair, which every node that read it reads, float nodes
// included: ONNX Runtime fuses a node with the Q after it only when that
// Q is the node's one reader. Graph outputs keep their float producers.
//
// # Calibration
//
// Calibration runs the model through cnnc's Go engine (generated code,
// built once) or its float64 reference evaluator, on a variant of the
// imported graph whose outputs are the tensors to observe. For min-max
// with the Go engine, ReduceMin and ReduceMax nodes are added to that
// graph so the generated program returns two numbers per tensor and item
// instead of the tensors; the percentile method needs the values and
// keeps a histogram (Stats). A fixed-batch model is imported a second
// time with a symbolic batch, and used when every float tensor then has
// its fixed shape with the batch in dimension 0, so that many items share
// a run.
package quantize
