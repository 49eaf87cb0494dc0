package passes

import (
	"sort"

	"github.com/cnnc/cnnc/ir"
)

// Alignment of arena offsets in float32 elements (64 bytes: a cache line
// and an AVX-512 register).
const Alignment = 16

// PlanMemory assigns every run-time value computed by the graph an offset
// in one float32 arena (g.Plan), one slot per element (the code generator
// rejects values of other types), reusing memory between values whose live
// ranges do not overlap: greedy placement, largest buffer first, at the
// lowest aligned offset free for its whole live range. Reshapes share
// their input's memory; graph inputs stay in the caller's slice. Kernel
// scratch (im2col chunks) is not planned here: the generated Model sizes
// it from the runtime, per thread.
func PlanMemory(g *ir.Graph) error {
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
	root := make(map[*ir.Value]*ir.Value)
	rootOf := func(v *ir.Value) *ir.Value {
		if r, ok := root[v]; ok {
			return r
		}
		return v
	}
	for _, n := range g.Nodes {
		if ir.IsView(n) {
			root[n.Outputs[0]] = rootOf(n.Inputs[0])
		}
	}
	for _, iv := range Liveness(g) {
		v := iv.Value
		r := rootOf(v)
		if inputs[r] {
			continue
		}
		b, ok := byRoot[r]
		if !ok {
			b = &buffer{root: r, size: r.Shape.PerBatch(), def: iv.Def, last: iv.LastUse, order: len(bufs)}
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
	plan := &ir.MemoryPlan{Size: align(size), Offset: make(map[*ir.Value]int)}
	for _, b := range bufs {
		plan.Offset[b.root] = b.offset
	}
	for v, r := range root {
		if off, ok := plan.Offset[r]; ok {
			plan.Offset[v] = off
		}
	}
	g.Plan = plan
	return nil
}

func align(n int) int { return (n + Alignment - 1) / Alignment * Alignment }

// Codegen is the pipeline that prepares a typed graph for code generation.
// The graph comes typed from its frontend (ir.Graph.Infer), so shape
// inference is not a pass of its own: a pass that adds or rewrites nodes
// types them itself.
func Codegen() []Pass {
	return []Pass{
		{Name: "remove-identity", Run: RemoveIdentity, Doc: "drop Identity, Dropout and no-op Casts"},
		{Name: "fold-constants", Run: FoldConstants, Doc: "evaluate nodes whose inputs are all constants"},
		{Name: "fuse-channel-shuffle", Run: FuseChannelShuffle, Doc: "make Reshape, Transpose, Reshape channel shuffles one ChannelShuffle"},
		{Name: "fuse-silu", Run: FuseSilu, Doc: "make x*sigmoid(x) one Silu activation"},
		{Name: "fuse-gelu", Run: FuseGelu, Doc: "recognize GELU written out with Erf and make it one activation"},
		{Name: "fold-batchnorm", Run: FoldBatchNorm, Doc: "fold BatchNormalization into the preceding Conv's weights and bias"},
		{Name: "fuse-bias", Run: FuseBias, Doc: "turn MatMul by a constant into Gemm; fold constant Adds into Conv/Gemm biases"},
		{Name: "fuse-residual", Run: FuseResidual, Doc: "add a residual in the epilogue of the Conv that produces one Add input"},
		{Name: "fuse-activation", Run: FuseActivation, Doc: "apply activations in the epilogue of the preceding Conv or Gemm"},
		{Name: "lift-1d", Run: Lift1D, Doc: "run 1-D convolutions and pools as 2-D ones with a unit height"},
		{Name: "layout", Run: ToNHWC, Doc: "compute 2-D image ops in NHWC, transposing only at the edges"},
		{Name: "cancel-transposes", Run: CancelTransposes, Doc: "compose transposes of transposes; drop pairs that move nothing"},
		{Name: "plan-memory", Run: PlanMemory, Doc: "place run-time values in one reusable arena"},
	}
}
