package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// RuntimeVersion is the version of the contract with package runtime that
// generated code is written for (runtime.Version; a test keeps the two
// equal). Generated packages enforce it at compile time.
const RuntimeVersion = 5

// batched reports whether the model's inputs have a symbolic batch
// dimension, so that the generated code runs any number of items.
func (gen *gen) batched() bool {
	for _, v := range gen.g.Inputs {
		if len(v.Shape) > 0 && v.Shape[0] == ir.Batch {
			return true
		}
	}
	return false
}

func tensorInfo(v *ir.Value) string {
	dims := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		dims[i] = strconv.Itoa(d)
	}
	layout := ""
	if v.Layout != ir.LayoutAny {
		layout = v.Layout.String()
	}
	return fmt.Sprintf("{Name: %s, Shape: []int{%s}, Layout: %s}", strconv.Quote(v.Name), strings.Join(dims, ", "), strconv.Quote(layout))
}

// modelFile assembles model.go around the code the emitters wrote. What
// every model shares (checking and decoding the weights, validating
// inputs, the batch loop, threads) is in package runtime; this file holds
// the model's description, its weights' unpacking and its layers.
func (gen *gen) modelFile() ([]byte, error) {
	f := gen.file
	rt := f.Import(RuntimeImport)
	f.BlankImport("embed")
	f.header = gen.packageDoc()
	gen.versionGuard(rt)
	gen.describe(rt)
	gen.specAndWeights(rt)
	gen.modelType()
	gen.methods(rt)
	gen.forward()
	return f.Bytes()
}

// single reports whether the model has one input and one output, which
// gives it Predict and PredictBatch.
func (gen *gen) single() bool { return len(gen.g.Inputs) == 1 && len(gen.g.Outputs) == 1 }

// packageDoc is the package comment: what the package runs, how to call
// it, and the model's summary table.
func (gen *gen) packageDoc() string {
	var doc strings.Builder
	fmt.Fprintf(&doc, "// Package %s runs the model %s", gen.pkg, strconv.Quote(gen.g.Name))
	if gen.opts.Source != "" {
		fmt.Fprintf(&doc, " (%s)", comment(gen.opts.Source))
	}
	call, batchCall := "Run", "RunBatch"
	if gen.single() {
		call, batchCall = "Predict", "PredictBatch"
	}
	fmt.Fprintf(&doc, ", compiled by cnnc into plain Go.\n//\n// Create a Model with New and call %s. Inputs and outputs are flat float32\n// slices in the model's own layout, described by Inputs and Outputs", call)
	if gen.batched() {
		fmt.Fprintf(&doc, "; dimension\n// 0 is the batch, one item per call or any number per %s", batchCall)
	}
	doc.WriteString(". A Model is for one\n// goroutine at a time; Shared serves many.\n")
	if gen.opts.Summary != "" {
		doc.WriteString("//\n")
		for _, l := range strings.Split(strings.TrimRight(gen.opts.Summary, "\n"), "\n") {
			fmt.Fprintf(&doc, "//\t%s\n", l)
		}
	}
	return doc.String()
}

// versionGuard makes the package fail to build against a runtime whose
// contract it does not follow (see runtime.EnforceVersion).
func (gen *gen) versionGuard(rt string) {
	f := gen.file
	f.Pf(`// This package was generated for version %d of the contract between cnnc's
// generated code and its runtime. If one of these lines fails to build, the
// github.com/cnnc/cnnc module your build uses is too old or too new for it:
// regenerate the package with that module's cnnc, or require the version of
// github.com/cnnc/cnnc that generated it.
const (
	_ = %s.EnforceVersion(%d - %s.MinVersion)
	_ = %s.EnforceVersion(%s.Version - %d)
)
`, RuntimeVersion, rt, RuntimeVersion, rt, rt, rt, RuntimeVersion)
}

// describe writes Inputs, Outputs, the element counts and Batched.
func (gen *gen) describe(rt string) {
	g, f := gen.g, gen.file
	f.P("// Inputs describes the model's inputs, in the order Run takes them.")
	f.Pf("var Inputs = []%s.TensorInfo{", rt)
	for _, v := range g.Inputs {
		f.Pf("\t%s,", tensorInfo(v))
	}
	f.P("}\n")
	f.P("// Outputs describes the model's outputs, in the order Run returns them.")
	f.Pf("var Outputs = []%s.TensorInfo{", rt)
	for _, v := range g.Outputs {
		f.Pf("\t%s,", tensorInfo(v))
	}
	f.P("}\n")
	item := "the model's fixed batch"
	if gen.batched() {
		item = "one batch item"
	}
	f.Pf("// Element counts of %s of each input and output.\nconst (", item)
	if gen.single() {
		f.Pf("\tInputLen  = %d", numel(g.Inputs[0].Shape))
		f.Pf("\tOutputLen = %d", numel(g.Outputs[0].Shape))
	} else {
		for i, v := range g.Inputs {
			f.Pf("\tInput%dLen = %d // %s", i, numel(v.Shape), comment(v.Name))
		}
		for i, v := range g.Outputs {
			f.Pf("\tOutput%dLen = %d // %s", i, numel(v.Shape), comment(v.Name))
		}
	}
	f.P(")\n")
	batchFn := "RunBatch"
	if gen.single() {
		batchFn = "PredictBatch"
	}
	f.Pf("// Batched reports whether dimension 0 of the inputs is a batch of any size\n// (run with %s) rather than fixed.\nconst Batched = %v\n", batchFn, gen.batched())
}

// specAndWeights writes the runtime.Spec, the layers' geometry, the
// weights struct and the function that unpacks the embedded weights.
func (gen *gen) specAndWeights(rt string) {
	g, f := gen.g, gen.file
	f.Pf("//go:embed %s\nvar weightsBin []byte\n", weightsFile)
	f.P("var spec = ", rt, ".Spec{")
	f.Pf("\tPackage:       %s,", strconv.Quote(gen.pkg))
	f.P("\tInputs:        Inputs,")
	f.P("\tOutputs:       Outputs,")
	f.Pf("\tBatched:       %v,", gen.batched())
	f.Pf("\tArenaLen:      %d, // float32 values of working memory per item", g.Plan.Size)
	if g.Plan.LocalSize > 0 {
		f.Pf("\tLocalLen:      %d, // float32 values the front layers reuse for every item", g.Plan.LocalSize)
	}
	f.Pf("\tWeightsLen:    %d, // float32 values in %s", gen.blob.Len()/4, weightsFile)
	f.Pf("\tWeightsSHA256: %s,", strconv.Quote(gen.weightsHash()))
	if len(gen.windows) > 0 {
		refs := make([]string, len(gen.windows))
		for i, id := range gen.windows {
			refs[i] = "&" + id
		}
		f.Pf("\tWindows:       []*%s.Window{%s},", rt, strings.Join(refs, ", "))
	}
	f.Pf("\tThreads:       %d,", max(gen.opts.Threads, 1))
	if gen.batched() {
		f.Pf("\tMaxBatch:      %d, // items per forward pass in RunBatch", gen.maxBatch())
	}
	if gen.opts.Profile {
		f.Pf("\tLayers: []%s.Layer{", rt)
		for _, l := range gen.layers {
			f.P("\t\t", l, ",")
		}
		f.P("\t},")
	}
	f.P("}\n")
	f.body.WriteString(gen.decls.String())
	f.P("// weights are decoded and packed once and shared, read-only, by all Models.")
	f.P("type weights struct {")
	f.body.WriteString(gen.wfields.String())
	f.P("}\n")
	f.Pf("var loaded %s.Weights[weights]\n", rt)
	f.P("func unpack(all []float32) *weights {\n\tw := new(weights)")
	f.body.WriteString(gen.wload.String())
	f.P("\treturn w\n}\n")
}

// modelType writes Model, New and workSize.
func (gen *gen) modelType() {
	f := gen.file
	f.P(`// Model runs the network. It owns its working memory, so it is not safe for
// concurrent use: make one Model per goroutine, or use Shared. New is cheap:
// all Models share the weights, which are decoded and checked once.
type Model struct {
	rt runtime.Model
	w  *weights`)
	f.body.WriteString(gen.mfields.String())
	f.P(`}

// New returns a Model. If the embedded weights are damaged, every call on
// the Model returns the error.
func New() *Model {
	m := new(Model)
	w, err := loaded.Load(&spec, weightsBin, unpack)
	m.w = w
	m.rt.Init(&spec, err, m.forward, workSize)
	if err != nil {
		return m
	}`)
	f.body.WriteString(gen.mnew.String())
	f.P("\treturn m\n}\n")
	f.P("// workSize is the kernel scratch one Model needs on pool: an im2col chunk or")
	f.P("// Winograd tiles per thread.")
	f.P("func workSize(p *runtime.Pool) int {")
	var sizes []string
	seen := map[string]bool{}
	for _, w := range gen.work {
		if !seen[w] {
			seen[w] = true
			sizes = append(sizes, w)
		}
	}
	switch len(sizes) {
	case 0:
		f.P("\treturn 0")
	case 1:
		f.P("\treturn ", sizes[0])
	default:
		f.P("\treturn max(")
		for _, s := range sizes {
			f.P("\t\t", s, ",")
		}
		f.P("\t)")
	}
	f.P("}\n")
}

// methods writes the exported API: thin methods over runtime.Model, and
// Shared.
func (gen *gen) methods(rt string) {
	f := gen.file
	f.P(methodsRun)
	if gen.single() {
		f.P(methodPredict)
	}
	if gen.batched() {
		f.P(methodRunBatch)
		if gen.single() {
			f.P(methodPredictBatch)
		}
	}
	f.P(strings.ReplaceAll(typeShared, "runtime.", rt+"."))
	if gen.single() {
		f.P(methodSharedPredict)
	}
	if gen.opts.Profile {
		f.P(methodsProfile)
	}
}

// forward writes the layers, declaring only the locals they use.
func (gen *gen) forward() {
	f := gen.file
	body := gen.body.String()
	code := codeOnly(body)
	if gen.batched() {
		f.P("// forward runs the layers on n batch items, reading the inputs m.rt.Run or")
		f.P("// m.rt.RunBatch checked (n items each) and leaving the outputs in m.rt.Outs.")
	} else {
		f.P("// forward runs the layers, reading the inputs m.rt.Run checked and leaving")
		f.P("// the outputs in m.rt.Outs; n is always 1.")
	}
	f.P("func (m *Model) forward(n int, in [][]float32) {")
	for i := range gen.g.Inputs {
		if id := "in" + strconv.Itoa(i); usesIdent(code, id) {
			f.Pf("\t%s := in[%d]", id, i)
		}
	}
	if usesIdent(code, "w") {
		f.P("\tw := m.w")
	}
	switch L := gen.g.Plan.LocalSize; {
	case L == 0 && usesIdent(code, "a"):
		f.P("\ta := m.rt.Arena")
	case L > 0:
		if usesIdent(code, "l") {
			f.Pf("\tl := m.rt.Arena[:%d]", L)
		}
		if usesIdent(code, "a") {
			f.Pf("\ta := m.rt.Arena[%d:]", L)
		}
	}
	// The 8-bit codes and int32 sums of quantized layers live in the same
	// regions, seen as bytes and as int32 values.
	L := gen.g.Plan.LocalSize
	for _, v := range []struct{ id, fn, region string }{
		{"ab", "ArenaBytes", fmt.Sprintf("m.rt.Arena[%d:]", L)}, {"ai", "ArenaInt32s", fmt.Sprintf("m.rt.Arena[%d:]", L)},
		{"lb", "ArenaBytes", fmt.Sprintf("m.rt.Arena[:%d]", L)}, {"li", "ArenaInt32s", fmt.Sprintf("m.rt.Arena[:%d]", L)},
	} {
		if usesIdent(code, v.id) {
			f.Pf("\t%s := runtime.%s(%s)", v.id, v.fn, strings.Replace(v.region, "[0:]", "", 1))
		}
	}
	if gen.opts.Profile {
		f.P("\tm.rt.StartProfile()")
	}
	f.body.WriteString(body)
	f.P("}")
}

// The methods every generated Model has, as written.
const (
	methodsRun = `// SetThreads makes the layers run on n goroutines (1 runs everything on the
// caller's). Call Close when done with a Model that has more than one thread.
func (m *Model) SetThreads(n int) { m.rt.SetThreads(n) }

// Close stops the goroutines SetThreads started; the Model stays usable, on
// one thread.
func (m *Model) Close() { m.rt.Close() }

// Run computes the outputs for the given inputs (one per entry of Inputs,
// each of its full length). The returned slices belong to the Model and are
// overwritten by the next call. A wrong number or size of inputs is an
// error; Run never panics on them.
func (m *Model) Run(inputs ...[]float32) ([][]float32, error) {
	if err := m.rt.Check(inputs); err != nil {
		return nil, err
	}
	m.forward(1, inputs)
	return m.rt.Outs, nil
}
`
	methodPredict = `// Predict computes the output for one input of InputLen values. The
// returned slice belongs to the Model and is overwritten by the next call.
// An input of the wrong size is an error; Predict never panics on it.
func (m *Model) Predict(input []float32) ([]float32, error) {
	if err := m.rt.CheckOne(input); err != nil {
		return nil, err
	}
	m.forward(1, [][]float32{input})
	return m.rt.Outs[0], nil
}
`
	methodRunBatch = `// RunBatch runs a batch of n items: inputs[i] holds n items of input i
// back to back and outputs[i] receives n items of output i, so it must have
// room for exactly that. Up to spec.MaxBatch items go through each layer
// at once (a convolution's or dense layer's GEMM covers all of them); the
// first call with more items than before allocates their working memory.
func (m *Model) RunBatch(inputs, outputs [][]float32) error { return m.rt.RunBatch(inputs, outputs) }
`
	methodPredictBatch = `// PredictBatch runs len(src)/InputLen items and writes their outputs to
// dst, which must hold exactly as many items of OutputLen values.
func (m *Model) PredictBatch(dst, src []float32) error {
	return m.rt.RunBatch([][]float32{src}, [][]float32{dst})
}
`
	typeShared = `// Shared runs the model from many goroutines at once, as a server's handlers
// do: each call borrows a Model from a free list and returns it, so Models
// are made only when more calls overlap than before, never per call.
type Shared struct{ s *runtime.Shared[Model] }

// NewShared returns a Shared; it makes its first Model on first use.
func NewShared() *Shared { return &Shared{runtime.NewShared(New)} }

// Run computes the outputs for the inputs into outputs, one slice per entry
// of Outputs, each of its full length. It is safe for concurrent use.
func (s *Shared) Run(outputs [][]float32, inputs ...[]float32) error {
	m := s.s.Get()
	defer s.s.Put(m)
	got, err := m.Run(inputs...)
	if err != nil {
		return err
	}
	return runtime.Copy(spec.Package, outputs, got)
}
`
	methodsProfile = `// EnableProfile makes the Model time each layer from now on.
func (m *Model) EnableProfile() { m.rt.EnableProfile() }

// Profile returns each layer's mean time per forward pass since
// EnableProfile.
func (m *Model) Profile() []runtime.LayerTime { return m.rt.Profile() }
`
	methodSharedPredict = `// Predict computes the output for one input into dst, which must hold
// OutputLen values. It is safe for concurrent use.
func (s *Shared) Predict(dst, input []float32) error {
	return s.Run([][]float32{dst}, input)
}
`
)

// maxBatch is how many items a forward pass of a batched model computes at
// most: up to 32, as long as the layers after the front (which run over
// all of them at once) keep a working set of a few of their largest
// outputs within 16 MiB, and the whole arena within 256 MiB.
func (gen *gen) maxBatch() int {
	back := (4 << 20) / (3 * 4 * gen.backPeak())
	arena := (256 << 20) / (max(gen.g.Plan.Size, 1) * 4)
	return max(1, min(32, back, arena))
}

// codeOnly drops the comment lines of generated statements, so that names
// in comments do not count as uses.
func codeOnly(body string) string {
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
