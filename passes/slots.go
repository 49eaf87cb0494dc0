package passes

import "github.com/cnnc/cnnc/ir"

// Target is what the code generator's kernels can do, for the passes that
// plan around it. The zero Target claims nothing, and the passes then
// plan every value as a buffer of its own.
type Target struct {
	// ReadsRows reports whether the kernel that computes node n reads its
	// input i correctly when that input is a range of columns of a wider
	// matrix (rows at a stride longer than the input's last dimension).
	ReadsRows func(n *ir.Node, i int) bool
	// WritesRows reports the same of n's output.
	WritesRows func(n *ir.Node) bool
	// GroupWidth is the fewest output channels per group the kernels of
	// grouped convolutions compute at once; narrower groups are merged up
	// to it (see WidenGroupsFor). 0 leaves groups as they are.
	GroupWidth int
	// StemSegments is the most (input channel, kernel row) pairs of a
	// convolution the code generator runs on channels-first input (see
	// ReadNCHWInputFor); 0 means it runs none.
	StemSegments int
}

func (t Target) reads(n *ir.Node, i int) bool { return t.ReadsRows != nil && t.ReadsRows(n, i) }
func (t Target) writes(n *ir.Node) bool       { return t.WritesRows != nil && t.WritesRows(n) }

// slotter decides which values live inside another's memory (see
// ir.MemoryPlan.In): the inputs of column joins (a DenseNet block's
// growing Concats, an Inception module's branches), written there by their
// producers instead of being copied, and column slices (ShuffleNet's
// channel split), read there by their consumers.
type slotter struct {
	g    *ir.Graph
	t    Target
	in   map[*ir.Value]ir.Slot
	uses map[*ir.Value][]*ir.Node
	// viewed marks values that a view (a reshape) shows: their memory
	// must stay a plain buffer of their own shape.
	viewed map[*ir.Value]bool
	output map[*ir.Value]bool
}

func newSlotter(g *ir.Graph, t Target) *slotter {
	s := &slotter{g: g, t: t, in: map[*ir.Value]ir.Slot{}, uses: g.Uses(), viewed: map[*ir.Value]bool{}, output: map[*ir.Value]bool{}}
	for _, n := range g.Nodes {
		if ir.IsView(n) {
			s.viewed[n.Inputs[0]] = true
		}
	}
	for _, v := range g.Outputs {
		s.output[v] = true
	}
	return s
}

// slots returns the plan's In map. Joins are visited last to first, so
// that an outer join places the values of the joins nested in it, and a
// join whose inputs all lie side by side in one slot already becomes a
// slot itself (DenseNet's layer k reads the first k columns of the
// block's final Concat); column slices come after, inside whatever memory
// their input ended up in.
func (s *slotter) slots() map[*ir.Value]ir.Slot {
	for i := len(s.g.Nodes) - 1; i >= 0; i-- {
		n := s.g.Nodes[i]
		if j, ok := n.Op.(ir.ColumnJoin); ok && j.JoinsColumns(n) {
			s.join(n)
		}
	}
	for _, n := range s.g.Nodes {
		if c, ok := n.Op.(ir.ColumnSlice); ok {
			if start, ok := c.ColumnRange(n); ok {
				s.slice(n, start)
			}
		}
	}
	return s.in
}

// join places the inputs of column join n in its output's memory where
// their producers and readers allow; the join's emitter copies the rest.
func (s *slotter) join(n *ir.Node) {
	y := n.Outputs[0]
	if y.DType != ir.Float32 {
		return
	}
	base, ok := s.in[y]
	if !ok {
		if at, ok := s.sideBySide(n.Inputs); ok && s.movable(y) {
			// Nothing to do at run time: the inputs are already where
			// the output would be.
			s.in[y] = at
			return
		}
		base = ir.Slot{Of: y}
	}
	col := base.Col
	seen := map[*ir.Value]bool{}
	for _, x := range n.Inputs {
		want := ir.Slot{Of: base.Of, Col: col}
		col += lastDim(x.Shape)
		if _, placed := s.in[x]; placed || seen[x] {
			continue
		}
		seen[x] = true
		if x.Producer != nil && s.t.writes(x.Producer) && x.Producer.Outputs[0] == x && s.movable(x) {
			s.in[x] = want
		}
	}
}

// sideBySide reports whether the values lie in one slot's memory, each
// right after the one before; it returns where the first one starts.
func (s *slotter) sideBySide(vs []*ir.Value) (ir.Slot, bool) {
	if len(vs) == 0 {
		return ir.Slot{}, false
	}
	first, ok := s.in[vs[0]]
	if !ok {
		return ir.Slot{}, false
	}
	col := first.Col
	for _, v := range vs {
		at, ok := s.in[v]
		if !ok || at.Of != first.Of || at.Col != col {
			return ir.Slot{}, false
		}
		col += lastDim(v.Shape)
	}
	return first, true
}

// slice makes the output of column slice n a slot of its input's memory.
func (s *slotter) slice(n *ir.Node, start int) {
	x, y := n.Inputs[0], n.Outputs[0]
	if _, placed := s.in[y]; placed || x.Producer == nil || x.IsConst() || s.viewed[x] || y.DType != ir.Float32 || !s.movable(y) {
		return
	}
	at := ir.Slot{Of: x, Col: start}
	if xs, ok := s.in[x]; ok {
		at = ir.Slot{Of: xs.Of, Col: xs.Col + start}
	}
	s.in[y] = at
}

// movable reports whether v may live inside another value's memory: a
// computed float32 value, not a graph output or input, not shown by a
// view, and every reader's kernel takes rows at a stride.
func (s *slotter) movable(v *ir.Value) bool {
	if v.Producer == nil || v.IsConst() || s.output[v] || s.viewed[v] || v.DType != ir.Float32 || len(v.Shape) < 2 {
		return false
	}
	if p := v.Producer; ir.IsView(p) {
		return false
	}
	for _, u := range s.uses[v] {
		for i, in := range u.Inputs {
			if in == v && !s.t.reads(u, i) {
				return false
			}
		}
	}
	return true
}

func lastDim(s ir.Shape) int {
	if len(s) == 0 {
		return 1
	}
	return s[len(s)-1]
}
