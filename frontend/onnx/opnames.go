package onnx

import (
	"slices"
	"strings"

	"github.com/cnnc/cnnc/frontend/nearmiss"
)

// onnxOps lists the operators of the ai.onnx domain up to opset 25,
// supported by cnnc or not (including the deprecated ones a model may
// still use). An unknown op type in this list is a real operator cnnc
// lacks, not a misspelling: it gets no "did you mean", which for short
// names would be noise (Sin is not a misspelled Min, nor Tan of Tanh).
var onnxOps = []string{
	"Abs", "Acos", "Acosh", "Add", "AffineGrid", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh",
	"Attention", "AveragePool", "BatchNormalization", "Bernoulli", "BitShift", "BitwiseAnd", "BitwiseNot",
	"BitwiseOr", "BitwiseXor", "BlackmanWindow", "Cast", "CastLike", "Ceil", "Celu", "CenterCropPad", "Clip",
	"Col2Im", "Compress", "Concat", "ConcatFromSequence", "Constant", "ConstantOfShape", "Conv", "ConvInteger",
	"ConvTranspose", "Cos", "Cosh", "CumSum", "DFT", "DeformConv", "DepthToSpace", "DequantizeLinear", "Det",
	"Div", "Dropout", "DynamicQuantizeLinear", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike",
	"Flatten", "Floor", "GRU", "Gather", "GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool",
	"GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "GridSample", "GroupNormalization",
	"HammingWindow", "HannWindow", "HardSigmoid", "HardSwish", "Hardmax", "Identity", "If", "ImageDecoder",
	"InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM", "LayerNormalization", "LeakyRelu", "Less",
	"LessOrEqual", "Log", "LogSoftmax", "Loop", "LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max",
	"MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "MelWeightMatrix", "Min", "Mish",
	"Mod", "Mul", "Multinomial", "Neg", "NegativeLogLikelihoodLoss", "NonMaxSuppression", "NonZero", "Not",
	"OneHot", "Optional", "OptionalGetElement", "OptionalHasElement", "Or", "PRelu", "Pad", "Pow", "QLinearConv",
	"QLinearMatMul", "QuantizeLinear", "RMSNormalization", "RNN", "RandomNormal", "RandomNormalLike",
	"RandomUniform", "RandomUniformLike", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
	"ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare",
	"RegexFullMatch", "Relu", "Reshape", "Resize", "ReverseSequence", "RoiAlign", "RotaryEmbedding", "Round",
	"STFT", "Scan", "Scatter", "ScatterElements", "ScatterND", "Selu", "SequenceAt", "SequenceConstruct",
	"SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength", "SequenceMap", "Shape", "Shrink",
	"Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice", "Softmax", "SoftmaxCrossEntropyLoss", "Softplus",
	"Softsign", "SpaceToDepth", "Split", "SplitToSequence", "Sqrt", "Squeeze", "StringConcat",
	"StringNormalizer", "StringSplit", "Sub", "Sum", "Swish", "Tan", "Tanh", "TensorScatter", "TfIdfVectorizer",
	"ThresholdedRelu", "Tile", "TopK", "Transpose", "Trilu", "Unique", "Unsqueeze", "Upsample", "Where", "Xor",
}

// opAlias is how ONNX spells a layer other frameworks name differently.
type opAlias struct {
	ops []string // supported op types
	how string   // how they express it, or ""
}

// aliases maps other frameworks' names, lower-cased, to ONNX's: names that
// edit distance finds nothing for (maxpooling2d is far from MaxPool) or
// finds the wrong op for (cat is one edit from Cast, relu6 from Relu).
var aliases = map[string]opAlias{
	"relu6":                  {[]string{"Clip"}, "ONNX writes ReLU6 as Clip with min 0 and max 6"},
	"hardtanh":               {[]string{"Clip"}, "ONNX writes Hardtanh as Clip"},
	"silu":                   {[]string{"Sigmoid", "Mul"}, "ONNX writes SiLU as Mul(x, Sigmoid(x)), which cnnc fuses"},
	"dense":                  {[]string{"Gemm"}, "ONNX writes a fully connected layer as Gemm, or MatMul and Add"},
	"linear":                 {[]string{"Gemm"}, "ONNX writes a fully connected layer as Gemm, or MatMul and Add"},
	"fullyconnected":         {[]string{"Gemm"}, "ONNX writes a fully connected layer as Gemm, or MatMul and Add"},
	"innerproduct":           {[]string{"Gemm"}, "ONNX writes a fully connected layer as Gemm, or MatMul and Add"},
	"convolution":            {[]string{"Conv"}, ""},
	"deconvolution":          {[]string{"ConvTranspose"}, ""},
	"conv2dtranspose":        {[]string{"ConvTranspose"}, ""},
	"batchnorm":              {[]string{"BatchNormalization"}, ""},
	"batchnorm1d":            {[]string{"BatchNormalization"}, ""},
	"batchnorm2d":            {[]string{"BatchNormalization"}, ""},
	"batchnorm3d":            {[]string{"BatchNormalization"}, ""},
	"avgpool":                {[]string{"AveragePool"}, ""},
	"avgpool1d":              {[]string{"AveragePool"}, ""},
	"avgpool2d":              {[]string{"AveragePool"}, ""},
	"averagepooling2d":       {[]string{"AveragePool"}, ""},
	"maxpooling1d":           {[]string{"MaxPool"}, ""},
	"maxpooling2d":           {[]string{"MaxPool"}, ""},
	"globalavgpool":          {[]string{"GlobalAveragePool"}, ""},
	"globalaveragepooling2d": {[]string{"GlobalAveragePool"}, ""},
	"adaptiveavgpool2d":      {[]string{"GlobalAveragePool"}, "for an output size of 1"},
	"globalmaxpooling2d":     {[]string{"GlobalMaxPool"}, ""},
	"adaptivemaxpool2d":      {[]string{"GlobalMaxPool"}, "for an output size of 1"},
	"cat":                    {[]string{"Concat"}, ""},
	"concatenate":            {[]string{"Concat"}, ""},
	"view":                   {[]string{"Reshape"}, ""},
	"permute":                {[]string{"Transpose"}, ""},
	"upsampling2d":           {[]string{"Resize"}, ""},
	"interpolate":            {[]string{"Resize"}, ""},
	"zeropadding2d":          {[]string{"Pad"}, ""},
}

// didYouMean guesses which supported ai.onnx operators an unknown op type
// was meant to be, and says so in a phrase for UnsupportedOp.Reason; it
// returns nothing for a real ONNX operator cnnc lacks and for a name
// close to none.
func didYouMean(opType string) (ops []string, reason string) {
	if slices.Contains(onnxOps, opType) {
		return nil, ""
	}
	if a, ok := aliases[strings.ToLower(opType)]; ok {
		reason = "did you mean " + strings.Join(a.ops, " and ") + "?"
		if a.how != "" {
			reason += " " + a.how
		}
		return a.ops, reason
	}
	ops = nearmiss.Closest(opType, supportedOpTypes())
	if len(ops) > 3 {
		ops = ops[:3]
	}
	if len(ops) == 0 {
		return nil, ""
	}
	return ops, "did you mean " + orJoin(ops) + "?"
}

// supportedOpTypes lists the registry's op types, sorted, for stable
// suggestions.
func supportedOpTypes() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// orJoin spells a list as "A", "A or B", "A, B or C".
func orJoin(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
