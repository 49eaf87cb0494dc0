package runtime

// A kernel is one SGEMM micro-kernel family together with the blocking that
// suits it. B is packed for one kernel (its panel width differs between
// families), so a PackedB remembers the kernel it was packed for and Sgemm
// always runs that one; switching kernels means packing again.
type kernel struct {
	name string
	isa  isa
	// mr and nr are the register tile: up to mr rows of A times one B panel
	// of nr columns per call.
	mr, nr int
	// nrMin is the narrowest panel the kernel runs at full speed; the last
	// panel of a PackedB is packed to a multiple of it rather than of nr,
	// so that N = 16 does not pay for 32 columns on AVX-512.
	nrMin int
	// kc is the K block (the B panel slice kc x nr stays in L1) and mc the
	// M block (the A block mc x kc stays in L2).
	kc, mc int
	// indirect says the kernel has an indirect GEMM twin that reads the
	// same panels (see igemm.go), so that convolutions packed for it may
	// skip im2col.
	indirect bool
}

type isa uint8

const (
	isaGo isa = iota
	isaAVX2
	isaAVX512
)

func (i isa) String() string {
	return [...]string{"go", "avx2", "avx512"}[i]
}

// Tile flags tell a micro-kernel what to do in its store step. Kernels
// implement all of them, so that assembly and Go produce the same results.
const (
	tAcc   = 1 << iota // add the product to C instead of overwriting it
	tBias              // add bias[j]
	tRes               // add res[i*ldc+j]
	tClamp             // clamp to [lo, hi]
	tLeaky             // multiply negative values by alpha
)

// goKernel is the portable micro-kernel. It is 2x4 because the Go
// compiler keeps eight float32 accumulators, two A values and four B values
// in registers without spilling; wider tiles measured slower.
var goKernel = &kernel{name: "go", isa: isaGo, mr: 2, nr: 4, nrMin: 4, kc: 256, mc: 64, indirect: true}

// bestKernel is the kernel PackB uses: the fastest one this CPU supports.
// It is set once, at package initialization, and tests may swap it.
var bestKernel = pickKernel()

// kernels lists every kernel the CPU can run, fastest first; tests check
// each one against the reference.
var kernels = availableKernels()

// dwISA is the instruction set DepthwiseConv uses, the best available;
// tests switch it to run every path on one machine.
var dwISA = depthwiseISAs()[0]

// winoISA is the instruction set of the Winograd transforms; tests switch
// it like dwISA.
var winoISA = depthwiseISAs()[0]

// poolISA is the instruction set of MaxPool and AvgPool.
var poolISA = depthwiseISAs()[0]

// im2colISA is the instruction set of the im2col copy.
var im2colISA = depthwiseISAs()[0]

// actISA is the instruction set of the activation kernels, which every
// path that applies an activation goes through (see activateRows); tests
// switch it, like dwISA, to check the assembly and the portable kernels
// on one machine.
var actISA = depthwiseISAs()[0]

// layoutISA selects the layout changes' kernel (8x8 register transposes
// on AVX2 and above); tests set it to isaGo to check the portable one.
var layoutISA = depthwiseISAs()[0]

// SgemmKernel names the micro-kernel that PackB selects on this machine:
// "avx512", "avx2" or "go". It is meant for diagnostics and benchmarks.
func SgemmKernel() string { return bestKernel.name }

// goTile is the portable micro-kernel: C[0:mr, 0:nw] (+)= A[0:mr, 0:kc] x
// Bpanel[0:kc, 0:4], followed by the store-step operations in flags. a holds
// mr rows at stride lda, b the packed panel (kc rows of 4), c and res mr rows
// at stride ldc, bias nw values. mr is 1 or 2 and nw at most 4.
func goTile(mr, nw, kc int, a []float32, lda int, b, c []float32, ldc int, flags uint, bias, res []float32, lo, hi, alpha float32) {
	var acc [2][4]float32
	if kc > 0 {
		bb := b[:kc*4]
		a0 := a[:kc]
		if mr == 2 {
			acc[0], acc[1] = dot2x4(a0, a[lda:lda+kc], bb)
		} else {
			acc[0] = dot1x4(a0, bb)
		}
	}
	for r := 0; r < mr; r++ {
		var rr []float32
		if flags&tRes != 0 {
			rr = res[r*ldc:]
		}
		storeRow(c[r*ldc:r*ldc+nw], acc[r][:nw], flags, bias, rr, lo, hi, alpha)
	}
}

// storeRow is the store step for one row of a tile: it combines the computed
// values v with C (row), the bias and the residual row as flags say, and
// writes the result to row. res is nil or at least len(row) long, as is bias.
func storeRow(row, v []float32, flags uint, bias, res []float32, lo, hi, alpha float32) {
	v = v[:len(row)]
	if flags&tAcc != 0 {
		for j := range row {
			v[j] += row[j]
		}
	}
	if flags&tBias != 0 {
		bs := bias[:len(row)]
		for j := range row {
			v[j] += bs[j]
		}
	}
	if flags&tRes != 0 {
		rs := res[:len(row)]
		for j := range row {
			v[j] += rs[j]
		}
	}
	if flags&tClamp != 0 {
		for j := range row {
			// The comparisons leave NaN alone, as the assembly does.
			if v[j] < lo {
				v[j] = lo
			}
			if v[j] > hi {
				v[j] = hi
			}
		}
	}
	if flags&tLeaky != 0 {
		for j := range row {
			if v[j] < 0 {
				v[j] *= alpha
			}
		}
	}
	copy(row, v)
}

// dot2x4 returns the 2x4 product of two rows of A (a0, a1) and a packed
// 4-column panel (b, len(a0) rows of 4). It is a separate function so that
// no other value competes for the 15 float registers its loop needs.
//
//go:noinline
func dot2x4(a0, a1, b []float32) (r0, r1 [4]float32) {
	a1 = a1[:len(a0)]
	b = b[:len(a0)*4]
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for i := range a0 {
		bv := (*[4]float32)(b[i*4:])
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		x, y := a0[i], a1[i]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		c10 += y * b0
		c11 += y * b1
		c12 += y * b2
		c13 += y * b3
	}
	return [4]float32{c00, c01, c02, c03}, [4]float32{c10, c11, c12, c13}
}

// dot1x4 is dot2x4 for a single row.
//
//go:noinline
func dot1x4(a0, b []float32) [4]float32 {
	b = b[:len(a0)*4]
	var c00, c01, c02, c03 float32
	for i, x := range a0 {
		bv := (*[4]float32)(b[i*4:])
		c00 += x * bv[0]
		c01 += x * bv[1]
		c02 += x * bv[2]
		c03 += x * bv[3]
	}
	return [4]float32{c00, c01, c02, c03}
}
