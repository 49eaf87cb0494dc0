package quantize

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// Range is a calibrated range of an activation tensor.
type Range struct{ Lo, Hi float64 }

// Ranges reads the calibrated range of every tensor off its statistics.
func Ranges(stats map[string]*Stats, m Method, percentile float64) (map[string]Range, error) {
	out := make(map[string]Range, len(stats))
	for _, name := range sortedKeys(stats) {
		lo, hi, err := stats[name].Range(m, percentile)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		out[name] = Range{lo, hi}
	}
	return out, nil
}

// TensorParams are the parameters chosen for one activation tensor.
type TensorParams struct {
	Name   string
	Range  Range // as calibrated (before widening to include 0)
	Params Params
	// Shared names the tensor whose parameters these are (a MaxPool's
	// output takes its input's), empty otherwise.
	Shared string
}

// Report says what Quantize did.
type Report struct {
	// Nodes are the quantized nodes, in graph order; OpCounts counts them
	// by op type.
	Nodes    []string
	OpCounts map[string]int
	// Activations, Weights, Biases and Constants count the tensors
	// quantized: activations with a Q/DQ pair, weights as int8, biases
	// as int32, constant operands of Add/Mul/Concat with the activation
	// type.
	Activations, Weights, Biases, Constants int
	// Float are the quantizable nodes left in float, with the reason.
	Float []FloatNode
	// Widened lists the weights whose scale was widened so that a bias
	// fits in int32 (a channel with tiny weights and a large bias).
	Widened []string
	// Opset is the output's ai.onnx opset; OldOpset the model's.
	Opset, OldOpset int64
	// Params are the activation parameters, in graph order.
	Params []TensorParams
}

// QuantizeOptions configure the writer.
type QuantizeOptions struct {
	// Note is recorded in the model's metadata under "cnnc.quantization"
	// (how it was calibrated, say).
	Note string
}

// Quantize writes the QDQ model: a copy of the model in which every
// tensor of the plan passes through QuantizeLinear and DequantizeLinear
// with the parameters its calibrated range gives, and the weights,
// biases and constant operands of quantized nodes are stored as integers
// behind a DequantizeLinear. Names, node order, opset (unless it is
// raised to 13) and everything else of the model are kept. ranges must
// hold every tensor of p.Observe().
func (m *Model) Quantize(p *Plan, ranges map[string]Range, opts QuantizeOptions) (*pb.ModelProto, *Report, error) {
	c, err := cloneModel(m.Proto)
	if err != nil {
		return nil, nil, err
	}
	w := &writer{m: m, p: p, g: c.Graph, names: newNamer(c.Graph), dq: map[string]string{}, after: map[string][]*pb.NodeProto{},
		weightDQ: map[string]string{}, constDQ: map[string]string{}, params: map[string]Params{},
		report: &Report{OpCounts: map[string]int{}, Float: p.Float, Opset: p.opset, OldOpset: p.oldOpset}}
	before := liveSet(c.Graph)
	if err := w.activations(ranges); err != nil {
		return nil, nil, err
	}
	// Every reader of a quantized activation reads its DequantizeLinear
	// (float readers too: ONNX Runtime fuses a node with the Q after it
	// only when that Q is the node's one reader); graph outputs keep the
	// float tensor.
	nodes := w.g.Node
	for _, n := range nodes {
		if n == nil {
			continue
		}
		for i, in := range n.Input {
			if d, ok := w.dq[in]; ok {
				n.Input[i] = d
			}
		}
	}
	for _, u := range p.units {
		if err := w.unit(u); err != nil {
			return nil, nil, fmt.Errorf("node %s (%s): %w", u.label, u.node.OpType, err)
		}
		w.report.Nodes = append(w.report.Nodes, u.label)
		w.report.OpCounts[u.node.OpType]++
	}
	// Node order: the DequantizeLinear of constants first, then the Q/DQ
	// of graph inputs, then each node followed by those of its outputs.
	order := append([]*pb.NodeProto(nil), w.pre...)
	for _, in := range w.g.Input {
		if in != nil {
			order = append(order, w.after[in.Name]...)
		}
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		order = append(order, n)
		for _, o := range n.Output {
			order = append(order, w.after[o]...)
		}
	}
	w.g.Node = order
	w.g.Initializer = append(w.g.Initializer, w.inits...)
	prune(w.g, before)
	w.setOpset(c)
	if opts.Note != "" {
		c.MetadataProps = append(c.MetadataProps, &pb.StringStringEntryProto{Key: "cnnc.quantization", Value: opts.Note})
	}
	return c, w.report, nil
}

// writer holds the state of one Quantize.
type writer struct {
	m      *Model
	p      *Plan
	g      *pb.GraphProto
	names  *namer
	params map[string]Params // activation tensor -> parameters
	dq     map[string]string // activation tensor -> its DequantizeLinear output
	// after holds the Q/DQ nodes that follow the producer of a tensor;
	// pre the DequantizeLinear nodes of constants, which go first.
	after map[string][]*pb.NodeProto
	pre   []*pb.NodeProto
	inits []*pb.TensorProto
	// weightDQ and constDQ map a constant (and its scales) to the
	// DequantizeLinear already written for it, so that a shared one is
	// written once.
	weightDQ, constDQ map[string]string
	report            *Report
}

// activations computes every activation tensor's parameters and writes
// its Q/DQ pair.
func (w *writer) activations(ranges map[string]Range) error {
	qt := w.p.opts.Activations
	for _, t := range w.p.tensors {
		src := w.p.source(t)
		r, ok := ranges[src]
		if !ok {
			return fmt.Errorf("tensor %q was not calibrated", src)
		}
		prm, err := ActivationParams(r.Lo, r.Hi, qt)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", src, err)
		}
		w.params[t] = prm
		tp := TensorParams{Name: t, Range: r, Params: prm}
		if src != t {
			tp.Shared = src
		}
		w.report.Params = append(w.report.Params, tp)
		scale := w.addInit(floatTensor(t+"_scale", nil, []float32{prm.Scale}))
		zero := w.addInit(intTensor(t+"_zero_point", qt, nil, []int64{prm.Zero}))
		q := w.names.fresh(t + "_QuantizeLinear_Output")
		d := w.names.fresh(t + "_DequantizeLinear_Output")
		w.after[t] = append(w.after[t],
			&pb.NodeProto{Name: w.names.fresh(t + "_QuantizeLinear"), OpType: "QuantizeLinear", Input: []string{t, scale, zero}, Output: []string{q}},
			&pb.NodeProto{Name: w.names.fresh(t + "_DequantizeLinear"), OpType: "DequantizeLinear", Input: []string{q, scale, zero}, Output: []string{d}})
		w.dq[t] = d
		w.report.Activations++
	}
	return nil
}

// unit quantizes a node's weight, bias and constant operands, rewiring
// the writer's copy of the node (the plan's is the original, whose input
// names it reads).
func (w *writer) unit(u *unit) error {
	orig, n := u.node, w.g.Node[u.index]
	for _, i := range u.consts {
		d, err := w.constant(orig.Input[i])
		if err != nil {
			return err
		}
		n.Input[i] = d
	}
	if u.weight < 0 {
		return nil
	}
	wname := orig.Input[u.weight]
	wv := w.p.value(wname)
	if err := checkFinite(wv.Const); err != nil {
		return fmt.Errorf("weight %q: %w", wname, err)
	}
	scales, err := channelScales(wv.Const, u.axis, w.p.weightMax())
	if err != nil {
		return fmt.Errorf("weight %q: %w", wname, err)
	}
	if u.bias >= 0 {
		bname := orig.Input[u.bias]
		bv := w.p.value(bname)
		if err := checkFinite(bv.Const); err != nil {
			return fmt.Errorf("bias %q: %w", bname, err)
		}
		x, ok := w.params[orig.Input[u.acts[0]]]
		if !ok {
			return fmt.Errorf("internal error: the input of a node with a bias is not quantized")
		}
		bq, bs, widened := quantizeBias(bv.Const.Floats, x.Scale, scales)
		if widened {
			w.report.Widened = append(w.report.Widened, wname)
		}
		axis := -1
		if u.axis >= 0 {
			axis = 0
		}
		n.Input[u.bias] = w.dequantized(bname, Int32, bv.Const.Shape, bq, bs, axis)
		w.report.Biases++
	}
	key := wname + "\x00" + scalesKey(scales, u.axis)
	d, ok := w.weightDQ[key]
	if !ok {
		q := quantizeWeights(wv.Const, scales, u.axis, w.p.weightMax())
		d = w.dequantized(wname, Int8, wv.Const.Shape, q, scales, u.axis)
		w.weightDQ[key] = d
		w.report.Weights++
	}
	n.Input[u.weight] = d
	return nil
}

// constant quantizes a constant operand of Add, Mul or Concat with the
// activation type, from its own range, and returns its
// DequantizeLinear's output.
func (w *writer) constant(name string) (string, error) {
	if d, ok := w.constDQ[name]; ok {
		return d, nil
	}
	v := w.p.value(name)
	if err := checkFinite(v.Const); err != nil {
		return "", fmt.Errorf("constant %q: %w", name, err)
	}
	lo, hi := 0.0, 0.0
	for _, x := range v.Const.Floats {
		lo, hi = min(lo, x), max(hi, x)
	}
	qt := w.p.opts.Activations
	prm, err := ActivationParams(lo, hi, qt)
	if err != nil {
		return "", fmt.Errorf("constant %q: %w", name, err)
	}
	q := make([]int64, len(v.Const.Floats))
	for i, x := range v.Const.Floats {
		q[i] = prm.Quantize(x, qt)
	}
	qname := w.addInit(intTensor(name+"_quantized", qt, v.Const.Shape, q))
	scale := w.addInit(floatTensor(name+"_scale", nil, []float32{prm.Scale}))
	zero := w.addInit(intTensor(name+"_zero_point", qt, nil, []int64{prm.Zero}))
	d := w.names.fresh(name + "_DequantizeLinear_Output")
	w.pre = append(w.pre, &pb.NodeProto{Name: w.names.fresh(name + "_DequantizeLinear"), OpType: "DequantizeLinear", Input: []string{qname, scale, zero}, Output: []string{d}})
	w.constDQ[name] = d
	w.report.Constants++
	return d, nil
}

// dequantized writes the integers q of constant name as an initializer
// with symmetric scales (zero points 0) and its DequantizeLinear, and
// returns the latter's output. The scales run along axis, or are one
// scalar for axis -1.
func (w *writer) dequantized(name string, qt QType, shape ir.Shape, q []int64, scales []float32, axis int) string {
	qname := w.addInit(intTensor(name+"_quantized", qt, shape, q))
	var dims []int64
	if axis >= 0 {
		dims = []int64{int64(len(scales))}
	}
	scale := w.addInit(floatTensor(name+"_scale", dims, scales))
	zero := w.addInit(intTensor(name+"_zero_point", qt, dims, make([]int64, len(scales))))
	n := &pb.NodeProto{Name: w.names.fresh(name + "_DequantizeLinear"), OpType: "DequantizeLinear", Input: []string{qname, scale, zero}, Output: []string{w.names.fresh(name + "_DequantizeLinear_Output")}}
	if axis >= 0 {
		n.Attribute = []*pb.AttributeProto{{Name: "axis", I: int64(axis), Type: pb.AttributeProto_INT}}
	}
	w.pre = append(w.pre, n)
	return n.Output[0]
}

// addInit adds an initializer under a fresh name and returns the name.
func (w *writer) addInit(t *pb.TensorProto) string {
	t.Name = w.names.fresh(t.Name)
	w.inits = append(w.inits, t)
	return t.Name
}

// setOpset raises the ai.onnx opset (and the IR version that goes with
// it) when the plan says so.
func (w *writer) setOpset(c *pb.ModelProto) {
	if w.p.opset == w.p.oldOpset {
		return
	}
	for _, o := range c.OpsetImport {
		if o != nil && (o.Domain == "" || o.Domain == "ai.onnx") {
			o.Version = w.p.opset
		}
	}
	c.IrVersion = max(c.IrVersion, minIRVersion)
}

// channelScales computes the symmetric scale of each channel of a weight
// along axis, or one scale for axis -1, for the range [-qmax, qmax].
func channelScales(t *ir.Tensor, axis int, qmax int64) ([]float32, error) {
	channels, inner := 1, 1
	if axis >= 0 {
		channels = t.Shape[axis]
		for _, d := range t.Shape[axis+1:] {
			inner *= d
		}
	}
	maxAbs := make([]float64, channels)
	for i, x := range t.Floats {
		c := (i / inner) % channels
		maxAbs[c] = max(maxAbs[c], math.Abs(x))
	}
	scales := make([]float32, channels)
	for c, m := range maxAbs {
		prm, err := WeightParams(m, qmax)
		if err != nil {
			return nil, err
		}
		scales[c] = prm.Scale
	}
	return scales, nil
}

// quantizeWeights maps weights to int8 in [-qmax, qmax] with
// per-channel scales.
func quantizeWeights(t *ir.Tensor, scales []float32, axis int, qmax int64) []int64 {
	inner := 1
	if axis >= 0 {
		for _, d := range t.Shape[axis+1:] {
			inner *= d
		}
	}
	q := make([]int64, len(t.Floats))
	for i, x := range t.Floats {
		c := (i / inner) % len(scales)
		q[i] = QuantizeWeight(x, Params{Scale: scales[c]}, qmax)
	}
	return q
}

// quantizeBias maps a bias to int32 with scale x_scale*w_scale per
// channel (scales has one entry, or one per bias element). Where a value
// does not fit, the channel's weight scale is widened in place until it
// does: int32 saturation would change the channel's output, while a
// coarser weight scale only costs precision on weights that are tiny
// next to the bias (widened reports it).
func quantizeBias(b []float64, xScale float32, scales []float32) (q []int64, bs []float32, widened bool) {
	for {
		q = make([]int64, len(b))
		bs = make([]float32, len(scales))
		retry := false
		for c := range scales {
			bs[c] = BiasScale(xScale, scales[c])
		}
		for i, x := range b {
			c := i % len(scales)
			v, ok := QuantizeBias(x, bs[c])
			if !ok {
				// Aim below the limit: the float32 product is rounded.
				need := float32(math.Abs(x) / (float64(xScale) * (math.MaxInt32 / 2)))
				scales[c] = max(need, math.Nextafter32(scales[c], float32(math.Inf(1))))
				retry, widened = true, true
				break
			}
			q[i] = v
		}
		if !retry {
			return q, bs, widened
		}
	}
}

// scalesKey identifies a set of weight scales, to share the
// DequantizeLinear of a weight that several nodes use the same way.
func scalesKey(scales []float32, axis int) string {
	b := make([]byte, 0, 4*len(scales)+8)
	b = strconv.AppendInt(b, int64(axis), 10)
	for _, s := range scales {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(s))
	}
	return string(b)
}

// checkFinite rejects a constant holding NaN or an infinity.
func checkFinite(t *ir.Tensor) error {
	for i, x := range t.Floats {
		if !finite(x) {
			return fmt.Errorf("element %d is %g: %w", i, x, ErrNotFinite)
		}
	}
	return nil
}

// floatTensor is a float32 initializer; nil dims make a scalar.
func floatTensor(name string, dims []int64, v []float32) *pb.TensorProto {
	raw := make([]byte, 0, 4*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return &pb.TensorProto{Name: name, Dims: dims, DataType: int32(pb.TensorProto_FLOAT), RawData: raw}
}

// intTensor is an integer initializer of the quantized type; nil shape
// makes a scalar.
func intTensor(name string, qt QType, shape any, v []int64) *pb.TensorProto {
	var dims []int64
	switch s := shape.(type) {
	case ir.Shape:
		for _, d := range s {
			dims = append(dims, int64(d))
		}
	case []int64:
		dims = s
	}
	var raw []byte
	var dt pb.TensorProto_DataType
	switch qt {
	case Uint8:
		dt = pb.TensorProto_UINT8
		for _, x := range v {
			raw = append(raw, byte(x))
		}
	case Int8:
		dt = pb.TensorProto_INT8
		for _, x := range v {
			raw = append(raw, byte(int8(x)))
		}
	default:
		dt = pb.TensorProto_INT32
		for _, x := range v {
			raw = binary.LittleEndian.AppendUint32(raw, uint32(int32(x)))
		}
	}
	if raw == nil {
		raw = []byte{}
	}
	return &pb.TensorProto{Name: name, Dims: dims, DataType: int32(dt), RawData: raw}
}

// namer hands out names no tensor or node of the graph uses.
type namer struct{ used map[string]bool }

func newNamer(g *pb.GraphProto) *namer {
	n := &namer{used: map[string]bool{}}
	add := func(s string) { n.used[s] = true }
	for _, v := range g.Input {
		if v != nil {
			add(v.Name)
		}
	}
	for _, v := range g.Output {
		if v != nil {
			add(v.Name)
		}
	}
	for _, v := range g.ValueInfo {
		if v != nil {
			add(v.Name)
		}
	}
	for _, t := range g.Initializer {
		if t != nil {
			add(t.Name)
		}
	}
	for _, nd := range g.Node {
		if nd == nil {
			continue
		}
		add(nd.Name)
		for _, s := range nd.Input {
			add(s)
		}
		for _, s := range nd.Output {
			add(s)
		}
	}
	return n
}

// fresh returns base, or base_1, base_2, ... if base is taken.
func (n *namer) fresh(base string) string {
	name := base
	for k := 1; n.used[name]; k++ {
		name = base + "_" + strconv.Itoa(k)
	}
	n.used[name] = true
	return name
}

// liveSet lists the initializers and nodes that something reads (a node,
// a graph output), so that prune removes only what quantizing orphaned.
type live struct {
	inits map[string]bool
	nodes map[*pb.NodeProto]bool
}

func liveSet(g *pb.GraphProto) live {
	refs := map[string]bool{}
	for _, o := range g.Output {
		if o != nil {
			refs[o.Name] = true
		}
	}
	l := live{inits: map[string]bool{}, nodes: map[*pb.NodeProto]bool{}}
	for i := len(g.Node) - 1; i >= 0; i-- {
		n := g.Node[i]
		if n == nil {
			continue
		}
		used := false
		for _, o := range n.Output {
			used = used || refs[o]
		}
		if used {
			l.nodes[n] = true
			for _, in := range n.Input {
				refs[in] = true
			}
		}
	}
	for _, t := range g.Initializer {
		if t != nil && refs[t.Name] {
			l.inits[t.Name] = true
		}
	}
	return l
}

// prune removes the nodes and initializers that were live before
// quantizing and are not any more (float weights replaced by int8 ones,
// the Constant nodes that computed them), their graph-input entries
// (models before IR version 4 list initializers as inputs) and the
// value_info of tensors that no longer exist. What the model held dead
// before stays, as everything else of it does.
func prune(g *pb.GraphProto, before live) {
	after := liveSet(g)
	var nodes []*pb.NodeProto
	for _, n := range g.Node {
		if n != nil && before.nodes[n] && !after.nodes[n] {
			continue
		}
		nodes = append(nodes, n)
	}
	g.Node = nodes
	removed := map[string]bool{}
	var inits []*pb.TensorProto
	for _, t := range g.Initializer {
		if t != nil && before.inits[t.Name] && !after.inits[t.Name] {
			removed[t.Name] = true
			continue
		}
		inits = append(inits, t)
	}
	g.Initializer = inits
	var inputs []*pb.ValueInfoProto
	for _, in := range g.Input {
		if in != nil && removed[in.Name] {
			continue
		}
		inputs = append(inputs, in)
	}
	g.Input = inputs
	exists := map[string]bool{}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, o := range n.Output {
			exists[o] = true
		}
	}
	for _, in := range g.Input {
		if in != nil {
			exists[in.Name] = true
		}
	}
	for _, t := range g.Initializer {
		if t != nil {
			exists[t.Name] = true
		}
	}
	var vis []*pb.ValueInfoProto
	for _, vi := range g.ValueInfo {
		if vi != nil && !exists[vi.Name] {
			continue
		}
		vis = append(vis, vi)
	}
	g.ValueInfo = vis
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
