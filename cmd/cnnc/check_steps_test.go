package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/frontend/onnx"
)

// cnnc check counts the elements of a quantized output that are one
// quantization step off, and -steps 1 accepts them.
func TestCheckCountsQuantizationSteps(t *testing.T) {
	model := repo(t, "testdata/qdq_cnn/model.onnx")
	src := repo(t, "testdata/qdq_cnn/test_data_set_0")
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(src, "input_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "input_0.pb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Move three codes of output 1 and three values of output 2 by one
	// step; output 2's step is its DequantizeLinear's scale.
	steps := []float64{0, 1, 0.0025449842}
	for k := 0; k < 3; k++ {
		data, err := os.ReadFile(filepath.Join(src, "output_"+string(rune('0'+k))+".pb"))
		if err != nil {
			t.Fatal(err)
		}
		name, tensor, err := onnx.ReadTensor(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{5, 77, 4000} {
			switch {
			case steps[k] == 0:
			case tensor.Ints != nil:
				if tensor.Ints[i] < 255 {
					tensor.Ints[i]++
				} else {
					tensor.Ints[i]--
				}
			default:
				tensor.Floats[i] += steps[k]
			}
		}
		out, err := onnx.WriteTensor(name, tensor)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "output_"+string(rune('0'+k))+".pb"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := cnnc(t, "check", "-q", model, dir)
	if code != 1 || strings.Count(out, "8189 equal, 3 one step off, 0 further") != 2 || !strings.Contains(out, "10 equal, 0 one step off") {
		t.Errorf("check exits %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = cnnc(t, "check", "-q", "-steps", "1", model, dir)
	if code != 0 || strings.Count(out, "; accepted, within 1 steps") != 2 || !strings.Contains(out, "ok: 1 data sets agree") {
		t.Errorf("check -steps 1 exits %d:\n%s%s", code, out, errOut)
	}
}
