package codegen

import "github.com/cnnc/cnnc/ir"

func init() {
	emit(alias[*ir.Reshape])
	emit(alias[*ir.Flatten])
	emit(alias[*ir.Squeeze])
	emit(alias[*ir.Unsqueeze])
}

// alias emits nothing for a view (ir.View): its output shares the input's
// memory (the memory plan gave both one offset). Only when the input is a
// constant does data move: it is copied once, at New.
func alias[O ir.Op](gen *gen, n *ir.Node, _ O) error {
	in, out := n.Inputs[0], n.Outputs[0]
	if _, ok := gen.g.Plan.Offset[out]; ok && (in.IsConst() || gen.g.Plan.Offset[in] != gen.g.Plan.Offset[out]) {
		src, err := gen.buf(in)
		if err != nil {
			return err
		}
		dst, err := gen.buf(out)
		if err != nil {
			return err
		}
		gen.line("copy(%s, %s)", dst, src)
		return nil
	}
	gen.line("// (shares its input's memory)")
	return nil
}
