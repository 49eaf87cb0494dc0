package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// readModel decodes a written ONNX file.
func readModel(t *testing.T, path string) *pb.ModelProto {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m pb.ModelProto
	if err := m.Unmarshal(data); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &m
}

func opCount(m *pb.ModelProto, op string) int {
	n := 0
	for _, nd := range m.Graph.Node {
		if nd.OpType == op {
			n++
		}
	}
	return n
}

// TestQuantizeCLI quantizes the trained MNIST model on the test digits,
// given every way calibration inputs can be.
func TestQuantizeCLI(t *testing.T) {
	model := mnistModels(t)["onnx"][0]
	tmp := t.TempDir()
	out := filepath.Join(tmp, "mnist.int8.onnx")
	tests := []struct {
		name  string
		args  []string
		items string
	}{
		{"directory", []string{"-calibrate", digitsDir}, "calibrated 3 items"},
		{"glob", []string{"-calibrate", filepath.Join(digitsDir, "*.png")}, "calibrated 3 items"},
		{"files after the model", []string{model, digit7, zeroJPEG}, "calibrated 2 items"},
		{"npy, limited", []string{"-calibrate", digitsNPY, "-n", "2"}, "calibrated 2 items"},
		{"npy and images", []string{"-calibrate", digitsNPY, "-calibrate", digit7}, "calibrated 4 items"},
		{"one item without a batch dimension", []string{"-calibrate", oneItemNPY(t)}, "calibrated 1 item "},
		{"percentile, int8, per tensor", []string{"-calibrate", digitsDir, "-method", "percentile", "-percentile", "99.9", "-activations", "int8", "-per-channel=false"}, "calibrated 3 items (percentile 99.9, ref engine)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"quantize", "-engine", "ref", "-o", out}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), model) {
				args = append(args, model)
			}
			code, stdout, stderr := cnnc(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			for _, want := range []string{tt.items, "quantized 3 nodes (1 Conv, 1 Gemm, 1 MaxPool)", "kept in float:\n  /conv1/Conv (Conv): first layer (-keep-first-last)\n  /fc2/Gemm (Gemm): last layer (-keep-first-last)\n", "wrote " + out} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			m := readModel(t, out)
			if opCount(m, "QuantizeLinear") != 5 || opCount(m, "DequantizeLinear") != 9 {
				t.Errorf("%d QuantizeLinear, %d DequantizeLinear; want 5 and 9", opCount(m, "QuantizeLinear"), opCount(m, "DequantizeLinear"))
			}
		})
	}
}

// oneItemNPY writes the first test digit as a [1,28,28] array: one item
// without its batch dimension.
func oneItemNPY(t *testing.T) string {
	t.Helper()
	x, err := readNPY(digitsNPY)
	if err != nil {
		t.Fatal(err)
	}
	x = &ir.Tensor{DType: x.DType, Shape: ir.Shape{1, 28, 28}, Floats: x.Floats[:784]}
	var b bytes.Buffer
	if err := writeNPY(&b, x); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "one.npy")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestQuantizeDefaults: the default engine, the default output name
// beside the model, -keep-first-last=false, -v, and the same file from
// the same inputs.
func TestQuantizeDefaults(t *testing.T) {
	tmp := t.TempDir()
	model := copyFile(t, mnistModels(t)["onnx"][0], filepath.Join(tmp, "mnist.onnx"))
	want := filepath.Join(tmp, "mnist.int8.onnx")
	var first []byte
	for i := 0; i < 2; i++ {
		code, stdout, stderr := cnnc(t, "quantize", "-keep-first-last=false", "-v", model, "-calibrate", digitsDir)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		for _, s := range []string{"quantized 5 nodes (2 Conv, 2 Gemm, 1 MaxPool)", "/MaxPool_output_0", "(those of /Relu_1_output_0)", "wrote " + want} {
			if !strings.Contains(stdout, s) {
				t.Errorf("stdout lacks %q:\n%s", s, stdout)
			}
		}
		if strings.Contains(stdout, "kept in float") {
			t.Errorf("-keep-first-last=false keeps layers in float:\n%s", stdout)
		}
		data, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = data
		} else if !bytes.Equal(first, data) {
			t.Error("two runs on the same inputs write different files")
		}
	}
	m := readModel(t, want)
	if m.Graph.Input[0].Name != "input" || m.Graph.Output[0].Name != "output" || opCount(m, "Conv") != 2 {
		t.Errorf("the model's inputs, outputs or nodes changed")
	}
}

func TestQuantizeErrors(t *testing.T) {
	model := mnistModels(t)["onnx"][0]
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out.onnx")
	wrongNPY := reshapedNPY(t, ir.Shape{3, 1, 14, 56})
	nanNPY := func() string {
		x, err := readNPY(digitsNPY)
		if err != nil {
			t.Fatal(err)
		}
		x.Floats[784+10] = x.Floats[784+10] / 0 * 0 // NaN
		var b bytes.Buffer
		if err := writeNPY(&b, x); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tmp, "nan.npy")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no calibration inputs", []string{model}, 2, "no calibration inputs"},
		{"no model", []string{"-calibrate", digitsDir}, 2, "no model given"},
		{"a DSL model", []string{"-calibrate", digitsDir, mnistModels(t)["cnn"][2]}, 1, "quantize reads and writes ONNX models"},
		{"unknown method", []string{"-method", "entropy", "-calibrate", digitsDir, model}, 2, `calibration method "entropy"`},
		{"percentile without the method", []string{"-percentile", "99", "-calibrate", digitsDir, model}, 2, "-percentile applies to -method percentile"},
		{"percentile out of range", []string{"-method", "percentile", "-percentile", "0", "-calibrate", digitsDir, model}, 2, "want a share in (0, 100]"},
		{"activation type", []string{"-activations", "int4", "-calibrate", digitsDir, model}, 2, `activation type "int4"`},
		{"negative -n", []string{"-n", "-1", "-calibrate", digitsDir, model}, 2, "-n must be"},
		{"engine", []string{"-engine", "fast", "-calibrate", digitsDir, model}, 2, `unknown engine "fast"`},
		{"glob without matches", []string{"-calibrate", filepath.Join(tmp, "*.png"), model}, 1, "the pattern matches no file"},
		{"missing file", []string{"-calibrate", filepath.Join(tmp, "none.npy"), model}, 1, "no such file"},
		{"image flag for tensors", []string{"-preset", "mnist", "-calibrate", digitsNPY, model}, 2, "-preset is image preprocessing"},
		{"wrong shape", []string{"-calibrate", wrongNPY, model}, 1, `got shape [3,1,14,56], the model wants [N,1,28,28]`},
		{"NaN", []string{"-calibrate", nanNPY, model}, 1, `calibration item 1 holds NaN`},
		{"unknown node", []string{"-exclude", "/conv2/Con", "-calibrate", digitsDir, model}, 1, "did you mean /conv2/Conv?"},
		{"overwrite the model", []string{"-o", model, "-calibrate", digitsDir, model}, 1, "would overwrite the model"},
		{"RGB preset for a gray model", []string{"-preset", "imagenet", "-calibrate", digitsDir, model}, 1, "-preset imagenet is for RGB inputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"quantize", "-engine", "ref", "-o", out}, tt.args...)
			if tt.name == "engine" || tt.name == "overwrite the model" {
				args = append([]string{"quantize"}, tt.args...)
			}
			code, stdout, stderr := cnnc(t, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if code != 0 && strings.Contains(stdout, "wrote") {
				t.Errorf("a failed run wrote a model:\n%s", stdout)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run left a model behind")
	}
}
