package passes

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

func randTensor(rng *rand.Rand, shape ...int) *ir.Tensor {
	t := ir.Zeros(ir.Float32, ir.Shape(shape))
	for i := range t.Floats {
		t.Floats[i] = rng.Float64()*2 - 1
	}
	return t
}

func constant(rng *rand.Rand, name string, shape ...int) *ir.Value {
	return ir.NewConst(name, randTensor(rng, shape...))
}

// runBoth evaluates g, applies the passes, checks the graph, evaluates it
// again on the same inputs and requires the same outputs: a pass must
// never change what the model computes.
func runBoth(t *testing.T, g *ir.Graph, ps ...func(*ir.Graph) error) {
	t.Helper()
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]*ir.Tensor, len(g.Inputs))
	for i, v := range g.Inputs {
		shape := v.Shape.Clone()
		if shape[0] == ir.Batch {
			shape[0] = 2
		}
		in[i] = randTensor(rng, shape...)
	}
	before, err := eval.Run(g, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := p(g); err != nil {
			t.Fatal(err)
		}
		if err := g.Verify(); err != nil {
			t.Fatalf("invalid graph after a pass: %v\n%s", err, g)
		}
	}
	after, err := eval.Run(g, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, g)
	}
	for i := range before {
		if !before[i].Shape.Equal(after[i].Shape) {
			t.Fatalf("output %d shape %v became %v", i, before[i].Shape, after[i].Shape)
		}
		for j := range before[i].Floats {
			b, a := before[i].Floats[j], after[i].Floats[j]
			// Folded constants are rounded to float32, as the model declares.
			if math.Abs(a-b) > 1e-6*(1+math.Abs(b)) {
				t.Fatalf("output %d[%d] changed from %g to %g\n%s", i, j, b, a, g)
			}
		}
	}
}

func ops(g *ir.Graph) string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.Op.OpType())
	}
	return strings.Join(s, " ")
}

func TestRemoveIdentityAndFoldConstants(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 4}})
	sum := g.Apply("c", &ir.Add{}, constant(rng, "a", 4), constant(rng, "b", 4))
	id := g.Apply("id", &ir.Identity{}, x)
	d := g.Apply("drop", &ir.Dropout{Ratio: 0.5}, id)
	g.Outputs = []*ir.Value{g.Apply("y", &ir.Mul{}, d, sum)}
	runBoth(t, g, RemoveIdentity, FoldConstants)
	if got := ops(g); got != "Mul" {
		t.Errorf("ops after: %s", got)
	}
	if !g.Nodes[0].Inputs[1].IsConst() {
		t.Error("the constant Add was not folded")
	}
}

// Ops that pass their input through for some attributes go; the same ops
// doing work stay.
func TestRemovePassThrough(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 4, 3}})
	one := g.Apply("cat1", &ir.Concat{Axis: 1}, x)
	pad0 := g.Apply("pad0", &ir.Pad{Pads: make([]int, 6)}, one)
	same := g.Apply("cast", &ir.Cast{To: ir.Float32}, pad0)
	pad := g.Apply("pad", &ir.Pad{Pads: []int{0, 1, 0, 0, 0, 1}}, same)
	cat := g.Apply("cat2", &ir.Concat{Axis: 2}, pad, g.Apply("neg", &ir.Neg{}, pad))
	g.Outputs = []*ir.Value{g.Apply("y", &ir.Mul{}, cat, constant(rng, "k", 8))}
	runBoth(t, g, RemoveIdentity)
	if got := ops(g); got != "Pad Neg Concat Mul" {
		t.Errorf("ops after: %s", got)
	}
}

// A BatchNorm that cannot fold into a convolution (DenseNet: BatchNorm,
// ReLU, Conv) takes the ReLU into its own pass.
func TestFuseActivationIntoBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 3, 5, 4}})
	v := randTensor(rng, 3)
	for i := range v.Floats {
		v.Floats[i] = math.Abs(v.Floats[i]) + 0.1
	}
	bn := g.Apply("bn", &ir.BatchNormalization{Epsilon: 1e-5}, x, constant(rng, "s", 3), constant(rng, "beta", 3), constant(rng, "mean", 3), ir.NewConst("var", v))
	r := g.Apply("relu", &ir.Relu{}, bn)
	g.Outputs = []*ir.Value{g.Apply("conv", &ir.Conv{Group: 1}, r, constant(rng, "w", 2, 3, 1, 1))}
	runBoth(t, g, FoldBatchNorm, FuseActivation)
	if got := ops(g); got != "BatchNormalization Conv" {
		t.Fatalf("ops after: %s", got)
	}
	if act := g.Nodes[0].Op.(*ir.BatchNormalization).Activation; act == nil || act.OpType() != "Relu" {
		t.Errorf("BatchNorm activation = %v, want Relu", act)
	}
}

func convGraph(rng *rand.Rand, layout ir.Layout) (*ir.Graph, *ir.Value) {
	g := ir.NewGraph("m")
	shape := ir.Shape{ir.Batch, 3, 9, 7}
	if layout == ir.NHWC {
		shape = ir.Shape{ir.Batch, 9, 7, 3}
	}
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: shape, Layout: layout})
	c := g.Apply("conv", &ir.Conv{Window: ir.Window{Strides: []int{2, 1}, Pads: []int{1, 0, 1, 2}}, Group: 1, Layout: layout}, x, constant(rng, "w", 6, 3, 3, 3), constant(rng, "b", 6))
	return g, c
}

func TestFoldBatchNorm(t *testing.T) {
	for _, layout := range []ir.Layout{ir.NCHW, ir.NHWC} {
		rng := rand.New(rand.NewPCG(5, 6))
		g, c := convGraph(rng, layout)
		v := randTensor(rng, 6)
		for i := range v.Floats {
			v.Floats[i] = math.Abs(v.Floats[i]) + 0.1
		}
		bn := g.Apply("bn", &ir.BatchNormalization{Epsilon: 1e-5, Layout: layout}, c, constant(rng, "s", 6), constant(rng, "beta", 6), constant(rng, "mean", 6), ir.NewConst("var", v))
		g.Outputs = []*ir.Value{bn}
		runBoth(t, g, FoldBatchNorm)
		if got := ops(g); got != "Conv" {
			t.Errorf("%v: ops after: %s", layout, got)
		}
	}
}

func TestFoldBatchNormKeepsSharedConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g, c := convGraph(rng, ir.NCHW)
	bn := g.Apply("bn", &ir.BatchNormalization{Epsilon: 1e-5}, c, constant(rng, "s", 6), constant(rng, "beta", 6), constant(rng, "mean", 6), ir.NewConst("var", ir.NewFloatTensor(ir.Float32, ir.Shape{6}, []float64{1, 2, 3, 4, 5, 6})))
	g.Outputs = []*ir.Value{bn, c}
	runBoth(t, g, FoldBatchNorm)
	if got := ops(g); got != "Conv BatchNormalization" {
		t.Errorf("ops after: %s (the conv's output is also a graph output)", got)
	}
}

func TestFuseBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g, c := convGraph(rng, ir.NCHW)
	// CNTK's export adds the bias as a [C,1,1] constant.
	cb := g.Apply("cbias", &ir.Add{}, constant(rng, "cb", 6, 1, 1), c)
	f := g.Apply("flat", &ir.Flatten{Axis: 1}, cb)
	mm := g.Apply("mm", &ir.MatMul{}, f, constant(rng, "wm", 6*5*7, 4))
	g.Outputs = []*ir.Value{g.Apply("mbias", &ir.Add{}, mm, constant(rng, "mb", 1, 4))}
	runBoth(t, g, FuseBias)
	if got := ops(g); got != "Conv Flatten Gemm" {
		t.Errorf("ops after: %s", got)
	}
	if g.Nodes[2].Input(2) == nil {
		t.Error("the Gemm got no bias")
	}
}

func TestFuseResidualAndActivation(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 4, 6, 6}})
	same := ir.Window{Pads: []int{1, 1, 1, 1}}
	c1 := g.Apply("c1", &ir.Conv{Window: same, Group: 1}, x, constant(rng, "w1", 4, 4, 3, 3))
	r1 := g.Apply("r1", &ir.Relu{}, c1)
	c2 := g.Apply("c2", &ir.Conv{Window: same, Group: 1}, r1, constant(rng, "w2", 4, 4, 3, 3), constant(rng, "b2", 4))
	add := g.Apply("add", &ir.Add{}, c2, x)
	out := g.Apply("r2", &ir.Clip{Min: 0, Max: 6}, add)
	f := g.Apply("flat", &ir.Flatten{Axis: 1}, out)
	d := g.Apply("dense", &ir.Gemm{Alpha: 1, Beta: 1, TransB: true}, f, constant(rng, "wd", 3, 144), constant(rng, "bd", 3))
	g.Outputs = []*ir.Value{g.Apply("sig", &ir.Sigmoid{}, d)}
	runBoth(t, g, FuseResidual, FuseActivation)
	if got := ops(g); got != "Conv Conv Flatten Gemm" {
		t.Fatalf("ops after: %s", got)
	}
	if g.Nodes[1].Input(3) != x {
		t.Error("c2 did not take x as its residual")
	}
	if _, ok := g.Nodes[1].Op.(*ir.Conv).Activation.(*ir.Clip); !ok {
		t.Error("the Clip was not fused after the residual")
	}
	if _, ok := g.Nodes[3].Op.(*ir.Gemm).Activation.(*ir.Sigmoid); !ok {
		t.Error("the Sigmoid was not fused into the Gemm")
	}
}

// The residual goes into the later convolution when both Add inputs come
// from convolutions (ResNet's downsampling shortcut).
func TestFuseResidualPicksLaterConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 2, 5, 5}})
	a := g.Apply("a", &ir.Conv{Group: 1}, x, constant(rng, "wa", 3, 2, 1, 1))
	b := g.Apply("b", &ir.Conv{Group: 1}, x, constant(rng, "wb", 3, 2, 1, 1))
	g.Outputs = []*ir.Value{g.Apply("add", &ir.Add{}, a, b)}
	runBoth(t, g, FuseResidual)
	if got := ops(g); got != "Conv Conv" || g.Nodes[1].Input(3) != g.Nodes[0].Outputs[0] {
		t.Errorf("ops after: %s\n%s", got, g)
	}
}

func TestToNHWC(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	g, c := convGraph(rng, ir.NCHW)
	r := g.Apply("relu", &ir.Relu{}, c)
	p := g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}}, r)
	sc := g.Apply("scale", &ir.Mul{}, p, constant(rng, "k", 6, 1, 1))
	cat := g.Apply("cat", &ir.Concat{Axis: 1}, sc, p)
	f := g.Apply("flat", &ir.Flatten{Axis: 1}, cat)
	d := g.Apply("dense", &ir.Gemm{Alpha: 1, Beta: 1, TransB: true}, f, constant(rng, "wd", 5, 12*2*3))
	g.Outputs = []*ir.Value{d, cat}
	runBoth(t, g, ToNHWC)
	// The input is transposed once, the flattened features reach the Gemm
	// through permuted weights, and only the 4-D graph output goes back.
	if got := ops(g); got != "Transpose Conv Relu MaxPool Mul Concat Flatten Gemm Transpose" {
		t.Errorf("ops after: %s", got)
	}
	if l := g.Nodes[1].Op.(*ir.Conv).Layout; l != ir.NHWC {
		t.Errorf("conv layout %v", l)
	}
}

// Moving a tensor with one channel, or with 1x1 spatial extent, between
// layouts moves no data: a Reshape does it.
func TestToNHWCTrivialTransposesAreReshapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 1, 8, 8}})
	c := g.Apply("conv", &ir.Conv{Group: 1}, x, constant(rng, "w", 4, 1, 3, 3))
	gap := g.Apply("gap", &ir.GlobalAveragePool{}, c)
	g.Outputs = []*ir.Value{gap}
	runBoth(t, g, ToNHWC)
	if got := ops(g); got != "Reshape Conv GlobalAveragePool Reshape" {
		t.Errorf("ops after: %s", got)
	}
}

func TestLift1D(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{2, 3, 11}})
	c := g.Apply("conv", &ir.Conv{Window: ir.Window{Strides: []int{2}, Pads: []int{2, 1}, Dilations: []int{2}}, Group: 1}, x, constant(rng, "w", 4, 3, 3), constant(rng, "b", 4))
	g.Outputs = []*ir.Value{g.Apply("pool", &ir.AveragePool{Window: ir.Window{Kernel: []int{2}, Pads: []int{1, 0}}, CountIncludePad: true}, c)}
	runBoth(t, g, Lift1D, ToNHWC)
	for _, n := range g.Nodes {
		if len(n.Outputs[0].Shape) == 3 && (n.Op.OpType() == "Conv" || n.Op.OpType() == "AveragePool") {
			t.Errorf("%s still runs on rank-3 data", n.Name)
		}
	}
}

// The nodes after a lifted one see its result through a Squeeze, without
// the layout they recorded: the pass infers their types again, so that the
// graph stays valid.
func TestLift1DKeepsGraphValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 2, 6}})
	c := g.Apply("conv", &ir.Conv{Group: 1}, x, constant(rng, "w", 3, 2, 3))
	g.Outputs = []*ir.Value{g.Apply("relu", &ir.Relu{}, c)}
	runBoth(t, g, Lift1D)
}

// Global pools over 1-D data are lifted too (the Go engine has them in 2-D
// only).
func TestLift1DGlobalPools(t *testing.T) {
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 3, 7}})
	a := g.Apply("gap", &ir.GlobalAveragePool{}, x)
	m := g.Apply("gmp", &ir.GlobalMaxPool{}, x)
	g.Outputs = []*ir.Value{g.Apply("sum", &ir.Add{}, a, m)}
	runBoth(t, g, Lift1D, ToNHWC)
	for _, n := range g.Nodes {
		if len(n.Inputs[0].Shape) == 3 && strings.HasPrefix(n.Op.OpType(), "Global") {
			t.Errorf("%s still runs on rank-3 data", n.Name)
		}
	}
}

// The memory plan never lets two values that are live at the same time
// overlap and shares a reshape's memory with its input.
func TestPlanMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	g, c := convGraph(rng, ir.NHWC)
	r := g.Apply("relu", &ir.Relu{}, c)
	c2 := g.Apply("conv2", &ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: 1, Layout: ir.NHWC}, r, constant(rng, "w2", 6, 6, 3, 3))
	sum := g.Apply("sum", &ir.Add{}, c2, r)
	f := g.Apply("flat", &ir.Flatten{Axis: 1}, sum)
	g.Outputs = []*ir.Value{f}
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := PlanMemory(g); err != nil {
		t.Fatal(err)
	}
	plan := g.Plan
	if plan.Offset[f] != plan.Offset[sum] {
		t.Error("the flatten does not share its input's memory")
	}
	if _, ok := plan.Offset[g.Inputs[0]]; ok {
		t.Error("the graph input was placed in the arena")
	}
	type span struct {
		name            string
		off, n, def, to int
	}
	var spans []span
	for _, iv := range Liveness(g) {
		off, ok := plan.Offset[iv.Value]
		if !ok || iv.Value == f {
			continue
		}
		spans = append(spans, span{iv.Value.Name, off, iv.Value.Shape.PerBatch(), iv.Def, iv.LastUse})
	}
	for i, a := range spans {
		if a.off%Alignment != 0 || a.off+a.n > plan.Size {
			t.Errorf("%s at [%d,%d) is misaligned or outside the arena of %d", a.name, a.off, a.off+a.n, plan.Size)
		}
		for _, b := range spans[i+1:] {
			live := a.def <= b.to && b.def <= a.to
			overlap := a.off < b.off+b.n && b.off < a.off+a.n
			if live && overlap {
				t.Errorf("%s and %s are live together and overlap", a.name, b.name)
			}
		}
	}
}

// The whole pipeline on a model mixing every fusion keeps its results.
func TestCodegenPipelineKeepsResults(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	g, c := convGraph(rng, ir.NCHW)
	bn := g.Apply("bn", &ir.BatchNormalization{Epsilon: 1e-3}, c, constant(rng, "s", 6), constant(rng, "beta", 6), constant(rng, "mean", 6), ir.NewConst("var", ir.NewFloatTensor(ir.Float32, ir.Shape{6}, []float64{1, 2, 3, 4, 5, 6})))
	r := g.Apply("relu", &ir.LeakyRelu{Alpha: 0.1}, bn)
	gp := g.Apply("gap", &ir.GlobalAveragePool{}, r)
	f := g.Apply("flat", &ir.Flatten{Axis: 1}, gp)
	d := g.Apply("dense", &ir.Gemm{Alpha: 0.5, Beta: 2, TransB: true}, f, constant(rng, "wd", 3, 6), constant(rng, "bd", 3))
	drop := g.Apply("drop", &ir.Dropout{}, d)
	g.Outputs = []*ir.Value{g.Apply("soft", &ir.Softmax{Axis: -1}, drop)}
	var fns []func(*ir.Graph) error
	for _, p := range Codegen() {
		fns = append(fns, p.Run)
	}
	runBoth(t, g, fns...)
	if got := ops(g); got != "Transpose Conv GlobalAveragePool Flatten Gemm Softmax" {
		t.Errorf("ops after: %s", got)
	}
}

// A 0 in a Reshape's shape copies an input dimension. When the layout
// pass hands the Reshape NHWC data (a flatten after a global pool), the
// copied dimension must be the one the model meant, not the moved one.
func TestToNHWCReshapeWithZeroEntries(t *testing.T) {
	for _, batch := range []int{1, ir.Batch} {
		g := ir.NewGraph("m")
		x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{batch, 3, 5, 4}})
		p := g.Apply("gmp", &ir.GlobalMaxPool{}, x)
		r := g.Apply("flat", &ir.Reshape{Shape: []int64{1, 0}}, p)
		if batch == ir.Batch {
			r.Producer.Op = &ir.Reshape{Shape: []int64{0, 0}}
		}
		g.Outputs = []*ir.Value{g.Apply("sq", &ir.Mul{}, r, r)}
		runBoth(t, g, ToNHWC)
	}
}

// A Flatten of NHWC data is absorbed into the weights of the Gemms it
// feeds only when it is their A operand and nothing else: as C (added
// element by element) the features must stay in NCHW order, and a Gemm
// reading it twice must not have its weights permuted twice.
func TestToNHWCFlattenAlsoGemmC(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 2, 2, 2}})
	c := g.Apply("conv", &ir.Conv{Group: 1}, x, constant(rng, "w", 2, 2, 1, 1))
	f := g.Apply("flat", &ir.Flatten{Axis: 1}, c)
	g.Outputs = []*ir.Value{g.Apply("dense", &ir.Gemm{Alpha: 1, Beta: 1}, f, constant(rng, "wd", 8, 8), f)}
	runBoth(t, g, ToNHWC)
}

// Moving an empty tensor between layouts is a Reshape whose shape holds a
// real 0, not a "copy this dimension" 0.
func TestToNHWCEmptyChannels(t *testing.T) {
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 3, 4, 4}})
	none := g.Apply("none", &ir.Slice{Starts: []int64{1}, Ends: []int64{1}, Axes: []int64{1}}, x)
	g.Outputs = []*ir.Value{g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}}}, none)}
	runBoth(t, g, ToNHWC)
}

// An Add takes the layout of its first input that has one; when the
// convolution that absorbs it as a residual labels its output otherwise,
// the nodes reading the sum get their types inferred again.
func TestFuseResidualKeepsGraphValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 3, 4, 4}})
	a := g.Apply("a", &ir.Conv{Group: 1}, x, constant(rng, "wa", 4, 3, 1, 1))
	tr := g.Apply("t", &ir.Transpose{Perm: ir.PermNCHWToNHWC}, a) // labelled NHWC
	b := g.Apply("b", &ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: 1}, tr, constant(rng, "wb", 4, 4, 3, 3))
	sum := g.Apply("sum", &ir.Add{}, tr, b)
	g.Outputs = []*ir.Value{g.Apply("relu", &ir.Relu{}, sum)}
	runBoth(t, g, FuseResidual)
}

// A Resize between convolutions stays in NHWC: its per-axis sizes and
// scales are permuted instead of the data.
func TestToNHWCResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	g, c := convGraph(rng, ir.NCHW)
	up := g.Apply("up", &ir.Resize{Sizes: []int{ir.Batch, 6, 10, 14}, Scales: []float64{1, 1, 2, 2}, Mode: ir.ResizeLinear, Coord: ir.ResizeHalfPixel}, c)
	g.Outputs = []*ir.Value{g.Apply("conv2", &ir.Conv{Group: 1}, up, constant(rng, "w2", 2, 6, 3, 3))}
	runBoth(t, g, ToNHWC)
	if got := ops(g); got != "Transpose Conv Resize Conv Transpose" {
		t.Errorf("ops after: %s", got)
	}
}

// A batched graph with a large early activation gets a front: the values
// the front makes and uses up go to the region every item reuses, the
// others (crossing into the back, the graph output) to the per-item one,
// and within each region no two values live together overlap.
func TestPlanMemoryFront(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	g := ir.NewGraph("m")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 96, 96, 8}, Layout: ir.NHWC})
	c1 := g.Apply("c1", &ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: 1, Layout: ir.NHWC}, x, constant(rng, "w1", 8, 8, 3, 3))
	r1 := g.Apply("r1", &ir.Relu{}, c1)
	p := g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{4, 4}, Strides: []int{4, 4}}, Layout: ir.NHWC}, r1)
	c2 := g.Apply("c2", &ir.Conv{Group: 1, Layout: ir.NHWC}, p, constant(rng, "w2", 4, 8, 1, 1))
	g.Outputs = []*ir.Value{g.Apply("r2", &ir.Relu{}, c2)}
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := PlanMemory(g); err != nil {
		t.Fatal(err)
	}
	plan := g.Plan
	if plan.Front != 2 {
		t.Fatalf("front = %d, want 2 (the convolution and ReLU with 96x96x8 outputs)", plan.Front)
	}
	if !plan.Local[c1] || plan.Local[r1] || plan.Local[p] || plan.Local[g.Outputs[0]] {
		t.Errorf("local: c1 %v r1 %v pool %v out %v; want only c1", plan.Local[c1], plan.Local[r1], plan.Local[p], plan.Local[g.Outputs[0]])
	}
	ivs := Liveness(g)
	for i, a := range ivs {
		ao, ok := plan.Offset[a.Value]
		if !ok {
			continue
		}
		size := plan.Size
		if plan.Local[a.Value] {
			size = plan.LocalSize
		}
		if ao+a.Value.Shape.PerBatch() > size {
			t.Errorf("%s is outside its region", a.Value.Name)
		}
		for _, b := range ivs[i+1:] {
			bo, ok := plan.Offset[b.Value]
			if !ok || plan.Local[a.Value] != plan.Local[b.Value] {
				continue
			}
			live := a.Def <= b.LastUse && b.Def <= a.LastUse
			overlap := ao < bo+b.Value.Shape.PerBatch() && bo < ao+a.Value.Shape.PerBatch()
			if live && overlap {
				t.Errorf("%s and %s are live together and overlap", a.Value.Name, b.Value.Name)
			}
		}
	}
}
