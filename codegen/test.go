package codegen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cnnc/cnnc/ir"
)

// testFiles writes model_test.go and the golden data it reads: one batch
// item of inputs and the reference evaluator's outputs, as little-endian
// float32 values in Inputs order then Outputs order.
func (gen *gen) testFiles(gd *Golden) ([]byte, []byte, error) {
	g := gen.g
	if len(gd.Inputs) != len(g.Inputs) || len(gd.Outputs) != len(g.Outputs) {
		return nil, nil, fmt.Errorf("codegen: golden data has %d inputs and %d outputs, the model %d and %d", len(gd.Inputs), len(gd.Outputs), len(g.Inputs), len(g.Outputs))
	}
	var blob bytes.Buffer
	put := func(vs []*ir.Value, ts []*ir.Tensor, what string) error {
		for i, t := range ts {
			if want := numel(vs[i].Shape); t.Len() != want {
				return fmt.Errorf("codegen: golden %s %d has %d values, want %d", what, i, t.Len(), want)
			}
			var b [4]byte
			for j := 0; j < t.Len(); j++ {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(t.Float(j))))
				blob.Write(b[:])
			}
		}
		return nil
	}
	if err := put(g.Inputs, gd.Inputs, "input"); err != nil {
		return nil, nil, err
	}
	if err := put(g.Outputs, gd.Outputs, "output"); err != nil {
		return nil, nil, err
	}

	f := newGoFile("model_test.go", gen.pkg)
	mt := f.Import(RuntimeImport + "/modeltest")
	f.Import("testing")
	f.Pf(testCommon, goldenFile, mt)
	single := len(g.Inputs) == 1 && len(g.Outputs) == 1
	if single {
		f.P(testPredict)
	}
	if gen.batched() && single {
		f.Pf(testPredictBatch, goldenFile, mt)
	}
	f.Pf(testBench, goldenFile, mt)
	src, err := f.Bytes()
	return src, blob.Bytes(), err
}

// The tests of model_test.go, formatted with the golden file's name and the
// modeltest package's name.
const (
	testCommon = `const golden = %[1]q

func TestRunMatchesReference(t *testing.T) {
	inputs, want := %[2]s.Golden(t, golden, Inputs, Outputs)
	m := New()
	got, err := m.Run(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		%[2]s.Compare(t, Outputs[i].Name, got[i], want[i])
	}
}

func TestThreadsAgree(t *testing.T) {
	inputs, want := %[2]s.Golden(t, golden, Inputs, Outputs)
	m := New()
	m.SetThreads(2)
	defer m.Close()
	got, err := m.Run(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		%[2]s.Compare(t, Outputs[i].Name, got[i], want[i])
	}
}

func TestRunAllocatesNothing(t *testing.T) {
	inputs, _ := %[2]s.Golden(t, golden, Inputs, Outputs)
	m := New()
	if _, err := m.Run(inputs...); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { m.Run(inputs...) }); n != 0 {
		t.Errorf("Run allocates %%v times per call, want 0", n)
	}
}

func TestRunRejectsWrongSizes(t *testing.T) {
	inputs, _ := %[2]s.Golden(t, golden, Inputs, Outputs)
	m := New()
	if _, err := m.Run(inputs[:len(inputs)-1]...); err == nil {
		t.Error("Run accepted too few inputs")
	}
	if _, err := m.Run(append(inputs, nil)...); err == nil {
		t.Error("Run accepted too many inputs")
	}
	for i := range inputs {
		for _, n := range []int{0, len(inputs[i]) - 1, len(inputs[i]) + 1} {
			bad := append([][]float32(nil), inputs...)
			bad[i] = make([]float32, n)
			if _, err := m.Run(bad...); err == nil {
				t.Errorf("Run accepted input %%d with %%d values", i, n)
			}
		}
	}
}

// TestShared calls the model from 32 goroutines at once, as a server's
// handlers would; run it with -race.
func TestShared(t *testing.T) {
	inputs, want := %[2]s.Golden(t, golden, Inputs, Outputs)
	s := NewShared()
	%[2]s.Hammer(t, 32, 4, func() ([][]float32, error) {
		outs := make([][]float32, len(want))
		for i := range want {
			outs[i] = make([]float32, len(want[i]))
		}
		return outs, s.Run(outs, inputs...)
	}, want)
}
`
	testPredict = `
func TestPredictRejectsWrongSizes(t *testing.T) {
	m := New()
	for _, n := range []int{0, 1, InputLen - 1, InputLen + 1} {
		if _, err := m.Predict(make([]float32, n)); err == nil {
			t.Errorf("Predict accepted %d values", n)
		}
	}
}`
	testPredictBatch = `
func TestPredictBatch(t *testing.T) {
	inputs, want := %[2]s.Golden(t, golden, Inputs, Outputs)
	m := New()
	src := append(append([]float32(nil), inputs[0]...), inputs[0]...)
	dst := make([]float32, 2*OutputLen)
	if err := m.PredictBatch(dst, src); err != nil {
		t.Fatal(err)
	}
	%[2]s.Compare(t, "item 0", dst[:OutputLen], want[0])
	%[2]s.Compare(t, "item 1", dst[OutputLen:], want[0])
	if err := m.PredictBatch(dst[:OutputLen], src); err == nil {
		t.Error("PredictBatch accepted a short dst")
	}
	if err := m.PredictBatch(dst, src[1:]); err == nil {
		t.Error("PredictBatch accepted a ragged src")
	}
	if n := testing.AllocsPerRun(10, func() { m.PredictBatch(dst, src) }); n != 0 {
		t.Errorf("PredictBatch allocates %%v times per call, want 0", n)
	}
}`
	testBench = `
func BenchmarkRun(b *testing.B) {
	inputs, _ := %[2]s.Golden(b, golden, Inputs, Outputs)
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Run(inputs...); err != nil {
			b.Fatal(err)
		}
	}
}`
)
