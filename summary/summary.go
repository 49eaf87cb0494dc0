// Package summary describes a typed model the way Keras' model.summary()
// does: one row per source layer with its output shape and parameter
// count, then the parameter totals; cnnc adds multiply-accumulate counts and
// the peak activation memory.
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
	// (weights, biases, BatchNorm statistics); integer constants are shape
	// data, not parameters.
	Params, NonTrainable int64
	// MACs counts multiply-accumulates per batch item (Conv, ConvTranspose,
	// Gemm, MatMul; zero for the rest).
	MACs int64
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
}

// Of summarizes a typed graph (shape inference must have run). Nodes that
// share a Layer form one row; a shared constant is counted once.
func Of(g *ir.Graph) *Summary {
	s := &Summary{Name: g.Name, Inputs: g.Inputs, Outputs: g.Outputs}
	seen := make(map[*ir.Value]bool)
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
		}
		r := &s.Rows[len(s.Rows)-1]
		if len(n.Outputs) > 0 {
			r.Shape = n.Outputs[0].Shape
		}
		r.MACs += ir.MACs(n)
		for i, in := range n.Inputs {
			if !in.IsConst() || !in.DType.IsFloat() || seen[in] {
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
	return s
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
	if opts.MACsColumn {
		headers = append(headers, "MACs")
	}
	rows := make([][]string, len(s.Rows))
	for i, r := range s.Rows {
		rows[i] = []string{display(r.Name) + " (" + display(r.Type) + ")", r.Shape.Keras(), strconv.FormatInt(r.Params, 10)}
		if opts.MACsColumn {
			rows[i] = append(rows[i], Thousands(r.MACs))
		}
	}
	// Keras' positions [.45, .85, 1] of 65 columns: 29, 55, 65.
	widths := []int{29, 26, 10, 16}[:len(headers)]
	for _, r := range append([][]string{headers}, rows...) {
		for i, f := range r {
			widths[i] = max(widths[i], len(f)+1)
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
	for i, r := range rows {
		row(r)
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
