package onnx

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

func TestTensorRoundTrip(t *testing.T) {
	cases := []*ir.Tensor{
		ir.NewFloatTensor(ir.Float32, ir.Shape{2, 2}, []float64{1.5, -2, math.Inf(1), float64(float32(0.1))}),
		ir.NewFloatTensor(ir.Float64, ir.Shape{2}, []float64{0.1, -1e300}),
		ir.NewFloatTensor(ir.Float16, ir.Shape{3}, []float64{1, -0.5, 65504}),
		ir.NewIntTensor(ir.Int8, ir.Shape{2}, []int64{-128, 127}),
		ir.NewIntTensor(ir.Int16, ir.Shape{2}, []int64{-32768, 5}),
		ir.NewIntTensor(ir.Int32, ir.Shape{1}, []int64{-1 << 31}),
		ir.NewIntTensor(ir.Int64, ir.Shape{2}, []int64{math.MinInt64, math.MaxInt64}),
		ir.NewIntTensor(ir.Uint8, ir.Shape{1}, []int64{255}),
		ir.NewIntTensor(ir.Uint16, ir.Shape{1}, []int64{65535}),
		ir.NewIntTensor(ir.Uint32, ir.Shape{1}, []int64{1<<32 - 1}),
		ir.NewIntTensor(ir.Uint64, ir.Shape{1}, []int64{-1}),
		ir.NewIntTensor(ir.Bool, ir.Shape{3}, []int64{1, 0, 1}),
		ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{7}),
		ir.NewFloatTensor(ir.Float32, ir.Shape{0, 3}, []float64{}),
	}
	for _, c := range cases {
		data, err := WriteTensor("t", c)
		if err != nil {
			t.Fatalf("%v: %v", c.Type(), err)
		}
		name, got, err := ReadTensor(data)
		if err != nil || name != "t" || !sameTensor(got, c) {
			t.Errorf("%v: round trip gave %q %+v, %v", c.Type(), name, got, err)
		}
	}
	if _, err := WriteTensor("b", ir.NewFloatTensor(ir.Float32, ir.Shape{ir.Batch}, []float64{1})); err == nil {
		t.Error("WriteTensor accepted a batch-shaped tensor")
	}
}

// TestTypedFields decodes the non-raw storage of each type, as older
// exporters write it.
func TestTypedFields(t *testing.T) {
	cases := []struct {
		p    pb.TensorProto
		want *ir.Tensor
	}{
		{pb.TensorProto{Dims: []int64{2}, DataType: int32(pb.TensorProto_FLOAT), FloatData: []float32{1, 2}},
			ir.NewFloatTensor(ir.Float32, ir.Shape{2}, []float64{1, 2})},
		{pb.TensorProto{Dims: []int64{1}, DataType: int32(pb.TensorProto_DOUBLE), DoubleData: []float64{0.1}},
			ir.NewFloatTensor(ir.Float64, ir.Shape{1}, []float64{0.1})},
		{pb.TensorProto{Dims: []int64{2}, DataType: int32(pb.TensorProto_FLOAT16), Int32Data: []int32{0x3c00, 0xc000}},
			ir.NewFloatTensor(ir.Float16, ir.Shape{2}, []float64{1, -2})},
		{pb.TensorProto{Dims: []int64{2}, DataType: int32(pb.TensorProto_INT8), Int32Data: []int32{-3, 200}},
			ir.NewIntTensor(ir.Int8, ir.Shape{2}, []int64{-3, -56})},
		{pb.TensorProto{Dims: []int64{2}, DataType: int32(pb.TensorProto_BOOL), Int32Data: []int32{0, 1}},
			ir.NewIntTensor(ir.Bool, ir.Shape{2}, []int64{0, 1})},
		{pb.TensorProto{DataType: int32(pb.TensorProto_INT64), Int64Data: []int64{-5}},
			ir.NewIntTensor(ir.Int64, ir.Shape{}, []int64{-5})},
		{pb.TensorProto{Dims: []int64{1}, DataType: int32(pb.TensorProto_UINT32), Uint64Data: []uint64{1<<32 - 1}},
			ir.NewIntTensor(ir.Uint32, ir.Shape{1}, []int64{1<<32 - 1})},
		{pb.TensorProto{Dims: []int64{1}, DataType: int32(pb.TensorProto_UINT64), Uint64Data: []uint64{math.MaxUint64}},
			ir.NewIntTensor(ir.Uint64, ir.Shape{1}, []int64{-1})},
	}
	for _, c := range cases {
		got, err := decodeTensor(&c.p)
		if err != nil || !sameTensor(got, c.want) {
			t.Errorf("%s: got %+v, %v; want %+v", dtypeName(c.p.DataType), got, err, c.want)
		}
	}
	bad := []struct {
		p    pb.TensorProto
		want string
	}{
		{pb.TensorProto{Dims: []int64{2}, DataType: int32(pb.TensorProto_FLOAT), Int64Data: []int64{1, 2}}, "holds 0 float_data values, want 2"},
		{pb.TensorProto{Dims: []int64{-1}, DataType: int32(pb.TensorProto_FLOAT)}, "dimension 0 of [-1] is out of range"},
		{pb.TensorProto{Dims: []int64{1}, DataType: int32(pb.TensorProto_STRING), StringData: [][]byte{[]byte("a")}}, "element type STRING is not supported"},
		{pb.TensorProto{Dims: []int64{1}, DataType: 17}, "element type FLOAT8E4M3FN is not supported"},
		{pb.TensorProto{Dims: []int64{1}, DataType: 99}, "element type data type 99 is not supported"},
		{pb.TensorProto{Dims: []int64{1}, DataType: int32(pb.TensorProto_FLOAT), Segment: &pb.TensorProto_Segment{Begin: 0, End: 1}}, "segmented"},
	}
	for _, c := range bad {
		_, err := decodeTensor(&c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestLoadTestDataSet(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v float64) {
		data, err := WriteTensor(name, ir.NewFloatTensor(ir.Float32, ir.Shape{1}, []float64{v}))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".pb"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 12; i++ {
		write("input_"+itoa(i), float64(i))
	}
	write("output_0", 100)
	in, out, err := LoadTestDataSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 12 || len(out) != 1 || in[10].Floats[0] != 10 || in[2].Floats[0] != 2 || out[0].Floats[0] != 100 {
		t.Errorf("inputs %d outputs %d, order wrong", len(in), len(out))
	}
	if err := os.Remove(filepath.Join(dir, "input_3.pb")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadTestDataSet(dir); err == nil || !strings.Contains(err.Error(), "input_3.pb is missing") {
		t.Errorf("gap: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
