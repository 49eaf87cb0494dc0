package passes

import (
	"github.com/cnnc/cnnc/ir"
)

// Lift1D rewrites 1-D convolutions and pools, global ones included ([N,
// C, L] data), as 2-D ones over [N, C, 1, L], so that the 2-D kernels of
// the generated code serve them: an Unsqueeze before, the window extended
// with a unit first axis, the weights reshaped to [M, C/group, 1, k], a
// Squeeze after.
func Lift1D(g *ir.Graph) error {
	var out []*ir.Node
	for _, n := range g.Nodes {
		x := n.Input(0)
		if x == nil || len(x.Shape) != 3 || !liftable(n) {
			out = append(out, n)
			continue
		}
		if l := layoutField(n.Op); l != nil && *l == ir.NHWC {
			out = append(out, n)
			continue
		}
		if _, conv := n.Op.(*ir.Conv); conv && !n.Inputs[1].IsConst() {
			out = append(out, n) // the code generator reports it
			continue
		}
		up := &ir.Node{Name: n.Name + "/2d", Op: &ir.Unsqueeze{Axes: []int{2}}, Inputs: []*ir.Value{x}}
		up.Outputs = []*ir.Value{{Name: up.Name, Producer: up}}
		if err := InferNode(up); err != nil {
			return err
		}
		out = append(out, up)
		n.Inputs[0] = up.Outputs[0]
		switch op := n.Op.(type) {
		case *ir.Conv:
			lift(&op.Window)
			w := n.Inputs[1]
			t := w.Const
			shape := ir.Shape{t.Shape[0], t.Shape[1], 1, t.Shape[2]}
			n.Inputs[1] = ir.NewConst(w.Name+"/2d", &ir.Tensor{DType: t.DType, Shape: shape, Floats: t.Floats, Ints: t.Ints})
			if r := n.Input(3); r != nil {
				ru := &ir.Node{Name: n.Name + "/residual2d", Op: &ir.Unsqueeze{Axes: []int{2}}, Inputs: []*ir.Value{r}}
				ru.Outputs = []*ir.Value{{Name: ru.Name, Producer: ru}}
				if err := InferNode(ru); err != nil {
					return err
				}
				out = append(out[:len(out)-1], ru, up)
				n.Inputs[3] = ru.Outputs[0]
			}
		case *ir.MaxPool:
			lift(&op.Window)
		case *ir.AveragePool:
			lift(&op.Window)
		}
		y := n.Outputs[0]
		y2 := &ir.Value{Name: y.Name + "/2d", Producer: n}
		n.Outputs[0] = y2
		if err := InferNode(n); err != nil {
			return err
		}
		out = append(out, n)
		down := &ir.Node{Name: n.Name + "/1d", Op: &ir.Squeeze{Axes: []int{2}}, Inputs: []*ir.Value{y2}, Outputs: []*ir.Value{y}}
		y.Producer = down
		if err := InferNode(down); err != nil {
			return err
		}
		out = append(out, down)
	}
	g.Nodes = out
	// The Squeezes give the 1-D results without the layout the nodes
	// reading them recorded: infer those again.
	return InferShapes(g)
}

func liftable(n *ir.Node) bool {
	switch n.Op.(type) {
	case *ir.Conv, *ir.MaxPool, *ir.AveragePool, *ir.GlobalAveragePool, *ir.GlobalMaxPool:
		return len(n.Outputs) == 1
	}
	return false
}

// lift prepends a unit axis to a 1-D window.
func lift(w *ir.Window) {
	w.Kernel = append([]int{1}, w.Kernel...)
	w.Strides = append([]int{1}, w.Strides...)
	w.Dilations = append([]int{1}, w.Dilations...)
	w.Pads = []int{0, w.Pads[0], 0, w.Pads[1]}
}
