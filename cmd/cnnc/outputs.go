package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/vision"
)

// printOptions say how cnnc run prints the outputs.
type printOptions struct {
	topK    int      // classes per item for class-score outputs; 0 prints values
	labels  []string // class names, or nil
	softmax bool     // apply softmax to class scores first
	names   []string // per batch item, the image file it came from, or nil
	warn    io.Writer
}

// maxPrinted is how many values of an item (or of a tensor) are printed.
const maxPrinted = 20

// items splits an output into its batch items: a tensor of rank 2 or
// more is one item per index of dimension 0 (the batch, symbolic or
// fixed); a vector or a scalar is one item.
func items(t *ir.Tensor) (n, per int) {
	if len(t.Shape) < 2 {
		return 1, t.Len()
	}
	n = t.Shape[0]
	if n == 0 {
		return 0, 0
	}
	return n, t.Len() / n
}

// classScores reports whether an output looks like class scores: per
// item, one axis of more than one value and every other axis 1 ([N,10],
// [N,1000,1,1]).
func classScores(t *ir.Tensor) bool {
	if len(t.Shape) < 2 {
		return false
	}
	big := 0
	for _, d := range t.Shape[1:] {
		switch {
		case d > 1:
			big++
		case d < 1:
			return false
		}
	}
	return big == 1
}

// printOutputs prints each output: one line per batch item, the top
// classes of a class-score output or the first values of any other.
// An item that came from an image file is labelled with its name.
func printOutputs(w io.Writer, g *ir.Graph, outs []*ir.Tensor, opt printOptions) {
	for i, t := range outs {
		name := g.Outputs[i].Name
		n, per := items(t)
		scores := classScores(t) && opt.topK > 0
		if scores {
			k := min(opt.topK, per)
			fmt.Fprintf(w, "output %d %q %v: top %d of %d classes per item\n", i, name, t.Shape, k, per)
			if opt.labels != nil && len(opt.labels) != per && opt.warn != nil {
				fmt.Fprintf(opt.warn, "cnnc: warning: %d labels for output %d's %d classes\n", len(opt.labels), i, per)
			}
		} else {
			fmt.Fprintf(w, "output %d %q %v\n", i, name, t.Shape)
		}
		if len(t.Shape) < 2 {
			fmt.Fprintf(w, "%s\n", values(t, 0, t.Len()))
			continue
		}
		for b := 0; b < n; b++ {
			label := fmt.Sprintf("  item %d", b)
			if b < len(opt.names) && len(opt.names) == n {
				label += " " + opt.names[b]
			}
			if !scores {
				fmt.Fprintf(w, "%s:%s\n", label, values(t, b*per, per))
				continue
			}
			s := make([]float32, per)
			for j := range s {
				s[j] = float32(t.Float(b*per + j))
			}
			if opt.softmax {
				vision.Softmax(s)
			}
			top := vision.TopK(s, opt.topK, opt.labels)
			parts := make([]string, len(top))
			for j, c := range top {
				parts[j] = c.String()
			}
			fmt.Fprintf(w, "%s: %s\n", label, strings.Join(parts, " | "))
		}
	}
}

// values formats up to maxPrinted of the n values from off.
func values(t *ir.Tensor, off, n int) string {
	var b strings.Builder
	for j := 0; j < min(n, maxPrinted); j++ {
		fmt.Fprintf(&b, " %.6g", t.Float(off+j))
	}
	if n > maxPrinted {
		fmt.Fprintf(&b, " ... (%d values)", n)
	}
	return b.String()
}

// outputFiles names the files -o writes. FILE.npy or FILE.pb holds the
// only output; with several, output K goes to FILE_K.npy (FILE_K.pb). A
// name without an extension is a prefix, as before images: PREFIXK.pb.
func outputFiles(file string, n int) ([]string, error) {
	ext := filepath.Ext(file)
	switch strings.ToLower(ext) {
	case ".npy", ".pb":
	case "":
		out := make([]string, n)
		for k := range out {
			out[k] = fmt.Sprintf("%s%d.pb", file, k)
		}
		return out, nil
	default:
		return nil, usageError(fmt.Sprintf("-o %s: unknown extension %q; want .npy, .pb, or no extension (a prefix: PREFIX0.pb, PREFIX1.pb, ...)", file, ext))
	}
	if n == 1 {
		return []string{file}, nil
	}
	stem := strings.TrimSuffix(file, ext)
	out := make([]string, n)
	for k := range out {
		out[k] = fmt.Sprintf("%s_%d%s", stem, k, ext)
	}
	return out, nil
}

// writeOutput writes one output tensor as .npy or TensorProto, by the
// file's extension.
func writeOutput(file, name string, t *ir.Tensor) error {
	var data []byte
	var err error
	if strings.EqualFold(filepath.Ext(file), ".npy") {
		var b bytes.Buffer
		err = writeNPY(&b, t)
		data = b.Bytes()
	} else {
		data, err = onnx.WriteTensor(name, t)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return os.WriteFile(file, data, 0o644)
}

// writeNPY writes t as a version 1.0 .npy array in C order: float32 for
// float32 and float16 tensors, float64 for float64, int64 for integers,
// bool for bools.
func writeNPY(w io.Writer, t *ir.Tensor) error {
	if err := t.Check(); err != nil {
		return err
	}
	var descr string
	var size int
	switch {
	case t.DType == ir.Float64:
		descr, size = "<f8", 8
	case t.DType.IsFloat():
		descr, size = "<f4", 4
	case t.DType == ir.Bool:
		descr, size = "|b1", 1
	case t.DType.IsInt():
		descr, size = "<i8", 8
	default:
		return fmt.Errorf("element type %s has no .npy equivalent", t.DType)
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	// The magic, version and length take 10 bytes; numpy pads the header
	// with spaces and a newline so the data starts on a 64-byte boundary.
	pad := 64 - (10+len(hdr)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr += strings.Repeat(" ", pad) + "\n"
	if len(hdr) > math.MaxUint16 {
		return fmt.Errorf("shape %v makes a .npy header too long", t.Shape)
	}
	bw := bufio.NewWriter(w)
	bw.Write(npyMagic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	bw.WriteString(hdr)
	var buf [8]byte
	for i := 0; i < t.Len(); i++ {
		switch size {
		case 8:
			if t.DType == ir.Float64 {
				binary.LittleEndian.PutUint64(buf[:], math.Float64bits(t.Floats[i]))
			} else {
				binary.LittleEndian.PutUint64(buf[:], uint64(t.Ints[i]))
			}
		case 4:
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(float32(t.Floats[i])))
		case 1:
			buf[0] = 0
			if t.Ints[i] != 0 {
				buf[0] = 1
			}
		}
		bw.Write(buf[:size])
	}
	return bw.Flush()
}
