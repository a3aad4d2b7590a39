//go:build unix

package worker

import (
	"runtime"
	"sync"
	"syscall"
	"time"
)

// burnCPU spins n goroutines, each on a thread of its own, until the
// process has spent n·d of CPU time more than when it began.
func burnCPU(n int, d time.Duration) {
	start := processCPU()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			runtime.LockOSThread()
			x := 1.0
			for processCPU()-start < time.Duration(n)*d {
				for range 100000 {
					x = x*1.0000001 + 1e-9
				}
			}
			_ = x
		})
	}
	wg.Wait()
}

// processCPU is this process's user+system CPU time, all threads.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
