package ir

// Op facts: what the passes, the code generator and the summary need to
// know about an op beyond its shape rule. Each is an optional interface
// that the op type implements in its own file, so that adding an op never
// means editing a list elsewhere.

// View is implemented by ops whose output is their first input's data
// seen with another shape (Reshape, Flatten, Squeeze, Unsqueeze, and the
// inference-time identities Identity and Dropout). The memory plan gives
// such an output its input's memory, and the code generator emits nothing
// for it.
type View interface {
	Op
	// IsView marks the op; it has no behaviour.
	IsView()
}

// IsView reports whether n is a view of a run-time value: its op is a View
// and its input is not a constant (a view of a constant is data that must
// be materialized once).
func IsView(n *Node) bool {
	_, ok := n.Op.(View)
	return ok && len(n.Inputs) > 0 && n.Inputs[0] != nil && !n.Inputs[0].IsConst()
}

// MACCounter is implemented by ops that multiply and accumulate: their
// multiply-accumulate count per batch item, from their input and output
// types (cnnc summary's MACs column, the GFLOP/s of cnnc bench -layers).
type MACCounter interface {
	MACs(in, out []Type) int64
}

// WorkCounter is implemented by ops that read a window per output element
// without multiplying (pooling, LRN): about how many elements they read
// per batch item. Constant folding uses it to bound compile-time work.
type WorkCounter interface {
	Work(in, out []Type) int64
}

// MACs returns n's multiply-accumulates per batch item, 0 for ops that do
// none or while types are unknown.
func MACs(n *Node) int64 {
	c, ok := n.Op.(MACCounter)
	if !ok || !typed(n) {
		return 0
	}
	return c.MACs(InputTypes(n), outputTypes(n))
}

// Work estimates the scalar operations n does per batch item: its MACs or
// window reads where the op reports them, else one per input and output
// element.
func Work(n *Node) int64 {
	if !typed(n) {
		return 0
	}
	in, out := InputTypes(n), outputTypes(n)
	var w int64
	for _, t := range in {
		w += int64(t.Shape.PerBatch())
	}
	for _, t := range out {
		w += int64(t.Shape.PerBatch())
	}
	switch c := n.Op.(type) {
	case MACCounter:
		w += c.MACs(in, out)
	case WorkCounter:
		w += c.Work(in, out)
	}
	return w
}

// ElementWise is implemented by ops that compute each output element from
// the elements at the same (broadcast) position of their inputs, so that
// they can run in any layout once their inputs share it.
type ElementWise interface {
	Op
	// IsElementWise marks the op; it has no behaviour.
	IsElementWise()
}

// Relayout is implemented by ops that can compute on channels-last (NHWC)
// data. ToNHWC is asked while the layout pass visits the node, with the
// node's input types and whether any run-time input already holds NHWC
// data. If the op can (or should) compute in NHWC it rewrites its own
// attributes for the new axis order (a Concat's axis, a Pad's pads, a
// Conv's Layout) and returns the inputs that must then hold NHWC data;
// the others (weights, a BatchNorm's statistics) keep their shape. It
// returns ok false, and changes nothing, otherwise.
//
// Ops that choose NHWC for speed (convolutions, pools) say yes whenever
// their input is a rank-4 image; ops that merely can follow (Concat,
// BatchNormalization, Softmax) say yes only when their input already is
// NHWC, so that no transpose is added for them.
type Relayout interface {
	ToNHWC(in []Type, inputNHWC bool) (convert []int, ok bool)
}

// nchwAxis maps an NCHW axis of a rank-4 tensor to its NHWC position.
var nchwAxis = [4]int{0, 3, 1, 2}

// NHWCAxis returns the NHWC position of NCHW axis a of a rank-4 tensor.
func NHWCAxis(a int) int { return nchwAxis[a] }

func typed(n *Node) bool {
	for _, v := range n.Inputs {
		if v != nil && !v.Known() {
			return false
		}
	}
	for _, v := range n.Outputs {
		if v == nil || !v.Known() {
			return false
		}
	}
	return len(n.Outputs) > 0
}

func outputTypes(n *Node) []Type {
	t := make([]Type, len(n.Outputs))
	for i, v := range n.Outputs {
		t[i] = v.Type
	}
	return t
}

func prod64(s []int) int64 {
	p := int64(1)
	for _, d := range s {
		p *= int64(d)
	}
	return p
}

// Lifter is implemented by 1-D image ops ([N, C, L] data) that can run as
// 2-D ones over [N, C, 1, L], so that the 2-D kernels of the generated
// code serve them. LiftTo2D rewrites the op for the unit height (a window
// gains a unit first axis) and returns the inputs the lifting pass must
// give a unit axis 2: data inputs (unsqueezed at run time) and constant
// weights (reshaped to [M, C/group, 1, k]). It returns ok false, changing
// nothing, when the op cannot be lifted (channels-last data, weights
// computed at run time).
type Lifter interface {
	LiftTo2D(in []Type) (data, weights []int, ok bool)
}

// lift prepends a unit axis to a 1-D window.
func (w *Window) lift() {
	w.Kernel = append([]int{1}, w.Kernel...)
	w.Strides = append([]int{1}, w.Strides...)
	w.Dilations = append([]int{1}, w.Dilations...)
	w.Pads = []int{0, w.Pads[0], 0, w.Pads[1]}
}

func liftable(l Layout, in []Type) bool { return l != NHWC && len(in) > 0 && len(in[0].Shape) == 3 }

// PassThrough is implemented by ops that, for some attributes or input
// types, return their first input unchanged: Identity and Dropout at
// inference, a Cast to the type the value has, a Concat of one input, a
// Pad of nothing. The remove-identity pass replaces such a node's output
// by its input, so the generated code neither copies nor allocates for it.
type PassThrough interface {
	Op
	// PassesThrough reports whether node n (of this op) returns its first
	// input unchanged.
	PassesThrough(n *Node) bool
}

// Epilogue is implemented by ops whose kernels can apply an activation to
// each result as they store it (Conv, Gemm, BatchNormalization): the
// activation-fusion pass moves a following activation into the op, saving
// a pass over the data.
type Epilogue interface {
	Op
	// FusedActivation returns the activation the op applies to its
	// result, nil for none.
	FusedActivation() Activation
	// SetActivation makes the op apply act to its result.
	SetActivation(act Activation)
}

// ColumnJoin is implemented by ops whose output is their inputs laid side
// by side along the last axis (a Concat on it). The memory plan can then
// have the inputs' producers write straight into the output's rows.
type ColumnJoin interface {
	Op
	// JoinsColumns reports whether node n (of this op) is such a join.
	JoinsColumns(n *Node) bool
}

// ColumnSlice is implemented by ops whose output can be a range of their
// first input's columns (a Slice of the last axis with step 1). The memory
// plan can then let the readers take the range from the input's memory.
type ColumnSlice interface {
	Op
	// ColumnRange returns the first column of node n's output in its
	// input, ok false when n is not such a slice.
	ColumnRange(n *Node) (start int, ok bool)
}
