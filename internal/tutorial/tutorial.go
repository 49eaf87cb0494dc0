// Package tutorial reads the CNN tutorial cnnc grew from
// (../shared/seed/cnn-tutorial.md): the model code of its sections 1.2.4,
// 1.2.5 and 1.2.6, as a user would copy it, and the model.summary() tables
// it prints. Tests of the DSL and of cnnc summary check cnnc against them.
package tutorial

import (
	"fmt"
	"github.com/cnnc/cnnc/internal/shared"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Row is one layer line of a Keras model.summary() table.
type Row struct {
	Name   string
	Class  string // as printed; Keras truncates long ones ("MaxPooling2")
	Shape  string // "(None, 26, 26, 32)"
	Params int64
}

func (r Row) String() string { return fmt.Sprintf("%s (%s) %s %d", r.Name, r.Class, r.Shape, r.Params) }

// Matches reports whether r, from a cnnc summary, agrees with the
// tutorial's row t: same shape and parameter count, and a class name of
// which t's is a prefix (the tutorial's Keras cut names at the column).
// Layer names are not compared: the tutorial's carry the counters of a
// notebook session (conv2d_7).
func (r Row) Matches(t Row) bool {
	return strings.HasPrefix(r.Class, t.Class) && r.Shape == t.Shape && r.Params == t.Params
}

// Table is a parsed model.summary() output.
type Table struct {
	Rows []Row
	// Totals maps "Total params", "Trainable params" and
	// "Non-trainable params" to their values.
	Totals map[string]int64
	// TotalLines are those three lines verbatim (trimmed).
	TotalLines []string
}

var (
	rowRE   = regexp.MustCompile(`^\s*([A-Za-z0-9_./:-]+) \(([A-Za-z0-9]+)\)?\s+(\(None(?:, \d+)*\)|\(\d+(?:, \d+)*\))\s+([\d,]+)(?:\s+[\d,]+)?\s*$`)
	totalRE = regexp.MustCompile(`^\s*((?:Total|Trainable|Non-trainable) params): ([\d,]+)\s*$`)
)

// ParseSummary parses the rows and totals of a Keras-format summary table
// (the tutorial's, or cnnc summary's output).
func ParseSummary(text string) (*Table, error) {
	t := &Table{Totals: map[string]int64{}}
	for _, l := range strings.Split(text, "\n") {
		if m := rowRE.FindStringSubmatch(l); m != nil {
			p, err := strconv.ParseInt(strings.ReplaceAll(m[4], ",", ""), 10, 64)
			if err != nil {
				return nil, err
			}
			t.Rows = append(t.Rows, Row{Name: m[1], Class: m[2], Shape: m[3], Params: p})
		}
		if m := totalRE.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
			t.Totals[m[1]] = v
			t.TotalLines = append(t.TotalLines, strings.TrimSpace(l))
		}
	}
	if len(t.Rows) == 0 || len(t.Totals) != 3 {
		return nil, fmt.Errorf("no summary table found (%d rows, %d total lines)", len(t.Rows), len(t.Totals))
	}
	return t, nil
}

// Model is one of the tutorial's three models.
type Model struct {
	Section string // "1.2.4"
	File    string // its copy under testdata/
	Code    string // the model code as it stands in the tutorial
	Table   *Table // the summary table the tutorial prints
	// ExtraRow reports that the tutorial's table has one more row than
	// the code has layers: 1.2.5's ends with two identical softmax
	// Activations though its code adds one (the notebook cell was
	// evidently run after adding it twice). The code is what a user
	// copies, so cnnc's model keeps one; callers drop the extra,
	// zero-parameter row after checking that it is exactly that.
	ExtraRow bool
}

// Totals of the tutorial's three tables.
const (
	Total124 = 5576522
	Total125 = 1199882
	Total126 = 1250858
)

// Models extracts the three models from the tutorial. A missing tutorial
// fails the test under CI and skips it elsewhere.
func Models(t testing.TB) []Model {
	t.Helper()
	path := filepath.Join(shared.Dir(t), "seed", "cnn-tutorial.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	md := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var models []Model
	add := func(sec, file string, code func([]string) (string, error), extra bool) {
		lines, err := section(md, "### "+sec)
		if err == nil {
			var m Model
			m.Code, err = code(lines)
			if err == nil {
				m.Table, err = ParseSummary(strings.Join(lines, "\n"))
			}
			m.Section, m.File, m.ExtraRow = sec, file, extra
			models = append(models, m)
		}
		if err != nil {
			t.Fatalf("tutorial section %s: %v", sec, err)
		}
	}
	add("1.2.4", "tutorial_124.cnn", func(sec []string) (string, error) {
		// The whole example cell: imports, the model, model.summary().
		b, err := blockWith(PythonBlocks(sec), "# モデルの定義")
		return joinTrimmed(b), err
	}, false)
	add("1.2.5", "tutorial_125_mnist.cnn", func(sec []string) (string, error) {
		// The problem statement's model, written as plain text between
		// the figure and the example.
		start, err := indexOf(sec, "model = Sequential()")
		if err != nil {
			return "", err
		}
		end := start
		for end < len(sec) && !strings.HasPrefix(sec[end], "#### ") {
			end++
		}
		return joinTrimmed(sec[start:end]), nil
	}, true)
	add("1.2.6", "tutorial_126_cifar.cnn", func(sec []string) (string, error) {
		// The model part of the example cell. Its input shape comes from
		// the data set, which the DSL cannot load, so it is written out:
		// CIFAR-10 images are 32x32x3.
		b, err := blockWith(PythonBlocks(sec), "# モデルの定義")
		if err != nil {
			return "", err
		}
		from, err1 := indexOf(b, "# モデルの定義")
		to, err2 := indexOf(b, "# コンパイル")
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("model block markers moved")
		}
		code := joinTrimmed(b[from:to])
		if strings.Count(code, "X_train.shape[1:]") != 1 {
			return "", fmt.Errorf("1.2.6 no longer uses X_train.shape[1:] once")
		}
		return strings.Replace(code, "X_train.shape[1:]", "(32, 32, 3)", 1), nil
	}, false)
	return models
}

// section returns the lines of the markdown section whose heading starts
// with heading, up to the next heading of level 2 or 3.
func section(md []string, heading string) ([]string, error) {
	for i, l := range md {
		if !strings.HasPrefix(l, heading) {
			continue
		}
		j := i + 1
		for j < len(md) && !strings.HasPrefix(md[j], "## ") && !strings.HasPrefix(md[j], "### ") {
			j++
		}
		return md[i:j], nil
	}
	return nil, fmt.Errorf("no section %q", heading)
}

// PythonBlocks returns the contents of the ```python fences in lines.
func PythonBlocks(lines []string) [][]string {
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

func blockWith(blocks [][]string, marker string) ([]string, error) {
	for _, b := range blocks {
		for _, l := range b {
			if l == marker {
				return b, nil
			}
		}
	}
	return nil, fmt.Errorf("no code block holds %q", marker)
}

func indexOf(lines []string, s string) (int, error) {
	for i, l := range lines {
		if l == s {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no line %q", s)
}

func joinTrimmed(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n") + "\n"
}
