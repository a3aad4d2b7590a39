//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time (as optimized's, for the
// GFLOP/s-cpu of the gradient benchmarks).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
