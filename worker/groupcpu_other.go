//go:build !linux

package worker

import "time"

// groupCPU is not measured here: only Linux's /proc is read.
func groupCPU(pgid int) (time.Duration, bool) { return 0, false }
