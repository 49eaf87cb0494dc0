package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cnnc/cnnc/frontend/onnx"
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// The test images (testdata/images/gen.go made them from the MNIST test
// set; the file names end in the digit).
var (
	digitsDir = filepath.Join("testdata", "images", "digits")
	digit7    = filepath.Join(digitsDir, "test0000_7.png")
	digit2    = filepath.Join(digitsDir, "test0001_2.png")
	digit1    = filepath.Join(digitsDir, "test0002_1.png")
	zeroJPEG  = filepath.Join("testdata", "images", "zero.jpg")
	fourInk   = filepath.Join("testdata", "images", "four_ink.png")
	digitsNPY = filepath.Join("testdata", "images", "digits.npy")
)

// The trained MNIST model of examples/mnist/model, as ONNX and as the
// DSL with its weights: both take pixels X/255, as the defaults give.
func mnistModels(t *testing.T) map[string][]string {
	dir := repo(t, "examples/mnist/model")
	return map[string][]string{
		"onnx": {filepath.Join(dir, "mnist.onnx")},
		"cnn":  {"-weights", filepath.Join(dir, "mnist.npz"), filepath.Join(dir, "mnist.cnn")},
	}
}

// topClass matches an item line and captures its name and first class.
var topClass = regexp.MustCompile(`(?m)^  item (\d+)( \S+)?: (?:.* \()?(\d+)\)?: `)

// classes returns the top class of each item line of cnnc run's output.
func classes(out string) map[string]string {
	got := map[string]string{}
	for _, m := range topClass.FindAllStringSubmatch(out, -1) {
		got["item "+m[1]+m[2]] = m[3]
	}
	return got
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return to
}

// reshapedNPY reads testdata's digits.npy and writes it again with another
// shape (the same values in the same order), for the DSL model's NHWC
// input.
func reshapedNPY(t *testing.T, shape ir.Shape) string {
	t.Helper()
	x, err := readNPY(digitsNPY)
	if err != nil {
		t.Fatal(err)
	}
	x.Shape = shape
	var b bytes.Buffer
	if err := writeNPY(&b, x); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "digits.npy")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Both forms of the MNIST model label real MNIST digits from PNG, JPEG,
// a directory, several files and .npy, with default flags.
func TestRunLabelsDigits(t *testing.T) {
	tmp := t.TempDir()
	pngAsJPEG := copyFile(t, digit7, filepath.Join(tmp, "seven.jpg")) // the content decides
	pngAsPB := copyFile(t, digit7, filepath.Join(tmp, "seven.pb"))
	nhwc := reshapedNPY(t, ir.Shape{3, 28, 28, 1})
	tests := []struct {
		name  string
		args  []string
		model string // "onnx" or "cnn"; "" for both (the DSL model's weights take seconds to load)
		want  map[string]string
	}{
		{"png", []string{"-input", digit7}, "", map[string]string{"item 0 " + digit7: "7"}},
		{"jpeg", []string{"-input", zeroJPEG}, "onnx", map[string]string{"item 0 " + zeroJPEG: "0"}},
		{"png named .jpg", []string{"-input", pngAsJPEG}, "onnx", map[string]string{"item 0 " + pngAsJPEG: "7"}},
		{"png named .pb", []string{"-input", pngAsPB}, "onnx", map[string]string{"item 0 " + pngAsPB: "7"}},
		{"directory", []string{"-input", digitsDir}, "", map[string]string{"item 0 " + digit7: "7", "item 1 " + digit2: "2", "item 2 " + digit1: "1"}},
		{"repeated -input", []string{"-input", digit1, "-input", digit7}, "onnx", map[string]string{"item 0 " + digit1: "1", "item 1 " + digit7: "7"}},
		{"after the model (a shell glob)", []string{"-input", digit2, "MODEL", digit1, zeroJPEG}, "onnx", map[string]string{"item 0 " + digit2: "2", "item 1 " + digit1: "1", "item 2 " + zeroJPEG: "0"}},
		{"ink on paper, RGB 84x84, -invert", []string{"-invert", "-input", fourInk}, "onnx", map[string]string{"item 0 " + fourInk: "4"}},
		{"-preset mnist", []string{"-preset", "mnist", "-input", digit7}, "onnx", map[string]string{"item 0 " + digit7: "7"}},
		{"npy NCHW", []string{"-input", digitsNPY}, "onnx", map[string]string{"item 0": "7", "item 1": "2", "item 2": "1"}},
		{"npy NHWC", []string{"-input", nhwc}, "cnn", map[string]string{"item 0": "7", "item 1": "2", "item 2": "1"}},
	}
	for _, tc := range tests {
		for kind, model := range mnistModels(t) {
			if tc.model != "" && tc.model != kind {
				continue
			}
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				args := []string{"run", "-q"}
				placed := false
				for _, a := range tc.args {
					if a == "MODEL" {
						args, placed = append(args, model...), true
						continue
					}
					args = append(args, a)
				}
				if !placed {
					args = append(args, model...)
				}
				code, out, errOut := cnnc(t, args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				got := classes(out)
				if len(got) != len(tc.want) {
					t.Errorf("%d items, want %d:\n%s", len(got), len(tc.want), out)
				}
				for item, class := range tc.want {
					if got[item] != class {
						t.Errorf("%s: class %q, want %s:\n%s", item, got[item], class, out)
					}
				}
			})
		}
	}
}

// -topk, -labels and -softmax shape the lines; -topk 0 prints values.
func TestRunTopKAndLabels(t *testing.T) {
	model := mnistModels(t)["onnx"][0]
	labels := filepath.Join(t.TempDir(), "digits.txt")
	if err := os.WriteFile(labels, []byte("zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(t.TempDir(), "short.txt")
	if err := os.WriteFile(short, []byte("zero\none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
		seps    int // " | " per item line, -1 to skip the check
	}{
		{"default top 5", nil, []string{"top 5 of 10 classes per item", "item 0 " + digit7 + ": 7: "}, "", 4},
		{"top 3 with labels", []string{"-topk", "3", "-labels", labels}, []string{"top 3 of 10", "item 0 " + digit7 + ": seven (7): "}, "", 2},
		{"top 1 softmax", []string{"-topk", "1", "-softmax"}, []string{"item 0 " + digit7 + ": 7: "}, "", 0},
		{"more than the classes", []string{"-topk", "50"}, []string{"top 10 of 10"}, "", 9},
		{"labels for fewer classes", []string{"-v", "-labels", short}, []string{"item 0 " + digit7 + ": 7: "}, "2 labels for output 0's 10 classes", -1},
		{"values", []string{"-topk", "0"}, []string{`output 0 "output" [1,10]` + "\n", "item 0 " + digit7 + ": "}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run"}, tc.args...), "-input", digit7, model)
			code, out, errOut := cnnc(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, errOut)
			}
			if tc.seps >= 0 {
				for _, line := range strings.Split(out, "\n") {
					if strings.HasPrefix(line, "  item") && strings.Count(line, " | ") != tc.seps {
						t.Errorf("%d classes on %q, want %d", strings.Count(line, " | ")+1, line, tc.seps+1)
					}
				}
			}
		})
	}
}

// Each item of a batch gets its own classes: a [3,10] output whose item 1
// peaks at class 9 says 9 for item 1, not the flat index 19 over the
// batch, as cnnc run once printed.
func TestPrintOutputsPerItem(t *testing.T) {
	scores := ir.Zeros(ir.Float32, ir.Shape{3, 10})
	for b, best := range []int{3, 9, 0} {
		scores.Floats[b*10+best] = 1
	}
	deep := ir.Zeros(ir.Float32, ir.Shape{2, 5, 1, 1})
	deep.Floats[4], deep.Floats[5+2] = 1, 1
	tests := []struct {
		name   string
		t      *ir.Tensor
		names  []string
		want   []string
		reject []string
	}{
		{"[3,10]", scores, nil, []string{"top 5 of 10", "  item 0: 3: 1 | ", "  item 1: 9: 1 | ", "  item 2: 0: 1 | "}, []string{"19", "argmax"}},
		{"[3,10] named", scores, []string{"a.png", "b.png", "c.png"}, []string{"  item 1 b.png: 9: 1 | "}, nil},
		{"[2,5,1,1] is class scores too", deep, nil, []string{"top 5 of 5", "  item 0: 4: 1 | ", "  item 1: 2: 1 | "}, nil},
		{"[2,3] values per item", &ir.Tensor{DType: ir.Float32, Shape: ir.Shape{2, 3, 2}, Floats: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}, nil,
			[]string{"  item 0: 1 2 3 4 5 6\n", "  item 1: 7 8 9 10 11 12\n"}, []string{"top"}},
		{"vector", &ir.Tensor{DType: ir.Float32, Shape: ir.Shape{3}, Floats: []float64{1, 2, 3}}, nil, []string{"[3]\n 1 2 3\n"}, []string{"item"}},
		{"long item", ir.Zeros(ir.Float32, ir.Shape{1, 3, 30}), nil, []string{"... (90 values)"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &ir.Graph{Outputs: []*ir.Value{{Name: "y"}}}
			var b strings.Builder
			printOutputs(&b, g, []*ir.Tensor{tc.t}, printOptions{topK: 5, names: tc.names})
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(b.String(), r) {
					t.Errorf("has %q:\n%s", r, b.String())
				}
			}
		})
	}
}

// onnxValue declares a float tensor; each dim is an int (dim_value) or a
// string (dim_param).
func onnxValue(name string, dims ...any) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		dim := &pb.TensorShapeProto_Dimension{}
		if s, ok := d.(string); ok {
			dim.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: s}
		} else {
			dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d.(int))}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: int32(pb.TensorProto_FLOAT), Shape: shape}}}}
}

// writeONNX writes an opset-13 model with the given inputs, nodes and
// outputs (whose types shape inference gives).
func writeONNX(t *testing.T, inputs []*pb.ValueInfoProto, nodes []*pb.NodeProto, outputs ...string) string {
	t.Helper()
	g := &pb.GraphProto{Name: "test", Input: inputs, Node: nodes}
	for _, o := range outputs {
		g.Output = append(g.Output, &pb.ValueInfoProto{Name: o})
	}
	m := &pb.ModelProto{IrVersion: 8, OpsetImport: []*pb.OperatorSetIdProto{{Version: 13}}, Graph: g}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// flatten is an ONNX Flatten node (axis 1): the NCHW input's values in
// memory order, one row per item.
func flatten(in, out string) *pb.NodeProto {
	return &pb.NodeProto{OpType: "Flatten", Input: []string{in}, Output: []string{out},
		Attribute: []*pb.AttributeProto{{Name: "axis", Type: pb.AttributeProto_INT, I: 1}}}
}

// twoInputModel writes an ONNX model with an image input [N,1,2,2] and a
// vector input [N,4], and two outputs: sum = Flatten(image) + extra, and
// flat = Flatten(image).
func twoInputModel(t *testing.T) string {
	return writeONNX(t,
		[]*pb.ValueInfoProto{onnxValue("image", "batch", 1, 2, 2), onnxValue("extra", "batch", 4)},
		[]*pb.NodeProto{flatten("image", "flat"), {OpType: "Add", Input: []string{"flat", "extra"}, Output: []string{"sum"}}},
		"sum", "flat")
}

// -preset imagenet on a 28x28 RGB input is Resize(32), CenterCrop(28) and
// ImageNet's Normalize: the model input cnnc run makes from a PNG equals
// the tensor torchvision computed for it (vision/testdata, gen.py there).
func TestRunPresetImageNetMatchesTorchvision(t *testing.T) {
	model := writeONNX(t, []*pb.ValueInfoProto{onnxValue("input", "batch", 3, 28, 28)}, []*pb.NodeProto{flatten("input", "x")}, "x")
	out := filepath.Join(t.TempDir(), "x.npy")
	png := repo(t, "vision/testdata/rgb_64x48.png")
	code, stdout, errOut := cnnc(t, "run", "-preset", "imagenet", "-topk", "0", "-o", out, "-input", png, model)
	if code != 0 || !strings.Contains(errOut, "shorter side to 32, center crop 28x28") {
		t.Fatalf("exit %d\n%s%s", code, stdout, errOut)
	}
	got, err := readNPY(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readNPY(repo(t, "vision/testdata/rgb64x48_imagenet.npy")) // numpy wrote it: (3, 28, 28) float32
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Floats) != len(want.Floats) || !want.Shape.Equal(ir.Shape{3, 28, 28}) {
		t.Fatalf("got %v, torchvision %v", got.Shape, want.Shape)
	}
	for i := range want.Floats {
		// 1e-5: float32 rounding of (v/255 - mean)/std.
		if d := math.Abs(got.Floats[i] - want.Floats[i]); d > 1e-5 {
			t.Fatalf("value %d: %v, torchvision %v", i, got.Floats[i], want.Floats[i])
		}
	}
}

// writePNG writes a gray image.
func writePNG(t *testing.T, path string, w, h int, pix []uint8) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	copy(img.Pix, pix)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawNPY writes a .npy file with the given header dictionary and data.
func rawNPY(t *testing.T, path, dict string, data []byte) string {
	t.Helper()
	hdr := dict + strings.Repeat(" ", 64-(10+len(dict)+1)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A model with an image input and a tensor input takes one -input each;
// the values come through exactly: pixels/255 in NCHW order, a Fortran-
// order int32 .npy converted to float. With two outputs, -o FILE.npy
// writes FILE_0.npy and FILE_1.npy.
func TestRunImageAndTensorInputs(t *testing.T) {
	model := twoInputModel(t)
	dir := t.TempDir()
	img := writePNG(t, filepath.Join(dir, "a.png"), 2, 2, []uint8{0, 51, 102, 255})
	img2 := writePNG(t, filepath.Join(dir, "b.png"), 2, 2, []uint8{255, 0, 0, 0})
	// extra [2,4] in Fortran order: column-major, so element (b, j) is at
	// j*2+b. Values b*10+j.
	var raw []byte
	for j := 0; j < 4; j++ {
		for b := 0; b < 2; b++ {
			raw = binary.LittleEndian.AppendUint32(raw, uint32(int32(b*10+j)))
		}
	}
	imgs := filepath.Join(dir, "imgs")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, img, filepath.Join(imgs, "1.png"))
	copyFile(t, img2, filepath.Join(imgs, "2.png"))
	os.WriteFile(filepath.Join(imgs, "README"), []byte("not an image, left out\n"), 0o644)
	extra := rawNPY(t, filepath.Join(dir, "extra.npy"), "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 4), }", raw)
	out := filepath.Join(dir, "out.npy")
	code, stdout, errOut := cnnc(t, "run", "-q", "-o", out, "-input", imgs, "-input", extra, model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{`output 0 "sum" [2,4]: top 4 of 4`, "item 0 " + filepath.Join(imgs, "1.png") + ": 3: 4 | ", `output 1 "flat" [2,4]`, "-> " + filepath.Join(dir, "out_0.npy"), "-> " + filepath.Join(dir, "out_1.npy")} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
	sum, err := readNPY(filepath.Join(dir, "out_0.npy"))
	if err != nil {
		t.Fatal(err)
	}
	flat, err := readNPY(filepath.Join(dir, "out_1.npy"))
	if err != nil {
		t.Fatal(err)
	}
	wantFlat := []float64{0, 51, 102, 255, 255, 0, 0, 0}
	for i, w := range wantFlat {
		w = float64(float32(w) / 255)
		if flat.Floats[i] != w {
			t.Errorf("flat[%d] = %v, want %v", i, flat.Floats[i], w)
		}
		extra := float64(i/4*10 + i%4)
		if got, want := sum.Floats[i], float64(float32(w)+float32(extra)); got != want {
			t.Errorf("sum[%d] = %v, want %v", i, got, want)
		}
	}
	if !sum.Shape.Equal(ir.Shape{2, 4}) || sum.DType != ir.Float32 {
		t.Errorf("out_0.npy is %s %v, want f32 [2,4]", sum.DType, sum.Shape)
	}

	// One input given for two; a tensor file for the image input is fine,
	// an image for the vector input is not.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-input", img}, `the model has 2 inputs ("image" [N,1,2,2], "extra" [N,4]) and 1 were given`},
		{[]string{"-input", img, "-input", img}, `input 1 ("extra") [N,4] is not an image input`},
	} {
		code, _, errOut := cnnc(t, append(append([]string{"run"}, tc.args...), model)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("run %v: exit %d, want 1 with %q:\n%s", tc.args, code, tc.want, errOut)
		}
	}
}

// -o writes what the engine computed, as .npy and as TensorProto, equal to
// each other; a prefix without extension keeps the old PREFIXK.pb names.
func TestRunWritesOutputs(t *testing.T) {
	model := mnistModels(t)["onnx"][0]
	dir := t.TempDir()
	npyFile, pbFile, prefix := filepath.Join(dir, "probs.npy"), filepath.Join(dir, "probs.pb"), filepath.Join(dir, "out")
	for _, o := range []string{npyFile, pbFile, prefix} {
		if code, out, errOut := cnnc(t, "run", "-q", "-o", o, "-input", digitsDir, model); code != 0 || !strings.Contains(out, "-> ") {
			t.Fatalf("-o %s: exit %d\n%s%s", o, code, out, errOut)
		}
	}
	fromNPY, err := readNPY(npyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pbFile, prefix + "0.pb"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name, fromPB, err := onnx.ReadTensor(data)
		if err != nil {
			t.Fatal(err)
		}
		if name != "output" || !fromPB.Shape.Equal(fromNPY.Shape) || !fromNPY.Shape.Equal(ir.Shape{3, 10}) {
			t.Fatalf("%s: %q %v; .npy %v", p, name, fromPB.Shape, fromNPY.Shape)
		}
		for i := range fromPB.Floats {
			if fromPB.Floats[i] != fromNPY.Floats[i] {
				t.Errorf("%s[%d] = %v, .npy has %v", p, i, fromPB.Floats[i], fromNPY.Floats[i])
			}
		}
	}
	for b, want := range []int{7, 2, 1} {
		best := 0
		for j := 0; j < 10; j++ {
			if fromNPY.Floats[b*10+j] > fromNPY.Floats[b*10+best] {
				best = j
			}
		}
		if best != want {
			t.Errorf("item %d of the .npy output peaks at %d, want %d", b, best, want)
		}
	}
	// A .npy written by cnnc is an input again.
	code, out, errOut := cnnc(t, "run", "-q", "-topk", "1", "-input", npyFile, model)
	if code != 1 || !strings.Contains(errOut, npyFile+`: input 0 ("input"): got shape [3,10], model wants [N,1,28,28]`) {
		t.Errorf("feeding the [3,10] output back: exit %d\n%s%s", code, out, errOut)
	}
}

// Every bad input fails with a message that says what is wrong, exit 1,
// or for command-line mistakes exit 2 with the usage.
func TestRunErrors(t *testing.T) {
	models := mnistModels(t)
	model := models["onnx"][0]
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	fakePNG := filepath.Join(dir, "fake.png")
	os.WriteFile(fakePNG, []byte("hello\n"), 0o644)
	badPB := filepath.Join(dir, "bad.pb")
	os.WriteFile(badPB, []byte("\xff\xff\xff\xff"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	wrong := rawNPY(t, filepath.Join(dir, "wrong.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 27), }", make([]byte, 4*28*27))
	huge := rawNPY(t, filepath.Join(dir, "huge.npy"), "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 1, 28, 28), }", make([]byte, 64))
	noNewline := filepath.Join(dir, "nonl.npy")
	os.WriteFile(noNewline, []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}"), 0o644)
	strs := rawNPY(t, filepath.Join(dir, "str.npy"), "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", make([]byte, 12))
	dense := filepath.Join(dir, "dense.cnn")
	os.WriteFile(dense, []byte("model = Sequential()\nmodel.add(Dense(10, input_dim=784))\n"), 0o644)
	cifar := repo(t, "testdata/tutorial_126_cifar.cnn")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown format", []string{"-input", text, model}, 1, text + ": unknown input format; want .pb TensorProto, .npy, .png, .jpg/.jpeg, or a directory of images"},
		{"not a png", []string{"-input", fakePNG, model}, 1, "has a .png name but is not a PNG or JPEG image"},
		{"bad TensorProto", []string{"-input", badPB, model}, 1, badPB + ": decoding TensorProto"},
		{"missing file", []string{"-input", filepath.Join(dir, "nope.png"), model}, 1, "nope.png: no such file"},
		{"empty directory", []string{"-input", empty, model}, 1, "holds no PNG or JPEG images"},
		{"wrong size npy", []string{"-input", wrong, model}, 1, wrong + `: input 0 ("input"): got shape [1,1,28,27], model wants [N,1,28,28]`},
		{"npy shorter than its header says", []string{"-input", huge, model}, 1, "the file holds 64 bytes of data"},
		{"npy header without newline", []string{"-input", noNewline, model}, 1, "malformed .npy header"},
		{"npy of strings", []string{"-input", strs, model}, 1, `element type "<U3" is not supported`},
		{"fixed batch, two images", []string{"-dim", "batch=1", "-input", digit7, "-input", digit2, model}, 1, `input 0 ("input") [1,1,28,28] has a fixed batch of 1, and 2 images are more than that`},
		{"image for a vector input", []string{"-input", digit7, dense}, 1, `input 0 ("input") [N,784] is not an image input`},
		{"image and npy for one input", []string{"-input", digit7, "-input", digitsNPY, model}, 1, "give images only, or .pb/.npy files only"},
		{"gray preset for RGB", []string{"-preset", "mnist", "-input", digit7, cifar}, 1, "-preset mnist is for 28x28 gray inputs"},
		{"RGB preset for gray", []string{"-preset", "imagenet", "-input", digit7, model}, 1, "-preset imagenet is for RGB inputs"},
		{"unknown preset", []string{"-preset", "coco", "-input", digit7, model}, 2, `-preset "coco": want imagenet or mnist`},
		{"mean per channel", []string{"-mean", "0.1,0.2", "-input", digit7, model}, 1, "Mean has 2 values, want 1 or 1"},
		{"zero std", []string{"-std", "0", "-input", digit7, model}, 1, "Std[0] is zero"},
		{"bad crop", []string{"-crop", "10x", "-input", digit7, model}, 2, "want N or WxH"},
		{"bad scale", []string{"-scale", "1/0", "-input", digit7, model}, 2, "a fraction such as 1/255"},
		{"image flag without images", []string{"-resize", "32", "-input", digitsNPY, model}, 2, "-resize is image preprocessing, and no input is an image"},
		{"-batch with inputs", []string{"-batch", "2", "-input", digit7, model}, 2, "-batch sets the batch of the random input"},
		{"-o unknown extension", []string{"-o", filepath.Join(dir, "out.txt"), "-input", digit7, model}, 2, `unknown extension ".txt"; want .npy, .pb, or no extension`},
		{"negative -topk", []string{"-topk", "-1", model}, 2, "-topk must be 0"},
		{"missing labels", []string{"-labels", filepath.Join(dir, "nope.txt"), model}, 1, "nope.txt"},
		{"unknown engine", []string{"-engine", "c", model}, 2, `unknown engine "c"`},
		{"free height and width", []string{"-input", digit7, repo(t, "testdata/fcn_hw/model.onnx")}, 1, "image inputs are sized to the model's input, so give its size with -dim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cnnc(t, append([]string{"run", "-q"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d with %q; stdout:\n%s\nstderr:\n%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}

// The memory guard refuses, before allocating anything batch-sized, a run
// the reference engine could not hold: -batch 100000 on the MNIST model
// wants about 80 GiB. The default limit is half of MemAvailable; with
// -max-memory the test is the same on any machine.
func TestRunMemoryGuard(t *testing.T) {
	model := mnistModels(t)["onnx"][0]
	// A machine with more than twice the memory the run needs would not
	// refuse it by default: then the explicit limits below still check.
	if avail, ok := memAvailable(); ok && avail/2 > 100<<30 {
		t.Logf("MemAvailable %s: the default limit admits -batch 100000", formatBytes(float64(avail)))
	} else {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		code, _, errOut := cnnc(t, "run", "-batch", "100000", model)
		runtime.ReadMemStats(&after)
		if code != 1 || !strings.Contains(errOut, "a batch of 100000 on the ref engine would need about") || !strings.Contains(errOut, "-engine go") || !strings.Contains(errOut, "smaller batch") {
			t.Errorf("-batch 100000: exit %d\n%s", code, errOut)
		}
		// Loading the model takes some ten megabytes; the random input
		// alone would be 600 MB.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
			t.Errorf("-batch 100000 allocated %s before refusing", formatBytes(float64(alloc)))
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("-batch 100000 took %v to refuse", d)
		}
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-max-memory", "100MB", "-batch", "1000", model}, "a batch of 1000 on the ref engine would need about 843.8 MiB (864.0 KiB per item: float64 activations of the reference evaluator), more than the limit of 95.4 MiB (-max-memory); use a smaller batch (about 113 items fit)"},
		{[]string{"-max-memory", "1MiB", "-input", digitsDir, model}, "3 images on the ref engine would need about"},
		{[]string{"-max-memory", "1MiB", "-input", digitsNPY, model}, "inputs with a batch of 3 on the ref engine would need about"},
		{[]string{"-max-memory", "1MiB", "-engine", "go", "-batch", "1000", model}, "a batch of 1000 on the go engine would need about"},
	}
	for _, tc := range tests {
		code, _, errOut := cnnc(t, append([]string{"run", "-q"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("run %v: exit %d, want 1 with %q:\n%s", tc.args, code, tc.want, errOut)
		}
	}
	// Under the limit, or with the check off, the run goes ahead.
	for _, lim := range []string{"1GiB", "0"} {
		if code, _, errOut := cnnc(t, "run", "-q", "-max-memory", lim, "-batch", "2", model); code != 0 {
			t.Errorf("-max-memory %s -batch 2: exit %d\n%s", lim, code, errOut)
		}
	}
}

func TestFlagParsers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{{"4GiB", 4 << 30, true}, {"500MB", 500e6, true}, {"1.5g", 3 << 29, true}, {"0", 0, true}, {"123", 123, true}, {"-1GB", 0, false}, {"lots", 0, false}} {
		var m memoryFlag
		err := m.Set(tc.in)
		if (err == nil) != tc.ok || tc.ok && m.bytes != tc.want {
			t.Errorf("-max-memory %s: %d, %v; want %d", tc.in, m.bytes, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want float32
		ok   bool
	}{{"1/255", 0, true}, {"1", 1, true}, {"0.5", 0.5, true}, {"2/4", 0.5, true}, {"0", 0, false}, {"x", 0, false}, {"1/", 0, false}} {
		var s scaleFlag
		err := s.Set(tc.in)
		if (err == nil) != tc.ok || tc.ok && s.value != tc.want {
			t.Errorf("-scale %s: %v, %v; want %v", tc.in, s.value, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		w, h int
		ok   bool
	}{{"224", 224, 224, true}, {"32x24", 32, 24, true}, {"0", 0, 0, false}, {"3x", 0, 0, false}, {"ax3", 0, 0, false}} {
		var c cropFlag
		err := c.Set(tc.in)
		if (err == nil) != tc.ok || c.w != tc.w || c.h != tc.h {
			t.Errorf("-crop %s: %dx%d, %v", tc.in, c.w, c.h, err)
		}
	}
	for _, tc := range []struct {
		file string
		n    int
		want []string
	}{
		{"o.npy", 1, []string{"o.npy"}},
		{"o.npy", 2, []string{"o_0.npy", "o_1.npy"}},
		{"d/o.pb", 2, []string{"d/o_0.pb", "d/o_1.pb"}},
		{"d/out", 2, []string{"d/out0.pb", "d/out1.pb"}},
	} {
		got, err := outputFiles(tc.file, tc.n)
		if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("outputFiles(%s, %d) = %v, %v; want %v", tc.file, tc.n, got, err, tc.want)
		}
	}
}

// writeNPY's files read back, through npyio, as they were written, for
// every element type cnnc writes; the header is numpy's, 64-byte aligned.
func TestNPYRoundTrip(t *testing.T) {
	for _, x := range []*ir.Tensor{
		{DType: ir.Float32, Shape: ir.Shape{2, 3}, Floats: []float64{1, -2, 3.5, float64(float32(math.Pi)), 0, float64(float32(1e-8))}},
		{DType: ir.Float64, Shape: ir.Shape{3}, Floats: []float64{math.Pi, -1, 2}},
		{DType: ir.Int64, Shape: ir.Shape{1, 2, 1}, Ints: []int64{-5, 1 << 40}},
		{DType: ir.Bool, Shape: ir.Shape{2}, Ints: []int64{1, 0}},
		{DType: ir.Float32, Shape: ir.Shape{}, Floats: []float64{7}},
	} {
		var b bytes.Buffer
		if err := writeNPY(&b, x); err != nil {
			t.Fatal(err)
		}
		if off := 10 + int(binary.LittleEndian.Uint16(b.Bytes()[8:10])); off%64 != 0 {
			t.Errorf("%v: data at offset %d", x.Shape, off)
		}
		p := filepath.Join(t.TempDir(), "x.npy")
		os.WriteFile(p, b.Bytes(), 0o644)
		y, err := readNPY(p)
		if err != nil {
			t.Fatalf("%s %v: %v", x.DType, x.Shape, err)
		}
		if y.DType != x.DType || !y.Shape.Equal(x.Shape) || fmt.Sprint(y.Floats, y.Ints) != fmt.Sprint(x.Floats, x.Ints) {
			t.Errorf("wrote %s %v %v %v, read %s %v %v %v", x.DType, x.Shape, x.Floats, x.Ints, y.DType, y.Shape, y.Floats, y.Ints)
		}
	}
}

// A colour image given to a gray model becomes its luma, and one given
// to an RGB model keeps its channels: the default transform follows the
// model's input. (The cifar model's seeded weights make any output; what
// is checked is that it runs.)
func TestRunColourImages(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	p := filepath.Join(t.TempDir(), "colour.png")
	var b bytes.Buffer
	png.Encode(&b, img)
	os.WriteFile(p, b.Bytes(), 0o644)
	for _, args := range [][]string{
		{"-input", p, repo(t, "testdata/tutorial_126_cifar.cnn")},
		{"-input", p, mnistModels(t)["onnx"][0]},
		{"-resize", "32", "-crop", "28", "-mean", "0.5", "-std", "0.25", "-input", p, mnistModels(t)["onnx"][0]},
	} {
		code, out, errOut := cnnc(t, append([]string{"run"}, args...)...)
		if code != 0 || !strings.Contains(out, "item 0 "+p+": ") || !strings.Contains(errOut, "1 image(s) -> input 0") {
			t.Errorf("run %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

// An ONNX input that only fits channels-last ([N,2,2,3], as tf2onnx
// exports keep TensorFlow's layout) gets NHWC pixels; a directory's
// symbolic links to images count as its images.
func TestRunChannelsLastONNX(t *testing.T) {
	model := writeONNX(t, []*pb.ValueInfoProto{onnxValue("input", "batch", 2, 2, 3)}, []*pb.NodeProto{flatten("input", "x")}, "x")
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(10 * i)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	dir := t.TempDir()
	var b bytes.Buffer
	png.Encode(&b, img)
	p := filepath.Join(dir, "rgb.png")
	os.WriteFile(p, b.Bytes(), 0o644)
	imgs := filepath.Join(dir, "imgs")
	os.Mkdir(imgs, 0o755)
	if err := os.Symlink(p, filepath.Join(imgs, "link.png")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	out := filepath.Join(dir, "x.npy")
	code, stdout, errOut := cnnc(t, "run", "-topk", "0", "-o", out, "-input", imgs, model)
	if code != 0 || !strings.Contains(errOut, "RGB NHWC") || !strings.Contains(stdout, "item 0 "+filepath.Join(imgs, "link.png")) {
		t.Fatalf("exit %d\n%s%s", code, stdout, errOut)
	}
	x, err := readNPY(out)
	if err != nil {
		t.Fatal(err)
	}
	// NHWC: each pixel's R, G, B side by side, alpha dropped.
	for i, v := range x.Floats {
		src := i/3*4 + i%3
		if want := float64(float32(10*src) / 255); v != want {
			t.Errorf("value %d: %v, want %v", i, v, want)
		}
	}
}
