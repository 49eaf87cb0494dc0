package amx

import (
	"syscall"

	"golang.org/x/sys/cpu"
)

// Linux's arch_prctl request for an extended state component, and the
// component of the AMX tile data.
const (
	sysArchPrctl      = 158
	archReqXcompPerm  = 0x1023
	xfeatureXtiledata = 18
)

func cpuHas() bool { return cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8 }

func requestPerm() error {
	if !cpuHas() {
		return ErrUnsupported
	}
	if _, _, e := syscall.RawSyscall(sysArchPrctl, archReqXcompPerm, xfeatureXtiledata, 0); e != 0 {
		return e
	}
	return nil
}

//go:noescape
func block32(cfg *[64]byte, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int)

//go:noescape
func block16(cfg *[64]byte, a *uint8, lda int, b *int8, ldb int, c *int32, ldcBytes int, kt int)
