package dsl

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"

	"codeberg.org/sbinet/npyio/npz"
)

// weightSource supplies a layer's weights in Keras' layout and shape.
type weightSource interface {
	// get returns the weight param of layer l, shaped shape (Keras'
	// layout: HWIO for a Conv2D kernel, (in, out) for a Dense kernel).
	// init, fanIn and fanOut say how to make it up when there is no file.
	get(l *layer, param string, shape []int, init string, fanIn, fanOut int) ([]float64, error)
	// finish reports weights that were supplied but not used.
	finish() error
}

// initWeights makes up weights as a freshly built Keras model has them:
// kernels from the named initializer (Glorot-uniform by default), biases
// and betas zero, gammas and variances one.
//
// Each weight draws from its own PCG stream, seeded by Options.Seed and the
// weight's name (conv2d/kernel), so adding a layer leaves the others'
// values alone. The values are deterministic but are not those Keras' own
// random generator would give.
type initWeights struct{ seed int64 }

func (w *initWeights) get(l *layer, param string, shape []int, init string, fanIn, fanOut int) ([]float64, error) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float64, n)
	var limit float64
	switch init {
	case "zeros":
		return data, nil
	case "ones":
		for i := range data {
			data[i] = 1
		}
		return data, nil
	case "glorot_uniform":
		limit = math.Sqrt(6 / float64(fanIn+fanOut))
	case "he_uniform":
		limit = math.Sqrt(6 / float64(fanIn))
	case "lecun_uniform":
		limit = math.Sqrt(3 / float64(fanIn))
	default:
		return nil, fmt.Errorf("initializer %q is not implemented", init)
	}
	h := fnv.New64a()
	h.Write([]byte(l.name + "/" + param))
	rng := rand.New(rand.NewPCG(uint64(w.seed), h.Sum64()))
	for i := range data {
		data[i] = (2*rng.Float64() - 1) * limit
	}
	return data, nil
}

func (w *initWeights) finish() error { return nil }

// npzWeights reads weights from a Keras-compatible .npz: one array per
// weight, named layer/param (numpy's savez adds .npy to each; a Keras
// variable name's :0 suffix is accepted too), float32 or float64.
type npzWeights struct {
	path string
	r    *npz.Reader
	keys map[string]string // weight name -> archive entry
	used map[string]bool
}

func openNPZ(path string) (*npzWeights, error) {
	// The archive is read into memory first: npyio reads an array a few
	// bytes at a time, which on the file itself is a system call per
	// element (over a second for the 1.2M weights of the MNIST example),
	// and a weights file has to fit in memory anyway.
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dsl: weights: %w", err)
	}
	r, err := npz.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("dsl: weights %s: %w", path, err)
	}
	w := &npzWeights{path: path, r: r, keys: map[string]string{}, used: map[string]bool{}}
	for _, k := range r.Keys() {
		name := strings.TrimSuffix(strings.TrimSuffix(k, ".npy"), ":0")
		if prev, dup := w.keys[name]; dup {
			r.Close()
			return nil, fmt.Errorf("dsl: weights %s: arrays %q and %q both hold %s", path, prev, k, name)
		}
		w.keys[name] = k
	}
	return w, nil
}

func (w *npzWeights) close() { w.r.Close() }

func (w *npzWeights) get(l *layer, param string, shape []int, _ string, _, _ int) ([]float64, error) {
	name := l.name + "/" + param
	key, ok := w.keys[name]
	if !ok {
		return nil, fmt.Errorf("weights file %s has no array %q%s", w.path, name, w.near(l.name))
	}
	w.used[name] = true
	hdr := w.r.Header(key)
	if hdr == nil {
		return nil, fmt.Errorf("weights file %s: array %q cannot be read as a numpy array", w.path, key)
	}
	got := hdr.Descr.Shape
	if !slices.Equal(got, shape) {
		return nil, fmt.Errorf("array %q in %s has shape %s, the layer needs %s (%s)", name, w.path, tuple(got), tuple(shape), weightLayout(l, param))
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float64, n)
	// The header's descr is numpy's repr of the dtype string: '<f4'.
	dtype := strings.Trim(hdr.Descr.Type, `'"`)
	switch strings.TrimLeft(dtype, "<>|=") {
	case "f4":
		buf := make([]float32, n)
		if err := w.r.Read(key, &buf); err != nil {
			return nil, fmt.Errorf("array %q in %s: %w", name, w.path, err)
		}
		for i, v := range buf {
			data[i] = float64(v)
		}
	case "f8":
		if err := w.r.Read(key, &data); err != nil {
			return nil, fmt.Errorf("array %q in %s: %w", name, w.path, err)
		}
	default:
		return nil, fmt.Errorf("array %q in %s holds %s elements; want float32 or float64", name, w.path, dtype)
	}
	if len(shape) > 1 && hdr.Descr.Fortran {
		data = fortranToC(data, shape)
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("array %q in %s holds %v at flat index %d", name, w.path, v, i)
		}
	}
	return data, nil
}

// near lists the arrays that belong to the layer, or else all the arrays'
// layer names, to help find a naming mismatch.
func (w *npzWeights) near(layer string) string {
	var mine, layers []string
	seen := map[string]bool{}
	for name := range w.keys {
		ln, _, _ := strings.Cut(name, "/")
		if ln == layer {
			mine = append(mine, name)
		}
		if !seen[ln] {
			seen[ln] = true
			layers = append(layers, ln)
		}
	}
	switch {
	case len(mine) > 0:
		sort.Strings(mine)
		return "; it has " + strings.Join(mine, ", ")
	case len(layers) > 0:
		sort.Strings(layers)
		if len(layers) > 12 {
			layers = append(layers[:12], "...")
		}
		return "; its arrays are for layers " + strings.Join(layers, ", ") + didYouMean(layer, layers)
	}
	return "; it is empty"
}

func (w *npzWeights) finish() error {
	var unused []string
	for name, key := range w.keys {
		if !w.used[name] {
			unused = append(unused, key)
		}
	}
	if len(unused) == 0 {
		return nil
	}
	sort.Strings(unused)
	return fmt.Errorf("dsl: weights %s: %d arrays match no layer weight of the model: %s", w.path, len(unused), strings.Join(quoteAll(unused), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// weightLayout says what the dimensions of a weight mean, for messages.
func weightLayout(l *layer, param string) string {
	switch {
	case param == "kernel" && l.spec.class == "Conv2D":
		return "kernel height, kernel width, input channels, filters"
	case param == "kernel":
		return "input features, units"
	}
	return "one value per channel"
}

// fortranToC reorders column-major data of the given shape into row-major
// order.
func fortranToC(f []float64, shape []int) []float64 {
	c := make([]float64, len(f))
	idx := make([]int, len(shape))
	for i := range c {
		// idx is the row-major multi-index of i; find its column-major
		// offset.
		off, stride := 0, 1
		for a := 0; a < len(shape); a++ {
			off += idx[a] * stride
			stride *= shape[a]
		}
		c[i] = f[off]
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return c
}
