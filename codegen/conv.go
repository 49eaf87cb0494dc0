package codegen

import (
	"fmt"
	"strconv"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	// A convolution takes all the items of a batch at once: their pixels
	// are the rows of one GEMM (the other kernels loop over the images).
	emitWhole((*gen).conv, func(*ir.Node, *ir.Conv) bool { return true })
	emit((*gen).convTranspose)
	// Every convolution kernel writes rows at a stride ldd (a Concat's
	// input in place) unless a residual, laid out like the output, comes
	// in; im2col and the 1x1 GEMM read a channel range of wider rows
	// (a column Slice, a DenseNet block's first channels), Winograd and
	// depthwise read whole rows.
	rowsOf(func(n *ir.Node, op *ir.Conv, i int) bool {
		return i == 0 && convNHWC(n, op) && !op.NCHWInput && convKernel(n, op) == kernGEMM
	}, func(n *ir.Node, op *ir.Conv) bool {
		return convNHWC(n, op) && n.Input(3) == nil
	})
}

// GroupWidth is the narrowest panel of the runtime's GEMM kernels (8
// columns on AVX2, 16 on AVX-512, where the generated code may also run):
// a group of a grouped convolution with fewer output channels wastes the
// rest of its panel, so the compiler merges such groups up to this width
// (passes.Target.GroupWidth).
const GroupWidth = 8

// inActLabel names a convolution's input channel map for bench -layers.
func inActLabel(act ir.Activation) string {
	if act == nil {
		return "scale+shift in"
	}
	return "scale+shift+" + act.OpType() + " in"
}

// The kernels a convolution runs on.
const (
	kernGEMM      = iota // im2col (or none, 1x1) + GEMM, per group
	kernWinograd         // Winograd F(m x m, 3x3)
	kernDepthwise        // the depthwise kernel
)

// convNHWC reports a convolution the code generator compiles: NHWC, 2-D,
// constant weights and bias.
func convNHWC(n *ir.Node, op *ir.Conv) bool {
	if op.Layout != ir.NHWC || len(n.Outputs[0].Shape) != 4 || !n.Inputs[1].IsConst() {
		return false
	}
	b := n.Input(2)
	return b == nil || b.IsConst()
}

// convKernel returns the kernel conv emits n with, and for Winograd the
// tile.
func convKernel(n *ir.Node, op *ir.Conv) int {
	k, _ := convKernelTile(n, op)
	return k
}

func convKernelTile(n *ir.Node, op *ir.Conv) (kind, tile int) {
	xs, ys, ws := batch1(n.Inputs[0].Shape), batch1(n.Outputs[0].Shape), n.Inputs[1].Shape
	if t := winogradTile(ws[2], ws[3], op.Strides[0], op.Strides[1], op.Dilations[0], op.Dilations[1], op.Group, xs[3], ys[3], ys[1]*ys[2]); t != 0 {
		return kernWinograd, t
	}
	if op.Depthwise(ws) {
		return kernDepthwise, 0
	}
	return kernGEMM, 0
}

// conv emits a 2-D NHWC convolution: Winograd for the 3x3 stride-1 ones
// where it pays (see winogradTile), a depthwise kernel, and a GEMM per
// group otherwise (the runtime's ConvN or ConvGroups, which choose between
// im2col and an indirect GEMM; a plain GEMM for a 1x1 stride-1 unpadded
// one), each with bias, residual and activation fused into the store step.
func (gen *gen) conv(n *ir.Node, op *ir.Conv) error {
	x, wv, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if op.Layout != ir.NHWC || len(y.Shape) != 4 {
		return unsupportedf("a %d-D convolution", len(y.Shape)-2)
	}
	if !wv.IsConst() {
		return unsupportedf("a convolution with run-time weights")
	}
	if b := n.Input(2); b != nil && !b.IsConst() {
		return unsupportedf("a convolution with a run-time bias")
	}
	if op.NCHWInput {
		return gen.convNCHW(n, op)
	}
	xs, ys, ws := batch1(x.Shape), batch1(y.Shape), wv.Shape
	batch, h, w, c := xs[0], xs[1], xs[2], xs[3]
	oh, ow, m := ys[1], ys[2], ys[3]
	kh, kw := ws[2], ws[3]
	groups := op.Group
	cing, coutg := c/groups, m/groups

	bias := ""
	if b := n.Input(2); b != nil {
		bias = gen.weightSlice(b.Name, b.Const)
	}
	wref := gen.constant(wv.Const)
	// The input's and output's rows may lie in wider values' memory
	// (ldx > c, ldy > m): the kernels read channels cx.. of each input
	// pixel and write from channel cy of each output pixel on.
	src, ldx, cx, err := gen.rows(x)
	if err != nil {
		return err
	}
	dst, ldy, cy, err := gen.rows(y)
	if err != nil {
		return err
	}
	kind, tile := convKernelTile(n, op)
	if n.Input(4) != nil && kind != kernGEMM {
		return unsupportedf("an input channel scale on a Winograd or depthwise convolution")
	}
	if n.Input(5) != nil && (kind != kernGEMM || op.Group != 1 || n.Input(4) != nil) {
		return unsupportedf("an input channel map on a Winograd, depthwise, grouped or channel-scaled convolution")
	}
	if (ldx != c || cx != 0) && kind != kernGEMM {
		return inSlot(x)
	}
	win, err := gen.windowC(n, &op.Window, ldx)
	if err != nil {
		return err
	}
	ep := gen.names.ident("ep", n.Name)
	inLen, outLen := h*w*ldx, oh*ow*ldy
	res := ""
	if r := n.Input(3); r != nil {
		if res, err = gen.buf(r); err != nil {
			return err
		}
	}

	gen.line("{")
	gen.line("x, y := %s, %s", src, offsetExpr(dst, cy))
	if res != "" {
		gen.line("r := %s", res)
	}
	// images is how many images the call covers: a fixed batch, or the n
	// items of a batched model's forward pass. The GEMM path takes them
	// all in one call (their pixels are the rows of one GEMM); Winograd
	// and depthwise, which gain nothing from it, loop.
	images := strconv.Itoa(batch)
	if gen.whole {
		images = "n"
		if batch != 1 {
			images = fmt.Sprintf("n*%d", batch)
		}
	}
	loop := kind != kernGEMM && (batch > 1 || gen.whole)
	xi, yi, ri := "x", "y", "r"
	if loop {
		gen.line("for b := 0; b < %s; b++ {", images)
		xi = fmt.Sprintf("x[b*%d:(b+1)*%d]", inLen, inLen)
		// y starts at channel cy: its last image's rows end cy short of
		// a whole image's.
		yi = fmt.Sprintf("y[b*%d:]", outLen)
		ri = fmt.Sprintf("r[b*%d:(b+1)*%d]", outLen, outLen)
	}
	switch kind {
	case kernWinograd:
		gen.kernel = fmt.Sprintf("winograd F(%dx%d,3x3)", tile, tile)
		lit, err := epilogueLit(bias, op.Activation)
		if err != nil {
			return err
		}
		fmt.Fprintf(&gen.mfields, "\t%s runtime.Epilogue\n", ep)
		fmt.Fprintf(&gen.mnew, "\tm.%s = %s\n", ep, lit)
		pk := gen.names.ident("wg", n.Name)
		fmt.Fprintf(&gen.wfields, "\t%s *runtime.PackedWinograd // %s, F(%dx%d, 3x3)\n", pk, comment(wv.Name), tile, tile)
		fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackWinograd(all[%d:%d], %d, %d, %d)\n", pk, wref.off, wref.off+wref.n, m, c, tile)
		gen.work = append(gen.work, fmt.Sprintf("p.WinogradWorkSize(&%s, %d, %d)", win, m, tile))
		if res != "" {
			gen.line("m.%s.Residual = %s", ep, ri)
		}
		gen.line("m.rt.Pool.WinogradConv3x3(%s, %d, %s, &%s, w.%s, &m.%s, m.rt.Work)", yi, ldy, xi, win, pk, ep)
	case kernDepthwise:
		gen.kernel = fmt.Sprintf("depthwise %dx%d", kh, kw)
		lit, err := epilogueLit(bias, op.Activation)
		if err != nil {
			return err
		}
		fmt.Fprintf(&gen.mfields, "\t%s runtime.Epilogue\n", ep)
		fmt.Fprintf(&gen.mnew, "\tm.%s = %s\n", ep, lit)
		pk := gen.names.ident("dw", n.Name)
		fmt.Fprintf(&gen.wfields, "\t%s []float32 // %s, depthwise\n", pk, comment(wv.Name))
		fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackDepthwise(all[%d:%d], %d, %d, %d)\n", pk, wref.off, wref.off+wref.n, m, kh, kw)
		if res != "" {
			gen.line("m.%s.Residual = %s", ep, ri)
		}
		gen.line("m.rt.Pool.DepthwiseConv(%s, %d, %s, &%s, %d, w.%s, &m.%s)", yi, ldy, xi, win, m/c, pk, ep)
	default:
		gen.kernel = "im2col+gemm"
		if groups > 1 {
			// ConvGroups chooses at run time: the indirect GEMM where the
			// CPU's kernel has one (AVX2, portable Go), im2col elsewhere,
			// so the label names neither.
			gen.kernel = "grouped gemm"
		}
		if kh == 1 && kw == 1 && op.Strides[0] == 1 && op.Strides[1] == 1 {
			gen.kernel = "gemm (1x1)"
		}
		if groups > 1 {
			gen.kernel += fmt.Sprintf(", %d groups", groups)
		}
		fmt.Fprintf(&gen.mfields, "\t%s [%d]runtime.Epilogue\n", ep, groups)
		pk := gen.names.ident("pk", n.Name)
		fmt.Fprintf(&gen.wfields, "\t%s [%d]*runtime.PackedB // %s\n", pk, groups, comment(wv.Name))
		per := coutg * cing * kh * kw
		for g := 0; g < groups; g++ {
			fmt.Fprintf(&gen.wload, "\tw.%s[%d] = runtime.PackConv(all[%d:%d], %d, %d, %d, %d)\n", pk, g, wref.off+g*per, wref.off+(g+1)*per, coutg, cing, kh, kw)
			gb := ""
			if bias != "" {
				gb = fmt.Sprintf("%s[%d:%d]", bias, g*coutg, (g+1)*coutg)
			}
			lit, err := epilogueLit(gb, op.Activation)
			if err != nil {
				return err
			}
			fmt.Fprintf(&gen.mnew, "\tm.%s[%d] = %s\n", ep, g, lit)
		}
		// Conv2D runs im2col (or builds the indirect GEMM's table) and the
		// GEMM a chunk of output pixels at a time (a 1x1 stride-1
		// unpadded convolution reads the input as A).
		if pv := n.Input(5); pv == nil {
			gen.work = append(gen.work, fmt.Sprintf("p.Conv2DWorkSize(&%s, %d)", win, kh*kw*cing))
		} else {
			// The input channel map (passes.FusePreActivation): the GEMM
			// maps its input a chunk of pixels at a time into the scratch.
			if !pv.IsConst() || n.Input(6) == nil || !n.Input(6).IsConst() {
				return unsupportedf("a run-time input channel map")
			}
			kind, alpha, beta, err := actFields(op.InActivation)
			if err != nil {
				return err
			}
			sc := gen.weightSlice(n.Name+"/in_scale", pv.Const)
			sh := gen.weightSlice(n.Name+"/in_shift", n.Input(6).Const)
			fmt.Fprintf(&gen.mnew, "\tm.%s[0].Pre = &runtime.Prologue{Scale: %s, Shift: %s, Act: %s, Alpha: %s, Beta: %s}\n", ep, sc, sh, kind, floatLit(alpha), floatLit(beta))
			gen.work = append(gen.work, fmt.Sprintf("p.PrologueWorkSize(&%s, %d)", win, kh*kw*cing))
			gen.kernel += ", " + inActLabel(op.InActivation)
		}
		if sv := n.Input(4); sv != nil {
			// An input channel scale (a squeeze-and-excitation block's,
			// see passes.FuseChannelScale) rescales a copy of the
			// weights for each image, which then goes through the GEMM
			// alone.
			if groups != 1 {
				return unsupportedf("an input channel scale on a grouped convolution")
			}
			sb, err := gen.buf(sv)
			if err != nil {
				return err
			}
			sc := gen.names.ident("scaled", n.Name)
			fmt.Fprintf(&gen.mfields, "	%s *runtime.PackedB // %s, rescaled per image by %s\n", sc, comment(wv.Name), comment(sv.Name))
			fmt.Fprintf(&gen.mnew, "	m.%s = w.%s[0].Clone()\n", sc, pk)
			gen.line("s := %s", sb)
			gen.line("for b := 0; b < %s; b++ {", images)
			gen.line("runtime.ScaleRows(m.%s, w.%s[0], s[b*%d:(b+1)*%d])", sc, pk, c, c)
			if res != "" {
				gen.line("m.%s[0].Residual = r[b*%d:(b+1)*%d]", ep, outLen, outLen)
			}
			gen.line("m.rt.Pool.ConvN(y[b*%d:], %d, x[b*%d:(b+1)*%d], &%s, 1, %d, m.%s, &m.%s[0], m.rt.Work)", outLen, ldy, inLen, inLen, win, cx, sc, ep)
			gen.line("}")
		} else if groups == 1 {
			if res != "" {
				gen.line("m.%s[0].Residual = %s", ep, ri)
			}
			gen.line("m.rt.Pool.ConvN(%s, %d, %s, &%s, %s, %d, w.%s[0], &m.%s[0], m.rt.Work)", yi, ldy, xi, win, images, cx, pk, ep)
		} else {
			// One call for all the groups, so that the runtime can share
			// its work between them (the indirect GEMM's tables).
			if res != "" {
				gen.line("for g := 0; g < %d; g++ {", groups)
				gen.line("m.%s[g].Residual = %s[g*%d:]", ep, ri, coutg)
				gen.line("}")
			}
			gen.line("m.rt.Pool.ConvGroups(%s, %d, %s, &%s, %s, %d, w.%s[:], m.%s[:], m.rt.Work)", yi, ldy, xi, win, images, cx, pk, ep)
		}
	}
	if loop {
		gen.line("}")
	}
	gen.line("}")
	return nil
}

// convTranspose emits a 1-D or 2-D ConvTranspose on NCHW data as direct
// loops: every input element scatters into the output positions its
// kernel taps reach. It is not a hot path in the CNNs cnnc targets.
func (gen *gen) convTranspose(n *ir.Node, op *ir.ConvTranspose) error {
	x, wv, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if op.Layout == ir.NHWC || len(y.Shape) < 3 || len(y.Shape) > 4 {
		return unsupportedf("a %d-D ConvTranspose in %s layout", len(y.Shape)-2, op.Layout)
	}
	xs, ys, ws := batch1(x.Shape), batch1(y.Shape), wv.Shape
	// View 1-D as 2-D with a unit height.
	k, s, d, pb := op.Kernel, op.Strides, op.Dilations, op.Pads
	if len(xs) == 3 {
		xs, ys = ir.Shape{xs[0], xs[1], 1, xs[2]}, ir.Shape{ys[0], ys[1], 1, ys[2]}
		ws = ir.Shape{ws[0], ws[1], 1, ws[2]}
		k, s, d, pb = []int{1, k[0]}, []int{1, s[0]}, []int{1, d[0]}, []int{0, pb[0], 0, pb[1]}
	}
	batch, c, h, w := xs[0], xs[1], xs[2], xs[3]
	m, oh, ow := ys[1], ys[2], ys[3]
	groups := op.Group
	cg, mg := c/groups, m/groups
	src, err := gen.buf(x)
	if err != nil {
		return err
	}
	wt, err := gen.buf(wv)
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	gen.line("{")
	gen.line("x, wt, y := %s, %s, %s", src, wt, dst)
	if b := n.Input(2); b != nil {
		bias, err := gen.buf(b)
		if err != nil {
			return err
		}
		gen.line("bias := %s", bias)
		gen.line("for i := range y {")
		gen.line("y[i] = bias[(i/%d)%%%d]", oh*ow, m)
		gen.line("}")
	} else {
		gen.line("clear(y)")
	}
	gen.line("for n := 0; n < %d; n++ {", batch)
	gen.line("for g := 0; g < %d; g++ {", groups)
	gen.line("for ci := g * %d; ci < (g+1)*%d; ci++ {", cg, cg)
	gen.line("for ih := 0; ih < %d; ih++ {", h)
	gen.line("for iw := 0; iw < %d; iw++ {", w)
	gen.line("v := x[((n*%d+ci)*%d+ih)*%d+iw]", c, h, w)
	gen.line("for j := 0; j < %d; j++ {", mg)
	gen.line("co := g*%d + j", mg)
	gen.line("for kh := 0; kh < %d; kh++ {", k[0])
	gen.line("oh := ih*%d - %d + kh*%d", s[0], pb[0], d[0])
	gen.line("if oh < 0 || oh >= %d {", oh)
	gen.line("continue")
	gen.line("}")
	gen.line("for kw := 0; kw < %d; kw++ {", k[1])
	gen.line("ow := iw*%d - %d + kw*%d", s[1], pb[1], d[1])
	gen.line("if ow < 0 || ow >= %d {", ow)
	gen.line("continue")
	gen.line("}")
	gen.line("y[((n*%d+co)*%d+oh)*%d+ow] += v * wt[((ci*%d+j)*%d+kh)*%d+kw]", m, oh, ow, mg, ws[2], ws[3])
	for i := 0; i < 8; i++ {
		gen.line("}")
	}
	gen.line("}")
	return nil
}
