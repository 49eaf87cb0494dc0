package codegen

import "github.com/cnnc/cnnc/ir"

func init() {
	emitWhole(alias[*ir.Reshape], aliasWhole[*ir.Reshape])
	emitWhole(alias[*ir.Flatten], aliasWhole[*ir.Flatten])
	emitWhole(alias[*ir.Squeeze], aliasWhole[*ir.Squeeze])
	emitWhole(alias[*ir.Unsqueeze], aliasWhole[*ir.Unsqueeze])
}

// aliasWhole: a view of a run-time value shares its memory (the plan gives
// both one offset) and emits nothing, for any number of items; a view of a
// constant copies it into each item.
func aliasWhole[O ir.Op](n *ir.Node, _ O) bool { return ir.IsView(n) }

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
