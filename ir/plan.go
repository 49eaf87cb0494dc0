package ir

// MemoryPlan places the run-time values of one batch item in a single
// float32 arena, so that generated code allocates nothing per inference.
// Values whose live ranges do not overlap share memory; a reshape's output
// shares its input's memory.
type MemoryPlan struct {
	// Size is the arena length in float32 elements.
	Size int
	// Offset is the element offset of every value placed in the arena.
	// Graph inputs are not placed: generated code reads them from the
	// caller's slice.
	Offset map[*Value]int
	// Scratch is the element offset and length of a node's temporary
	// buffer (an im2col matrix), live only while the node runs.
	Scratch map[*Node]Extent
}

// Extent is a range of arena elements.
type Extent struct{ Offset, Len int }
