package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Constant", opEntry{min: 1, max: MaxOpset, fn: importConstant, notes: "value, value_float(s), value_int(s); not strings or sparse", folded: true})
	register("ConstantOfShape", opEntry{min: 9, max: MaxOpset, fn: importConstantOfShape, notes: "folded; the shape must be constant", folded: true})
}

// maxFold bounds the element count of a constant the importer
// materializes (ConstantOfShape, Expand's zeros, folded results): a few
// bytes of model must not be able to demand gigabytes.
const maxFold = 1 << 24

// importConstant turns a Constant node into an IR constant. Its value is
// one of value (a tensor), value_float(s) or value_int(s) (opset 12+);
// strings and sparse tensors are not supported.
func importConstant(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if len(in) != 0 {
		return nil, fmt.Errorf("takes no inputs, has %d", len(in))
	}
	a := b.attrs()
	var t *ir.Tensor
	count := 0
	if a.has("value") {
		count++
		t = a.tensor("value")
	}
	if a.has("value_float") {
		count++
		t = ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{a.float("value_float", 0)})
	}
	if a.has("value_floats") {
		count++
		f := a.floats("value_floats")
		t = ir.NewFloatTensor(ir.Float32, ir.Shape{len(f)}, f)
	}
	if a.has("value_int") {
		count++
		t = ir.NewIntTensor(ir.Int64, ir.Shape{}, []int64{a.int("value_int", 0)})
	}
	if a.has("value_ints") {
		count++
		v := clone64(a.ints64("value_ints"))
		t = ir.NewIntTensor(ir.Int64, ir.Shape{len(v)}, v)
	}
	for _, s := range []string{"value_string", "value_strings", "sparse_value"} {
		if a.has(s) {
			return nil, unsupportedf("a %s constant is not supported", s)
		}
	}
	if a.err != nil {
		return nil, a.err
	}
	if count != 1 || t == nil {
		return nil, fmt.Errorf("needs exactly one value attribute, has %d", count)
	}
	return []*ir.Value{b.constant(t)}, nil
}

// importConstantOfShape builds the constant at once: its shape input must
// be constant after folding.
func importConstantOfShape(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	dims, err := b.constInts(in[0], "shape")
	if err != nil {
		return nil, err
	}
	shape, count, err := checkShape(dims)
	if err != nil {
		return nil, err
	}
	if count > maxFold {
		return nil, unsupportedf("a constant of shape %v is too large to build at compile time", shape)
	}
	fill := ir.NewFloatTensor(ir.Float32, ir.Shape{1}, []float64{0})
	a := b.attrs()
	if a.has("value") {
		if fill = a.tensor("value"); fill == nil {
			return nil, a.err
		}
		if fill.Len() != 1 {
			return nil, errors.New("value must hold one element")
		}
	}
	t := ir.Zeros(fill.DType, shape)
	for i := range count {
		if fill.DType.IsFloat() {
			t.Floats[i] = fill.Floats[0]
		} else {
			t.Ints[i] = fill.Ints[0]
		}
	}
	return []*ir.Value{b.constant(t)}, nil
}
