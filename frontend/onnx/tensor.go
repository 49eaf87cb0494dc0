package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// maxDim bounds every dimension and every element count the importer
// accepts. ir's shape rules use the same bound (2^31); checking it while
// decoding turns an absurd file into an error before anything is
// allocated.
const maxDim = 1 << 31

// dtypeOf maps an ONNX TensorProto.DataType to an IR element type.
func dtypeOf(dt int32) (ir.DType, error) {
	switch onnxpb.TensorProto_DataType(dt) {
	case onnxpb.TensorProto_FLOAT:
		return ir.Float32, nil
	case onnxpb.TensorProto_DOUBLE:
		return ir.Float64, nil
	case onnxpb.TensorProto_FLOAT16:
		return ir.Float16, nil
	case onnxpb.TensorProto_INT8:
		return ir.Int8, nil
	case onnxpb.TensorProto_INT16:
		return ir.Int16, nil
	case onnxpb.TensorProto_INT32:
		return ir.Int32, nil
	case onnxpb.TensorProto_INT64:
		return ir.Int64, nil
	case onnxpb.TensorProto_UINT8:
		return ir.Uint8, nil
	case onnxpb.TensorProto_UINT16:
		return ir.Uint16, nil
	case onnxpb.TensorProto_UINT32:
		return ir.Uint32, nil
	case onnxpb.TensorProto_UINT64:
		return ir.Uint64, nil
	case onnxpb.TensorProto_BOOL:
		return ir.Bool, nil
	}
	if dt >= 17 && dt <= 26 && dt != 24 {
		// The float8, float4, int4 and int2 types of opsets 19 to 25.
		return ir.Invalid, unsupportedf("element type %s is not supported (nor are the other float8, float4, int4 and int2 types: quantized models may use 8- and 16-bit integer codes)", dtypeName(dt))
	}
	return ir.Invalid, unsupportedf("element type %s is not supported", dtypeName(dt))
}

// onnxDType maps an IR element type to its ONNX DataType.
func onnxDType(dt ir.DType) (int32, error) {
	var t onnxpb.TensorProto_DataType
	switch dt {
	case ir.Float32:
		t = onnxpb.TensorProto_FLOAT
	case ir.Float64:
		t = onnxpb.TensorProto_DOUBLE
	case ir.Float16:
		t = onnxpb.TensorProto_FLOAT16
	case ir.Int8:
		t = onnxpb.TensorProto_INT8
	case ir.Int16:
		t = onnxpb.TensorProto_INT16
	case ir.Int32:
		t = onnxpb.TensorProto_INT32
	case ir.Int64:
		t = onnxpb.TensorProto_INT64
	case ir.Uint8:
		t = onnxpb.TensorProto_UINT8
	case ir.Uint16:
		t = onnxpb.TensorProto_UINT16
	case ir.Uint32:
		t = onnxpb.TensorProto_UINT32
	case ir.Uint64:
		t = onnxpb.TensorProto_UINT64
	case ir.Bool:
		t = onnxpb.TensorProto_BOOL
	default:
		return 0, fmt.Errorf("element type %s has no ONNX equivalent", dt)
	}
	return int32(t), nil
}

// dtypeName spells an ONNX data type for messages, including the types
// newer than the schema's enum (float8, int4, ...).
func dtypeName(dt int32) string {
	if s, ok := onnxpb.TensorProto_DataType_name[dt]; ok {
		return s
	}
	extra := map[int32]string{17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ",
		21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1", 24: "FLOAT8E8M0", 25: "UINT2", 26: "INT2"}
	if s, ok := extra[dt]; ok {
		return s
	}
	return "data type " + strconv.Itoa(int(dt))
}

// checkShape validates dims read from a file and converts them to an
// ir.Shape, refusing negative or absurd sizes.
func checkShape(dims []int64) (ir.Shape, int, error) {
	s := make(ir.Shape, len(dims))
	n := 1
	for i, d := range dims {
		if d < 0 || d > maxDim {
			return nil, 0, fmt.Errorf("dimension %d of %v is out of range", i, dims)
		}
		s[i] = int(d)
		if d != 0 && n > maxDim/int(d) {
			return nil, 0, fmt.Errorf("shape %v has more than 2^31 elements", dims)
		}
		n *= int(d)
	}
	return s, n, nil
}

// tensorName is a tensor's name for messages.
func tensorName(t *onnxpb.TensorProto) string {
	if t.Name == "" {
		return "tensor"
	}
	return "tensor " + strconv.Quote(t.Name)
}

// decodeTensor converts a TensorProto into an ir.Tensor. Raw data is
// little-endian, as the ONNX spec requires; float16 is decoded to its
// exact value. The element count must match the dims.
func decodeTensor(t *onnxpb.TensorProto) (*ir.Tensor, error) {
	if t.DataLocation == onnxpb.TensorProto_EXTERNAL || len(t.ExternalData) > 0 {
		loc := ""
		for _, kv := range t.ExternalData {
			if kv.Key == "location" {
				loc = kv.Value
			}
		}
		return nil, unsupportedf("external data not supported: %s is stored in external file %q; re-save the model with its data embedded", tensorName(t), loc)
	}
	if t.Segment != nil {
		return nil, unsupportedf("%s is segmented, which is not supported", tensorName(t))
	}
	dt, err := dtypeOf(t.DataType)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tensorName(t), err)
	}
	shape, n, err := checkShape(t.Dims)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tensorName(t), err)
	}
	bad := func(have int, field string) error {
		return fmt.Errorf("%s of type %s and shape %v holds %d %s, want %d", tensorName(t), dtypeName(t.DataType), shape, have, field, n)
	}
	out := &ir.Tensor{DType: dt, Shape: shape}
	if len(t.RawData) > 0 || n == 0 && noTypedData(t) {
		raw := t.RawData
		if len(raw) != n*dt.Size() {
			return nil, bad(len(raw), "bytes of raw data ("+strconv.Itoa(dt.Size())+" per element)")
		}
		decodeRaw(out, raw, n)
		return out, nil
	}
	switch dt {
	case ir.Float32:
		if len(t.FloatData) != n {
			return nil, bad(len(t.FloatData), "float_data values")
		}
		out.Floats = make([]float64, n)
		for i, v := range t.FloatData {
			out.Floats[i] = float64(v)
		}
	case ir.Float64:
		if len(t.DoubleData) != n {
			return nil, bad(len(t.DoubleData), "double_data values")
		}
		out.Floats = append([]float64(nil), t.DoubleData...)
	case ir.Float16:
		// float16 travels as its bit pattern in int32_data.
		if len(t.Int32Data) != n {
			return nil, bad(len(t.Int32Data), "int32_data values")
		}
		out.Floats = make([]float64, n)
		for i, v := range t.Int32Data {
			out.Floats[i] = ir.Float16ToFloat(uint16(v))
		}
	case ir.Int64:
		if len(t.Int64Data) != n {
			return nil, bad(len(t.Int64Data), "int64_data values")
		}
		out.Ints = append([]int64(nil), t.Int64Data...)
	case ir.Uint32, ir.Uint64:
		if len(t.Uint64Data) != n {
			return nil, bad(len(t.Uint64Data), "uint64_data values")
		}
		out.Ints = make([]int64, n)
		for i, v := range t.Uint64Data {
			out.Ints[i] = ir.WrapInt(dt, int64(v))
		}
	default: // int8, int16, int32, uint8, uint16, bool: int32_data
		if len(t.Int32Data) != n {
			return nil, bad(len(t.Int32Data), "int32_data values")
		}
		out.Ints = make([]int64, n)
		for i, v := range t.Int32Data {
			out.Ints[i] = ir.WrapInt(dt, int64(v))
		}
	}
	return out, nil
}

func noTypedData(t *onnxpb.TensorProto) bool {
	return len(t.FloatData) == 0 && len(t.DoubleData) == 0 && len(t.Int32Data) == 0 &&
		len(t.Int64Data) == 0 && len(t.Uint64Data) == 0 && len(t.StringData) == 0
}

// decodeRaw fills out's storage from n little-endian elements in raw,
// whose length the caller has checked.
func decodeRaw(out *ir.Tensor, raw []byte, n int) {
	le := binary.LittleEndian
	if out.DType.IsFloat() {
		out.Floats = make([]float64, n)
	} else {
		out.Ints = make([]int64, n)
	}
	for i := 0; i < n; i++ {
		switch out.DType {
		case ir.Float32:
			out.Floats[i] = float64(math.Float32frombits(le.Uint32(raw[4*i:])))
		case ir.Float64:
			out.Floats[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		case ir.Float16:
			out.Floats[i] = ir.Float16ToFloat(le.Uint16(raw[2*i:]))
		case ir.Int8:
			out.Ints[i] = int64(int8(raw[i]))
		case ir.Uint8:
			out.Ints[i] = int64(raw[i])
		case ir.Bool:
			out.Ints[i] = ir.WrapInt(ir.Bool, int64(raw[i]))
		case ir.Int16:
			out.Ints[i] = int64(int16(le.Uint16(raw[2*i:])))
		case ir.Uint16:
			out.Ints[i] = int64(le.Uint16(raw[2*i:]))
		case ir.Int32:
			out.Ints[i] = int64(int32(le.Uint32(raw[4*i:])))
		case ir.Uint32:
			out.Ints[i] = int64(le.Uint32(raw[4*i:]))
		case ir.Int64, ir.Uint64:
			out.Ints[i] = int64(le.Uint64(raw[8*i:]))
		}
	}
}

// encodeTensor converts an ir.Tensor into a TensorProto with raw
// little-endian data.
func encodeTensor(name string, t *ir.Tensor) (*onnxpb.TensorProto, error) {
	if t == nil {
		return nil, errors.New("nil tensor")
	}
	if err := t.Check(); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	dt, err := onnxDType(t.DType)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	n := t.Len()
	size := t.DType.Size()
	raw := make([]byte, n*size)
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		switch t.DType {
		case ir.Float32:
			le.PutUint32(raw[4*i:], math.Float32bits(float32(t.Floats[i])))
		case ir.Float64:
			le.PutUint64(raw[8*i:], math.Float64bits(t.Floats[i]))
		case ir.Float16:
			le.PutUint16(raw[2*i:], ir.FloatToFloat16(float32(t.Floats[i])))
		case ir.Int8, ir.Uint8, ir.Bool:
			raw[i] = byte(ir.WrapInt(t.DType, t.Ints[i]))
		case ir.Int16, ir.Uint16:
			le.PutUint16(raw[2*i:], uint16(t.Ints[i]))
		case ir.Int32, ir.Uint32:
			le.PutUint32(raw[4*i:], uint32(t.Ints[i]))
		case ir.Int64, ir.Uint64:
			le.PutUint64(raw[8*i:], uint64(t.Ints[i]))
		}
	}
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	return &onnxpb.TensorProto{Name: name, Dims: dims, DataType: dt, RawData: raw}, nil
}

// ReadTensor decodes a serialized TensorProto, such as an input_K.pb or
// output_K.pb file of an ONNX test data set, returning its name and value.
func ReadTensor(data []byte) (name string, t *ir.Tensor, err error) {
	var p onnxpb.TensorProto
	if err := p.Unmarshal(data); err != nil {
		return "", nil, fmt.Errorf("decoding TensorProto: %w", err)
	}
	t, err = decodeTensor(&p)
	if err != nil {
		return "", nil, err
	}
	return p.Name, t, nil
}

// WriteTensor serializes t as a TensorProto named name, with raw
// little-endian data. The shape must be static.
func WriteTensor(name string, t *ir.Tensor) ([]byte, error) {
	p, err := encodeTensor(name, t)
	if err != nil {
		return nil, err
	}
	return p.Marshal()
}

// LoadTestDataSet reads a test-data directory in the ONNX backend layout:
// input_0.pb, input_1.pb, ... and output_0.pb, output_1.pb, ..., returned
// in index order. The indices must run from 0 without gaps.
func LoadTestDataSet(dir string) (inputs, outputs []*ir.Tensor, err error) {
	in, out, err := loadNamedDataSet(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range in {
		inputs = append(inputs, t.Tensor)
	}
	for _, t := range out {
		outputs = append(outputs, t.Tensor)
	}
	return inputs, outputs, nil
}

// namedTensor is a test-data tensor with the name stored in its file.
type namedTensor struct {
	Name string
	*ir.Tensor
}

func loadNamedDataSet(dir string) (inputs, outputs []namedTensor, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]map[int]string{"input": {}, "output": {}}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".pb") {
			continue
		}
		stem := strings.TrimSuffix(name, ".pb")
		kind, num, ok := strings.Cut(stem, "_")
		if !ok || files[kind] == nil {
			continue
		}
		k, err := strconv.Atoi(num)
		if err != nil || k < 0 {
			continue
		}
		files[kind][k] = filepath.Join(dir, name)
	}
	read := func(kind string) ([]namedTensor, error) {
		m := files[kind]
		ks := make([]int, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Ints(ks)
		var ts []namedTensor
		for i, k := range ks {
			if k != i {
				return nil, fmt.Errorf("%s: %s_%d.pb is missing", dir, kind, i)
			}
			data, err := os.ReadFile(m[k])
			if err != nil {
				return nil, err
			}
			name, t, err := ReadTensor(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m[k], err)
			}
			ts = append(ts, namedTensor{name, t})
		}
		return ts, nil
	}
	if inputs, err = read("input"); err != nil {
		return nil, nil, err
	}
	if outputs, err = read("output"); err != nil {
		return nil, nil, err
	}
	if len(inputs) == 0 && len(outputs) == 0 {
		return nil, nil, fmt.Errorf("%s: no input_K.pb or output_K.pb files", dir)
	}
	return inputs, outputs, nil
}
