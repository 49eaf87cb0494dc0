package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/internal/shared"
	"github.com/cnnc/cnnc/internal/tutorial"
	cnncrt "github.com/cnnc/cnnc/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/summary")

// cnnc runs the command line in-process.
func cnnc(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func repo(t *testing.T, path string) string {
	return filepath.Join(shared.RepoRoot(t), path)
}

// Help that was asked for goes to stdout and exits 0, whichever way it was
// asked for; usage printed because of a mistake goes to stderr.
func TestHelp(t *testing.T) {
	code, out, errOut := cnnc(t, "help")
	if code != 0 || errOut != "" {
		t.Fatalf("cnnc help exits %d, stderr %q", code, errOut)
	}
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.name+" ") || !strings.Contains(out, c.example) {
			t.Errorf("cnnc help does not show %s and its example:\n%s", c.name, out)
		}
	}
	type askFor struct {
		args []string
		want string
	}
	asks := []askFor{
		{[]string{"help"}, "commands:"},
		{[]string{"-h"}, "commands:"},
		{[]string{"--help"}, "commands:"},
		{[]string{"help", "help"}, "commands:"},
	}
	for _, c := range commands() {
		want := "usage: cnnc " + c.name
		asks = append(asks,
			askFor{[]string{c.name, "-h"}, want},
			askFor{[]string{c.name, "-help"}, want},
			askFor{[]string{"help", c.name}, want},
			askFor{[]string{c.name, "model.onnx", "-h"}, want})
	}
	for _, a := range asks {
		code, out, errOut := cnnc(t, a.args...)
		if code != 0 || errOut != "" || !strings.Contains(out, a.want) {
			t.Errorf("cnnc %s: exit %d, stderr %q, stdout:\n%s\nwant exit 0, nothing on stderr and %q on stdout", strings.Join(a.args, " "), code, errOut, out, a.want)
		}
		if strings.HasPrefix(a.want, "usage: cnnc ") && !strings.Contains(out, "example:") {
			t.Errorf("cnnc %s shows no example:\n%s", strings.Join(a.args, " "), out)
		}
	}
	mistakes := [][]string{{}, {"summary", "-nosuchflag"}, {"help", "frobnicate"}, {"compile", "-o"}}
	for _, args := range mistakes {
		code, out, errOut := cnnc(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "usage: cnnc") {
			t.Errorf("cnnc %s: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and the usage on stderr only", strings.Join(args, " "), code, out, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	page := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(page, []byte("<!DOCTYPE html>\n<html><body>Sign in to download</body></html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"summary"}, 2, "no model given"},
		{[]string{"summary", "a.cnn", "b.cnn"}, 2, "want one model"},
		{[]string{"summary", "-nosuchflag", "x.cnn"}, 2, "flag provided but not defined"},
		{[]string{"summary", "model.txt"}, 1, "unknown model format"},
		{[]string{"summary", "missing.cnn"}, 1, "missing.cnn"},
		{[]string{"compile", repo(t, "testdata/tutorial_125_mnist.cnn")}, 2, "-o DIR is required"},
		{[]string{"compile", "-o", t.TempDir(), "-pkg", "My-Pkg", repo(t, "testdata/tutorial_125_mnist.cnn")}, 2, "not a plain lower-case Go package name"},
		{[]string{"summary", "-dump-after", "nope", repo(t, "testdata/tutorial_125_mnist.cnn")}, 2, `no pass named "nope"`},
		{[]string{"summary", "-dim", "N=0", "x.onnx"}, 2, "must be a positive integer"},
		{[]string{"check", repo(t, "testdata/tutorial_125_mnist.cnn")}, 2, "has no test_data_set_*"},
		{[]string{"check", "-engine", "c", repo(t, "testdata/tutorial_125_mnist.cnn")}, 2, `unknown engine "c"`},
		{[]string{"summary", "-weights", "w.npz", "x.onnx"}, 1, "applies to DSL models only"},
		{[]string{"bench", "-rounds", "0", repo(t, "testdata/tutorial_124.cnn")}, 2, "-rounds must be positive"},
		{[]string{"summary", page}, 1, page + ": not an ONNX model (decoding the protobuf ModelProto: proto: "},
		{[]string{"compile", "-o", t.TempDir(), page}, 1, "it is an HTML or XML page"},
	}
	for _, tc := range tests {
		code, _, errOut := cnnc(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("cnnc %s: exit %d, want %d; stderr:\n%s\nwant it to contain %q", strings.Join(tc.args, " "), code, tc.code, errOut, tc.want)
		}
	}
}

// cnnc summary on the tutorial's models, as pasted, prints the tutorial's
// tables: every row's type, output shape and parameter count, and the
// three totals lines verbatim.
func TestSummaryReproducesTutorial(t *testing.T) {
	for _, m := range tutorial.Models(t) {
		t.Run(m.Section, func(t *testing.T) {
			code, out, errOut := cnnc(t, "summary", repo(t, "testdata/"+m.File))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got, err := tutorial.ParseSummary(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			want := m.Table.Rows
			if m.ExtraRow {
				want = want[:len(want)-1]
			}
			if len(got.Rows) != len(want) {
				t.Fatalf("%d rows, the tutorial has %d:\n%s", len(got.Rows), len(want), out)
			}
			for i := range want {
				if !got.Rows[i].Matches(want[i]) {
					t.Errorf("row %d: %v, the tutorial has %v", i, got.Rows[i], want[i])
				}
			}
			if strings.Join(got.TotalLines, "\n") != strings.Join(m.Table.TotalLines, "\n") {
				t.Errorf("totals\n%s\nthe tutorial has\n%s", strings.Join(got.TotalLines, "\n"), strings.Join(m.Table.TotalLines, "\n"))
			}
		})
	}
}

// The full summary output is golden, for the DSL models and ONNX ones.
func TestSummaryGolden(t *testing.T) {
	models := map[string]string{
		"tutorial_124":  "testdata/tutorial_124.cnn",
		"tutorial_125":  "testdata/tutorial_125_mnist.cnn",
		"tutorial_126":  "testdata/tutorial_126_cifar.cnn",
		"mnist-8_macs":  "models/mnist-8/model.onnx",
		"pool_zoo_macs": "models/pool_zoo/model.onnx",
	}
	for name, path := range models {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(path, "models/") {
				path = filepath.Join(shared.Conformance(t), path)
			} else {
				path = repo(t, path)
			}
			args := []string{"summary", path}
			if strings.HasSuffix(name, "_macs") {
				args = []string{"summary", "-macs", path}
			}
			code, out, errOut := cnnc(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden := repo(t, filepath.Join("testdata", "summary", name+".golden"))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
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

// cnnc compile writes a package that builds, vets and passes its own
// generated tests (reference outputs, zero allocations, wrong sizes,
// batches) in a module of its own, and writes it byte-identically twice.
func TestCompileWritesWorkingPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated package")
	}
	app, err := engine.WriteModule(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(app, "mnist")
	model := repo(t, "testdata/tutorial_125_mnist.cnn")
	if code, _, errOut := cnnc(t, "compile", model, "-o", dir, "-pkg", "mnist"); code != 0 {
		t.Fatalf("compile exits %d: %s", code, errOut)
	}
	first, err := os.ReadFile(filepath.Join(dir, "model.go"))
	if err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	if code, _, errOut := cnnc(t, "compile", "-o", again, "-pkg", "mnist", model); code != 0 {
		t.Fatalf("second compile exits %d: %s", code, errOut)
	}
	for _, f := range []string{"model.go", "model_test.go", "weights.bin", "testdata/golden.bin"} {
		a, errA := os.ReadFile(filepath.Join(dir, f))
		b, errB := os.ReadFile(filepath.Join(again, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two compiles (%v, %v)", f, errA, errB)
		}
	}
	if !bytes.Contains(first, []byte("Total params: 1,199,882")) {
		t.Error("the package doc lacks the summary table")
	}
	// The generated tests include TestShared, which calls the model from 32
	// goroutines at once: run them under the race detector.
	for _, args := range [][]string{{"vet", "-mod=mod", "./..."}, {"test", "-mod=mod", "-race", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = app
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	// Compiling another model into the directory without a test removes
	// the old model's test and golden data, which would fail against it.
	if code, _, errOut := cnnc(t, "compile", "-q", "-test=false", "-o", dir, "-pkg", "mnist", repo(t, "testdata/tutorial_126_cifar.cnn")); code != 0 {
		t.Fatalf("compile -test=false exits %d: %s", code, errOut)
	}
	for _, f := range []string{"model_test.go", "testdata/golden.bin"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s from the earlier compile is still there", f)
		}
	}
	cmd := exec.Command("go", "test", "-mod=mod", "-count=1", "./mnist")
	cmd.Dir = app
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test after recompiling: %v\n%s", err, out)
	}

	// A runtime whose contract moved on refuses to build the package, at
	// the line that says what to do.
	rt := filepath.Join(filepath.Dir(app), "cnnc", "runtime", "model.go")
	src, err := os.ReadFile(rt)
	if err != nil {
		t.Fatal(err)
	}
	decl := fmt.Sprintf("MinVersion = %d", cnncrt.MinVersion)
	newer := bytes.Replace(src, []byte(decl), []byte(fmt.Sprintf("MinVersion = %d", cnncrt.Version+1)), 1)
	if bytes.Equal(newer, src) {
		t.Fatalf("runtime/model.go no longer declares %q; update this test", decl)
	}
	if err := os.WriteFile(rt, newer, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("go", "build", "-mod=mod", "./mnist")
	cmd.Dir = app
	out, err := cmd.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("EnforceVersion")) || !bytes.Contains(out, []byte("model.go")) {
		t.Errorf("building against an incompatible runtime: %v\n%s", err, out)
	}
}

func TestCheckAndRun(t *testing.T) {
	mnist := filepath.Join(shared.Conformance(t), "models", "mnist-8")
	code, out, errOut := cnnc(t, "check", filepath.Join(mnist, "model.onnx"))
	if code != 0 || !strings.Contains(out, "ok: 3 data sets agree (engine ref") {
		t.Errorf("check exits %d:\n%s%s", code, out, errOut)
	}
	// Judged against another data set's outputs, the check fails.
	bad := t.TempDir()
	for _, f := range []struct{ from, to string }{{"test_data_set_0/input_0.pb", "input_0.pb"}, {"test_data_set_1/output_0.pb", "output_0.pb"}} {
		data, err := os.ReadFile(filepath.Join(mnist, f.from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bad, f.to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = cnnc(t, "check", filepath.Join(mnist, "model.onnx"), bad)
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(errOut, "1 of 1 data sets differ") {
		t.Errorf("check against wrong outputs exits %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = cnnc(t, "run", "-input", filepath.Join(mnist, "test_data_set_0", "input_0.pb"), filepath.Join(mnist, "model.onnx"))
	if code != 0 || !strings.Contains(out, `output 0 "Plus214_Output_0" [1,10]`) || !strings.Contains(out, "  item 0: 2: ") {
		t.Errorf("run exits %d:\n%s%s", code, out, errOut)
	}
	prefix := filepath.Join(t.TempDir(), "out")
	if code, _, errOut := cnnc(t, "run", "-o", prefix, repo(t, "testdata/tutorial_124.cnn")); code != 0 {
		t.Fatalf("run -o exits %d: %s", code, errOut)
	}
	if _, err := os.Stat(prefix + "0.pb"); err != nil {
		t.Error(err)
	}
	if code, _, errOut := cnnc(t, "run", "-input", filepath.Join(mnist, "test_data_set_0", "input_0.pb"), repo(t, "testdata/tutorial_126_cifar.cnn")); code != 1 || !strings.Contains(errOut, "model wants") {
		t.Errorf("run with a wrong-shaped input exits %d: %s", code, errOut)
	}
}

// bench -rounds times several rounds on one build; -step prints each as it
// ends and waits for a line on standard input before the next.
func TestBenchRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated package")
	}
	model := repo(t, "testdata/tutorial_124.cnn")
	code, out, errOut := cnnc(t, "bench", "-json", "-iters", "3", "-rounds", "3", model)
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("bench -rounds 3 exits %d:\n%s%s", code, out, errOut)
	}
	var whole struct {
		MedianMs float64   `json:"median_ms"`
		Rounds   int       `json:"rounds"`
		RoundsMs []float64 `json:"rounds_ms"`
	}
	if err := json.Unmarshal([]byte(out), &whole); err != nil {
		t.Fatal(err)
	}
	sorted := append([]float64(nil), whole.RoundsMs...)
	sort.Float64s(sorted)
	if whole.Rounds != 3 || len(sorted) != 3 || math.Abs(whole.MedianMs-sorted[1]) > 1e-3 {
		t.Errorf("bench -rounds 3 prints %s; want 3 rounds and their median", out)
	}

	defer func(r io.Reader) { stdin = r }(stdin)
	stdin = strings.NewReader("go\n")
	code, out, errOut = cnnc(t, "bench", "-json", "-iters", "3", "-rounds", "2", "-step", model)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], `{"round":1,"median_ms":`) || !strings.HasPrefix(lines[1], `{"round":2,`) || !strings.Contains(lines[2], `"rounds_ms":[`) {
		t.Errorf("bench -rounds 2 -step exits %d:\n%s%s", code, out, errOut)
	}
	stdin = strings.NewReader("")
	code, out, errOut = cnnc(t, "bench", "-iters", "3", "-rounds", "2", "-step", model)
	if code != 1 || !strings.HasPrefix(out, "round 1: median ") || !strings.Contains(errOut, "standard input ended before round 2") {
		t.Errorf("bench -step without a go-ahead exits %d:\n%s%s", code, out, errOut)
	}
}

// A model that fails to compile leaves the output directory as it was.
func TestCompileFailureLosesNothing(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "model.go")
	if err := os.WriteFile(keep, []byte("package mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.cnn")
	if err := os.WriteFile(bad, []byte("model = Sequential()\nmodel.add(Conv2d(32, (3, 3), input_shape=(28, 28, 1)))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cnnc(t, "compile", bad, "-o", dir)
	if code != 1 || !strings.Contains(errOut, "bad.cnn:2:11") || !strings.Contains(errOut, "Conv2D") {
		t.Errorf("compile of a broken model exits %d:\n%s", code, errOut)
	}
	if data, err := os.ReadFile(keep); err != nil || string(data) != "package mine\n" {
		t.Errorf("the existing file changed: %q, %v", data, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the output directory has %d entries, want the 1 it had", len(entries))
	}
}

// A fully convolutional model with symbolic height and width checks
// without flags, on both engines, at the two sizes of its data sets; the
// commands that have no input to bind them from name every unknown
// dimension, and -dim binds them.
func TestSymbolicHeightAndWidth(t *testing.T) {
	model := repo(t, "testdata/fcn_hw/model.onnx")
	for _, eng := range []string{"ref", "go"} {
		code, out, errOut := cnnc(t, "check", "-q", "-engine", eng, model)
		if code != 0 || !strings.Contains(out, "ok: 2 data sets agree") {
			t.Errorf("check -engine %s: exit %d\n%s%s", eng, code, out, errOut)
		}
	}
	code, _, errOut := cnnc(t, "compile", "-q", "-o", t.TempDir(), model)
	if code != 1 || !strings.Contains(errOut, `"input" dimension 2 ("height"), "input" dimension 3 ("width")`) || !strings.Contains(errOut, "-dim height=VALUE -dim width=VALUE") {
		t.Errorf("compile without -dim: exit %d\n%s", code, errOut)
	}
	code, _, errOut = cnnc(t, "compile", "-q", "-dim", "height=12", "-o", t.TempDir(), model)
	if code != 1 || strings.Contains(errOut, `"height"`) || !strings.Contains(errOut, `"width"`) {
		t.Errorf("compile with one -dim: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := cnnc(t, "compile", "-q", "-dim", "height=12", "-dim", "width=16", "-o", t.TempDir(), model); code != 0 {
		t.Errorf("compile with both -dim: exit %d\n%s", code, errOut)
	}
	code, _, errOut = cnnc(t, "summary", "-dim", "hieght=12", model)
	if code != 1 || !strings.Contains(errOut, "-dim hieght: the model's inputs have no dimension of that name; they declare batch, height, width") {
		t.Errorf("summary with a misspelled -dim: exit %d\n%s", code, errOut)
	}
}
