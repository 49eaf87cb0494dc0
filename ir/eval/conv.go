package eval

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	register(evalConv)
	register(evalConvTranspose)
}

// evalConv computes ONNX Conv in the op's layout:
//
//	y[n, m, o] = B[m] + sum over c in m's group, taps k of
//	             W[m, c, k] * x[n, g*C/G + c, o*stride + k*dilation - pad_begin]
//
// with out-of-range input positions reading as zero (the padding), then
// adds the residual input R and applies the fused Activation.
func evalConv(op *ir.Conv, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, w, b, r, s := in[0], in[1], opt(in, 2), opt(in, 3), opt(in, 4)
	p, q := opt(in, 5), opt(in, 6)
	if err := needFloats("Conv", w, b, r, s, p, q); err != nil {
		return nil, err
	}
	if op.NCHWInput {
		x = transpose(x, ir.PermNCHWToNHWC)
	}
	if s != nil {
		x = scaleChannels(x, s, op.Layout)
	}
	if p != nil || q != nil {
		inAct, err := activation(op.InActivation)
		if err != nil {
			return nil, err
		}
		x = mapChannels(x, p, q, inAct, op.Layout)
	}
	act, err := activation(op.Activation)
	if err != nil {
		return nil, err
	}
	y := channelsFirstOp(op.Layout, x, out, func(x *ir.Tensor, out ir.Type) *ir.Tensor {
		return conv(op, x, w, b, out)
	})
	ys := y.Floats
	if r != nil {
		for i, v := range r.Floats {
			ys[i] += v
		}
	}
	if act != nil {
		for i, v := range ys {
			ys[i] = act(v)
		}
	}
	return y, nil
}

// scaleChannels returns x with channel c of item n multiplied by
// s[n*C + c] (Conv's input channel scale, one value per item and channel).
func scaleChannels(x, s *ir.Tensor, l ir.Layout) *ir.Tensor {
	sh := x.Shape
	n, c := sh[0], sh[1]
	if l == ir.NHWC {
		c = sh[len(sh)-1]
	}
	per := len(x.Floats) / max(n, 1)
	y := ir.NewFloatTensor(x.DType, x.Shape, make([]float64, len(x.Floats)))
	for i, v := range x.Floats {
		item, at := i/per, i%per
		ch := at % c
		if l != ir.NHWC {
			ch = at / (per / c)
		}
		y.Floats[i] = v * s.Floats[item*c+ch]
	}
	return y
}

// mapChannels returns x with channel c of every item mapped to
// act(v*p[c] + q[c]) (Conv's input channel map; p or q nil for 1 and 0,
// act nil for none).
func mapChannels(x, p, q *ir.Tensor, act func(float64) float64, l ir.Layout) *ir.Tensor {
	sh := x.Shape
	c := sh[1]
	if l == ir.NHWC {
		c = sh[len(sh)-1]
	}
	inner := 1
	if l != ir.NHWC {
		for _, d := range sh[2:] {
			inner *= d
		}
	}
	y := ir.NewFloatTensor(x.DType, x.Shape, make([]float64, len(x.Floats)))
	for i, v := range x.Floats {
		ch := i % c
		if l != ir.NHWC {
			ch = i / inner % c
		}
		if p != nil {
			v *= p.Floats[ch]
		}
		if q != nil {
			v += q.Floats[ch]
		}
		if act != nil {
			v = act(v)
		}
		y.Floats[i] = v
	}
	return y
}

// channelsFirstOp runs f, which works on channels-first data, in layout l:
// for NHWC it transposes x to NCHW, and f's result back. The loops of f
// then always stream along contiguous rows; with channels last they would
// stride through memory and run many times slower.
func channelsFirstOp(l ir.Layout, x *ir.Tensor, out ir.Type, f func(x *ir.Tensor, out ir.Type) *ir.Tensor) *ir.Tensor {
	if l != ir.NHWC {
		return f(x, out)
	}
	r := len(out.Shape)
	first := append([]int{0, r - 1}, seqInts(1, r-1)...)
	last := append(append([]int{0}, seqInts(2, r)...), 1)
	out.Shape = permShape(out.Shape, first)
	return transpose(f(transpose(x, first), out), last)
}

// conv is Conv's sum of products plus bias on NCHW data.
func conv(op *ir.Conv, x, w, b *ir.Tensor, out ir.Type) *ir.Tensor {
	xi := imageOf(x.Shape, ir.NCHW)
	y := newTensor(out)
	yi := imageOf(y.Shape, ir.NCHW)
	nsp := len(op.Kernel)
	m, cg := w.Shape[0], w.Shape[1]
	mg := m / op.Group
	taps := prod(op.Kernel)
	plans := planTaps(yi, xi, op.Kernel, op.Strides, op.Dilations, op.Pads[:nsp])
	plane := yi.planeOffsets()
	ys, xs, ws := y.Floats, x.Floats, w.Floats
	for n := range yi.n {
		for oc := range m {
			g := oc / mg
			yb := n*yi.bs + oc*yi.cs
			if b != nil {
				for _, p := range plane {
					ys[yb+p] = b.Floats[oc]
				}
			}
			for c := range cg {
				xb := n*xi.bs + (g*cg+c)*xi.cs
				wb := (oc*cg + c) * taps
				for t := range plans {
					p := &plans[t]
					wv := ws[wb+t]
					for _, row := range p.rows {
						d := yb + row.iter + p.iter0
						s := xb + row.other + p.other0
						for range p.n {
							ys[d] += wv * xs[s]
							d += p.iterStep
							s += p.otherStep
						}
					}
				}
			}
		}
	}
	return y
}

// evalConvTranspose computes ONNX ConvTranspose by scattering every input
// element through every tap:
//
//	y[n, g*M/G + m, i*stride + k*dilation - pad_begin] += x[n, c, i] * W[c, m, k]
//
// for c in group g, dropping positions outside the output (the pads crop
// them; output_padding and an explicit output_shape only enlarge the
// output, whose extra positions receive no contributions), then adds B.
func evalConvTranspose(op *ir.ConvTranspose, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error) {
	x, w, b := in[0], in[1], opt(in, 2)
	if err := needFloats("ConvTranspose", w, b); err != nil {
		return nil, err
	}
	return channelsFirstOp(op.Layout, x, out, func(x *ir.Tensor, out ir.Type) *ir.Tensor {
		return convTranspose(op, x, w, b, out)
	}), nil
}

// convTranspose is evalConvTranspose on NCHW data.
func convTranspose(op *ir.ConvTranspose, x, w, b *ir.Tensor, out ir.Type) *ir.Tensor {
	xi := imageOf(x.Shape, ir.NCHW)
	y := newTensor(out)
	yi := imageOf(y.Shape, ir.NCHW)
	nsp := len(op.Kernel)
	c, mg := w.Shape[0], w.Shape[1]
	cg := c / op.Group
	taps := prod(op.Kernel)
	plans := planTaps(xi, yi, op.Kernel, op.Strides, op.Dilations, op.Pads[:nsp])
	plane := yi.planeOffsets()
	ys, xs, ws := y.Floats, x.Floats, w.Floats
	for n := range xi.n {
		if b != nil {
			for oc := range yi.c {
				yb := n*yi.bs + oc*yi.cs
				for _, p := range plane {
					ys[yb+p] = b.Floats[oc]
				}
			}
		}
		for ic := range c {
			g := ic / cg
			xb := n*xi.bs + ic*xi.cs
			for m := range mg {
				yb := n*yi.bs + (g*mg+m)*yi.cs
				wb := (ic*mg + m) * taps
				for t := range plans {
					p := &plans[t]
					wv := ws[wb+t]
					for _, row := range p.rows {
						s := xb + row.iter + p.iter0
						d := yb + row.other + p.other0
						for range p.n {
							ys[d] += wv * xs[s]
							d += p.otherStep
							s += p.iterStep
						}
					}
				}
			}
		}
	}
	return y
}

// needFloats checks that the given optional operands hold floating-point
// data; shape rules check only the main input's element type.
func needFloats(op string, ts ...*ir.Tensor) error {
	for _, t := range ts {
		if t != nil && !t.DType.IsFloat() {
			return fmt.Errorf("%s: operand of shape %v is %s, want a floating-point tensor", op, t.Shape, t.DType)
		}
	}
	return nil
}
