package codegen_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/ir"
)

// rowsBuilder makes graphs of the patterns whose values the memory plan
// puts inside wider ones' memory, with random weights.
type rowsBuilder struct {
	g   *ir.Graph
	rng *rand.Rand
	k   int
}

func newRows(name string, batch, c, hw int) (*rowsBuilder, *ir.Value) {
	b := &rowsBuilder{g: ir.NewGraph(name), rng: rand.New(rand.NewPCG(uint64(len(name)), 7))}
	return b, b.g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{batch, c, hw, hw}})
}

func (b *rowsBuilder) konst(shape ...int) *ir.Value {
	t := ir.Zeros(ir.Float32, ir.Shape(shape))
	for i := range t.Floats {
		t.Floats[i] = b.rng.Float64() - 0.5
	}
	b.k++
	return ir.NewConst(fmt.Sprintf("k%d", b.k), t)
}

func (b *rowsBuilder) name(op string) string { b.k++; return fmt.Sprintf("%s%d", op, b.k) }

// conv is a k x k "same" convolution with bias and ReLU; group 0 means
// depthwise.
func (b *rowsBuilder) conv(x *ir.Value, cin, cout, k, group int) *ir.Value {
	if group == 0 {
		group = cin
	}
	p := k / 2
	c := b.g.Apply(b.name("conv"), &ir.Conv{Window: ir.Window{Pads: []int{p, p, p, p}}, Group: group}, x, b.konst(cout, cin/group, k, k), b.konst(cout))
	return b.g.Apply(b.name("relu"), &ir.Relu{}, c)
}

func (b *rowsBuilder) bnRelu(x *ir.Value, c int) *ir.Value {
	v := b.konst(c)
	for i := range v.Const.Floats {
		v.Const.Floats[i] = v.Const.Floats[i] + 1
	}
	bn := b.g.Apply(b.name("bn"), &ir.BatchNormalization{Epsilon: 1e-5}, x, b.konst(c), b.konst(c), b.konst(c), v)
	return b.g.Apply(b.name("relu"), &ir.Relu{}, bn)
}

func (b *rowsBuilder) cat(xs ...*ir.Value) *ir.Value {
	return b.g.Apply(b.name("cat"), &ir.Concat{Axis: 1}, xs...)
}

func (b *rowsBuilder) done(outs ...*ir.Value) *ir.Graph {
	b.g.Outputs = outs
	return b.g
}

// denseBlock is DenseNet's pattern: every layer reads the Concat of the
// block's input and all earlier layers' outputs, after a BatchNorm and
// ReLU that cannot fold; the block's input comes from a pool.
func denseBlock(batch int) *ir.Graph {
	b, x := newRows(fmt.Sprintf("dense%d", max(batch, 0)), batch, 3, 10)
	stem := b.conv(x, 3, 8, 3, 1)
	x0 := b.g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, stem)
	feats, c := []*ir.Value{x0}, 8
	for range 4 {
		in := x0
		if len(feats) > 1 {
			in = b.cat(feats...)
		}
		h := b.conv(b.bnRelu(in, c), c, 12, 1, 1)
		feats = append(feats, b.conv(h, 12, 4, 3, 1))
		c += 4
	}
	out := b.bnRelu(b.cat(feats...), c)
	avg := b.g.Apply("avg", &ir.AveragePool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, out)
	return b.done(avg)
}

// inception joins branches of every kernel (im2col, 1x1 GEMM, Winograd,
// depthwise, max pool) and then joins that join with another branch
// (a Concat nested in a Concat), read by a convolution of its own.
func inception(batch int) *ir.Graph {
	b, x := newRows(fmt.Sprintf("inception%d", max(batch, 0)), batch, 16, 12)
	b1 := b.conv(x, 16, 8, 1, 1)
	b2 := b.conv(b.conv(x, 16, 8, 1, 1), 8, 24, 3, 1) // Winograd-sized
	b3 := b.conv(x, 16, 6, 5, 2)
	b4 := b.conv(x, 16, 16, 3, 0)
	b5 := b.g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}}}, x)
	inner := b.cat(b1, b2, b3, b4, b5)
	outer := b.cat(inner, b.conv(x, 16, 4, 3, 1))
	return b.done(b.conv(outer, 74, 10, 3, 1), b.conv(inner, 70, 5, 1, 1))
}

// shuffle is ShuffleNet's unit: split the channels in two, transform one
// half, join them and shuffle; the halves are column slices.
func shuffle(batch int) *ir.Graph {
	b, x := newRows(fmt.Sprintf("shuffle%d", max(batch, 0)), batch, 8, 9)
	y := b.conv(x, 8, 16, 3, 1)
	for range 2 {
		half1 := b.g.Apply(b.name("slice"), &ir.Slice{Starts: []int64{0}, Ends: []int64{8}, Axes: []int64{1}}, y)
		half2 := b.g.Apply(b.name("slice"), &ir.Slice{Starts: []int64{8}, Ends: []int64{16}, Axes: []int64{1}}, y)
		t := b.conv(b.conv(b.conv(half2, 8, 8, 1, 1), 8, 8, 3, 0), 8, 8, 1, 1)
		y = b.g.Apply(b.name("shuffle"), &ir.ChannelShuffle{Groups: 2}, b.cat(half1, t))
	}
	// A slice read by a Winograd convolution (which takes whole rows) and
	// one that is a graph output: both copied.
	s := b.g.Apply("slice_w", &ir.Slice{Starts: []int64{2}, Ends: []int64{14}, Axes: []int64{1}}, y)
	out := b.g.Apply("slice_out", &ir.Slice{Starts: []int64{1}, Ends: []int64{3}, Axes: []int64{1}}, y)
	return b.done(b.conv(s, 12, 12, 3, 1), out)
}

// optimized types g and returns a copy of it after the code generator's
// passes.
func optimized(t *testing.T, g *ir.Graph) *ir.Graph {
	t.Helper()
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	m, err := compiler.FromGraph(g.Clone())
	if err != nil {
		t.Fatal(err)
	}
	cg, err := m.Optimize(compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cg
}

// TestValuesInsideOthers runs the patterns whose Concats the memory plan
// does in place and whose channel slices it reads where they lie, with a
// fixed batch of one and of two and a symbolic batch (whose forward pass
// runs the convolutions over all the items at once), against the
// reference evaluator, and checks that the plan did put values inside
// others.
func TestValuesInsideOthers(t *testing.T) {
	var graphs []*ir.Graph
	for _, batch := range []int{1, 2, ir.Batch} {
		graphs = append(graphs, denseBlock(batch), inception(batch), shuffle(batch))
	}
	for _, g := range graphs {
		if cg := optimized(t, g); len(cg.Plan.In) == 0 {
			t.Errorf("%s: no value was placed inside another", g.Name)
		}
	}
	goMatchesRefBatched(t, graphs)
}
