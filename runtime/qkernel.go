package runtime

// A qkernel is one quantized GEMM micro-kernel family with its blocking.
// As with the float kernels, B is packed for one kernel (the layouts
// differ), so a PackedQB remembers its kernel and QGemm always runs that
// one.
type qkernel struct {
	name string
	isa  isa
	// mr x nr is the register tile; nrMin the narrowest panel, to which
	// the last panel's width is rounded up.
	mr, nr, nrMin int
	// group is the number of k packed together: the packed panel holds
	// K rounded up to a multiple of it.
	group int
	// mc is the M block: the mc x K block of A stays in L2 while every
	// panel streams past it.
	mc int
	// ubsw marks the VPMADDUBSW kernel, exact only for weights whose
	// pairs pass ubswFits; packQB packs any other weights for fallback,
	// the exact kernel of the same shape, instead.
	ubsw     bool
	fallback *qkernel
	// vnni marks the AVX-512 VNNI kernel (VPDPBUSD), exact for every
	// weight; it reads B as bytes in the VPMADDUBSW kernel's layout.
	vnni bool
	// amx marks the AMX-INT8 kernel: 32-row blocks of tile products (see
	// qgemmPlan.runAMX), the VNNI kernel doing the store step and the rows
	// and products AMX does not pay for, on the same packed bytes.
	amx bool
}

// bytesB reports whether the kernel reads B as packed bytes (w8).
func (q *qkernel) bytesB() bool { return q.ubsw || q.vnni }

// rowsPacked is the number of k rows a packed panel holds.
func (q *qkernel) rowsPacked(k int) int {
	return (k + q.group - 1) / q.group * q.group
}

// goQKernel is the portable quantized kernel: 2 x 6 tiles, three columns
// in each int64 (see qdot2), which keeps the four accumulators, two
// weights and two activations in registers. It measured 1.3 times as fast
// as two 32-bit lanes per int64 (2 x 4 tiles) and twice a plain int32 loop.
var goQKernel = &qkernel{name: "go", isa: isaGo, mr: 2, nr: 6, nrMin: 6, group: 1, mc: 64}

// bestQKernel is the kernel PackQB and PackQConv use: the fastest one this
// CPU supports, chosen once at package initialization (tests pack for
// each kernel explicitly with packQB, and may swap it). When it has a
// fallback, the choice between the two is made per weight tensor, by
// packQB.
//
// It is the only dispatch point of the quantized GEMM: a kernel is a
// qkernel listed in availableQKernels (qkernel_amd64.go), a layout in
// packQB and a case in qAsmTile. AVX-VNNI (the VEX-encoded VPDPBUSD on
// 256-bit vectors of CPUs without AVX-512) would plug in the same way; it
// is not written.
var bestQKernel = availableQKernels()[0]

// qkernels lists every quantized kernel this CPU can run, fastest first;
// tests check each one against the reference.
var qkernels = availableQKernels()

// QGemmKernel names the micro-kernel that PackQB prefers on this machine,
// "amx", "avx512vnni", "avx2ub", "avx2" or "go"; weights that "avx2ub" cannot multiply exactly
// are packed for "avx2" (see PackedQB.Kernel). It is meant for
// diagnostics and benchmarks.
func QGemmKernel() string { return bestQKernel.name }

// qdwISA is the instruction set QDepthwiseConv uses, the best available;
// tests switch it to run every path on one machine.
var qdwISA = qdwISAs()[0]

// Flags of the quantized depthwise kernel; keep in sync with the asmgen
// command.
const (
	qdwSigned = 1 // store int8 codes (else uint8)
	qdwBias   = 2 // start the sums from bias[ch]
	qdwScale1 = 4 // one scale for every channel (else scale[ch])
	qdwFold   = 8 // all the kernel's taps present: the zero point through wsum (the AVX-512 kernel; AVX2 ignores it)
)

// qewISA is the instruction set of the uint8 max pool and the
// element-wise kernels (QAdd, QMul, per-tensor quantization); tests switch
// it like qdwISA.
var qewISA = qewISAs()[0]

// Operations of the element-wise assembly kernel.
const (
	qbinAdd = 0
	qbinMul = 1
)
