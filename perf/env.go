package perf

import (
	"fmt"
	"strconv"
)

// envKeys are the configuration keys that change what a benchmark
// measures: results that differ in them are different experiments.
var envKeys = []string{"cpu", "kernel", "gomaxprocs", "workers"}

// HighLoad is the 1-minute load average, per GOMAXPROCS, at or above which
// a run is flagged: half the cores had another runnable job on average as
// the run began, so the run shared its cores for part of its time.
const HighLoad = 0.5

// EnvWarnings returns why two files may not be comparable as they stand:
// a configuration key of envKeys that differs (a missing key is not a
// difference: older files lack some), and a run that began on a loaded
// machine (load average ≥ HighLoad × its GOMAXPROCS).
func EnvWarnings(old, new *Set) []string {
	var w []string
	for _, k := range envKeys {
		o, n := old.Config[k], new.Config[k]
		if o != "" && n != "" && o != n {
			w = append(w, fmt.Sprintf("the files differ in %s: %q (%s) vs %q (%s): the difference is the machine's, not only the code's", k, o, old.File, n, new.File))
		}
	}
	for _, s := range []*Set{old, new} {
		l, ok := s.Load1()
		if !ok {
			continue
		}
		procs, err := strconv.Atoi(s.Config["gomaxprocs"])
		if err != nil || procs < 1 {
			procs = 1
		}
		if l >= HighLoad*float64(procs) {
			w = append(w, fmt.Sprintf("%s began at load average %g on %d CPU%s: other jobs shared the cores, so its times read slow (--normalize peak compares each against its own run's FMA probe)", s.File, l, procs, map[bool]string{true: "", false: "s"}[procs == 1]))
		}
	}
	return w
}
