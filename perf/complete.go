package perf

import (
	"fmt"
	"strings"

	"golang.org/x/perf/benchunit"
)

// A Gap is one way the evidence of a comparison is incomplete: a file lacks
// benchmarks the other file measured, or a benchmark has fewer samples than
// wanted. Verdicts on incomplete evidence look like verdicts on complete
// evidence — a missing benchmark simply has no row, and a 1-sample row reads
// "~" — so a gate that only counts regressions would pass an interrupted
// run; Completeness lists what is missing so the gate can refuse.
type Gap struct {
	File string // the file lacking something

	// A missing-benchmarks gap: those of Other measured (in the metric
	// compared) that File did not measure at all.
	Other   string
	Missing []string

	// A short-benchmark gap: Bench has Have samples, fewer than Want. Want is
	// what File's count lines promised when Promised, else the least number
	// of samples per side for which the U test can reach a verdict at the
	// comparison's α (MinSamples).
	Bench      string
	Have, Want int
	Promised   bool
	Alpha      float64
}

// String describes the gap in one line, or for missing benchmarks a line
// and then one indented line per benchmark.
func (g Gap) String() string {
	if len(g.Missing) > 0 {
		return fmt.Sprintf("%s lacks %d benchmark%s that %s has:\n  %s",
			g.File, len(g.Missing), plural(len(g.Missing)), g.Other, strings.Join(g.Missing, "\n  "))
	}
	if g.Promised {
		return fmt.Sprintf("%s: %s has %d sample%s, fewer than the %d promised by the file's %q line (was the run interrupted?)",
			g.File, g.Bench, g.Have, plural(g.Have), g.Want, strings.TrimSuffix(CountPrefix, ":"))
	}
	return fmt.Sprintf("%s: %s has %d sample%s; the file records no intended count (no %q line), and a verdict at α = %g needs at least %d",
		g.File, g.Bench, g.Have, plural(g.Have), strings.TrimSuffix(CountPrefix, ":"), g.Alpha, g.Want)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Completeness returns the gaps in the evidence of comparing old and new in
// metric: benchmarks only one file measured in it, and benchmarks with fewer
// samples in it than their file's count lines promised or, where a file
// promised nothing for a benchmark, fewer than MinSamples(alpha). Missing
// benchmarks come first (new's, then old's), then short ones in file order
// (old's, then new's). No gaps means complete evidence.
func Completeness(old, new *Set, metric string, alpha float64) []Gap {
	_, unit := benchunit.Tidy(1, metric)
	old, new = alignWorkers(old, new) // as Compare matches them
	var gaps []Gap
	missing := func(in, from *Set) {
		var names []string
		for _, n := range from.Names {
			if len(from.Values[n][unit]) > 0 && len(in.Values[n][unit]) == 0 {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			gaps = append(gaps, Gap{File: in.File, Other: from.File, Missing: names})
		}
	}
	missing(new, old)
	missing(old, new)
	floor := MinSamples(alpha)
	for _, s := range []*Set{old, new} {
		for _, n := range s.Names {
			have := len(s.Values[n][unit])
			if have == 0 {
				continue // not measured in this metric: reported as missing, if the other file has it
			}
			want, promised := s.Promised[n]
			if !promised {
				want = floor
			}
			if have < want {
				gaps = append(gaps, Gap{File: s.File, Bench: n, Have: have, Want: want, Promised: promised, Alpha: alpha})
			}
		}
	}
	return gaps
}
