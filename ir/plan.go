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
	// In places values inside another value's memory, as a range of its
	// columns: the inputs of a Concat along the last axis that their
	// producers write straight into the Concat's output, and the outputs
	// of a Slice of columns that its readers take from the input. Such a
	// value's Offset is its Slot's.
	In map[*Value]Slot
}

// Slot is where a value lives inside another's memory. Both are matrices
// of rows along their last axis, with the same number of rows: row r of
// the value is elements [Col, Col+w) of row r of Of, where w is the
// value's last dimension, so its rows lie Of's last dimension apart. Of is
// never in a Slot itself.
type Slot struct {
	Of  *Value
	Col int
}

// Rows returns the row stride and first column of v in the plan: those of
// its Slot, or v's own last dimension and 0.
func (p *MemoryPlan) Rows(v *Value) (ld, col int) {
	if s, ok := p.In[v]; ok {
		return lastDim(s.Of.Shape), s.Col
	}
	return lastDim(v.Shape), 0
}

func lastDim(s Shape) int {
	if len(s) == 0 {
		return 1
	}
	return s[len(s)-1]
}
