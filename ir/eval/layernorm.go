package eval

import (
	"math"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	registerMulti(evalLayerNorm)
}

// evalLayerNorm follows the ONNX function body of LayerNormalization: the
// mean and the (biased) variance over the trailing axes, then
// (x-mean)/sqrt(var+eps), scaled and shifted by the broadcast Scale and B.
func evalLayerNorm(op *ir.LayerNormalization, in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error) {
	x, scale := in[0], in[1]
	var bias *ir.Tensor
	if len(in) > 2 {
		bias = in[2]
	}
	a := op.Axis
	rows := x.Shape[:a].NumElements(1)
	cols := x.Shape[a:].NumElements(1)
	norm := x.Shape[a:]
	si := broadcastOffsets(norm, scale.Shape)
	var bi []int
	if bias != nil {
		bi = broadcastOffsets(norm, bias.Shape)
	}
	y, mean, inv := newTensor(out[0]), newTensor(out[1]), newTensor(out[2])
	for r := range rows {
		row := x.Floats[r*cols : (r+1)*cols]
		var m float64
		for _, v := range row {
			m += v
		}
		m /= float64(cols)
		var variance float64
		for _, v := range row {
			variance += (v - m) * (v - m)
		}
		variance /= float64(cols)
		is := 1 / math.Sqrt(variance+op.Epsilon)
		for j, v := range row {
			o := (v - m) * is * scale.Floats[at(si, j)]
			if bias != nil {
				o += bias.Floats[at(bi, j)]
			}
			y.Floats[r*cols+j] = o
		}
		mean.Floats[r], inv.Floats[r] = m, is
	}
	return []*ir.Tensor{y, mean, inv}, nil
}
