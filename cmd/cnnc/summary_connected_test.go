package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/internal/shared"
)

// A model that is not a chain gets Keras' "Connected to" column (golden,
// rewritten with -update); the tutorial's Sequential models do not.
func TestSummaryConnectedTo(t *testing.T) {
	tests := []struct {
		golden, model string
		functional    bool
	}{
		{"resnet18", "models/resnet18/model.onnx", true},
		{"pool_zoo", "models/pool_zoo/model.onnx", true},
		{"", "models/mnist-8/model.onnx", false},
		{"", "testdata/tutorial_124.cnn", false},
		{"", "testdata/tutorial_125_mnist.cnn", false},
		{"", "testdata/tutorial_126_cifar.cnn", false},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			path := repo(t, tc.model)
			if strings.HasPrefix(tc.model, "models/") {
				path = filepath.Join(shared.Conformance(t), tc.model)
			}
			code, out, errOut := cnnc(t, "summary", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := strings.Contains(out, "Connected to"); got != tc.functional {
				t.Errorf("Connected to column: %v, want %v:\n%s", got, tc.functional, out)
			}
			if tc.golden == "" {
				return
			}
			golden := repo(t, filepath.Join("testdata", "summary", tc.golden+".golden"))
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("summary differs from %s (rerun with -update if intended):\n%s", golden, out)
			}
		})
	}
}
