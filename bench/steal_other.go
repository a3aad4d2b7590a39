//go:build !linux

package bench

// cpuTicks is unknown off Linux.
func cpuTicks() (steal, total uint64, ok bool) { return 0, 0, false }
