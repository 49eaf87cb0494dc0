package codegen

// winogradTile chooses how a convolution runs: 4 for Winograd F(4x4, 3x3),
// 2 for F(2x2, 3x3), 0 for im2col + GEMM. Winograd applies to 3x3 filters
// with stride 1, dilation 1 and one group; it does fewer multiplications
// but pays for its input and output transforms, and its packed filters are
// 4x (F(4x4)) or 1.8x (F(2x2)) the size of the plain ones. The thresholds
// come from the runtime's benchmarks of both paths on AVX-512 and AVX2
// (runtime/winograd_test.go), with p output pixels, c input and m output
// channels:
//
//   - c < 4: the transforms cost more than the GEMM saves (with c = 1,
//     Winograd is 2.2x slower);
//   - c*m <= 110000 (filters that stay in cache): F(4x4) when
//     p*c*m/(c+m) >= 2000, the point where the saved GEMM work outweighs the
//     transforms;
//   - c*m > 110000 (F(4x4) filters of over 16 MB stream from memory on
//     every call): F(4x4) from p >= 196, F(2x2) from p >= 64, else GEMM.
//
// With it, resnet18's 3x3 stages 1-3 run F(4x4) (a 56x56x64 layer drops
// from 953 to 309 us) and stage 4 (7x7x512) stays on the GEMM. F(4x4)'s
// error is about 20x im2col's (max abs 4e-5 on layers with outputs of rms
// 1), well inside the 1e-3 relative tolerance the outputs are held to.
func winogradTile(kh, kw, sh, sw, dh, dw, group, c, m, p int) int {
	if kh != 3 || kw != 3 || sh != 1 || sw != 1 || dh != 1 || dw != 1 || group != 1 || c < 4 {
		return 0
	}
	if c*m <= 110000 {
		if p*c*m/(c+m) >= 2000 {
			return 4
		}
		return 0
	}
	switch {
	case p >= 196:
		return 4
	case p >= 64:
		return 2
	}
	return 0
}
