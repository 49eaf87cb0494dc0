package onnx

import (
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("QuantizeLinear", opEntry{min: 10, max: MaxOpset, fn: importQuantizeLinear, floatOnly: true,
		notes:    "uint8, int8, uint16, int16; per tensor, per axis (13+) or blocked (21+); output_dtype, precision (23+); float8, int4 and int2 are not supported",
		produces: []ir.Op{&ir.QuantizeLinear{}}})
	register("DequantizeLinear", opEntry{min: 10, max: MaxOpset, fn: importDequantizeLinear,
		notes:    "uint8, int8, uint16, int16, int32; per tensor, per axis (13+) or blocked (21+); output_dtype (23+); float8, int4 and int2 are not supported",
		produces: []ir.Op{&ir.DequantizeLinear{}}})
	register("DynamicQuantizeLinear", opEntry{min: 11, max: MaxOpset, fn: importDynamicQuantizeLinear, floatOnly: true,
		produces: []ir.Op{&ir.DynamicQuantizeLinear{}}})
	// ONNX Runtime's contrib versions, which older quantizers wrote for
	// per-axis parameters before opset 13: the same operators with axis.
	registerIn(msDomain, "QuantizeLinear", opEntry{min: 1, max: 1, fn: importQuantizeLinear, floatOnly: true,
		notes: "as ai.onnx QuantizeLinear-13", produces: []ir.Op{&ir.QuantizeLinear{}}})
	registerIn(msDomain, "DequantizeLinear", opEntry{min: 1, max: 1, fn: importDequantizeLinear,
		notes: "as ai.onnx DequantizeLinear-13", produces: []ir.Op{&ir.DequantizeLinear{}}})
}

// quantOpset is the ai.onnx opset whose QuantizeLinear and
// DequantizeLinear a node follows: its own, or 13 for the com.microsoft
// versions.
func (b *builder) quantOpset(opset int64) int64 {
	if normDomain(b.cur.Domain) == msDomain {
		return 13
	}
	return opset
}

// importQuantizeLinear imports QuantizeLinear: axis from opset 13,
// saturate (float8 only) from 19, block_size and output_dtype from 21,
// precision from 23. The code type is the zero point's, else output_dtype,
// else uint8.
func importQuantizeLinear(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	opset = b.quantOpset(opset)
	a := b.attrs()
	op := &ir.QuantizeLinear{Axis: 1, To: ir.Uint8}
	if opset >= 13 {
		op.Axis = a.intIn("axis", 1, -maxDim, maxDim)
	}
	if opset >= 19 {
		a.ignore("saturate") // it concerns float8 codes only
	}
	var outType ir.DType
	if opset >= 21 {
		op.BlockSize = a.intIn("block_size", 0, 0, maxDim)
		if a.has("output_dtype") {
			dt, err := quantCodeType(a.int("output_dtype", 0), "output_dtype")
			if err != nil {
				return nil, err
			}
			outType = dt
		}
	}
	if opset >= 23 && a.has("precision") {
		switch p := a.int("precision", 0); pb.TensorProto_DataType(p) {
		case pb.TensorProto_FLOAT:
			op.Precision = ir.Float32
		case pb.TensorProto_DOUBLE:
			op.Precision = ir.Float64
		case pb.TensorProto_FLOAT16:
			op.Precision = ir.Float16
		default:
			return nil, unsupportedf("precision %s is not supported (float, double and float16 are)", dtypeName(int32(p)))
		}
	}
	if z := opt(in, 2); z != nil {
		if outType != ir.Invalid && outType != z.DType {
			return nil, fmt.Errorf("output_dtype %s disagrees with the zero point's type %s", outType, z.DType)
		}
		outType = z.DType
	}
	if outType != ir.Invalid {
		if _, err := quantCodeType(0, "", outType); err != nil {
			return nil, err
		}
		op.To = outType
	}
	return one(b.addQuant(op, in...))
}

// importDequantizeLinear imports DequantizeLinear: axis from opset 13,
// block_size from 21, output_dtype from 23. The output type is the scale's
// unless output_dtype says otherwise.
func importDequantizeLinear(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	opset = b.quantOpset(opset)
	a := b.attrs()
	op := &ir.DequantizeLinear{Axis: 1, To: in[1].DType}
	if opset >= 13 {
		op.Axis = a.intIn("axis", 1, -maxDim, maxDim)
	}
	if opset >= 21 {
		op.BlockSize = a.intIn("block_size", 0, 0, maxDim)
	}
	if opset >= 23 && a.has("output_dtype") {
		p := a.int("output_dtype", 0)
		dt, err := dtypeOf(int32(min(max(p, -1), 1<<20)))
		if err != nil {
			return nil, err
		}
		if !dt.IsFloat() {
			return nil, fmt.Errorf("output_dtype %s is not a floating-point type", dt)
		}
		op.To = dt
	}
	switch in[0].DType {
	case ir.Uint8, ir.Int8, ir.Uint16, ir.Int16, ir.Int32:
	default:
		return nil, unsupportedf("dequantizing %s codes is not supported (uint8, int8, uint16, int16 and int32 are)", in[0].DType)
	}
	return one(b.addQuant(op, in...))
}

func importDynamicQuantizeLinear(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	if in[0].DType != ir.Float32 {
		return nil, unsupportedf("DynamicQuantizeLinear of %s is not supported (float32 is)", in[0].DType)
	}
	return b.add(&ir.DynamicQuantizeLinear{}, 3, in[0])
}

// quantCodeType maps a data type code (or, with code 0, dt itself) to a
// code type QuantizeLinear supports, refusing the others as unsupported
// with the reason.
func quantCodeType(code int64, what string, dt ...ir.DType) (ir.DType, error) {
	var t ir.DType
	if len(dt) > 0 {
		t = dt[0]
	} else {
		if code < 0 || code > 1<<20 {
			return ir.Invalid, fmt.Errorf("%s = %d is not a data type", what, code)
		}
		var err error
		if t, err = dtypeOf(int32(code)); err != nil {
			return ir.Invalid, unsupportedf("quantizing to %s is not supported (uint8, int8, uint16 and int16 are)", dtypeName(int32(code)))
		}
	}
	switch t {
	case ir.Uint8, ir.Int8, ir.Uint16, ir.Int16:
		return t, nil
	}
	return ir.Invalid, unsupportedf("quantizing to %s is not supported (uint8, int8, uint16 and int16 are)", t)
}

// addQuant adds a quantized op after checking the values of its constant
// scales and zero points, so that a zero, negative or non-finite scale or
// an out-of-range zero point is an error at import naming the node.
func (b *builder) addQuant(op ir.Op, in ...*ir.Value) (*ir.Value, error) {
	if err := checkConstQuant(op, in); err != nil {
		return nil, err
	}
	return b.add1(op, in...)
}

// checkConstQuant checks the quantization parameters of op that are
// constants.
func checkConstQuant(op ir.Op, in []*ir.Value) error {
	consts := make([]*ir.Tensor, len(in))
	for i, v := range in {
		if v.IsConst() {
			consts[i] = v.Const
		}
	}
	return ir.CheckQuantValues(op, consts)
}
