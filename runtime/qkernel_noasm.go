//go:build !amd64 || purego

package runtime

import "unsafe"

func availableQKernels() []*qkernel { return []*qkernel{goQKernel} }

// qAsmTile is never called without assembly kernels; it exists so that
// the portable build compiles the same driver.
func qAsmTile(g *qgemmPlan, rows, i, p, nw, w int, ct unsafe.Pointer, q *qPanel, rs []int32) {
	panic("runtime: no quantized assembly kernel " + g.kern.name)
}
