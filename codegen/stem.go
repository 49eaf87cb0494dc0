package codegen

import (
	"fmt"
	"strconv"

	"github.com/cnnc/cnnc/ir"
)

// StemSegments is the most (input channel, kernel row) pairs of a
// convolution that reads channels-first input: runtime.MaxStemSegments,
// which generated code cannot exceed (passes.Target.StemSegments).
const StemSegments = 64

// convNCHW emits a convolution that reads its input channels-first
// (ir.Conv.NCHWInput, a network's first layer reading the model's image):
// the runtime's ConvNCHW, which copies each image into zero-padded planes
// and runs the GEMM kernel on strided views of them, writing channels-last
// rows with bias, residual and activation in the store step.
func (gen *gen) convNCHW(n *ir.Node, op *ir.Conv) error {
	x, wv, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	xs, ys, ws := batch1(x.Shape), batch1(y.Shape), wv.Shape
	batch, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow, m := ys[1], ys[2], ys[3]
	kh, kw := ws[2], ws[3]
	if op.Group != 1 || c*kh > StemSegments || n.Input(4) != nil || n.Input(5) != nil {
		return unsupportedf("a channels-first convolution with %d groups, %d channels, %d kernel rows or an input map", op.Group, c, kh)
	}
	if c*h*w == 0 {
		return unsupportedf("a Conv over an empty input")
	}
	bias := ""
	if b := n.Input(2); b != nil {
		bias = gen.weightSlice(b.Name, b.Const)
	}
	wref := gen.constant(wv.Const)
	src, err := gen.buf(x)
	if err != nil {
		return err
	}
	dst, ldy, cy, err := gen.rows(y)
	if err != nil {
		return err
	}
	res := ""
	if r := n.Input(3); r != nil {
		if res, err = gen.buf(r); err != nil {
			return err
		}
	}
	win := gen.names.ident("win", n.Name)
	fmt.Fprintf(&gen.decls, "var %s = runtime.Window{H: %d, W: %d, C: %d, KH: %d, KW: %d, StrideH: %d, StrideW: %d, DilH: %d, DilW: %d, PadT: %d, PadL: %d, PadB: %d, PadR: %d, OH: %d, OW: %d}\n\n",
		win, h, w, c, kh, kw, op.Strides[0], op.Strides[1], op.Dilations[0], op.Dilations[1],
		op.Pads[0], op.Pads[1], op.Pads[2], op.Pads[3], oh, ow)
	gen.windows = append(gen.windows, win)

	ep, err := gen.epilogueField(n, bias, op.Activation)
	if err != nil {
		return err
	}
	pk := gen.names.ident("pk", n.Name)
	fmt.Fprintf(&gen.wfields, "\t%s *runtime.PackedB // %s, channels-first taps\n", pk, comment(wv.Name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackStem(all[%d:%d], %d, %d, %d, %d)\n", pk, wref.off, wref.off+wref.n, m, c, kh, kw)
	gen.work = append(gen.work, fmt.Sprintf("p.ConvNCHWWorkSize(&%s)", win))
	gen.kernel = "direct (channels-first)"

	images := strconv.Itoa(batch)
	if gen.whole {
		images = "n"
		if batch != 1 {
			images = fmt.Sprintf("n*%d", batch)
		}
	}
	gen.line("{")
	gen.line("x, y := %s, %s", src, offsetExpr(dst, cy))
	if res != "" {
		gen.line("m.%s.Residual = %s", ep, res)
	}
	gen.line("m.rt.Pool.ConvNCHW(y, %d, x, &%s, %s, w.%s, &m.%s, m.rt.Work)", ldy, win, images, pk, ep)
	gen.line("}")
	return nil
}
