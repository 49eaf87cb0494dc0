package eval_test

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// dense builds input [N, 2, 3] -> Reshape [N, 6] -> Gemm (6 -> 2) ->
// Softmax, the batch dimension symbolic throughout.
func dense() *ir.Graph {
	g := ir.NewGraph("dense")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2, 3}})
	r := g.Apply("flat", &ir.Reshape{Shape: []int64{ir.ReshapeBatch, 6}}, x)
	w := ir.NewConst("w", f32(ir.Shape{6, 2}, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1))
	b := ir.NewConst("b", f32(ir.Shape{2}, 0.5, -0.5))
	d := g.Apply("dense", &ir.Gemm{Alpha: 1, Beta: 1}, r, w, b)
	g.Outputs = []*ir.Value{g.Apply("softmax", &ir.Softmax{Axis: -1}, d)}
	return g
}

func TestRunValidatesInputs(t *testing.T) {
	g := dense()
	good := f32(ir.Shape{1, 2, 3}, seq(6, 0, 1)...)
	tests := []struct {
		name string
		in   []*ir.Tensor
		want []string
	}{
		{"no tensors", nil, []string{"1 inputs, got 0"}},
		{"two tensors", []*ir.Tensor{good, good}, []string{"1 inputs, got 2"}},
		{"nil tensor", []*ir.Tensor{nil}, []string{`"x"`, "nil"}},
		{"wrong type", []*ir.Tensor{ir.NewFloatTensor(ir.Float64, ir.Shape{1, 2, 3}, seq(6, 0, 1))}, []string{"f64", "f32[N,2,3]"}},
		{"wrong rank", []*ir.Tensor{f32(ir.Shape{6}, seq(6, 0, 1)...)}, []string{"rank 1", "rank 3"}},
		{"wrong dimension", []*ir.Tensor{f32(ir.Shape{2, 3, 2}, seq(12, 0, 1)...)}, []string{"[2,3,2]", "dimension 1 differs"}},
		{"short data", []*ir.Tensor{f32(ir.Shape{1, 2, 3}, 1, 2, 3)}, []string{"holds 3 float elements, want 6"}},
		{"long data", []*ir.Tensor{f32(ir.Shape{1, 2, 3}, seq(7, 0, 1)...)}, []string{"holds 7 float elements"}},
		{"ints for floats", []*ir.Tensor{{DType: ir.Float32, Shape: ir.Shape{1, 2, 3}, Ints: make([]int64, 6)}}, []string{"holds 0 float elements"}},
		{"negative batch", []*ir.Tensor{f32(ir.Shape{-1, 2, 3})}, []string{"negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eval.Run(g, tc.in)
			errContains(t, err, tc.want...)
		})
	}
	if _, err := eval.Run(nil, nil); err == nil {
		t.Error("nil graph: no error")
	}
	untyped := ir.NewGraph("untyped")
	untyped.AddInput("x", ir.Type{})
	_, err := eval.Run(untyped, []*ir.Tensor{good})
	errContains(t, err, "no type")
}

func TestRunBatch(t *testing.T) {
	g := dense()
	rng := rand.New(rand.NewSource(8))
	x := random(rng, 3, 2, 3)
	outs, err := eval.Run(g, []*ir.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	y := outs[0]
	expectShape(t, y, ir.Shape{3, 2})
	// Each batch item alone gives its own row; by hand, logits are
	// (x0+x2+x4+0.5, x1+x3+x5-0.5).
	for n := range 3 {
		item := f32(ir.Shape{1, 2, 3}, x.Floats[n*6:(n+1)*6]...)
		one, err := eval.Run(g, []*ir.Tensor{item})
		if err != nil {
			t.Fatal(err)
		}
		expectSame(t, one[0], f32(ir.Shape{1, 2}, y.Floats[n*2:(n+1)*2]...), 0)
		v := item.Floats
		l0, l1 := v[0]+v[2]+v[4]+0.5, v[1]+v[3]+v[5]-0.5
		p0 := math.Exp(l0) / (math.Exp(l0) + math.Exp(l1))
		expectTol(t, one[0], ir.Shape{1, 2}, []float64{p0, 1 - p0}, 1e-14)
	}
	// An empty batch is a valid, empty result.
	outs, err = eval.Run(g, []*ir.Tensor{f32(ir.Shape{0, 2, 3})})
	if err != nil {
		t.Fatal(err)
	}
	expectShape(t, outs[0], ir.Shape{0, 2})
}

// keras builds the tutorial's MNIST-style stack in NHWC, as the DSL does:
// Conv2D(4, 3x3, same, relu) -> MaxPooling2D(2) -> Flatten -> Dense(3) ->
// Softmax.
func keras(rng *rand.Rand) *ir.Graph {
	g := ir.NewGraph("keras")
	x := g.AddInput("input", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 6, 6, 1}, Layout: ir.NHWC})
	c := g.Apply("conv2d", &ir.Conv{Window: ir.Window{Kernel: []int{3, 3}, AutoPad: ir.PadSameUpper}, Layout: ir.NHWC, Activation: &ir.Relu{}},
		x, ir.NewConst("conv2d/kernel", random(rng, 4, 1, 3, 3)), ir.NewConst("conv2d/bias", random(rng, 4)))
	p := g.Apply("max_pooling2d", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, Layout: ir.NHWC}, c)
	f := g.Apply("flatten", &ir.Flatten{Axis: 1}, p)
	d := g.Apply("dense", &ir.Gemm{Alpha: 1, Beta: 1}, f, ir.NewConst("dense/kernel", random(rng, 36, 3)), ir.NewConst("dense/bias", random(rng, 3)))
	g.Outputs = []*ir.Value{g.Apply("softmax", &ir.Softmax{Axis: -1}, d)}
	return g
}

func TestRunAfterInferShapes(t *testing.T) {
	shaped := keras(rand.New(rand.NewSource(9)))
	if err := shaped.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := shaped.Verify(); err != nil {
		t.Fatal(err)
	}
	if got := shaped.Outputs[0].Type; !got.Shape.Equal(ir.Shape{ir.Batch, 3}) {
		t.Fatalf("inferred output type %v", got)
	}
	raw := keras(rand.New(rand.NewSource(9))) // same weights, no inference
	x := random(rand.New(rand.NewSource(10)), 2, 6, 6, 1)
	a, err := eval.Run(shaped, []*ir.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	b, err := eval.Run(raw, []*ir.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	expectSame(t, a[0], b[0], 0)
	for n := range 2 {
		if s := a[0].Floats[n*3] + a[0].Floats[n*3+1] + a[0].Floats[n*3+2]; math.Abs(s-1) > 1e-12 {
			t.Errorf("softmax row %d sums to %v", n, s)
		}
	}

	// The conv layer alone, checked against the reference convolution
	// (SAME_UPPER with a 3x3 kernel and stride 1 pads 1 on each side).
	conv := shaped.Nodes[0]
	outs, err := eval.Node(conv, []*ir.Tensor{x, conv.Inputs[1].Const, conv.Inputs[2].Const})
	if err != nil {
		t.Fatal(err)
	}
	want := refConv(channelsFirst(x), conv.Inputs[1].Const, conv.Inputs[2].Const, []int{1, 1}, []int{1, 1, 1, 1}, []int{1, 1}, 1)
	for i, v := range want.Floats {
		want.Floats[i] = math.Max(v, 0)
	}
	expectSame(t, channelsFirst(outs[0]), want, 1e-12)

	// A recorded type that evaluation contradicts is reported.
	shaped.Nodes[1].Outputs[0].Shape = ir.Shape{ir.Batch, 2, 2, 4}
	_, err = eval.Run(shaped, []*ir.Tensor{x})
	errContains(t, err, `node "max_pooling2d" (MaxPool)`, "recorded as")
}

func TestRunOutputs(t *testing.T) {
	g := ir.NewGraph("outs")
	x := g.AddInput("x", ir.Type{DType: ir.Int64, Shape: ir.Shape{2}})
	k := ir.NewConst("k", ints(ir.Int64, ir.Shape{2}, 7, 8))
	s := g.Apply("sum", &ir.Add{}, x, k)
	g.Outputs = []*ir.Value{k, x, s, s}
	in := ints(ir.Int64, ir.Shape{2}, 1, 2)
	outs, err := eval.Run(g, []*ir.Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, outs[0], ir.Int64, ir.Shape{2}, []int64{7, 8})
	expectInts(t, outs[1], ir.Int64, ir.Shape{2}, []int64{1, 2})
	expectInts(t, outs[2], ir.Int64, ir.Shape{2}, []int64{8, 10})
	expectInts(t, outs[3], ir.Int64, ir.Shape{2}, []int64{8, 10})
	// Results are the caller's: writing them changes neither the
	// constant, nor the input, nor another result.
	outs[0].Ints[0], outs[1].Ints[0], outs[2].Ints[0] = -1, -1, -1
	if k.Const.Ints[0] != 7 || in.Ints[0] != 1 || outs[3].Ints[0] != 8 {
		t.Fatal("a result shares memory with a constant, an input or another result")
	}

	// A graph of constants only.
	c := ir.NewGraph("const")
	c.Outputs = []*ir.Value{c.Apply("two", &ir.Mul{}, ir.NewConst("a", f32(ir.Shape{}, 2)), ir.NewConst("b", f32(ir.Shape{}, 3)))}
	outs, err = eval.Run(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, outs[0], ir.Shape{}, []float64{6})

	// Dropout's mask as a graph output.
	d := ir.NewGraph("dropout")
	dx := d.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2}})
	dn := d.AddNode("drop", &ir.Dropout{Ratio: 0.3}, []*ir.Value{dx}, 2)
	d.Outputs = dn.Outputs
	outs, err = eval.Run(d, []*ir.Tensor{f32(ir.Shape{1, 2}, 3, 4)})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, outs[0], ir.Shape{1, 2}, []float64{3, 4})
	expectInts(t, outs[1], ir.Bool, ir.Shape{1, 2}, []int64{1, 1})
}

// fakeOp is an op type eval does not know.
type fakeOp struct{}

func (*fakeOp) OpType() string                        { return "Fake" }
func (*fakeOp) Infer(in []ir.Type) ([]ir.Type, error) { return in[:1], nil }

func TestRunErrors(t *testing.T) {
	mk := func() (*ir.Graph, *ir.Value) {
		g := ir.NewGraph("g")
		return g, g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2}})
	}
	x := f32(ir.Shape{1, 2}, 1, 2)

	g, in := mk()
	r := g.Apply("relu", &ir.Relu{}, in)
	g.Outputs = []*ir.Value{g.Apply("mystery", &fakeOp{}, r)}
	_, err := eval.Run(g, []*ir.Tensor{x})
	errContains(t, err, `node "mystery" (Fake)`, "does not support", `"Fake"`)
	_, err = eval.Node(g.Nodes[1], []*ir.Tensor{x})
	errContains(t, err, `node "mystery" (Fake)`, "does not support")

	// Nodes out of order: relu reads a value computed after it.
	g, in = mk()
	neg := g.AddNode("neg", &ir.Neg{}, []*ir.Value{in}, 1)
	relu := g.AddNode("relu", &ir.Relu{}, []*ir.Value{neg.Outputs[0]}, 1)
	g.Nodes[0], g.Nodes[1] = relu, neg
	g.Outputs = relu.Outputs
	_, err = eval.Run(g, []*ir.Tensor{x})
	errContains(t, err, `node "relu" (Relu)`, `"neg"`, "not computed")

	// A shape error inside the graph, wrapped with the node's name.
	g, in = mk()
	g.Outputs = []*ir.Value{g.Apply("add", &ir.Add{}, in, ir.NewConst("c", f32(ir.Shape{3}, 1, 2, 3)))}
	_, err = eval.Run(g, []*ir.Tensor{x})
	errContains(t, err, `node "add" (Add)`, "broadcast")
	var se *ir.ShapeError
	if !errors.As(err, &se) {
		t.Errorf("error %v does not wrap the *ir.ShapeError", err)
	}

	// A bad constant.
	g, in = mk()
	g.Outputs = []*ir.Value{g.Apply("add", &ir.Add{}, in, ir.NewConst("c", f32(ir.Shape{2}, 1)))}
	_, err = eval.Run(g, []*ir.Tensor{x})
	errContains(t, err, `node "add" (Add)`, "holds 1 float elements")

	// Two batch inputs of different sizes.
	g = ir.NewGraph("two")
	a := g.AddInput("a", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2}})
	b := g.AddInput("b", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2}})
	g.Outputs = []*ir.Value{g.Apply("add", &ir.Add{}, a, b)}
	_, err = eval.Run(g, []*ir.Tensor{x, f32(ir.Shape{2, 2}, 1, 2, 3, 4)})
	errContains(t, err, "batch size")

	// Nil op, typed-nil op, nil node, nil graph output.
	_, err = eval.Node(&ir.Node{Name: "empty"}, nil)
	errContains(t, err, `node "empty"`, "no op")
	_, err = eval.Node(&ir.Node{Name: "nilconv", Op: (*ir.Conv)(nil)}, []*ir.Tensor{x})
	errContains(t, err, `node "nilconv"`, "no op")
	if _, err := eval.Node(nil, nil); err == nil {
		t.Error("nil node: no error")
	}
	g, _ = mk()
	g.Outputs = []*ir.Value{nil}
	_, err = eval.Run(g, []*ir.Tensor{x})
	errContains(t, err, "output 0 is nil")
	g, _ = mk()
	g.Outputs = []*ir.Value{{Name: "ghost"}}
	_, err = eval.Run(g, []*ir.Tensor{x})
	errContains(t, err, `"ghost"`, "never computed")

	// A missing required input (nil tensor where the node has a value).
	_, err = eval.Node(nodeOf(&ir.Conv{}, 1, x, nil), []*ir.Tensor{f32(ir.Shape{1, 1, 2, 2}, 1, 2, 3, 4), nil})
	errContains(t, err, "Conv")

	// Too few tensors for the node's outputs: Relu on nothing.
	_, err = eval.Node(nodeOf(&ir.Relu{}, 1), nil)
	errContains(t, err, "Relu needs 1 inputs")
}

// TestNodeBatchHint checks that Node treats dimension 0 as the batch
// dimension where the node's input value says so, which a Reshape to
// [ReshapeBatch, ...] needs.
func TestNodeBatchHint(t *testing.T) {
	g := ir.NewGraph("g")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2, 2}})
	n := g.AddNode("flat", &ir.Reshape{Shape: []int64{ir.ReshapeBatch, 4}}, []*ir.Value{x}, 1)
	outs, err := eval.Node(n, []*ir.Tensor{f32(ir.Shape{3, 2, 2}, seq(12, 0, 1)...)})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, outs[0], ir.Shape{3, 4}, seq(12, 0, 1))
	// Without the hint (a constant input) the same op has no batch
	// dimension to keep, which its shape rule rejects.
	_, err = eval.Node(nodeOf(&ir.Reshape{Shape: []int64{ir.ReshapeBatch, 4}}, 1, f32(ir.Shape{3, 2, 2})), []*ir.Tensor{f32(ir.Shape{3, 2, 2}, seq(12, 0, 1)...)})
	errContains(t, err, "batch")
}

// TestNoPanics feeds malformed tensors and attributes to every kernel;
// each must fail with an error or succeed, never panic.
func TestNoPanics(t *testing.T) {
	bad := []*ir.Tensor{
		nil,
		{DType: ir.Float32, Shape: ir.Shape{2, 2}, Floats: []float64{1}},
		{DType: ir.Float32, Shape: ir.Shape{-1, 2}},
		{DType: ir.Int32, Shape: ir.Shape{2}, Floats: []float64{1, 2}},
		{DType: ir.Invalid, Shape: ir.Shape{1}},
		f32(ir.Shape{1, 1, 1, 1}, 1),
		f32(ir.Shape{}, 1),
		ints(ir.Int64, ir.Shape{1}, 5),
	}
	ops := []ir.Op{
		&ir.Conv{}, &ir.Conv{Window: ir.Window{Kernel: []int{5, 5}}}, &ir.ConvTranspose{}, &ir.MaxPool{Window: ir.Window{Kernel: []int{2}}},
		&ir.AveragePool{}, &ir.GlobalMaxPool{}, &ir.GlobalAveragePool{}, &ir.BatchNormalization{}, &ir.InstanceNormalization{},
		&ir.LRN{Size: 1}, &ir.Gemm{}, &ir.MatMul{}, &ir.Softmax{Axis: 5}, &ir.LogSoftmax{}, &ir.ReduceMean{Reduce: ir.Reduce{Axes: []int{7}}},
		&ir.Reshape{Shape: []int64{-1, -1}}, &ir.Flatten{Axis: 9}, &ir.Squeeze{Axes: []int{3}}, &ir.Unsqueeze{Axes: []int{0, 0}},
		&ir.Transpose{Perm: []int{1}}, &ir.Concat{Axis: 3}, &ir.Pad{Pads: []int{1}}, &ir.Slice{Starts: []int64{0}, Ends: []int64{}},
		&ir.Gather{Axis: 2}, &ir.ShapeOf{}, &ir.Cast{}, &ir.Dropout{}, &ir.Where{}, &ir.PRelu{}, &ir.Relu{}, &ir.Add{}, &ir.Div{}, &ir.Pow{},
		&ir.Max{}, &ir.Mean{}, &ir.Equal{},
	}
	for _, op := range ops {
		for i, a := range bad {
			for j, b := range bad {
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("%s on bad tensors %d, %d panics: %v", op.OpType(), i, j, r)
						}
					}()
					_, err := eval.Node(nodeOf(op, 1, a, b), []*ir.Tensor{a, b})
					if err != nil && strings.Contains(err.Error(), "internal error") {
						t.Errorf("%s on bad tensors %d, %d: %v", op.OpType(), i, j, err)
					}
				}()
			}
		}
	}
}

func TestNodeInputMatching(t *testing.T) {
	x := f32(ir.Shape{1, 1, 2, 2}, 1, 2, 3, 4)
	w := f32(ir.Shape{1, 1, 1, 1}, 2)
	n := nodeOf(&ir.Conv{}, 1, x, w)
	_, err := eval.Node(n, []*ir.Tensor{x})
	errContains(t, err, `node "n" (Conv)`, "2 inputs, got 1 tensors")
	_, err = eval.Node(n, []*ir.Tensor{x, nil})
	errContains(t, err, "input 1", "omitted")
	_, err = eval.Node(nodeOf(&ir.Conv{}, 1, x, w, nil), []*ir.Tensor{x, w, f32(ir.Shape{1}, 1)})
	errContains(t, err, "input 2", "omitted")
	// A bare node takes the tensors as they come.
	outs, err := eval.Node(&ir.Node{Name: "bare", Op: &ir.Conv{}, Outputs: []*ir.Value{{}}}, []*ir.Tensor{x, w})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, outs[0], ir.Shape{1, 1, 2, 2}, []float64{2, 4, 6, 8})
	_, err = eval.Node(nodeOf(&ir.ConvTranspose{}, 1, x, w), []*ir.Tensor{x, ints(ir.Int8, ir.Shape{1, 1, 1, 1}, 2)})
	errContains(t, err, "ConvTranspose", "input 1 is i8")
}
