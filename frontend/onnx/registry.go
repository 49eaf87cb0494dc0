package onnx

import (
	"fmt"
	"math"
	"sort"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// importFunc imports one ONNX node at a resolved opset. in holds the
// node's inputs (nil for an omitted optional one). It returns one value per
// ONNX output, nil for an output it does not compute (an error if the model
// uses it).
type importFunc func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error)

// opEntry registers an importer for the ai.onnx opsets min..max.
type opEntry struct {
	min, max int64
	fn       importFunc
	// floatOnly rejects a non-float first input as unsupported before the
	// importer runs: the IR defines these ops on floating point only.
	floatOnly bool
	// notes is the documentation column of docs/onnx.md.
	notes string
}

// MaxOpset is the newest ai.onnx opset cnnc imports. Opsets 22 to 25
// mostly widened type lists, which changes nothing for the supported types.
const MaxOpset = 25

// registry maps an ai.onnx op type to its importer. Filled in init because
// the entries refer to functions that (indirectly) read it.
var registry map[string]opEntry

func init() {
	u := func(op func() ir.Op) opEntry { return opEntry{min: 1, max: MaxOpset, fn: unaryOp(op)} }
	uf := func(op func() ir.Op) opEntry { e := u(op); e.floatOnly = true; return e }
	bin := func(op func() ir.Op) opEntry {
		return opEntry{min: 1, max: MaxOpset, fn: binaryOp(op), notes: "numpy broadcasting; before opset 7, `broadcast`/`axis` are mapped to it"}
	}
	vari := func(op func() ir.Op) opEntry {
		return opEntry{min: 1, max: MaxOpset, fn: variadicOp(op)}
	}
	registry = map[string]opEntry{
		"Abs":                   u(func() ir.Op { return &ir.Abs{} }),
		"Add":                   bin(func() ir.Op { return &ir.Add{} }),
		"AveragePool":           {min: 1, max: MaxOpset, fn: importAveragePool, floatOnly: true, notes: "count_include_pad (7+), ceil_mode (10+), dilations (19+), auto_pad"},
		"BatchNormalization":    {min: 1, max: MaxOpset, fn: importBatchNorm, floatOnly: true, notes: "inference only: training_mode=1 and the training outputs are rejected; legacy is_test/spatial/momentum ignored (spatial=0 only on rank 2)"},
		"Cast":                  {min: 1, max: MaxOpset, fn: importCast, notes: "`to` as a string before opset 6; saturate/round_mode (float8 only) ignored"},
		"CastLike":              {min: 15, max: MaxOpset, fn: importCastLike, notes: "imported as Cast"},
		"Ceil":                  uf(func() ir.Op { return &ir.Ceil{} }),
		"Clip":                  {min: 1, max: MaxOpset, fn: importClip, notes: "min/max attributes before opset 11, constant inputs from 11"},
		"Concat":                {min: 1, max: MaxOpset, fn: importConcat},
		"Constant":              {min: 1, max: MaxOpset, fn: importConstant, notes: "value, value_float(s), value_int(s); not strings or sparse"},
		"ConstantOfShape":       {min: 9, max: MaxOpset, fn: importConstantOfShape, notes: "folded; the shape must be constant"},
		"Conv":                  {min: 1, max: MaxOpset, fn: importConv, floatOnly: true, notes: "any rank; auto_pad"},
		"ConvTranspose":         {min: 1, max: MaxOpset, fn: importConvTranspose, floatOnly: true, notes: "output_shape, output_padding, auto_pad"},
		"Div":                   bin(func() ir.Op { return &ir.Div{} }),
		"Dropout":               {min: 1, max: MaxOpset, fn: importDropout, notes: "identity; ratio input (12+) may be computed; training_mode must be constant false"},
		"Elu":                   {min: 1, max: MaxOpset, fn: importElu, floatOnly: true},
		"Equal":                 bin(func() ir.Op { return &ir.Equal{} }),
		"Erf":                   {min: 9, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.Erf{} }), floatOnly: true},
		"Exp":                   uf(func() ir.Op { return &ir.Exp{} }),
		"Expand":                {min: 8, max: MaxOpset, fn: importExpand, notes: "constant shape; lowered to Add of zeros"},
		"Flatten":               {min: 1, max: MaxOpset, fn: importFlatten},
		"Floor":                 uf(func() ir.Op { return &ir.Floor{} }),
		"Gather":                {min: 1, max: MaxOpset, fn: importGather},
		"Gemm":                  {min: 1, max: MaxOpset, fn: importGemm, floatOnly: true, notes: "alpha, beta, transA, transB; C optional from opset 11"},
		"GlobalAveragePool":     {min: 1, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.GlobalAveragePool{} }), floatOnly: true},
		"GlobalMaxPool":         {min: 1, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.GlobalMaxPool{} }), floatOnly: true},
		"Greater":               bin(func() ir.Op { return &ir.Greater{} }),
		"HardSigmoid":           {min: 1, max: MaxOpset, fn: importHardSigmoid, floatOnly: true},
		"HardSwish":             {min: 14, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.HardSwish{} }), floatOnly: true},
		"Identity":              u(func() ir.Op { return &ir.Identity{} }),
		"InstanceNormalization": {min: 1, max: MaxOpset, fn: importInstanceNorm, floatOnly: true},
		"LRN":                   {min: 1, max: MaxOpset, fn: importLRN, floatOnly: true},
		"LeakyRelu":             {min: 1, max: MaxOpset, fn: importLeakyRelu, floatOnly: true},
		"Less":                  bin(func() ir.Op { return &ir.Less{} }),
		"Log":                   uf(func() ir.Op { return &ir.Log{} }),
		"LogSoftmax":            {min: 1, max: MaxOpset, fn: importSoftmax(true), floatOnly: true, notes: "before opset 13: coerced to 2-D at axis (default 1); from 13: one axis (default -1)"},
		"MatMul":                {min: 1, max: MaxOpset, fn: importMatMul},
		"Max":                   vari(func() ir.Op { return &ir.Max{} }),
		"MaxPool":               {min: 1, max: MaxOpset, fn: importMaxPool, floatOnly: true, notes: "ceil_mode and dilations (10+), auto_pad; the Indices output is not supported"},
		"Mean":                  vari(func() ir.Op { return &ir.Mean{} }),
		"Min":                   vari(func() ir.Op { return &ir.Min{} }),
		"Mul":                   bin(func() ir.Op { return &ir.Mul{} }),
		"Neg":                   u(func() ir.Op { return &ir.Neg{} }),
		"PRelu":                 {min: 1, max: MaxOpset, fn: importPRelu, notes: "before opset 7 a [C] slope applies per channel"},
		"Pad":                   {min: 1, max: MaxOpset, fn: importPad, notes: "paddings (1), pads attribute (2-10), constant pads/constant_value inputs (11+), axes input (18+); constant, reflect, edge, wrap (19+)"},
		"Pow":                   bin(func() ir.Op { return &ir.Pow{} }),
		"Reciprocal":            uf(func() ir.Op { return &ir.Reciprocal{} }),
		"ReduceMax":             reduceEntry(18, func(r ir.Reduce) ir.Op { return &ir.ReduceMax{Reduce: r} }),
		"ReduceMean":            reduceEntry(18, func(r ir.Reduce) ir.Op { return &ir.ReduceMean{Reduce: r} }),
		"ReduceMin":             reduceEntry(18, func(r ir.Reduce) ir.Op { return &ir.ReduceMin{Reduce: r} }),
		"ReduceSum":             reduceEntry(13, func(r ir.Reduce) ir.Op { return &ir.ReduceSum{Reduce: r} }),
		"Relu":                  u(func() ir.Op { return &ir.Relu{} }),
		"Reshape":               {min: 1, max: MaxOpset, fn: importReshape, notes: "shape attribute before opset 5, constant (or batch-symbolic) input from 5; allowzero (14+)"},
		"Resize":                {min: 10, max: MaxOpset, fn: importResize, notes: "constant scales, sizes (may follow a symbolic batch) and roi; nearest, linear, cubic; every coordinate_transformation_mode but tf_half_pixel_for_nn (tf_crop_and_resize with sizes only); antialias (linear, cubic), axes, keep_aspect_ratio_policy (18+); opset 10 as Upsample; linear and cubic on float only"},
		"Selu":                  {min: 1, max: MaxOpset, fn: importSelu, floatOnly: true},
		"Shape":                 {min: 1, max: MaxOpset, fn: importShape, notes: "folded; start/end (15+); with a symbolic batch tracked symbolically"},
		"Sigmoid":               uf(func() ir.Op { return &ir.Sigmoid{} }),
		"Slice":                 {min: 1, max: MaxOpset, fn: importSlice, notes: "attributes before opset 10, constant inputs (with steps) from 10"},
		"Softmax":               {min: 1, max: MaxOpset, fn: importSoftmax(false), floatOnly: true, notes: "before opset 13: coerced to 2-D at axis (default 1); from 13: one axis (default -1)"},
		"Softplus":              uf(func() ir.Op { return &ir.Softplus{} }),
		"Split":                 {min: 1, max: MaxOpset, fn: importSplit, notes: "one Slice per output; split attribute, constant input (13+) or num_outputs (18+)"},
		"Sqrt":                  uf(func() ir.Op { return &ir.Sqrt{} }),
		"Squeeze":               {min: 1, max: MaxOpset, fn: importSqueeze, notes: "axes attribute before opset 13, constant input from 13"},
		"Sub":                   bin(func() ir.Op { return &ir.Sub{} }),
		"Sum":                   vari(func() ir.Op { return &ir.Sum{} }),
		"Tanh":                  uf(func() ir.Op { return &ir.Tanh{} }),
		"Tile":                  {min: 6, max: MaxOpset, fn: importTile, notes: "constant repeats; lowered to Concat"},
		"Transpose":             {min: 1, max: MaxOpset, fn: importTranspose},
		"Unsqueeze":             {min: 1, max: MaxOpset, fn: importUnsqueeze, notes: "axes attribute before opset 13, constant input from 13"},
		"Upsample":              {min: 7, max: 9, fn: importUpsample, notes: "scales attribute (7) or constant input (9); asymmetric coordinates; nearest (floor, scales >= 1) or linear (float only)"},
		"Where":                 {min: 9, max: MaxOpset, fn: importWhere},
	}
}

// SupportedOp describes one supported ONNX operator.
type SupportedOp struct {
	OpType             string
	MinOpset, MaxOpset int64
	// FloatOnly is set for ops the IR defines on floating point only.
	FloatOnly bool
	Notes     string
}

// SupportedOps lists the supported ai.onnx operators, sorted by name.
func SupportedOps() []SupportedOp {
	ops := make([]SupportedOp, 0, len(registry))
	for name, e := range registry {
		ops = append(ops, SupportedOp{OpType: name, MinOpset: e.min, MaxOpset: e.max, FloatOnly: e.floatOnly, Notes: e.notes})
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].OpType < ops[j].OpType })
	return ops
}

// arity checks the number of inputs and that the first required ones are
// present.
func arity(in []*ir.Value, required, most int) error {
	if len(in) < required || len(in) > most {
		if required == most {
			return fmt.Errorf("needs %d inputs, has %d", required, len(in))
		}
		return fmt.Errorf("needs %d to %d inputs, has %d", required, most, len(in))
	}
	for i := 0; i < required; i++ {
		if in[i] == nil {
			return fmt.Errorf("input %d is required but omitted", i)
		}
	}
	return nil
}

// opt returns input i or nil.
func opt(in []*ir.Value, i int) *ir.Value {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// inf is the bound of an unbounded Clip side.
var inf = math.Inf(1)

// toInts converts axes or sizes read from a tensor to ints, refusing
// values beyond the range any shape can have.
func toInts(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, x := range v {
		if x < -maxDim || x > maxDim {
			return nil, fmt.Errorf("%s %v: %d is out of range", what, v, x)
		}
		out[i] = int(x)
	}
	return out, nil
}
