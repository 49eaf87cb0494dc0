package ir

// MemoryPlan places the run-time values of one batch item in a single
// float32 arena, so that generated code allocates nothing per inference.
// Values whose live ranges do not overlap share memory; a reshape's output
// shares its input's memory.
type MemoryPlan struct {
	// Size is the arena length in float32 elements.
	Size int
	// Offset is the offset of every value placed in the arena, in float32
	// slots. A value of another element type (the 8-bit codes and int32
	// sums of quantized layers) takes its size in bytes divided by four,
	// rounded up, in slots, and generated code reads those bytes through
	// a view of the same arena. Graph inputs are not placed: generated
	// code reads them from the caller's slice.
	Offset map[*Value]int
}
