package engine_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
	"github.com/cnnc/cnnc/passes"
)

// The differential test builds random but valid graphs, compiles them all
// into generated Go (one go build) and compares each with the reference
// evaluator (rtol 1e-3, atol 1e-5). A failure prints the seed, the graph
// and the earliest value that differs; rerun it alone with
//
//	go test ./engine -run TestDifferential -diff.seed N     (or CNNC_DIFF_SEED=N; a comma-separated list works too)
//
// and add -diff.dump (CNNC_DIFF_DUMP=1) for the graph after the
// code-generation passes. -diff.count (CNNC_DIFF_COUNT) sets how many
// graphs to try (default 300, 40 with -short) and -diff.base
// (CNNC_DIFF_BASE) the first seed, so that a long run can cover seeds no
// one has tried: CNNC_DIFF_COUNT=5000 CNNC_DIFF_BASE=$RANDOM.
//
// What the code generator reports as unsupported is counted, not failed,
// and so is a mismatch that float32 rounding alone explains (see
// illConditioned).
var (
	diffSeed  = flag.String("diff.seed", "", "run the differential test on this one seed only (also CNNC_DIFF_SEED)")
	diffCount = flag.Int("diff.count", 0, "number of random graphs in the differential test (also CNNC_DIFF_COUNT)")
	diffBase  = flag.Uint64("diff.base", 0, "first seed of the differential test (also CNNC_DIFF_BASE; default 1)")
	diffDump  = flag.Bool("diff.dump", false, "also print each failing graph after the code-generation passes (also CNNC_DIFF_DUMP=1)")
)

func diffSeeds(t *testing.T) []uint64 {
	one := *diffSeed
	if one == "" {
		one = os.Getenv("CNNC_DIFF_SEED")
	}
	if one != "" {
		var seeds []uint64
		for _, f := range strings.FieldsFunc(one, func(r rune) bool { return r == ',' || r == ' ' }) {
			s, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				t.Fatalf("bad seed %q: %v", f, err)
			}
			seeds = append(seeds, s)
		}
		return seeds
	}
	n := *diffCount
	if n == 0 {
		if e := os.Getenv("CNNC_DIFF_COUNT"); e != "" {
			v, err := strconv.Atoi(e)
			if err != nil {
				t.Fatalf("CNNC_DIFF_COUNT: %v", err)
			}
			n = v
		}
	}
	if n == 0 {
		n = 300
		if testing.Short() {
			n = 40
		}
	}
	if n < 1 {
		t.Skipf("no graphs to try (count %d)", n)
	}
	base := *diffBase
	if base == 0 {
		if e := os.Getenv("CNNC_DIFF_BASE"); e != "" {
			v, err := strconv.ParseUint(e, 10, 64)
			if err != nil {
				t.Fatalf("CNNC_DIFF_BASE: %v", err)
			}
			base = v
		}
	}
	if base == 0 {
		base = 1
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = base + uint64(i)
	}
	return seeds
}

// diffCase is one random graph and what became of it.
type diffCase struct {
	seed   uint64
	g      *ir.Graph
	batch  int // the batch size it runs with
	tags   map[string]int
	err    error // from the passes, the code generator or the build
	engine engine.Engine
	// outcome
	unsupported    bool
	problem        string
	illConditioned bool // problem is rounding error that the graph amplifies
}

// TestDifferential compares the Go engine with the reference evaluator on
// random graphs: convolutions of every geometry, pools, normalizations,
// every activation, broadcasting arithmetic, reshapes, slices, pads,
// concatenations, reductions, dense layers, in NCHW (ONNX) and NHWC (DSL)
// graphs with a fixed or symbolic batch, as chains and small DAGs with
// several outputs.
func TestDifferential(t *testing.T) {
	seeds := diffSeeds(t)
	var cases []*diffCase
	tags := map[string]int{}
	for _, seed := range seeds {
		g, b, gt, err := randomGraph(seed)
		if err != nil {
			dump := ""
			if g != nil {
				dump = g.String()
			}
			t.Errorf("seed %d: the generator built an invalid graph: %v\n%s", seed, err, dump)
			continue
		}
		cases = append(cases, &diffCase{seed: seed, g: g, batch: b, tags: gt})
	}
	buildAll(t, cases)
	for _, c := range cases {
		for k, v := range c.tags {
			tags[k] += v
		}
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, c := range cases {
		if c.err != nil {
			if codegen.IsUnsupported(c.err) {
				c.unsupported = true
			} else {
				c.problem = c.err.Error()
			}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.problem = runCase(c)
		}()
	}
	wg.Wait()
	for _, c := range cases {
		if c.engine != nil {
			c.engine.Close()
		}
	}

	var failed []*diffCase
	pass, unsup := 0, 0
	reasons := map[string]int{}
	var illCond []string
	for _, c := range cases {
		switch {
		case c.unsupported:
			unsup++
			reasons[shortReason(c.err)]++
		case c.illConditioned:
			illCond = append(illCond, fmt.Sprintf("seed %d: %s", c.seed, c.problem))
		case c.problem != "":
			failed = append(failed, c)
		default:
			pass++
		}
	}
	var report strings.Builder
	fmt.Fprintf(&report, "differential test, seeds %d..%d: %d graphs, %d pass, %d unsupported by the code generator, %d ill-conditioned, %d fail\n",
		seeds[0], seeds[len(seeds)-1], len(cases), pass, unsup, len(illCond), len(failed))
	for _, l := range illCond {
		fmt.Fprintf(&report, "  ill-conditioned (float32 rounding moves the reference as far): %s\n", l)
	}
	for _, k := range sortedKeys(reasons) {
		fmt.Fprintf(&report, "  unsupported %3d x %s\n", reasons[k], k)
	}
	report.WriteString("coverage (nodes or features over all graphs):\n")
	keys := sortedKeys(tags)
	for i, k := range keys {
		fmt.Fprintf(&report, "  %-28s %5d", k, tags[k])
		if i%3 == 2 || i == len(keys)-1 {
			report.WriteByte('\n')
		}
	}
	t.Log(report.String())

	if len(failed) == 0 {
		return
	}
	first := locateFirstMismatch(t, failed)
	for _, c := range failed {
		var msg strings.Builder
		fmt.Fprintf(&msg, "seed %d (batch %d): %s\n", c.seed, c.batch, c.problem)
		if f, ok := first[c]; ok {
			fmt.Fprintf(&msg, "earliest value that differs when made the only output: %s\n", f)
		}
		fmt.Fprintf(&msg, "rerun: go test ./engine -run TestDifferential -diff.seed %d\n", c.seed)
		msg.WriteString(c.g.String())
		if *diffDump || os.Getenv("CNNC_DIFF_DUMP") != "" {
			cg := c.g.Clone()
			if err := (&passes.Manager{Passes: compiler.Passes()}).Run(cg); err == nil {
				msg.WriteString("after the code-generation passes:\n")
				msg.WriteString(cg.String())
			}
		}
		t.Error(msg.String())
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// buildAll compiles every case's graph in one go build.
func buildAll(t *testing.T, cases []*diffCase) {
	graphs := make([]*ir.Graph, len(cases))
	for i, c := range cases {
		graphs[i] = c.g
	}
	engines, errs := goMany(t, graphs, func(i int, cg *ir.Graph) { passTags(cg, cases[i].tags) })
	for i, c := range cases {
		c.engine, c.err = engines[i], errs[i]
	}
}

// goMany is engine.GoMany made robust for graphs that may expose bugs: a
// graph whose passes or code generator panic gets the panic as its error
// (a panic would take the whole GoMany down), and when the build fails
// (generated code that does not compile), the packages the compiler names
// get the build error and the rest are built again.
func goMany(t *testing.T, graphs []*ir.Graph, inspect func(i int, cg *ir.Graph)) ([]engine.Engine, []error) {
	engines, errs := make([]engine.Engine, len(graphs)), make([]error, len(graphs))
	var todo []int
	for i, g := range graphs {
		if err := generateOrPanic(g, func(cg *ir.Graph) {
			if inspect != nil {
				inspect(i, cg)
			}
		}); err != nil {
			errs[i] = err
			continue
		}
		todo = append(todo, i)
	}
	pkgRE := regexp.MustCompile(`\bm(\d+)/`)
	for attempt := 0; len(todo) > 0; attempt++ {
		batch := make([]*ir.Graph, len(todo))
		for k, i := range todo {
			batch[k] = graphs[i]
		}
		// Two threads: the runtime's threaded kernels must give what the
		// serial ones do (they are bit-identical), so this costs nothing
		// and covers both.
		es, ers, err := engine.GoMany(batch, engine.GoOptions{Threads: 2})
		if err == nil {
			for k, i := range todo {
				engines[i], errs[i] = es[k], ers[k]
			}
			break
		}
		bad := map[int]bool{}
		for _, m := range pkgRE.FindAllStringSubmatch(err.Error(), -1) {
			if k, e := strconv.Atoi(m[1]); e == nil && k < len(todo) {
				bad[k] = true
			}
		}
		if len(bad) == 0 || attempt > 20 {
			t.Fatalf("building the generated packages: %v", err)
		}
		var rest []int
		for k, i := range todo {
			if bad[k] {
				errs[i] = fmt.Errorf("the generated package does not build: %v", err)
			} else {
				rest = append(rest, i)
			}
		}
		todo = rest
	}
	return engines, errs
}

// generateOrPanic runs the code-generation passes and the generator on a
// copy of g and returns a panic as an error.
func generateOrPanic(g *ir.Graph, inspect func(*ir.Graph)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	cg := g.Clone()
	if err := (&passes.Manager{Passes: compiler.Passes(), Verify: true}).Run(cg); err != nil {
		if strings.Contains(err.Error(), "graph is invalid after pass") {
			return err // a pass broke the graph (even if GoMany does not notice)
		}
		return nil // GoMany reports it
	}
	inspect(cg)
	_, err = codegen.Generate(cg, codegen.Options{Package: "m"})
	if err != nil {
		return nil
	}
	return nil
}

// passTags counts what the code-generation passes made of a graph: the
// fusions, the foldings, the layout changes.
func passTags(cg *ir.Graph, tags map[string]int) {
	for _, n := range cg.Nodes {
		switch op := n.Op.(type) {
		case *ir.Conv:
			if op.Activation != nil {
				tags["passes/conv+"+op.Activation.OpType()]++
			}
			if n.Input(3) != nil {
				tags["passes/conv+residual"]++
			}
			if op.Depthwise(n.Inputs[1].Shape) {
				tags["passes/depthwise-kernel"]++
			}
		case *ir.Gemm:
			if op.Activation != nil {
				tags["passes/gemm+activation"]++
			}
			if !n.Inputs[1].IsConst() {
				tags["passes/gemm-loops"]++
			}
		case *ir.Transpose:
			if strings.HasSuffix(n.Name, "/nhwc") || strings.HasSuffix(n.Name, "/nchw") {
				tags["passes/layout-transpose"]++
			}
		case *ir.Reshape:
			if strings.HasSuffix(n.Name, "/nhwc") || strings.HasSuffix(n.Name, "/nchw") {
				tags["passes/layout-reshape"]++
			}
		}
		for _, in := range n.Inputs {
			if in != nil && strings.HasSuffix(in.Name, "/bn") {
				tags["passes/batchnorm-folded"]++
				break
			}
		}
	}
}

// runCase runs one built case on both engines and returns what differs,
// or "".
func runCase(c *diffCase) string {
	in := compiler.RandomInputs(c.g, c.batch, c.seed)
	want, err := engine.Ref(c.g).Run(in)
	if err != nil {
		return "the reference evaluator failed: " + err.Error()
	}
	got, err := c.engine.Run(in)
	if err != nil {
		return "the Go engine failed: " + err.Error()
	}
	var bad []string
	var badOut []int
	for k, w := range want {
		// What float32 cannot hold it rounds to an infinity.
		for i, v := range w.Floats {
			if math.Abs(v) > math.MaxFloat32 {
				w.Floats[i] = math.Inf(int(math.Copysign(1, v)))
			}
		}
		if r := check.Compare(got[k], want[k], 1e-3, 1e-5); !r.OK {
			bad = append(bad, check.Line(k, c.g.Outputs[k].Name, r))
			badOut = append(badOut, k)
		}
	}
	if len(bad) > 0 && illConditioned(c, in, want, got, badOut) {
		c.illConditioned = true
	}
	return strings.Join(bad, "\n")
}

// illConditioned reports whether the outputs that differ are so sensitive
// to rounding that float32 cannot be expected to meet the tolerance: the
// reference evaluator, run node by node with every value rounded to
// float32 and then nudged by about an ulp, moves (at least a quarter) as
// far from its own float64 result as the Go engine is. A graph can be
// valid and still amplify rounding error without bound (an instance
// normalization of nearly constant data, say); such cases are counted and
// listed, not failed.
func illConditioned(c *diffCase, in, want, got []*ir.Tensor, outs []int) bool {
	rng := rand.New(rand.NewPCG(c.seed, 7))
	round := func(t *ir.Tensor) *ir.Tensor {
		t = t.Clone()
		for j := range t.Floats {
			t.Floats[j] *= 1 + 0x1p-23*(2*rng.Float64()-1)
		}
		t.RoundToType()
		return t
	}
	vals := map[*ir.Value]*ir.Tensor{}
	for i, v := range c.g.Inputs {
		vals[v] = round(in[i])
	}
	for _, n := range c.g.Nodes {
		ins := make([]*ir.Tensor, len(n.Inputs))
		for i, v := range n.Inputs {
			switch {
			case v == nil:
			case v.IsConst():
				ins[i] = v.Const
			default:
				ins[i] = vals[v]
			}
		}
		outs, err := eval.Node(n, ins)
		if err != nil {
			return false
		}
		for i, o := range n.Outputs {
			if o.DType.IsFloat() {
				vals[o] = round(outs[i])
			} else {
				vals[o] = outs[i]
			}
		}
	}
	for _, k := range outs {
		moved := vals[c.g.Outputs[k]]
		if moved == nil {
			return false
		}
		dGot, dRef := 0.0, 0.0
		for i, w := range want[k].Floats {
			dGot = max(dGot, math.Abs(got[k].Floats[i]-w))
			dRef = max(dRef, math.Abs(moved.Floats[i]-w))
		}
		if !(dGot <= 4*dRef) {
			return false
		}
	}
	return true
}

// locateFirstMismatch narrows each failing graph down: every value the
// graph computes becomes, in turn, the only output of a copy of it, and
// the earliest copy whose result differs names the node at fault (as far
// as fusion, which depends on what is an output, lets it show).
func locateFirstMismatch(t *testing.T, failed []*diffCase) map[*diffCase]string {
	type sub struct {
		c    *diffCase
		node *ir.Node
		g    *ir.Graph
	}
	var subs []sub
	for _, c := range failed[:min(len(failed), 8)] {
		for i, n := range c.g.Nodes {
			cg := c.g.Clone()
			o := cg.Nodes[i].Outputs[0]
			if o.DType != ir.Float32 || (len(o.Shape) == 0 || o.Shape[0] != ir.Batch) && c.g.Inputs[0].Shape[0] == ir.Batch {
				continue // not a value (a constant subgraph's) that a batched model can output
			}
			cg.Outputs = []*ir.Value{o}
			cg.RemoveDead()
			subs = append(subs, sub{c, n, cg})
		}
	}
	graphs := make([]*ir.Graph, len(subs))
	for i, s := range subs {
		graphs[i] = s.g
	}
	res := map[*diffCase]string{}
	engines, errs := goMany(t, graphs, nil)
	for i, s := range subs {
		if engines[i] != nil {
			defer engines[i].Close()
		}
		if _, done := res[s.c]; done {
			continue
		}
		what := ""
		if errs[i] != nil {
			if !codegen.IsUnsupported(errs[i]) {
				what = errs[i].Error()
			}
		} else {
			what = runCase(&diffCase{seed: s.c.seed, g: s.g, batch: s.c.batch, engine: engines[i]})
		}
		if what != "" {
			res[s.c] = fmt.Sprintf("%%%s = %s {%s}: %s", s.node.Outputs[0].Name, s.node.Op.OpType(), ir.Attrs(s.node.Op), what)
		}
	}
	return res
}

// ---------------------------------------------------------------------
// The random graph generator.

// maxElems bounds the elements of one batch item of any value, so that a
// few hundred graphs evaluate in seconds; bigMaxElems is the bound of the
// few graphs that start from a wide image (where convolutions take the
// kernels meant for real layers: several im2col chunks, Winograd).
const (
	maxElems    = 6000
	bigMaxElems = 40000
)

// rg builds one random graph. Every node is checked by its shape rule as
// it is added (passes.InferNode); a node the rule rejects, or whose result
// is too large or empty, is dropped and something else is tried.
type rg struct {
	rng   *rand.Rand
	g     *ir.Graph
	nhwc  bool // DSL style: channels last, ops with Layout NHWC
	batch int  // dimension 0 of the inputs: ir.Batch, 1 or 2
	pool  []*ir.Value
	count int
	tags  map[string]int
	// maxElems bounds every value's elements per batch item.
	maxElems int
	// wide favours convolutions with many channels and 3x3 stride-1
	// windows.
	wide bool
}

// randomGraph returns the graph of a seed, the batch size to run it with
// and the features it uses.
func randomGraph(seed uint64) (g *ir.Graph, batch int, tags map[string]int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the generator panicked: %v\n%s", r, debug.Stack())
		}
	}()
	s := &rg{rng: rand.New(rand.NewPCG(seed, 0x64696666)), tags: map[string]int{}, maxElems: maxElems}
	s.g = ir.NewGraph(fmt.Sprintf("diff%d", seed))
	s.nhwc = s.p(0.4)
	if s.nhwc {
		s.batch = pick(s, ir.Batch, ir.Batch, ir.Batch, 1, 2)
		s.tag("graph/NHWC")
	} else {
		s.batch = pick(s, ir.Batch, 1, 1, 2, 2)
		if s.p(0.05) {
			s.batch = 3
		}
		s.tag("graph/NCHW")
	}
	runBatch := s.batch
	if s.batch == ir.Batch {
		runBatch = pick(s, 1, 2, 2, 3)
		s.tag("graph/symbolic-batch")
	} else {
		s.tag(fmt.Sprintf("graph/batch-%d", s.batch))
	}
	rank := 4
	switch r := s.rng.Float64(); {
	case r < 0.1:
		rank = 2
	case r < 0.28 && !s.nhwc:
		rank = 3
	}
	s.tag(fmt.Sprintf("graph/input-rank-%d", rank))
	x := s.input(rank)
	if s.p(0.2) {
		s.tag("graph/two-inputs")
		if s.p(0.5) {
			s.input(rank)
		} else {
			t := x.Type
			t.Shape = t.Shape.Clone()
			s.addInput(t)
		}
	}
	steps := s.i(2, 14)
	if s.wide {
		steps = s.i(1, 6)
	}
	if s.p(0.02) {
		steps = 0
		s.tag("graph/no-nodes")
	}
	for built, tries := 0, 0; built < steps && tries < 80; tries++ {
		if s.step() {
			built++
		}
	}
	s.outputs()
	s.g.RemoveDead() // the passes would; the dump is shorter without them
	if err := s.g.Infer(); err != nil {
		return s.g, runBatch, s.tags, err
	}
	if err := s.g.Verify(); err != nil {
		return s.g, runBatch, s.tags, err
	}
	for _, n := range s.g.Nodes {
		s.tag("op/" + n.Op.OpType())
	}
	return s.g, runBatch, s.tags, nil
}

func (s *rg) tag(k string) { s.tags[k]++ }

func (s *rg) p(prob float64) bool { return s.rng.Float64() < prob }

// i returns an int in [lo, hi] (lo when the range is empty: the shape
// rule then decides).
func (s *rg) i(lo, hi int) int {
	if hi < lo {
		return lo
	}
	return lo + s.rng.IntN(hi-lo+1)
}

func (s *rg) f(lo, hi float64) float64 { return lo + (hi-lo)*s.rng.Float64() }

func pick[T any](s *rg, xs ...T) T { return xs[s.rng.IntN(len(xs))] }

func (s *rg) name(prefix string) string {
	s.count++
	return fmt.Sprintf("%s%d", prefix, s.count)
}

// input declares a new graph input of the given rank with small random
// dimensions in the graph's layout.
func (s *rg) input(rank int) *ir.Value {
	shape := ir.Shape{s.batch}
	switch rank {
	case 2:
		shape = append(shape, s.i(1, 24))
	case 3:
		shape = append(shape, s.i(1, 6), s.i(1, 16))
	default:
		c, h, w := pick(s, 1, 2, 3, 3, 4, 5, 6, 8), s.i(1, 10), s.i(1, 10)
		switch r := s.rng.Float64(); {
		case r < 0.06:
			// A real layer's size: many channels on a wide image.
			c, h, w = s.i(4, 16), s.i(14, 32), s.i(14, 32)
			s.maxElems, s.wide = bigMaxElems, true
			s.tag("graph/wide-image")
		case r < 0.15:
			// Big enough for several im2col chunks and GEMM blocks.
			c, h, w = pick(s, 1, 2, 3, 4), s.i(12, 24), s.i(12, 24)
			s.tag("graph/big-image")
		case r < 0.75:
			h, w = s.i(3, 10), s.i(3, 10)
		}
		if s.nhwc {
			shape = append(shape, h, w, c)
		} else {
			shape = append(shape, c, h, w)
		}
	}
	t := ir.Type{DType: ir.Float32, Shape: shape}
	if s.nhwc && rank == 4 {
		t.Layout = ir.NHWC
	}
	return s.addInput(t)
}

func (s *rg) addInput(t ir.Type) *ir.Value {
	v := s.g.AddInput(s.name("in"), t)
	s.pool = append(s.pool, v)
	return v
}

// constant returns a float32 constant of the given shape, uniform in
// [lo, hi).
func (s *rg) constant(shape ir.Shape, lo, hi float64) *ir.Value {
	t := ir.Zeros(ir.Float32, shape)
	for i := range t.Floats {
		t.Floats[i] = s.f(lo, hi)
	}
	t.RoundToType()
	return ir.NewConst(s.name("c"), t)
}

// awayFromZero is a constant whose elements have magnitude in [0.5, 2).
func (s *rg) awayFromZero(shape ir.Shape) *ir.Value {
	c := s.constant(shape, 0.5, 2)
	for i := range c.Const.Floats {
		if s.p(0.5) {
			c.Const.Floats[i] = -c.Const.Floats[i]
		}
	}
	return c
}

// add appends a node and runs its shape rule; it returns the output (and
// offers it to later steps), or nil (and removes the node) when the rule
// rejects it or the result is not a small non-empty float tensor of rank
// 4 or less that keeps a symbolic batch in front.
func (s *rg) add(op ir.Op, inputs ...*ir.Value) *ir.Value {
	o := s.addAny(op, inputs...)
	if o == nil {
		return nil
	}
	if s.batch == ir.Batch && (len(o.Shape) == 0 || o.Shape[0] != ir.Batch) {
		// Every run-time value keeps the batch in a batched model.
		s.g.Nodes = s.g.Nodes[:len(s.g.Nodes)-1]
		return nil
	}
	s.pool = append(s.pool, o)
	return o
}

// addAny is add for nodes that need not carry the batch (constant
// subgraphs, which constant folding evaluates); it does not offer the
// result to later steps.
func (s *rg) addAny(op ir.Op, inputs ...*ir.Value) *ir.Value {
	n := s.g.AddNode(s.name(strings.ToLower(op.OpType())), op, inputs, 1)
	drop := func() *ir.Value {
		s.g.Nodes = s.g.Nodes[:len(s.g.Nodes)-1]
		return nil
	}
	if err := ir.InferNode(n); err != nil {
		return drop()
	}
	o := n.Outputs[0]
	if o.DType != ir.Float32 || len(o.Shape) > 4 || o.Shape.PerBatch() > s.maxElems {
		return drop()
	}
	if o.Shape.PerBatch() == 0 {
		if !s.p(0.1) {
			return drop()
		}
		s.tag("graph/empty-value")
	}
	for i, d := range o.Shape {
		if d == ir.Batch && i != 0 {
			return drop()
		}
	}
	return o
}

// undo removes the newest node, which add just made.
func (s *rg) undo() {
	o := s.g.Nodes[len(s.g.Nodes)-1].Outputs[0]
	s.g.Nodes = s.g.Nodes[:len(s.g.Nodes)-1]
	if len(s.pool) > 0 && s.pool[len(s.pool)-1] == o {
		s.pool = s.pool[:len(s.pool)-1]
	}
}

// value picks a run-time value to build on: usually the newest.
func (s *rg) value() *ir.Value {
	if s.p(0.55) {
		return s.pool[len(s.pool)-1]
	}
	return s.pool[s.rng.IntN(len(s.pool))]
}

func (s *rg) chanAxis(r int) int {
	if s.nhwc {
		return r - 1
	}
	return 1
}

func (s *rg) spatialAxes(r int) []int {
	if s.nhwc {
		return []int{1, 2}[:r-2]
	}
	return []int{2, 3}[:r-2]
}

// image reports whether v can feed a convolution or a pool in this
// graph's layout: rank 4, or rank 3 (1-D) in NCHW graphs.
func (s *rg) image(v *ir.Value) bool {
	return len(v.Shape) == 4 || (len(v.Shape) == 3 && !s.nhwc)
}

func (s *rg) layout() ir.Layout {
	if s.nhwc {
		return ir.NHWC
	}
	return pick(s, ir.LayoutAny, ir.LayoutAny, ir.NCHW)
}

// step adds one random piece of graph; it reports whether it did.
func (s *rg) step() bool {
	x := s.value()
	var y *ir.Value
	if x.Shape.PerBatch() == 0 {
		// An empty value: only ops whose parameters do not depend on
		// its sizes.
		switch s.i(0, 5) {
		case 0:
			y = s.activation(x)
		case 1:
			y = s.binary(x)
		case 2:
			y = s.concat(x)
		case 3:
			y = s.pad(x)
		case 4:
			y = s.transpose(x)
		default:
			y = s.reduce(x)
		}
		return y != nil
	}
	switch k := s.rng.IntN(100); {
	case k < 16:
		y = s.conv(x)
	case k < 20:
		y = s.residual(x)
	case k < 25:
		y = s.batchNorm(x)
	case k < 35:
		y = s.activation(x)
	case k < 40:
		y = s.unary(x)
	case k < 48:
		y = s.pool2(x)
	case k < 50:
		y = s.globalPool(x)
	case k < 55:
		y = s.dense(x)
	case k < 58:
		y = s.matmul(x)
	case k < 61:
		y = s.softmax(x)
	case k < 65:
		y = s.concat(x)
	case k < 68:
		y = s.pad(x)
	case k < 71:
		y = s.transpose(x)
	case k < 74:
		y = s.slice(x)
	case k < 84:
		y = s.binary(x)
	case k < 87:
		y = s.reduce(x)
	case k < 90:
		y = s.convTranspose(x)
	case k < 93:
		y = s.reshape(x)
	case k < 95:
		y = s.squeeze(x)
	case k < 97:
		y = s.gather(x)
	case k < 98:
		y = s.squeezeExcite(x)
	case k < 99:
		y = s.resize(x)
	default:
		y = s.norm(x)
	}
	return y != nil
}

// outputs marks the newest value and sometimes a few others as outputs.
func (s *rg) outputs() {
	last := s.pool[len(s.pool)-1]
	if last.Producer == nil {
		// Nothing was built on the input: pass it through an Identity.
		last = s.g.Apply(s.name("id"), &ir.Identity{}, last)
		if err := ir.InferNode(last.Producer); err != nil {
			panic(err)
		}
	}
	s.g.Outputs = []*ir.Value{last}
	if s.p(0.03) {
		s.g.Outputs = append(s.g.Outputs, last)
		s.tag("graph/duplicate-output")
	}
	if s.batch != ir.Batch && s.p(0.03) {
		// An output that constant folding computes.
		if c := s.addAny(&ir.Add{}, s.constant(ir.Shape{2, 3}, -1, 1), s.constant(ir.Shape{3}, -1, 1)); c != nil {
			s.g.Outputs = append(s.g.Outputs, c)
			s.tag("graph/constant-output")
		}
	}
	for k := s.i(0, 2); k > 0 && s.p(0.45); k-- {
		v := s.pool[s.rng.IntN(len(s.pool))]
		if v.Producer == nil && !s.p(0.2) {
			continue
		}
		if !slices.Contains(s.g.Outputs, v) {
			s.g.Outputs = append(s.g.Outputs, v)
			s.tag("graph/extra-output")
		}
	}
}

// kernelSize is 1..5, mostly small.
func (s *rg) kernelSize() int { return pick(s, 1, 1, 2, 2, 3, 3, 3, 4, 5) }

// window fills strides, dilations and padding of a window with kernel k
// over the given spatial sizes; maxPad bounds explicit pads (-1: below the
// dilated kernel, as pools require).
func (s *rg) window(k []int, pool bool) ir.Window {
	n := len(k)
	w := ir.Window{Kernel: k}
	if s.p(0.6) {
		w.Strides = make([]int, n)
		for i := range w.Strides {
			w.Strides[i] = pick(s, 1, 1, 2, 3)
		}
	}
	if s.p(0.3) {
		w.Dilations = make([]int, n)
		for i := range w.Dilations {
			w.Dilations[i] = pick(s, 1, 2)
		}
		s.tag("window/dilated")
	}
	switch r := s.rng.Float64(); {
	case r < 0.12:
		w.AutoPad = ir.PadValid
	case r < 0.27:
		w.AutoPad = ir.PadSameUpper
	case r < 0.37:
		w.AutoPad = ir.PadSameLower
	case r < 0.5:
		// no pads
	default:
		w.Pads = make([]int, 2*n)
		for i := range w.Pads {
			d := 1
			if w.Dilations != nil {
				d = w.Dilations[i%n]
			}
			eff := (k[i%n]-1)*d + 1
			if pool {
				w.Pads[i] = s.i(0, eff-1)
			} else {
				w.Pads[i] = s.i(0, min(eff, 3))
			}
		}
	}
	if w.AutoPad != ir.PadExplicit {
		s.tag("window/auto-pad-" + w.AutoPad.String())
	} else if w.Pads != nil && w.Pads[0] != w.Pads[n] {
		s.tag("window/asymmetric-pads")
	}
	if w.Strides != nil && slices.Max(w.Strides) > 1 {
		s.tag("window/strided")
	}
	return w
}

// conv adds a convolution: random kernel, strides, dilations, pads or
// auto-pad, groups (depthwise with a channel multiplier among them), with
// or without bias.
func (s *rg) conv(x *ir.Value) *ir.Value {
	if !s.image(x) || x.Shape.PerBatch() == 0 {
		return nil
	}
	r := len(x.Shape)
	c := x.Shape[s.chanAxis(r)]
	group, m := 1, s.i(1, 8)
	if s.p(0.15) {
		m = s.i(9, 40) // several GEMM column panels
	}
	switch s.i(0, 4) {
	case 0:
		group, m = c, c*pick(s, 1, 1, 2, 3)
	case 1:
		var ds []int
		for d := 2; d < c; d++ {
			if c%d == 0 {
				ds = append(ds, d)
			}
		}
		if len(ds) > 0 {
			group = pick(s, ds...)
			m = group * s.i(1, 3)
		}
	}
	k := make([]int, r-2)
	for i := range k {
		k[i] = s.kernelSize()
	}
	w := s.window(k, false)
	if r == 4 && s.p(map[bool]float64{false: 0.1, true: 0.6}[s.wide]) {
		// What Winograd takes: 3x3, stride 1, no dilation, one group.
		k[0], k[1] = 3, 3
		w = ir.Window{Kernel: k, Pads: []int{1, 1, 1, 1}}
		if s.p(0.5) {
			w.Pads = []int{s.i(0, 2), s.i(0, 2), s.i(0, 2), s.i(0, 2)}
		}
		group, m = 1, s.i(4, 32)
	}
	fan := c / group
	for _, d := range k {
		fan *= d
	}
	wshape := append(ir.Shape{m, c / group}, k...)
	lim := math.Sqrt(3 / float64(fan))
	inputs := []*ir.Value{x, s.weights(wshape, lim)}
	if s.p(0.7) {
		inputs = append(inputs, s.constant(ir.Shape{m}, -0.5, 0.5))
	}
	op := &ir.Conv{Window: w, Group: group, Layout: s.layout()}
	if s.p(0.2) {
		op.Kernel = nil
	}
	y := s.add(op, inputs...)
	if y != nil {
		switch {
		case r == 3:
			s.tag("conv/1-D")
		case group == c && group > 1:
			s.tag(fmt.Sprintf("conv/depthwise-x%d", m/c))
		case group > 1:
			s.tag("conv/grouped")
		}
		if len(inputs) == 2 {
			s.tag("conv/no-bias")
		}
		if r == 4 && group == 1 && slices.Equal(op.Kernel, []int{3, 3}) && slices.Max(op.Strides) == 1 && slices.Max(op.Dilations) == 1 {
			s.tag("conv/3x3-stride-1")
		}
	}
	return y
}

// weights returns a constant of the given shape uniform in [-lim, lim),
// sometimes computed by a small constant subgraph that constant folding
// must evaluate (as ONNX exports of weight-normalized or quantized layers
// have).
func (s *rg) weights(shape ir.Shape, lim float64) *ir.Value {
	if s.p(0.85) {
		return s.constant(shape, -lim, lim)
	}
	var v *ir.Value
	switch s.i(0, 2) {
	case 0:
		v = s.addAny(&ir.Mul{}, s.constant(shape, -lim, lim), s.constant(ir.Shape{}, 0.5, 1.5))
	case 1:
		n := int64(shape.NumElements(1))
		v = s.addAny(&ir.Reshape{Shape: append([]int64{}, int64(shape[0]), -1)}, s.constant(ir.Shape{int(n)}, -lim, lim))
		if v != nil {
			v = s.addAny(&ir.Reshape{Shape: toInt64(shape)}, v)
		}
	default:
		// The weights stored with their first two axes swapped.
		perm := []int{1, 0}
		for i := 2; i < len(shape); i++ {
			perm = append(perm, i)
		}
		sw := shape.Clone()
		sw[0], sw[1] = sw[1], sw[0]
		v = s.addAny(&ir.Transpose{Perm: perm}, s.constant(sw, -lim, lim))
	}
	if v == nil {
		return s.constant(shape, -lim, lim)
	}
	s.tag("weights/constant-subgraph")
	return v
}

func toInt64(s ir.Shape) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// sameConv is a stride-1 convolution that keeps x's shape (channels
// included), for residual blocks.
func (s *rg) sameConv(x *ir.Value) *ir.Value {
	if x.Shape.PerBatch() == 0 {
		return nil
	}
	r := len(x.Shape)
	c := x.Shape[s.chanAxis(r)]
	k := pick(s, 1, 3, 3, 5)
	ks := make([]int, r-2)
	for i := range ks {
		ks[i] = k
	}
	w := ir.Window{Kernel: ks}
	if s.p(0.5) {
		w.AutoPad = ir.PadSameUpper
	} else {
		w.Pads = make([]int, 2*(r-2))
		for i := range w.Pads {
			w.Pads[i] = k / 2
		}
	}
	group := 1
	if s.p(0.25) {
		group = c
	}
	wshape := append(ir.Shape{c, c / group}, ks...)
	lim := math.Sqrt(3 / float64(c/group*k*k))
	inputs := []*ir.Value{x, s.constant(wshape, -lim, lim)}
	if s.p(0.6) {
		inputs = append(inputs, s.constant(ir.Shape{c}, -0.3, 0.3))
	}
	return s.add(&ir.Conv{Window: w, Group: group, Layout: s.layout()}, inputs...)
}

// residual adds y = act?(x + f(x)) with f one or two shape-keeping
// convolutions, maybe with normalization and activation between.
func (s *rg) residual(x *ir.Value) *ir.Value {
	if !s.image(x) {
		return nil
	}
	y := s.sameConv(x)
	if y == nil {
		return nil
	}
	if s.p(0.4) {
		y = s.orSelf(s.batchNorm(y), y)
	}
	if s.p(0.5) {
		y = s.orSelf(s.activation(y), y)
		if s.p(0.5) {
			y = s.orSelf(s.sameConv(y), y)
		}
	}
	var sum *ir.Value
	if s.p(0.5) {
		sum = s.add(&ir.Add{}, y, x)
	} else {
		sum = s.add(&ir.Add{}, x, y)
	}
	if sum == nil {
		return nil
	}
	s.tag("block/residual")
	if s.p(0.5) {
		sum = s.orSelf(s.activation(sum), sum)
	}
	return sum
}

func (s *rg) orSelf(v, x *ir.Value) *ir.Value {
	if v == nil {
		return x
	}
	return v
}

// batchNorm adds an inference-mode BatchNormalization with random
// statistics (positive variance).
func (s *rg) batchNorm(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r < 2 {
		return nil
	}
	layout := ir.LayoutAny
	ca := 1
	if s.nhwc {
		layout, ca = ir.NHWC, r-1
	}
	c := x.Shape[ca]
	if c == ir.Batch {
		return nil
	}
	sh := ir.Shape{c}
	scale := s.awayFromZero(sh)
	return s.add(&ir.BatchNormalization{Epsilon: pick(s, 1e-5, 1e-3, 0.1), Layout: layout},
		x, scale, s.constant(sh, -0.5, 0.5), s.constant(sh, -0.5, 0.5), s.constant(sh, 0.1, 2))
}

// norm adds InstanceNormalization or LRN (NCHW only in the Go engine).
func (s *rg) norm(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r < 3 || (s.nhwc && s.p(0.8)) {
		return nil // the Go engine has these in NCHW only
	}
	layout := ir.LayoutAny
	if s.nhwc {
		layout = ir.NHWC
	}
	c := x.Shape[s.chanAxis(r)]
	if s.p(0.5) {
		return s.add(&ir.InstanceNormalization{Epsilon: pick(s, 1e-5, 0.01), Layout: layout}, x, s.awayFromZero(ir.Shape{c}), s.constant(ir.Shape{c}, -0.5, 0.5))
	}
	return s.add(&ir.LRN{Size: pick(s, 1, 2, 3, 5), Alpha: s.f(1e-4, 0.1), Beta: s.f(0.5, 1), Bias: s.f(1, 2), Layout: layout}, x)
}

// activation adds one of the IR's activations (or an Identity/Dropout,
// which the passes remove).
func (s *rg) activation(x *ir.Value) *ir.Value {
	var op ir.Op
	inf := math.Inf(1)
	switch s.i(0, 11) {
	case 0:
		op = &ir.Relu{}
	case 1:
		op = &ir.LeakyRelu{Alpha: pick(s, 0.01, 0.1, 0.3, s.f(0, 1))}
	case 2:
		lo, hi := pick(s, -inf, -1, 0, -0.5, 0.2), pick(s, inf, 6, 1, 0.5)
		if lo >= hi {
			lo = -inf
		}
		if s.p(0.03) {
			lo, hi = 0.5, -0.5 // min > max: every element becomes max
			s.tag("act/clip-min-above-max")
		}
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			s.tag("act/clip-inf-bound")
		}
		op = &ir.Clip{Min: lo, Max: hi}
	case 3:
		op = &ir.Sigmoid{}
	case 4:
		op = &ir.Tanh{}
	case 5:
		op = &ir.HardSigmoid{Alpha: pick(s, 0.2, 1.0/6, s.f(0.05, 1)), Beta: pick(s, 0.5, s.f(0, 1))}
	case 6:
		op = &ir.HardSwish{}
	case 7:
		op = &ir.Elu{Alpha: pick(s, 1, s.f(0.1, 2))}
	case 8:
		op = &ir.Selu{Alpha: 1.67326319217681884765625, Gamma: 1.05070102214813232421875}
		if s.p(0.3) {
			op = &ir.Selu{Alpha: s.f(0.5, 2), Gamma: s.f(0.5, 2)}
		}
	case 9:
		op = &ir.Softplus{}
	case 10:
		op = &ir.Identity{}
		if s.p(0.3) {
			op = &ir.Cast{To: ir.Float32}
		}
	default:
		op = &ir.Dropout{Ratio: 0.5}
		if s.p(0.3) {
			// With its (unused) mask output, as ONNX exports have it.
			n := s.g.AddNode(s.name("dropout"), op, []*ir.Value{x}, 2)
			if err := ir.InferNode(n); err != nil {
				s.g.Nodes = s.g.Nodes[:len(s.g.Nodes)-1]
				return nil
			}
			s.tag("act/dropout-mask")
			s.pool = append(s.pool, n.Outputs[0])
			return n.Outputs[0]
		}
	}
	return s.add(op, x)
}

// positive returns a run-time value computed from x whose elements are at
// least 0.25: the domain of Log, Sqrt, Reciprocal and non-integer Pow.
func (s *rg) positive(x *ir.Value) *ir.Value {
	var a *ir.Value
	switch s.i(0, 2) {
	case 0:
		a = s.add(&ir.Abs{}, x)
	case 1:
		a = s.add(&ir.Mul{}, x, x)
	default:
		a = s.add(&ir.Sigmoid{}, x)
	}
	if a == nil {
		return nil
	}
	return s.add(&ir.Add{}, a, s.constant(pick(s, ir.Shape{}, ir.Shape{1}), 0.25, 1))
}

// unary adds one of the element-wise functions that are not
// activations, on valid inputs.
func (s *rg) unary(x *ir.Value) *ir.Value {
	switch s.i(0, 8) {
	case 0:
		// Exp overflows float32 long before float64: keep its argument
		// in range (a Gram matrix of activations easily reaches 100).
		if s.p(0.5) {
			x = s.add(&ir.Clip{Min: -10, Max: 10}, x)
		} else {
			x = s.add(&ir.Tanh{}, x)
		}
		if x == nil {
			return nil
		}
		return s.add(&ir.Exp{}, x)
	case 1:
		return s.add(&ir.Neg{}, x)
	case 2:
		return s.add(&ir.Abs{}, x)
	case 3:
		return s.add(&ir.Erf{}, x)
	case 4:
		if p := s.positive(x); p != nil {
			return s.add(&ir.Log{}, p)
		}
	case 5:
		if p := s.positive(x); p != nil {
			return s.add(&ir.Sqrt{}, p)
		}
	case 6:
		if p := s.positive(x); p != nil {
			return s.add(&ir.Reciprocal{}, p)
		}
	default:
		// Floor and Ceil jump at integers, where float32 and float64
		// results may round to either side; on a graph input, which both
		// engines see exactly, they are well defined.
		for _, in := range s.g.Inputs {
			if in == x {
				if s.p(0.5) {
					// Scaling by a power of two is exact in both engines.
					k := ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{pick(s, 2.0, 4.0, 8.0)})
					return s.add(&ir.Floor{}, s.add(&ir.Mul{}, x, ir.NewConst(s.name("c"), k)))
				}
				return s.add(&ir.Ceil{}, x)
			}
		}
	}
	return nil
}

// pool2 adds a MaxPool or AveragePool: kernel, strides, dilations, pads
// below the window, auto-pad, ceil mode and count_include_pad at random.
func (s *rg) pool2(x *ir.Value) *ir.Value {
	if !s.image(x) {
		return nil
	}
	r := len(x.Shape)
	k := make([]int, r-2)
	for i := range k {
		k[i] = pick(s, 1, 2, 2, 2, 3, 3, 4)
	}
	w := s.window(k, true)
	if s.p(0.3) {
		w.CeilMode = true
	}
	var op ir.Op
	if s.p(0.5) {
		op = &ir.MaxPool{Window: w, Layout: s.layout()}
	} else {
		op = &ir.AveragePool{Window: w, Layout: s.layout(), CountIncludePad: s.p(0.5)}
	}
	y := s.add(op, x)
	if y == nil {
		return nil
	}
	// A window that sees only padding has no maximum or mean (the
	// reference gives -Inf or NaN, the runtime -Inf or 0): not a model
	// anyone writes. Drop such geometries.
	var win *ir.Window
	switch o := op.(type) {
	case *ir.MaxPool:
		win = &o.Window
	case *ir.AveragePool:
		win = &o.Window
		if o.CountIncludePad {
			s.tag("pool/count-include-pad")
		}
	}
	sp := s.spatialAxes(r)
	osp := s.spatialAxes(r)
	for d := range sp {
		if !windowsSeeInput(win, d, x.Shape[sp[d]], y.Shape[osp[d]]) {
			s.undo()
			return nil
		}
	}
	if w.CeilMode {
		s.tag("pool/ceil")
	}
	if r == 3 {
		s.tag("pool/1-D")
	}
	return y
}

// windowsSeeInput reports whether every output position along spatial
// axis d of a resolved window has at least one tap inside the input.
func windowsSeeInput(w *ir.Window, d, in, out int) bool {
	for o := 0; o < out; o++ {
		start := o*w.Strides[d] - w.Pads[d]
		ok := false
		for k := 0; k < w.Kernel[d]; k++ {
			if p := start + k*w.Dilations[d]; p >= 0 && p < in {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s *rg) globalPool(x *ir.Value) *ir.Value {
	if !s.image(x) {
		return nil
	}
	layout := s.layout()
	if s.p(0.5) {
		return s.add(&ir.GlobalAveragePool{Layout: layout}, x)
	}
	return s.add(&ir.GlobalMaxPool{Layout: layout}, x)
}

// flatten makes x a matrix [batch, features] by Flatten or Reshape.
func (s *rg) flatten(x *ir.Value) *ir.Value {
	if len(x.Shape) == 2 {
		return x
	}
	switch s.i(0, 3) {
	case 0:
		return s.add(&ir.Reshape{Shape: []int64{0, -1}}, x)
	case 1:
		if s.batch == ir.Batch {
			return s.add(&ir.Reshape{Shape: []int64{ir.ReshapeBatch, -1}}, x)
		}
		return s.add(&ir.Reshape{Shape: []int64{int64(s.batch), -1}}, x)
	case 2:
		if s.batch != ir.Batch && s.p(0.5) {
			return s.add(&ir.Flatten{Axis: s.i(0, len(x.Shape))}, x)
		}
	}
	return s.add(&ir.Flatten{Axis: 1}, x)
}

// dense adds Flatten/Reshape then Gemm (transB either way, alpha, beta,
// C of shape [N], [1,N], [M,N], [M,1], [1] or scalar) or MatMul.
func (s *rg) dense(x *ir.Value) *ir.Value {
	a := s.flatten(x)
	if a == nil || len(a.Shape) != 2 {
		return nil
	}
	mdim, k := a.Shape[0], a.Shape[1]
	n := s.i(1, 12)
	if s.p(0.2) {
		n = s.i(13, 70)
	}
	selfC := s.p(0.05) // C is A itself: A read twice
	if selfC {
		n = k
	}
	if s.p(0.25) {
		lim := math.Sqrt(3 / float64(k))
		return s.add(&ir.MatMul{}, a, s.constant(ir.Shape{k, n}, -lim, lim))
	}
	op := &ir.Gemm{Alpha: 1, Beta: 1, TransB: s.p(0.5)}
	if s.p(0.3) {
		op.Alpha = pick(s, 0.5, 2, -1, 0.1)
		s.tag("gemm/alpha")
	}
	if s.p(0.3) {
		op.Beta = pick(s, 0.5, 2, 0, -1)
		s.tag("gemm/beta")
	}
	if mdim != ir.Batch && s.p(0.15) {
		// A transposed: A is read as [K', M'] = [mdim, k]
		op.TransA = true
		mdim, k = k, mdim
		s.tag("gemm/transA")
	}
	if s.p(0.1) {
		// Run-time weights: a Gram matrix of the activations.
		s.tag("gemm/run-time-B")
		return s.add(&ir.Gemm{Alpha: op.Alpha, Beta: op.Beta, TransA: op.TransA, TransB: !op.TransA}, a, a)
	}
	lim := math.Sqrt(3 / float64(k))
	b := s.constant(ir.Shape{k, n}, -lim, lim)
	if op.TransB {
		b = s.constant(ir.Shape{n, k}, -lim, lim)
		s.tag("gemm/transB")
	}
	inputs := []*ir.Value{a, b}
	cs := []ir.Shape{{n}, {n}, {1, n}, {1}, {}}
	cnames := []string{"[N]", "[N]", "[1,N]", "[1]", "scalar"}
	if mdim != ir.Batch {
		cs = append(cs, ir.Shape{mdim, n}, ir.Shape{mdim, 1})
		cnames = append(cnames, "[M,N]", "[M,1]")
	}
	switch k := s.rng.Float64(); {
	case selfC && !op.TransA:
		inputs = append(inputs, a)
		s.tag("gemm/C-is-A")
	case k < 0.1:
		// A run-time C: any value that broadcasts to [M, N] (even A).
		for _, v := range s.pool {
			if b, err := ir.BroadcastShapes(ir.Shape{mdim, n}, v.Shape); err == nil && b.Equal(ir.Shape{mdim, n}) && s.p(0.7) {
				inputs = append(inputs, v)
				s.tag("gemm/run-time-C")
				break
			}
		}
	case k < 0.8:
		k := s.rng.IntN(len(cs))
		inputs = append(inputs, s.constant(cs[k], -0.5, 0.5))
		s.tag("gemm/C" + cnames[k])
	}
	return s.add(op, inputs...)
}

// matmul adds MatMul of x (rank 2 to 4) by a constant matrix, a constant
// by x, or x by its own transpose.
func (s *rg) matmul(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r < 2 {
		return nil
	}
	k := x.Shape[r-1]
	switch s.i(0, 3) {
	case 0, 1:
		n := s.i(1, 8)
		lim := math.Sqrt(3 / float64(k))
		if s.p(0.15) {
			s.tag("matmul/vector-B")
			return s.add(&ir.MatMul{}, x, s.constant(ir.Shape{k}, -lim, lim))
		}
		s.tag(fmt.Sprintf("matmul/rank-%d-by-const", r))
		return s.add(&ir.MatMul{}, x, s.constant(ir.Shape{k, n}, -lim, lim))
	case 2:
		m := x.Shape[r-2]
		if m == ir.Batch {
			return nil
		}
		s.tag("matmul/const-by-x")
		return s.add(&ir.MatMul{}, s.constant(ir.Shape{s.i(1, 5), m}, -0.7, 0.7), x)
	default:
		perm := make([]int, r)
		for i := range perm {
			perm[i] = i
		}
		perm[r-1], perm[r-2] = perm[r-2], perm[r-1]
		t := s.add(&ir.Transpose{Perm: perm}, x)
		if t == nil {
			return nil
		}
		s.tag("matmul/run-time")
		return s.add(&ir.MatMul{}, x, t)
	}
}

// softmax adds Softmax or LogSoftmax over a random axis, sometimes with
// the opset-1 to -12 coercion to 2-D.
func (s *rg) softmax(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r == 0 {
		return nil
	}
	lo := 0
	if s.batch == ir.Batch && s.p(0.95) {
		lo = 1
	}
	if lo >= r {
		return nil
	}
	axis := s.i(lo, r-1)
	if s.p(0.3) {
		axis -= r
	}
	coerce := s.p(0.3)
	if coerce {
		s.tag("softmax/coerce2d")
	}
	if s.p(0.5) {
		return s.add(&ir.Softmax{Axis: axis, Coerce2D: coerce}, x)
	}
	return s.add(&ir.LogSoftmax{Axis: axis, Coerce2D: coerce}, x)
}

// firstAxis is the lowest axis an op may change: 1 with a symbolic
// batch, else 0 (rarely chosen).
func (s *rg) firstAxis() int {
	if s.batch == ir.Batch || s.p(0.8) {
		return 1
	}
	return 0
}

// concat joins x with values of the same shape but along the axis: x
// itself, a shape-keeping function of it, a slice of it, a convolution of
// it (along channels), another value of the graph, or a constant.
func (s *rg) concat(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	lo := s.firstAxis()
	if r <= lo {
		return nil
	}
	axis := s.i(lo, r-1)
	parts := []*ir.Value{x}
	for k := s.i(1, 3); k > 0; k-- {
		var p *ir.Value
		switch s.i(0, 5) {
		case 0:
			p = x
		case 1:
			p = s.activation(x)
		case 2:
			if x.Shape[axis] > 1 {
				e := s.i(1, x.Shape[axis]-1)
				p = s.add(&ir.Slice{Starts: []int64{0}, Ends: []int64{int64(e)}, Axes: []int64{int64(axis)}}, x)
			}
		case 3:
			if s.image(x) && axis == s.chanAxis(r) {
				p = s.conv(x)
			}
		case 4:
			for _, v := range s.pool {
				if v != x && len(v.Shape) == r {
					same := true
					for d := range v.Shape {
						same = same && (d == axis || v.Shape[d] == x.Shape[d])
					}
					if same {
						p = v
						break
					}
				}
			}
		default:
			if x.Shape.Static() {
				cs := x.Shape.Clone()
				cs[axis] = s.i(1, 3)
				p = s.constant(cs, -1, 1)
				s.tag("concat/constant")
			}
		}
		if p != nil {
			parts = append(parts, p)
		}
	}
	if len(parts) == 1 && s.p(0.7) {
		return nil
	}
	s.rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	a := axis
	if s.p(0.3) {
		a -= r
	}
	y := s.add(&ir.Concat{Axis: a}, parts...)
	if y != nil {
		s.tag(fmt.Sprintf("concat/axis-%d-of-%d", axis, r))
	}
	return y
}

// pad adds a Pad of any mode with pads in [-2, 3] (negative ones crop).
func (s *rg) pad(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r == 0 {
		return nil
	}
	mode := pick(s, ir.PadConstant, ir.PadConstant, ir.PadReflect, ir.PadEdge, ir.PadWrap)
	pads := make([]int, 2*r)
	for i := range pads {
		if i%r < s.firstAxis() || s.p(0.4) {
			continue
		}
		pads[i] = pick(s, -2, -1, 1, 1, 2, 2, 3)
		if pads[i] < 0 {
			s.tag("pad/negative")
		}
	}
	y := s.add(&ir.Pad{Pads: pads, Mode: mode, Value: pick(s, 0, s.f(-2, 2))}, x)
	if y != nil {
		s.tag("pad/" + mode.String())
	}
	return y
}

// transpose adds a random permutation (the batch axis stays first when
// it is symbolic), often one of the two layout changes.
func (s *rg) transpose(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r < 2 {
		return nil
	}
	var perm []int
	switch {
	case r == 4 && s.p(0.3):
		perm = slices.Clone(pick(s, ir.PermNCHWToNHWC, ir.PermNHWCToNCHW))
	case s.p(0.05):
		perm = nil // reverse
	default:
		perm = make([]int, r)
		for i := range perm {
			perm[i] = i
		}
		lo := 0
		if s.batch == ir.Batch {
			lo = 1
		}
		tail := perm[lo:]
		s.rng.Shuffle(len(tail), func(i, j int) { tail[i], tail[j] = tail[j], tail[i] })
	}
	return s.add(&ir.Transpose{Perm: perm}, x)
}

// slice adds a Slice of some axes with random starts, ends (out of range
// ones included) and steps (negative ones included).
func (s *rg) slice(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r == 0 {
		return nil
	}
	lo := s.firstAxis()
	var axes []int
	for a := lo; a < r; a++ {
		if s.p(0.5) {
			axes = append(axes, a)
		}
	}
	if len(axes) == 0 {
		return nil
	}
	s.rng.Shuffle(len(axes), func(i, j int) { axes[i], axes[j] = axes[j], axes[i] })
	op := &ir.Slice{}
	anyStep := false
	for _, a := range axes {
		d := int64(x.Shape[a])
		step := int64(pick(s, 1, 1, 1, 2, 3, -1, -1, -2))
		var b, e int64
		if step > 0 {
			b, e = int64(s.i(0, int(d)-1)), int64(s.i(1, int(d)))
			if s.p(0.2) {
				e = pick(s, int64(math.MaxInt64), d+5)
			}
		} else {
			b, e = int64(s.i(0, int(d)-1)), int64(s.i(-1, int(d)-2))
			if s.p(0.3) {
				b = pick(s, int64(math.MaxInt64), d+3, -1)
			}
			if e == -1 || s.p(0.2) {
				e = pick(s, int64(math.MinInt64), -d-1)
			}
		}
		if s.p(0.3) && b >= 0 && b < d {
			b -= d // the same position counted from the end
		}
		if step != 1 {
			anyStep = true
			if step < 0 {
				s.tag("slice/negative-step")
			}
		}
		op.Starts = append(op.Starts, b)
		op.Ends = append(op.Ends, e)
		aa := int64(a)
		if s.p(0.2) {
			aa -= int64(r)
		}
		op.Axes = append(op.Axes, aa)
		op.Steps = append(op.Steps, step)
	}
	if !anyStep && s.p(0.5) {
		op.Steps = nil
	}
	return s.add(op, x)
}

// broadcastShape returns a shape that broadcasts to x's: a suffix of it
// with some dimensions replaced by 1 (never the symbolic batch).
func (s *rg) broadcastShape(x ir.Shape) ir.Shape {
	r := len(x)
	k := s.i(0, r)
	if s.p(0.5) {
		k = r
	}
	out := x[r-k:].Clone()
	for i := range out {
		if out[i] == ir.Batch || s.p(0.4) {
			out[i] = 1
		}
	}
	return out
}

// binary adds a broadcasting element-wise op between x and a constant or
// another run-time value.
func (s *rg) binary(x *ir.Value) *ir.Value {
	// The second operand.
	var other *ir.Value
	runTime := false
	switch s.i(0, 6) {
	case 0, 1:
		other = s.constant(s.broadcastShape(x.Shape), -1.5, 1.5)
	case 2:
		// One value per channel, as a bias or scale is exported.
		r := len(x.Shape)
		if r < 2 {
			return nil
		}
		ca := s.chanAxis(r)
		sh := make(ir.Shape, r-ca)
		for i := range sh {
			sh[i] = 1
		}
		sh[0] = x.Shape[ca]
		if s.p(0.5) {
			sh = append(ir.Shape{1}, sh...)
		}
		other = s.constant(sh, -1.5, 1.5)
	case 3:
		other = x
		runTime = true
	case 4:
		// A value of the graph that broadcasts with x.
		var cands []*ir.Value
		for _, v := range s.pool {
			if v == x {
				continue
			}
			if b, err := ir.BroadcastShapes(x.Shape, v.Shape); err == nil && b.Equal(x.Shape) {
				cands = append(cands, v)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		other = pick(s, cands...)
		runTime = true
	default:
		// A reduced copy of x: broadcasts back over the reduced axes.
		r := len(x.Shape)
		if r < 2 || x.Shape.PerBatch() == 0 {
			return nil
		}
		other = s.add(&ir.ReduceMean{Reduce: ir.Reduce{Axes: []int{s.i(1, r-1)}, KeepDims: true}}, x)
		runTime = true
	}
	if other == nil {
		return nil
	}
	if runTime {
		s.tag("binary/run-time-operand")
	} else {
		s.tag(fmt.Sprintf("binary/const-rank-%d-of-%d", len(other.Shape), len(x.Shape)))
	}
	a, b := x, other
	swap := s.p(0.3)
	if swap {
		a, b = b, a
	}
	switch s.i(0, 9) {
	case 0:
		return s.add(&ir.Add{}, a, b)
	case 1:
		return s.add(&ir.Sub{}, a, b)
	case 2:
		return s.add(&ir.Mul{}, a, b)
	case 3:
		if other.IsConst() {
			d := s.awayFromZero(other.Shape)
			if swap {
				return s.add(&ir.Div{}, d, s.positive(x))
			}
			return s.add(&ir.Div{}, x, d)
		}
		if p := s.positive(b); p != nil {
			return s.add(&ir.Div{}, a, p)
		}
	case 4:
		// Pow: a positive base, or an integer exponent.
		if s.p(0.5) {
			return s.add(&ir.Pow{}, x, ir.NewConst(s.name("c"), ir.NewFloatTensor(ir.Float32, ir.Shape{}, []float64{pick(s, 2.0, 3.0)})))
		}
		p := s.positive(x)
		if p == nil {
			return nil
		}
		e := s.constant(s.broadcastShape(x.Shape), -2, 2)
		if !other.IsConst() {
			e = s.add(&ir.Tanh{}, other)
			if e == nil {
				return nil
			}
		}
		return s.add(&ir.Pow{}, p, e)
	case 5:
		return s.add(&ir.Max{}, a, b)
	case 6:
		return s.add(&ir.Min{}, a, b)
	case 7:
		ins := []*ir.Value{a, b}
		if s.p(0.5) {
			ins = append(ins, s.constant(s.broadcastShape(x.Shape), -1, 1))
		}
		if s.p(0.1) {
			ins = []*ir.Value{x}
			s.tag("binary/single-input")
		}
		if s.p(0.5) {
			return s.add(&ir.Sum{}, ins...)
		}
		return s.add(&ir.Mean{}, ins...)
	case 8:
		// PRelu: the slope broadcasts to x's shape.
		return s.add(&ir.PRelu{}, x, b)
	default:
		ins := []*ir.Value{a, b, s.constant(s.broadcastShape(x.Shape), -1, 1)}
		if s.p(0.5) {
			return s.add(&ir.Max{}, ins...)
		}
		return s.add(&ir.Min{}, ins...)
	}
	return nil
}

// reduce adds ReduceMean/Sum/Max/Min over random axes, keeping them or
// not.
func (s *rg) reduce(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	lo := 0
	if s.batch == ir.Batch {
		lo = 1
	}
	var axes []int
	for a := lo; a < r; a++ {
		if s.p(0.4) {
			aa := a
			if s.p(0.2) {
				aa -= r
			}
			axes = append(axes, aa)
		}
	}
	if len(axes) == 0 && s.batch == ir.Batch {
		return nil
	}
	red := ir.Reduce{Axes: axes, KeepDims: s.p(0.5)}
	if len(axes) == 0 {
		s.tag("reduce/all-axes")
	}
	k := s.i(0, 3)
	if k == 0 && x.Shape.PerBatch() == 0 {
		k = s.i(1, 3) // the mean of nothing is undefined (ONNX)
	}
	switch k {
	case 0:
		return s.add(&ir.ReduceMean{Reduce: red}, x)
	case 1:
		return s.add(&ir.ReduceSum{Reduce: red}, x)
	case 2:
		return s.add(&ir.ReduceMax{Reduce: red}, x)
	default:
		return s.add(&ir.ReduceMin{Reduce: red}, x)
	}
}

// convTranspose adds a 1-D or 2-D ConvTranspose (NCHW graphs; the Go
// engine has none for NHWC).
func (s *rg) convTranspose(x *ir.Value) *ir.Value {
	if !s.image(x) || s.nhwc {
		return nil
	}
	r := len(x.Shape)
	c := x.Shape[1]
	group := 1
	if c > 1 && c%2 == 0 && s.p(0.3) {
		group = 2
	}
	mg := s.i(1, 4)
	n := r - 2
	k := make([]int, n)
	for i := range k {
		k[i] = pick(s, 1, 2, 3, 3, 4)
	}
	op := &ir.ConvTranspose{Window: ir.Window{Kernel: k}, Group: group}
	op.Strides = make([]int, n)
	for i := range op.Strides {
		op.Strides[i] = pick(s, 1, 2, 2, 3)
	}
	if s.p(0.3) {
		op.Dilations = make([]int, n)
		for i := range op.Dilations {
			op.Dilations[i] = pick(s, 1, 2)
		}
	}
	switch s.i(0, 4) {
	case 0:
		op.AutoPad = pick(s, ir.PadSameUpper, ir.PadSameLower, ir.PadValid)
		s.tag("convtranspose/auto-pad")
	case 1:
		op.OutputPadding = make([]int, n)
		for i := range op.OutputPadding {
			op.OutputPadding[i] = s.i(0, op.Strides[i]-1)
		}
		s.tag("convtranspose/output-padding")
	case 2:
		op.OutputShape = make([]int, n)
		for i := range op.OutputShape {
			op.OutputShape[i] = x.Shape[2+i]*op.Strides[i] + s.i(-1, 1)
		}
		s.tag("convtranspose/output-shape")
	default:
		op.Pads = make([]int, 2*n)
		for i := range op.Pads {
			op.Pads[i] = s.i(0, k[i%n]-1)
		}
	}
	wshape := append(ir.Shape{c, mg}, k...)
	inputs := []*ir.Value{x, s.constant(wshape, -0.6, 0.6)}
	if s.p(0.6) {
		inputs = append(inputs, s.constant(ir.Shape{mg * group}, -0.5, 0.5))
	}
	return s.add(op, inputs...)
}

// reshape adds a Reshape to a random factorization of the per-item
// elements (with 0 and -1 entries), keeping the batch in front.
func (s *rg) reshape(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r == 0 {
		return nil
	}
	dims := []int(x.Shape)
	lead := []int64(nil)
	if s.batch == ir.Batch || s.p(0.6) {
		if s.batch == ir.Batch {
			lead = []int64{pick(s, int64(0), ir.ReshapeBatch)}
		} else {
			lead = []int64{int64(x.Shape[0])}
		}
		dims = dims[1:]
	}
	total := 1
	for _, d := range dims {
		total *= d
	}
	nr := s.i(1, 4-len(lead))
	var out []int64
	rest := total
	for i := 0; i < nr-1; i++ {
		var divs []int
		for d := 1; d <= rest; d++ {
			if rest%d == 0 {
				divs = append(divs, d)
			}
		}
		d := pick(s, divs...)
		out = append(out, int64(d))
		rest /= d
	}
	out = append(out, int64(rest))
	if s.p(0.5) {
		out[s.rng.IntN(len(out))] = -1
	}
	shape := append(lead, out...)
	for i := range shape {
		if i > 0 && i < r && shape[i] == int64(x.Shape[i]) && s.p(0.3) {
			shape[i] = 0
		}
	}
	return s.add(&ir.Reshape{Shape: shape}, x)
}

// squeeze adds a Squeeze of unit axes or an Unsqueeze.
func (s *rg) squeeze(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	var ones []int
	for a := 1; a < r; a++ {
		if x.Shape[a] == 1 {
			ones = append(ones, a)
		}
	}
	if len(ones) > 0 && s.p(0.6) {
		return s.add(&ir.Squeeze{Axes: []int{pick(s, ones...)}}, x)
	}
	return s.add(&ir.Unsqueeze{Axes: []int{s.i(1, r)}}, x)
}

// gather adds a Gather with constant indices (negative ones included)
// along a non-batch axis.
func (s *rg) gather(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r < 2 {
		return nil
	}
	axis := s.i(s.firstAxis(), r-1)
	d := x.Shape[axis]
	var shape ir.Shape
	switch k := s.rng.Float64(); {
	case k < 0.6:
		shape = ir.Shape{s.i(1, 4)}
	case k < 0.75 && r < 4:
		shape = ir.Shape{s.i(1, 3), s.i(1, 2)}
	}
	idx := ir.Zeros(ir.Int64, shape)
	for i := range idx.Ints {
		idx.Ints[i] = int64(s.i(-d, d-1))
	}
	return s.add(&ir.Gather{Axis: axis}, x, ir.NewConst(s.name("idx"), idx))
}

// resize adds a Resize (upsampling or downsampling some axes) with a
// random interpolation, coordinate transformation and rounding.
func (s *rg) resize(x *ir.Value) *ir.Value {
	r := len(x.Shape)
	if r == 0 {
		return nil
	}
	op := &ir.Resize{Sizes: make([]int, r), Scales: make([]float64, r), CubicCoeffA: pick(s, -0.75, -0.5)}
	var axes []int
	if s.image(x) && s.p(0.7) {
		axes = s.spatialAxes(r)
	} else {
		for a := s.firstAxis(); a < r; a++ {
			axes = append(axes, a)
		}
	}
	for d, n := range x.Shape {
		op.Sizes[d], op.Scales[d] = n, 1
		if n == ir.Batch || !slices.Contains(axes, d) || s.p(0.2) {
			continue
		}
		if s.p(0.5) {
			op.Scales[d] = pick(s, 2, 3, 0.5, 1.5, 0.75, 4.0/3)
			op.Sizes[d] = int(math.Floor(float64(n) * op.Scales[d]))
		} else {
			op.Sizes[d] = s.i(1, 2*n+1)
			op.Scales[d] = float64(op.Sizes[d]) / float64(n)
		}
	}
	op.Mode = pick(s, ir.ResizeNearest, ir.ResizeLinear, ir.ResizeCubic)
	op.Coord = pick(s, ir.ResizeHalfPixel, ir.ResizeHalfPixelSymmetric, ir.ResizePytorchHalfPixel, ir.ResizeAlignCorners, ir.ResizeAsymmetric, ir.ResizeTFCropAndResize)
	op.Nearest = pick(s, ir.NearestRoundPreferFloor, ir.NearestRoundPreferCeil, ir.NearestFloor, ir.NearestCeil)
	op.ExcludeOutside = s.p(0.2)
	op.Antialias = op.Mode != ir.ResizeNearest && s.p(0.2)
	if op.Coord == ir.ResizeTFCropAndResize {
		op.Roi = make([]float64, 2*r)
		for d := 0; d < r; d++ {
			op.Roi[d], op.Roi[r+d] = 0, 1
			if x.Shape[d] != ir.Batch && s.p(0.5) {
				op.Roi[d], op.Roi[r+d] = s.f(-0.2, 0.5), s.f(0.5, 1.2)
			}
		}
		op.ExtrapolationValue = s.f(-1, 1)
	}
	y := s.add(op, x)
	if y != nil {
		s.tag("resize/" + op.Mode.String())
	}
	return y
}

// squeezeExcite adds x * sigmoid(conv(relu(conv(gap(x))))): a run-time
// per-channel scale broadcast over the image.
func (s *rg) squeezeExcite(x *ir.Value) *ir.Value {
	if len(x.Shape) != 4 {
		return nil
	}
	c := x.Shape[s.chanAxis(4)]
	gp := s.add(&ir.GlobalAveragePool{Layout: s.layout()}, x)
	if gp == nil {
		return nil
	}
	mid := s.i(1, 4)
	one := ir.Window{Kernel: []int{1, 1}}
	h := s.add(&ir.Conv{Window: one, Group: 1, Layout: s.layout()}, gp, s.constant(ir.Shape{mid, c, 1, 1}, -1, 1), s.constant(ir.Shape{mid}, -0.2, 0.2))
	if h == nil {
		return nil
	}
	h = s.add(&ir.Relu{}, h)
	e := s.add(&ir.Conv{Window: one, Group: 1, Layout: s.layout()}, h, s.constant(ir.Shape{c, mid, 1, 1}, -1, 1), s.constant(ir.Shape{c}, -0.2, 0.2))
	if e == nil {
		return nil
	}
	e = s.add(&ir.Sigmoid{}, e)
	s.tag("block/squeeze-excite")
	if s.p(0.5) {
		return s.add(&ir.Mul{}, e, x)
	}
	return s.add(&ir.Mul{}, x, e)
}
