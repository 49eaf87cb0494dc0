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
}
