//go:build !amd64

package amx

func cpuHas() bool { return false }

func requestPerm() error { return ErrUnsupported }

func block32(cfg *[64]byte, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int) {
	panic("amx: no AMX on this architecture")
}

func block16(cfg *[64]byte, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int) {
	panic("amx: no AMX on this architecture")
}
