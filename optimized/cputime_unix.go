//go:build unix

package optimized

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. The machine is shared, so
// wall time per op inflates when other processes run; CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
