package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// seedFiles returns the contents of the seed files with the given suffix.
func seedFiles(f *testing.F, suffix string) [][]byte {
	paths, err := filepath.Glob(filepath.Join("testdata", "seeds", "*"+suffix))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds *%s: %v", suffix, err)
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// FuzzImport feeds arbitrary bytes and mutated real models to the decoder
// and importer: they must return a graph or an error, never panic, and a
// graph they return must verify.
func FuzzImport(f *testing.F) {
	for _, s := range seedFiles(f, ".onnx") {
		f.Add(s)
	}
	// Models built here cover what the seeds lack: a symbolic batch
	// through a shape subgraph, and legacy broadcasting.
	f.Add(newModel(13).input("x", tFloat, "N", 3, 2, 2).
		node("Shape", []string{"x"}, []string{"s"}).
		node("Constant", nil, []string{"zero"}, aInts("value_ints", 0)).
		node("Gather", []string{"s", "zero"}, []string{"n"}, aInt("axis", 0)).
		node("Constant", nil, []string{"m1"}, aInts("value_ints", -1)).
		node("Concat", []string{"n", "m1"}, []string{"shape"}, aInt("axis", 0)).
		node("Reshape", []string{"x", "shape"}, []string{"y"}).output("y").bytes())
	f.Add(x4(6).init("c", f32(ir.Shape{3}, 1, 2, 3)).node("Add", []string{"x", "c"}, []string{"y"}, aInt("broadcast", 1), aInt("axis", 1)).output("y").bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Import(data, Options{Dims: map[string]int{"fixed": 2}})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if err := g.Verify(); err != nil {
			t.Fatalf("imported graph does not verify: %v", err)
		}
	})
}

// FuzzReadTensor checks that ReadTensor never panics and that what it
// accepts survives a WriteTensor round trip.
func FuzzReadTensor(f *testing.F) {
	for _, s := range seedFiles(f, ".pb") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name, v, err := ReadTensor(data)
		if err != nil {
			return
		}
		if err := v.Check(); err != nil {
			t.Fatalf("ReadTensor returned an invalid tensor: %v", err)
		}
		out, err := WriteTensor(name, v)
		if err != nil {
			t.Fatalf("WriteTensor of a decoded tensor: %v", err)
		}
		name2, v2, err := ReadTensor(out)
		if err != nil || name2 != name || !sameTensor(v, v2) {
			t.Fatalf("round trip changed the tensor: %v", err)
		}
	})
}

// sameTensor compares two tensors bit for bit (NaN equal to NaN).
func sameTensor(a, b *ir.Tensor) bool {
	if a.DType != b.DType || !a.Shape.Equal(b.Shape) || a.Len() != b.Len() {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		x, y := a.Float(i), b.Float(i)
		if x != y && !(x != x && y != y) {
			return false
		}
		if !a.DType.IsFloat() && a.Ints[i] != b.Ints[i] {
			return false
		}
	}
	return true
}

// fuzzAttrNames are the attributes FuzzImportOp sets, drawn from those
// the importers read.
var fuzzAttrNames = []string{"kernel_shape", "strides", "pads", "dilations", "axis", "axes", "perm", "group",
	"keepdims", "ceil_mode", "count_include_pad", "transA", "transB", "alpha", "beta", "epsilon", "size",
	"auto_pad", "mode", "to", "shape", "starts", "ends", "split", "start", "end", "allowzero", "broadcast",
	"output_padding", "output_shape", "noop_with_empty_axes", "value", "value_ints", "num_outputs", "min", "max"}

// FuzzImportOp builds well-formed one-node models from the fuzzer's
// bytes, which reaches the importers and shape rules far more often than
// mutated protobuf bytes do: an op type, an opset, an input shape, integer
// inputs and attributes. Import must not panic, and a graph it returns
// must verify and evaluate without an internal error.
func FuzzImportOp(f *testing.F) {
	f.Add(uint8(10), uint8(13), []byte{1, 3, 5, 5}, []byte{3, 3, 1, 1}, []byte{0, 1, 2})
	f.Add(uint8(40), uint8(11), []byte{2, 3, 4}, []byte{1, 0, 2, 1}, []byte{5, 7, 21})
	f.Add(uint8(51), uint8(18), []byte{1, 4, 2, 2}, []byte{2, 2}, []byte{4, 17})
	names := make([]string, 0, len(registry))
	for _, op := range SupportedOps() {
		names = append(names, op.OpType)
	}
	f.Fuzz(func(t *testing.T, opIndex, opset uint8, dims, ints, attrSel []byte) {
		if len(dims) > 5 || len(ints) > 8 || len(attrSel) > 6 {
			return
		}
		op := names[int(opIndex)%len(names)]
		m := newModel(int64(opset%MaxOpset) + 1)
		shape := make([]any, len(dims))
		for i, d := range dims {
			shape[i] = int(d%6) + 1
		}
		m.input("x", tFloat, shape...)
		vals := make([]int64, len(ints))
		for i, v := range ints {
			vals[i] = int64(int8(v))
		}
		m.init("k", i64(vals...))
		m.init("s", f32(ir.Shape{}, 0.5))
		var attrs []*pb.AttributeProto
		seen := map[string]bool{}
		for _, a := range attrSel {
			name := fuzzAttrNames[int(a)%len(fuzzAttrNames)]
			if seen[name] {
				continue
			}
			seen[name] = true
			switch a / 64 {
			case 0:
				attrs = append(attrs, aInts(name, vals...))
			case 1:
				if len(vals) > 0 {
					attrs = append(attrs, aInt(name, vals[0]))
				}
			case 2:
				attrs = append(attrs, aFloat(name, float32(int8(a))/8))
			default:
				attrs = append(attrs, aString(name, []string{"SAME_UPPER", "VALID", "reflect", "edge", "FLOAT", "NOTSET"}[int(a)%6]))
			}
		}
		ins := []string{"x", "k", "s", "k"}[:1+int(opIndex/64)]
		m.node(op, ins, []string{"y"}, attrs...).output("y")
		g, err := Import(m.bytes(), Options{})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if err := g.Verify(); err != nil {
			t.Fatal(err)
		}
		for _, n := range g.Nodes {
			for _, o := range n.Outputs {
				if o.Shape.NumElements(1) > 1<<20 {
					return // valid, but too big to evaluate while fuzzing
				}
			}
		}
		feed := make([]*ir.Tensor, len(g.Inputs))
		for i, v := range g.Inputs {
			feed[i] = ir.Zeros(v.DType, v.Shape)
		}
		if _, err := eval.Run(g, feed); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%s: %v\n%s", op, err, g)
		}
	})
}
