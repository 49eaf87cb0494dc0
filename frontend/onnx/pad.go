package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Pad", opEntry{min: 1, max: MaxOpset, fn: importPad, notes: "paddings (1), pads attribute (2-10), constant pads/constant_value inputs (11+), axes input (18+); constant, reflect, edge, wrap (19+)", produces: []ir.Op{&ir.Pad{}}})
}

// importPad imports Pad. Opset 1 named the attribute paddings, opsets 2-10
// pads (with the fill in the value attribute); from 11 pads and
// constant_value are inputs, which must be constants, and from 18 an
// optional axes input says which axes pads covers. wrap mode exists from
// opset 19.
func importPad(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	a := b.attrs()
	mode, err := padMode(a.string("mode", "constant"), opset)
	if err != nil {
		return nil, err
	}
	var pads, axes []int64
	value := 0.0
	if opset < 11 {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		name := "pads"
		if opset < 2 {
			name = "paddings"
		}
		if !a.has(name) {
			return nil, fmt.Errorf("attribute %s is required", name)
		}
		pads = a.ints64(name)
		value = a.float("value", 0)
	} else {
		most := 3
		if opset >= 18 {
			most = 4
		}
		if err := arity(in, 2, most); err != nil {
			return nil, err
		}
		if pads, err = b.constInts(in[1], "pads"); err != nil {
			return nil, err
		}
		if v := opt(in, 2); v != nil {
			if value, err = b.constScalar(v, "constant_value"); err != nil {
				return nil, err
			}
		}
		if v := opt(in, 3); v != nil {
			if axes, err = b.constInts(v, "axes"); err != nil {
				return nil, err
			}
		}
	}
	full, err := fullPads(pads, axes, len(in[0].Shape))
	if err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Pad{Pads: full, Mode: mode, Value: value}, in[0]))
}

// fullPads expands pads given for some axes (all when axes is nil) into
// the begin pads then end pads of every axis of a rank-r tensor.
func fullPads(pads, axes []int64, r int) ([]int, error) {
	if axes == nil {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	k := len(axes)
	if len(pads) != 2*k {
		return nil, fmt.Errorf("pads %v must have %d entries (begin and end for %d axes)", pads, 2*k, k)
	}
	full := make([]int, 2*r)
	seen := make([]bool, r)
	for i, ax := range axes {
		if ax < -int64(r) || ax >= int64(r) {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", ax, r)
		}
		if ax < 0 {
			ax += int64(r)
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d is listed twice", ax)
		}
		seen[ax] = true
		for j, p := range []int64{pads[i], pads[k+i]} {
			if p < -maxDim || p > maxDim {
				return nil, fmt.Errorf("pad %d is out of range", p)
			}
			full[int(ax)+j*r] = int(p)
		}
	}
	return full, nil
}

func padMode(s string, opset int64) (ir.PadMode, error) {
	switch s {
	case "constant":
		return ir.PadConstant, nil
	case "reflect":
		return ir.PadReflect, nil
	case "edge":
		return ir.PadEdge, nil
	case "wrap":
		if opset >= 19 {
			return ir.PadWrap, nil
		}
	}
	return 0, errors.New("mode " + fmt.Sprintf("%q", s) + " is not a pad mode of this opset")
}
