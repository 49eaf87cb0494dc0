//go:build !amd64 || purego

package runtime

import "unsafe"

func availableQKernels() []*qkernel { return []*qkernel{goQKernel} }

// qAsmRows is never called without assembly kernels.
func qAsmRows(g *qgemmPlan, i, n, p int, ct unsafe.Pointer, q *qPanel, rs []int32) {
	panic("runtime: no quantized assembly kernel " + g.kern.name)
}

// qAsmTile is never called without assembly kernels; it exists so that
// the portable build compiles the same driver.
func qAsmTile(g *qgemmPlan, rows, i, p, nw, w int, ct unsafe.Pointer, q *qPanel, rs []int32) {
	panic("runtime: no quantized assembly kernel " + g.kern.name)
}

func qdwISAs() []isa { return []isa{isaGo} }

func qewISAs() []isa { return []isa{isaGo} }

// qdepthwiseAsm is never called without assembly kernels.
func qdepthwiseAsm(npix int, out unsafe.Pointer, ostride int, in []uint8, istride int, taps []int, w, wsum []int32, c int, st *qStore, flags uint, za int32) {
	panic("runtime: no quantized depthwise assembly")
}

// qmaxPoolAsm is never called without assembly kernels.
func qmaxPoolAsm(n int, out []uint8, ostride int, in []uint8, istride int, taps []int, c int) {
	panic("runtime: no quantized pooling assembly")
}

// qbinaryAsm is never called without assembly kernels.
func qbinaryAsm(dst, a, b []uint8, f *[3]float32, z *[5]int32, op int) {
	panic("runtime: no quantized element-wise assembly")
}

// qquantizeAsm is never called without assembly kernels.
func qquantizeAsm(dst []uint8, src []float32, scale float32, zero int32, lo, hi float32, signed bool) {
	panic("runtime: no quantization assembly")
}

// qim2colAsm is never called without assembly kernels.
func qim2colAsm(n int, dst []uint8, ldd int, src []uint8, sstep, nruns, runlen, srun int) {
	panic("runtime: no byte im2col assembly")
}

// qlookupAsm is never called without assembly kernels.
func qlookupAsm(dst, src []uint8, table *[256]uint8) {
	panic("runtime: no lookup assembly")
}

// qsumRowsAsm is never called without assembly kernels.
func qsumRowsAsm(acc []int32, src []uint8, stride, rows int) {
	panic("runtime: no row-sum assembly")
}

const amxBlockMin = 2

// amxRows is never called without assembly kernels.
func amxRows(g *qgemmPlan, i, rows, p, nw, w int, ct unsafe.Pointer, q *qPanel, rs []int32, sums *[32 * 32]int32) {
	panic("runtime: no AMX")
}

// avx512VNNIQKernel stands for the VNNI kernel that AMX plans fall back
// to; there is none without assembly, and no AMX plan either.
var avx512VNNIQKernel = goQKernel

func qdwRowOK(g *Window) bool { return false }

// rowAsm is never called without assembly kernels.
func (d *qdwJob) rowAsm(oh int, flags uint) { panic("runtime: no int8 depthwise row kernel") }

func amxGranted() bool { return false }
