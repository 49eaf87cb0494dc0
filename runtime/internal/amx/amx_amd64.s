#include "textflag.h"

// PROLOGUE loads both kernels' arguments into their registers (see
// block32) and the tile configuration.
#define PROLOGUE \
	MOVQ cfg+0(FP), AX \
	MOVQ a+8(FP), SI \
	MOVQ lda+16(FP), DX \
	MOVQ b+24(FP), DI \
	MOVQ ldb+32(FP), R8 \
	MOVQ c+40(FP), R9 \
	MOVQ ldcBytes+48(FP), R10 \
	MOVQ kt+56(FP), CX \
	MOVQ DX, R11 \
	SHLQ $4, R11 \
	ADDQ SI, R11 \
	MOVQ R10, R12 \
	SHLQ $4, R12 \
	ADDQ R9, R12 \
	BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0x00 // LDTILECFG (AX)

// func block32(cfg *[64]byte, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int)
//
// Registers: AX cfg, SI a (rows 0-15), R11 a + 16*lda (rows 16-31), DX
// lda, DI b, R8 ldb, R9 c (rows 0-15), R12 c + 16*ldc (rows 16-31), R10
// ldc in bytes, CX kt. Tiles: 0-3 C (rows 0-15 cols 0-15, rows 0-15 cols
// 16-31, rows 16-31 cols 0-15, rows 16-31 cols 16-31), 4 and 5 A, 6 and
// 7 B.
TEXT ·block32(SB), NOSPLIT, $0-64
	PROLOGUE
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xC0 // TILEZERO tmm0
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xC8 // TILEZERO tmm1
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xD0 // TILEZERO tmm2
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xD8 // TILEZERO tmm3
	TESTQ CX, CX
	JZ    store

loop:
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x24; BYTE $0x16               // TILELOADD tmm4, (SI)(DX*1)
	BYTE $0xC4; BYTE $0xC2; BYTE $0x7B; BYTE $0x4B; BYTE $0x2C; BYTE $0x13               // TILELOADD tmm5, (R11)(DX*1)
	BYTE $0xC4; BYTE $0xA2; BYTE $0x7B; BYTE $0x4B; BYTE $0x34; BYTE $0x07               // TILELOADD tmm6, (DI)(R8*1)
	BYTE $0xC4; BYTE $0xA2; BYTE $0x7B; BYTE $0x4B; BYTE $0x7C; BYTE $0x07; BYTE $0x40 // TILELOADD tmm7, 64(DI)(R8*1)
	// TDPBUSD tmm1, tmm2, tmm3 (Intel's order): the unsigned source tmm2
	// is ModRM.rm, the signed tmm3 VEX.vvvv (inverted).
	BYTE $0xC4; BYTE $0xE2; BYTE $0x49; BYTE $0x5E; BYTE $0xC4 // TDPBUSD tmm0, tmm4, tmm6
	BYTE $0xC4; BYTE $0xE2; BYTE $0x41; BYTE $0x5E; BYTE $0xCC // TDPBUSD tmm1, tmm4, tmm7
	BYTE $0xC4; BYTE $0xE2; BYTE $0x49; BYTE $0x5E; BYTE $0xD5 // TDPBUSD tmm2, tmm5, tmm6
	BYTE $0xC4; BYTE $0xE2; BYTE $0x41; BYTE $0x5E; BYTE $0xDD // TDPBUSD tmm3, tmm5, tmm7
	ADDQ $64, SI
	ADDQ $64, R11
	MOVQ R8, BX
	SHLQ $4, BX
	ADDQ BX, DI
	DECQ CX
	JNZ  loop

store:
	BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $0x04; BYTE $0x11               // TILESTORED (R9)(R10*1), tmm0
	BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $0x4C; BYTE $0x11; BYTE $0x40 // TILESTORED 64(R9)(R10*1), tmm1
	BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $0x14; BYTE $0x14               // TILESTORED (R12)(R10*1), tmm2
	BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $0x5C; BYTE $0x14; BYTE $0x40 // TILESTORED 64(R12)(R10*1), tmm3
	BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0xC0                           // TILERELEASE
	RET

// func block16(cfg *[64]byte, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int)
//
// block32 for one B tile (16 columns): tiles 0 and 2 accumulate rows 0-15
// and 16-31, 4 and 5 hold A, 6 holds B.
TEXT ·block16(SB), NOSPLIT, $0-64
	PROLOGUE
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xC0 // TILEZERO tmm0
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xD0 // TILEZERO tmm2
	TESTQ CX, CX
	JZ    store16

loop16:
	BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x24; BYTE $0x16 // TILELOADD tmm4, (SI)(DX*1)
	BYTE $0xC4; BYTE $0xC2; BYTE $0x7B; BYTE $0x4B; BYTE $0x2C; BYTE $0x13 // TILELOADD tmm5, (R11)(DX*1)
	BYTE $0xC4; BYTE $0xA2; BYTE $0x7B; BYTE $0x4B; BYTE $0x34; BYTE $0x07 // TILELOADD tmm6, (DI)(R8*1)
	BYTE $0xC4; BYTE $0xE2; BYTE $0x49; BYTE $0x5E; BYTE $0xC4             // TDPBUSD tmm0, tmm4, tmm6
	BYTE $0xC4; BYTE $0xE2; BYTE $0x49; BYTE $0x5E; BYTE $0xD5             // TDPBUSD tmm2, tmm5, tmm6
	ADDQ $64, SI
	ADDQ $64, R11
	MOVQ R8, BX
	SHLQ $4, BX
	ADDQ BX, DI
	DECQ CX
	JNZ  loop16

store16:
	BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $0x04; BYTE $0x11 // TILESTORED (R9)(R10*1), tmm0
	BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $0x14; BYTE $0x14 // TILESTORED (R12)(R10*1), tmm2
	BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0xC0             // TILERELEASE
	RET
