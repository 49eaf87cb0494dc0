package codegen

import (
	"fmt"
	"math"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).resize)
}

// maxResizeTable bounds the entries of one axis' Resize tables, so that
// an absurd antialiasing kernel cannot produce a giant source file.
const maxResizeTable = 1 << 22

// resizeAxis is how the generated code reads one axis of a Resize.
type resizeAxis struct {
	identity bool // output position i reads input position i
	// k taps per output position: off[i*k+j] is the input offset (the
	// position times the axis' stride, -1 for a tf_crop_and_resize
	// position outside the input) and w[i*k+j] its weight. A nearest
	// axis has k = 1 and no weights.
	k       int
	off     []int
	w       []float64
	outside bool // some position is outside
}

// resize emits Resize as loops over the output with constant bounds. Each
// axis that does not just copy has package-level tables, computed here
// in float64 from the ONNX formulas: for every output position the input
// offsets of its taps and their weights. Leading axes that copy (batch
// and channels of an NCHW image) are one loop.
func (gen *gen) resize(n *ir.Node, op *ir.Resize) error {
	x, y := n.Inputs[0], n.Outputs[0]
	xs, ys := batch1(x.Shape), batch1(y.Shape)
	r := len(xs)
	if len(op.Sizes) != r || len(op.Scales) != r || len(ys) != r {
		return fmt.Errorf("resize of rank %d with sizes %v and scales %v", r, op.Sizes, op.Scales)
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	if ys.NumElements(1) == 0 {
		gen.line("// (the output is empty)")
		return nil
	}
	xstr := contiguous(xs)
	axes := make([]resizeAxis, r)
	for d := range axes {
		if op.Sizes[d] == ir.Batch {
			axes[d] = resizeAxis{identity: true}
			continue
		}
		if axes[d], err = resizeTable(op, d, xs[d], ys[d], xstr[d]); err != nil {
			return err
		}
	}
	p := 0 // leading identity axes
	for p < r && axes[p].identity {
		p++
	}
	if p == r {
		gen.line("copy(%s, %s)", dst, src)
		return nil
	}
	tables := make([]string, r)
	weights := make([]string, r)
	for d := p; d < r; d++ {
		a := &axes[d]
		if a.identity {
			continue
		}
		tables[d] = gen.names.ident("rsOff", n.Name)
		fmt.Fprintf(&gen.decls, "var %s = [...]int{%s}\n\n", tables[d], joinInts(a.off))
		if a.w != nil {
			weights[d] = gen.names.ident("rsW", n.Name)
			lits := make([]string, len(a.w))
			for i, w := range a.w {
				lits[i] = floatLit(w)
			}
			fmt.Fprintf(&gen.decls, "var %s = [...]float32{%s}\n\n", weights[d], strings.Join(lits, ", "))
		}
	}

	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("o := 0")
	cur := "0"
	if p > 0 {
		gen.line("for i := 0; i < %d; i++ {", ys[:p].NumElements(1))
		gen.line("b := i * %d", xstr[p-1])
		cur = "b"
	}
	var outside []string
	var weighted []int
	for d := p; d < r; d++ {
		a := &axes[d]
		gen.line("for i%d := 0; i%d < %d; i%d++ {", d, d, ys[d], d)
		switch {
		case a.identity:
			gen.line("b%d := %s + i%d*%d", d, cur, d, xstr[d])
			cur = fmt.Sprintf("b%d", d)
		case a.w == nil:
			gen.line("b%d := %s + %s[i%d]", d, cur, tables[d], d)
			cur = fmt.Sprintf("b%d", d)
			if a.outside {
				outside = append(outside, fmt.Sprintf("%s[i%d] < 0", tables[d], d))
			}
		default:
			weighted = append(weighted, d)
			if a.outside {
				outside = append(outside, fmt.Sprintf("%s[i%d*%d] < 0", tables[d], d, a.k))
			}
		}
	}
	if len(outside) > 0 {
		gen.line("if %s {", strings.Join(outside, " || "))
		gen.line("y[o] = %s", floatLit(op.ExtrapolationValue))
		gen.line("o++")
		gen.line("continue")
		gen.line("}")
	}
	if len(weighted) == 0 {
		gen.line("y[o] = x[%s]", cur)
	} else {
		gen.line("var s float32")
		w := ""
		for i, d := range weighted {
			a := &axes[d]
			gen.line("for k%d := 0; k%d < %d; k%d++ {", d, d, a.k, d)
			at := fmt.Sprintf("i%d*%d+k%d", d, a.k, d)
			gen.line("j%d := %s + %s[%s]", d, cur, tables[d], at)
			cur = fmt.Sprintf("j%d", d)
			if i == 0 {
				gen.line("w%d := %s[%s]", d, weights[d], at)
			} else {
				gen.line("w%d := %s * %s[%s]", d, w, weights[d], at)
			}
			w = fmt.Sprintf("w%d", d)
		}
		gen.line("s += %s * x[%s]", w, cur)
		for range weighted {
			gen.line("}")
		}
		gen.line("y[o] = s")
	}
	gen.line("o++")
	for d := p; d < r; d++ {
		gen.line("}")
	}
	if p > 0 {
		gen.line("}")
	}
	gen.line("}")
	return nil
}

// resizeTable computes axis d's taps for every output position. Taps of
// weight 0 are dropped and taps clamped to the same edge element merged,
// so that an axis whose positions all read one element with weight 1
// becomes a nearest (index-only) axis, and one reading its own position
// the identity.
func resizeTable(op *ir.Resize, d, in, out, stride int) (resizeAxis, error) {
	rank := len(op.Sizes)
	idx := make([][]int, out)
	ws := make([][]float64, out)
	a := resizeAxis{identity: in == out, k: 1}
	single := true
	for o := range idx {
		i, w, outside, err := resizeTaps(op, d, rank, in, out, o)
		if err != nil {
			return resizeAxis{}, err
		}
		if outside {
			a.outside, a.identity = true, false
			continue
		}
		for j := range i {
			switch last := len(idx[o]) - 1; {
			case w[j] == 0 && len(i) > 1:
			case last >= 0 && idx[o][last] == i[j]: // clamped to the same edge element
				ws[o][last] += w[j]
			default:
				idx[o] = append(idx[o], i[j])
				ws[o] = append(ws[o], w[j])
			}
		}
		if len(idx[o]) == 0 { // all weights 0: keep one tap, of weight 0
			idx[o], ws[o] = i[:1], []float64{0}
		}
		a.k = max(a.k, len(idx[o]))
		if len(idx[o]) != 1 || ws[o][0] != 1 {
			single = false
		}
		if len(idx[o]) != 1 || ws[o][0] != 1 || idx[o][0] != o {
			a.identity = false
		}
	}
	if a.identity {
		return a, nil
	}
	if out*a.k > maxResizeTable {
		return resizeAxis{}, unsupportedf("a Resize axis with %d x %d taps", out, a.k)
	}
	if single {
		a.k = 1
	}
	a.off = make([]int, out*a.k)
	if !single {
		a.w = make([]float64, out*a.k)
	}
	for o := range idx {
		for j := 0; j < a.k; j++ {
			at := o*a.k + j
			switch {
			case idx[o] == nil: // outside
				a.off[at] = -1
			case j < len(idx[o]):
				a.off[at] = idx[o][j] * stride
				if a.w != nil {
					a.w[at] = ws[o][j]
				}
			default: // padding: the first tap again, with weight 0
				a.off[at] = idx[o][0] * stride
			}
		}
	}
	return a, nil
}

// resizeTaps returns the input positions and weights that output position
// o on axis d reads (ONNX Resize; ir.Resize documents the coordinate
// formulas), or outside for a tf_crop_and_resize position outside the
// input. ir/eval computes the same independently.
func resizeTaps(op *ir.Resize, d, rank, in, out, o int) (idx []int, w []float64, outside bool, err error) {
	scale := op.Scales[d]
	length := scale * float64(in) // the resized length, fractional when the scale does not divide
	x := float64(o)
	var xo float64
	switch op.Coord {
	case ir.ResizeHalfPixel:
		xo = (x+0.5)/scale - 0.5
	case ir.ResizeHalfPixelSymmetric:
		xo = float64(in)/2*(1-float64(out)/length) + (x+0.5)/scale - 0.5
	case ir.ResizePytorchHalfPixel:
		if out > 1 {
			xo = (x+0.5)/scale - 0.5
		}
	case ir.ResizeAlignCorners:
		if out > 1 {
			xo = x * float64(in-1) / (length - 1)
		}
	case ir.ResizeAsymmetric:
		xo = x / scale
	case ir.ResizeTFCropAndResize:
		start, end := op.RoiAt(d, rank)
		if out > 1 {
			xo = start*float64(in-1) + x*(end-start)*float64(in-1)/(length-1)
		} else {
			xo = (start + end) / 2 * float64(in-1)
		}
		if xo < 0 || xo > float64(in-1) {
			return nil, nil, true, nil
		}
	default:
		return nil, nil, false, unsupportedf("Resize coordinate transformation %v", op.Coord)
	}
	if math.IsNaN(xo) {
		return nil, nil, false, fmt.Errorf("resize axis %d: position %d maps to NaN", d, o)
	}
	lim := float64(in) + maxResizeTable + 8
	xo = max(-lim, min(xo, lim))
	clamp := func(i int) int { return max(0, min(i, in-1)) }
	if op.Mode == ir.ResizeNearest {
		var i float64
		switch op.Nearest {
		case ir.NearestRoundPreferFloor:
			i = math.Ceil(xo - 0.5)
		case ir.NearestRoundPreferCeil:
			i = math.Floor(xo + 0.5)
		case ir.NearestFloor:
			i = math.Floor(xo)
		case ir.NearestCeil:
			i = math.Ceil(xo)
		}
		return []int{clamp(int(i))}, []float64{1}, false, nil
	}
	// xo = base + t with t in (0, 1]; the taps are base+j for j in
	// [lo, 1-lo].
	base := math.Floor(xo)
	t := xo - base
	if t == 0 {
		base, t = base-1, 1
	}
	s := 1.0
	if op.Antialias {
		s = min(scale, 1)
	}
	support := 1.0
	if op.Mode == ir.ResizeCubic {
		support = 2
	}
	flo := math.Floor(-support/s) + 1
	if 2-2*flo > maxResizeTable {
		return nil, nil, false, unsupportedf("a Resize kernel of %g taps", 2-2*flo)
	}
	sum := 0.0
	for j := int(flo); j <= 1-int(flo); j++ {
		i := int(base) + j
		v := resizeKernel(op, (float64(j)-t)*s)
		if op.ExcludeOutside && (i < 0 || i >= in) {
			v = 0
		}
		idx = append(idx, clamp(i))
		w = append(w, v)
		sum += v
	}
	if op.Antialias || op.ExcludeOutside {
		for j := range w {
			w[j] /= sum
		}
	}
	return idx, w, false, nil
}

// resizeKernel is the linear (triangle) or cubic (Keys, parameter
// CubicCoeffA) interpolation kernel at distance t.
func resizeKernel(op *ir.Resize, t float64) float64 {
	t = math.Abs(t)
	if op.Mode == ir.ResizeLinear {
		return max(0, 1-t)
	}
	a := op.CubicCoeffA
	switch {
	case t <= 1:
		return ((a+2)*t-(a+3))*t*t + 1
	case t < 2:
		return ((a*t-5*a)*t+8*a)*t - 4*a
	}
	return 0
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
