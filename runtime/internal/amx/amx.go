// Package amx holds Intel AMX-INT8 tile products for the runtime's int8
// GEMM (its "amx" kernel, which runs 32-row blocks here and its store step
// on the AVX-512 VNNI kernel), and BenchmarkAMX, which times a bare tile
// product (the runtime's BenchmarkQGemm compares the kernels).
//
// Go's assembler has no AMX mnemonics, so amx_amd64.s writes each
// instruction as its VEX bytes (LDTILECFG, TILELOADD, TDPBUSD, TILESTORED,
// TILEZERO, TILERELEASE), with the registers fixed by the function's
// register assignment; the comment beside every encoding gives the
// instruction it stands for.
//
// Linux gives a process the AMX tile state only after it asks
// (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); Available asks
// once.
package amx

import (
	"errors"
	"sync"
)

// Tile is the tile configuration the kernel loads: palette 1, tiles 0 to
// 3 the 16 x 16 int32 accumulators, 4 and 5 two 16-row A tiles of 64
// bytes, 6 and 7 two B tiles of 16 rows (groups of four k) by 16 columns.
var tileConfig = func() (cfg [64]byte) {
	cfg[0] = 1 // palette
	for t := 0; t < 8; t++ {
		cfg[16+2*t] = 64 // bytes per row
		cfg[48+t] = 16   // rows
	}
	return cfg
}()

var (
	permOnce sync.Once
	permErr  error
)

// ErrUnsupported says the CPU or the kernel does not offer AMX-INT8.
var ErrUnsupported = errors.New("amx: AMX-INT8 not available")

// CPUHas reports whether the CPU has AMX-INT8, without asking the kernel
// for the tile state (Available does).
func CPUHas() bool { return cpuHas() }

// Available reports whether AMX-INT8 can be used by this process, asking
// the kernel for the tile state the first time.
func Available() error {
	permOnce.Do(func() { permErr = requestPerm() })
	return permErr
}

// Tile computes a block of 32 rows by w = 32 or 16 columns, C[i][j] =
// sum_k A[i][k]*B(k, j) for K = 64*kt, with A at a (rows lda bytes apart,
// 64*kt bytes each read), B in AMX's layout at b (kt*16 rows of w x 4
// bytes, ldb bytes apart) and C written at c, ldcBytes apart. It is the
// unchecked kernel the runtime's int8 GEMM calls; the caller has checked
// Available and every address.
func Tile(w int, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int) {
	if w == 32 {
		block32(&tileConfig, a, lda, b, ldb, c, ldcBytes, kt)
		return
	}
	block16(&tileConfig, a, lda, b, ldb, c, ldcBytes, kt)
}

// Block computes the 32 x 32 int32 block C[i][j] = sum_k A[i][k]*B(k, j)
// for K = 64*kt, A uint8 rows of lda bytes and B int8 in AMX's layout:
// kt*16 rows (groups of four k) of 32 columns x 4 bytes, ldb bytes apart.
// C is written (not accumulated) at stride ldc int32s. The caller must
// have checked Available and the lengths.
func Block(c []int32, ldc int, a []uint8, lda int, b []int8, ldb int, kt int) {
	block32(&tileConfig, &a[0], lda, &b[0], ldb, &c[0], 4*ldc, kt)
}

// PackB lays out the k x n int8 matrix w (row-major, k a multiple of 64,
// n of 32) for Block: panels of 32 columns, each k/4 rows of 128 bytes.
func PackB(w []int8, k, n int) []int8 {
	out := make([]int8, k*n)
	for p := 0; p < n/32; p++ {
		base := p * k * 32
		for kk := 0; kk < k; kk++ {
			for j := 0; j < 32; j++ {
				out[base+(kk/4)*128+j*4+kk%4] = w[kk*n+p*32+j]
			}
		}
	}
	return out
}

// Gemm computes the m x n int32 product of A (m x k, lda) and PackB's
// layout of B, for m and n multiples of 32 and k of 64.
func Gemm(c []int32, a []uint8, lda int, pb []int8, m, k, n int) {
	for p := 0; p < n/32; p++ {
		b := pb[p*k*32:]
		for i := 0; i < m; i += 32 {
			Block(c[i*n+p*32:], n, a[i*lda:], lda, b, 128, k/64)
		}
	}
}
