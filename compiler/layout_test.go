package compiler_test

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/internal/shared"
)

// The generated package declares the layout of image inputs: NCHW for
// ONNX models (ONNX's image ops are channels-first), NHWC for DSL models,
// so that a program turning images into inputs (vision.ForInput) needs no
// knowledge of where the model came from.
func TestGeneratedInputLayout(t *testing.T) {
	cases := []struct {
		name, path string
		dims       map[string]int
		want       string // the TensorInfo of the first input in model.go
	}{
		{"fcn_hw", "../testdata/fcn_hw/model.onnx", map[string]int{"height": 12, "width": 16},
			`{Name: "input", Shape: []int{-1, 3, 12, 16}, Layout: "NCHW"}`},
		{"mnist-8", "models/mnist-8/model.onnx", nil,
			`{Name: "Input3", Shape: []int{1, 1, 28, 28}, Layout: "NCHW"}`},
		{"tutorial_125", "../testdata/tutorial_125_mnist.cnn", nil,
			`Shape: []int{-1, 28, 28, 1}, Layout: "NHWC"}`},
	}
	info := regexp.MustCompile(`(?m)^var Inputs = \[\]runtime\.TensorInfo\{\n\t(.*),$`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if !filepath.IsAbs(path) && path[0] != '.' {
				path = filepath.Join(shared.Conformance(t), path)
			}
			m, err := compiler.Load(path, compiler.LoadOptions{Dims: tc.dims})
			if err != nil {
				t.Fatal(err)
			}
			pkg, err := m.Compile(compiler.Options{Package: "model"})
			if err != nil {
				t.Fatal(err)
			}
			var src string
			for _, f := range pkg.Files {
				if f.Name == "model.go" {
					src = string(f.Data)
				}
			}
			got := info.FindStringSubmatch(src)
			if got == nil {
				t.Fatalf("model.go declares no Inputs the way this test expects:\n%.3000s", src)
			}
			if !regexp.MustCompile(regexp.QuoteMeta(tc.want) + "$").MatchString(got[1]) {
				t.Errorf("Inputs[0] is %s, want %s", got[1], tc.want)
			}
		})
	}
}
