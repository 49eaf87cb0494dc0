package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/internal/shared"
)

// needDot returns Graphviz's dot for the tests that render: a missing dot
// fails under CI, which installs it (.ci/run), and skips elsewhere.
func needDot(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dot"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Graphviz's dot is missing under CI (.ci/run installs it): %v", err)
		}
		t.Skipf("skipping: Graphviz's dot is not installed (apt-get install graphviz): %v", err)
	}
}

// cnnc graph draws the tutorial's MNIST model after the passes (the
// activations fused into the convolutions and Dense layers, the dropouts
// gone) and, with -before, as imported.
func TestGraphTutorial(t *testing.T) {
	model := repo(t, "testdata/tutorial_125_mnist.cnn")
	tests := []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"after the passes", nil,
			[]string{"digraph cnnc {", "after the optimizing passes", `label="Conv + Relu (fused)\nconv2d\nk3x3\nconst [32,1,3,3] [32]\nf32[N,26,26,32] NHWC"`,
				`Gemm + Relu (fused)\ndense\n`, `MaxPool\nmax_pooling2d\nk2x2 s2\n`, `label="input\ninput\nf32[N,28,28,1] NHWC"`, "n6 -> out0;"},
			[]string{"Dropout", `label="Relu`, "n7 "}},
		{"before", []string{"-before"},
			[]string{"as imported", `label="Conv\nconv2d\nk3x3\n`, `label="Relu\nactivation\n`, `label="Dropout\ndropout\nratio=0.25\nf32[N,12,12,64] NHWC"`, "n5 -> n6;"},
			[]string{"fused", "bool"}},
		{"model flags", []string{"-before", "-seed", "7", "-q", "-consts", "-lr"},
			[]string{"rankdir=LR", `label="Conv\nconv2d\n`},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"graph"}, tc.args...), model)
			code, out, errOut := cnnc(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %s:\n%s", w, out)
				}
			}
			if _, again, _ := cnnc(t, args...); again != out {
				t.Error("two runs differ")
			}
		})
	}
}

// -o writes DOT itself or has dot render it; with dot missing, an image
// is refused with an error that says how to install it and how to do
// without, and no file is left behind.
func TestGraphOutputFiles(t *testing.T) {
	model := repo(t, "testdata/tutorial_125_mnist.cnn")
	_, stdout, _ := cnnc(t, "graph", model)
	dir := t.TempDir()
	for _, name := range []string{"m.dot", "m.gv"} {
		path := filepath.Join(dir, name)
		if code, out, errOut := cnnc(t, "graph", "-o", path, model); code != 0 || out != "" {
			t.Fatalf("-o %s: exit %d, stdout %q: %s", name, code, out, errOut)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != stdout {
			t.Errorf("-o %s wrote something else than stdout gets (%v)", name, err)
		}
	}
	t.Run("render", func(t *testing.T) {
		needDot(t)
		for _, tc := range []struct{ name, magic string }{{"m.svg", "<svg"}, {"m.png", "\x89PNG"}, {"m.pdf", "%PDF"}} {
			path := filepath.Join(dir, tc.name)
			code, _, errOut := cnnc(t, "graph", "-o", path, model)
			if code != 0 {
				t.Fatalf("-o %s: exit %d: %s", tc.name, code, errOut)
			}
			b, err := os.ReadFile(path)
			if err != nil || !strings.Contains(string(b[:min(len(b), 400)]), tc.magic) {
				t.Errorf("-o %s did not write a %s file (%v)", tc.name, tc.magic, err)
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, "m.svg"))
		if !strings.Contains(string(b), "Conv + Relu (fused)") {
			t.Error("the SVG lacks the fused convolution's title")
		}
	})
	t.Run("no dot", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		path := filepath.Join(dir, "nodot.svg")
		code, _, errOut := cnnc(t, "graph", "-o", path, model)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		for _, w := range []string{"dot", "apt-get install graphviz", "brew install graphviz", "cnnc graph MODEL > model.dot"} {
			if !strings.Contains(errOut, w) {
				t.Errorf("the error does not say %q:\n%s", w, errOut)
			}
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("a file was written without dot")
		}
		// DOT needs no Graphviz.
		if code, _, errOut := cnnc(t, "graph", "-o", filepath.Join(dir, "nodot.dot"), model); code != 0 {
			t.Errorf("-o .dot without dot: exit %d: %s", code, errOut)
		}
	})
}

func TestGraphUsageErrors(t *testing.T) {
	model := repo(t, "testdata/tutorial_125_mnist.cnn")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"graph"}, 2, "no model given"},
		{[]string{"graph", model, model}, 2, "want one model"},
		{[]string{"graph", "-o", "m.jpeg", model}, 2, "want a .dot, .gv, .svg, .png or .pdf file"},
		{[]string{"graph", "-dim", "N=2", model}, 1, "-dim applies to ONNX models only"},
		{[]string{"graph", "-weights", "missing.npz", model}, 1, "missing.npz"},
		{[]string{"graph", "-dump-after", "nope", model}, 2, `no pass named "nope"`},
		{[]string{"graph", "-before", "-dump-after", "fuse-activation", model}, 2, "-before runs none"},
		{[]string{"graph", "-o", filepath.Join(t.TempDir(), "no", "such", "dir.dot"), model}, 1, "writing"},
	}
	for _, tc := range tests {
		code, _, errOut := cnnc(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("cnnc %s: exit %d, want %d; stderr:\n%s\nwant it to contain %q", strings.Join(tc.args, " "), code, tc.code, errOut, tc.want)
		}
	}
}

// -dump-after works as in the other commands, the graph still going to
// stdout.
func TestGraphDumpAfter(t *testing.T) {
	model := repo(t, "testdata/tutorial_125_mnist.cnn")
	for _, args := range [][]string{{"-dump-after", "fuse-activation"}, {"-before", "-dump-after", "import"}} {
		code, out, errOut := cnnc(t, append(append([]string{"graph"}, args...), model)...)
		if code != 0 || !strings.HasPrefix(out, "digraph") || !strings.Contains(errOut, "# after ") {
			t.Errorf("cnnc graph %s: exit %d, stdout %.40q, stderr %.200q", strings.Join(args, " "), code, out, errOut)
		}
	}
}

// A residual network is drawn with its fused residual convolutions.
func TestGraphResnet(t *testing.T) {
	model := filepath.Join(shared.Conformance(t), "models", "resnet18", "model.onnx")
	code, out, errOut := cnnc(t, "graph", "-q", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(out, "Conv + Add + Relu (fused)"); n != 8 {
		t.Errorf("%d fused residual convolutions, want resnet18's 8", n)
	}
	if n := strings.Count(out, `[label="residual", style=dashed]`); n != 8 {
		t.Errorf("%d residual edges, want 8", n)
	}
}
