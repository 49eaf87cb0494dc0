package eval_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestConvByHand(t *testing.T) {
	x33 := f32(ir.Shape{1, 1, 3, 3}, seq(9, 1, 1)...) // 1..9
	diag := f32(ir.Shape{1, 1, 2, 2}, 1, 0, 0, 1)
	x55 := f32(ir.Shape{1, 1, 5, 5}, seq(25, 0, 1)...) // x[r][c] = 5r + c
	ones22 := f32(ir.Shape{1, 1, 2, 2}, 1, 1, 1, 1)
	tests := []struct {
		name  string
		op    *ir.Conv
		in    []*ir.Tensor
		shape ir.Shape
		want  []float64
	}{
		// y[i][j] = x[i][j] + x[i+1][j+1].
		{"valid", &ir.Conv{}, []*ir.Tensor{x33, diag}, ir.Shape{1, 1, 2, 2}, []float64{6, 8, 12, 14}},
		// Pads top 1, left 0, bottom 0, right 1: y[i][j] = x[i-1][j] + x[i][j+1].
		{"asymmetric pads", &ir.Conv{Window: ir.Window{Pads: []int{1, 0, 0, 1}}}, []*ir.Tensor{x33, diag},
			ir.Shape{1, 1, 3, 3}, []float64{2, 3, 0, 6, 8, 3, 12, 14, 6}},
		// Taps at rows 2i, 2i+2 and columns 2j, 2j+2: sum = 40i + 8j + 24.
		{"dilation and stride", &ir.Conv{Window: ir.Window{Strides: []int{2, 2}, Dilations: []int{2, 2}}},
			[]*ir.Tensor{x55, ones22}, ir.Shape{1, 1, 2, 2}, []float64{24, 32, 64, 72}},
		// Group 2: channel 0 scaled by 2 plus 10, channel 1 by 3 plus 20.
		{"groups and bias", &ir.Conv{Group: 2}, []*ir.Tensor{
			f32(ir.Shape{1, 2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8), f32(ir.Shape{2, 1, 1, 1}, 2, 3), f32(ir.Shape{2}, 10, 20)},
			ir.Shape{1, 2, 2, 2}, []float64{12, 14, 16, 18, 35, 38, 41, 44}},
		// Depthwise with multiplier 2: outputs 0, 1 from channel 0.
		{"channel multiplier", &ir.Conv{Group: 2}, []*ir.Tensor{
			f32(ir.Shape{1, 2, 1, 1}, 1, 10), f32(ir.Shape{4, 1, 1, 1}, 1, 2, 3, 4)},
			ir.Shape{1, 4, 1, 1}, []float64{1, 2, 30, 40}},
		// relu(x + R + bias) with R = 1, bias 0.5.
		{"residual and activation", &ir.Conv{Activation: &ir.Relu{}}, []*ir.Tensor{
			f32(ir.Shape{1, 1, 2, 2}, -3, -1, 1, 3), f32(ir.Shape{1, 1, 1, 1}, 1), f32(ir.Shape{1}, 0.5), f32(ir.Shape{1, 1, 2, 2}, 1, 1, 1, 1)},
			ir.Shape{1, 1, 2, 2}, []float64{0, 0.5, 2.5, 4.5}},
		// Residual without bias (input 2 omitted).
		{"residual without bias", &ir.Conv{Activation: &ir.Clip{Min: 0, Max: 3}}, []*ir.Tensor{
			f32(ir.Shape{1, 1, 2, 2}, -3, -1, 1, 3), f32(ir.Shape{1, 1, 1, 1}, 1), nil, f32(ir.Shape{1, 1, 2, 2}, 1, 1, 1, 1)},
			ir.Shape{1, 1, 2, 2}, []float64{0, 0, 2, 3}},
		// 1D: padded [0,1,2,3,4,5,0] against [1,-1].
		{"1d", &ir.Conv{Window: ir.Window{Pads: []int{1, 1}}}, []*ir.Tensor{
			f32(ir.Shape{1, 1, 5}, 1, 2, 3, 4, 5), f32(ir.Shape{1, 1, 2}, 1, -1)},
			ir.Shape{1, 1, 6}, []float64{-1, -1, -1, -1, -1, 5}},
		// 3D: a 2x2x2 box of ones sums 1..8.
		{"3d", &ir.Conv{}, []*ir.Tensor{
			f32(ir.Shape{1, 1, 2, 2, 2}, seq(8, 1, 1)...), f32(ir.Shape{1, 1, 2, 2, 2}, 1, 1, 1, 1, 1, 1, 1, 1)},
			ir.Shape{1, 1, 1, 1, 1}, []float64{36}},
		// Keras "same" (SAME_UPPER), stride 2: ceil(4/2) = 2 outputs.
		{"same upper", &ir.Conv{Window: ir.Window{Strides: []int{2}, AutoPad: ir.PadSameUpper}}, []*ir.Tensor{
			f32(ir.Shape{1, 1, 4}, 1, 2, 3, 4), f32(ir.Shape{1, 1, 3}, 1, 1, 1)},
			// total pad (2-1)*2+3-4 = 1, at the end: windows [1,2,3], [3,4,0].
			ir.Shape{1, 1, 2}, []float64{6, 7}},
		{"same lower", &ir.Conv{Window: ir.Window{Strides: []int{2}, AutoPad: ir.PadSameLower}}, []*ir.Tensor{
			f32(ir.Shape{1, 1, 4}, 1, 2, 3, 4), f32(ir.Shape{1, 1, 3}, 1, 1, 1)},
			// the pad at the start: windows [0,1,2], [2,3,4].
			ir.Shape{1, 1, 2}, []float64{3, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, tc.in...), tc.shape, tc.want)
		})
	}
}

// refConv is Conv by its definition, NCHW, one output element at a time:
// y[n,m,o] = b[m] + sum_{c,k} w[m,c,k] * x[n, g*C/G+c, o*s + k*d - p].
func refConv(x, w, b *ir.Tensor, strides, pads, dils []int, group int) *ir.Tensor {
	nsp := len(x.Shape) - 2
	m, cg := w.Shape[0], w.Shape[1]
	kern := []int(w.Shape[2:])
	oshape := ir.Shape{x.Shape[0], m}
	for d := range nsp {
		eff := (kern[d]-1)*dils[d] + 1
		oshape = append(oshape, (x.Shape[2+d]+pads[d]+pads[nsp+d]-eff)/strides[d]+1)
	}
	y := ir.Zeros(ir.Float32, oshape)
	xi := make([]int, nsp+2)
	wi := make([]int, nsp+2)
	forIndex(oshape, func(o []int) {
		n, oc := o[0], o[1]
		g := oc / (m / group)
		var s float64
		if b != nil {
			s = b.Floats[oc]
		}
		for c := range cg {
			forIndex(kern, func(k []int) {
				xi[0], xi[1] = n, g*cg+c
				for d := range nsp {
					p := o[2+d]*strides[d] + k[d]*dils[d] - pads[d]
					if p < 0 || p >= x.Shape[2+d] {
						return
					}
					xi[2+d] = p
				}
				wi[0], wi[1] = oc, c
				copy(wi[2:], k)
				s += w.Floats[flat(w.Shape, wi)] * x.Floats[flat(x.Shape, xi)]
			})
		}
		y.Floats[flat(oshape, o)] = s
	})
	return y
}

type convCase struct {
	x, w                []int // shapes
	strides, pads, dils []int
	group               int
	bias                bool
}

var convCases = []convCase{
	{x: []int{2, 3, 7, 6}, w: []int{4, 3, 3, 3}, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, dils: []int{1, 1}, group: 1, bias: true},
	{x: []int{1, 4, 9, 8}, w: []int{6, 2, 3, 2}, strides: []int{2, 3}, pads: []int{2, 0, 1, 3}, dils: []int{1, 2}, group: 2, bias: true},
	{x: []int{1, 6, 7, 7}, w: []int{6, 1, 3, 3}, strides: []int{2, 2}, pads: []int{0, 1, 2, 1}, dils: []int{2, 1}, group: 6},
	{x: []int{1, 3, 11, 5}, w: []int{2, 3, 5, 1}, strides: []int{3, 1}, pads: []int{4, 0, 3, 0}, dils: []int{2, 1}, group: 1},
	{x: []int{2, 2, 13}, w: []int{3, 2, 4}, strides: []int{2}, pads: []int{3, 1}, dils: []int{2}, group: 1, bias: true},
	{x: []int{1, 4, 10}, w: []int{8, 1, 3}, strides: []int{1}, pads: []int{0, 2}, dils: []int{3}, group: 4},
	{x: []int{1, 2, 5, 6, 4}, w: []int{4, 2, 3, 2, 3}, strides: []int{1, 2, 1}, pads: []int{1, 0, 2, 1, 1, 0}, dils: []int{1, 2, 1}, group: 1, bias: true},
	{x: []int{2, 4, 4, 5, 6}, w: []int{2, 2, 2, 3, 2}, strides: []int{2, 1, 3}, pads: []int{0, 1, 1, 1, 0, 2}, dils: []int{1, 1, 2}, group: 2},
	// Pads larger than the kernel: whole output rows read only padding.
	{x: []int{1, 1, 3, 3}, w: []int{1, 1, 2, 2}, strides: []int{1, 1}, pads: []int{3, 0, 0, 3}, dils: []int{1, 1}, group: 1, bias: true},
}

func (c convCase) String() string {
	return fmt.Sprintf("x%v_w%v_s%v_p%v_d%v_g%d", c.x, c.w, c.strides, c.pads, c.dils, c.group)
}

// TestConvReference compares Conv with refConv in both layouts and 1, 2
// and 3 spatial dimensions, with groups, dilations, strides and
// asymmetric pads.
func TestConvReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			x, w := random(rng, c.x...), random(rng, c.w...)
			var b *ir.Tensor
			if c.bias {
				b = random(rng, c.w[0])
			}
			want := refConv(x, w, b, c.strides, c.pads, c.dils, c.group)
			win := ir.Window{Strides: c.strides, Pads: c.pads, Dilations: c.dils}
			got := run(t, &ir.Conv{Window: win, Group: c.group}, x, w, b)
			expectSame(t, got, want, 1e-12)

			nhwc := run(t, &ir.Conv{Window: win, Group: c.group, Layout: ir.NHWC}, channelsLast(x), w, b)
			if nhwc.Shape[len(nhwc.Shape)-1] != c.w[0] {
				t.Fatalf("NHWC output shape %v does not end in channels", nhwc.Shape)
			}
			expectSame(t, channelsFirst(nhwc), want, 1e-12)
		})
	}
}

// refConvTranspose is ConvTranspose gathered per output element (the
// kernel scatters per input element):
// y[n, g*M/G+m, o] = b + sum over c, k, i with i*s + k*d - p = o of
// x[n, g*C/G+c, i] * w[g*C/G+c, m, k].
func refConvTranspose(x, w, b *ir.Tensor, strides, pads, dils, outPad []int, group int) *ir.Tensor {
	nsp := len(x.Shape) - 2
	c, mg := w.Shape[0], w.Shape[1]
	cg := c / group
	kern := []int(w.Shape[2:])
	oshape := ir.Shape{x.Shape[0], mg * group}
	for d := range nsp {
		oshape = append(oshape, strides[d]*(x.Shape[2+d]-1)+outPad[d]+(kern[d]-1)*dils[d]+1-pads[d]-pads[nsp+d])
	}
	y := ir.Zeros(ir.Float32, oshape)
	xi := make([]int, nsp+2)
	wi := make([]int, nsp+2)
	forIndex(oshape, func(o []int) {
		n, oc := o[0], o[1]
		g, m := oc/mg, oc%mg
		var s float64
		if b != nil {
			s = b.Floats[oc]
		}
		for ci := range cg {
			ic := g*cg + ci
			forIndex(kern, func(k []int) {
				xi[0], xi[1] = n, ic
				for d := range nsp {
					num := o[2+d] + pads[d] - k[d]*dils[d]
					if num < 0 || num%strides[d] != 0 || num/strides[d] >= x.Shape[2+d] {
						return
					}
					xi[2+d] = num / strides[d]
				}
				wi[0], wi[1] = ic, m
				copy(wi[2:], k)
				s += w.Floats[flat(w.Shape, wi)] * x.Floats[flat(x.Shape, xi)]
			})
		}
		y.Floats[flat(oshape, o)] = s
	})
	return y
}

func TestConvTransposeByHand(t *testing.T) {
	x := f32(ir.Shape{1, 1, 2}, 1, 2)
	w := f32(ir.Shape{1, 1, 3}, 1, 1, 1)
	tests := []struct {
		name  string
		op    *ir.ConvTranspose
		b     *ir.Tensor
		shape ir.Shape
		want  []float64
	}{
		// Input 0 covers outputs 0-2, input 1 covers 2-4.
		{"stride 2", &ir.ConvTranspose{Window: ir.Window{Strides: []int{2}}}, nil, ir.Shape{1, 1, 5}, []float64{1, 1, 3, 2, 2}},
		{"pads crop", &ir.ConvTranspose{Window: ir.Window{Strides: []int{2}, Pads: []int{1, 1}}}, nil, ir.Shape{1, 1, 3}, []float64{1, 3, 2}},
		{"output padding", &ir.ConvTranspose{Window: ir.Window{Strides: []int{2}}, OutputPadding: []int{1}}, f32(ir.Shape{1}, 0.5),
			ir.Shape{1, 1, 6}, []float64{1.5, 1.5, 3.5, 2.5, 2.5, 0.5}},
		// Dilation 2: taps at 0, 2, 4 from input 0 and 1, 3, 5 from input 1.
		{"dilation", &ir.ConvTranspose{Window: ir.Window{Dilations: []int{2}}}, nil, ir.Shape{1, 1, 6}, []float64{1, 2, 1, 2, 1, 2}},
		// output_shape 4 from full 5: total pad 1, SAME_UPPER-style at the end.
		// output_shape 4 from the full 5: total pad 1, the larger half at
		// the start (ONNX's rule when auto_pad is NOTSET).
		{"output shape", &ir.ConvTranspose{Window: ir.Window{Strides: []int{2}}, OutputShape: []int{4}}, nil, ir.Shape{1, 1, 4}, []float64{1, 3, 2, 2}},
		// output_shape 6 exceeds the full 5: a negative end pad adds a
		// position only the bias reaches.
		{"output shape beyond full", &ir.ConvTranspose{Window: ir.Window{Strides: []int{2}}, OutputShape: []int{6}}, f32(ir.Shape{1}, 0.5),
			ir.Shape{1, 1, 6}, []float64{1.5, 1.5, 3.5, 2.5, 2.5, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, x, w, tc.b), tc.shape, tc.want)
		})
	}
}

func TestConvTransposeReference(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	cases := []struct {
		x, w                        []int
		strides, pads, dils, outPad []int
		group                       int
	}{
		{[]int{1, 2, 3, 4}, []int{2, 3, 3, 3}, []int{2, 2}, []int{1, 0, 1, 2}, []int{1, 1}, []int{1, 0}, 1},
		{[]int{2, 4, 3, 3}, []int{4, 1, 2, 3}, []int{3, 1}, []int{0, 1, 2, 1}, []int{2, 1}, []int{2, 0}, 2},
		{[]int{1, 3, 5}, []int{3, 2, 3}, []int{2}, []int{1, 0}, []int{3}, []int{1}, 1},
		{[]int{1, 2, 2, 3, 2}, []int{2, 2, 2, 2, 3}, []int{2, 1, 2}, []int{0, 1, 1, 1, 0, 0}, []int{1, 2, 1}, []int{1, 0, 1}, 2},
		// Negative pads (from an output_shape beyond the full output).
		{[]int{1, 1, 3, 2}, []int{1, 2, 2, 2}, []int{2, 1}, []int{-1, 0, 1, -2}, []int{1, 1}, []int{0, 0}, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.x, c.w, c.strides, c.pads, c.dils, c.outPad, c.group), func(t *testing.T) {
			x, w, b := random(rng, c.x...), random(rng, c.w...), random(rng, c.w[1]*c.group)
			want := refConvTranspose(x, w, b, c.strides, c.pads, c.dils, c.outPad, c.group)
			mk := func(l ir.Layout) *ir.ConvTranspose {
				return &ir.ConvTranspose{Window: ir.Window{Strides: c.strides, Pads: c.pads, Dilations: c.dils},
					OutputPadding: c.outPad, Group: c.group, Layout: l}
			}
			expectSame(t, run(t, mk(ir.NCHW), x, w, b), want, 1e-12)
			expectSame(t, channelsFirst(run(t, mk(ir.NHWC), channelsLast(x), w, b)), want, 1e-12)
		})
	}
}

func TestConvErrors(t *testing.T) {
	x := f32(ir.Shape{1, 1, 3, 3}, seq(9, 1, 1)...)
	w := f32(ir.Shape{1, 1, 2, 2}, 1, 0, 0, 1)
	errContains(t, runErr(t, &ir.Conv{}, x, ints(ir.Int32, ir.Shape{1, 1, 2, 2}, 1, 0, 0, 1)), "input 1 is i32")
	errContains(t, runErr(t, &ir.Conv{}, x, f32(ir.Shape{1, 2, 2, 2}, seq(8, 0, 1)...)), "Conv")
	errContains(t, runErr(t, &ir.Conv{Activation: (*ir.LeakyRelu)(nil)}, x, w), "nil")
	// A weight tensor whose data is shorter than its shape.
	errContains(t, runErr(t, &ir.Conv{}, x, f32(ir.Shape{1, 1, 2, 2}, 1, 2)), "holds 2 float elements, want 4")
	if !math.IsInf(run(t, &ir.Conv{}, f32(ir.Shape{1, 1, 1, 1}, math.Inf(1)), f32(ir.Shape{1, 1, 1, 1}, 2)).Floats[0], 1) {
		t.Error("Inf does not propagate")
	}
}
