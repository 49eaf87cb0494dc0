// Package dot writes an IR graph in Graphviz's DOT language, for
// `cnnc graph` and for anyone who wants to look at what the frontends built
// or what the passes made of it:
//
//	err := dot.Write(os.Stdout, g, dot.Options{})
//	// then: dot -Tsvg -o model.svg
//
// Each IR node becomes one box labelled with its op type, its key
// attributes in a compact form (k3x3 s2 p1 g32 for a convolution's kernel,
// strides, pads and group), its name, the shapes of the constants it reads
// and its output types. A convolution or GEMM into which the passes fused
// an activation or a residual add is still one box, titled
// "Conv + Add + Relu (fused)" and filled in orange. Graph inputs and
// outputs are green and blue ellipses; small constants can be drawn as
// grey notes holding their values (Options.Constants).
//
// The output is deterministic: node identifiers are positions (n0, in0,
// c0, out0), never model names, and model strings appear only inside
// quoted labels, escaped, so no name can break the DOT syntax.
package dot

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cnnc/cnnc/ir"
)

// Options configure Write.
type Options struct {
	// Title labels the whole drawing; empty means the graph's name.
	Title string
	// Constants draws each constant of at most SmallConstant elements as
	// a node of its own, with its values, and an edge to every node that
	// reads it. Other constants (and all of them without this option) are
	// listed by shape inside the label of the node reading them.
	Constants bool
	// LeftToRight lays the graph out from left to right instead of from
	// top to bottom.
	LeftToRight bool
}

// SmallConstant is the largest constant, in elements, that
// Options.Constants draws as a node: shape data, scalars, short vectors.
const SmallConstant = 16

// Limits on label text, in runes: long ONNX names and long attribute
// lists would otherwise make boxes wider than the drawing. The SVG
// tooltip of a node keeps the full text (up to maxTooltip).
const (
	maxName    = 48
	maxAttr    = 32
	maxLine    = 40
	maxSlice   = 8
	maxConsts  = 4
	maxTooltip = 2000
)

// Colours of the kinds of nodes.
const (
	colorInput  = "#c8e6c9"
	colorOutput = "#bbdefb"
	colorFused  = "#ffe0b2"
	colorConst  = "#eeeeee"
)

// Write writes g as a DOT digraph. It needs no shape inference (unknown
// types print as "?") and reports a graph it cannot draw (nil, or a node
// without an op) as an error; a value that nothing defines is drawn as a
// dashed "undefined" node so that broken graphs can be looked at too.
func Write(w io.Writer, g *ir.Graph, opts Options) error {
	if g == nil {
		return errors.New("dot: nil graph")
	}
	d := &drawing{g: g, opts: opts, ids: make(map[*ir.Value]string), outIndex: make(map[*ir.Value]int)}
	if err := d.draw(); err != nil {
		return err
	}
	if _, err := io.WriteString(w, d.b.String()); err != nil {
		return fmt.Errorf("dot: writing the graph: %w", err)
	}
	return nil
}

// String returns g's DOT text, or the error Write would report.
func String(g *ir.Graph, opts Options) (string, error) {
	var b strings.Builder
	if err := Write(&b, g, opts); err != nil {
		return "", err
	}
	return b.String(), nil
}

// drawing is one Write in progress.
type drawing struct {
	g    *ir.Graph
	opts Options
	b    strings.Builder
	// ids maps each value to the DOT node that defines it: the graph
	// input, the producing node, or a drawn constant.
	ids map[*ir.Value]string
	// outIndex is a value's position among its producer's outputs.
	outIndex map[*ir.Value]int
	// used marks the values something reads: a node or the graph
	// outputs. An unread extra output (Dropout's mask) is not drawn.
	used map[*ir.Value]bool
	// multi marks producers with several used outputs, whose edges say
	// which output they carry.
	multi   map[string]bool
	nConst  int
	nUndef  int
	pending []string // edges, written after every node
}

func (d *drawing) draw() error {
	for i, n := range d.g.Nodes {
		if n == nil || n.Op == nil {
			name := ""
			if n != nil {
				name = n.Name
			}
			return fmt.Errorf("dot: node %d %s has no op", i, visible(name))
		}
	}
	title := d.opts.Title
	if title == "" {
		title = d.g.Name
	}
	d.line("digraph cnnc {")
	rankdir := "TB"
	if d.opts.LeftToRight {
		rankdir = "LR"
	}
	d.line("  graph [rankdir=%s, label=%s, labelloc=t, fontname=\"Helvetica\", fontsize=12];", rankdir, label(truncate(title, 2*maxName)))
	d.line("  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];")
	d.line("  edge [fontname=\"Helvetica\", fontsize=9];")

	for i, v := range d.g.Inputs {
		if v == nil {
			continue
		}
		id := "in" + strconv.Itoa(i)
		d.ids[v] = id
		d.line("  %s [shape=ellipse, fillcolor=%q, label=%s%s];", id, colorInput,
			label("input", truncate(v.Name, maxName), typeString(v.Type)), tooltip(v.Name))
	}
	d.used = make(map[*ir.Value]bool)
	for _, n := range d.g.Nodes {
		for _, in := range n.Inputs {
			d.used[in] = true
		}
	}
	for _, o := range d.g.Outputs {
		d.used[o] = true
	}
	// Producers first, so that an edge can name its source whatever the
	// node order (a badly ordered graph still draws).
	d.multi = make(map[string]bool)
	for i, n := range d.g.Nodes {
		id := "n" + strconv.Itoa(i)
		for k, o := range n.Outputs {
			if o != nil {
				d.ids[o] = id
				d.outIndex[o] = k
			}
		}
		d.multi[id] = len(d.shown(n)) > 1
	}
	for i, n := range d.g.Nodes {
		d.node("n"+strconv.Itoa(i), n)
	}
	for i, v := range d.g.Outputs {
		id := "out" + strconv.Itoa(i)
		if v == nil {
			d.line("  %s [shape=ellipse, style=\"dashed\", label=%s];", id, label("output", "<nil>"))
			continue
		}
		d.line("  %s [shape=ellipse, fillcolor=%q, label=%s%s];", id, colorOutput,
			label("output", truncate(v.Name, maxName), typeString(v.Type)), tooltip(v.Name))
		d.edge(d.source(v, true), id, v, "")
	}
	for _, e := range d.pending {
		d.b.WriteString(e)
	}
	d.line("}")
	return nil
}

// node writes one IR node and queues the edges into it.
func (d *drawing) node(id string, n *ir.Node) {
	head, fused := header(n)
	lines := []string{head}
	if n.Name != "" {
		lines = append(lines, truncate(n.Name, maxName))
	}
	lines = append(lines, wrap(attrs(n.Op), maxLine)...)
	var consts []string
	for _, in := range n.Inputs {
		if in.IsConst() && !d.drawsConst(in) {
			consts = append(consts, constString(in))
		}
	}
	if len(consts) > maxConsts {
		consts = append(consts[:maxConsts], fmt.Sprintf("+%d more", len(consts)-maxConsts))
	}
	if len(consts) > 0 {
		lines = append(lines, wrap([]string{"const " + strings.Join(consts, " ")}, maxLine)...)
	}
	shown := d.shown(n)
	for _, k := range shown {
		if len(shown) > 1 {
			lines = append(lines, fmt.Sprintf("%d: %s", k, typeString(n.Outputs[k].Type)))
		} else {
			lines = append(lines, typeString(n.Outputs[k].Type))
		}
	}
	extra := ""
	if fused {
		extra = fmt.Sprintf(", fillcolor=%q", colorFused)
	}
	tip := n.Op.OpType()
	if a := ir.Attrs(n.Op); a != "" {
		tip += " {" + a + "}"
	}
	d.line("  %s [label=%s%s%s];", id, label(lines...), tooltip(n.Name, tip), extra)
	for i, in := range n.Inputs {
		if in == nil || (in.IsConst() && !d.drawsConst(in)) {
			continue
		}
		tag := ""
		if fused && i == 3 {
			if _, conv := n.Op.(*ir.Conv); conv {
				tag = "residual"
			}
		}
		d.edge(d.source(in, false), id, in, tag)
	}
}

// shown lists the outputs of n that its box shows: the first, and any
// other that something reads.
func (d *drawing) shown(n *ir.Node) []int {
	var ks []int
	for k, o := range n.Outputs {
		if o != nil && (k == 0 || d.used[o]) {
			ks = append(ks, k)
		}
	}
	return ks
}

// drawsConst reports whether constant v gets a node of its own.
func (d *drawing) drawsConst(v *ir.Value) bool {
	return d.opts.Constants && v.Const.Len() <= SmallConstant
}

// source returns the DOT node that defines v, writing a node for a drawn
// constant (once) or for a value that nothing defines. A constant graph
// output is always drawn, since it has no producer to hang the edge on.
func (d *drawing) source(v *ir.Value, always bool) string {
	if id, ok := d.ids[v]; ok {
		return id
	}
	if v.IsConst() && (always || d.drawsConst(v)) {
		id := "c" + strconv.Itoa(d.nConst)
		d.nConst++
		d.ids[v] = id
		lines := []string{truncate(v.Name, maxName), typeString(v.Type)}
		if v.Const.Len() <= SmallConstant {
			lines = append(lines, wrap([]string{values(v.Const)}, maxLine)...)
		}
		d.line("  %s [shape=note, style=filled, fillcolor=%q, fontsize=8, label=%s%s];", id, colorConst, label(lines...), tooltip(v.Name))
		return id
	}
	id := "u" + strconv.Itoa(d.nUndef)
	d.nUndef++
	d.ids[v] = id
	d.line("  %s [shape=ellipse, style=dashed, label=%s];", id, label("undefined", truncate(v.Name, maxName)))
	return id
}

// edge queues an edge from the node defining v to the node to. Edges
// carry a label only where the boxes do not already say it: which output
// of a multi-output node, or the residual input of a fused convolution.
func (d *drawing) edge(from, to string, v *ir.Value, tag string) {
	var parts []string
	if d.multi[from] {
		parts = append(parts, fmt.Sprintf("%d: %s", d.outIndex[v], typeString(v.Type)))
	}
	attrs := ""
	if tag != "" {
		parts = append(parts, tag)
		attrs = ", style=dashed"
	}
	if len(parts) > 0 {
		attrs = ", label=" + label(parts...) + attrs
	}
	if attrs != "" {
		attrs = " [" + strings.TrimPrefix(attrs, ", ") + "]"
	}
	d.pending = append(d.pending, fmt.Sprintf("  %s -> %s%s;\n", from, to, attrs))
}

func (d *drawing) line(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

// header is a node's first label line: its op type, and for an op into
// which the passes fused a residual add or an activation, what was fused.
func header(n *ir.Node) (string, bool) {
	parts := []string{n.Op.OpType()}
	if _, ok := n.Op.(*ir.Conv); ok {
		if r := n.Input(3); r != nil && !r.IsConst() {
			parts = append(parts, "Add")
		}
	}
	if e, ok := n.Op.(ir.Epilogue); ok && e.FusedActivation() != nil {
		act := e.FusedActivation()
		a := act.OpType()
		if s := strings.Join(attrs(act), " "); s != "" {
			a += "(" + s + ")"
		}
		parts = append(parts, a)
	}
	if len(parts) == 1 {
		return parts[0], false
	}
	return strings.Join(parts, " + ") + " (fused)", true
}

// attrs returns an op's key attributes in a compact form: window geometry
// as k3x3 s2 p1 d2, the group as g32, other non-zero fields as name=value
// (an axis even when zero), each at most maxAttr runes. The layout is left
// out (the output type shows it), and so is a fused activation (the
// header shows it).
func attrs(op ir.Op) []string {
	v := reflect.ValueOf(op)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	fields(&out, op.OpType(), v)
	for i, s := range out {
		out[i] = truncate(s, maxAttr)
	}
	return out
}

func fields(out *[]string, opType string, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && fv.Kind() == reflect.Struct {
			fields(out, opType, fv)
			continue
		}
		if s, ok := field(opType, f.Name, fv); ok {
			*out = append(*out, s)
		}
	}
}

// field formats one attribute, or reports that it says nothing worth a
// label's room (a default value).
func field(opType, name string, v reflect.Value) (string, bool) {
	switch name {
	case "Layout", "Activation":
		return "", false
	case "Kernel":
		if ints, ok := intSlice(v); ok && len(ints) > 0 {
			return "k" + joinInts(ints, "x"), true
		}
	case "Strides", "Dilations":
		if ints, ok := intSlice(v); ok {
			if allEqual(ints, 1) {
				return "", false
			}
			return strings.ToLower(name[:1]) + compactInts(ints), true
		}
		return "", false
	case "Pads":
		if ints, ok := intSlice(v); ok && (opType == "Conv" || opType == "ConvTranspose" || strings.HasSuffix(opType, "Pool")) {
			if allEqual(ints, 0) {
				return "", false
			}
			return "p" + compactInts(ints), true
		}
	case "Group":
		if v.CanInt() && v.Int() <= 1 {
			return "", false
		}
		if v.CanInt() {
			return "g" + strconv.FormatInt(v.Int(), 10), true
		}
	case "Axis":
		if v.CanInt() {
			return "axis=" + strconv.FormatInt(v.Int(), 10), true
		}
	case "Alpha", "Beta":
		// Gemm's are 1 unless the model scales the product.
		if opType == "Gemm" && v.CanFloat() && v.Float() == 1 {
			return "", false
		}
	}
	if v.IsZero() {
		return "", false
	}
	if v.Kind() == reflect.Bool {
		return lowerFirst(name), true // ceilMode, transB: set flags
	}
	return lowerFirst(name) + "=" + value(v), true
}

// value formats an attribute value: floats shortly, slices cut after
// maxSlice items, nested ops as Type{...}, named types by their String.
func value(v reflect.Value) string {
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case ir.Op:
			return x.OpType() + "{" + strings.Join(attrs(x), " ") + "}"
		case fmt.Stringer:
			return x.String()
		}
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return formatFloat(v.Float())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Slice, reflect.Array:
		n := v.Len()
		items := make([]string, 0, min(n, maxSlice)+1)
		for i := 0; i < n && i < maxSlice; i++ {
			items = append(items, value(v.Index(i)))
		}
		if n > maxSlice {
			items = append(items, "…")
		}
		return "[" + strings.Join(items, " ") + "]"
	}
	if v.CanInterface() {
		return fmt.Sprint(v.Interface())
	}
	return "?"
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

func intSlice(v reflect.Value) ([]int64, bool) {
	if v.Kind() != reflect.Slice {
		return nil, false
	}
	out := make([]int64, v.Len())
	for i := range out {
		e := v.Index(i)
		if !e.CanInt() {
			return nil, false
		}
		out[i] = e.Int()
	}
	return out, true
}

func allEqual(ints []int64, x int64) bool {
	for _, i := range ints {
		if i != x {
			return false
		}
	}
	return true
}

// compactInts prints 2 for [2 2], 2x1 for [2 1], and a list cut after
// maxSlice items for anything longer than two.
func compactInts(ints []int64) string {
	switch {
	case len(ints) > 0 && allEqual(ints, ints[0]):
		return strconv.FormatInt(ints[0], 10)
	case len(ints) == 2:
		return joinInts(ints, "x")
	case len(ints) > maxSlice:
		return "[" + joinInts(ints[:maxSlice], " ") + " …]"
	}
	return "[" + joinInts(ints, " ") + "]"
}

func joinInts(ints []int64, sep string) string {
	s := make([]string, len(ints))
	for i, x := range ints {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, sep)
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// typeString prints a value's type as the IR dump does (f32[N,28,28,1]
// NHWC), or "?" before shape inference.
func typeString(t ir.Type) string {
	if !t.Known() {
		return "?"
	}
	return t.String()
}

// constString is a constant's entry in the label of a node reading it:
// the shape alone for float32 weights, the type for anything else.
func constString(v *ir.Value) string {
	if v.DType == ir.Float32 {
		return v.Shape.String()
	}
	return typeString(v.Type)
}

// values prints a small constant's elements.
func values(t *ir.Tensor) string {
	n := t.Len()
	items := make([]string, 0, min(n, maxSlice)+1)
	for i := 0; i < n && i < maxSlice; i++ {
		if t.DType.IsFloat() {
			items = append(items, formatFloat(t.Float(i)))
		} else {
			items = append(items, strconv.FormatInt(t.Int(i), 10))
		}
	}
	if n > maxSlice {
		items = append(items, "…")
	}
	return "[" + strings.Join(items, " ") + "]"
}

// wrap packs words into lines of at most width runes (a longer word gets
// a line of its own).
func wrap(words []string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range words {
		switch {
		case cur == "":
			cur = w
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// truncate shortens s to at most n runes of its visible form, keeping
// both ends (ONNX names differ at the end: /layer1/layer1.0/conv2/Conv).
func truncate(s string, n int) string {
	s = visible(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// tooltip is the SVG tooltip attribute of a node: the full text of its
// parts, one per line, cut only at maxTooltip runes. Graphviz (2.43 at
// least) expands \N and \G in a tooltip even when the backslash is
// escaped, so text holding a backslash gets no tooltip rather than a wrong
// one; the label still shows it.
func tooltip(parts ...string) string {
	for i, p := range parts {
		parts[i] = truncate(p, maxTooltip)
	}
	s := strings.Join(parts, "\n")
	if strings.Contains(s, `\`) {
		return ""
	}
	return ", tooltip=" + quote(s)
}

// visible replaces what would not show as itself in a drawing with a Go
// escape: control and format characters (a newline, U+2028, a bidi
// override) and bytes that are not UTF-8, which Graphviz would reject or
// warn about. Printable text, non-ASCII letters included, stays as it is.
func visible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || (unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r)):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// quote makes a DOT double-quoted string whose text, as Graphviz's label
// escapes read it, is s with each newline a line break: every backslash is
// doubled (so \N, \G, \l and friends in a name stay literal), quotes are
// escaped, and & becomes &amp; because Graphviz decodes HTML entities in
// labels and tooltips (a name "A&lt;B" would otherwise show as A<B).
// Callers pass model strings through visible first, so that the only
// newlines left are the line breaks they mean.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString(`\n`)
		}
		for _, r := range line {
			switch r {
			case '\\':
				b.WriteString(`\\`)
			case '"':
				b.WriteString(`\"`)
			case '&':
				b.WriteString("&amp;")
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// label quotes lines as one multi-line DOT label.
func label(lines ...string) string {
	for i, l := range lines {
		lines[i] = visible(l)
	}
	return quote(strings.Join(lines, "\n"))
}
