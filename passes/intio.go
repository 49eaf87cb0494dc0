package passes

import (
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// IntegerIO gives the model's uint8 and int8 inputs, and its uint8, int8
// and int32 outputs, float32 slots in the generated code, whose inputs and
// outputs are float32 slices: an integer input becomes a float32 input
// quantized with scale 1 and zero point 0 (so its values are rounded half
// to even and saturated to the type's range), an integer output is
// dequantized the same way (exact for 8-bit codes; an int32 is exact up
// to 2^24 in magnitude). Every other value keeps its type. A graph without
// integer inputs or outputs is left as it is.
func IntegerIO(g *ir.Graph) error {
	var front []*ir.Node
	for i, v := range g.Inputs {
		if !ir.Is8Bit(v.DType) {
			continue
		}
		nv := &ir.Value{Name: v.Name, Type: ir.Type{DType: ir.Float32, Shape: v.Shape.Clone(), Layout: v.Layout}}
		g.Inputs[i] = nv
		n := &ir.Node{Name: v.Name + "/codes", Op: &ir.QuantizeLinear{To: v.DType},
			Inputs:  []*ir.Value{nv, unitScale(), ir.NewConst("zero", ir.Zeros(v.DType, ir.Shape{}))},
			Outputs: []*ir.Value{v}, Layer: v.Name, LayerType: "QuantizeLinear"}
		v.Name += "/codes"
		v.Producer = n
		if err := ir.InferNode(n); err != nil {
			return err
		}
		front = append(front, n)
	}
	g.Nodes = append(front, g.Nodes...)
	for i, o := range g.Outputs {
		if !ir.Is8Bit(o.DType) && o.DType != ir.Int32 {
			continue
		}
		in := []*ir.Value{o, unitScale()}
		if o.DType != ir.Int32 {
			in = append(in, ir.NewConst("zero", ir.Zeros(o.DType, ir.Shape{})))
		}
		n := &ir.Node{Name: o.Name, Op: &ir.DequantizeLinear{To: ir.Float32}, Inputs: in, Layer: o.Name, LayerType: "DequantizeLinear"}
		n.Outputs = []*ir.Value{{Name: o.Name, Producer: n}}
		if err := ir.InferNode(n); err != nil {
			return err
		}
		if o.IsConst() {
			// A constant output: its float32 values, computed now.
			ts := make([]*ir.Tensor, len(in))
			for j, v := range in {
				ts[j] = v.Const
			}
			res, err := eval.Node(n, ts)
			if err != nil {
				return err
			}
			g.Outputs[i] = ir.NewConst(o.Name, res[0])
			continue
		}
		o.Name += "/codes"
		g.Nodes = append(g.Nodes, n)
		g.Outputs[i] = n.Outputs[0]
	}
	return nil
}

func unitScale() *ir.Value {
	return ir.NewConst("one", ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{1}))
}
