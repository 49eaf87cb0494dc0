package eval_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// resnet18 builds torchvision's ResNet-18 (224x224 input, 1000 classes,
// about 1.8 GFLOP) with random weights in the given layout. Unfused, each
// convolution is followed by BatchNormalization and, where the network
// has them, separate Add and Relu nodes. fused folds each BatchNormalization
// into its convolution's weights and bias and puts the residual add and
// the ReLU into the Conv, as the optimizing passes do; both builds draw the
// same random numbers and so compute the same function.
func resnet18(rng *rand.Rand, layout ir.Layout, fused bool) *ir.Graph {
	g := ir.NewGraph("resnet18")
	shape := ir.Shape{ir.Batch, 3, 224, 224}
	if layout == ir.NHWC {
		shape = ir.Shape{ir.Batch, 224, 224, 3}
	}
	x := g.AddInput("input", ir.Type{DType: ir.Float32, Shape: shape, Layout: layout})
	id := 0
	name := func(s string) string { id++; return fmt.Sprintf("%s%d", s, id) }
	vec := func(n int, lo, hi float64) *ir.Tensor {
		v := make([]float64, n)
		for i := range v {
			v[i] = lo + rng.Float64()*(hi-lo)
		}
		return f32(ir.Shape{n}, v...)
	}
	const eps = 1e-5
	conv := func(in *ir.Value, c, m, k, s int, relu bool, res *ir.Value) *ir.Value {
		// He-initialized weights keep activations O(1) through 18 layers.
		w := random(rng, m, c, k, k)
		for i := range w.Floats {
			w.Floats[i] *= math.Sqrt(6 / float64(c*k*k))
		}
		scale, bias, mean, variance := vec(m, 0.5, 1.5), vec(m, -0.1, 0.1), vec(m, -0.1, 0.1), vec(m, 0.5, 1.5)
		p := (k - 1) / 2
		op := &ir.Conv{Window: ir.Window{Kernel: []int{k, k}, Strides: []int{s, s}, Pads: []int{p, p, p, p}}, Layout: layout}
		if fused {
			// conv*a + (bias - mean*a), a = scale/sqrt(var+eps).
			b := ir.Zeros(ir.Float32, ir.Shape{m})
			per := c * k * k
			for o := range m {
				a := scale.Floats[o] / math.Sqrt(variance.Floats[o]+eps)
				for i := range per {
					w.Floats[o*per+i] *= a
				}
				b.Floats[o] = bias.Floats[o] - mean.Floats[o]*a
			}
			if relu {
				op.Activation = &ir.Relu{}
			}
			ins := []*ir.Value{in, ir.NewConst(name("w"), w), ir.NewConst(name("b"), b)}
			if res != nil {
				ins = append(ins, res)
			}
			return g.Apply(name("conv"), op, ins...)
		}
		y := g.Apply(name("conv"), op, in, ir.NewConst(name("w"), w))
		y = g.Apply(name("bn"), &ir.BatchNormalization{Epsilon: eps, Layout: layout}, y,
			ir.NewConst(name("s"), scale), ir.NewConst(name("b"), bias), ir.NewConst(name("m"), mean), ir.NewConst(name("v"), variance))
		if res != nil {
			y = g.Apply(name("add"), &ir.Add{}, y, res)
		}
		if relu {
			y = g.Apply(name("relu"), &ir.Relu{}, y)
		}
		return y
	}
	y := conv(x, 3, 64, 7, 2, true, nil)
	y = g.Apply("maxpool", &ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, Layout: layout}, y)
	c := 64
	for stage, m := range []int{64, 128, 256, 512} {
		for block := range 2 {
			s := 1
			if stage > 0 && block == 0 {
				s = 2
			}
			short := y
			if s != 1 || c != m {
				short = conv(y, c, m, 1, s, false, nil)
			}
			h := conv(y, c, m, 3, s, true, nil)
			y = conv(h, m, m, 3, 1, true, short)
			c = m
		}
	}
	y = g.Apply("gap", &ir.GlobalAveragePool{Layout: layout}, y)
	y = g.Apply("flatten", &ir.Flatten{Axis: 1}, y)
	fc := ir.NewConst("fc.w", random(rng, 512, 1000))
	g.Outputs = []*ir.Value{g.Apply("fc", &ir.Gemm{Alpha: 1, Beta: 1}, y, fc, ir.NewConst("fc.b", vec(1000, -0.1, 0.1)))}
	return g
}

// TestResNet18 runs ResNet-18 forward passes: they must be fast enough for
// the interpreter to be the oracle of real models, and the unfused NCHW
// network and the fused NHWC one (BatchNorm folded, residual and ReLU in
// the convolutions) must agree.
func TestResNet18(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-18 forward passes skipped in -short mode")
	}
	x := random(rand.New(rand.NewSource(11)), 1, 3, 224, 224)
	configs := []struct {
		layout ir.Layout
		fused  bool
	}{{ir.NCHW, false}, {ir.NHWC, true}}
	var logits []*ir.Tensor
	for _, c := range configs {
		g := resnet18(rand.New(rand.NewSource(12)), c.layout, c.fused)
		if err := g.Infer(); err != nil {
			t.Fatal(err)
		}
		in := x
		if c.layout == ir.NHWC {
			in = channelsLast(x)
		}
		start, cpu := time.Now(), cpuTime()
		outs, err := eval.Run(g, []*ir.Tensor{in})
		if err != nil {
			t.Fatal(err)
		}
		d := cpuTime() - cpu
		t.Logf("ResNet-18 %v fused=%v (%d nodes): %v CPU, %v wall", c.layout, c.fused, len(g.Nodes), d, time.Since(start))
		// A few seconds of CPU; the bound leaves room for slow machines.
		if d > 30*time.Second {
			t.Errorf("ResNet-18 took %v of CPU time, want well under a minute", d)
		}
		expectShape(t, outs[0], ir.Shape{1, 1000})
		logits = append(logits, outs[0])
	}
	var spread float64
	for _, v := range logits[0].Floats {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatal("logits are not finite")
		}
		spread = max(spread, math.Abs(v))
	}
	if spread < 1e-3 {
		t.Fatalf("logits are all near zero (max |logit| %v): the test network is degenerate", spread)
	}
	expectSame(t, logits[1], logits[0], 1e-9)
}
