package passes

import (
	"sort"

	"github.com/cnnc/cnnc/ir"
)

// Alignment of arena offsets in float32 elements (64 bytes: a cache line
// and an AVX-512 register).
const Alignment = 16

// PlanMemory assigns every run-time value computed by the graph an offset
// in one float32 arena (g.Plan), one slot per float32 element and, for the
// 8-bit codes and int32 sums of quantized layers, one four-byte slot per
// four bytes (see Slots; the code generator rejects other types), reusing
// memory between values whose live
// ranges do not overlap: greedy placement, largest buffer first, at the
// lowest aligned offset free for its whole live range. Reshapes share
// their input's memory; graph inputs stay in the caller's slice. Kernel
// scratch (im2col chunks) is not planned here: the generated Model sizes
// it from the runtime, per thread.
//
// A model with a symbolic batch gets a front (see ir.MemoryPlan.Front):
// the nodes up to the last one with a large output, which the generated
// code runs item by item. Values the front makes and uses up are planned
// in a region of their own, which every item reuses, so that each item's
// layers run on memory the previous item just warmed; the rest need room
// for all the items of a forward pass.
func PlanMemory(g *ir.Graph) error { return planMemory(g, Target{}) }

// PlanMemoryFor is PlanMemory for a code generator whose kernels can read
// or write values as column ranges of wider ones (Target): then the
// inputs of a Concat along the last axis are written in place into its
// output and a Slice of columns is read where it lies (ir.MemoryPlan.In).
func PlanMemoryFor(t Target) func(*ir.Graph) error {
	return func(g *ir.Graph) error { return planMemory(g, t) }
}

func planMemory(g *ir.Graph, t Target) error {
	plan := &ir.MemoryPlan{Offset: make(map[*ir.Value]int), Local: make(map[*ir.Value]bool)}
	plan.In = newSlotter(g, t).slots()
	root := viewRoots(g)
	for v, s := range plan.In {
		root[v] = s.Of
	}
	ivs := Liveness(g)
	plan.Front = frontEnd(g)
	local := localValues(g, root, ivs, plan.Front)
	var mainIvs, localIvs []Interval
	for _, iv := range ivs {
		if local[root.of(iv.Value)] {
			localIvs = append(localIvs, iv)
		} else {
			mainIvs = append(mainIvs, iv)
		}
	}
	plan.Size = place(g, root, mainIvs, plan.Offset)
	plan.LocalSize = place(g, root, localIvs, plan.Offset)
	for v := range plan.Offset {
		if local[root.of(v)] {
			plan.Local[v] = true
		}
	}
	g.Plan = plan
	return nil
}

// bigActivation is the per-item size, in values, above which a layer
// counts as the front of a batched network: 64K float32s, a quarter of a
// megabyte, so that the layers after it keep several items in cache.
const bigActivation = 64 << 10

// frontEnd returns how many nodes, from the first, a batched model runs
// item by item: up to and including the last node with a big output.
func frontEnd(g *ir.Graph) int {
	batched := false
	for _, v := range g.Inputs {
		batched = batched || len(v.Shape) > 0 && v.Shape[0] == ir.Batch
	}
	if !batched {
		return 0
	}
	front := 0
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o.Shape.PerBatch() > bigActivation {
				front = i + 1
			}
		}
	}
	return front
}

// roots maps a view's output to the value whose memory it shows.
type roots map[*ir.Value]*ir.Value

func (r roots) of(v *ir.Value) *ir.Value {
	if x, ok := r[v]; ok {
		return x
	}
	return v
}

func viewRoots(g *ir.Graph) roots {
	r := roots{}
	for _, n := range g.Nodes {
		if ir.IsView(n) {
			r[n.Outputs[0]] = r.of(n.Inputs[0])
		}
	}
	return r
}

// localValues returns the buffers (by root) whose whole life is inside the
// front: defined and last used by nodes before front, and no graph output.
func localValues(g *ir.Graph, root roots, ivs []Interval, front int) map[*ir.Value]bool {
	local := map[*ir.Value]bool{}
	if front == 0 {
		return local
	}
	bad := map[*ir.Value]bool{}
	for _, iv := range ivs {
		r := root.of(iv.Value)
		if iv.Def < 0 || iv.Def >= front || iv.LastUse >= front {
			bad[r] = true
		}
		local[r] = true
	}
	for r := range bad {
		delete(local, r)
	}
	return local
}

// place lays the buffers of the intervals out in one region and returns
// its aligned size, recording each value's offset.
func place(g *ir.Graph, root roots, ivs []Interval, offset map[*ir.Value]int) int {
	type buffer struct {
		root      *ir.Value
		size      int
		def, last int
		offset    int
		order     int
	}
	var bufs []*buffer
	byRoot := make(map[*ir.Value]*buffer)
	inputs := make(map[*ir.Value]bool)
	for _, v := range g.Inputs {
		inputs[v] = true
	}
	for _, iv := range ivs {
		r := root.of(iv.Value)
		if inputs[r] {
			continue
		}
		b, ok := byRoot[r]
		if !ok {
			b = &buffer{root: r, size: Slots(r), def: iv.Def, last: iv.LastUse, order: len(bufs)}
			byRoot[r] = b
			bufs = append(bufs, b)
		}
		b.def = min(b.def, iv.Def)
		b.last = max(b.last, iv.LastUse)
	}
	// Largest first; ties in definition order, so the plan is deterministic.
	sorted := append([]*buffer(nil), bufs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].size > sorted[j].size })
	var placed []*buffer
	size := 0
	for _, b := range sorted {
		var busy []*buffer
		for _, p := range placed {
			if p.def <= b.last && b.def <= p.last {
				busy = append(busy, p)
			}
		}
		sort.Slice(busy, func(i, j int) bool { return busy[i].offset < busy[j].offset })
		off := 0
		for _, p := range busy {
			if off+b.size <= p.offset {
				break
			}
			off = max(off, align(p.offset+p.size))
		}
		b.offset = off
		placed = append(placed, b)
		size = max(size, off+b.size)
	}
	for _, b := range bufs {
		offset[b.root] = b.offset
	}
	for v, r := range root {
		if off, ok := offset[r]; ok {
			if _, done := offset[v]; !done {
				offset[v] = off
			}
		}
	}
	return align(size)
}

func align(n int) int { return (n + Alignment - 1) / Alignment * Alignment }

// Slots is the number of four-byte arena slots one batch item of v takes:
// its element count for float32, its size in bytes divided by four,
// rounded up, for other types.
func Slots(v *ir.Value) int {
	n := v.Shape.PerBatch()
	if v.DType == ir.Float32 {
		return n
	}
	return (n*v.DType.Size() + 3) / 4
}

// Codegen is the pipeline that prepares a typed graph for code generation.
// The graph comes typed from its frontend (ir.Graph.Infer), so shape
// inference is not a pass of its own: a pass that adds or rewrites nodes
// types them itself.
func Codegen() []Pass { return CodegenFor(Target{}) }

// CodegenFor is Codegen for a code generator that can do what t says.
func CodegenFor(t Target) []Pass {
	return []Pass{
		{Name: "remove-identity", Run: RemoveIdentity, Doc: "drop Identity, Dropout and no-op Casts"},
		{Name: "fold-constants", Run: FoldConstants, Doc: "evaluate nodes whose inputs are all constants"},
		{Name: "qdq", Run: QDQ, Doc: "turn DequantizeLinear -> op -> QuantizeLinear into integer ops; fold the weights left"},
		{Name: "fuse-channel-shuffle", Run: FuseChannelShuffle, Doc: "make Reshape, Transpose, Reshape channel shuffles one ChannelShuffle"},
		{Name: "fuse-silu", Run: FuseSilu, Doc: "make x*sigmoid(x) one Silu activation"},
		{Name: "fuse-gelu", Run: FuseGelu, Doc: "recognize GELU written out with Erf and make it one activation"},
		{Name: "fold-batchnorm", Run: FoldBatchNorm, Doc: "fold BatchNormalization into the preceding Conv's weights and bias"},
		{Name: "fuse-bias", Run: FuseBias, Doc: "turn MatMul by a constant into Gemm; fold constant Adds into Conv/Gemm biases"},
		{Name: "widen-groups", Run: WidenGroupsFor(t), Doc: "merge groups of a grouped Conv narrower than the kernels' panels, with block-diagonal filters"},
		{Name: "fuse-residual", Run: FuseResidual, Doc: "add a residual in the epilogue of the Conv that produces one Add input"},
		{Name: "fuse-activation", Run: FuseActivation, Doc: "apply activations in the epilogue of the preceding Conv or Gemm"},
		{Name: "lift-1d", Run: Lift1D, Doc: "run 1-D convolutions and pools as 2-D ones with a unit height"},
		{Name: "layout", Run: ToNHWC, Doc: "compute 2-D image ops in NHWC, transposing only at the edges"},
		{Name: "cancel-transposes", Run: CancelTransposes, Doc: "compose transposes of transposes; drop pairs that move nothing"},
		{Name: "fuse-channel-scale", Run: FuseChannelScale, Doc: "apply a squeeze-and-excitation scale to the next 1x1 Conv's weights instead of its input"},
		{Name: "fuse-preactivation", Run: FusePreActivation, Doc: "apply a BatchNorm (and its activation) that feeds a 1x1 Conv as the Conv reads its input"},
		{Name: "nchw-input", Run: ReadNCHWInputFor(t), Doc: "let a first convolution read its channels-first image instead of a transposed copy"},
		{Name: "integer-io", Run: IntegerIO, Doc: "give integer model inputs and outputs float32 slots"},
		{Name: "plan-memory", Run: PlanMemoryFor(t), Doc: "place run-time values in one reusable arena"},
	}
}
