// Package summary describes a typed model the way Keras' model.summary()
// does: one row per source layer with its output shape and parameter
// count, then the parameter totals; cnnc adds multiply-accumulate counts and
// the peak activation memory.
//
// For a model that is not a plain sequence of layers (a residual network,
// branches that are concatenated) the table gets Keras' "Connected to"
// column for functional models: the layers whose outputs each layer reads.
// cnnc prints each as the layer's name, one per line (Keras prints
// ['conv2d_1[0][0]', 'conv2d_2[0][0]'] on one line): conv2d_1 for a layer's
// output, split[1] for the second output of a layer that has several, and
// a graph input by its own name, since cnnc has no InputLayer rows.
package summary

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// Row is one layer of the model.
type Row struct {
	Name  string // layer name: "conv2d"
	Type  string // layer type: "Conv2D" for DSL models, the op type for ONNX
	Shape ir.Shape
	// Params counts the elements of the float constants the layer reads
	// (weights, biases, BatchNorm statistics) and of the weights and
	// biases of quantized ops; other integer constants are shape data, and
	// quantization scales and zero points are not counted.
	Params, NonTrainable int64
	// MACs counts multiply-accumulates per batch item (Conv, ConvTranspose,
	// Gemm, MatMul; zero for the rest).
	MACs int64
	// ConnectedTo names the run-time values the layer reads from outside
	// itself, in the order it reads them, as the package doc describes:
	// "conv2d_1", "split[1]", or a graph input's name.
	ConnectedTo []string
}

// Summary is a model's description.
type Summary struct {
	Name                           string
	Rows                           []Row
	Total, Trainable, NonTrainable int64
	MACs                           int64
	PeakActivationBytes            int64
	ArenaBytes                     int64 // memory plan size; 0 when no plan was made
	Inputs, Outputs                []*ir.Value
	// Functional reports that the model is not a chain: some layer reads
	// something other than the previous layer's output alone (a residual
	// branch, a Concat of two paths), the model has several inputs, or its
	// output is not the last layer's. Write then adds the "Connected to"
	// column, as Keras does for functional models; Sequential models print
	// exactly as Keras prints them.
	Functional bool
}

// Of summarizes a typed graph (shape inference must have run). Nodes that
// share a Layer form one row; a shared constant is counted once.
func Of(g *ir.Graph) *Summary {
	s := &Summary{Name: g.Name, Inputs: g.Inputs, Outputs: g.Outputs}
	seen := make(map[*ir.Value]bool)
	var rowNodes [][]*ir.Node // each row's nodes, in order
	for _, n := range g.Nodes {
		layer := n.Layer
		if layer == "" {
			layer = n.Name
		}
		typ := n.LayerType
		if typ == "" {
			typ = n.Op.OpType()
		}
		if k := len(s.Rows); k == 0 || s.Rows[k-1].Name != layer || s.Rows[k-1].Type != typ {
			s.Rows = append(s.Rows, Row{Name: layer, Type: typ})
			rowNodes = append(rowNodes, nil)
		}
		r := &s.Rows[len(s.Rows)-1]
		rowNodes[len(rowNodes)-1] = append(rowNodes[len(rowNodes)-1], n)
		if len(n.Outputs) > 0 {
			r.Shape = n.Outputs[0].Shape
		}
		r.MACs += ir.MACs(n)
		for i, in := range n.Inputs {
			if !in.IsConst() || !isParam(n, i) || seen[in] {
				continue
			}
			seen[in] = true
			size := int64(in.Const.Len())
			r.Params += size
			if _, bn := n.Op.(*ir.BatchNormalization); bn && i >= 3 {
				r.NonTrainable += size
			}
		}
	}
	for _, r := range s.Rows {
		s.Total += r.Params
		s.NonTrainable += r.NonTrainable
		s.MACs += r.MACs
	}
	s.Trainable = s.Total - s.NonTrainable
	s.PeakActivationBytes = passes.PeakActivationBytes(g)
	s.Functional = connect(s, g, rowNodes)
	return s
}

// connect fills each row's ConnectedTo and reports whether the graph is
// not a chain (see Summary.Functional).
func connect(s *Summary, g *ir.Graph, rowNodes [][]*ir.Node) bool {
	rowOf := make(map[*ir.Node]int)
	for i, nodes := range rowNodes {
		for _, n := range nodes {
			rowOf[n] = i
		}
	}
	// A row's output is its last node's first output: the value whose
	// shape the row shows.
	output := func(i int) *ir.Value {
		nodes := rowNodes[i]
		if outs := nodes[len(nodes)-1].Outputs; len(outs) > 0 {
			return outs[0]
		}
		return nil
	}
	chain := len(g.Inputs) <= 1
	var prev *ir.Value // what the next row must read, alone, in a chain
	if len(g.Inputs) == 1 {
		prev = g.Inputs[0]
	}
	for i, nodes := range rowNodes {
		var reads []*ir.Value
		seen := make(map[*ir.Value]bool)
		for _, n := range nodes {
			for _, in := range n.Inputs {
				if in == nil || in.IsConst() || seen[in] {
					continue
				}
				if j, ok := rowOf[in.Producer]; ok && j == i {
					continue // computed inside the layer
				}
				seen[in] = true
				reads = append(reads, in)
			}
		}
		switch {
		case len(reads) == 0 && prev == nil:
		case len(reads) == 1 && reads[0] == prev:
		default:
			chain = false
		}
		r := &s.Rows[i]
		for _, v := range reads {
			r.ConnectedTo = append(r.ConnectedTo, source(s, v, rowOf, rowNodes))
		}
		prev = output(i)
	}
	if len(rowNodes) > 0 && (len(g.Outputs) != 1 || g.Outputs[0] != prev) {
		chain = false
	}
	return !chain
}

// source names the layer output v, as the package doc describes.
func source(s *Summary, v *ir.Value, rowOf map[*ir.Node]int, rowNodes [][]*ir.Node) string {
	j, ok := rowOf[v.Producer]
	if v.Producer == nil || !ok {
		return v.Name // a graph input (or a value nothing computes)
	}
	name := s.Rows[j].Name
	nodes := rowNodes[j]
	last := nodes[len(nodes)-1]
	if v.Producer != last {
		// A value from inside a layer of several nodes, read elsewhere:
		// rare enough to name in full.
		return name + "(" + v.Name + ")"
	}
	for k, o := range last.Outputs {
		if o == v && k > 0 {
			return name + "[" + strconv.Itoa(k) + "]"
		}
	}
	return name
}

// Options select optional parts of the table.
type Options struct {
	// MACsColumn adds a per-layer MACs column.
	MACsColumn bool
}

// Write prints the summary as Keras does (column layout of Keras'
// print_summary with line_length 65, widened when a field would not fit
// instead of truncating it), followed by cnnc's extra lines.
func (s *Summary) Write(w io.Writer, opts Options) error {
	headers := []string{"Layer (type)", "Output Shape", "Param #"}
	// Keras' positions [.45, .85, 1] of 65 columns: 29, 55, 65.
	widths := []int{29, 26, 10}
	if opts.MACsColumn {
		headers = append(headers, "MACs")
		widths = append(widths, 16)
	}
	if s.Functional {
		// Keras' functional tables give "Connected to" a third of 98
		// columns.
		headers = append(headers, "Connected to")
		widths = append(widths, 32)
	}
	// rows[i] holds row i's lines: its fields, then one line per further
	// connection with only the last column filled, as Keras prints them.
	rows := make([][][]string, len(s.Rows))
	for i, r := range s.Rows {
		fields := []string{display(r.Name) + " (" + display(r.Type) + ")", r.Shape.Keras(), strconv.FormatInt(r.Params, 10)}
		if opts.MACsColumn {
			fields = append(fields, Thousands(r.MACs))
		}
		if !s.Functional {
			rows[i] = [][]string{fields}
			continue
		}
		conn := make([]string, max(len(r.ConnectedTo), 1))
		for k, c := range r.ConnectedTo {
			conn[k] = display(c)
		}
		rows[i] = [][]string{append(fields, conn[0])}
		for _, c := range conn[1:] {
			more := make([]string, len(headers))
			more[len(more)-1] = c
			rows[i] = append(rows[i], more)
		}
	}
	for _, lines := range append([][][]string{{headers}}, rows...) {
		for _, r := range lines {
			for i, f := range r {
				widths[i] = max(widths[i], len(f)+1)
			}
		}
	}
	total := 0
	for _, x := range widths {
		total += x
	}
	var b strings.Builder
	line := func(c string) { b.WriteString(strings.Repeat(c, total) + "\n") }
	row := func(fields []string) {
		for i, f := range fields {
			b.WriteString(f + strings.Repeat(" ", widths[i]-len(f)))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Model: %s\n", strconv.QuoteToGraphic(s.Name))
	line("_")
	row(headers)
	line("=")
	for i, lines := range rows {
		for _, r := range lines {
			row(r)
		}
		if i < len(rows)-1 {
			line("_")
		}
	}
	line("=")
	fmt.Fprintf(&b, "Total params: %s\n", Thousands(s.Total))
	fmt.Fprintf(&b, "Trainable params: %s\n", Thousands(s.Trainable))
	fmt.Fprintf(&b, "Non-trainable params: %s\n", Thousands(s.NonTrainable))
	line("_")
	fmt.Fprintf(&b, "MACs per image: %s\n", Thousands(s.MACs))
	fmt.Fprintf(&b, "Peak activation memory: %s bytes per image\n", Thousands(s.PeakActivationBytes))
	if s.ArenaBytes > 0 {
		fmt.Fprintf(&b, "Generated-code arena: %s bytes per image\n", Thousands(s.ArenaBytes))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Thousands formats n with comma separators: 1,199,882.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// display quotes a model string that holds control characters (a newline,
// a terminal escape), so that a hostile name cannot break the table or
// the terminal showing it.
func display(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}
