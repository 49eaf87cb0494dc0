package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/internal/shared"
	"github.com/cnnc/cnnc/ir"
)

// withSymbolicBatch rewrites a model's first input and its outputs to have
// a symbolic dimension 0, as torch.onnx does with dynamic_axes, so that its
// shape subgraphs (seed_124's padding) see Shape(x) with an unknown batch.
func withSymbolicBatch(t *testing.T, data []byte) []byte {
	t.Helper()
	var m pb.ModelProto
	if err := m.Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	for _, vi := range append(m.Graph.Input[:1], m.Graph.Output...) {
		d := vi.Type.GetTensorType().Shape.Dim[0]
		d.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoEngineSymbolicBatch exports the conformance models again with a
// symbolic batch, compiles them and runs a batch of two copies of the
// stored input through the generated RunBatch, on two threads: each item
// must match the stored output.
func TestGoEngineSymbolicBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages")
	}
	root := filepath.Join(shared.Conformance(t), "models")
	// mnist-8's Reshape hard-codes a batch of 1 ([1,256]); it imports only
	// with --dim batch=1, which makes the batch static again.
	names := []string{"seed_mnist", "seed_cifar", "seed_124", "pool_zoo", "resnet18"}
	var graphs []*ir.Graph
	var ins, wants []*ir.Tensor
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(root, name, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		g, err := onnx.Import(withSymbolicBatch(t, data), onnx.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g.Inputs[0].Shape[0] != ir.Batch {
			t.Fatalf("%s: input shape %v, want a symbolic batch", name, g.Inputs[0].Shape)
		}
		if err := g.Infer(); err != nil {
			t.Fatal(err)
		}
		in, out, err := onnx.LoadTestDataSet(filepath.Join(root, name, "test_data_set_0"))
		if err != nil {
			t.Fatal(err)
		}
		graphs = append(graphs, g)
		ins = append(ins, twice(in[0]))
		wants = append(wants, twice(out[0]))
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if errs[i] != nil {
			t.Errorf("%s: %v", name, errs[i])
			continue
		}
		got, err := engines[i].Run([]*ir.Tensor{ins[i]})
		engines[i].Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r := check.Compare(got[0], wants[i], 1e-3, 1e-5); !r.OK {
			t.Errorf("%s: %s", name, r)
		}
	}
}

// twice stacks two copies of a batch-1 tensor into a batch of 2.
func twice(t *ir.Tensor) *ir.Tensor {
	shape := t.Shape.Clone()
	shape[0] *= 2
	c := ir.Zeros(t.DType, shape)
	copy(c.Floats, t.Floats)
	copy(c.Floats[len(t.Floats):], t.Floats)
	return c
}
