//go:build unix

package sqlitestore

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) this process has used, so that
// benchmarks on a busy machine can report work per CPU second as well as per
// wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
