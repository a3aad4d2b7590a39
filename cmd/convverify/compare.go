package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"

	"github.com/convverify/convverify/internal/boundedread"
	"github.com/convverify/convverify/perf"
)

func cmdCompare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	alpha := fs.Float64("alpha", 0.05, "significance level of the Mann-Whitney U test")
	threshold := fs.String("threshold", "5%", "smallest relative change that counts (5% or 0.05)")
	metric := fs.String("metric", "sec/op", "unit to compare: sec/op (ns/op), GFLOP/s, GFLOP/s-cpu, …")
	allowMissing := fs.Bool("allow-missing", false, "compare what both files have even when a benchmark is missing from one or has fewer samples than promised (default: exit 1)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("compare: want OLD and NEW files, got %d arguments", len(pos))
	}
	th, err := parseThreshold(*threshold)
	if err != nil {
		return err
	}
	old, err := readBenchFile(pos[0])
	if err != nil {
		return err
	}
	new, err := readBenchFile(pos[1])
	if err != nil {
		return err
	}
	rep, err := perf.Compare(old, new, perf.Options{Metric: *metric, Alpha: *alpha, Threshold: th})
	if err != nil {
		return usagef("compare %s %s: %v", pos[0], pos[1], err)
	}
	writeComparison(stdout, rep, pos[0], pos[1], *alpha, th)
	n := 0
	for _, r := range rep.Rows {
		switch {
		case strings.HasPrefix(r.Name, peakPrefix):
			if r.Verdict != perf.Same {
				fmt.Fprintf(stdout, "\nnote: the FMA peak itself moved %+.1f%% (p=%.3f): the machine (clock, load), not the code, explains changes of that size\n", 100*r.Delta, r.Cmp.P)
			}
		case r.Verdict == perf.Regression:
			n++
		}
	}
	// An interrupted bench leaves benchmarks out and rows short, and those
	// read as "~" (or have no row at all): without this, a gate counting
	// regressions passes on evidence that was never gathered.
	gaps := perf.Completeness(old, new, *metric, *alpha)
	writeGaps(stdout, gaps, *allowMissing)
	if n > 0 {
		fmt.Fprintf(stdout, "\n%d regression(s)\n", n)
	}
	if n > 0 || (len(gaps) > 0 && !*allowMissing) {
		return errFailed
	}
	return nil
}

// writeGaps prints why the evidence is incomplete: as the reason for
// failing, or with --allow-missing as a warning.
func writeGaps(w io.Writer, gaps []perf.Gap, allowed bool) {
	if len(gaps) == 0 {
		return
	}
	if allowed {
		fmt.Fprintf(w, "\nwarning: incomplete evidence, compared anyway (--allow-missing):\n")
	} else {
		fmt.Fprintf(w, "\nincomplete evidence (pass --allow-missing to compare only what both files have):\n")
	}
	for _, g := range gaps {
		fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(g.String(), "\n", "\n  "))
	}
}

// readBenchFile reads a benchmark file: one that cannot be read (missing,
// not a regular file, too big) is an I/O error, one that is not benchmark
// data is bad input.
func readBenchFile(path string) (*perf.Set, error) {
	b, err := boundedread.ReadFile(path, perf.MaxFileSize)
	if err != nil {
		return nil, ioError{err}
	}
	s, err := perf.Read(bytes.NewReader(b), path)
	if err != nil {
		return nil, usageError{err}
	}
	return s, nil
}

// peakPrefix names bench's FMA probe rows. They measure the machine, not a
// variant, so they get a verdict but never make compare fail.
const peakPrefix = "Peak/"

// parseThreshold reads "5%" as 0.05 and a bare number as a fraction.
func parseThreshold(s string) (float64, error) {
	num, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, usagef("compare: --threshold %q: want a percentage like 5%% or a fraction like 0.05", s)
	}
	if pct {
		v /= 100
	}
	return v, nil
}

// writeComparison prints benchstat's columns (median ± half-width of the
// confidence interval as a percentage, delta, p, n) plus the verdict, then
// benchmath's warnings as footnotes. Benchmarks only one file has are not
// rows: writeGaps names them.
func writeComparison(w io.Writer, rep perf.Report, oldName, newName string, alpha, th float64) {
	dir := "lower is better"
	if rep.Better > 0 {
		dir = "higher is better"
	}
	fmt.Fprintf(w, "old: %s\nnew: %s\n%s (%s); medians ± 95%% confidence interval; significant when p ≤ %g; threshold %g%%\n\n",
		oldName, newName, rep.Metric, dir, alpha, 100*th)
	cls := benchunit.ClassOf(rep.Metric)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "benchmark\told %s\tnew %s\tdelta\tp\tn\tverdict\n", rep.Metric, rep.Metric)
	var notes []string
	for _, r := range rep.Rows {
		delta := "?"
		if !math.IsNaN(r.Delta) {
			delta = fmt.Sprintf("%+.2f%%", 100*r.Delta)
		}
		n := fmt.Sprintf("%d", r.Cmp.N1)
		if r.Cmp.N1 != r.Cmp.N2 {
			n = fmt.Sprintf("%d+%d", r.Cmp.N1, r.Cmp.N2)
		}
		mark := ""
		for _, warn := range r.Warnings {
			if m := footnote(&notes, warn.Error()); !strings.Contains(mark, m) {
				mark += m
			}
		}
		fmt.Fprintf(tw, "%s\t%s ± %s\t%s ± %s\t%s\tp=%.3f\t%s\t%s%s\n", r.Name,
			benchunit.Scale(r.Old.Center, cls), r.Old.PctRangeString(),
			benchunit.Scale(r.New.Center, cls), r.New.PctRangeString(),
			delta, r.Cmp.P, n, r.Verdict, mark)
	}
	tw.Flush()
	for i, note := range notes {
		fmt.Fprintf(w, "[%d] %s\n", i+1, note)
	}
}

// footnote returns the " [k]" mark of note, adding it to notes if new.
func footnote(notes *[]string, note string) string {
	for i, n := range *notes {
		if n == note {
			return fmt.Sprintf(" [%d]", i+1)
		}
	}
	*notes = append(*notes, note)
	return fmt.Sprintf(" [%d]", len(*notes))
}
