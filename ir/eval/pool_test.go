package eval_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestPoolByHand(t *testing.T) {
	x44 := f32(ir.Shape{1, 1, 4, 4}, seq(16, 1, 1)...)
	x33 := f32(ir.Shape{1, 1, 3, 3}, seq(9, 1, 1)...)
	neg := f32(ir.Shape{1, 1, 2, 2}, -1, -2, -3, -4)
	x22 := f32(ir.Shape{1, 1, 2, 2}, 1, 2, 3, 4)
	x14 := f32(ir.Shape{1, 1, 4}, 1, 2, 3, 4)
	x15 := f32(ir.Shape{1, 1, 5}, 1, 5, 2, 8, 3)
	k := func(k ...int) []int { return k }
	// pads [1,1] with ceil_mode on length 4, kernel 3, stride 2: windows
	// start at -1, 1, 3. The last covers input 3, the end pad 4 and
	// position 5 beyond the end pad.
	ceil1d := ir.Window{Kernel: k(3), Strides: k(2), Pads: k(1, 1), CeilMode: true}
	tests := []struct {
		name  string
		op    ir.Op
		x     *ir.Tensor
		shape ir.Shape
		want  []float64
	}{
		{"max 2x2 s2", &ir.MaxPool{Window: ir.Window{Kernel: k(2, 2), Strides: k(2, 2)}}, x44, ir.Shape{1, 1, 2, 2}, []float64{6, 8, 14, 16}},
		{"avg 2x2 s2", &ir.AveragePool{Window: ir.Window{Kernel: k(2, 2), Strides: k(2, 2)}}, x44, ir.Shape{1, 1, 2, 2}, []float64{3.5, 5.5, 11.5, 13.5}},
		// Every window holds all four (negative) inputs: padding must
		// not win with 0.
		{"max pads lose", &ir.MaxPool{Window: ir.Window{Kernel: k(3, 3), Pads: k(1, 1, 1, 1)}}, neg, ir.Shape{1, 1, 2, 2}, []float64{-1, -1, -1, -1}},
		// Every 3x3 window holds the four inputs (sum 10) and five pads.
		{"avg include pad", &ir.AveragePool{Window: ir.Window{Kernel: k(3, 3), Pads: k(1, 1, 1, 1)}, CountIncludePad: true}, x22,
			ir.Shape{1, 1, 2, 2}, []float64{10. / 9, 10. / 9, 10. / 9, 10. / 9}},
		{"avg exclude pad", &ir.AveragePool{Window: ir.Window{Kernel: k(3, 3), Pads: k(1, 1, 1, 1)}}, x22,
			ir.Shape{1, 1, 2, 2}, []float64{2.5, 2.5, 2.5, 2.5}},
		// Asymmetric pads: top 1, left 0, bottom 0, right 1; kernel 2.
		{"max asymmetric pads", &ir.MaxPool{Window: ir.Window{Kernel: k(2, 2), Pads: k(1, 0, 0, 1)}}, neg,
			ir.Shape{1, 1, 2, 2}, []float64{-1, -2, -1, -2}},
		{"avg asymmetric pads include", &ir.AveragePool{Window: ir.Window{Kernel: k(2, 2), Pads: k(1, 0, 0, 1)}, CountIncludePad: true}, x22,
			ir.Shape{1, 1, 2, 2}, []float64{3. / 4, 2. / 4, 10. / 4, 6. / 4}},
		// ceil_mode on 3x3, kernel 2, stride 2: the last row and column of
		// windows are clipped to the input.
		{"max ceil", &ir.MaxPool{Window: ir.Window{Kernel: k(2, 2), Strides: k(2, 2), CeilMode: true}}, x33,
			ir.Shape{1, 1, 2, 2}, []float64{5, 6, 8, 9}},
		{"avg ceil", &ir.AveragePool{Window: ir.Window{Kernel: k(2, 2), Strides: k(2, 2), CeilMode: true}}, x33,
			ir.Shape{1, 1, 2, 2}, []float64{3, 4.5, 7.5, 9}},
		// No explicit pads: clipped positions are not pads and never count.
		{"avg ceil include pad without pads", &ir.AveragePool{Window: ir.Window{Kernel: k(2, 2), Strides: k(2, 2), CeilMode: true}, CountIncludePad: true}, x33,
			ir.Shape{1, 1, 2, 2}, []float64{3, 4.5, 7.5, 9}},
		{"max ceil pads", &ir.MaxPool{Window: ceil1d}, x14, ir.Shape{1, 1, 3}, []float64{2, 4, 4}},
		// Windows: (pad,1,2), (2,3,4), (4,endpad,beyond).
		{"avg ceil pads include", &ir.AveragePool{Window: ceil1d, CountIncludePad: true}, x14, ir.Shape{1, 1, 3}, []float64{1, 3, 2}},
		{"avg ceil pads exclude", &ir.AveragePool{Window: ceil1d}, x14, ir.Shape{1, 1, 3}, []float64{1.5, 3, 4}},
		// Dilation 2: taps i and i+2.
		{"max dilation", &ir.MaxPool{Window: ir.Window{Kernel: k(2), Dilations: k(2)}}, x15, ir.Shape{1, 1, 3}, []float64{2, 8, 3}},
		{"avg dilation", &ir.AveragePool{Window: ir.Window{Kernel: k(2), Dilations: k(2)}}, x15, ir.Shape{1, 1, 3}, []float64{1.5, 6.5, 2.5}},
		// Dilation with pads: pad 2 each side, kernel 2, dilation 3, stride 2:
		// positions -2,1 | 0,3 | 2,5. Include pad counts -2 and 5 (in the pads).
		{"avg dilation pads include", &ir.AveragePool{Window: ir.Window{Kernel: k(2), Dilations: k(3), Strides: k(2), Pads: k(2, 2)}, CountIncludePad: true},
			x15, ir.Shape{1, 1, 3}, []float64{5. / 2, 9. / 2, 2. / 2}},
		{"avg dilation pads exclude", &ir.AveragePool{Window: ir.Window{Kernel: k(2), Dilations: k(3), Strides: k(2), Pads: k(2, 2)}},
			x15, ir.Shape{1, 1, 3}, []float64{5, 9. / 2, 2}},
		// Keras "same" max pooling, stride 1, kernel 2: pad at the end.
		{"max same upper", &ir.MaxPool{Window: ir.Window{Kernel: k(2), AutoPad: ir.PadSameUpper}}, x15, ir.Shape{1, 1, 5}, []float64{5, 5, 8, 8, 3}},
		// 3D: 2x2x2 window over 1..8.
		{"max 3d", &ir.MaxPool{Window: ir.Window{Kernel: k(2, 2, 2)}}, f32(ir.Shape{1, 1, 2, 2, 2}, seq(8, 1, 1)...), ir.Shape{1, 1, 1, 1, 1}, []float64{8}},
		{"avg 3d", &ir.AveragePool{Window: ir.Window{Kernel: k(2, 2, 2)}}, f32(ir.Shape{1, 1, 2, 2, 2}, seq(8, 1, 1)...), ir.Shape{1, 1, 1, 1, 1}, []float64{4.5}},
		// Pads as large as the kernel: the corner window sees only pads.
		{"global max", &ir.GlobalMaxPool{}, f32(ir.Shape{1, 2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 9), ir.Shape{1, 2, 1, 1}, []float64{4, 9}},
		{"global avg", &ir.GlobalAveragePool{}, f32(ir.Shape{1, 2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 9), ir.Shape{1, 2, 1, 1}, []float64{2.5, 6.75}},
		{"global avg NHWC", &ir.GlobalAveragePool{Layout: ir.NHWC}, f32(ir.Shape{1, 2, 2, 2}, 1, 5, 2, 6, 3, 7, 4, 9), ir.Shape{1, 1, 1, 2}, []float64{2.5, 6.75}},
		{"global max 1d", &ir.GlobalMaxPool{}, f32(ir.Shape{2, 1, 3}, 1, 3, 2, -1, -3, -2), ir.Shape{2, 1, 1}, []float64{3, -1}},
		{"max NaN", &ir.MaxPool{Window: ir.Window{Kernel: k(2)}}, f32(ir.Shape{1, 1, 3}, 1, math.NaN(), 2), ir.Shape{1, 1, 2}, []float64{math.NaN(), math.NaN()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, tc.x), tc.shape, tc.want)
		})
	}
}

// refPool is pooling by definition, NCHW: position p = o*s + k*d - pb of
// each tap is an input element, a pad (p in [-pb, 0) or [in, in+pe)) or
// beyond the pads.
func refPool(x *ir.Tensor, kern, strides, pads, dils []int, ceil, avg, includePad bool) *ir.Tensor {
	nsp := len(kern)
	oshape := ir.Shape{x.Shape[0], x.Shape[1]}
	for d := range nsp {
		in := x.Shape[2+d]
		eff := (kern[d]-1)*dils[d] + 1
		span := float64(in+pads[d]+pads[nsp+d]-eff) / float64(strides[d])
		o := int(math.Floor(span)) + 1
		if ceil {
			o = int(math.Ceil(span)) + 1
			if (o-1)*strides[d] >= in+pads[d] {
				o--
			}
		}
		oshape = append(oshape, o)
	}
	y := ir.Zeros(ir.Float32, oshape)
	xi := make([]int, nsp+2)
	forIndex(oshape, func(o []int) {
		m, sum, inside, padded := math.Inf(-1), 0.0, 0, 0
		forIndex(kern, func(k []int) {
			xi[0], xi[1] = o[0], o[1]
			isReal := true
			for d := range nsp {
				p := o[2+d]*strides[d] + k[d]*dils[d] - pads[d]
				in := x.Shape[2+d]
				if p < -pads[d] || p >= in+pads[nsp+d] {
					return // beyond the pads
				}
				if p < 0 || p >= in {
					isReal = false
				}
				xi[2+d] = p
			}
			padded++
			if isReal {
				inside++
				v := x.Floats[flat(x.Shape, xi)]
				m = math.Max(m, v)
				sum += v
			}
		})
		v := m
		switch {
		case avg && includePad:
			v = sum / float64(padded)
		case avg:
			v = sum / float64(inside)
		}
		y.Floats[flat(oshape, o)] = v
	})
	return y
}

func TestPoolReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	cases := []struct {
		x                         []int
		kern, strides, pads, dils []int
		ceil                      bool
	}{
		{[]int{2, 3, 9, 8}, []int{3, 3}, []int{2, 2}, []int{1, 1, 1, 1}, []int{1, 1}, false},
		{[]int{1, 2, 9, 8}, []int{3, 2}, []int{2, 3}, []int{1, 0, 1, 1}, []int{1, 2}, true},
		{[]int{1, 2, 10, 11}, []int{2, 3}, []int{3, 2}, []int{0, 2, 1, 0}, []int{2, 1}, true},
		{[]int{1, 1, 37}, []int{4}, []int{3}, []int{2, 1}, []int{2}, true},
		{[]int{2, 2, 12}, []int{3}, []int{1}, []int{1, 1}, []int{3}, false},
		{[]int{1, 2, 6, 7, 5}, []int{2, 3, 2}, []int{2, 2, 1}, []int{1, 1, 0, 0, 1, 1}, []int{1, 1, 2}, true},
		{[]int{1, 1, 8, 8, 8}, []int{3, 3, 3}, []int{3, 3, 3}, []int{1, 1, 1, 1, 1, 1}, []int{1, 1, 1}, true},
	}
	for _, c := range cases {
		for _, kind := range []string{"max", "avg", "avg include pad"} {
			t.Run(fmt.Sprint(kind, c), func(t *testing.T) {
				x := random(rng, c.x...)
				avg, include := kind != "max", kind == "avg include pad"
				want := refPool(x, c.kern, c.strides, c.pads, c.dils, c.ceil, avg, include)
				mk := func(l ir.Layout) ir.Op {
					w := ir.Window{Kernel: c.kern, Strides: c.strides, Pads: c.pads, Dilations: c.dils, CeilMode: c.ceil}
					if avg {
						return &ir.AveragePool{Window: w, Layout: l, CountIncludePad: include}
					}
					return &ir.MaxPool{Window: w, Layout: l}
				}
				expectSame(t, run(t, mk(ir.NCHW), x), want, 1e-12)
				expectSame(t, channelsFirst(run(t, mk(ir.NHWC), channelsLast(x))), want, 1e-12)
				expectSame(t, run(t, mk(ir.LayoutAny), x), want, 1e-12)
			})
		}
	}
}

func TestGlobalPoolLayouts(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, shape := range [][]int{{2, 3, 4, 5}, {1, 4, 7}, {2, 2, 3, 2, 4}} {
		x := random(rng, shape...)
		for _, op := range []func(ir.Layout) ir.Op{
			func(l ir.Layout) ir.Op { return &ir.GlobalAveragePool{Layout: l} },
			func(l ir.Layout) ir.Op { return &ir.GlobalMaxPool{Layout: l} },
		} {
			want := run(t, op(ir.NCHW), x)
			expectSame(t, channelsFirst(run(t, op(ir.NHWC), channelsLast(x))), want, 1e-12)
		}
	}
}
