package worker

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 for that interface on every architecture Go
// supports (sysconf(_SC_CLK_TCK) is not reachable without cgo).
const clockTick = 10 * time.Millisecond

// groupCPU is the user+system CPU time of every live process in process
// group pgid (all their threads, from /proc/PID/stat), so that a worker
// the shell started, and any helper process it runs, is counted whole.
// ok is false when /proc cannot be read.
func groupCPU(pgid int) (cpu time.Duration, ok bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range ents {
		name := e.Name()
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		if g, ticks, ok := parseStat(b); ok && g == pgid {
			cpu += time.Duration(ticks) * clockTick
		}
	}
	return cpu, true
}

// parseStat reads the process group (field 5) and utime+stime (fields 14
// and 15) of a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may hold spaces and parentheses itself, so the fields
// are counted from the last ')'.
func parseStat(b []byte) (pgrp int, ticks int64, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, false
	}
	g, err1 := strconv.Atoi(string(f[2]))
	u, err2 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err3 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || u < 0 || s < 0 {
		return 0, 0, false
	}
	return g, u + s, true
}
