//go:build !purego

package runtime

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run -C internal/asmgen . -out ../../sgemm_amd64.s -stubs ../../sgemm_stubs_amd64.go -pkg runtime

// The AVX-512 kernel holds a 12 x 32 tile in 24 of the 32 vector registers;
// the AVX2 kernel a 6 x 16 tile in 12 of 16. Both can also run panels of one
// vector (16 and 8 columns), which the last panel of B uses when that is
// enough.
var (
	avx512Kernel = &kernel{name: "avx512", isa: isaAVX512, mr: 12, nr: 32, nrMin: 16, kc: 256, mc: 96}
	avx2Kernel   = &kernel{name: "avx2", isa: isaAVX2, mr: 6, nr: 16, nrMin: 8, kc: 256, mc: 96}
)

func hasAVX512() bool { return cpu.X86.HasAVX512F }
func hasAVX2() bool   { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func availableKernels() []*kernel {
	var ks []*kernel
	if hasAVX512() {
		ks = append(ks, avx512Kernel)
	}
	if hasAVX2() {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, goKernel)
}

func pickKernel() *kernel { return availableKernels()[0] }

// asmTile runs an assembly kernel on one tile; see tile for the arguments.
// The slices have been checked by Sgemm, so the kernel may read and write
// through raw pointers.
func asmTile(kern *kernel, rows, nw, w, kc int, a []float32, lda int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	var ap, bp, biasp, resp *float32
	if kc > 0 {
		ap, bp = unsafe.SliceData(a), unsafe.SliceData(b)
	}
	if flags&tBias != 0 {
		biasp = unsafe.SliceData(bias)
	}
	if flags&tRes != 0 {
		resp = unsafe.SliceData(res)
	}
	cp := unsafe.SliceData(c)
	switch kern.isa {
	case isaAVX512:
		mask := uint32(1)<<uint(nw) - 1
		if w == 32 {
			sgemmAVX512x32(rows, kc, ap, lda, bp, cp, ldc, mask, flags, biasp, resp, lo, hi, alpha)
		} else {
			sgemmAVX512x16(rows, kc, ap, lda, bp, cp, ldc, mask, flags, biasp, resp, lo, hi, alpha)
		}
	case isaAVX2:
		if nw == w {
			if w == 16 {
				sgemmAVX2x16(rows, kc, ap, lda, bp, cp, ldc, 0, flags, biasp, resp, lo, hi, alpha)
			} else {
				sgemmAVX2x8(rows, kc, ap, lda, bp, cp, ldc, 0, flags, biasp, resp, lo, hi, alpha)
			}
			return
		}
		// AVX2 has no masked stores: compute the full panel into a
		// scratch tile and let Go store the wanted columns.
		var tmp [6 * 16]float32
		if w == 16 {
			sgemmAVX2x16(rows, kc, ap, lda, bp, &tmp[0], w, 0, 0, nil, nil, 0, 0, 0)
		} else {
			sgemmAVX2x8(rows, kc, ap, lda, bp, &tmp[0], w, 0, 0, nil, nil, 0, 0, 0)
		}
		for r := 0; r < rows; r++ {
			var rr []float32
			if flags&tRes != 0 {
				rr = res[r*ldc:]
			}
			storeRow(c[r*ldc:r*ldc+nw], tmp[r*w:r*w+nw], flags, bias, rr, lo, hi, alpha)
		}
	}
}

func depthwiseISAs() []isa {
	var is []isa
	if hasAVX512() {
		is = append(is, isaAVX512)
	}
	if hasAVX2() {
		is = append(is, isaAVX2)
	}
	return append(is, isaGo)
}

// depthwiseWidth is the channel multiple the depthwise assembly needs, or
// 0 for the portable path.
func depthwiseWidth() int {
	switch dwISA {
	case isaAVX512:
		return 16
	case isaAVX2:
		return 8
	}
	return 0
}

// depthwiseAsm runs the depthwise assembly kernel on npix pixels; taps
// holds (input, weight) byte-offset pairs. See the asmgen command for the
// contract. The caller has checked every address it implies.
func depthwiseAsm(npix int, out []float32, ostride int, in []float32, istride int, taps []int, w []float32, c int, bias []float32, flags uint, lo, hi float32) {
	var bp *float32
	if flags&tBias != 0 {
		bp = unsafe.SliceData(bias)
	}
	if dwISA == isaAVX512 {
		depthwiseAVX512(npix, unsafe.SliceData(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps)/2, unsafe.SliceData(w), c, bp, flags, lo, hi)
		return
	}
	depthwiseAVX2(npix, unsafe.SliceData(out), ostride, unsafe.SliceData(in), istride, unsafe.SliceData(taps), len(taps)/2, unsafe.SliceData(w), c, bp, flags, lo, hi)
}
