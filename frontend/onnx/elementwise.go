package onnx

import (
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Abs", unaryEntry(func() ir.Op { return &ir.Abs{} }))
	register("Add", binaryEntry(func() ir.Op { return &ir.Add{} }))
	register("Ceil", floatUnaryEntry(func() ir.Op { return &ir.Ceil{} }))
	register("Div", binaryEntry(func() ir.Op { return &ir.Div{} }))
	register("Elu", opEntry{min: 1, max: MaxOpset, fn: importElu, floatOnly: true, produces: []ir.Op{&ir.Elu{}}})
	register("Equal", binaryEntry(func() ir.Op { return &ir.Equal{} }))
	register("Erf", opEntry{min: 9, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.Erf{} }), floatOnly: true, produces: []ir.Op{&ir.Erf{}}})
	register("Exp", floatUnaryEntry(func() ir.Op { return &ir.Exp{} }))
	register("Floor", floatUnaryEntry(func() ir.Op { return &ir.Floor{} }))
	register("Greater", binaryEntry(func() ir.Op { return &ir.Greater{} }))
	register("HardSigmoid", opEntry{min: 1, max: MaxOpset, fn: importHardSigmoid, floatOnly: true, produces: []ir.Op{&ir.HardSigmoid{}}})
	register("HardSwish", opEntry{min: 14, max: MaxOpset, fn: unaryOp(func() ir.Op { return &ir.HardSwish{} }), floatOnly: true, produces: []ir.Op{&ir.HardSwish{}}})
	register("Identity", unaryEntry(func() ir.Op { return &ir.Identity{} }))
	register("LeakyRelu", opEntry{min: 1, max: MaxOpset, fn: importLeakyRelu, floatOnly: true, produces: []ir.Op{&ir.LeakyRelu{}}})
	register("Less", binaryEntry(func() ir.Op { return &ir.Less{} }))
	register("Log", floatUnaryEntry(func() ir.Op { return &ir.Log{} }))
	register("Max", variadicEntry(func() ir.Op { return &ir.Max{} }))
	register("Mean", variadicEntry(func() ir.Op { return &ir.Mean{} }))
	register("Min", variadicEntry(func() ir.Op { return &ir.Min{} }))
	register("Mul", binaryEntry(func() ir.Op { return &ir.Mul{} }))
	register("Neg", unaryEntry(func() ir.Op { return &ir.Neg{} }))
	register("PRelu", opEntry{min: 1, max: MaxOpset, fn: importPRelu, notes: "before opset 7 a [C] slope applies per channel", produces: []ir.Op{&ir.PRelu{}}})
	register("Pow", binaryEntry(func() ir.Op { return &ir.Pow{} }))
	register("Reciprocal", floatUnaryEntry(func() ir.Op { return &ir.Reciprocal{} }))
	register("Relu", unaryEntry(func() ir.Op { return &ir.Relu{} }))
	register("Selu", opEntry{min: 1, max: MaxOpset, fn: importSelu, floatOnly: true, produces: []ir.Op{&ir.Selu{}}})
	register("Sigmoid", floatUnaryEntry(func() ir.Op { return &ir.Sigmoid{} }))
	register("Softplus", floatUnaryEntry(func() ir.Op { return &ir.Softplus{} }))
	register("Sqrt", floatUnaryEntry(func() ir.Op { return &ir.Sqrt{} }))
	register("Sub", binaryEntry(func() ir.Op { return &ir.Sub{} }))
	register("Sum", variadicEntry(func() ir.Op { return &ir.Sum{} }))
	register("Tanh", floatUnaryEntry(func() ir.Op { return &ir.Tanh{} }))
	register("Where", opEntry{min: 9, max: MaxOpset, fn: importWhere, produces: []ir.Op{&ir.Where{}}})
}

// unaryOp imports a one-input op without attributes (Relu, Exp, Identity,
// GlobalAveragePool, ...).
func unaryOp(newOp func() ir.Op) importFunc {
	return func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
		if err := arity(in, 1, 1); err != nil {
			return nil, err
		}
		return one(b.add1(newOp(), in[0]))
	}
}

func importLeakyRelu(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.LeakyRelu{Alpha: b.attrs().float("alpha", 0.01)}, in[0]))
}

func importElu(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Elu{Alpha: b.attrs().float("alpha", 1)}, in[0]))
}

// The defaults of Selu, as the ONNX spec writes them (float32 values).
const (
	seluAlpha = 1.67326319217681884765625
	seluGamma = 1.05070102214813232421875
)

func importSelu(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	a := b.attrs()
	return one(b.add1(&ir.Selu{Alpha: a.float("alpha", seluAlpha), Gamma: a.float("gamma", seluGamma)}, in[0]))
}

func importHardSigmoid(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	a := b.attrs()
	return one(b.add1(&ir.HardSigmoid{Alpha: a.float("alpha", 0.2), Beta: a.float("beta", 0.5)}, in[0]))
}

// binaryOp imports a two-input element-wise op (Add, Sub, Mul, Div, Pow,
// Equal, Less, Greater).
func binaryOp(newOp func() ir.Op) importFunc {
	return func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
		if err := arity(in, 2, 2); err != nil {
			return nil, err
		}
		y, err := b.legacyBroadcast(opset, in[0], in[1])
		if err != nil {
			return nil, err
		}
		return one(b.add1(newOp(), in[0], y))
	}
}

// legacyBroadcast maps the broadcasting of opsets before 7 onto numpy's.
// There, B broadcast to A only with broadcast=1, aligned at A's dimension
// axis (by default so that B's last dimension meets A's); numpy aligns the
// last dimensions, so B gets trailing size-1 dimensions when axis puts it
// further left. Without broadcast=1 the shapes had to be equal, which numpy
// broadcasting accepts as well.
func (b *builder) legacyBroadcast(opset int64, x, y *ir.Value) (*ir.Value, error) {
	if opset >= 7 {
		return y, nil
	}
	a := b.attrs()
	if !a.bool("broadcast", false) {
		a.ignore("axis")
		return y, nil
	}
	ra, rb := len(x.Shape), len(y.Shape)
	axis := int(a.int("axis", int64(ra-rb)))
	if a.err != nil {
		return nil, a.err
	}
	if axis < 0 {
		axis += ra
	}
	trailing := ra - axis - rb
	if axis < 0 || trailing < 0 {
		return nil, fmt.Errorf("broadcast axis %d does not fit B of shape %v into A of shape %v", a.int("axis", 0), y.Shape, x.Shape)
	}
	if trailing == 0 {
		return y, nil
	}
	axes := make([]int, trailing)
	for i := range axes {
		axes[i] = rb + i
	}
	return b.aux(&ir.Unsqueeze{Axes: axes}, y)
}

// variadicOp imports Max, Min, Sum and Mean.
func variadicOp(newOp func() ir.Op) importFunc {
	return func(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
		if len(in) == 0 {
			return nil, fmt.Errorf("needs at least one input")
		}
		for i, v := range in {
			if v == nil {
				return nil, fmt.Errorf("input %d is omitted", i)
			}
		}
		return one(b.add1(newOp(), in...))
	}
}

// importPRelu maps PRelu's slope to numpy broadcasting. Before opset 7 a
// slope of shape [C] applied per channel (axis 1) whatever the input's
// rank, so it becomes [C,1,...,1].
func importPRelu(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	x, slope := in[0], in[1]
	r := len(x.Shape)
	if opset < 7 && len(slope.Shape) == 1 && r > 2 && slope.Shape[0] == x.Shape[1] && slope.Shape[0] != 1 {
		axes := make([]int, r-2)
		for i := range axes {
			axes[i] = i + 1
		}
		var err error
		if slope, err = b.aux(&ir.Unsqueeze{Axes: axes}, slope); err != nil {
			return nil, err
		}
	}
	return one(b.add1(&ir.PRelu{}, x, slope))
}

func importWhere(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 3, 3); err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Where{}, in...))
}
