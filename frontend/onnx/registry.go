package onnx

import (
	"fmt"
	"math"
	"slices"
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
	// produces lists (zero values of) the IR op types the importer makes
	// for this ONNX op; folded is set for ops computed at import, which
	// make none. The conformance test holds the importer to the list.
	produces []ir.Op
	folded   bool
}

// MaxOpset is the newest ai.onnx opset cnnc imports. Opsets 22 to 25
// mostly widened type lists, which changes nothing for the supported types.
const MaxOpset = 25

// registry maps an ai.onnx op type to its importer. Each op's file
// registers its entry from its init function (conv.go registers Conv and
// ConvTranspose), so adding an op adds a file and edits no list; the map is
// written only while the package initializes.
var registry = map[string]opEntry{}

func register(opType string, e opEntry) {
	if _, dup := registry[opType]; dup {
		panic("onnx: two importers registered for " + opType) // a programming error, found by any test
	}
	registry[opType] = e
}

// unaryEntry registers an element-wise op of one input for every opset.
func unaryEntry(op func() ir.Op) opEntry {
	return opEntry{min: 1, max: MaxOpset, fn: unaryOp(op), produces: []ir.Op{op()}}
}

// floatUnaryEntry is unaryEntry for an op the IR defines on floats only.
func floatUnaryEntry(op func() ir.Op) opEntry {
	e := unaryEntry(op)
	e.floatOnly = true
	return e
}

// binaryEntry registers a broadcasting op of two inputs.
func binaryEntry(op func() ir.Op) opEntry {
	return opEntry{min: 1, max: MaxOpset, fn: binaryOp(op), notes: "numpy broadcasting; before opset 7, `broadcast`/`axis` are mapped to it",
		produces: []ir.Op{op(), &ir.Unsqueeze{}}}
}

// variadicEntry registers a broadcasting op of any number of inputs.
func variadicEntry(op func() ir.Op) opEntry {
	return opEntry{min: 1, max: MaxOpset, fn: variadicOp(op), produces: []ir.Op{op()}}
}

// SupportedOp describes one supported ONNX operator.
type SupportedOp struct {
	// Domain is "" for ai.onnx, else the operator's domain
	// ("com.microsoft").
	Domain             string
	OpType             string
	MinOpset, MaxOpset int64
	// FloatOnly is set for ops the IR defines on floating point only.
	FloatOnly bool
	Notes     string
	// Produces lists the IR op types the importer makes; Folded is set
	// when the op is computed at import and makes none.
	Produces []ir.Op
	Folded   bool
}

// SupportedOps lists the supported operators, the ai.onnx ones sorted by
// name, then those of other domains by domain and name.
func SupportedOps() []SupportedOp {
	ops := make([]SupportedOp, 0, len(registry))
	add := func(domain string, reg map[string]opEntry) {
		for name, e := range reg {
			ops = append(ops, SupportedOp{Domain: domain, OpType: name, MinOpset: e.min, MaxOpset: e.max, FloatOnly: e.floatOnly, Notes: e.notes, Produces: e.produces, Folded: e.folded})
		}
	}
	add("", registry)
	for d, reg := range domains {
		add(d, reg)
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Domain != ops[j].Domain {
			return ops[i].Domain < ops[j].Domain
		}
		return ops[i].OpType < ops[j].OpType
	})
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

// arityOmitting is arity for an operator some of whose first required
// inputs may be omitted (an empty name) all the same: the zero points
// between the scales of com.microsoft's quantized operators.
func arityOmitting(in []*ir.Value, required, most int, omittable ...int) error {
	if len(in) < required || len(in) > most {
		return arity(in, required, most)
	}
	for i := 0; i < required; i++ {
		if in[i] == nil && !slices.Contains(omittable, i) {
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
