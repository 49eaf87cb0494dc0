package quantize

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
)

// unitRanges gives every tensor to observe the range [lo, hi].
func unitRanges(p *Plan, lo, hi float64) map[string]Range {
	r := map[string]Range{}
	for _, t := range p.Observe() {
		r[t] = Range{lo, hi}
	}
	return r
}

// qdqModel is a written model with lookups for the checks.
type qdqModel struct {
	*pb.ModelProto
	producer map[string]*pb.NodeProto
	readers  map[string][]*pb.NodeProto
	inits    map[string]*pb.TensorProto
}

func index(t *testing.T, m *pb.ModelProto) *qdqModel {
	t.Helper()
	q := &qdqModel{ModelProto: m, producer: map[string]*pb.NodeProto{}, readers: map[string][]*pb.NodeProto{}, inits: map[string]*pb.TensorProto{}}
	defined := map[string]bool{"": true}
	for _, in := range m.Graph.Input {
		defined[in.Name] = true
	}
	for _, in := range m.Graph.Initializer {
		if q.inits[in.Name] != nil {
			t.Errorf("initializer %q is written twice", in.Name)
		}
		q.inits[in.Name] = in
		defined[in.Name] = true
	}
	for _, n := range m.Graph.Node {
		for _, in := range n.Input {
			if !defined[in] {
				t.Errorf("node %s (%s) reads %q before anything defines it", n.Name, n.OpType, in)
			}
			q.readers[in] = append(q.readers[in], n)
		}
		for _, o := range n.Output {
			if defined[o] && o != "" {
				t.Errorf("node %s redefines %q", n.Name, o)
			}
			defined[o] = true
			q.producer[o] = n
		}
	}
	return q
}

func (q *qdqModel) node(name string) *pb.NodeProto {
	for _, n := range q.Graph.Node {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func (q *qdqModel) count(op string) int {
	k := 0
	for _, n := range q.Graph.Node {
		if n.OpType == op {
			k++
		}
	}
	return k
}

// floats decodes a float32 initializer.
func (q *qdqModel) floats(t *testing.T, name string) []float32 {
	t.Helper()
	tp := q.inits[name]
	if tp == nil || tp.DataType != int32(pb.TensorProto_FLOAT) {
		t.Fatalf("no float initializer %q", name)
	}
	out := make([]float32, len(tp.RawData)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(tp.RawData[4*i:]))
	}
	return out
}

// ints decodes an int8, uint8 or int32 initializer.
func (q *qdqModel) ints(t *testing.T, name string) (pb.TensorProto_DataType, []int64) {
	t.Helper()
	tp := q.inits[name]
	if tp == nil {
		t.Fatalf("no initializer %q", name)
	}
	dt := pb.TensorProto_DataType(tp.DataType)
	var out []int64
	switch dt {
	case pb.TensorProto_INT8:
		for _, b := range tp.RawData {
			out = append(out, int64(int8(b)))
		}
	case pb.TensorProto_UINT8:
		for _, b := range tp.RawData {
			out = append(out, int64(b))
		}
	case pb.TensorProto_INT32:
		for i := 0; i < len(tp.RawData); i += 4 {
			out = append(out, int64(int32(binary.LittleEndian.Uint32(tp.RawData[i:]))))
		}
	default:
		t.Fatalf("initializer %q has type %v", name, dt)
	}
	return dt, out
}

// dequantizedFrom returns the DequantizeLinear that produces a node's
// input i, failing the test if there is none.
func (q *qdqModel) dequantizedFrom(t *testing.T, n *pb.NodeProto, i int) *pb.NodeProto {
	t.Helper()
	d := q.producer[n.Input[i]]
	if d == nil || d.OpType != "DequantizeLinear" {
		t.Fatalf("input %d of %s (%q) does not come from a DequantizeLinear", i, n.Name, n.Input[i])
	}
	return d
}

func TestQuantizeSmallCNN(t *testing.T) {
	m := smallCNN("N").load(t)
	p, err := m.Plan(Options{KeepFirstLast: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Nodes(), []string{"c2", "add", "mp", "mul", "cat", "ap", "g1"}; !slices.Equal(got, want) {
		t.Errorf("quantized nodes %v, want %v", got, want)
	}
	wantFloat := []FloatNode{{"c1", "Conv", "first layer (-keep-first-last)"}, {"mm", "MatMul", "last layer (-keep-first-last)"}}
	if !slices.Equal(p.Float, wantFloat) {
		t.Errorf("float nodes %v, want %v", p.Float, wantFloat)
	}
	// The outputs of c2 and g1 are quantized after their ReLUs (the
	// Gemm's for ONNX Runtime to drop the ReLU into the Q, though only the
	// float MatMul reads it), and the MaxPool's output takes its input's
	// parameters.
	wantTensors := []string{"r1_out", "r2_out", "add_out", "mp_out", "mul_out", "cat_out", "ap_out", "flat_out", "r3_out"}
	if got := p.Tensors(); !slices.Equal(got, wantTensors) {
		t.Errorf("tensors %v, want %v", got, wantTensors)
	}
	if got := p.Observe(); slices.Contains(got, "mp_out") || len(got) != len(wantTensors)-1 {
		t.Errorf("observed %v: want every tensor but mp_out", got)
	}
	ranges := unitRanges(p, -1, 3)
	out, rep, err := m.Quantize(p, ranges, QuantizeOptions{Note: "test"})
	if err != nil {
		t.Fatal(err)
	}
	q := index(t, out)

	if rep.Activations != 9 || rep.Weights != 2 || rep.Biases != 2 || rep.Constants != 1 {
		t.Errorf("report: %d activations, %d weights, %d biases, %d constants; want 9, 2, 2, 1", rep.Activations, rep.Weights, rep.Biases, rep.Constants)
	}
	if q.count("QuantizeLinear") != 9 || q.count("DequantizeLinear") != 14 {
		t.Errorf("%d QuantizeLinear and %d DequantizeLinear, want 9 and 14", q.count("QuantizeLinear"), q.count("DequantizeLinear"))
	}
	// Every quantized tensor: one Q reading it, its DQ read by every
	// node that read the tensor.
	for _, tn := range wantTensors {
		var qs []*pb.NodeProto
		for _, r := range q.readers[tn] {
			if r.OpType != "QuantizeLinear" {
				t.Errorf("%s still reads %q, not its DequantizeLinear", r.Name, tn)
			}
			qs = append(qs, r)
		}
		if len(qs) != 1 {
			t.Fatalf("%q has %d QuantizeLinear readers", tn, len(qs))
		}
		dqs := q.readers[qs[0].Output[0]]
		if len(dqs) != 1 || dqs[0].OpType != "DequantizeLinear" || dqs[0].Input[1] != qs[0].Input[1] || dqs[0].Input[2] != qs[0].Input[2] {
			t.Errorf("the Q of %q is not followed by a DQ with its scale and zero point", tn)
		}
		if dt, zp := q.ints(t, qs[0].Input[2]); dt != pb.TensorProto_UINT8 || len(zp) != 1 {
			t.Errorf("zero point of %q: %v %v", tn, dt, zp)
		}
	}
	// The ReLU stays in the graph between the Conv and the Q.
	if r2 := q.node("r2"); r2 == nil || r2.Input[0] != "c2_out" {
		t.Errorf("r2 reads %v, want c2_out", r2)
	}
	// c2: int8 weights per output channel, an int32 bias with scale
	// x_scale * w_scale.
	c2 := q.node("c2")
	wdq := q.dequantizedFrom(t, c2, 1)
	if dt, w := q.ints(t, wdq.Input[0]); dt != pb.TensorProto_INT8 || len(w) != 4*4*3*3 {
		t.Errorf("c2 weight: %v, %d values", dt, len(w))
	}
	if len(wdq.Attribute) != 1 || wdq.Attribute[0].Name != "axis" || wdq.Attribute[0].I != 0 {
		t.Errorf("c2 weight DQ attributes %v, want axis 0", wdq.Attribute)
	}
	wScale := q.floats(t, wdq.Input[1])
	if len(wScale) != 4 {
		t.Errorf("c2 weight has %d scales, want 4", len(wScale))
	}
	xScale := q.floats(t, q.dequantizedFrom(t, c2, 0).Input[1])[0]
	bdq := q.dequantizedFrom(t, c2, 2)
	bScale := q.floats(t, bdq.Input[1])
	if dt, _ := q.ints(t, bdq.Input[0]); dt != pb.TensorProto_INT32 {
		t.Errorf("c2 bias is %v", dt)
	}
	for c := range bScale {
		if bScale[c] != xScale*wScale[c] {
			t.Errorf("bias scale %d is %g, want x_scale*w_scale = %g", c, bScale[c], xScale*wScale[c])
		}
	}
	// The weights come back within half a step.
	_, wq := q.ints(t, wdq.Input[0])
	w2 := m.Value("w2").Const.Floats
	for i, v := range wq {
		c := i / 36
		if d := math.Abs(float64(v)*float64(wScale[c]) - w2[i]); d > float64(wScale[c])/2*1.0001 {
			t.Fatalf("weight %d: %g comes back as %g", i, w2[i], float64(v)*float64(wScale[c]))
		}
	}
	// The Gemm's weight is [outputs, inputs] (transB): channels on axis 0.
	g1 := q.node("g1")
	if a := q.dequantizedFrom(t, g1, 1).Attribute; len(a) != 1 || a[0].I != 0 {
		t.Errorf("g1 weight DQ attributes %v, want axis 0", a)
	}
	// The Mul's constant is quantized with the activation type.
	if dt, _ := q.ints(t, q.dequantizedFrom(t, q.node("mul"), 1).Input[0]); dt != pb.TensorProto_UINT8 {
		t.Errorf("the Mul constant is %v, want uint8", dt)
	}
	// The float layers keep their float weights; the quantized ones' are
	// gone, and the graph's inputs and outputs are as they were.
	for _, name := range []string{"w1", "b1", "wm"} {
		if q.inits[name] == nil || q.inits[name].DataType != int32(pb.TensorProto_FLOAT) {
			t.Errorf("float initializer %q is missing", name)
		}
	}
	for _, name := range []string{"w2", "b2", "wg", "bg", "scale"} {
		if q.inits[name] != nil {
			t.Errorf("the float initializer %q is still there", name)
		}
	}
	if q.node("c1").Input[1] != "w1" || q.node("mm").Input[1] != "wm" {
		t.Errorf("a float layer's weight was rewired")
	}
	if len(out.Graph.Input) != 1 || out.Graph.Input[0].Name != "x" || len(out.Graph.Output) != 1 || out.Graph.Output[0].Name != "y" {
		t.Errorf("graph inputs %v, outputs %v", out.Graph.Input, out.Graph.Output)
	}
	if out.OpsetImport[0].Version != 13 || rep.Opset != 13 {
		t.Errorf("opset %d", out.OpsetImport[0].Version)
	}
	if n := len(out.MetadataProps); n != 1 || out.MetadataProps[0].Key != "cnnc.quantization" {
		t.Errorf("metadata %v", out.MetadataProps)
	}
	// The original is untouched, and writing again gives the same bytes.
	if m.Proto.Graph.Node[2].Input[0] != "r1_out" {
		t.Errorf("Quantize changed the model it was given")
	}
	again, _, err := m.Quantize(p, ranges, QuantizeOptions{Note: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := out.Marshal()
	b2, _ := again.Marshal()
	if !bytes.Equal(b1, b2) {
		t.Errorf("two writes differ")
	}
}

func TestQuantizeFirstLastAndOptions(t *testing.T) {
	m := smallCNN("N").load(t)
	p, err := m.Plan(Options{Activations: Int8, PerTensor: true, Exclude: []string{"cat"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Nodes(); !slices.Contains(got, "c1") || !slices.Contains(got, "mm") || slices.Contains(got, "cat") {
		t.Errorf("quantized %v: want c1 and mm, not cat", got)
	}
	if len(p.Float) != 1 || p.Float[0].Node != "cat" || p.Float[0].Reason != "-exclude" {
		t.Errorf("float %v", p.Float)
	}
	out, _, err := m.Quantize(p, unitRanges(p, 0, 1), QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := index(t, out)
	// The graph input is quantized for the first Conv.
	if len(q.readers["x"]) != 1 || q.readers["x"][0].OpType != "QuantizeLinear" {
		t.Errorf("x is read by %v", q.readers["x"])
	}
	// Per-tensor weights: a scalar scale and no axis.
	wdq := q.dequantizedFrom(t, q.node("c2"), 1)
	if len(wdq.Attribute) != 0 || len(q.inits[wdq.Input[1]].Dims) != 0 {
		t.Errorf("per-tensor weight DQ has attributes %v, scale dims %v", wdq.Attribute, q.inits[wdq.Input[1]].Dims)
	}
	// int8 activations, and a 2-D MatMul weight per tensor too.
	dq := q.dequantizedFrom(t, q.node("c2"), 0)
	if dt, _ := q.ints(t, dq.Input[2]); dt != pb.TensorProto_INT8 {
		t.Errorf("activation zero point is %v", dt)
	}
	// The MatMul's input (the Gemm's output) is now quantized: a
	// quantized node reads it.
	if d := q.dequantizedFrom(t, q.node("mm"), 0); q.producer[d.Input[0]].Input[0] != "r3_out" {
		t.Errorf("the MatMul's input is not the quantized ReLU output")
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name  string
		model func() *builder
		opts  Options
		err   string
	}{
		{"unknown exclude", func() *builder { return smallCNN("N") }, Options{Exclude: []string{"c3"}}, `-exclude c3: the model has no node of that name; did you mean`},
		{"nothing quantizable", func() *builder {
			b := newBuilder(13)
			b.input("x", "N", 10)
			b.node("Softmax", "sm", []string{"x"}, []string{"y"})
			b.output("y")
			return b
		}, Options{}, "nothing to quantize: the model has no Conv"},
		{"only layer kept float", func() *builder {
			b := newBuilder(13)
			b.input("x", "N", 4)
			b.init("w", []int64{4, 3}, nil)
			b.node("MatMul", "mm", []string{"x", "w"}, []string{"y"})
			b.output("y")
			return b
		}, Options{KeepFirstLast: true}, "mm (MatMul): first and last layer (-keep-first-last)"},
		{"opset 11 with Squeeze", func() *builder {
			b := newBuilder(11)
			b.input("x", "N", 1, 4)
			b.node("Squeeze", "sq", []string{"x"}, []string{"s"}, ints("axes", 1))
			b.init("w", []int64{4, 3}, nil)
			b.node("MatMul", "mm", []string{"s", "w"}, []string{"y"})
			b.output("y")
			return b
		}, Options{}, "Squeeze (changed at opset 13)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model().load(t)
			_, err := m.Plan(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("got %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestOpsetRaised(t *testing.T) {
	b := newBuilder(11)
	b.input("x", "N", 4)
	b.init("w", []int64{4, 3}, nil)
	b.node("MatMul", "mm", []string{"x", "w"}, []string{"h"})
	b.node("Relu", "r", []string{"h"}, []string{"r_out"})
	b.init("w2", []int64{3, 2}, nil)
	b.node("MatMul", "mm2", []string{"r_out", "w2"}, []string{"z"})
	b.node("Softmax", "sm", []string{"z"}, []string{"y"}, intAttr("axis", 1)) // 2-D: same meaning at 13
	b.output("y")
	b.m.IrVersion = 6
	m := b.load(t)
	p, err := m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, rep, err := m.Quantize(p, unitRanges(p, 0, 1), QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.OpsetImport[0].Version != 13 || out.IrVersion != 7 || rep.OldOpset != 11 || rep.Opset != 13 {
		t.Errorf("opset %d, IR version %d, report %d -> %d", out.OpsetImport[0].Version, out.IrVersion, rep.OldOpset, rep.Opset)
	}
}

func TestLoadErrors(t *testing.T) {
	b := newBuilder(13)
	b.input("x", "N", 4)
	b.init("s", nil, []float32{0.1})
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &pb.TensorProto{Name: "z", DataType: int32(pb.TensorProto_UINT8), RawData: []byte{0}})
	b.node("QuantizeLinear", "q", []string{"x", "s", "z"}, []string{"y"})
	b.output("y")
	if _, err := Load(b.bytes(t), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "quantized already") {
		t.Errorf("got %v, want an error saying the model is quantized already", err)
	}
	if _, err := Load([]byte("not a model at all"), LoadOptions{}); err == nil {
		t.Error("Load accepted garbage")
	}
}

// TestGemmOutputStaysFloat: a Gemm's output that only a float node reads
// (the logits of a Softmax) is not quantized: ONNX Runtime has a
// float-output kernel for it, and the logits stay exact.
func TestGemmOutputStaysFloat(t *testing.T) {
	b := newBuilder(13)
	b.input("x", "N", 8)
	b.init("w", []int64{8, 4}, nil)
	b.init("c", []int64{4}, nil)
	b.node("Gemm", "g", []string{"x", "w", "c"}, []string{"logits"})
	b.node("Softmax", "sm", []string{"logits"}, []string{"y"}, intAttr("axis", 1))
	b.output("y")
	m := b.load(t)
	p, err := m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Tensors(); !slices.Equal(got, []string{"x"}) {
		t.Errorf("tensors %v, want [x]", got)
	}
	out, _, err := m.Quantize(p, unitRanges(p, 0, 1), QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := index(t, out)
	if q.node("sm").Input[0] != "logits" {
		t.Errorf("the Softmax reads %q", q.node("sm").Input[0])
	}
	// B is [K, N] (no transB): its output channels are axis 1.
	if a := q.dequantizedFrom(t, q.node("g"), 1).Attribute; len(a) != 1 || a[0].I != 1 {
		t.Errorf("the weight's DQ attributes are %v, want axis 1", a)
	}
}

// TestGraphOutputStaysFloat: a quantized tensor that is also a graph
// output is written from the float producer; the nodes reading it read
// the DequantizeLinear.
func TestGraphOutputStaysFloat(t *testing.T) {
	b := newBuilder(13)
	b.input("x", "N", 2, 4, 4)
	b.init("w", []int64{2, 2, 1, 1}, nil)
	b.node("Conv", "c", []string{"x", "w"}, []string{"h"})
	b.node("Relu", "r", []string{"h"}, []string{"feat"})
	b.node("GlobalAveragePool", "gap", []string{"feat"}, []string{"y"})
	b.output("feat")
	b.output("y")
	m := b.load(t)
	p, err := m.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := m.Quantize(p, unitRanges(p, 0, 2), QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := index(t, out)
	// "h" is read by the ReLU and nothing else, but it is not a graph
	// output, so the ReLU is fused: feat, the graph output, is quantized
	// for the pool.
	if q.producer["feat"].OpType != "Relu" {
		t.Errorf("feat comes from %s", q.producer["feat"].OpType)
	}
	if q.dequantizedFrom(t, q.node("gap"), 0) == nil {
		t.Error("the pool does not read a DQ")
	}
	if out.Graph.Output[0].Name != "feat" {
		t.Error("the graph output was renamed")
	}
}
