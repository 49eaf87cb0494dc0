//go:build unix

package eval_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user plus system CPU time. The ResNet-18 test
// bounds it rather than wall-clock time, which on a machine shared with
// other jobs says more about them than about the interpreter.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
