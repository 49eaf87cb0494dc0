package quantize

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/frontend/nearmiss"
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// Options configure what is quantized and how.
type Options struct {
	// Activations is the type of quantized activations: Uint8 (the
	// default) or Int8.
	Activations QType
	// PerTensor gives each weight one scale instead of one per output
	// channel.
	PerTensor bool
	// Exclude names nodes (by their ONNX name, or OpType_INDEX for an
	// unnamed node) that stay in float.
	Exclude []string
	// ReduceRange quantizes weights to [-64, 64] instead of [-127, 127]
	// (see ReducedWeightMax): exact under ONNX Runtime on x86 CPUs
	// without VNNI, at the cost of one bit of weight precision.
	ReduceRange bool
	// KeepFirstLast keeps the first and the last Conv, Gemm or MatMul of
	// the graph in float: the layers whose quantization costs the most
	// accuracy (the raw input, the logits) for the least time.
	KeepFirstLast bool
}

// Quantizable lists the op types that get quantized, as ONNX Runtime's
// QDQ format quantizes them: Q/DQ pairs on their inputs and outputs,
// int8 weights and int32 biases, so that its graph optimizer can run
// them on integers.
var Quantizable = []string{"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool"}

// fusible are the activations that stay inside a quantized node's unit:
// the Q/DQ pair goes after them, and ONNX Runtime drops them when the
// quantized range already clamps as they do (a ReLU's range starts at 0,
// which is the zero point's bottom).
var fusible = map[string]bool{"Relu": true, "Clip": true}

// FloatNode is a node of a quantizable type that stays in float, and why.
type FloatNode struct {
	Node, OpType, Reason string
}

// unit is one quantized node and what its quantization touches.
type unit struct {
	// node is the model's node, index its position in the graph.
	node  *pb.NodeProto
	index int
	label string
	// acts are the input positions quantized as activations (calibrated,
	// a Q/DQ pair each); consts the constant float inputs of Add, Mul
	// and Concat, quantized with the activation type from their values.
	acts, consts []int
	// weight and bias are input positions, -1 for none. chAxis is the
	// weight's output-channel axis (-1: none, a MatMul weight that is not
	// 2-D), axis the one its scales run along (-1: one scale for the
	// tensor, with PerTensor).
	weight, bias, chAxis, axis int
	// out is the unit's output: the node's, or that of the activation
	// fused after it (act).
	out string
	act *pb.NodeProto
	// quantizeOut: out gets a Q/DQ pair. sharesInput: with the
	// parameters of input 0 (MaxPool, which only selects values).
	quantizeOut, sharesInput bool
}

// Plan is what Quantize will do to a model: which nodes are quantized,
// which activation tensors get Q/DQ pairs and so need calibrating.
type Plan struct {
	m     *Model
	opts  Options
	units []*unit
	// Float lists the nodes of quantizable types that stay in float, in
	// graph order, with the reason.
	Float []FloatNode
	// tensors are the activation tensors that get a Q/DQ pair, in graph
	// order; share maps a tensor to the one whose parameters it takes.
	tensors []string
	share   map[string]string
	// opset is the ai.onnx opset the output declares; bumped when the
	// model's was below 13 (per-axis DequantizeLinear).
	opset, oldOpset int64
}

// graphIndex is the structure of an ONNX graph the planner asks about.
type graphIndex struct {
	consumers map[string][]*pb.NodeProto // distinct nodes reading a tensor, in order
	outputs   map[string]bool            // graph outputs
	labels    map[*pb.NodeProto]string
}

func indexGraph(g *pb.GraphProto) *graphIndex {
	x := &graphIndex{consumers: map[string][]*pb.NodeProto{}, outputs: map[string]bool{}, labels: map[*pb.NodeProto]string{}}
	for _, o := range g.Output {
		if o != nil {
			x.outputs[o.Name] = true
		}
	}
	for i, n := range g.Node {
		if n == nil {
			continue
		}
		x.labels[n] = nodeLabel(n, i)
		for _, in := range n.Input {
			if in == "" {
				continue
			}
			if c := x.consumers[in]; len(c) == 0 || c[len(c)-1] != n {
				x.consumers[in] = append(c, n)
			}
		}
	}
	return x
}

// nodeLabel is the name a node is known by: its own, or its op type and
// index, as cnnc's importer names unnamed nodes.
func nodeLabel(n *pb.NodeProto, i int) string {
	if n.Name != "" {
		return n.Name
	}
	return n.OpType + "_" + strconv.Itoa(i)
}

// Plan decides what to quantize. It fails when nothing can be, when an
// excluded node does not exist, or when the model's opset is below 13
// and cannot be raised without changing what some op means.
func (m *Model) Plan(opts Options) (*Plan, error) {
	gp := m.Proto.Graph
	x := indexGraph(gp)
	p := &Plan{m: m, opts: opts, share: map[string]string{}}
	if err := p.checkOpset(); err != nil {
		return nil, err
	}
	excluded := map[string]bool{}
	if len(opts.Exclude) > 0 {
		var labels []string
		for _, n := range gp.Node {
			if n != nil {
				labels = append(labels, x.labels[n])
			}
		}
		for _, e := range opts.Exclude {
			if !slices.Contains(labels, e) {
				msg := fmt.Sprintf("-exclude %s: the model has no node of that name", e)
				if s := nearmiss.Closest(e, labels); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, " or ") + "?"
				}
				return nil, fmt.Errorf("%s", msg)
			}
			excluded[e] = true
		}
	}
	firstLast := map[*pb.NodeProto]string{}
	if opts.KeepFirstLast {
		var layers []*pb.NodeProto
		for _, n := range gp.Node {
			if n != nil && n.Domain == "" && (n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul") {
				layers = append(layers, n)
			}
		}
		if len(layers) > 0 {
			firstLast[layers[0]] = "first layer (-keep-first-last)"
			firstLast[layers[len(layers)-1]] = "last layer (-keep-first-last)"
			if len(layers) == 1 {
				firstLast[layers[0]] = "first and last layer (-keep-first-last)"
			}
		}
	}
	for idx, n := range gp.Node {
		if n == nil || (n.Domain != "" && n.Domain != "ai.onnx") || !slices.Contains(Quantizable, n.OpType) {
			continue
		}
		label := x.labels[n]
		reason := ""
		switch {
		case excluded[label]:
			reason = "-exclude"
		case firstLast[n] != "":
			reason = firstLast[n]
		}
		var u *unit
		if reason == "" {
			u, reason = p.classify(n, x)
		}
		if u == nil {
			p.Float = append(p.Float, FloatNode{Node: label, OpType: n.OpType, Reason: reason})
			continue
		}
		u.label, u.index = label, idx
		p.units = append(p.units, u)
	}
	if len(p.units) == 0 {
		return nil, p.nothingError()
	}
	p.chooseTensors(x)
	return p, nil
}

// nothingError explains why no node is quantized.
func (p *Plan) nothingError() error {
	if len(p.Float) == 0 {
		return fmt.Errorf("nothing to quantize: the model has no %s node", strings.Join(Quantizable, ", "))
	}
	var why []string
	for _, f := range p.Float {
		why = append(why, fmt.Sprintf("%s (%s): %s", f.Node, f.OpType, f.Reason))
	}
	return fmt.Errorf("nothing to quantize: every candidate node stays in float: %s", strings.Join(why, "; "))
}

// value is the IR value of an ONNX tensor, nil for "" or unknown names.
func (p *Plan) value(name string) *ir.Value {
	if name == "" {
		return nil
	}
	return p.m.Value(name)
}

// isActivation: a float32 tensor computed at run time.
func (p *Plan) isActivation(name string) bool {
	v := p.value(name)
	return v != nil && !v.IsConst() && v.DType == ir.Float32
}

// isConstFloat: a float32 constant (initializer, Constant, folded).
func (p *Plan) isConstFloat(name string) bool {
	v := p.value(name)
	return v != nil && v.IsConst() && v.DType == ir.Float32
}

func input(n *pb.NodeProto, i int) string {
	if i < len(n.Input) {
		return n.Input[i]
	}
	return ""
}

// classify decides whether node n can be quantized and how, or says why
// not.
func (p *Plan) classify(n *pb.NodeProto, x *graphIndex) (*unit, string) {
	if len(n.Output) == 0 || n.Output[0] == "" {
		return nil, "no output"
	}
	u := &unit{node: n, weight: -1, bias: -1, chAxis: -1, axis: -1, out: n.Output[0]}
	if v := p.value(n.Output[0]); v == nil || v.IsConst() {
		return nil, "computed from constants only (folded)"
	}
	first := input(n, 0)
	needAct := func() string {
		switch v := p.value(first); {
		case v == nil:
			return "no input"
		case v.IsConst():
			return "its first input is a constant"
		case v.DType != ir.Float32:
			return fmt.Sprintf("its input is %s, not float32", v.DType)
		}
		return ""
	}
	perChannel := func(axis int) int {
		u.chAxis = axis
		if p.opts.PerTensor {
			return -1
		}
		return axis
	}
	switch n.OpType {
	case "Conv":
		if r := needAct(); r != "" {
			return nil, r
		}
		w := input(n, 1)
		wv := p.value(w)
		if !p.isConstFloat(w) || len(wv.Shape) < 3 {
			return nil, "its weight is not a float32 constant"
		}
		u.acts, u.weight, u.axis = []int{0}, 1, perChannel(0)
		if b := input(n, 2); b != "" {
			bv := p.value(b)
			if !p.isConstFloat(b) || len(bv.Shape) != 1 || bv.Shape[0] != wv.Shape[0] {
				return nil, "its bias is not a float32 constant vector"
			}
			u.bias = 2
		}
	case "Gemm":
		if r := needAct(); r != "" {
			return nil, r
		}
		u.acts = []int{0}
		b := input(n, 1)
		switch {
		case p.isActivation(b):
			u.acts = append(u.acts, 1)
		case p.isConstFloat(b) && len(p.value(b).Shape) == 2:
			axis := 1
			if attrInt(n, "transB", 0) != 0 {
				axis = 0
			}
			u.weight, u.axis = 1, perChannel(axis)
			// An int32 bias needs Gemm to compute A*B + C exactly:
			// alpha = beta = 1 and C a vector over the outputs; any
			// other C stays float.
			if c := input(n, 2); c != "" && p.isConstFloat(c) && attrFloat(n, "alpha", 1) == 1 && attrFloat(n, "beta", 1) == 1 {
				cv := p.value(c)
				if len(cv.Shape) == 1 && cv.Shape[0] == p.value(b).Shape[axis] {
					u.bias = 2
				}
			}
		default:
			return nil, "its second input is not float32"
		}
	case "MatMul":
		if r := needAct(); r != "" {
			return nil, r
		}
		u.acts = []int{0}
		b := input(n, 1)
		switch {
		case p.isActivation(b):
			u.acts = append(u.acts, 1)
		case p.isConstFloat(b):
			u.weight = 1
			if len(p.value(b).Shape) == 2 {
				u.axis = perChannel(1)
			} else {
				u.axis = perChannel(-1)
			}
		default:
			return nil, "its second input is not float32"
		}
	case "Add", "Mul", "Concat":
		for i, in := range n.Input {
			switch {
			case p.isActivation(in):
				u.acts = append(u.acts, i)
			case p.isConstFloat(in):
				u.consts = append(u.consts, i)
			default:
				return nil, fmt.Sprintf("input %d is not float32", i)
			}
		}
		if len(u.acts) == 0 {
			return nil, "computed from constants only"
		}
	case "MaxPool":
		if r := needAct(); r != "" {
			return nil, r
		}
		if len(n.Output) > 1 && n.Output[1] != "" && (len(x.consumers[n.Output[1]]) > 0 || x.outputs[n.Output[1]]) {
			return nil, "its indices output is used"
		}
		u.acts, u.sharesInput = []int{0}, true
	case "AveragePool", "GlobalAveragePool":
		if r := needAct(); r != "" {
			return nil, r
		}
		u.acts = []int{0}
	default:
		return nil, "not quantized"
	}
	switch n.OpType {
	case "Conv", "Gemm", "MatMul", "Add", "Mul":
		u.out, u.act = p.fusedOutput(n.Output[0], x)
	}
	return u, ""
}

// fusedOutput returns the output of the quantized region that starts at
// tensor out: the output of a Relu or Clip that is out's only reader
// (with constant bounds), else out itself.
func (p *Plan) fusedOutput(out string, x *graphIndex) (string, *pb.NodeProto) {
	c := x.consumers[out]
	if len(c) != 1 || x.outputs[out] {
		return out, nil
	}
	a := c[0]
	if !fusible[a.OpType] || a.Domain != "" || input(a, 0) != out || len(a.Output) == 0 || !p.isActivation(a.Output[0]) {
		return out, nil
	}
	for _, in := range a.Input[1:] {
		if in == out || (in != "" && !p.isConstFloat(in)) {
			return out, nil
		}
	}
	return a.Output[0], a
}

// chooseTensors collects the activation tensors that get Q/DQ pairs: the
// activation inputs of quantized nodes, and their outputs that some node
// reads. Conv, Add, Mul, Concat and the pools need a quantized output for
// ONNX Runtime to run them on integers; Gemm and MatMul do not (it has
// float-output kernels for them), so theirs are quantized only when a
// quantized node reads them, which keeps a float consumer's input, such
// as the logits a Softmax reads, exact, or when an activation follows:
// ONNX Runtime then fuses the Gemm with the activation in float instead,
// unless a Q after the activation lets it drop the activation.
func (p *Plan) chooseTensors(x *graphIndex) {
	set := map[string]bool{}
	for _, u := range p.units {
		for _, i := range u.acts {
			set[u.node.Input[i]] = true
		}
	}
	for _, u := range p.units {
		if len(x.consumers[u.out]) == 0 {
			continue
		}
		switch u.node.OpType {
		case "Gemm", "MatMul":
			u.quantizeOut = set[u.out] || u.act != nil
		default:
			u.quantizeOut = true
		}
		if u.quantizeOut {
			set[u.out] = true
			if u.sharesInput {
				p.share[u.out] = u.node.Input[0]
			}
		}
	}
	// Graph order: inputs first, then node outputs.
	for _, in := range p.m.Proto.Graph.Input {
		if in != nil && set[in.Name] {
			p.tensors = append(p.tensors, in.Name)
			delete(set, in.Name)
		}
	}
	for _, n := range p.m.Proto.Graph.Node {
		if n == nil {
			continue
		}
		for _, o := range n.Output {
			if set[o] {
				p.tensors = append(p.tensors, o)
				delete(set, o)
			}
		}
	}
	// Anything left is a tensor no node writes and no input declares,
	// which the importer would have refused; keep the order stable.
	rest := make([]string, 0, len(set))
	for t := range set {
		rest = append(rest, t)
	}
	sort.Strings(rest)
	p.tensors = append(p.tensors, rest...)
}

// source is the tensor whose calibrated range gives t its parameters.
func (p *Plan) source(t string) string {
	for i := 0; i < len(p.tensors); i++ { // bounded: share has no cycles in a DAG
		s, ok := p.share[t]
		if !ok {
			return t
		}
		t = s
	}
	return t
}

// Observe lists the tensors calibration must observe, in graph order.
func (p *Plan) Observe() []string {
	var out []string
	for _, t := range p.tensors {
		if p.source(t) == t {
			out = append(out, t)
		}
	}
	return out
}

// weightMax is the weights' largest quantized magnitude.
func (p *Plan) weightMax() int64 {
	if p.opts.ReduceRange {
		return ReducedWeightMax
	}
	return WeightMax
}

// Tensors lists the activation tensors that get Q/DQ pairs.
func (p *Plan) Tensors() []string { return slices.Clone(p.tensors) }

// Nodes lists the quantized nodes, in graph order.
func (p *Plan) Nodes() []string {
	out := make([]string, len(p.units))
	for i, u := range p.units {
		out[i] = u.label
	}
	return out
}

// attrInt reads an int attribute, def when absent.
func attrInt(n *pb.NodeProto, name string, def int64) int64 {
	for _, a := range n.Attribute {
		if a != nil && a.Name == name {
			return a.I
		}
	}
	return def
}

// attrFloat reads a float attribute, def when absent.
func attrFloat(n *pb.NodeProto, name string, def float32) float32 {
	for _, a := range n.Attribute {
		if a != nil && a.Name == name {
			return a.F
		}
	}
	return def
}
