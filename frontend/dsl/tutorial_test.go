package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/internal/tutorial"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/summary"
)

// row is one line of a Keras model.summary() table.
type row struct {
	Class  string
	Shape  string
	Params int64
}

func (r row) String() string { return fmt.Sprintf("%s %s %d", r.Class, r.Shape, r.Params) }

// layerRows is cnnc's summary of a graph: one row per layer.
func layerRows(g *ir.Graph) []row {
	var rows []row
	for _, r := range summary.Of(g).Rows {
		rows = append(rows, row{Class: r.Type, Shape: r.Shape.Keras(), Params: r.Params})
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

// TestTutorialFromMarkdown takes the model code straight out of the
// tutorial, as a user would copy it, and checks that it parses and builds,
// that it is what testdata holds, and that every layer's class, output
// shape and parameter count equal the summary table the tutorial prints.
func TestTutorialFromMarkdown(t *testing.T) {
	for _, m := range tutorial.Models(t) {
		t.Run(m.Section, func(t *testing.T) {
			file, err := os.ReadFile(filepath.Join("..", "..", "testdata", m.File))
			if err != nil {
				t.Fatal(err)
			}
			if string(file) != m.Code {
				t.Errorf("testdata/%s differs from the tutorial's code:\n%s", m.File, m.Code)
			}
			f, err := Parse("tutorial-"+m.Section+".cnn", []byte(m.Code))
			if err != nil {
				t.Fatal(err)
			}
			g, err := Build(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := layerRows(g)
			var want []row
			for _, r := range m.Table.Rows {
				want = append(want, row{Class: r.Class, Shape: r.Shape, Params: r.Params})
			}
			if m.ExtraRow {
				n := len(want)
				if n != len(got)+1 || want[n-1] != want[n-2] || want[n-1].Class != "Activation" || want[n-1].Params != 0 {
					t.Fatalf("the %s table no longer has the duplicated last Activation: %v", m.Section, want)
				}
				want = want[:n-1]
			}
			compareRows(t, got, want)
			if sum := totalParams(got); sum != m.Table.Totals["Total params"] {
				t.Errorf("total params %d, table says %d", sum, m.Table.Totals["Total params"])
			}
		})
	}
}
