package quantize

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cnnc/cnnc/frontend/onnx"
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// Model is an ONNX model loaded for quantization: the ModelProto, which
// the QDQ writer edits, and cnnc's typed import of it, which gives every
// tensor's type and the values of constants, and which calibration runs.
type Model struct {
	// Proto is the decoded file. Quantize works on a copy.
	Proto *pb.ModelProto
	// Graph is cnnc's import of the model with every named tensor of the
	// ONNX graph made a graph output (after the model's own outputs), so
	// that a tensor's IR value is found by its ONNX name whatever the
	// importer folded or aliased.
	Graph *ir.Graph
	// index maps ONNX tensor names to their positions in Graph.Outputs
	// (and in batched's).
	index map[string]int
	// batched is the same import with the fixed batch dimension of the
	// inputs made symbolic, when that computes every tensor item by item
	// (see batchable); nil when the model already has a symbolic batch
	// or it does not.
	batched *ir.Graph
	// batchNote says why the calibration runs one fixed batch at a time,
	// for the log; empty otherwise.
	batchNote string
	// fixedBatch is the batch dimension of a fixed-batch model's inputs
	// (0 for a model with a symbolic batch).
	fixedBatch int
}

// LoadOptions configure Load.
type LoadOptions struct {
	// Dims fixes symbolic dimensions other than the batch, as cnnc's
	// -dim NAME=VALUE.
	Dims map[string]int
}

// quantizedOps are the ops of a model quantized already.
var quantizedOps = map[string]bool{
	"QuantizeLinear": true, "DequantizeLinear": true, "DynamicQuantizeLinear": true,
	"QLinearConv": true, "QLinearMatMul": true, "ConvInteger": true, "MatMulInteger": true,
}

// calibrationBatch names the symbolic batch given to a fixed-batch model
// for calibration.
const calibrationBatch = "cnnc_calibration_batch"

// Load decodes an ONNX model and imports it.
func Load(data []byte, opts LoadOptions) (*Model, error) {
	var mp pb.ModelProto
	if err := mp.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("decoding the ONNX model: %w", err)
	}
	if mp.Graph == nil {
		return nil, errors.New("the file holds no ONNX graph (not a model?)")
	}
	for i, n := range mp.Graph.Node {
		if n != nil && quantizedOps[n.OpType] {
			return nil, fmt.Errorf("the model is quantized already: node %s is a %s", nodeLabel(n, i), n.OpType)
		}
	}
	m := &Model{Proto: &mp}
	names := tensorNames(mp.Graph)
	g, err := typedImport(&mp, names, opts, false)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	m.index = make(map[string]int, len(g.Outputs))
	base := len(g.Outputs) - len(names)
	k := 0 // the importer skips empty output entries
	for _, o := range mp.Graph.Output {
		if o != nil && k < base {
			m.index[o.Name] = k
			k++
		}
	}
	for i, n := range names {
		m.index[n] = base + i
	}
	m.fixedBatch = fixedBatch(g)
	if m.fixedBatch > 0 {
		m.batched, m.batchNote = m.tryBatched(names, opts)
	}
	return m, nil
}

// typedImport imports mp with the given tensors appended to its graph
// outputs; with batch, the inputs' first dimension is made symbolic.
func typedImport(mp *pb.ModelProto, names []string, opts LoadOptions, batch bool) (*ir.Graph, error) {
	c, err := cloneModel(mp)
	if err != nil {
		return nil, err
	}
	gp := c.Graph
	if batch {
		inits := initializerSet(gp)
		for _, vi := range gp.Input {
			if vi == nil || inits[vi.Name] {
				continue
			}
			tt := vi.GetType().GetTensorType()
			if tt == nil || tt.Shape == nil || len(tt.Shape.Dim) == 0 {
				return nil, errors.New("an input has no batch dimension")
			}
			tt.Shape.Dim[0] = &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: calibrationBatch}}
		}
		gp.ValueInfo = nil
	}
	for _, n := range names {
		gp.Output = append(gp.Output, &pb.ValueInfoProto{Name: n})
	}
	data, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	return onnx.Import(data, onnx.Options{Dims: opts.Dims})
}

// tensorNames lists every tensor the nodes of g read or write, in order
// of first appearance, leaving out the graph's own outputs (imported as
// outputs already) and node outputs nothing reads, which cnnc may not
// compute (MaxPool's indices).
func tensorNames(g *pb.GraphProto) []string {
	outputs := make(map[string]bool)
	for _, o := range g.Output {
		if o != nil {
			outputs[o.Name] = true
		}
	}
	read := make(map[string]bool)
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, in := range n.Input {
			read[in] = true
		}
	}
	seen := make(map[string]bool)
	var names []string
	add := func(s string) {
		if s != "" && !seen[s] && !outputs[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, in := range n.Input {
			add(in)
		}
		for i, o := range n.Output {
			if i == 0 || read[o] {
				add(o)
			}
		}
	}
	return names
}

// Value returns the IR value of an ONNX tensor: a graph input, a
// constant (an initializer, a Constant node, a folded subgraph) or a
// node's output; nil if the model has no tensor of that name.
func (m *Model) Value(name string) *ir.Value {
	if i, ok := m.index[name]; ok {
		return m.Graph.Outputs[i]
	}
	return nil
}

// fixedBatch is the first dimension shared by every input of a model
// whose inputs all have a static one (0 otherwise, or for a model without
// inputs).
func fixedBatch(g *ir.Graph) int {
	b := 0
	for _, v := range g.Inputs {
		if len(v.Shape) == 0 || v.Shape[0] == ir.Batch || (b != 0 && v.Shape[0] != b) {
			return 0
		}
		b = v.Shape[0]
	}
	return b
}

// tryBatched imports a fixed-batch model with a symbolic batch, so that
// calibration runs many items per call, and checks that this computes
// the same thing item by item: every floating-point tensor must have the
// fixed model's shape with the batch dimension in its place, and every
// constant must stay a constant. A model whose shape computations bake
// the batch of 1 in (a Reshape to [1, -1] that would merge the items)
// fails the check or the import, and is calibrated one batch at a time.
func (m *Model) tryBatched(names []string, opts LoadOptions) (*ir.Graph, string) {
	g, err := typedImport(m.Proto, names, opts, true)
	if err != nil {
		return nil, fmt.Sprintf("the model does not import with a symbolic batch (%v)", err)
	}
	if len(g.Outputs) != len(m.Graph.Outputs) || len(g.Inputs) != len(m.Graph.Inputs) {
		return nil, "the model imports differently with a symbolic batch"
	}
	for i, f := range m.Graph.Outputs {
		b := g.Outputs[i]
		if f.IsConst() {
			if !b.IsConst() && f.DType.IsFloat() {
				return nil, fmt.Sprintf("tensor %q is a constant only with the fixed batch", f.Name)
			}
			continue
		}
		if !f.DType.IsFloat() {
			continue // shape arithmetic: symbolic with a symbolic batch
		}
		want := f.Shape.Clone()
		if len(want) > 0 && want[0] == m.fixedBatch {
			want[0] = ir.Batch
		}
		if b.IsConst() || b.DType != f.DType || !slices.Equal(b.Shape, want) {
			return nil, fmt.Sprintf("tensor %q is %v with the fixed batch and %v with a symbolic one", f.Name, f.Type, b.Type)
		}
	}
	return g, ""
}

// cloneModel deep-copies a ModelProto by a round trip through its
// encoding: simple, and the copy shares nothing.
func cloneModel(mp *pb.ModelProto) (*pb.ModelProto, error) {
	data, err := mp.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding the model: %w", err)
	}
	var c pb.ModelProto
	if err := c.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("decoding the model: %w", err)
	}
	return &c, nil
}

func initializerSet(g *pb.GraphProto) map[string]bool {
	s := make(map[string]bool, len(g.Initializer))
	for _, t := range g.Initializer {
		if t != nil {
			s[t.Name] = true
		}
	}
	return s
}
