package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// row is one line of a Keras model.summary() table.
type row struct {
	Class  string
	Shape  string
	Params int64
}

func (r row) String() string { return fmt.Sprintf("%s %s %d", r.Class, r.Shape, r.Params) }

// layerRows summarizes a graph per layer the way model.summary() does:
// consecutive nodes of one layer form a row whose shape is the last node's
// output and whose parameter count is the size of the constants it reads.
func layerRows(g *ir.Graph) []row {
	var rows []row
	last := ""
	for _, n := range g.Nodes {
		if n.Layer != last || len(rows) == 0 {
			rows = append(rows, row{Class: n.LayerType})
			last = n.Layer
		}
		r := &rows[len(rows)-1]
		r.Shape = n.Outputs[0].Shape.Keras()
		for _, in := range n.Inputs {
			if in.IsConst() {
				r.Params += int64(in.Const.Len())
			}
		}
	}
	return rows
}

func totalParams(rows []row) int64 {
	var t int64
	for _, r := range rows {
		t += r.Params
	}
	return t
}

// tutorialModels are the three models of the tutorial with the rows of
// their summary tables, copied from the tutorial (class names in full where
// Keras truncated them to the column width).
var tutorialModels = []struct {
	file  string
	rows  []row
	total int64
}{
	{"tutorial_124.cnn", []row{
		{"Conv2D", "(None, 28, 28, 32)", 160},
		{"MaxPooling2D", "(None, 27, 27, 32)", 0},
		{"Conv2D", "(None, 27, 27, 32)", 4128},
		{"MaxPooling2D", "(None, 26, 26, 32)", 0},
		{"Flatten", "(None, 21632)", 0},
		{"Dense", "(None, 256)", 5538048},
		{"Activation", "(None, 256)", 0},
		{"Dense", "(None, 128)", 32896},
		{"Activation", "(None, 128)", 0},
		{"Dense", "(None, 10)", 1290},
		{"Activation", "(None, 10)", 0},
	}, 5576522},
	{"tutorial_125_mnist.cnn", []row{
		{"Conv2D", "(None, 26, 26, 32)", 320},
		{"Activation", "(None, 26, 26, 32)", 0},
		{"Conv2D", "(None, 24, 24, 64)", 18496},
		{"Activation", "(None, 24, 24, 64)", 0},
		{"MaxPooling2D", "(None, 12, 12, 64)", 0},
		{"Dropout", "(None, 12, 12, 64)", 0},
		{"Flatten", "(None, 9216)", 0},
		{"Dense", "(None, 128)", 1179776},
		{"Activation", "(None, 128)", 0},
		{"Dropout", "(None, 128)", 0},
		{"Dense", "(None, 10)", 1290},
		{"Activation", "(None, 10)", 0},
	}, 1199882},
	{"tutorial_126_cifar.cnn", []row{
		{"Conv2D", "(None, 32, 32, 32)", 896},
		{"Activation", "(None, 32, 32, 32)", 0},
		{"Conv2D", "(None, 30, 30, 32)", 9248},
		{"Activation", "(None, 30, 30, 32)", 0},
		{"MaxPooling2D", "(None, 15, 15, 32)", 0},
		{"Dropout", "(None, 15, 15, 32)", 0},
		{"Conv2D", "(None, 15, 15, 64)", 18496},
		{"Activation", "(None, 15, 15, 64)", 0},
		{"Conv2D", "(None, 13, 13, 64)", 36928},
		{"Activation", "(None, 13, 13, 64)", 0},
		{"MaxPooling2D", "(None, 6, 6, 64)", 0},
		{"Dropout", "(None, 6, 6, 64)", 0},
		{"Flatten", "(None, 2304)", 0},
		{"Dense", "(None, 512)", 1180160},
		{"Activation", "(None, 512)", 0},
		{"Dropout", "(None, 512)", 0},
		{"Dense", "(None, 10)", 5130},
		{"Activation", "(None, 10)", 0},
	}, 1250858},
}

// TestTutorialModels builds the tutorial's models from testdata and checks
// every layer's output shape and parameter count against the tutorial's
// summary tables.
func TestTutorialModels(t *testing.T) {
	for _, tm := range tutorialModels {
		t.Run(tm.file, func(t *testing.T) {
			g, err := Load(filepath.Join("..", "..", "testdata", tm.file), Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Verify(); err != nil {
				t.Fatal(err)
			}
			compareRows(t, layerRows(g), tm.rows)
			if got := totalParams(layerRows(g)); got != tm.total {
				t.Errorf("total params %d, want %d", got, tm.total)
			}
		})
	}
}

func compareRows(t *testing.T, got, want []row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d layers, want %d\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		// Keras truncates class names to its column ("MaxPooling2").
		if !strings.HasPrefix(got[i].Class, want[i].Class) || got[i].Shape != want[i].Shape || got[i].Params != want[i].Params {
			t.Errorf("layer %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// tutorialPath is the tutorial beside the repository, where the workplace
// and CI put shared/.
var tutorialPath = filepath.Join("..", "..", "..", "shared", "seed", "cnn-tutorial.md")

// readTutorial returns the tutorial's lines, skipping the test when the
// tutorial is not there (outside the workplace), failing it under CI where
// it must be.
func readTutorial(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(tutorialPath)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the tutorial must be present under CI: %v", err)
		}
		t.Skipf("tutorial not found (%v); it lives in ../shared beside the repository", err)
	}
	return strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
}

// section returns the lines of the markdown section whose heading starts
// with heading, up to the next heading of level 2 or 3.
func section(t *testing.T, md []string, heading string) []string {
	t.Helper()
	for i, l := range md {
		if !strings.HasPrefix(l, heading) {
			continue
		}
		j := i + 1
		for j < len(md) && !strings.HasPrefix(md[j], "## ") && !strings.HasPrefix(md[j], "### ") {
			j++
		}
		return md[i:j]
	}
	t.Fatalf("tutorial has no section %q", heading)
	return nil
}

// pythonBlocks returns the contents of the ```python fences in lines.
func pythonBlocks(lines []string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "```python"):
			in, cur = true, nil
		case in && strings.HasPrefix(l, "```"):
			blocks = append(blocks, cur)
			in = false
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

func blockWith(t *testing.T, blocks [][]string, marker string) []string {
	t.Helper()
	for _, b := range blocks {
		for _, l := range b {
			if l == marker {
				return b
			}
		}
	}
	t.Fatalf("no code block holds %q", marker)
	return nil
}

func indexOf(t *testing.T, lines []string, s string) int {
	t.Helper()
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	t.Fatalf("no line %q", s)
	return -1
}

func joinTrimmed(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n") + "\n"
}

var (
	summaryRow   = regexp.MustCompile(`^\s+([a-z0-9_]+) \(([A-Za-z0-9]+)\)?\s+(\(None(?:, \d+)*\))\s+([\d,]+)\s*$`)
	summaryTotal = regexp.MustCompile(`^\s+Total params: ([\d,]+)\s*$`)
)

// summaryTable parses the model.summary() output printed in a section.
func summaryTable(t *testing.T, lines []string) ([]row, int64) {
	t.Helper()
	var rows []row
	total := int64(-1)
	for _, l := range lines {
		if m := summaryRow.FindStringSubmatch(l); m != nil {
			p, err := strconv.ParseInt(strings.ReplaceAll(m[4], ",", ""), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row{Class: m[2], Shape: m[3], Params: p})
		}
		if m := summaryTotal.FindStringSubmatch(l); m != nil {
			total, _ = strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		}
	}
	if len(rows) == 0 || total < 0 {
		t.Fatal("no summary table found")
	}
	return rows, total
}

// TestTutorialFromMarkdown takes the model code straight out of the
// tutorial, as a user would copy it, and checks that it parses and builds,
// that it is what testdata holds, and that every layer's class, output
// shape and parameter count equal the summary table the tutorial prints.
func TestTutorialFromMarkdown(t *testing.T) {
	md := readTutorial(t)
	cases := []struct {
		name, heading, file string
		code                func(sec []string) string
		total               int64
		extraSoftmax        bool
	}{
		{"1.2.4", "### 1.2.4", "tutorial_124.cnn", func(sec []string) string {
			// The whole example cell: imports, the model, model.summary().
			return joinTrimmed(blockWith(t, pythonBlocks(sec), "# モデルの定義"))
		}, 5576522, false},
		{"1.2.5", "### 1.2.5", "tutorial_125_mnist.cnn", func(sec []string) string {
			// The problem statement's model, written as plain text
			// between the figure and the example.
			start := indexOf(t, sec, "model = Sequential()")
			end := start
			for end < len(sec) && !strings.HasPrefix(sec[end], "#### ") {
				end++
			}
			return joinTrimmed(sec[start:end])
		}, 1199882, true},
		{"1.2.6", "### 1.2.6", "tutorial_126_cifar.cnn", func(sec []string) string {
			// The model part of the example cell; its input shape comes
			// from the data set, which the DSL cannot load, so it is
			// written out.
			b := blockWith(t, pythonBlocks(sec), "# モデルの定義")
			code := joinTrimmed(b[indexOf(t, b, "# モデルの定義"):indexOf(t, b, "# コンパイル")])
			if strings.Count(code, "X_train.shape[1:]") != 1 {
				t.Fatalf("1.2.6 no longer uses X_train.shape[1:] once")
			}
			return strings.Replace(code, "X_train.shape[1:]", "(32, 32, 3)", 1)
		}, 1250858, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sec := section(t, md, c.heading)
			code := c.code(sec)
			file, err := os.ReadFile(filepath.Join("..", "..", "testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if string(file) != code {
				t.Errorf("testdata/%s differs from the tutorial's code:\n%s", c.file, code)
			}
			f, err := Parse("tutorial-"+c.name+".cnn", []byte(code))
			if err != nil {
				t.Fatal(err)
			}
			g, err := Build(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := layerRows(g)
			want, total := summaryTable(t, sec)
			if c.extraSoftmax {
				// The 1.2.5 table ends with activation_13 and
				// activation_14, two softmax Activations, though the
				// code adds one: the notebook cell was evidently run
				// after adding it twice. The code is what a user
				// copies, so the model keeps one and the test drops
				// the extra, zero-parameter row after checking that
				// it is exactly that.
				n := len(want)
				if n != len(got)+1 || want[n-1] != want[n-2] || want[n-1].Class != "Activation" || want[n-1].Params != 0 {
					t.Fatalf("the 1.2.5 table no longer has the duplicated last Activation: %v", want)
				}
				want = want[:n-1]
			}
			compareRows(t, got, want)
			if sum := totalParams(got); sum != total || total != c.total {
				t.Errorf("total params %d, table says %d, want %d", sum, total, c.total)
			}
		})
	}
}
