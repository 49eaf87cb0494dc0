// Package qdqtest builds small quantized ("QDQ") graphs in Go for the
// tests of the qdq pass and of the Go engine: float ops between
// DequantizeLinear and QuantizeLinear nodes, with seeded int8 weights.
package qdqtest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnc/cnnc/ir"
)

// Case is one graph and what the qdq pass should make of it.
type Case struct {
	Name  string
	Graph *ir.Graph
	// Ops are IR op types the qdq pass must produce; NotOps are float op
	// types it must have removed.
	Ops, NotOps []string
	// Exact is set when the integer graph must give exactly the float
	// graph's results; otherwise they may differ by one step of Step.
	Exact bool
	// Step is the scale of the quantized output, one step of which the
	// integer graph may differ by.
	Step float64
}

// Builder adds QDQ patterns to a graph.
type Builder struct {
	G   *ir.Graph
	rng *rand.Rand
	n   int
}

// NewBuilder starts an empty graph.
func NewBuilder(name string, seed uint64) *Builder {
	return &Builder{G: ir.NewGraph(name), rng: rand.New(rand.NewPCG(seed, 77))}
}

func (b *Builder) name(s string) string {
	b.n++
	return fmt.Sprintf("%s%d", s, b.n)
}

// Input declares a float32 input (NCHW when of rank 4).
func (b *Builder) Input(shape ...int) *ir.Value {
	t := ir.Type{DType: ir.Float32, Shape: ir.Shape(shape)}
	if len(shape) == 4 {
		t.Layout = ir.NCHW
	}
	return b.G.AddInput(b.name("x"), t)
}

// Scalar is a float32 scalar constant.
func Scalar(v float64) *ir.Value {
	return ir.NewConst("s", ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{float64(float32(v))}))
}

// Zero is a zero point of type dt.
func Zero(dt ir.DType, z int64) *ir.Value {
	return ir.NewConst("z", ir.NewIntTensor(dt, ir.Shape{}, []int64{z}))
}

// Op applies op to in and types the result.
func (b *Builder) Op(op ir.Op, in ...*ir.Value) *ir.Value {
	n := b.G.AddNode(b.name(op.OpType()), op, in, 1)
	if err := ir.InferNode(n); err != nil {
		panic(fmt.Sprintf("qdqtest: %v", err))
	}
	return n.Outputs[0]
}

// Q quantizes x with a per-tensor scale and zero point to codes of dt.
func (b *Builder) Q(x *ir.Value, scale float64, zero int64, dt ir.DType) *ir.Value {
	return b.Op(&ir.QuantizeLinear{To: dt}, x, Scalar(scale), Zero(dt, zero))
}

// DQ dequantizes codes with a per-tensor scale and zero point.
func (b *Builder) DQ(c *ir.Value, scale float64, zero int64) *ir.Value {
	return b.Op(&ir.DequantizeLinear{To: ir.Float32}, c, Scalar(scale), Zero(c.DType, zero))
}

// QDQ is DQ(Q(x)), the simulated quantization of a QDQ model.
func (b *Builder) QDQ(x *ir.Value, scale float64, zero int64, dt ir.DType) *ir.Value {
	return b.DQ(b.Q(x, scale, zero, dt), scale, zero)
}

// Weight returns DQ(codes) of random codes of type dt and the given shape,
// quantized per channel of axis (or per tensor when axis < 0), and the
// scales.
func (b *Builder) Weight(dt ir.DType, axis int, shape ...int) (*ir.Value, []float64) {
	s := ir.Shape(shape)
	codes := ir.Zeros(dt, s)
	lo, hi := ir.QuantRange(dt)
	zero := (lo + hi + 1) / 2
	for i := range codes.Ints {
		codes.Ints[i] = max(lo, min(hi, zero+int64(b.rng.NormFloat64()*40)))
	}
	c := 1
	if axis >= 0 {
		c = shape[axis]
	}
	scales := make([]float64, c)
	zs := make([]int64, c)
	for i := range scales {
		scales[i] = float64(float32(0.005 + 0.01*b.rng.Float64()))
		zs[i] = zero
	}
	sh := ir.Shape{}
	if axis >= 0 {
		sh = ir.Shape{c}
	}
	op := &ir.DequantizeLinear{Axis: max(axis, 0), To: ir.Float32}
	return b.Op(op, ir.NewConst(b.name("w"), codes), ir.NewConst("ws", ir.NewFloatTensor(ir.Float32, sh, scales)), ir.NewConst("wz", ir.NewIntTensor(dt, sh, zs))), scales
}

// Bias returns DQ(int32 codes) of a random bias of m values quantized
// with scales xs*ws[j], as quantizers write a Conv's or Gemm's bias.
func (b *Builder) Bias(m int, xs float64, ws []float64) *ir.Value {
	codes := ir.Zeros(ir.Int32, ir.Shape{m})
	scales := make([]float64, m)
	for j := range codes.Ints {
		codes.Ints[j] = int64(b.rng.NormFloat64() * 300)
		scales[j] = float64(float32(float32(xs) * float32(ws[min(j, len(ws)-1)])))
	}
	return b.Op(&ir.DequantizeLinear{Axis: 0, To: ir.Float32}, ir.NewConst(b.name("b"), codes), ir.NewConst("bs", ir.NewFloatTensor(ir.Float32, ir.Shape{m}, scales)), ir.NewConst("bz", ir.Zeros(ir.Int32, ir.Shape{m})))
}

// Out makes v a graph output.
func (b *Builder) Out(v ...*ir.Value) *ir.Graph {
	b.G.Outputs = append(b.G.Outputs, v...)
	return b.G
}

// RandomInputs returns one tensor per graph input: floats uniform in
// [-1, 1), integers uniform over their type's codes.
func RandomInputs(g *ir.Graph, seed uint64) []*ir.Tensor {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]*ir.Tensor, len(g.Inputs))
	for i, v := range g.Inputs {
		shape := v.Shape.Clone()
		if len(shape) > 0 && shape[0] == ir.Batch {
			shape[0] = 2
		}
		if v.DType.IsInt() {
			t := ir.Zeros(v.DType, shape)
			lo, hi := ir.QuantRange(v.DType)
			for j := range t.Ints {
				t.Ints[j] = lo + rng.Int64N(hi-lo+1)
			}
			out[i] = t
			continue
		}
		t := ir.Zeros(ir.Float32, shape)
		for j := range t.Floats {
			t.Floats[j] = float64(float32(rng.Float64()*2 - 1))
		}
		out[i] = t
	}
	return out
}

const (
	u8 = ir.Uint8
	i8 = ir.Int8
)

// in8 is the quantization of a [-1, 1) input: scale 1/127.5, zero point
// 128 for uint8 and 0 for int8.
func in8(dt ir.DType) (float64, int64) {
	if dt == u8 {
		return 1 / 127.5, 128
	}
	return 1 / 127.5, 0
}

// Cases returns the graphs the tests run: every pattern of the qdq pass,
// in uint8 and int8 where it matters, and a few that keep a float path.
func Cases() []Case {
	var cs []Case
	add := func(c Case) {
		if err := c.Graph.Infer(); err != nil {
			panic(fmt.Sprintf("qdqtest: %s: %v", c.Name, err))
		}
		cs = append(cs, c)
	}
	conv := func(name string, dt ir.DType, group, stride int, act ir.Op, perChannel bool, c, m int) {
		b := NewBuilder(name, 1)
		xs, xz := in8(dt)
		x := b.QDQ(b.Input(1, c, 9, 8), xs, xz, dt)
		axis := -1
		if perChannel {
			axis = 0
		}
		w, ws := b.Weight(i8, axis, m, c/group, 3, 3)
		y := b.Op(&ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}, Strides: []int{stride, stride}}, Group: group}, x, w, b.Bias(m, xs, ws))
		if act != nil {
			y = b.Op(act, y)
		}
		ys, yz := 0.02, int64(100)
		if dt == i8 {
			yz = -20
		}
		add(Case{Name: name, Graph: b.Out(b.QDQ(y, ys, yz, dt)), Ops: []string{"QLinearConv"}, NotOps: []string{"Conv", "Relu", "Clip"}, Step: ys})
	}
	conv("conv u8 relu", u8, 1, 1, &ir.Relu{}, true, 3, 8)
	conv("conv i8 grouped strided clip", i8, 2, 2, &ir.Clip{Min: 0, Max: 1}, false, 4, 6)
	conv("depthwise u8", u8, 4, 1, nil, true, 4, 4)
	conv("depthwise i8 multiplier 2", i8, 4, 2, &ir.Relu{}, true, 4, 8)

	for _, dt := range []ir.DType{u8, i8} {
		b := NewBuilder("gemm", 2)
		xs, xz := in8(dt)
		x := b.QDQ(b.Input(2, 16), xs, xz, dt)
		w, ws := b.Weight(i8, 0, 10, 16)
		y := b.Op(&ir.Gemm{TransB: true, Alpha: 1, Beta: 1}, x, w, b.Bias(10, xs, ws))
		add(Case{Name: "gemm transB " + dt.String(), Graph: b.Out(b.QDQ(y, 0.03, xz, dt)), Ops: []string{"QLinearMatMul"}, NotOps: []string{"Gemm"}, Step: 0.03})
	}
	{
		b := NewBuilder("matmul", 3)
		x := b.QDQ(b.Input(2, 3, 16), 1/127.5, 128, u8)
		w, _ := b.Weight(u8, 1, 16, 8)
		y := b.Op(&ir.Relu{}, b.Op(&ir.MatMul{}, x, w))
		add(Case{Name: "matmul rank 3 u8 weights relu", Graph: b.Out(b.QDQ(y, 0.02, 0, u8)), Ops: []string{"QLinearMatMul"}, NotOps: []string{"MatMul"}, Step: 0.02})
	}
	for _, dt := range []ir.DType{u8, i8} {
		b := NewBuilder("add", 4)
		xs, xz := in8(dt)
		x1 := b.QDQ(b.Input(1, 4, 3, 5), xs, xz, dt)
		x2 := b.QDQ(b.Input(1, 4, 3, 5), 0.01, xz+3, dt)
		x3 := b.QDQ(b.Input(5), 0.02, xz-4, dt)
		s := b.QDQ(b.Op(&ir.Add{}, x1, x2), 0.015, xz, dt)
		p := b.QDQ(b.Op(&ir.Mul{}, x3, s), 0.007, xz, dt)
		add(Case{Name: "add mul broadcast " + dt.String(), Graph: b.Out(p), Ops: []string{"QLinearAdd", "QLinearMul"}, NotOps: []string{"Add", "Mul"}, Exact: true})
	}
	for _, dt := range []ir.DType{u8, i8} {
		// A squeeze-and-excitation scale, one value per item and channel:
		// on NCHW data (a graph input, which stays channels-first) and
		// on a convolution's NHWC output.
		b := NewBuilder("se", 5)
		xs, xz := in8(dt)
		x := b.QDQ(b.Input(2, 4, 3, 5), xs, xz, dt)
		s1 := b.QDQ(b.Input(2, 4, 1, 1), 0.01, xz+3, dt)
		p1 := b.QDQ(b.Op(&ir.Mul{}, x, s1), 0.007, xz, dt)
		w, ws := b.Weight(i8, 0, 8, 4, 3, 3)
		c := b.QDQ(b.Op(&ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}}, x, w, b.Bias(8, xs, ws)), 0.02, xz, dt)
		s2 := b.QDQ(b.Input(2, 8, 1, 1), 0.01, xz-2, dt)
		p2 := b.QDQ(b.Op(&ir.Mul{}, s2, c), 0.009, xz, dt)
		add(Case{Name: "mul per channel " + dt.String(), Graph: b.Out(p1, p2), Ops: []string{"QLinearMul", "QLinearConv"}, NotOps: []string{"Mul", "Conv"}, Step: 0.02})
	}
	for _, dt := range []ir.DType{u8, i8} {
		b := NewBuilder("pools", 5)
		xs, xz := in8(dt)
		x := b.QDQ(b.Input(1, 3, 8, 8), xs, xz, dt)
		mp := b.QDQ(b.Op(&ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}}, x), xs, xz, dt)
		mp2 := b.QDQ(b.Op(&ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, mp), 0.02, xz/2, dt)
		add(Case{Name: "max pools " + dt.String(), Graph: b.Out(mp2), Ops: []string{"QMaxPool", "QLookup"}, NotOps: []string{"MaxPool"}, Exact: true})
		b = NewBuilder("avg", 6)
		x = b.QDQ(b.Input(1, 3, 8, 8), xs, xz, dt)
		ap := b.QDQ(b.Op(&ir.AveragePool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}}, x), 0.005, xz, dt)
		gp := b.QDQ(b.Op(&ir.GlobalAveragePool{}, x), 0.002, xz, dt)
		add(Case{Name: "average pools " + dt.String(), Graph: b.Out(ap, gp), Ops: []string{"QLinearAveragePool", "QLinearGlobalAveragePool"}, NotOps: []string{"AveragePool", "GlobalAveragePool"}, Step: 0.005})
	}
	{
		b := NewBuilder("concat", 7)
		x1 := b.QDQ(b.Input(1, 2, 4, 4), 1/127.5, 128, u8)
		x2 := b.QDQ(b.Input(1, 3, 4, 4), 0.02, 100, u8)
		c := b.QDQ(b.Op(&ir.Concat{Axis: 1}, x1, x2, x1), 0.01, 128, u8)
		add(Case{Name: "concat", Graph: b.Out(c), Ops: []string{"QLinearConcat"}, NotOps: []string{"Concat"}, Exact: true})
	}
	for _, act := range []ir.Op{&ir.Sigmoid{}, &ir.LeakyRelu{Alpha: 0.1}, &ir.HardSwish{}, &ir.Tanh{}, &ir.Relu{}} {
		b := NewBuilder("act", 8)
		x := b.QDQ(b.Input(1, 3, 4, 4), 1/50.0, 128, u8)
		y := b.QDQ(b.Op(act, x), 1/255.0, 64, u8)
		add(Case{Name: "lookup " + act.OpType(), Graph: b.Out(y), Ops: []string{"QLookup"}, NotOps: []string{act.OpType()}, Exact: true})
	}
	{
		b := NewBuilder("views", 9)
		x := b.QDQ(b.Input(1, 3, 4, 4), 1/127.5, 0, i8)
		t := b.QDQ(b.Op(&ir.Transpose{Perm: []int{0, 2, 3, 1}}, x), 1/127.5, 0, i8)
		f := b.QDQ(b.Op(&ir.Flatten{Axis: 1}, t), 1/127.5, 0, i8)
		add(Case{Name: "transpose flatten", Graph: b.Out(f), Ops: []string{"Transpose", "Flatten"}, Exact: true})
	}
	for _, dt := range []ir.DType{u8, i8} {
		b := NewBuilder("pad", 12)
		xs, xz := in8(dt)
		x := b.QDQ(b.Input(1, 2, 4, 4), xs, xz, dt)
		p1 := b.QDQ(b.Op(&ir.Pad{Pads: []int{0, 0, 1, 2, 0, 0, 2, 1}, Mode: ir.PadConstant, Value: 0.25}, x), xs, xz, dt)
		p2 := b.QDQ(b.Op(&ir.Pad{Pads: []int{0, 0, 1, 1, 0, 0, 1, 1}, Mode: ir.PadConstant}, p1), 0.02, xz/2, dt)
		p3 := b.QDQ(b.Op(&ir.Pad{Pads: []int{0, 0, 1, 1, 0, 0, 1, 1}, Mode: ir.PadReflect}, p2), 0.02, xz/2, dt)
		add(Case{Name: "pads " + dt.String(), Graph: b.Out(p3), Ops: []string{"Pad", "QLookup"}, Exact: true})
	}
	{
		// Softmax has no integer kernel: its DequantizeLinear and
		// QuantizeLinear stay, around the float op.
		b := NewBuilder("softmax", 10)
		x := b.QDQ(b.Input(2, 10), 1/127.5, 128, u8)
		y := b.QDQ(b.Op(&ir.Softmax{Axis: 1}, x), 1/256.0, 0, u8)
		add(Case{Name: "softmax keeps its float path", Graph: b.Out(y), Ops: []string{"Softmax", "QuantizeLinear", "DequantizeLinear"}, Exact: true})
	}
	for _, batch := range []int{1, ir.Batch} {
		// A small CNN, all in integers from the first QuantizeLinear to
		// the last DequantizeLinear.
		b := NewBuilder("cnn", 11)
		x := b.QDQ(b.Input(batch, 3, 16, 16), 1/127.5, 128, u8)
		w1, ws1 := b.Weight(i8, 0, 8, 3, 3, 3)
		c1 := b.QDQ(b.Op(&ir.Relu{}, b.Op(&ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}}, x, w1, b.Bias(8, 1/127.5, ws1))), 0.01, 0, u8)
		p1 := b.QDQ(b.Op(&ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, c1), 0.01, 0, u8)
		w2, ws2 := b.Weight(i8, 0, 8, 1, 3, 3)
		c2 := b.QDQ(b.Op(&ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: 8}, p1, w2, b.Bias(8, 0.01, ws2)), 0.01, 128, u8)
		r := b.QDQ(b.Op(&ir.Add{}, c2, p1), 0.015, 100, u8)
		g := b.QDQ(b.Op(&ir.GlobalAveragePool{}, r), 0.01, 100, u8)
		f := b.QDQ(b.Op(&ir.Flatten{Axis: 1}, g), 0.01, 100, u8)
		w3, ws3 := b.Weight(i8, 0, 10, 8)
		y := b.QDQ(b.Op(&ir.Gemm{TransB: true, Alpha: 1, Beta: 1}, f, w3, b.Bias(10, 0.01, ws3)), 0.02, 128, u8)
		name := "small cnn"
		if batch == ir.Batch {
			name += " batched"
		}
		add(Case{Name: name, Graph: b.Out(y), Ops: []string{"QLinearConv", "QMaxPool", "QLinearAdd", "QLinearGlobalAveragePool", "QLinearMatMul"},
			NotOps: []string{"Conv", "MaxPool", "Add", "Gemm", "GlobalAveragePool"}, Step: 0.02})
	}
	{
		// Large early activations: a batched model runs its front item by
		// item, on a region every item reuses.
		b := NewBuilder("front", 13)
		x := b.QDQ(b.Input(ir.Batch, 3, 96, 96), 1/127.5, 128, u8)
		w, ws := b.Weight(i8, 0, 8, 3, 3, 3)
		c := b.QDQ(b.Op(&ir.Relu{}, b.Op(&ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}}, x, w, b.Bias(8, 1/127.5, ws))), 0.01, 0, u8)
		p := b.QDQ(b.Op(&ir.MaxPool{Window: ir.Window{Kernel: []int{4, 4}, Strides: []int{4, 4}}}, c), 0.01, 0, u8)
		g := b.QDQ(b.Op(&ir.GlobalAveragePool{}, p), 0.005, 0, u8)
		add(Case{Name: "batched with a front", Graph: b.Out(g), Ops: []string{"QLinearConv", "QMaxPool", "QLinearGlobalAveragePool"}, Step: 0.005})
	}
	return cs
}

// Steps counts the elements of got that differ from want, and the largest
// difference, in units of step (one quantization step of the output).
func Steps(got, want *ir.Tensor, step float64) (n int, most float64) {
	for i := 0; i < got.Len() && i < want.Len(); i++ {
		d := math.Abs(got.Float(i)-want.Float(i)) / step
		if d > 1e-3 {
			n++
		}
		most = max(most, d)
	}
	return n, most
}
