package passes

import (
	"strconv"

	"github.com/cnnc/cnnc/ir"
)

// Lift1D rewrites 1-D convolutions and pools, global ones included ([N,
// C, L] data), as 2-D ones over [N, C, 1, L], so that the 2-D kernels of
// the generated code serve them: an Unsqueeze before each data input, the
// op's own rewrite for a unit first axis (ir.Lifter), its weights
// reshaped to a unit kernel height, a Squeeze after.
func Lift1D(g *ir.Graph) error {
	var out []*ir.Node
	for _, n := range g.Nodes {
		l, ok := n.Op.(ir.Lifter)
		if !ok || len(n.Outputs) != 1 || !constWeights(n) {
			out = append(out, n)
			continue
		}
		data, weights, ok := l.LiftTo2D(ir.InputTypes(n))
		if !ok {
			out = append(out, n)
			continue
		}
		for _, i := range data {
			x := n.Input(i)
			if x == nil {
				continue
			}
			up := &ir.Node{Name: n.Name + "/2d", Op: &ir.Unsqueeze{Axes: []int{2}}, Inputs: []*ir.Value{x}}
			if i > 0 {
				up.Name = n.Name + "/input" + strconv.Itoa(i) + "_2d"
			}
			up.Outputs = []*ir.Value{{Name: up.Name, Producer: up}}
			if err := ir.InferNode(up); err != nil {
				return err
			}
			out = append(out, up)
			n.Inputs[i] = up.Outputs[0]
		}
		for _, i := range weights {
			w := n.Inputs[i]
			t := w.Const
			shape := ir.Shape{t.Shape[0], t.Shape[1], 1, t.Shape[2]}
			n.Inputs[i] = ir.NewConst(w.Name+"/2d", &ir.Tensor{DType: t.DType, Shape: shape, Floats: t.Floats, Ints: t.Ints})
		}
		y := n.Outputs[0]
		y2 := &ir.Value{Name: y.Name + "/2d", Producer: n}
		n.Outputs[0] = y2
		if err := ir.InferNode(n); err != nil {
			return err
		}
		out = append(out, n)
		down := &ir.Node{Name: n.Name + "/1d", Op: &ir.Squeeze{Axes: []int{2}}, Inputs: []*ir.Value{y2}, Outputs: []*ir.Value{y}}
		y.Producer = down
		if err := ir.InferNode(down); err != nil {
			return err
		}
		out = append(out, down)
	}
	g.Nodes = out
	// The Squeezes give the 1-D results without the layout the nodes
	// reading them recorded: infer those again.
	return g.Infer()
}

// constWeights reports whether n's inputs in the weight positions its op
// would reshape are constants; a 1-D convolution with weights computed at
// run time stays as it is (the code generator reports it). It asks the op
// on a clone, so that n is not changed.
func constWeights(n *ir.Node) bool {
	probe := ir.CloneOp(n.Op).(ir.Lifter)
	_, weights, ok := probe.LiftTo2D(ir.InputTypes(n))
	if !ok {
		return false
	}
	for _, i := range weights {
		if !n.Input(i).IsConst() {
			return false
		}
	}
	return true
}
