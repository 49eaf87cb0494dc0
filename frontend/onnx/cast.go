package onnx

import (
	"errors"
	"fmt"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func init() {
	register("Cast", opEntry{min: 1, max: MaxOpset, fn: importCast, notes: "`to` as a string before opset 6; saturate/round_mode (float8 only) ignored", produces: []ir.Op{&ir.Cast{}}})
	register("CastLike", opEntry{min: 15, max: MaxOpset, fn: importCastLike, notes: "imported as Cast", produces: []ir.Op{&ir.Cast{}}})
}

// importCast imports Cast. Opset 1 spelled the target type as a string
// ("FLOAT"), later opsets as the DataType number. saturate (19+) and
// round_mode only concern float8 targets, which are unsupported anyway.
func importCast(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 1, 1); err != nil {
		return nil, err
	}
	a := b.attrs()
	a.ignore("saturate", "round_mode")
	if !a.has("to") {
		return nil, errors.New("attribute to is required")
	}
	var code int32
	if opset < 6 {
		s := a.string("to", "")
		c, ok := pb.TensorProto_DataType_value[s]
		if !ok {
			return nil, fmt.Errorf("to = %q is not a data type", s)
		}
		code = c
	} else {
		v := a.int("to", 0)
		if v < 0 || v > 1<<20 {
			return nil, fmt.Errorf("to = %d is not a data type", v)
		}
		code = int32(v)
	}
	to, err := dtypeOf(code)
	if err != nil {
		return nil, err
	}
	return one(b.add1(&ir.Cast{To: to}, in[0]))
}

// importCastLike imports CastLike as a Cast to the second input's type.
func importCastLike(b *builder, n *pb.NodeProto, opset int64, in []*ir.Value) ([]*ir.Value, error) {
	if err := arity(in, 2, 2); err != nil {
		return nil, err
	}
	b.attrs().ignore("saturate", "round_mode")
	return one(b.add1(&ir.Cast{To: in[1].DType}, in[0]))
}
