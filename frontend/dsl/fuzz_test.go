package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds adds the tutorial models, the malformed models and a few
// hand-picked fragments to a fuzz corpus.
func fuzzSeeds(f *testing.F) {
	for _, pattern := range []string{"../../testdata/*.cnn", "testdata/errors/*.cnn"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "(", "f(", "'", "'''", "\\", "#", "\r\n", "\uFEFF",
		"Input(shape=(8, 8, 3), name='x')\nSequential(name='m')\nConv2D(4, 3, padding='same', activation='swish')\nGlobalAveragePooling2D()\nDense(2)",
		"model = Sequential([InputLayer(input_shape=(6, 6, 2)), ZeroPadding2D(((1, 0), (2, 3))), BatchNormalization(), ReLU(6, 0.1)])",
		"from keras.layers import (Conv2D,\n Dense)\nimport numpy as np\nf(a[1:2:3], {'k': [1, -2.5e-3, .5, 0x1F]}, r'\\d', \"\\u00e9\")",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse checks that Parse never panics or hangs (the fuzzer reports a
// hang; TestWorstCaseInputs bounds the time of known expensive shapes of
// input), and that a file it
// accepts prints back (ExprString) to text that parses to the same print.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.cnn", src)
		if file == nil {
			t.Fatal("nil File")
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.cnn") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		var printed []string
		for _, s := range file.Stmts {
			printed = append(printed, stmtString(s))
		}
		again, err := Parse("again.cnn", []byte(strings.Join(printed, "\n")))
		if err != nil {
			t.Fatalf("printed form does not parse: %v\n%s", err, strings.Join(printed, "\n"))
		}
		for i, s := range again.Stmts {
			if i >= len(printed) || stmtString(s) != printed[i] {
				t.Fatalf("statement %d prints differently after a round trip", i)
			}
		}
		if len(again.Stmts) != len(printed) {
			t.Fatalf("%d statements after a round trip, want %d", len(again.Stmts), len(printed))
		}
	})
}

// FuzzBuild checks that Parse followed by Build never panics or hangs and
// that what Build accepts is a valid graph. The parameter limit is lowered
// so that a fuzzed Dense(10000000) costs an error, not gigabytes.
func FuzzBuild(f *testing.F) {
	fuzzSeeds(f)
	saved := maxParams
	maxParams = 1 << 16
	f.Cleanup(func() { maxParams = saved })
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.cnn", src)
		if err != nil {
			return
		}
		g, err := Build(file, Options{Seed: 1})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.cnn") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		if err := g.Verify(); err != nil {
			t.Fatalf("built an invalid graph: %v", err)
		}
		if len(g.Inputs) != 1 || len(g.Outputs) != 1 {
			t.Fatalf("%d inputs, %d outputs", len(g.Inputs), len(g.Outputs))
		}
	})
}

// TestWorstCaseInputs times Parse and Build on the largest inputs of
// shapes that make the lexer, the parser's error recovery or the builder
// work hardest, so that a quadratic path shows up as a failure.
func TestWorstCaseInputs(t *testing.T) {
	fill := func(unit string) []byte {
		return []byte(strings.Repeat(unit, MaxSourceSize/len(unit)))
	}
	inputs := map[string][]byte{
		"open parens":        fill("("),
		"open calls":         fill("f(\n"),
		"unclosed strings":   fill("'\n"),
		"commas":             fill(","),
		"ones":               fill("1,"),
		"names":              fill("a "),
		"newlines":           fill("\n"),
		"comments":           fill("#\n"),
		"minus":              fill("-"),
		"long name":          fill("a"),
		"layers":             append([]byte("Input((1,))\n"), fill("Activation('relu')\n")[12:]...),
		"errors in brackets": fill("f(,\n"),
		"triple quote":       append([]byte("'''"), fill("a")[3:]...),
	}
	for name, src := range inputs {
		start := time.Now()
		f, err := Parse(name, src)
		if err == nil {
			_, err = Build(f, Options{})
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: %v", name, d)
		}
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzLayers builds random but well-formed models: the bytes choose
// layers and their hyper-parameters, so that the fuzzer explores the
// builder's shape paths (windows, strides, dilation, padding, rank
// changes) that random text rarely reaches. Build must not panic; a model
// it accepts must verify; a model it rejects must say where.
func FuzzLayers(f *testing.F) {
	f.Add([]byte{0, 31, 2, 1, 1, 0, 4, 0, 0, 3, 9, 1}, uint8(27), uint8(27), uint8(0))
	f.Add([]byte{11, 1, 2, 0, 7, 2, 7, 1, 0, 9, 0, 0, 10, 6, 1, 3, 4, 5}, uint8(5), uint8(9), uint8(2))
	f.Add([]byte{3, 10, 0, 5, 2, 0, 12, 30, 0, 13, 0, 0, 6, 3, 0}, uint8(0), uint8(0), uint8(200))
	acts := []string{"None", "'relu'", "'softmax'", "'swish'", "'linear'", "'tanh'", "'selu'", "'relu6'"}
	pads := []string{"'valid'", "'same'"}
	f.Fuzz(func(t *testing.T, ops []byte, h, w, c uint8) {
		var b strings.Builder
		if c >= 128 {
			fmt.Fprintf(&b, "Input(shape=(%d,))\n", int(h)+1)
		} else {
			fmt.Fprintf(&b, "Input(shape=(%d, %d, %d))\n", h%32+1, w%32+1, c%4+1)
		}
		for i := 0; i+2 < len(ops) && i < 3*64; i += 3 {
			op, x, y := ops[i], int(ops[i+1]), int(ops[i+2])
			switch op % 14 {
			case 0:
				s, d := y%3+1, 1
				if s == 1 {
					d = x%2 + 1
				}
				fmt.Fprintf(&b, "Conv2D(%d, (%d, %d), strides=%d, padding=%s, dilation_rate=%d, activation=%s, use_bias=%s)\n",
					x%8+1, y%5+1, x%4+1, s, pads[x&1], d, acts[y%len(acts)], []string{"True", "False"}[y&1])
			case 1, 2:
				strides := "None"
				if y%4 != 0 {
					strides = fmt.Sprint(y % 4)
				}
				fmt.Fprintf(&b, "%s(pool_size=%d, strides=%s, padding=%s)\n", []string{"MaxPooling2D", "AveragePooling2D"}[op%14-1], x%4+1, strides, pads[y&1])
			case 3:
				fmt.Fprintf(&b, "Dense(%d, activation=%s)\n", x%16+1, acts[y%len(acts)])
			case 4:
				b.WriteString("Flatten()\n")
			case 5:
				fmt.Fprintf(&b, "Activation(%s)\n", acts[x%len(acts)])
			case 6:
				fmt.Fprintf(&b, "Dropout(%g)\n", float64(x%100)/100)
			case 7, 8:
				fmt.Fprintf(&b, "%s(keepdims=%s)\n", []string{"GlobalAveragePooling2D", "GlobalMaxPooling2D"}[op%14-7], []string{"False", "True"}[x&1])
			case 9:
				fmt.Fprintf(&b, "BatchNormalization(epsilon=%g)\n", float64(x+1)/1000)
			case 10:
				maxv := "None"
				if x%7 != 0 {
					maxv = fmt.Sprint(x % 7)
				}
				fmt.Fprintf(&b, "ReLU(max_value=%s, negative_slope=%g)\n", maxv, float64(y%3)/10)
			case 11:
				fmt.Fprintf(&b, "ZeroPadding2D(((%d, %d), (%d, %d)))\n", x%3, y%3, x%2, y%2)
			case 12:
				fmt.Fprintf(&b, "LeakyReLU(%g)\n", float64(x)/100)
			case 13:
				fmt.Fprintf(&b, "Softmax(axis=%d)\n", x%4-1-x%2)
			}
		}
		src := b.String()
		file, err := Parse("gen.cnn", []byte(src))
		if err != nil {
			t.Fatalf("generated model does not parse: %v\n%s", err, src)
		}
		g, err := Build(file, Options{Seed: int64(h)})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gen.cnn:") {
				t.Fatalf("error without position: %v\n%s", err, src)
			}
			return
		}
		if err := g.Verify(); err != nil {
			t.Fatalf("built an invalid graph: %v\n%s", err, src)
		}
		for _, n := range g.Nodes {
			if n.Layer == "" || n.LayerType == "" {
				t.Fatalf("node %s has no layer", n.Name)
			}
		}
	})
}
