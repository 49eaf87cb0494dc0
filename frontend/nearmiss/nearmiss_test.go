package nearmiss

import (
	"slices"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"relu", "relu", 0},
		{"rleu", "relu", 1}, // a transposition is one edit
		{"conv2d", "conv", 2},
		{"kernal_size", "kernel_size", 1},
		{"sigmoidd", "sigmoid", 1},
		{"über", "uber", 1}, // runes, not bytes
		{"abc", "", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	ops := []string{"Conv", "ConvTranspose", "Elu", "Max", "MaxPool", "Min", "Relu", "Selu", "Sigmoid", "Softmax"}
	tests := []struct {
		name string
		want []string
	}{
		{"relu", []string{"Relu"}},         // case first
		{"Sigmoidd", []string{"Sigmoid"}},  // one edit
		{"Conv2d", []string{"Conv"}},       // two edits on a short name
		{"MaxPool2d", []string{"MaxPool"}}, // a framework's suffix
		{"Mix", []string{"Max", "Min"}},    // ties all come back
		{"Rleu", []string{"Relu"}},         // the transposition beats Elu, Selu
		{"Softmaxx", []string{"Softmax"}},
		{"Inverse", nil},
		{"SpaceToDepth", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Closest(tt.name, ops); !slices.Equal(got, tt.want) {
			t.Errorf("Closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Suggest("Mix", ops); got != "Max" {
		t.Errorf("Suggest(Mix) = %q, want the first of the ties", got)
	}
	if got := Suggest("xyz", ops); got != "" {
		t.Errorf("Suggest(xyz) = %q, want none", got)
	}
}
