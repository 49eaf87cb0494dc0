//go:build !amd64 || purego

package runtime

func availableKernels() []*kernel { return []*kernel{goKernel} }

func pickKernel() *kernel { return goKernel }

// asmTile is never called without assembly kernels; it exists so that the
// portable build compiles the same driver.
func asmTile(kern *kernel, rows, nw, w, kc int, a []float32, lda int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32, pf *float32) {
	panic("runtime: no assembly kernel " + kern.name)
}

// asmIndirectTile is never called without assembly kernels.
func asmIndirectTile(kern *kernel, rows, nw, w, taps, kc int, tbl []int32, tstride int, in, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	panic("runtime: no indirect GEMM kernel " + kern.name)
}

func stemKernel(k *kernel) *kernel { return goKernel }

// asmStemTile is never called without assembly kernels.
func asmStemTile(kern *kernel, rows, nw, w, kw int, a []float32, lda int, segs []int32, dx int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	panic("runtime: no stem assembly")
}

func depthwiseISAs() []isa { return []isa{isaGo} }

func depthwiseWidth() int { return 0 }

// depthwiseAsm is never called without assembly kernels.
func depthwiseAsm(npix int, out []float32, ostride int, in []float32, istride int, taps []int, w []float32, c int, bias []float32, flags uint, lo, hi float32) {
	panic("runtime: no depthwise assembly")
}

// winoInputAsm is never called without assembly kernels.
func winoInputAsm(tile int, v []float32, ldv int, src []float32, rs, ps, c int) {
	panic("runtime: no Winograd assembly")
}

// winoOutputAsm is never called without assembly kernels.
func winoOutputAsm(tile int, u []float32, ldu int, dst []float32, ldd, rsd, rows, cols, m int, bias, res []float32, flags uint, lo, hi, alpha float32) {
	panic("runtime: no Winograd assembly")
}

// poolAsm is never called without assembly kernels.
func poolAsm(avg bool, n int, out []float32, ostride int, in []float32, istride int, taps []int, c int, scale float32) {
	panic("runtime: no pooling assembly")
}

// im2colAsm is never called without assembly kernels.
func im2colAsm(n int, dst []float32, ldd int, src []float32, sstep, nruns, runlen, srun int) {
	panic("runtime: no im2col assembly")
}

// activateAsm is never called without assembly kernels.
func activateAsm(x []float32, rows, cols, ld int, act ActKind, alpha, beta float32) {
	panic("runtime: no activation assembly")
}

func hasTranspose8() bool { return layoutISA != isaGo }

func transposeStrip(nb int, src []float32, sstride int, dst []float32, dstride int) {
	panic("runtime: no assembly transpose")
}

func chanWidth() int { return 0 }

func sumRowsAsm(rows, c int, src []float32, ld int, dst []float32) {
	panic("runtime: no assembly sumRows")
}

func scaleRowsAsm(rows, w int, src, dst, s []float32) {
	panic("runtime: no assembly scaleRows")
}

func scaleShiftAsm(rows, c int, src []float32, sld int, dst []float32, dld int, scale, shift []float32, flags uint, lo, hi float32) {
	panic("runtime: no assembly scaleShift")
}

func depthwiseRowOK(g *Window) bool { return false }

// dwRowForce has no row kernels to force here; the tests set it anyway.
var dwRowForce = 0

// depthwiseRowAsm is never called without assembly kernels.
func depthwiseRowAsm(out []float32, ldd int, src []float32, g *Window, ih0, kh0, kh1 int, w []float32, cv int, bias []float32, flags uint, lo, hi float32) {
	panic("runtime: no depthwise assembly")
}

func interleave2(dst, src []float32, rows, per int) int { return 0 }
