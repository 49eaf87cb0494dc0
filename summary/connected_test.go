package summary

import (
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

// build makes a graph of Relu-like nodes over a [1,4] input from a list
// of (node, inputs) pairs: an input named "x" or "y" is a graph input, a
// name with a "#k" suffix is output k of that node, and "$c" is a
// constant. Each node has as many outputs as its highest referenced
// index needs.
func build(t *testing.T, inputs []string, nodes [][]string, outputs ...string) *ir.Graph {
	t.Helper()
	typ := ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 4}}
	g := ir.NewGraph("g")
	vals := map[string]*ir.Value{}
	for _, in := range inputs {
		vals[in] = g.AddInput(in, typ)
	}
	nOut := map[string]int{}
	for _, n := range nodes {
		for _, in := range n[1:] {
			name, k, _ := strings.Cut(in, "#")
			if k != "" {
				nOut[name] = max(nOut[name], int(k[0]-'0')+1)
			}
		}
	}
	ref := func(s string) *ir.Value {
		if s == "$c" {
			return ir.NewConst("c", ir.Zeros(ir.Float32, ir.Shape{4}))
		}
		if name, k, ok := strings.Cut(s, "#"); ok {
			return vals[name].Producer.Outputs[int(k[0]-'0')]
		}
		v, ok := vals[s]
		if !ok {
			t.Fatalf("no value %q", s)
		}
		return v
	}
	for _, n := range nodes {
		var ins []*ir.Value
		for _, in := range n[1:] {
			ins = append(ins, ref(in))
		}
		var op ir.Op = &ir.Relu{}
		if len(ins) > 1 {
			op = &ir.Add{}
		}
		node := g.AddNode(n[0], op, ins, max(nOut[n[0]], 1))
		for _, o := range node.Outputs {
			o.Type = typ
		}
		vals[n[0]] = node.Outputs[0]
	}
	for _, o := range outputs {
		g.Outputs = append(g.Outputs, ref(o))
	}
	return g
}

func TestConnectedTo(t *testing.T) {
	tests := []struct {
		name       string
		inputs     []string
		nodes      [][]string
		outputs    []string
		functional bool
		connected  []string // each row's ConnectedTo, joined by ","
	}{
		{"chain", []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}, {"c", "b", "$c"}}, []string{"c"},
			false, []string{"x", "a", "b"}},
		{"residual", []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}, {"add", "b", "a"}}, []string{"add"},
			true, []string{"x", "a", "b,a"}},
		{"branch reads an earlier layer", []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}, {"c", "a"}}, []string{"c"},
			true, []string{"x", "a", "a"}},
		{"two inputs", []string{"x", "y"}, [][]string{{"a", "x", "y"}}, []string{"a"},
			true, []string{"x,y"}},
		{"same value twice", []string{"x"}, [][]string{{"a", "x"}, {"sq", "a", "a"}}, []string{"sq"},
			false, []string{"x", "a"}},
		{"second output", []string{"x"}, [][]string{{"split", "x"}, {"b", "split#1"}}, []string{"b"},
			true, []string{"x", "split[1]"}},
		{"output is not the last layer", []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}}, []string{"a"},
			true, []string{"x", "a"}},
		{"two outputs", []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}}, []string{"a", "b"},
			true, []string{"x", "a"}},
		{"no layers", []string{"x"}, nil, []string{"x"}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.inputs, tc.nodes, tc.outputs...)
			s := Of(g)
			if s.Functional != tc.functional {
				t.Errorf("Functional = %v, want %v", s.Functional, tc.functional)
			}
			var got []string
			for _, r := range s.Rows {
				got = append(got, strings.Join(r.ConnectedTo, ","))
			}
			if strings.Join(got, " ") != strings.Join(tc.connected, " ") {
				t.Errorf("connected to %q, want %q", got, tc.connected)
			}
		})
	}
}

// A layer of several nodes reads only what comes from outside it, and a
// value from inside such a layer is named in full.
func TestConnectedToMultiNodeLayer(t *testing.T) {
	g := build(t, []string{"x"}, [][]string{{"conv", "x"}, {"relu", "conv"}, {"other", "conv"}}, "other")
	g.Nodes[1].Layer, g.Nodes[1].LayerType = "conv", "Relu"
	g.Nodes[0].Layer, g.Nodes[0].LayerType = "conv", "Relu"
	s := Of(g)
	if len(s.Rows) != 2 || !s.Functional {
		t.Fatalf("rows %+v, functional %v", s.Rows, s.Functional)
	}
	if got := s.Rows[0].ConnectedTo; len(got) != 1 || got[0] != "x" {
		t.Errorf("the layer is connected to %q, want x only", got)
	}
	if got := s.Rows[1].ConnectedTo; len(got) != 1 || got[0] != "conv(conv)" {
		t.Errorf("other is connected to %q, want conv(conv)", got)
	}
}

func TestWriteConnectedColumn(t *testing.T) {
	tests := []struct {
		name      string
		g         *ir.Graph
		opts      Options
		want, not []string
		lines     int
	}{
		{"sequential keeps Keras' Sequential table",
			build(t, []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}}, "b"), Options{},
			nil, []string{"Connected to"}, 14},
		{"functional", build(t, []string{"x"}, [][]string{{"a", "x"}, {"b", "a"}, {"add", "b", "a"}}, "add"), Options{MACsColumn: true},
			[]string{
				"Layer (type)                 Output Shape              Param #   MACs            Connected to                    \n",
				"add (Add)                    (1, 4)                    0         0               b                               \n" +
					"                                                                                 a                               \n",
				"a (Relu)                     (1, 4)                    0         0               x                               \n",
			}, nil, 17},
		{"hostile names are quoted", build(t, []string{"x\ny"}, [][]string{{"a", "x\ny"}, {"b", "a", "x\ny"}}, "b"), Options{},
			[]string{`"x\ny"`}, nil, 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := Of(tc.g).Write(&b, tc.opts); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, "\n"); n != tc.lines {
				t.Errorf("%d lines, want %d:\n%s", n, tc.lines, out)
			}
		})
	}
}
