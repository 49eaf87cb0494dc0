package dsl

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"github.com/cnnc/cnnc/ir"
)

// constOf returns the constant input of the graph named name.
func constOf(t *testing.T, g *ir.Graph, name string) *ir.Tensor {
	t.Helper()
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in.IsConst() && in.Name == name {
				return in.Const
			}
		}
	}
	t.Fatalf("no constant %q", name)
	return nil
}

func TestInitWeights(t *testing.T) {
	src := `Conv2D(8, (3, 3), input_shape=(5, 5, 4))
BatchNormalization()
Flatten()
Dense(6)
Dense(6, kernel_initializer='he_uniform')
Dense(6, kernel_initializer='lecun_uniform', bias_initializer='ones')
Dense(6, kernel_initializer='zeros')
Dense(6, kernel_initializer='ones')
`
	g := build(t, src, Options{Seed: 7})
	check := func(name string, limit float64) {
		t.Helper()
		w := constOf(t, g, name)
		var sum2 float64
		distinct := map[float64]bool{}
		for _, v := range w.Floats {
			if math.Abs(v) > limit {
				t.Fatalf("%s: %v outside ±%v", name, v, limit)
			}
			if float64(float32(v)) != v {
				t.Fatalf("%s: %v is not a float32 value", name, v)
			}
			sum2 += v * v
			distinct[v] = true
		}
		// A uniform variable on [-l, l] has variance l²/3.
		variance := sum2 / float64(len(w.Floats))
		if want := limit * limit / 3; math.Abs(variance-want) > 0.35*want {
			t.Errorf("%s: variance %v, want about %v", name, variance, want)
		}
		if len(distinct) < len(w.Floats)*9/10 {
			t.Errorf("%s: only %d distinct values of %d", name, len(distinct), len(w.Floats))
		}
	}
	check("conv2d/kernel", math.Sqrt(6.0/(9*4+9*8)))
	check("dense/kernel", math.Sqrt(6.0/(72+6)))
	check("dense_1/kernel", math.Sqrt(6.0/6))
	check("dense_2/kernel", math.Sqrt(3.0/6))
	constant := func(name string, v float64) {
		t.Helper()
		for _, x := range constOf(t, g, name).Floats {
			if x != v {
				t.Fatalf("%s holds %v, want all %v", name, x, v)
			}
		}
	}
	constant("conv2d/bias", 0)
	constant("dense/bias", 0)
	constant("dense_2/bias", 1)
	constant("dense_3/kernel", 0)
	constant("dense_4/kernel", 1)
	constant("batch_normalization/gamma", 1)
	constant("batch_normalization/beta", 0)
	constant("batch_normalization/moving_mean", 0)
	constant("batch_normalization/moving_variance", 1)

	// The same seed gives the same weights; another seed others; and a
	// weight's values depend on its name, not on the layers before it.
	same := build(t, src, Options{Seed: 7})
	other := build(t, src, Options{Seed: 8})
	more := build(t, strings.Replace(src, "Flatten()", "Activation('relu')\nFlatten()", 1), Options{Seed: 7})
	a := constOf(t, g, "dense/kernel").Floats
	if !reflect.DeepEqual(a, constOf(t, same, "dense/kernel").Floats) {
		t.Error("same seed, different weights")
	}
	if reflect.DeepEqual(a, constOf(t, other, "dense/kernel").Floats) {
		t.Error("different seeds, same weights")
	}
	if !reflect.DeepEqual(a, constOf(t, more, "dense/kernel").Floats) {
		t.Error("adding a layer changed another layer's weights")
	}
}

// nest turns flat row-major data into nested slices of the given shape,
// which npyio writes as an array of that shape.
func nest(data []float64, shape []int, f32 bool) any {
	elem := reflect.TypeOf(float64(0))
	if f32 {
		elem = reflect.TypeOf(float32(0))
	}
	var build func(off int, shape []int) reflect.Value
	build = func(off int, shape []int) reflect.Value {
		t := elem
		for range shape {
			t = reflect.SliceOf(t)
		}
		v := reflect.MakeSlice(t, shape[0], shape[0])
		stride := 1
		for _, d := range shape[1:] {
			stride *= d
		}
		for i := 0; i < shape[0]; i++ {
			if len(shape) == 1 {
				v.Index(i).Set(reflect.ValueOf(data[off+i]).Convert(elem))
			} else {
				v.Index(i).Set(build(off+i*stride, shape[1:]))
			}
		}
		return v
	}
	return build(0, shape).Interface()
}

func seq(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// roundTripModel has every kind of weight; its conv kernel is not square
// and has several input and output channels, so that a transposition
// mistake shows.
const roundTripModel = `from keras.layers import Conv2D, BatchNormalization, Flatten, Dense
model = Sequential()
model.add(Conv2D(2, (2, 3), input_shape=(4, 5, 3)))
model.add(BatchNormalization())
model.add(Flatten())
model.add(Dense(4))
`

// roundTripArrays are Keras-layout weights for roundTripModel, each value
// encoding its index: the conv kernel element [h, w, i, o] is
// 1000h + 100w + 10i + o.
func roundTripArrays() map[string]any {
	kh, kw, ci, co := 2, 3, 3, 2
	conv := make([]float64, kh*kw*ci*co)
	for h := 0; h < kh; h++ {
		for w := 0; w < kw; w++ {
			for i := 0; i < ci; i++ {
				for o := 0; o < co; o++ {
					conv[((h*kw+w)*ci+i)*co+o] = float64(1000*h + 100*w + 10*i + o)
				}
			}
		}
	}
	in := 3 * 3 * 2 // the flattened (None, 3, 3, 2)
	return map[string]any{
		"conv2d/kernel.npy":                   nest(conv, []int{kh, kw, ci, co}, true),
		"conv2d/bias:0":                       nest([]float64{0.5, -0.5}, []int{2}, false),
		"batch_normalization/gamma":           nest([]float64{2, 3}, []int{2}, true),
		"batch_normalization/beta":            nest([]float64{0.25, 0.125}, []int{2}, true),
		"batch_normalization/moving_mean":     nest([]float64{-1, 1}, []int{2}, false),
		"batch_normalization/moving_variance": nest([]float64{4, 9}, []int{2}, false),
		"dense/kernel":                        nest(seq(in*4, func(i int) float64 { return float64(i) / 8 }), []int{in, 4}, false),
		"dense/bias":                          nest([]float64{1, 2, 3, 4}, []int{4}, true),
	}
}

func writeNPZ(t *testing.T, arrays map[string]any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "weights.npz")
	if err := npz.Write(p, arrays); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNPZRoundTrip(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.cnn")
	if err := os.WriteFile(model, []byte(roundTripModel), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Load(model, Options{Weights: writeNPZ(t, roundTripArrays())})
	if err != nil {
		t.Fatal(err)
	}
	w := constOf(t, g, "conv2d/kernel")
	if !w.Shape.Equal(ir.Shape{2, 3, 2, 3}) || w.DType != ir.Float32 {
		t.Fatalf("conv kernel %v %v, want f32[2,3,2,3] (OIHW)", w.DType, w.Shape)
	}
	for o := 0; o < 2; o++ {
		for i := 0; i < 3; i++ {
			for h := 0; h < 2; h++ {
				for x := 0; x < 3; x++ {
					got := w.Floats[((o*3+i)*2+h)*3+x]
					if want := float64(1000*h + 100*x + 10*i + o); got != want {
						t.Fatalf("W[o=%d,i=%d,h=%d,w=%d] = %v, want %v", o, i, h, x, got, want)
					}
				}
			}
		}
	}
	eq := func(name string, want []float64) {
		t.Helper()
		if got := constOf(t, g, name).Floats; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	eq("conv2d/bias", []float64{0.5, -0.5})
	eq("batch_normalization/gamma", []float64{2, 3})
	eq("batch_normalization/beta", []float64{0.25, 0.125})
	eq("batch_normalization/moving_mean", []float64{-1, 1})
	eq("batch_normalization/moving_variance", []float64{4, 9})
	eq("dense/kernel", seq(18*4, func(i int) float64 { return float64(i) / 8 }))
	eq("dense/bias", []float64{1, 2, 3, 4})
	if s := constOf(t, g, "dense/kernel").Shape; !s.Equal(ir.Shape{18, 4}) {
		t.Errorf("dense kernel shape %v, want [18,4] (in, out)", s)
	}
}

func TestNPZErrors(t *testing.T) {
	f, err := Parse("m.cnn", []byte(roundTripModel))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(a map[string]any)
		want   string
	}{
		{"missing", func(a map[string]any) { delete(a, "dense/bias") },
			`m.cnn:6:11: layer "dense" (Dense): weights file WEIGHTS has no array "dense/bias"; it has dense/kernel`},
		{"missing layer", func(a map[string]any) {
			for k := range a {
				if strings.HasPrefix(k, "dense/") {
					a["dense_7"+strings.TrimPrefix(k, "dense")] = a[k]
					delete(a, k)
				}
			}
		}, `m.cnn:6:11: layer "dense" (Dense): weights file WEIGHTS has no array "dense/kernel"; its arrays are for layers batch_normalization, conv2d, dense_7; did you mean dense_7?`},
		{"wrong shape", func(a map[string]any) { a["conv2d/kernel.npy"] = nest(make([]float64, 18), []int{3, 3, 1, 2}, true) },
			`m.cnn:3:11: layer "conv2d" (Conv2D): array "conv2d/kernel" in WEIGHTS has shape (3, 3, 1, 2), the layer needs (2, 3, 3, 2) (kernel height, kernel width, input channels, filters)`},
		{"dense transposed", func(a map[string]any) { a["dense/kernel"] = nest(make([]float64, 72), []int{4, 18}, true) },
			`m.cnn:6:11: layer "dense" (Dense): array "dense/kernel" in WEIGHTS has shape (4, 18), the layer needs (18, 4) (input features, units)`},
		{"integer array", func(a map[string]any) { a["dense/bias"] = []int32{1, 2, 3, 4} },
			`m.cnn:6:11: layer "dense" (Dense): array "dense/bias" in WEIGHTS holds <i4 elements; want float32 or float64`},
		{"not finite", func(a map[string]any) { a["dense/bias"] = []float32{1, float32(math.NaN()), 3, 4} },
			`m.cnn:6:11: layer "dense" (Dense): array "dense/bias" in WEIGHTS holds NaN at flat index 1`},
		{"unused", func(a map[string]any) { a["dense_1/kernel"] = []float32{1}; a["extra"] = []float32{1} },
			`dsl: weights WEIGHTS: 2 arrays match no layer weight of the model: "dense_1/kernel", "extra"`},
		{"duplicate", func(a map[string]any) { a["dense/bias.npy"] = []float32{1, 2, 3, 4} },
			`dsl: weights WEIGHTS: arrays "dense/bias" and "dense/bias.npy" both hold dense/bias`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := roundTripArrays()
			tt.modify(a)
			p := writeNPZ(t, a)
			_, err := Build(f, Options{Weights: p})
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.ReplaceAll(err.Error(), p, "WEIGHTS")
			// Map order decides which of two duplicates is seen first.
			got = strings.Replace(got, `arrays "dense/bias.npy" and "dense/bias" both`, `arrays "dense/bias" and "dense/bias.npy" both`, 1)
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if _, err := Build(f, Options{Weights: filepath.Join(t.TempDir(), "none.npz")}); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing file: %v", err)
	}
}

func TestFortranToC(t *testing.T) {
	// [[1 2 3] [4 5 6]] stored column by column.
	if got := fortranToC([]float64{1, 4, 2, 5, 3, 6}, []int{2, 3}); !reflect.DeepEqual(got, []float64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("2-D: %v", got)
	}
	// A [2,2,2] array whose element [a,b,c] is 100a+10b+c; column-major
	// offset is a + 2b + 4c.
	f := make([]float64, 8)
	for a := 0; a < 2; a++ {
		for b := 0; b < 2; b++ {
			for c := 0; c < 2; c++ {
				f[a+2*b+4*c] = float64(100*a + 10*b + c)
			}
		}
	}
	want := []float64{0, 1, 10, 11, 100, 101, 110, 111}
	if got := fortranToC(f, []int{2, 2, 2}); !reflect.DeepEqual(got, want) {
		t.Errorf("3-D: %v", got)
	}
}
