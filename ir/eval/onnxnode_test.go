package eval_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/cnnc/cnnc/internal/shared"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// TestONNXNodeData checks the kernels whose edge cases are easiest to get
// wrong (pool windows in ceil mode, count_include_pad, transposed
// convolution geometry, LRN's channel window) against the ONNX project's
// own expected outputs. Each case rebuilds the test's single node by hand,
// attributes copied from its model.onnx; only the tensors are read.
func TestONNXNodeData(t *testing.T) {
	// The ONNX project's backend node tests (third-party data, see its
	// README.txt) beside the repository.
	onnxNodeDir := filepath.Join(shared.Conformance(t), "onnx-node")
	tests := []struct {
		name string
		op   ir.Op
	}{
		{"test_averagepool_2d_ceil_last_window_starts_on_pad", &ir.AveragePool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{3, 3}, Pads: []int{1, 1, 1, 1}, CeilMode: true}, CountIncludePad: true}},
		{"test_averagepool_2d_ceil", &ir.AveragePool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, CeilMode: true}}},
		{"test_averagepool_2d_pads_count_include_pad", &ir.AveragePool{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{2, 2, 2, 2}}, CountIncludePad: true}},
		{"test_averagepool_2d_pads", &ir.AveragePool{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{2, 2, 2, 2}}}},
		{"test_averagepool_2d_precomputed_pads_count_include_pad", &ir.AveragePool{Window: ir.Window{Kernel: []int{5, 5}, Pads: []int{2, 2, 2, 2}}, CountIncludePad: true}},
		{"test_averagepool_2d_same_lower", &ir.AveragePool{Window: ir.Window{Kernel: []int{2, 2}, AutoPad: ir.PadSameLower}}},
		{"test_averagepool_2d_dilations", &ir.AveragePool{Window: ir.Window{Kernel: []int{2, 2}, Dilations: []int{2, 2}, CeilMode: true}}},
		{"test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True", &ir.AveragePool{Window: ir.Window{Kernel: []int{5, 5, 5}, Strides: []int{3, 3, 3}, Dilations: []int{2, 2, 2}, CeilMode: true}, CountIncludePad: true}},
		{"test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_True", &ir.AveragePool{Window: ir.Window{Kernel: []int{5, 5, 5}, Strides: []int{3, 3, 3}, Dilations: []int{2, 2, 2}, CeilMode: true}}},
		{"test_averagepool_1d_default", &ir.AveragePool{Window: ir.Window{Kernel: []int{2}}}},
		{"test_maxpool_2d_ceil", &ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, CeilMode: true}}},
		{"test_maxpool_2d_ceil_output_size_reduce_by_one", &ir.MaxPool{Window: ir.Window{Kernel: []int{1, 1}, Strides: []int{2, 2}, CeilMode: true}}},
		{"test_maxpool_2d_pads", &ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{2, 2, 2, 2}}}},
		{"test_maxpool_2d_same_upper", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, AutoPad: ir.PadSameUpper}}},
		{"test_maxpool_3d_dilations_use_ref_impl_large", &ir.MaxPool{Window: ir.Window{Kernel: []int{5, 5, 5}, Strides: []int{3, 3, 3}, Dilations: []int{2, 2, 2}, CeilMode: true}}},
		{"test_globalaveragepool", &ir.GlobalAveragePool{}},
		{"test_globalmaxpool", &ir.GlobalMaxPool{}},
		{"test_conv_with_strides_and_asymmetric_padding", &ir.Conv{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 0, 1, 0}}}},
		{"test_conv_with_autopad_same", &ir.Conv{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, AutoPad: ir.PadSameLower}}},
		{"test_convtranspose", &ir.ConvTranspose{}},
		{"test_convtranspose_1d", &ir.ConvTranspose{}},
		{"test_convtranspose_3d", &ir.ConvTranspose{}},
		{"test_convtranspose_pads", &ir.ConvTranspose{Window: ir.Window{Strides: []int{3, 2}, Pads: []int{1, 2, 1, 2}}}},
		{"test_convtranspose_dilations", &ir.ConvTranspose{Window: ir.Window{Dilations: []int{2, 2}}}},
		{"test_convtranspose_output_shape", &ir.ConvTranspose{Window: ir.Window{Strides: []int{3, 2}}, OutputShape: []int{10, 8}}},
		{"test_convtranspose_kernel_shape", &ir.ConvTranspose{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{3, 2}}, OutputPadding: []int{1, 1}, OutputShape: []int{10, 8}}},
		{"test_convtranspose_autopad_same", &ir.ConvTranspose{Window: ir.Window{Strides: []int{2, 2}, AutoPad: ir.PadSameUpper}}},
		{"test_convtranspose_group_2_image_3", &ir.ConvTranspose{Group: 2}},
		{"test_lrn", &ir.LRN{Size: 3, Alpha: 0.0002, Beta: 0.5, Bias: 2}},
		{"test_lrn_default", &ir.LRN{Size: 3, Alpha: 0.0001, Beta: 0.75, Bias: 1}},
		{"test_instancenorm_epsilon", &ir.InstanceNormalization{Epsilon: 0.01}},
		{"test_batchnorm_epsilon", &ir.BatchNormalization{Epsilon: 0.01}},
		{"test_softmax_axis_0", &ir.Softmax{Axis: 0}},
		{"test_logsoftmax_large_number", &ir.LogSoftmax{Axis: -1}},
		{"test_gemm_all_attributes", &ir.Gemm{TransA: true, TransB: true, Alpha: 0.25, Beta: 0.35}},
		{"test_matmul_bcast", &ir.MatMul{}},
		{"test_matmul_1d_3d", &ir.MatMul{}},
		{"test_prelu_broadcast", &ir.PRelu{}},
		{"test_div_int32_trunc", &ir.Div{}},
		{"test_add_uint8", &ir.Add{}},
		{"test_sub_uint64", &ir.Sub{}},
		{"test_max_uint64", &ir.Max{}},
		{"test_min_int8", &ir.Min{}},
		{"test_gather_negative_indices", &ir.Gather{}},
		{"test_gather_2d_indices", &ir.Gather{Axis: 1}},
		{"test_selu", &ir.Selu{Alpha: 2, Gamma: 3}},
		{"test_elu", &ir.Elu{Alpha: 2}},
		{"test_hardswish", &ir.HardSwish{}},
		{"test_hardsigmoid", &ir.HardSigmoid{Alpha: 0.5, Beta: 0.6}},
		{"test_transpose_all_permutations_4", &ir.Transpose{Perm: []int{2, 0, 1}}},
		{"test_shape_start_1_end_negative_1", &ir.ShapeOf{Start: 1, End: -1}},
		{"test_clip_min_greater_than_max", nil}, // inputs become attributes below
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(onnxNodeDir, tc.name, "test_data_set_0")
			var in []*ir.Tensor
			for i := 0; ; i++ {
				x, err := readTensorProto(filepath.Join(dir, fmt.Sprintf("input_%d.pb", i)))
				if errors.Is(err, os.ErrNotExist) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				in = append(in, x)
			}
			want, err := readTensorProto(filepath.Join(dir, "output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			op := tc.op
			if op == nil { // Clip's bounds are inputs 1 and 2 in opset 11+
				op = &ir.Clip{Min: in[1].Floats[0], Max: in[2].Floats[0]}
				in = in[:1]
			}
			got := run(t, op, in...)
			if want.DType.IsFloat() {
				// Compare as the ONNX backend runner does: some expected
				// outputs are stored with only four significant digits.
				if !got.Shape.Equal(want.Shape) {
					t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
				}
				for i, w := range want.Floats {
					if g := got.Floats[i]; math.Abs(g-w) > 1e-7+1e-3*math.Abs(w) {
						t.Fatalf("element %d = %v, want %v", i, g, w)
					}
				}
			} else {
				expectInts(t, got, want.DType, want.Shape, want.Ints)
			}
		})
	}
}

// readTensorProto decodes the few TensorProto fields the node tests use:
// dims (1), data_type (2), float_data (4), int32_data (5), int64_data (7),
// raw_data (9), double_data (10), uint64_data (11).
func readTensorProto(path string) (*ir.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var dims []int
	var dt int
	var raw []byte
	var fl []float64
	var in []int64
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("%s: bad key", path)
		}
		b = b[n:]
		field, wire := key>>3, key&7
		var v uint64
		var body []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(b)
			b = b[n:]
		case 1:
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 5:
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case 2:
			l, n := binary.Uvarint(b)
			body, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return nil, fmt.Errorf("%s: wire type %d", path, wire)
		}
		// Repeated numeric fields come packed (wire 2) or one by one.
		vals := []uint64{v}
		if wire == 2 && field != 9 && field != 8 {
			vals = nil
			for len(body) > 0 {
				switch field {
				case 4:
					vals, body = append(vals, uint64(binary.LittleEndian.Uint32(body))), body[4:]
				case 10:
					vals, body = append(vals, binary.LittleEndian.Uint64(body)), body[8:]
				default:
					x, n := binary.Uvarint(body)
					vals, body = append(vals, x), body[n:]
				}
			}
		}
		switch field {
		case 1:
			for _, x := range vals {
				dims = append(dims, int(x))
			}
		case 2:
			dt = int(v)
		case 4:
			for _, x := range vals {
				fl = append(fl, float64(math.Float32frombits(uint32(x))))
			}
		case 10:
			for _, x := range vals {
				fl = append(fl, math.Float64frombits(x))
			}
		case 5, 7, 11:
			for _, x := range vals {
				in = append(in, int64(x))
			}
		case 9:
			raw = body
		}
	}
	types := map[int]ir.DType{1: ir.Float32, 2: ir.Uint8, 3: ir.Int8, 4: ir.Uint16, 5: ir.Int16, 6: ir.Int32,
		7: ir.Int64, 9: ir.Bool, 11: ir.Float64, 12: ir.Uint32, 13: ir.Uint64}
	d, ok := types[dt]
	if !ok {
		return nil, fmt.Errorf("%s: data type %d", path, dt)
	}
	shape := ir.Shape(dims)
	if shape == nil {
		shape = ir.Shape{}
	}
	if raw != nil {
		size := d.Size()
		for i := 0; i+size <= len(raw); i += size {
			r := raw[i : i+size]
			switch d {
			case ir.Float32:
				fl = append(fl, float64(math.Float32frombits(binary.LittleEndian.Uint32(r))))
			case ir.Float64:
				fl = append(fl, math.Float64frombits(binary.LittleEndian.Uint64(r)))
			case ir.Int8:
				in = append(in, int64(int8(r[0])))
			case ir.Uint8, ir.Bool:
				in = append(in, int64(r[0]))
			case ir.Int16:
				in = append(in, int64(int16(binary.LittleEndian.Uint16(r))))
			case ir.Uint16:
				in = append(in, int64(binary.LittleEndian.Uint16(r)))
			case ir.Int32:
				in = append(in, int64(int32(binary.LittleEndian.Uint32(r))))
			case ir.Uint32:
				in = append(in, int64(binary.LittleEndian.Uint32(r)))
			default:
				in = append(in, int64(binary.LittleEndian.Uint64(r)))
			}
		}
	}
	if d.IsFloat() {
		return ir.NewFloatTensor(d, shape, fl), nil
	}
	// int32_data carries the narrow types' values as varints already
	// sign-extended; wrap them to the type.
	for i := range in {
		in[i] = ir.WrapInt(d, in[i])
	}
	return ir.NewIntTensor(d, shape, in), nil
}
