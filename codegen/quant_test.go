package codegen_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/internal/qdqtest"
)

// quantCase returns a case of qdqtest by name.
func quantCase(t *testing.T, name string) qdqtest.Case {
	for _, c := range qdqtest.Cases() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no qdqtest case %q", name)
	return qdqtest.Case{}
}

// The generated package of a small quantized CNN vets, passes its own
// tests (the reference outputs of the integer graph, zero allocations per
// Predict, threads agreeing, wrong sizes refused) and is deterministic.
func TestQuantizedPackageVetsAndPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated package")
	}
	var files []compiler.File
	for i := 0; i < 2; i++ {
		m, err := compiler.FromGraph(quantCase(t, "small cnn").Graph)
		if err != nil {
			t.Fatal(err)
		}
		pkg, err := m.Compile(compiler.Options{Package: "qcnn", Test: true})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			for j, f := range pkg.Files {
				if f.Name != files[j].Name || !bytes.Equal(f.Data, files[j].Data) {
					t.Fatalf("%s differs between two generations", f.Name)
				}
			}
		}
		files = pkg.Files
	}
	var src string
	for _, f := range files {
		if f.Name == "model.go" {
			src = string(f.Data)
		}
	}
	for _, want := range []string{"Pool.QConv2D(", "Pool.QDepthwiseConv(", "Pool.QGemm(", "runtime.QAdd(", "Pool.QMaxPool(", "runtime.QGlobalAvgPool(", "runtime.ArenaBytes(m.rt.Arena)"} {
		if !strings.Contains(src, want) {
			t.Errorf("model.go does not call %s", want)
		}
	}
	app, err := engine.WriteModule(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		path := filepath.Join(app, "qcnn", f.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"vet", "-mod=mod", "./..."}, {"test", "-mod=mod", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = app
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
