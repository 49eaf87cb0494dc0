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
	// Front is how many nodes, from the first, a batched model runs one
	// item at a time through all of them (its large early activations stay
	// in cache from layer to layer); 0 for other models.
	Front int
	// Local marks the values the front computes and uses up itself: they
	// are placed (by Offset) in a region of LocalSize elements that every
	// item reuses. The others are placed in Size elements per item.
	Local     map[*Value]bool
	LocalSize int
}
