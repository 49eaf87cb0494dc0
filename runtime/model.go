package runtime

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// The machinery every generated model shares: the version guard, the
// weights check and decoding, input and output validation, the Run and
// RunBatch loops and the worker pool. A generated package holds only what
// is specific to its model (its Spec, the layers of forward, the packing
// of its weights) and calls these.

// Version is the version of the contract between generated code and this
// package: the names, signatures and meaning of everything generated code
// calls. MinVersion is the oldest generated code this runtime still
// serves. cnnc writes its own Version into every package it generates.
//
// Version 2 added the int8 kernels (QGemm, QConv, QLookup, ArenaBytes and
// the rest) and ConvGroups, and changed the pooling and ScaleShift
// kernels to read and write rows at a stride; code generated for version 1
// is not served (regenerate it). Version 3 added SigmoidORT and
// QRequant.Signed, which generated code sets for int8 average pools; it
// still serves version 2. Version 4 added Epilogue.Pre (Prologue) and
// PrologueWorkSize, which generated code uses for a BatchNormalization
// fused into the 1x1 convolution it feeds; it still serves 2 and 3.
// Version 5 added ConvNCHW, PackStem and ConvNCHWWorkSize, for a first
// convolution that reads the model's channels-first image, and
// Pool.GlobalAvgPool; it still serves 2 to 4.
const (
	Version    = 5
	MinVersion = 2
)

// EnforceVersion makes an incompatible pairing of generated code and
// runtime fail to build. A package generated for contract version V
// declares
//
//	const _ = runtime.EnforceVersion(V - runtime.MinVersion)
//	const _ = runtime.EnforceVersion(runtime.Version - V)
//
// so that a runtime too new (MinVersion > V) or too old (Version < V)
// makes one of the constants negative, which does not convert to an
// unsigned type: the build stops at that line, where a comment says to
// regenerate the package or to update github.com/cnnc/cnnc.
type EnforceVersion uint

// TensorInfo describes one input or output of a generated model.
type TensorInfo struct {
	Name   string // the name in the source model
	Shape  []int  // dimension 0 is -1 when it is the batch
	Layout string // "NCHW", "NHWC" or "" when not an image
}

// Len is the element count of one batch item (dimension 0 counts 1 when it
// is the batch).
func (t TensorInfo) Len() int {
	n := 1
	for i, d := range t.Shape {
		if i == 0 && d < 0 {
			continue
		}
		n *= d
	}
	return n
}

// Spec describes a generated model to the runtime. Each generated package
// declares one as a package-level variable; it is never modified.
type Spec struct {
	// Package is the generated package's name, the prefix of its errors.
	Package         string
	Inputs, Outputs []TensorInfo
	// Batched is set when dimension 0 of the inputs is a batch of any
	// size, which RunBatch runs.
	Batched bool
	// ArenaLen is the float32 working memory of one item; LocalLen, that
	// of the front layers, which a batched model's forward pass runs one
	// item at a time and which every item reuses. A forward pass of n
	// items needs LocalLen + n*ArenaLen.
	ArenaLen, LocalLen int
	// WeightsLen and WeightsSHA256 describe the embedded weights file: its
	// length in float32 values and the hex SHA-256 of its bytes.
	WeightsLen    int
	WeightsSHA256 string
	// Windows lists the geometry of every convolution and pool, checked
	// once when the weights load.
	Windows []*Window
	// Threads is the number of goroutines a new Model runs on (1 or 0: the
	// caller's only).
	Threads int
	// Layers lists the layers of a package generated for profiling.
	Layers []Layer
	// MaxBatch is the most items one forward pass of a batched model
	// computes; RunBatch splits larger batches. Working memory grows to
	// MaxBatch*ArenaLen at most. 0 means 1.
	MaxBatch int
}

// Weights decodes a generated package's embedded weights once and shares
// the result, read-only, among all its Models. W is the package's struct
// of decoded and packed weights. The zero value is ready to use.
type Weights[W any] struct {
	once sync.Once
	w    *W
	err  error
}

// Load returns the decoded weights, decoding them on the first call: it
// checks data's length and SHA-256 against spec, decodes the little-endian
// float32 values, checks spec.Windows and hands the values to unpack,
// which builds the package's weights (packing the GEMM panels). A damaged
// file gives the same error on every call.
func (l *Weights[W]) Load(spec *Spec, data []byte, unpack func(all []float32) *W) (*W, error) {
	l.once.Do(func() {
		if len(data) != 4*spec.WeightsLen {
			l.err = fmt.Errorf("%s: the weights file holds %d bytes, want %d", spec.Package, len(data), 4*spec.WeightsLen)
			return
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != spec.WeightsSHA256 {
			l.err = errors.New(spec.Package + ": the weights file is corrupt (SHA-256 mismatch); regenerate the package")
			return
		}
		for _, w := range spec.Windows {
			if err := w.Check(); err != nil {
				l.err = fmt.Errorf("%s: %w", spec.Package, err)
				return
			}
		}
		all := make([]float32, spec.WeightsLen)
		for i := range all {
			all[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		l.w = unpack(all)
	})
	return l.w, l.err
}

// CopyOf returns a copy of s that shares no memory with it, so that the
// decoded weights array can be freed once the panels are packed.
func CopyOf(s []float32) []float32 { return append([]float32(nil), s...) }

// Int32s converts an index table that generated code keeps among its
// weights, as float32 values (exact below 2^24), to integers.
func Int32s(s []float32) []int32 {
	out := make([]int32, len(s))
	for i, v := range s {
		out[i] = int32(v)
	}
	return out
}

// Inf returns +Inf for sign >= 0 and -Inf otherwise, as a float32 (Go has
// no infinite constants for generated code to write).
func Inf(sign int) float32 { return float32(math.Inf(sign)) }

// NaN returns a float32 NaN.
func NaN() float32 { return float32(math.NaN()) }

// Model is the run-time state of one instance of a generated model: its
// working memory, its worker pool and its outputs. A generated Model embeds
// one and forwards its exported methods to it. It is not safe for
// concurrent use.
type Model struct {
	spec *Spec
	err  error
	// Arena is the working memory the memory plan lays values out in.
	Arena []float32
	// Work is kernel scratch (im2col chunks, Winograd tiles), sized for
	// the Pool's threads.
	Work []float32
	// Pool runs the kernels on several goroutines; nil runs them on the
	// caller's.
	Pool *Pool
	// Outs holds one slice per output, where forward leaves its results
	// (in the arena or in buffers of their own).
	Outs [][]float32

	inLens, outLens []int
	item            [][]float32 // RunBatch's inputs of one chunk of items
	own             [][]float32 // output buffers of outputs not in the arena
	prof            *profile
	forward         func(n int, in [][]float32)
	workSize        func(p *Pool) int
}

// Init prepares m for spec. err, if not nil, is the weights' load error:
// every later call returns it. forward computes n batch items (1 unless
// the model is batched) from the inputs, n items each, into m.Outs;
// workSize returns the kernel scratch a Pool needs. Init allocates the
// arena for one item and the scratch; later calls allocate only when
// SetThreads needs more scratch or RunBatch first sees a larger batch.
func (m *Model) Init(spec *Spec, err error, forward func(n int, in [][]float32), workSize func(p *Pool) int) {
	m.spec, m.err, m.forward, m.workSize = spec, err, forward, workSize
	if err != nil {
		return
	}
	m.inLens = make([]int, len(spec.Inputs))
	for i, t := range spec.Inputs {
		m.inLens[i] = t.Len()
	}
	m.outLens = make([]int, len(spec.Outputs))
	for i, t := range spec.Outputs {
		m.outLens[i] = t.Len()
	}
	m.item = make([][]float32, len(spec.Inputs))
	m.Arena = make([]float32, spec.LocalLen+spec.ArenaLen)
	m.Outs = make([][]float32, len(spec.Outputs))
	m.own = make([][]float32, len(spec.Outputs))
	m.SetThreads(spec.Threads)
}

// Err returns the error every call of an unusable Model returns (damaged
// weights), or nil.
func (m *Model) Err() error { return m.err }

// SetThreads makes the kernels run on n goroutines (1 runs everything on
// the caller's). Call Close when done with a Model that has more than one
// thread.
func (m *Model) SetThreads(n int) {
	if m.err != nil {
		return
	}
	m.Close()
	if n > 1 {
		m.Pool = NewPool(n)
	}
	if w := m.workSize(m.Pool); w > len(m.Work) {
		m.Work = make([]float32, w)
	}
}

// Close stops the goroutines SetThreads started; the Model stays usable,
// on one thread.
func (m *Model) Close() {
	if m.Pool != nil {
		m.Pool.Close()
		m.Pool = nil
	}
}

// Check reports the Model's load error, or an error for inputs that do
// not fit: one per spec input, each one batch item long. The generated Run
// calls it and then its own forward directly, so that escape analysis
// sees the inputs go nowhere and Run allocates nothing.
func (m *Model) Check(inputs [][]float32) error {
	if m.err != nil {
		return m.err
	}
	if len(inputs) != len(m.inLens) {
		return fmt.Errorf("%s: got %d inputs, want %d", m.spec.Package, len(inputs), len(m.inLens))
	}
	for i, in := range inputs {
		if len(in) != m.inLens[i] {
			t := m.spec.Inputs[i]
			return fmt.Errorf("%s: input %d (%q) has %d values, want %d (shape %v)", m.spec.Package, i, t.Name, len(in), m.inLens[i], t.Shape)
		}
	}
	return nil
}

// CheckOne is Check for Predict: a model with one input and one output,
// given one batch item.
func (m *Model) CheckOne(input []float32) error {
	if m.err != nil {
		return m.err
	}
	if len(m.inLens) != 1 || len(m.outLens) != 1 {
		return fmt.Errorf("%s: Predict needs a model with one input and one output; use Run", m.spec.Package)
	}
	if len(input) != m.inLens[0] {
		return fmt.Errorf("%s: input has %d values, want %d (shape %v)", m.spec.Package, len(input), m.inLens[0], m.spec.Inputs[0].Shape)
	}
	return nil
}

// RunBatch runs a batch of n items: inputs[i] holds n items of input i back
// to back and outputs[i] receives n items of output i, so it must have room
// for exactly that. A model whose batch is fixed takes n = 1 only.
func (m *Model) RunBatch(inputs, outputs [][]float32) error {
	if m.err != nil {
		return m.err
	}
	p := m.spec.Package
	if len(inputs) != len(m.inLens) || len(outputs) != len(m.outLens) {
		return fmt.Errorf("%s: got %d inputs and %d outputs, want %d and %d", p, len(inputs), len(outputs), len(m.inLens), len(m.outLens))
	}
	n := 1
	if len(m.inLens) > 0 && m.inLens[0] > 0 {
		n = len(inputs[0]) / m.inLens[0]
	}
	for i, in := range inputs {
		if len(in) != n*m.inLens[i] {
			return fmt.Errorf("%s: input %d (%q) has %d values, want a multiple of %d, the same number of items as input 0", p, i, m.spec.Inputs[i].Name, len(in), m.inLens[i])
		}
	}
	if n != 1 && !m.spec.Batched {
		return fmt.Errorf("%s: the model's batch is fixed; got %d items", p, n)
	}
	for i, out := range outputs {
		if len(out) != n*m.outLens[i] {
			return fmt.Errorf("%s: output %d (%q) has room for %d values, want %d for %d items", p, i, m.spec.Outputs[i].Name, len(out), n*m.outLens[i], n)
		}
	}
	chunk := max(m.spec.MaxBatch, 1)
	for b := 0; b < n; b += chunk {
		k := min(chunk, n-b)
		m.reserve(k)
		for i, in := range inputs {
			m.item[i] = in[b*m.inLens[i] : (b+k)*m.inLens[i]]
		}
		m.forward(k, m.item)
		for i, out := range m.Outs {
			copy(outputs[i][b*m.outLens[i]:(b+k)*m.outLens[i]], out)
		}
	}
	clear(m.item) // do not keep the caller's memory alive
	return nil
}

// reserve makes the arena hold n items of every value (a batched model's
// values lie item after item, each in its own stretch of n items).
func (m *Model) reserve(n int) {
	if need := m.spec.LocalLen + n*m.spec.ArenaLen; len(m.Arena) < need {
		m.Arena = make([]float32, need)
	}
}

// Own returns output i's own buffer, of n values: the place of an output
// the arena does not hold (a constant or an input passed through). It
// allocates only when n exceeds what it has had before.
func (m *Model) Own(i, n int) []float32 {
	if len(m.own[i]) < n {
		m.own[i] = make([]float32, n)
	}
	return m.own[i][:n]
}

// Shared runs a generated model from many goroutines at once. It keeps a
// free list of Models (of type M, made by the constructor given to
// NewShared) and lends one to each call, so a server allocates a Model only
// when more calls overlap than ever before, never per call.
type Shared[M any] struct {
	mu    sync.Mutex
	free  []*M
	newFn func() *M
}

// NewShared returns a Shared that makes Models with newModel.
func NewShared[M any](newModel func() *M) *Shared[M] {
	return &Shared[M]{newFn: newModel}
}

// Get lends a Model; give it back with Put.
func (s *Shared[M]) Get() *M {
	s.mu.Lock()
	if k := len(s.free); k > 0 {
		m := s.free[k-1]
		s.free = s.free[:k-1]
		s.mu.Unlock()
		return m
	}
	s.mu.Unlock()
	return s.newFn()
}

// Put returns a Model that Get lent.
func (s *Shared[M]) Put(m *M) {
	s.mu.Lock()
	s.free = append(s.free, m)
	s.mu.Unlock()
}

// Copy copies each of src into dst, which must have the same shape, and
// reports a mismatch instead of copying part of it. Shared's callers use
// it to hand a lent Model's outputs to the caller's slices.
func Copy(pkg string, dst, src [][]float32) error {
	if len(dst) != len(src) {
		return fmt.Errorf("%s: got %d output slices, want %d", pkg, len(dst), len(src))
	}
	for i := range src {
		if len(dst[i]) != len(src[i]) {
			return fmt.Errorf("%s: output slice %d has room for %d values, want %d", pkg, i, len(dst[i]), len(src[i]))
		}
	}
	for i := range src {
		copy(dst[i], src[i])
	}
	return nil
}

// Layer describes one layer of a generated model for cnnc bench -layers:
// packages generated with profiling list their layers in Spec.Layers and
// call Model.Tick after each.
type Layer struct {
	Name, Op string
	Shape    []int  // output shape, batch dimension as 1
	MACs     int64  // multiply-accumulates per item, 0 for ops without
	Kernel   string // which kernel the code generator chose
}

// profile accumulates the time spent in each layer.
type profile struct {
	last time.Time
	ns   []int64
	runs int
}

// StartProfile begins timing a forward pass; generated profiling code
// calls it first in forward. Without a profile (the Model was not
// profiled with EnableProfile) it does nothing.
func (m *Model) StartProfile() {
	if m.prof != nil {
		m.prof.runs++
		m.prof.last = time.Now()
	}
}

// Tick ends layer k's timing and starts the next one's.
func (m *Model) Tick(k int) {
	if p := m.prof; p != nil {
		now := time.Now()
		p.ns[k] += int64(now.Sub(p.last))
		p.last = now
	}
}

// EnableProfile makes the Model time its layers from now on (only packages
// generated for profiling have the calls that do it).
func (m *Model) EnableProfile() {
	m.prof = &profile{ns: make([]int64, len(m.spec.Layers))}
}

// LayerTime is a layer and its mean time per forward pass.
type LayerTime struct {
	Layer
	Seconds float64
}

// Profile returns each layer's mean time per forward pass since
// EnableProfile, in layer order.
func (m *Model) Profile() []LayerTime {
	if m.prof == nil || m.prof.runs == 0 {
		return nil
	}
	out := make([]LayerTime, len(m.spec.Layers))
	for i, l := range m.spec.Layers {
		out[i] = LayerTime{Layer: l, Seconds: float64(m.prof.ns[i]) / 1e9 / float64(m.prof.runs)}
	}
	return out
}
