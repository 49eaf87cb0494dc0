package codegen

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// node writes the code of one node into forward, headed by a comment that
// names it, through the emitter its op type registered.
func (gen *gen) node(n *ir.Node) error {
	out := n.Outputs[0]
	fmt.Fprintf(&gen.body, "\n\t// %s: %s -> %s\n", comment(n.Name), n.Op.OpType(), out.Type)
	if numel(out.Shape) == 0 && len(n.Outputs) == 1 {
		gen.line("// (an empty result: nothing to compute)")
		return nil
	}
	t := reflect.TypeOf(n.Op)
	if f, ok := emitters[t]; ok {
		gen.kernel = ""
		var err error
		switch w := wholeBatch[t]; {
		case !gen.batched() || gen.itemMajor:
			err = f(gen, n)
		case w != nil && w(n):
			gen.whole = true
			err = f(gen, n)
			gen.whole = false
		default:
			// One item at a time: gen.buf gives item b's slices.
			gen.line("for b := 0; b < n; b++ {")
			err = f(gen, n)
			gen.line("}")
		}
		if err != nil {
			return err
		}
		gen.profileLayer(n)
		return nil
	}
	if why, ok := notCompiled[t]; ok {
		return unsupportedf("the %s op (%s)", n.Op.OpType(), why)
	}
	return unsupportedf("the %s op", n.Op.OpType())
}

// actFields maps a fused or stand-alone activation to the runtime's
// ActKind and its two parameters, written out in full (the runtime has no
// defaults), through the table the activations' registrations fill.
func actFields(act ir.Activation) (kind string, alpha, beta float64, err error) {
	if act == nil {
		return "runtime.ActNone", 0, 0, nil
	}
	f, ok := actKinds[reflect.TypeOf(act)]
	if !ok {
		return "", 0, 0, unsupportedf("the %s activation", act.OpType())
	}
	k, alpha, beta := f(act)
	return "runtime." + k, alpha, beta, nil
}

// epilogueField declares a runtime.Epilogue field of the model, named
// after node n, holding bias and act, and returns its name.
func (gen *gen) epilogueField(n *ir.Node, bias string, act ir.Activation) (string, error) {
	lit, err := epilogueLit(bias, act)
	if err != nil {
		return "", err
	}
	ep := gen.names.ident("ep", n.Name)
	fmt.Fprintf(&gen.mfields, "\t%s runtime.Epilogue\n", ep)
	fmt.Fprintf(&gen.mnew, "\tm.%s = %s\n", ep, lit)
	return ep, nil
}

// epilogueLit is the runtime.Epilogue literal for a bias expression and an
// activation.
func epilogueLit(bias string, act ir.Activation) (string, error) {
	kind, alpha, beta, err := actFields(act)
	if err != nil {
		return "", err
	}
	var parts []string
	if bias != "" {
		parts = append(parts, "Bias: "+bias)
	}
	if kind != "runtime.ActNone" {
		parts = append(parts, "Act: "+kind)
	}
	if alpha != 0 {
		parts = append(parts, "Alpha: "+floatLit(alpha))
	}
	if beta != 0 {
		parts = append(parts, "Beta: "+floatLit(beta))
	}
	return "runtime.Epilogue{" + strings.Join(parts, ", ") + "}", nil
}

// activation applies a stand-alone activation: copy, then the runtime's
// in-place kernel.
func (gen *gen) activation(n *ir.Node, act ir.Activation) error {
	kind, alpha, beta, err := actFields(act)
	if err != nil {
		return err
	}
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	gen.line("copy(%s, %s)", dst, src)
	gen.line("runtime.Activate(%s, %s, %s, %s)", dst, kind, floatLit(alpha), floatLit(beta))
	return nil
}

// activateInPlace applies a fused activation to v's buffer, for the
// kernels that have no activation step of their own.
func (gen *gen) activateInPlace(v *ir.Value, act ir.Activation) error {
	if act == nil {
		return nil
	}
	kind, alpha, beta, err := actFields(act)
	if err != nil {
		return err
	}
	dst, err := gen.buf(v)
	if err != nil {
		return err
	}
	gen.line("runtime.Activate(%s, %s, %s, %s)", dst, kind, floatLit(alpha), floatLit(beta))
	return nil
}

// inOut returns the buffers of a one-input, one-output node.
func (gen *gen) inOut(n *ir.Node) (src, dst string, err error) {
	if src, err = gen.buf(n.Inputs[0]); err != nil {
		return "", "", err
	}
	dst, err = gen.buf(n.Outputs[0])
	return src, dst, err
}

// window declares the runtime.Window of a 2-D NHWC convolution or pool
// and returns its name.
func (gen *gen) window(n *ir.Node, w *ir.Window) (string, error) {
	return gen.windowC(n, w, batch1(n.Inputs[0].Shape)[3])
}

// windowC is window for an input whose pixels lie c values apart (c is
// more than the input's channels when they are a column range of a wider
// value's).
func (gen *gen) windowC(n *ir.Node, w *ir.Window, c int) (string, error) {
	x, y := batch1(n.Inputs[0].Shape), batch1(n.Outputs[0].Shape)
	if x.NumElements(1) == 0 {
		// Only padding to slide over (runtime.Window wants every size
		// positive).
		return "", unsupportedf("a %s over an empty input", n.Op.OpType())
	}
	id := gen.names.ident("win", n.Name)
	fmt.Fprintf(&gen.decls, "var %s = runtime.Window{H: %d, W: %d, C: %d, KH: %d, KW: %d, StrideH: %d, StrideW: %d, DilH: %d, DilW: %d, PadT: %d, PadL: %d, PadB: %d, PadR: %d, OH: %d, OW: %d}\n\n",
		id, x[1], x[2], c, w.Kernel[0], w.Kernel[1], w.Strides[0], w.Strides[1], w.Dilations[0], w.Dilations[1],
		w.Pads[0], w.Pads[1], w.Pads[2], w.Pads[3], y[1], y[2])
	gen.windows = append(gen.windows, id)
	return id, nil
}

// profileLayer records n in the layer table of a profiling build and
// ends its timing (cnnc bench -layers).
func (gen *gen) profileLayer(n *ir.Node) {
	if !gen.opts.Profile {
		return
	}
	k := gen.kernel
	if k == "" {
		k = "loops"
		if ir.IsView(n) {
			k = "view"
		}
	}
	shape := batch1(n.Outputs[0].Shape)
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	gen.layers = append(gen.layers, fmt.Sprintf("{Name: %s, Op: %q, Shape: []int{%s}, MACs: %d, Kernel: %q}",
		strconv.Quote(n.Name), n.Op.OpType(), strings.Join(dims, ", "), ir.MACs(n), k))
	gen.line("m.rt.Tick(%d)", len(gen.layers)-1)
}
