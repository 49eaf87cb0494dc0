package onnx

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// An op type cnnc does not know gets the supported ops it was probably
// meant to be, only when there is a close one, and none when it is a real
// ONNX operator cnnc lacks.
func TestDidYouMean(t *testing.T) {
	tests := []struct {
		op   string
		want []string
		how  string // part of the reason
	}{
		{"Conv2d", []string{"Conv"}, "did you mean Conv?"},
		{"conv", []string{"Conv"}, "did you mean Conv?"},
		{"RELU", []string{"Relu"}, "did you mean Relu?"},
		{"Sigmoidd", []string{"Sigmoid"}, "did you mean Sigmoid?"},
		{"Softmx", []string{"Softmax"}, "did you mean Softmax?"},
		{"MaxPool2d", []string{"MaxPool"}, "did you mean MaxPool?"},
		{"BatchNorm2d", []string{"BatchNormalization"}, "did you mean BatchNormalization?"},
		{"Relu6", []string{"Clip"}, "did you mean Clip? ONNX writes ReLU6 as Clip with min 0 and max 6"},
		{"Dense", []string{"Gemm"}, "as Gemm"},
		{"cat", []string{"Concat"}, "did you mean Concat?"}, // not Cast, one edit away
		{"Mxa", []string{"Max"}, "did you mean Max?"},
		{"Mix", []string{"Max", "Min"}, "did you mean Max or Min?"},
		// Real ONNX operators cnnc lacks are not misspellings.
		{"Sin", nil, ""},
		{"Tan", nil, ""},
		{"SpaceToDepth", nil, ""},
		{"Swish", nil, ""},
		// Far from everything.
		{"Inverse", nil, ""},
		{"FrobnicateTensor", nil, ""},
	}
	for _, tt := range tests {
		ops, reason := didYouMean(tt.op)
		if !slices.Equal(ops, tt.want) || !strings.Contains(reason, tt.how) || (tt.how == "") != (reason == "") {
			t.Errorf("didYouMean(%q) = %q, %q; want %q and a reason with %q", tt.op, ops, reason, tt.want, tt.how)
		}
	}
}

// The suggestions reach the error, one per unknown op, after its opset.
func TestUnsupportedOpsSuggest(t *testing.T) {
	_, err := x4(13).
		node("Conv2d", []string{"x"}, []string{"a"}).named("conv1").
		node("Relu6", []string{"a"}, []string{"b"}).named("act1").
		node("Sigmoidd", []string{"b"}, []string{"c"}).
		node("SpaceToDepth", []string{"c"}, []string{"d"}).
		output("d").load(t, Options{})
	want := `model uses 4 unsupported operators: ` +
		`Conv2d (ai.onnx, opset 13) [did you mean Conv?] in node "conv1"; ` +
		`Relu6 (ai.onnx, opset 13) [did you mean Clip? ONNX writes ReLU6 as Clip with min 0 and max 6] in node "act1"; ` +
		`Sigmoidd (ai.onnx, opset 13) [did you mean Sigmoid?] in node "Sigmoidd_2"; ` +
		`SpaceToDepth (ai.onnx, opset 13) in node "SpaceToDepth_3"`
	if err == nil || err.Error() != want {
		t.Errorf("error\n  %v\nwant\n  %s", err, want)
	}
	var ue *UnsupportedOpsError
	if !errors.As(err, &ue) || !slices.Equal(ue.Ops[0].DidYouMean, []string{"Conv"}) || ue.Ops[3].DidYouMean != nil {
		t.Errorf("DidYouMean fields: %+v", ue)
	}
}

// The list of ONNX operators is sorted, has no duplicates and holds every
// op cnnc imports, so that a supported op is never taken for a misspelling
// of a real one and the list at least covers what the registry knows.
func TestONNXOpList(t *testing.T) {
	if !slices.IsSorted(onnxOps) {
		t.Error("onnxOps is not sorted")
	}
	if len(slices.Compact(slices.Clone(onnxOps))) != len(onnxOps) {
		t.Error("onnxOps has duplicates")
	}
	for _, op := range supportedOpTypes() {
		if !slices.Contains(onnxOps, op) {
			t.Errorf("supported op %s is not in onnxOps", op)
		}
	}
	for name, a := range aliases {
		if name != strings.ToLower(name) {
			t.Errorf("alias %q is not lower case", name)
		}
		for _, op := range a.ops {
			if _, ok := registry[op]; !ok {
				t.Errorf("alias %q suggests %s, which cnnc does not import", name, op)
			}
		}
	}
}
