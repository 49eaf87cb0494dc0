//go:build race

package vision

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// TestZeroAlloc cannot hold.
const raceEnabled = true
