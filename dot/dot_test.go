package dot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/ir"
)

// needDot returns Graphviz's dot, which the tests that check the output
// against Graphviz itself need. CI installs it (.ci/run), so there a
// missing dot fails; elsewhere those tests skip with a message.
func needDot(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Graphviz's dot is missing under CI (.ci/run installs it): %v", err)
		}
		t.Skipf("skipping: Graphviz's dot is not installed (apt-get install graphviz, brew install graphviz): %v", err)
	}
	return path
}

// runDot feeds src to dot with the given arguments and returns its
// output. Anything on stderr is a failure too: Graphviz reports some
// problems (bad UTF-8, unknown attributes) only as warnings.
func runDot(bin string, src []byte, args ...string) ([]byte, error) {
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(src), &out, &stderr
	err := cmd.Run()
	if err == nil && stderr.Len() > 0 {
		err = errors.New("dot wrote to stderr")
	}
	if err != nil {
		return nil, &dotError{err: err, stderr: stderr.String()}
	}
	return out.Bytes(), nil
}

type dotError struct {
	err    error
	stderr string
}

func (e *dotError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }
func (e *dotError) Unwrap() error { return e.err }

// svgText renders src as SVG and returns the text Graphviz drew (one
// string per label line) and the tooltips, as a viewer shows them.
func svgText(t *testing.T, src string) (texts, titles []string) {
	t.Helper()
	svg, err := runDot(needDot(t), []byte(src), "-Tsvg")
	if err != nil {
		t.Fatalf("dot rejects the output: %v\n%s", err, src)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = false // the SVG starts with a DOCTYPE naming an external DTD
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parsing dot's SVG: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == "text" {
				inText = true
				texts = append(texts, "")
			}
			for _, a := range tok.Attr {
				if a.Name.Local == "title" {
					titles = append(titles, a.Value)
				}
			}
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts[len(texts)-1] += string(tok)
			}
		}
	}
	return texts, titles
}

func f32(shape ...int) ir.Type { return ir.Type{DType: ir.Float32, Shape: ir.Shape(shape)} }

func TestVisibleAndQuote(t *testing.T) {
	tests := []struct {
		name, in, visible, quoted string
	}{
		{"plain", "conv2d_1", "conv2d_1", `"conv2d_1"`},
		{"onnx path", "/layer1/layer1.0/conv1/Conv", "/layer1/layer1.0/conv1/Conv", `"/layer1/layer1.0/conv1/Conv"`},
		{"quote", `a"b`, `a"b`, `"a\"b"`},
		{"backslash", `a\b`, `a\b`, `"a\\b"`},
		{"trailing backslash", `a\`, `a\`, `"a\\"`},
		{"escaped quote", `a\"b`, `a\"b`, `"a\\\"b"`},
		{"label escapes stay literal", `\N \G \l \n`, `\N \G \l \n`, `"\\N \\G \\l \\n"`},
		{"newline", "a\nb", `a\nb`, `"a\\nb"`},
		{"tab and CR", "a\tb\rc", `a\tb\rc`, `"a\\tb\\rc"`},
		{"NUL", "a\x00b", `a\x00b`, `"a\\x00b"`},
		{"bad UTF-8", "a\xffb", `a\xffb`, `"a\\xffb"`},
		{"line separator", "a\u2028b", `a\u2028b`, `"a\\u2028b"`},
		{"bidi override", "a\u202eb", `a\u202eb`, `"a\\u202eb"`},
		{"non-ASCII", "héllo ☃ 模型", "héllo ☃ 模型", `"héllo ☃ 模型"`},
		{"record and HTML characters", "<a>{b}|c", "<a>{b}|c", `"<a>{b}|c"`},
		{"entity", "A&lt;B & C", "A&lt;B & C", `"A&amp;lt;B &amp; C"`},
		{"empty", "", "", `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := visible(tc.in)
			if v != tc.visible {
				t.Errorf("visible(%q) = %q, want %q", tc.in, v, tc.visible)
			}
			if q := quote(v); q != tc.quoted {
				t.Errorf("quote(%q) = %s, want %s", v, q, tc.quoted)
			}
			if q := label(tc.in); q != tc.quoted {
				t.Errorf("label(%q) = %s, want %s", tc.in, q, tc.quoted)
			}
		})
	}
}

// hostileGraph names its input, node, constant and graph the same hostile
// string.
func hostileGraph(name string) *ir.Graph {
	g := ir.NewGraph(name)
	x := g.AddInput(name, f32(1, 4))
	c := ir.NewConst(name+"c", ir.NewFloatTensor(ir.Float32, ir.Shape{4}, []float64{1, 2, 3, 4}))
	n := g.AddNode(name, &ir.Add{}, []*ir.Value{x, c}, 1)
	n.Outputs[0].Type = f32(1, 4)
	g.Outputs = []*ir.Value{n.Outputs[0]}
	return g
}

// Hostile names must neither break the DOT syntax nor change what is
// drawn: Graphviz shows each name as the visible form of itself.
func TestWriteHostileNames(t *testing.T) {
	names := []string{
		`quote"inside`, `back\slash`, `trailing\`, `\N\G\l`, "new\nline", "crlf\r\n",
		"héllo ☃ 模型", "<html>{record}|port", "A&lt;B&amp;", "bad\xff\xfeutf8", "bidi\u202eevil", "nul\x00",
		`"`, `\`, "",
	}
	for _, name := range names {
		t.Run(visible(name), func(t *testing.T) {
			for _, consts := range []bool{false, true} {
				src, err := String(hostileGraph(name), Options{Constants: consts})
				if err != nil {
					t.Fatal(err)
				}
				again, _ := String(hostileGraph(name), Options{Constants: consts})
				if src != again {
					t.Error("two writes of the same graph differ")
				}
				texts, titles := svgText(t, src)
				want := visible(name)
				if want == "" {
					continue
				}
				if !slices.Contains(texts, want) {
					t.Errorf("Graphviz does not draw %q; it draws %q", want, texts)
				}
				if !strings.Contains(want, `\`) && !slices.Contains(titles, want) {
					t.Errorf("no tooltip is %q; tooltips %q", want, titles)
				}
				if consts && !slices.Contains(texts, want+"c") {
					t.Errorf("the constant's node does not show %q; it draws %q", want+"c", texts)
				}
			}
		})
	}
}

// Model strings reach the output only inside quoted strings: outside
// them each line holds identifiers (positions, never names), keywords and
// punctuation, and no line holds a raw control character.
func TestWriteKeepsNamesInStrings(t *testing.T) {
	for _, name := range []string{"x\" -> evil [label=\"pwned\n}", `a\"; evil -> x; "`, "\\\"\r\n"} {
		src, err := String(hostileGraph(name), Options{Constants: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
			outside, ok := unquoted(line)
			if !ok {
				t.Errorf("line %d has an unterminated string: %s", i+1, line)
			}
			if !regexp.MustCompile(`^[a-zA-Z0-9 =,;\[\]{}>-]*$`).MatchString(outside) || strings.Contains(outside, "evil") {
				t.Errorf("line %d: a name escaped its string: %s", i+1, line)
			}
			m := statement.FindStringSubmatch(outside)
			if m == nil {
				continue
			}
			for _, id := range m[1:] {
				if id != "" && !position.MatchString(id) {
					t.Errorf("line %d: identifier %q is not a position: %s", i+1, id, line)
				}
			}
		}
		if strings.ContainsAny(src, "\r\x00") {
			t.Errorf("raw control characters in the output:\n%q", src)
		}
	}
}

var (
	statement = regexp.MustCompile(`^  ([a-z]+[0-9]*)(?: -> ([a-z]+[0-9]*))?`)
	position  = regexp.MustCompile(`^(in|n|c|u|out)[0-9]+$|^(graph|node|edge)$`)
)

// unquoted returns line with its double-quoted strings removed, reading
// them as the DOT lexer does (a backslash escapes the next character).
func unquoted(line string) (string, bool) {
	var b strings.Builder
	in := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case !in && c == '"':
			in = true
		case !in:
			b.WriteByte(c)
		case c == '\\':
			i++
		case c == '"':
			in = false
		}
	}
	return b.String(), !in
}

func TestAttrs(t *testing.T) {
	long := make([]int, 12)
	for i := range long {
		long[i] = i
	}
	tests := []struct {
		name string
		op   ir.Op
		want string
	}{
		{"conv", &ir.Conv{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, Dilations: []int{1, 1}}, Group: 32, Layout: ir.NHWC}, "k3x3 s2 p1 g32"},
		{"conv defaults", &ir.Conv{Window: ir.Window{Kernel: []int{1, 1}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, Group: 1}, "k1x1"},
		{"asymmetric", &ir.Conv{Window: ir.Window{Kernel: []int{3, 1}, Strides: []int{2, 1}, Pads: []int{0, 1, 1, 0}, Dilations: []int{2, 2}}}, "k3x1 s2x1 p[0 1 1 0] d2"},
		{"auto pad before inference", &ir.Conv{Window: ir.Window{AutoPad: ir.PadSameUpper}}, "autoPad=SAME_UPPER"},
		{"pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, CeilMode: true}}, "k3x3 s2 ceilMode"},
		{"average pool", &ir.AveragePool{Window: ir.Window{Kernel: []int{2, 2}}, CountIncludePad: true}, "k2x2 countIncludePad"},
		{"axis zero is shown", &ir.Concat{Axis: 0}, "axis=0"},
		{"softmax", &ir.Softmax{Axis: -1}, "axis=-1"},
		{"gemm", &ir.Gemm{Alpha: 1, Beta: 1, TransB: true}, "transB"},
		{"scaled gemm", &ir.Gemm{Alpha: 0.5, Beta: 1}, "alpha=0.5"},
		{"fused activation left to the header", &ir.Gemm{Alpha: 1, Beta: 1, Activation: &ir.Relu{}}, ""},
		{"clip", &ir.Clip{Min: math.Inf(-1), Max: 6}, "min=-inf max=6"},
		{"leaky", &ir.LeakyRelu{Alpha: 0.01}, "alpha=0.01"},
		{"no attributes", &ir.Relu{}, ""},
		{"long slice cut", &ir.Transpose{Perm: long}, "perm=[0 1 2 3 4 5 6 7 …]"},
		{"pad op", &ir.Pad{Pads: []int{0, 0, 1, 1, 0, 0, 1, 1}}, "pads=[0 0 1 1 0 0 1 1]"},
		{"cast", &ir.Cast{To: ir.Int64}, "to=i64"},
		{"reduce", &ir.ReduceMean{Reduce: ir.Reduce{Axes: []int{2, 3}, KeepDims: true}}, "axes=[2 3] keepDims"},
		{"nil op", (*ir.Conv)(nil), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(attrs(tc.op), " "); got != tc.want {
				t.Errorf("attrs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"/layer4/layer4.1/conv2/Conv_output_0", 20, "/layer4/l…v_output_0"},
		{"模型模型模型模型模型", 5, "模型…模型"},
		{"a\nb", 10, `a\nb`},
	}
	for _, tc := range tests {
		got := truncate(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if n := len([]rune(got)); n > tc.n {
			t.Errorf("truncate(%q, %d) has %d runes", tc.in, tc.n, n)
		}
	}
}

// convAddRelu is x -> Conv -> Add(x) -> Relu: what the passes fuse into
// one convolution with a residual input and an activation.
func convAddRelu(t *testing.T) *ir.Graph {
	t.Helper()
	g := ir.NewGraph("res")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{1, 4, 6, 6}, Layout: ir.NCHW})
	w := ir.NewConst("w", ir.Zeros(ir.Float32, ir.Shape{4, 4, 3, 3}))
	b := ir.NewConst("b", ir.Zeros(ir.Float32, ir.Shape{4}))
	c := g.Apply("conv", &ir.Conv{Window: ir.Window{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}}}, x, w, b)
	a := g.Apply("add", &ir.Add{}, c, x)
	r := g.Apply("relu", &ir.Relu{}, a)
	g.Outputs = []*ir.Value{r}
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	return g
}

var nodeLine = regexp.MustCompile(`(?m)^  n[0-9]+ \[label="([^"\\]|\\.)*"`)

func TestWriteFusedConv(t *testing.T) {
	before := convAddRelu(t)
	m, err := compiler.FromGraph(before)
	if err != nil {
		t.Fatal(err)
	}
	after, err := m.Optimize(compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		g     *ir.Graph
		nodes int
		want  []string
		not   []string
	}{
		{"imported", before, 3,
			[]string{`label="Conv\nconv\nk3x3 p1\nconst [4,4,3,3] [4]\nf32[1,4,6,6] NCHW"`, `label="Add\nadd\n`, `label="Relu\nrelu\n`},
			[]string{"fused", "residual"}},
		{"optimized", after, 1,
			[]string{`Conv + Add + Relu (fused)`, `fillcolor="#ffe0b2"`, `[label="residual", style=dashed]`},
			[]string{`label="Add`, `label="Relu`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := String(tc.g, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// The passes may add layout transposes at the edges; count
			// the nodes that are not transposes.
			n := 0
			for _, m := range nodeLine.FindAllString(src, -1) {
				if !strings.Contains(m, `label="Transpose`) {
					n++
				}
			}
			if n != tc.nodes {
				t.Errorf("%d nodes other than transposes, want %d:\n%s", n, tc.nodes, src)
			}
			for _, w := range tc.want {
				if !strings.Contains(src, w) {
					t.Errorf("output lacks %s:\n%s", w, src)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(src, w) {
					t.Errorf("output has %s:\n%s", w, src)
				}
			}
			texts, _ := svgText(t, src)
			if tc.name == "optimized" && !slices.Contains(texts, "Conv + Add + Relu (fused)") {
				t.Errorf("Graphviz does not draw the fused node's title; it draws %q", texts)
			}
		})
	}
}

func TestWriteDeterministic(t *testing.T) {
	g := convAddRelu(t)
	first, err := String(g, Options{Constants: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		m, _ := compiler.FromGraph(g.Clone())
		if s, _ := String(m.Graph, Options{Constants: true}); s != first {
			t.Fatalf("write %d differs:\n%s\nfirst:\n%s", i, s, first)
		}
	}
}

func TestWriteOptions(t *testing.T) {
	g := ir.NewGraph("opts")
	x := g.AddInput("x", f32(2, 3))
	shape := ir.NewConst("shape", ir.NewIntTensor(ir.Int64, ir.Shape{2}, []int64{3, 2}))
	big := ir.NewConst("big", ir.Zeros(ir.Float32, ir.Shape{SmallConstant + 1}))
	r := g.Apply("r", &ir.Reshape{Shape: []int64{3, 2}}, x, shape)
	s := g.Apply("s", &ir.Add{}, r, ir.NewConst("one", ir.NewFloatTensor(ir.Float32, ir.Shape{1}, []float64{1})))
	u := g.Apply("u", &ir.Add{}, s, big)
	g.Outputs = []*ir.Value{u, shape}
	tests := []struct {
		name      string
		opts      Options
		want, not []string
	}{
		{"defaults", Options{},
			[]string{`label="opts"`, "rankdir=TB", `const i64[2]`, `const [1]`, `const [17]`, `c0 [shape=note`, `label="shape\ni64[2]\n[3 2]"`, "c0 -> out1"},
			[]string{"c1 "}},
		{"constants and title", Options{Constants: true, Title: "T", LeftToRight: true},
			[]string{`label="T"`, "rankdir=LR", `label="one\nf32[1]\n[1]"`, "c0 -> n0", "c1 -> n1", "c0 -> out1", `const [17]`},
			[]string{"const i64", "c2 "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := String(g, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(src, w) {
					t.Errorf("output lacks %s:\n%s", w, src)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(src, w) {
					t.Errorf("output has %s:\n%s", w, src)
				}
			}
			svgText(t, src)
		})
	}
}

// A broken graph is drawn as far as it goes, or refused with an error;
// Write never panics on it.
func TestWriteBrokenGraphs(t *testing.T) {
	tests := []struct {
		name  string
		graph func() *ir.Graph
		err   string
		want  string
	}{
		{"nil graph", func() *ir.Graph { return nil }, "nil graph", ""},
		{"node without op", func() *ir.Graph {
			g := ir.NewGraph("g")
			g.Nodes = append(g.Nodes, &ir.Node{Name: "bad\n"})
			return g
		}, `node 0 bad\n has no op`, ""},
		{"nil node", func() *ir.Graph {
			g := ir.NewGraph("g")
			g.Nodes = append(g.Nodes, nil)
			return g
		}, "has no op", ""},
		{"dangling value", func() *ir.Graph {
			g := ir.NewGraph("g")
			g.Apply("r", &ir.Relu{}, &ir.Value{Name: "ghost"})
			return g
		}, "", `u0 [shape=ellipse, style=dashed, label="undefined\nghost"]`},
		{"untyped, nil input, nil output", func() *ir.Graph {
			g := ir.NewGraph("g")
			x := g.AddInput("x", ir.Type{})
			g.Inputs = append(g.Inputs, nil)
			r := g.AddNode("r", &ir.Relu{}, []*ir.Value{x, nil}, 2)
			g.Outputs = []*ir.Value{r.Outputs[1], nil}
			return g
		}, "", `label="output\n<nil>"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := String(tc.graph(), Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(src, tc.want) {
				t.Errorf("output lacks %s:\n%s", tc.want, src)
			}
			svgText(t, src)
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportsWriteErrors(t *testing.T) {
	err := Write(failWriter{}, convAddRelu(t), Options{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer: %v", err)
	}
}

// A node's box lists the outputs something reads (and always the first),
// and edges from a node with several of them say which they carry.
func TestWriteMultiOutput(t *testing.T) {
	tests := []struct {
		name      string
		read      []int // outputs of the split read by the graph outputs
		want, not []string
	}{
		{"mask unread", []int{0}, []string{`label="Split\nsplit\nf32[1,4]"`, "n0 -> out0;"}, []string{"1: ", "bool"}},
		{"both read", []int{0, 1}, []string{`label="Split\nsplit\n0: f32[1,4]\n1: bool[1,4]"`, `n0 -> out0 [label="0: f32[1,4]"];`, `n0 -> out1 [label="1: bool[1,4]"];`}, nil},
		{"second only", []int{1}, []string{`label="Split\nsplit\n0: f32[1,4]\n1: bool[1,4]"`, `n0 -> out0 [label="1: bool[1,4]"];`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := ir.NewGraph("multi")
			x := g.AddInput("x", f32(1, 4))
			n := g.AddNode("split", splitOp{}, []*ir.Value{x}, 2)
			n.Outputs[0].Type = f32(1, 4)
			n.Outputs[1].Type = ir.Type{DType: ir.Bool, Shape: ir.Shape{1, 4}}
			for _, k := range tc.read {
				g.Outputs = append(g.Outputs, n.Outputs[k])
			}
			src, err := String(g, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(src, w) {
					t.Errorf("output lacks %s:\n%s", w, src)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(src, w) {
					t.Errorf("output has %s:\n%s", w, src)
				}
			}
		})
	}
}

// splitOp is a two-output op for TestWriteMultiOutput.
type splitOp struct{}

func (splitOp) OpType() string { return "Split" }
func (splitOp) Infer(in []ir.Type) ([]ir.Type, error) {
	return []ir.Type{in[0], {DType: ir.Bool, Shape: in[0].Shape}}, nil
}
