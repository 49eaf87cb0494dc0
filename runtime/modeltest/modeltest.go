// Package modeltest holds what the tests cnnc generates beside a model
// package share: reading the golden data recorded at compile time,
// comparing outputs with ONNX's tolerance and hammering a model from many
// goroutines. Generated model_test.go files import it; programs that
// import a generated package never do.
package modeltest

import (
	"encoding/binary"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/cnnc/cnnc/runtime"
)

// Golden reads the inputs and the reference outputs recorded when the
// package was generated (cnnc's float64 evaluator, rounded to float32):
// one batch item of each input, then of each output, as little-endian
// float32 values.
func Golden(t testing.TB, path string, inputs, outputs []runtime.TensorInfo) (in, out [][]float32) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	next := func(n int) []float32 {
		if len(data) < 4*n {
			t.Fatalf("%s is too short", path)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*n:]
		return v
	}
	for _, ti := range inputs {
		in = append(in, next(ti.Len()))
	}
	for _, ti := range outputs {
		out = append(out, next(ti.Len()))
	}
	if len(data) != 0 {
		t.Fatalf("%s has %d bytes too many", path, len(data))
	}
	return in, out
}

// Close reports whether got is within the tolerance of the ONNX model
// tests of want: |got-want| <= 1e-5 + 1e-3*|want|, NaN where want is NaN.
func Close(got, want float32) bool {
	g, w := float64(got), float64(want)
	if math.IsNaN(w) || math.IsNaN(g) {
		return math.IsNaN(w) && math.IsNaN(g)
	}
	return math.Abs(g-w) <= 1e-5+1e-3*math.Abs(w)
}

// Compare checks got against want with Close, reporting the first few
// differences and their count.
func Compare(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s has %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !Close(got[i], want[i]) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d] = %g, want %g", what, i, got[i], want[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d values differ in all", what, bad)
	}
}

// Hammer calls run from goroutines goroutines, calls times each, all at
// once, and checks every result against want: what a server's handlers do
// to a model. run must be safe for concurrent use and return fresh or
// per-call output slices. Run it under the race detector.
func Hammer(t *testing.T, goroutines, calls int, run func() ([][]float32, error), want [][]float32) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	start := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for c := 0; c < calls; c++ {
				got, err := run()
				if err != nil {
					errs <- err.Error()
					return
				}
				for i := range want {
					for j := range want[i] {
						if !Close(got[i][j], want[i][j]) {
							errs <- "a concurrent call computed a wrong output"
							return
						}
					}
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
