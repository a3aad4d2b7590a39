package worker

import (
	"runtime"
	"testing"
	"time"
)

// TestTimeCountsGroupCPU: a timing worker that keeps two threads busy for
// 200 ms of CPU each shows ≥ 0.4 s of CPU time in the reply, counted over
// its whole process group (it runs under /bin/sh), and a wall time at
// least as long as one thread's share.
func TestTimeCountsGroupCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the group's CPU time is read from Linux's /proc")
	}
	f := newFixture(t)
	w := fake(t, "burn", f, Options{})
	r, err := w.Time(t.TempDir(), Timing{Reps: 1, Threads: 1}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !r.CPUKnown {
		t.Fatal("CPU time not measured")
	}
	// /proc counts in 10 ms ticks per thread: allow two ticks per thread
	if r.CPU < 400*time.Millisecond-4*clockTick {
		t.Errorf("CPU %v, want ≥ 400 ms (two threads × 200 ms)", r.CPU)
	}
	if r.Wall < 200*time.Millisecond {
		t.Errorf("wall %v, want ≥ 200 ms", r.Wall)
	}
}

func TestParseStat(t *testing.T) {
	for _, c := range []struct {
		line  string
		pgrp  int
		ticks int64
		ok    bool
	}{
		{"4242 (python3) S 1 4242 4242 0 -1 4194560 9 0 0 0 150 25 0 0 20 0 3 0", 4242, 175, true},
		// a command name with spaces and parentheses
		{"77 (a (b) c) R 1 70 70 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0", 70, 10, true},
		{"77 (x) R 1 70", 0, 0, false},
		{"no parenthesis at all", 0, 0, false},
		{"77 (x) R 1 abc 70 0 -1 0 0 0 0 0 7 3 0", 0, 0, false},
		{"77 (x) R 1 70 70 0 -1 0 0 0 0 0 -7 3 0", 0, 0, false},
	} {
		g, ticks, ok := parseStat([]byte(c.line))
		if g != c.pgrp || ticks != c.ticks || ok != c.ok {
			t.Errorf("parseStat(%q) = %d, %d, %v; want %d, %d, %v", c.line, g, ticks, ok, c.pgrp, c.ticks, c.ok)
		}
	}
}
