package history

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/convverify/convverify/perf"
)

// Summary is what the nightly markdown says.
type Summary struct {
	Latest      *Run
	Runs        int    // runs in the history, the latest included
	Baseline    string // the baseline's file
	Report      perf.Report
	Regressions []Regression
	Warnings    []string   // perf.EnvWarnings of baseline and latest
	Gaps        []perf.Gap // perf.Completeness of baseline and latest
	// Properties is the deep property campaign's outcome: "passed",
	// "failed" or "skipped"; PropertiesLog where its output is.
	Properties, PropertiesLog string
	Plots                     [][2]string // file, layer
	Threshold                 float64
}

// Failed reports whether the night failed: a regression, a failing
// property campaign, or incomplete evidence.
func (s *Summary) Failed() bool {
	return len(s.Regressions) > 0 || s.Properties == "failed" || len(s.Gaps) > 0
}

func pctRange(r perf.Row) string {
	if r.DeltaLo == r.DeltaHi || math.IsInf(r.DeltaLo, 0) || math.IsInf(r.DeltaHi, 0) {
		return fmt.Sprintf("%+.1f%%", 100*r.Delta)
	}
	return fmt.Sprintf("%+.1f%% (%+.1f%% to %+.1f%%)", 100*r.Delta, 100*r.DeltaLo, 100*r.DeltaHi)
}

// WriteMarkdown writes the summary: the verdict first, then what
// regressed, by how much and since which commit, then what to distrust
// about the machine, then the rest.
func (s *Summary) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# Nightly %s\n\n", s.Latest.Label())
	verdict := "**PASS**: no regression against the baseline"
	if s.Failed() {
		var why []string
		if n := len(s.Regressions); n > 0 {
			why = append(why, fmt.Sprintf("%d regression%s", n, plural(n)))
		}
		if s.Properties == "failed" {
			why = append(why, "a failing property")
		}
		if len(s.Gaps) > 0 {
			why = append(why, "incomplete benchmark evidence")
		}
		verdict = "**FAIL**: " + strings.Join(why, ", ")
	}
	fmt.Fprintf(w, "%s. Properties (deep campaign): **%s**", verdict, s.Properties)
	if s.PropertiesLog != "" {
		fmt.Fprintf(w, " (`%s`)", s.PropertiesLog)
	}
	fmt.Fprintf(w, ".\n\nCompared with `%s`, %s, threshold %g%%; %d run%s in the history.\n\n", s.Baseline, normalizedText(s.Report), 100*s.Threshold, s.Runs, plural(s.Runs))

	if len(s.Regressions) > 0 {
		fmt.Fprintf(w, "## Regressions\n\n| benchmark | change | since | last good |\n|---|--:|---|---|\n")
		for _, g := range s.Regressions {
			last := "before the history"
			if g.LastGood != nil {
				last = "`" + g.LastGood.Label() + "`"
			}
			fmt.Fprintf(w, "| `%s` | %s | `%s` | %s |\n", g.Row.Name, pctRange(g.Row), g.Since.Label(), last)
		}
		fmt.Fprintln(w)
	}
	var better []perf.Row
	for _, r := range s.Report.Rows {
		if r.Verdict == perf.Improvement && !perf.IsProbe(r.Name) {
			better = append(better, r)
		}
	}
	if len(better) > 0 {
		fmt.Fprintf(w, "## Improvements\n\n")
		for _, r := range better {
			fmt.Fprintf(w, "- `%s` %s\n", r.Name, pctRange(r))
		}
		fmt.Fprintln(w)
	}
	if len(s.Warnings) > 0 || len(s.Gaps) > 0 {
		fmt.Fprintf(w, "## Read with care\n\n")
		for _, m := range s.Warnings {
			fmt.Fprintf(w, "- %s\n", m)
		}
		for _, g := range s.Gaps {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(g.String(), "\n", " "))
		}
		fmt.Fprintln(w)
	}
	for _, r := range s.Report.Rows {
		if strings.HasPrefix(r.Name, perf.PeakPrefix) && r.Verdict != perf.Same {
			fmt.Fprintf(w, "The FMA probe itself moved %+.1f%% from the baseline: the machine, not the code.\n\n", 100*r.Delta)
		}
	}
	unbounded := 0
	for _, row := range s.Report.Rows {
		if !perf.IsProbe(row.Name) && (math.IsInf(row.DeltaLo, 0) || math.IsInf(row.DeltaHi, 0)) {
			unbounded++
		}
	}
	if unbounded > 0 {
		fmt.Fprintf(w, "**%d benchmark%s could get no verdict**: a run's FMA probe has too few samples for a 95%% interval (6 needed: bench --count 3 or more), so the machine factor is unbounded.\n\n", unbounded, plural(unbounded))
	}
	if r := resolution(s.Report); r > 0 {
		fmt.Fprintf(w, "With the probe's own uncertainty carried in, a change must exceed about %.1f%% (the threshold plus the median half-width of the probe's interval, %.1f%%) to be called: more samples (NIGHTLY_COUNT) narrow it.\n\n", 100*(s.Threshold+r), 100*r)
	}
	if g := s.Report.Geomean(); g.N > 0 {
		fmt.Fprintf(w, "Geometric mean over %d benchmarks: %+.1f%% (%s).\n\n", g.N, 100*g.Delta, s.Report.Metric)
	}
	if len(s.Plots) > 0 {
		fmt.Fprintf(w, "## Trends\n\n| layer | GFLOP/s (95%% CI) | share of peak |\n|---|---|---|\n")
		for i := 0; i+1 < len(s.Plots); i += 2 {
			fmt.Fprintf(w, "| `%s` | [%s](%s) | [%s](%s) |\n", s.Plots[i][1], s.Plots[i][0], s.Plots[i][0], s.Plots[i+1][0], s.Plots[i+1][0])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Run file: `%s`; machine: %s, kernel %s, GOMAXPROCS %s, load at start %s.\n",
		s.Latest.File, s.Latest.Set.Config["cpu"], s.Latest.Set.Config["kernel"], s.Latest.Set.Config["gomaxprocs"], s.Latest.Set.Meta["load-average"])
}

// resolution is the median half-width of the normalized rows' change
// intervals: what the probe's uncertainty adds to the threshold. 0 when
// not normalized or unbounded.
func resolution(r perf.Report) float64 {
	var hw []float64
	for _, row := range r.Rows {
		if row.DeltaHi != row.DeltaLo && !math.IsInf(row.DeltaHi, 0) && !math.IsInf(row.DeltaLo, 0) {
			hw = append(hw, (row.DeltaHi-row.DeltaLo)/2)
		}
	}
	if len(hw) == 0 {
		return 0
	}
	slices.Sort(hw)
	return hw[len(hw)/2]
}

func normalizedText(r perf.Report) string {
	if r.Normalized {
		return r.Metric + " normalized by each run's FMA probe (the probe's interval carried into the verdict)"
	}
	return r.Metric
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
