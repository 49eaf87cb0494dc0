package passes

import "github.com/cnnc/cnnc/ir"

// Interval is the live range of a run-time value in node indices: it is
// written by node Def (-1 for a graph input) and last read by node LastUse
// (len(g.Nodes) for a graph output, which must survive the whole run).
type Interval struct {
	Value        *ir.Value
	Def, LastUse int
}

// Liveness returns the live interval of every run-time value (graph inputs
// and node outputs; constants excluded), in order of definition.
func Liveness(g *ir.Graph) []Interval {
	index := make(map[*ir.Value]int)
	var ivs []Interval
	add := func(v *ir.Value, def int) {
		index[v] = len(ivs)
		ivs = append(ivs, Interval{Value: v, Def: def, LastUse: def})
	}
	for _, v := range g.Inputs {
		add(v, -1)
	}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if k, ok := index[in]; ok {
				ivs[k].LastUse = i
			}
		}
		for _, o := range n.Outputs {
			add(o, i)
		}
	}
	for _, o := range g.Outputs {
		if k, ok := index[o]; ok {
			ivs[k].LastUse = len(g.Nodes)
		}
	}
	return ivs
}

// PeakActivationBytes is the largest total size of the values live at once
// while running the nodes in order, for one batch item, counting a node's
// inputs and outputs as live together. It is what an executor without any
// buffer sharing between simultaneously live values needs; the memory
// planner's arena can only be larger (alignment, fragmentation).
func PeakActivationBytes(g *ir.Graph) int64 {
	ivs := Liveness(g)
	var peak int64
	for step := -1; step <= len(g.Nodes); step++ {
		var live int64
		for _, iv := range ivs {
			if iv.Def <= step && step <= iv.LastUse {
				live += Bytes(iv.Value)
			}
		}
		peak = max(peak, live)
	}
	return peak
}

// Bytes is the storage size of one batch item of v.
func Bytes(v *ir.Value) int64 {
	return int64(v.Shape.PerBatch()) * int64(v.DType.Size())
}
