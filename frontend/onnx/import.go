package onnx

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// Options adjusts an import.
type Options struct {
	// Dims fixes unknown dimensions by dim_param name ("batch_size": 1); a
	// name applies everywhere it appears. Fixing the batch's name makes the
	// batch static.
	Dims map[string]int
	// Constants binds graph inputs, by name, to fixed values, as if they
	// were initializers. The ONNX node tests feed shapes, axes and pads as
	// inputs; cnnc needs those at compile time (see RunTimeInputError).
	Constants map[string]*ir.Tensor
}

// ImportFile reads and imports an ONNX model file.
func ImportFile(path string, opts Options) (*ir.Graph, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := Import(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Import decodes a serialized ONNX ModelProto and builds a fully typed IR
// graph from it. Initializers and Constant nodes become IR constants,
// nodes whose inputs are all constant are folded away, and graph inputs
// exclude initializers. Every node keeps its ONNX name as Layer (a unique
// one such as "Conv_3" is made up when the model gives none) and its op
// type as LayerType; value names are kept. Graph inputs that feed image
// ops (Conv, the pools, ...) are declared NCHW, the layout ONNX defines
// those ops on; other inputs carry no layout.
//
// A model using operators cnnc does not support fails with one
// *UnsupportedOpsError naming all of them; other failures at a node are
// *NodeError values naming the node, op type and opset. Data that is not
// an ONNX model at all (empty, not a ModelProto, no graph) gives an error
// matching ErrNotModel that guesses what the data is.
func Import(data []byte, opts Options) (*ir.Graph, error) {
	m, err := decodeModel(data)
	if err != nil {
		return nil, err
	}
	return importModel(m, opts)
}

// InputNames decodes a model and returns the names of its run-time
// inputs (graph inputs that are not initializers) in order: the inputs an
// ONNX test data set provides as input_0.pb, input_1.pb, ... . A caller
// that binds some of them with Options.Constants (see RunTimeInputError)
// uses it to match the remaining ones to the imported graph's inputs.
func InputNames(data []byte) ([]string, error) {
	m, err := decodeModel(data)
	if err != nil {
		return nil, err
	}
	inits := make(map[string]bool)
	for _, t := range m.Graph.Initializer {
		inits[t.Name] = true
	}
	var names []string
	for _, vi := range m.Graph.Input {
		if !inits[vi.Name] {
			names = append(names, vi.Name)
		}
	}
	return names, nil
}

// builder holds the state of one import. The importers of the ops receive
// it and add IR nodes through it.
type builder struct {
	opts   Options
	g      *ir.Graph
	opsets map[string]int64 // by normalized domain ("" for ai.onnx)
	values map[string]*ir.Value
	// sym holds the symbolic value of shape computations that depend on
	// the batch size (see fold.go).
	sym map[*ir.Value]*symTensor
	// consumed holds the ONNX value names some node or graph output reads.
	consumed map[string]bool
	// nodeNames holds the IR node names in use.
	nodeNames map[string]bool

	// The node being imported.
	cur      *pb.NodeProto
	curName  string
	curOpset int64
	curAttrs *attrs
	subNames map[string]bool // IR node names used for it
	fresh    map[*ir.Value]bool
}

func importModel(m *pb.ModelProto, opts Options) (*ir.Graph, error) {
	gp := m.Graph
	if gp == nil {
		return nil, errors.New("model has no graph")
	}
	name := gp.Name
	if name == "" {
		name = "model"
	}
	b := &builder{
		opts:      opts,
		g:         ir.NewGraph(name),
		opsets:    make(map[string]int64),
		values:    make(map[string]*ir.Value),
		sym:       make(map[*ir.Value]*symTensor),
		consumed:  make(map[string]bool),
		nodeNames: make(map[string]bool),
	}
	for _, o := range m.OpsetImport {
		if o == nil {
			continue
		}
		d := normDomain(o.Domain)
		if _, dup := b.opsets[d]; dup {
			return nil, fmt.Errorf("opset_import lists domain %s twice", domainName(d))
		}
		b.opsets[d] = o.Version
	}
	if len(m.OpsetImport) == 0 && m.IrVersion < 3 {
		// IR versions 1 and 2 predate opset_import; they mean ai.onnx
		// opset 1.
		b.opsets[""] = 1
	}
	for _, n := range gp.Node {
		if n == nil {
			return nil, errors.New("graph has an empty node entry")
		}
		for _, in := range n.Input {
			b.consumed[in] = true
		}
	}
	for _, o := range gp.Output {
		if o != nil {
			b.consumed[o.Name] = true
		}
	}
	if err := b.checkOps(gp); err != nil {
		return nil, err
	}
	if len(gp.SparseInitializer) > 0 {
		return nil, unsupportedf("sparse initializers are not supported")
	}
	if err := b.addInitializers(gp); err != nil {
		return nil, err
	}
	if err := b.addInputs(gp); err != nil {
		return nil, err
	}
	for i, n := range gp.Node {
		if err := b.importNode(n, i); err != nil {
			return nil, err
		}
	}
	if err := b.addOutputs(gp); err != nil {
		return nil, err
	}
	b.g.RemoveDead()
	if err := markImageInputs(b.g); err != nil {
		return nil, fmt.Errorf("internal error: typing the graph with its image inputs' layout: %w", err)
	}
	// Every node was inferred as it was added, so this only catches bugs
	// of the importer itself; it is cheap next to decoding.
	if err := b.g.Verify(); err != nil {
		return nil, fmt.Errorf("internal error: imported graph is invalid: %w", err)
	}
	return b.g, nil
}

// normDomain maps both spellings of the default domain to "".
func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// domainName spells a normalized domain for messages.
func domainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

// checkOps lists every node whose (domain, op type, opset) has no importer,
// before anything is imported, so that one error names them all.
func (b *builder) checkOps(gp *pb.GraphProto) error {
	type key struct {
		op, domain string
		opset      int64
	}
	var ops []UnsupportedOp
	index := make(map[key]int)
	for i, n := range gp.Node {
		d := normDomain(n.Domain)
		opset, imported := b.opsets[d]
		reason := ""
		var suggested []string
		switch e, known := lookupOp(d, n.OpType); {
		case !known:
			// An op type no importer knows: a misspelling (Sigmoidd), a
			// name from another framework (Relu6, Dense), a real ONNX
			// operator cnnc lacks, or one of another domain.
			suggested, reason = unknownOpReason(d, n.OpType)
		case !imported:
			reason = "the model imports no " + domainName(d) + " opset"
		case opset < e.min || opset > e.max:
			reason = fmt.Sprintf("supported at opsets %d to %d", e.min, e.max)
		default:
			continue
		}
		k := key{n.OpType, domainName(d), opset}
		j, ok := index[k]
		if !ok {
			j = len(ops)
			index[k] = j
			ops = append(ops, UnsupportedOp{OpType: n.OpType, Domain: k.domain, Opset: opset, Reason: reason, DidYouMean: suggested})
		}
		ops[j].Nodes = append(ops[j].Nodes, nodeLabel(n, i))
	}
	if len(ops) == 0 {
		return nil
	}
	sortOps(ops)
	return &UnsupportedOpsError{Ops: ops}
}

// nodeLabel is the name a node is known by: its own, or op type and index.
func nodeLabel(n *pb.NodeProto, i int) string {
	if n.Name != "" {
		return n.Name
	}
	return n.OpType + "_" + strconv.Itoa(i)
}

// define records an ONNX value name, refusing duplicates.
func (b *builder) define(name string, v *ir.Value) error {
	if name == "" {
		return errors.New("a value has an empty name")
	}
	if _, dup := b.values[name]; dup {
		return fmt.Errorf("value %q is defined more than once", name)
	}
	b.values[name] = v
	return nil
}

func (b *builder) addInitializers(gp *pb.GraphProto) error {
	for _, t := range gp.Initializer {
		if t == nil {
			continue
		}
		c, err := decodeTensor(t)
		if err != nil {
			return fmt.Errorf("initializer: %w", err)
		}
		if err := b.define(t.Name, ir.NewConst(t.Name, c)); err != nil {
			return fmt.Errorf("initializer: %w", err)
		}
	}
	return nil
}

func (b *builder) addInputs(gp *pb.GraphProto) error {
	if err := b.checkDims(gp); err != nil {
		return err
	}
	seen := make(map[string]bool)
	batchFrom := ""
	var unknown []*unknownDimError
	for _, vi := range gp.Input {
		if vi == nil {
			continue
		}
		if seen[vi.Name] {
			return fmt.Errorf("graph input %q is listed twice", vi.Name)
		}
		seen[vi.Name] = true
		if _, isInit := b.values[vi.Name]; isInit && vi.Name != "" {
			// Before IR version 4 initializers were also listed as inputs
			// (with the initializer as a default); cnnc treats them as
			// constants.
			continue
		}
		t, batchName, err := b.inputType(vi)
		var ue unknownDimsError
		if errors.As(err, &ue) {
			unknown = append(unknown, ue...)
			continue
		}
		if err != nil {
			return err
		}
		if c, ok := b.opts.Constants[vi.Name]; ok {
			if err := checkBinding(vi.Name, t, c); err != nil {
				return err
			}
			if err := b.define(vi.Name, ir.NewConst(vi.Name, c)); err != nil {
				return err
			}
			continue
		}
		if len(t.Shape) > 0 && t.Shape[0] == ir.Batch {
			if b.g.BatchName != "" && batchName != "" && batchName != b.g.BatchName {
				return fmt.Errorf("inputs %q and %q have different symbolic batch dimensions %q and %q; fix one with --dim %s=VALUE",
					batchFrom, vi.Name, b.g.BatchName, batchName, batchName)
			}
			if b.g.BatchName == "" && batchName != "" {
				b.g.BatchName = batchName
				batchFrom = vi.Name
			}
		}
		v := b.g.AddInput(vi.Name, t)
		if err := b.define(vi.Name, v); err != nil {
			return err
		}
	}
	if len(unknown) > 0 {
		return unknownDims(unknown)
	}
	for name := range b.opts.Constants {
		if !seen[name] {
			return fmt.Errorf("cannot bind %q to a constant: the model has no graph input of that name", name)
		}
	}
	return nil
}

// unknownDimError is a symbolic input dimension other than the batch that
// no -dim binds.
type unknownDimError struct {
	input string
	axis  int
	param string
}

// unknownDimsError lists the unbound dimensions of one input.
type unknownDimsError []*unknownDimError

func (e unknownDimsError) Error() string { return unknownDims(e).Error() }

// unknownDims names every unbound dimension at once, with the flags that
// bind them.
func unknownDims(all []*unknownDimError) error {
	var where, flags []string
	seen := map[string]bool{}
	for _, e := range all {
		where = append(where, fmt.Sprintf("%q dimension %d (%q)", e.input, e.axis, e.param))
		if !seen[e.param] {
			seen[e.param] = true
			flags = append(flags, "-dim "+e.param+"=VALUE")
		}
	}
	return &DimsError{Params: slices.Sorted(maps.Keys(seen)), msg: fmt.Sprintf("symbolic dimensions are unknown: %s; cnnc needs static shapes except the batch dimension: bind them with %s (cnnc check and cnnc run bind them from their inputs)",
		strings.Join(where, ", "), strings.Join(flags, " "))}
}

// DimsError reports symbolic input dimensions that must be bound (with
// Options.Dims) before the model can be imported.
type DimsError struct {
	// Params are the unbound dimension names, sorted.
	Params []string
	msg    string
}

// Error says which dimensions to bind and how (-dim NAME=VALUE).
func (e *DimsError) Error() string { return e.msg }

// checkDims rejects a binding in Options.Dims for a dimension the model's
// inputs do not declare, naming the ones it does: a misspelled -dim must
// not be ignored.
func (b *builder) checkDims(gp *pb.GraphProto) error {
	if len(b.opts.Dims) == 0 {
		return nil
	}
	declared := map[string]bool{}
	for _, vi := range gp.Input {
		if vi == nil || vi.Type == nil || vi.Type.GetTensorType() == nil || vi.Type.GetTensorType().Shape == nil {
			continue
		}
		for _, d := range vi.Type.GetTensorType().Shape.Dim {
			if p := d.GetDimParam(); p != "" {
				declared[p] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b.opts.Dims)) {
		if declared[name] {
			continue
		}
		if len(declared) == 0 {
			return fmt.Errorf("-dim %s: the model's inputs have no symbolic dimensions", name)
		}
		return fmt.Errorf("-dim %s: the model's inputs have no dimension of that name; they declare %s", name, strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
	}
	return nil
}

// checkBinding checks a value bound with Options.Constants against the
// input's declared type.
func checkBinding(name string, t ir.Type, c *ir.Tensor) error {
	if c == nil {
		return fmt.Errorf("graph input %q is bound to a nil tensor", name)
	}
	if err := c.Check(); err != nil {
		return fmt.Errorf("graph input %q: bound value: %w", name, err)
	}
	ok := c.DType == t.DType && len(c.Shape) == len(t.Shape)
	for i := 0; ok && i < len(c.Shape); i++ {
		ok = t.Shape[i] == ir.Batch || t.Shape[i] == c.Shape[i]
	}
	if !ok {
		return fmt.Errorf("graph input %q is declared %v but bound to a value of type %v", name, t, c.Type())
	}
	return nil
}

// inputType converts a graph input's declared type. A symbolic or unknown
// dimension 0 becomes the batch; any other unknown dimension must be fixed
// through Options.Dims.
func (b *builder) inputType(vi *pb.ValueInfoProto) (ir.Type, string, error) {
	if vi.Name == "" {
		return ir.Type{}, "", errors.New("a graph input has no name")
	}
	var tt *pb.TypeProto_Tensor
	if vi.Type != nil {
		tt = vi.Type.GetTensorType()
	}
	if tt == nil {
		return ir.Type{}, "", unsupportedf("graph input %q is not a tensor (%s); only tensor inputs are supported", vi.Name, typeKind(vi.Type))
	}
	dt, err := dtypeOf(tt.ElemType)
	if err != nil {
		return ir.Type{}, "", fmt.Errorf("graph input %q: %w", vi.Name, err)
	}
	if tt.Shape == nil {
		return ir.Type{}, "", fmt.Errorf("graph input %q has no shape; cnnc needs its rank and every dimension except the batch", vi.Name)
	}
	shape := make(ir.Shape, len(tt.Shape.Dim))
	batchName := ""
	n := 1
	var unknown unknownDimsError
	for i, d := range tt.Shape.Dim {
		if d == nil {
			d = &pb.TensorShapeProto_Dimension{}
		}
		param := d.GetDimParam()
		value, hasValue := int64(0), false
		if dv, ok := d.Value.(*pb.TensorShapeProto_Dimension_DimValue); ok {
			value, hasValue = dv.DimValue, true
		}
		if fixed, ok := b.opts.Dims[param]; ok && param != "" {
			value, hasValue = int64(fixed), true
			if fixed < 0 || fixed > maxDim {
				return ir.Type{}, "", fmt.Errorf("--dim %s=%d is out of range", param, fixed)
			}
		} else if i == 0 && (!hasValue || value == -1) {
			// dim_value 0 is a real, empty dimension (the ONNX node tests
			// use it), so only a missing size or the common -1 means "any".
			shape[0] = ir.Batch
			batchName = param
			continue
		}
		switch {
		case !hasValue && param != "":
			unknown = append(unknown, &unknownDimError{input: vi.Name, axis: i, param: param})
			continue
		case !hasValue || value == -1:
			return ir.Type{}, "", fmt.Errorf("graph input %q: dimension %d is unknown and unnamed; cnnc needs static shapes except the batch dimension (name the dimension in the model to fix it with --dim NAME=VALUE)",
				vi.Name, i)
		case value < 0 || value > maxDim:
			return ir.Type{}, "", fmt.Errorf("graph input %q: dimension %d is %d, out of range", vi.Name, i, value)
		}
		shape[i] = int(value)
		if value != 0 && n > maxDim/int(value) {
			return ir.Type{}, "", fmt.Errorf("graph input %q: shape %v has more than 2^31 elements", vi.Name, shape)
		}
		n *= int(value)
	}
	if len(unknown) > 0 {
		return ir.Type{}, "", unknown
	}
	return ir.Type{DType: dt, Shape: shape}, batchName, nil
}

// typeKind names the kind of a TypeProto for messages.
func typeKind(t *pb.TypeProto) string {
	if t == nil {
		return "no type"
	}
	switch t.Value.(type) {
	case *pb.TypeProto_TensorType:
		return "tensor"
	case *pb.TypeProto_SequenceType:
		return "sequence"
	case *pb.TypeProto_MapType:
		return "map"
	case *pb.TypeProto_OptionalType:
		return "optional"
	case *pb.TypeProto_SparseTensorType:
		return "sparse tensor"
	}
	return "no type"
}

func (b *builder) importNode(n *pb.NodeProto, index int) error {
	e, _ := lookupOp(normDomain(n.Domain), n.OpType) // checkOps has made sure it exists
	opset := b.opsets[normDomain(n.Domain)]
	name := nodeLabel(n, index)
	for k := 2; b.nodeNames[name]; k++ {
		name = nodeLabel(n, index) + "_" + strconv.Itoa(k)
	}
	b.nodeNames[name] = true
	b.cur, b.curName, b.curOpset = n, name, opset
	b.subNames = make(map[string]bool)
	b.fresh = make(map[*ir.Value]bool)
	wrap := func(err error) error {
		return &NodeError{Node: name, OpType: n.OpType, Opset: opset, Err: err}
	}
	a, err := newAttrs(n)
	if err != nil {
		return wrap(err)
	}
	b.curAttrs = a
	if opset < 7 {
		// A memory-reuse hint of the first opsets, with no meaning for
		// the result.
		a.ignore("consumed_inputs")
	}
	in := make([]*ir.Value, len(n.Input))
	for i, s := range n.Input {
		if s == "" {
			continue // an omitted optional input
		}
		v, ok := b.values[s]
		if !ok {
			return wrap(fmt.Errorf("input %d %q is not a graph input, an initializer or an output of an earlier node", i, s))
		}
		in[i] = v
	}
	if e.floatOnly && len(in) > 0 && in[0] != nil && !in[0].DType.IsFloat() {
		return wrap(unsupportedf("%s tensors are not supported: cnnc defines %s on floating point only", in[0].DType, n.OpType))
	}
	outs, err := e.fn(b, n, opset, in)
	if err == nil {
		err = a.err
	}
	if err == nil {
		err = a.unused()
	}
	if err != nil {
		return wrap(err)
	}
	for i, s := range n.Output {
		if s == "" {
			continue
		}
		var v *ir.Value
		if i < len(outs) {
			v = outs[i]
		}
		if v == nil {
			if b.consumed[s] {
				return wrap(unsupportedf("output %d %q is used, but cnnc does not compute it", i, s))
			}
			continue
		}
		if b.fresh[v] {
			v.Name = s
			delete(b.fresh, v) // a value returned twice keeps its first name
		}
		if err := b.define(s, v); err != nil {
			return wrap(err)
		}
	}
	return nil
}

// attrs returns the attributes of the node being imported.
func (b *builder) attrs() *attrs { return b.curAttrs }

// add appends the node that computes the ONNX node's result: op applied
// to inputs, named after the ONNX node. It runs the op's shape rule and
// folds the node if its inputs are constants, returning the output values
// (constants when folded).
func (b *builder) add(op ir.Op, nOut int, inputs ...*ir.Value) ([]*ir.Value, error) {
	return b.addNamed(b.curName, op, nOut, inputs)
}

// aux is add for a helper node that prepares an input of the main one (a
// legacy broadcast's Unsqueeze, say); it is named "node/OpType".
func (b *builder) aux(op ir.Op, inputs ...*ir.Value) (*ir.Value, error) {
	outs, err := b.addNamed(b.curName+"/"+op.OpType(), op, 1, inputs)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

func (b *builder) addNamed(name string, op ir.Op, nOut int, inputs []*ir.Value) ([]*ir.Value, error) {
	if err := b.curAttrs.err; err != nil {
		// Report a bad attribute rather than what it leads to.
		return nil, err
	}
	for base, k := name, 2; b.subNames[name]; k++ {
		name = base + "_" + strconv.Itoa(k)
	}
	b.subNames[name] = true
	n := &ir.Node{Name: name, Op: op, Inputs: inputs, Layer: b.curName, LayerType: b.cur.OpType}
	for i := 0; i < nOut; i++ {
		vn := name
		if i > 0 {
			vn = name + ":" + strconv.Itoa(i)
		}
		n.Outputs = append(n.Outputs, &ir.Value{Name: vn, Producer: n})
	}
	if err := ir.InferNode(n); err != nil {
		// InferNode prefixes the IR node's name; the caller names the
		// ONNX node instead.
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return nil, err
	}
	outs, err := b.fold(n)
	if err != nil {
		return nil, err
	}
	if outs == nil {
		b.g.Nodes = append(b.g.Nodes, n)
		outs = n.Outputs
	}
	for _, o := range outs {
		b.fresh[o] = true
	}
	return outs, nil
}

// add1 is add for a single-output op.
func (b *builder) add1(op ir.Op, inputs ...*ir.Value) (*ir.Value, error) {
	outs, err := b.add(op, 1, inputs...)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// one wraps a single result for an importer's return.
func one(v *ir.Value, err error) ([]*ir.Value, error) {
	if err != nil {
		return nil, err
	}
	return []*ir.Value{v}, nil
}

// constant returns a new constant value produced by the current node.
func (b *builder) constant(t *ir.Tensor) *ir.Value {
	v := ir.NewConst(b.curName, t)
	b.fresh[v] = true
	return v
}

func (b *builder) addOutputs(gp *pb.GraphProto) error {
	for _, vi := range gp.Output {
		if vi == nil {
			continue
		}
		v, ok := b.values[vi.Name]
		if !ok {
			return fmt.Errorf("graph output %q is not computed by any node", vi.Name)
		}
		if err := checkDeclared(vi, v.Type); err != nil {
			return err
		}
		b.g.Outputs = append(b.g.Outputs, v)
	}
	if len(b.g.Outputs) == 0 {
		return errors.New("graph has no outputs")
	}
	return nil
}

// checkDeclared cross-checks a graph output's declared type against the
// inferred one where the declaration is static.
func checkDeclared(vi *pb.ValueInfoProto, got ir.Type) error {
	var tt *pb.TypeProto_Tensor
	if vi.Type != nil {
		tt = vi.Type.GetTensorType()
	}
	if tt == nil {
		if vi.Type != nil && vi.Type.Value != nil {
			return unsupportedf("graph output %q is not a tensor (%s)", vi.Name, typeKind(vi.Type))
		}
		return nil
	}
	if tt.ElemType != 0 {
		dt, err := dtypeOf(tt.ElemType)
		if err != nil {
			return fmt.Errorf("graph output %q: %w", vi.Name, err)
		}
		if dt != got.DType {
			return fmt.Errorf("graph output %q is declared %s but computes %v", vi.Name, dt, got)
		}
	}
	if tt.Shape == nil {
		return nil
	}
	if len(tt.Shape.Dim) != len(got.Shape) {
		return fmt.Errorf("graph output %q is declared with rank %d but computes %v", vi.Name, len(tt.Shape.Dim), got)
	}
	for i, d := range tt.Shape.Dim {
		dv, ok := d.GetValue().(*pb.TensorShapeProto_Dimension_DimValue)
		if !ok || got.Shape[i] == ir.Batch || (i == 0 && dv.DimValue <= 0) {
			continue
		}
		if dv.DimValue != int64(got.Shape[i]) {
			return fmt.Errorf("graph output %q: dimension %d is declared %d but computes %v", vi.Name, i, dv.DimValue, got)
		}
	}
	return nil
}
