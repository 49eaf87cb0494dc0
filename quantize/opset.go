package quantize

import (
	"fmt"
	"sort"
	"strings"
)

// minOpset is the ai.onnx opset the QDQ output needs: DequantizeLinear
// takes an axis (per-channel weights) from 13.
const minOpset = 13

// minIRVersion is the IR version that opset 13 goes with.
const minIRVersion = 7

// sameSince gives, for the op types a CNN uses, the first opset from
// which a node written for that opset means the same under opset 13: the
// later versions only added types or attributes whose defaults keep the
// old behaviour. A model with an older opset is raised to 13 only when
// every node's op is here and the model's opset is at least the value;
// anything else (Clip before 11 took its bounds as attributes, Softmax
// before 13 flattened to 2-D, Squeeze took axes as an attribute) would
// change meaning, and the model must be converted first.
var sameSince = map[string]int64{
	"Abs": 6, "Add": 7, "ArgMax": 1, "ArgMin": 1, "AveragePool": 1, "BatchNormalization": 9,
	"Cast": 6, "Ceil": 6, "Clip": 11, "Concat": 4, "Constant": 1, "ConstantOfShape": 9,
	"Conv": 1, "ConvTranspose": 1, "DepthToSpace": 1, "DequantizeLinear": 10, "Div": 7,
	"Dropout": 12, "Elu": 6, "Equal": 11, "Erf": 9, "Exp": 6, "Expand": 8, "Flatten": 1,
	"Floor": 6, "Gather": 1, "Gemm": 7, "GlobalAveragePool": 1, "GlobalMaxPool": 1,
	"Greater": 9, "HardSigmoid": 6, "Identity": 1, "InstanceNormalization": 6, "LRN": 1,
	"LeakyRelu": 6, "Less": 9, "Log": 6, "MatMul": 1, "Max": 8, "MaxPool": 1, "Mean": 8,
	"Min": 8, "Mul": 7, "Neg": 6, "Not": 1, "PRelu": 7, "Pad": 11, "Pow": 7,
	"QuantizeLinear": 10, "Range": 11, "Reciprocal": 6, "ReduceL2": 1, "ReduceMax": 1,
	"ReduceMean": 1, "ReduceMin": 1, "ReduceProd": 1, "Relu": 6, "Reshape": 5, "Resize": 11,
	"Selu": 6, "Shape": 1, "Sigmoid": 6, "Sign": 9, "Size": 1, "Slice": 10, "Softplus": 1,
	"SpaceToDepth": 1, "Sqrt": 6, "Sub": 7, "Sum": 8, "Tanh": 6, "Tile": 6, "TopK": 10,
	"Transpose": 1, "Where": 9,
	// Changed at 13: axes or splits became inputs, Softmax stopped
	// flattening to 2-D.
	"Squeeze": 13, "Unsqueeze": 13, "Split": 13, "ReduceSum": 13, "Softmax": 13, "LogSoftmax": 13, "Hardmax": 13,
}

// defaultOpset finds the model's ai.onnx opset entry.
func (p *Plan) defaultOpset() (int64, bool) {
	for _, o := range p.m.Proto.OpsetImport {
		if o != nil && (o.Domain == "" || o.Domain == "ai.onnx") {
			return o.Version, true
		}
	}
	return 0, false
}

// checkOpset decides the output's opset: the model's when it is 13 or
// more, else 13 if no node changes meaning; otherwise an error saying
// what to convert.
func (p *Plan) checkOpset() error {
	v, ok := p.defaultOpset()
	if !ok {
		return fmt.Errorf("the model imports no ai.onnx opset")
	}
	p.opset, p.oldOpset = v, v
	if v >= minOpset {
		return nil
	}
	var changed []string
	seen := map[string]bool{}
	for _, n := range p.m.Proto.Graph.Node {
		if n == nil || seen[n.OpType] {
			continue
		}
		since, known := sameSince[n.OpType]
		switch {
		case n.Domain != "" && n.Domain != "ai.onnx":
			continue // other domains keep their own opsets
		case (n.OpType == "Softmax" || n.OpType == "LogSoftmax") && p.lastAxis2D(input(n, 0), attrInt(n, "axis", 1)):
			// Before 13 Softmax flattened its input to 2-D at axis; for a
			// 2-D input over its last axis that is what 13 computes.
			continue
		case !known:
			changed = append(changed, n.OpType+" (not known to mean the same at opset 13)")
		case v < since:
			changed = append(changed, fmt.Sprintf("%s (changed at opset %d)", n.OpType, since))
		default:
			continue
		}
		seen[n.OpType] = true
	}
	if len(changed) > 0 {
		sort.Strings(changed)
		return fmt.Errorf("the model's ai.onnx opset is %d, QDQ with per-channel weights needs %d, and raising it would change what these ops mean: %s; convert the model first (onnx.version_converter.convert_version(model, 13))",
			v, minOpset, strings.Join(changed, ", "))
	}
	p.opset = minOpset
	return nil
}

// lastAxis2D reports whether tensor name is 2-D and axis its last axis.
func (p *Plan) lastAxis2D(name string, axis int64) bool {
	v := p.value(name)
	return v != nil && len(v.Shape) == 2 && (axis == 1 || axis == -1)
}
