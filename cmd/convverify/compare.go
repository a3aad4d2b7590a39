package main

import (
	"bytes"
	"encoding/csv"
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
	normalize := fs.String("normalize", "none", "none, or peak: compare each benchmark as a share of its own run's FMA probe, the probe's uncertainty carried into the verdict (for runs on shared or differently loaded machines)")
	format := fs.String("format", "text", "output format: text, markdown or csv")
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
	write, ok := comparisonWriters[*format]
	if !ok {
		return usagef("compare: --format %q: want text, markdown or csv", *format)
	}
	if *normalize != "none" && *normalize != "peak" {
		return usagef("compare: --normalize %q: want none or peak", *normalize)
	}
	old, err := readBenchFile(pos[0])
	if err != nil {
		return err
	}
	new, err := readBenchFile(pos[1])
	if err != nil {
		return err
	}
	norm := *normalize
	if norm == "none" {
		norm = ""
	}
	rep, err := perf.Compare(old, new, perf.Options{Metric: *metric, Alpha: *alpha, Threshold: th, Normalize: norm})
	if err != nil {
		return usagef("compare %s %s: %v", pos[0], pos[1], err)
	}
	// Notes and warnings go to stderr for csv, whose stdout is one table.
	notes := stdout
	if *format == "csv" {
		notes = stderr
	}
	write(stdout, rep, pos[0], pos[1], *alpha, th)
	n := 0
	for _, r := range rep.Rows {
		switch {
		case perf.IsProbe(r.Name):
			if r.Verdict != perf.Same && strings.HasPrefix(r.Name, perf.PeakPrefix) {
				fmt.Fprintf(notes, "\nnote: the FMA peak itself moved %+.1f%% (p=%.3f): the machine (clock, load), not the code, explains changes of that size%s\n", 100*r.Delta, r.Cmp.P,
					map[bool]string{true: "; the rows are normalized by it", false: "; --normalize peak compares each benchmark against its own run's probe"}[rep.Normalized])
			}
		case r.Verdict == perf.Regression:
			n++
		}
	}
	for _, w := range perf.EnvWarnings(old, new) {
		fmt.Fprintf(notes, "warning: %s\n", w)
	}
	// An interrupted bench leaves benchmarks out and rows short, and those
	// read as "~" (or have no row at all): without this, a gate counting
	// regressions passes on evidence that was never gathered.
	gaps := perf.Completeness(old, new, *metric, *alpha)
	writeGaps(notes, gaps, *allowMissing)
	if n > 0 {
		fmt.Fprintf(notes, "\n%d regression(s)\n", n)
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

// comparisonWriters print a report in each --format.
var comparisonWriters = map[string]func(io.Writer, perf.Report, string, string, float64, float64){
	"text":     writeComparison,
	"markdown": writeComparisonMarkdown,
	"csv":      writeComparisonCSV,
}

// cells are one row's printed columns.
type cells struct{ name, old, new, delta, p, n, verdict, marks string }

// comparisonCells formats the report's rows and, last, the geometric-mean
// row benchstat prints (probes left out), with the footnotes they mark.
func comparisonCells(rep perf.Report) ([]cells, []string) {
	cls := benchunit.ClassOf(rep.Metric)
	if rep.Normalized {
		cls = benchunit.Decimal
	}
	var rows []cells
	var notes []string
	for _, r := range rep.Rows {
		delta := "?"
		if !math.IsNaN(r.Delta) {
			delta = fmt.Sprintf("%+.2f%%", 100*r.Delta)
			if r.DeltaLo != r.DeltaHi {
				delta += fmt.Sprintf(" [%+.1f%%, %+.1f%%]", 100*r.DeltaLo, 100*r.DeltaHi)
			}
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
		c := cls
		if perf.IsProbe(r.Name) {
			c = benchunit.ClassOf(rep.Metric)
		}
		rows = append(rows, cells{r.Name,
			benchunit.Scale(r.Old.Center, c) + " ± " + r.Old.PctRangeString(),
			benchunit.Scale(r.New.Center, c) + " ± " + r.New.PctRangeString(),
			delta, fmt.Sprintf("p=%.3f", r.Cmp.P), n, verdictText(r), mark})
	}
	if g := rep.Geomean(); g.N > 0 {
		rows = append(rows, cells{"geomean", benchunit.Scale(g.Old, cls), benchunit.Scale(g.New, cls), fmt.Sprintf("%+.2f%%", 100*g.Delta), "", fmt.Sprintf("%d", g.N), "", ""})
	}
	return rows, notes
}

// verdictText is a row's verdict as printed. A probe measures the machine:
// its change is no regression of the code (and never fails compare).
func verdictText(r perf.Row) string {
	if perf.IsProbe(r.Name) {
		switch r.Verdict {
		case perf.Regression:
			return "machine slower"
		case perf.Improvement:
			return "machine faster"
		}
	}
	return r.Verdict.String()
}

// metricName is the compared quantity as printed.
func metricName(rep perf.Report) string {
	if rep.Normalized {
		if rep.Better > 0 {
			return rep.Metric + " ÷ peak"
		}
		return rep.Metric + " × peak"
	}
	return rep.Metric
}

// writeComparison prints benchstat's columns (median ± half-width of the
// confidence interval as a percentage, delta, p, n) plus the verdict, then
// the geometric-mean row and benchmath's warnings as footnotes. With
// --normalize peak the delta carries, in brackets, its bounds once the
// probe's uncertainty is in. Benchmarks only one file has are not rows:
// writeGaps names them.
func writeComparison(w io.Writer, rep perf.Report, oldName, newName string, alpha, th float64) {
	dir := "lower is better"
	if rep.Better > 0 {
		dir = "higher is better"
	}
	fmt.Fprintf(w, "old: %s\nnew: %s\n%s (%s); medians ± 95%% confidence interval; significant when p ≤ %g; threshold %g%%\n",
		oldName, newName, metricName(rep), dir, alpha, 100*th)
	if rep.Normalized {
		fmt.Fprintf(w, "normalized by each run's FMA probe (probe rows raw); [lo, hi]: the change with the probe's own interval carried in, which must pass the threshold\n")
	}
	fmt.Fprintln(w)
	rows, notes := comparisonCells(rep)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "benchmark\told %s\tnew %s\tdelta\tp\tn\tverdict\n", metricName(rep), metricName(rep))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", r.name, r.old, r.new, r.delta, r.p, r.n, r.verdict, r.marks)
	}
	tw.Flush()
	for i, note := range notes {
		fmt.Fprintf(w, "[%d] %s\n", i+1, note)
	}
}

// writeComparisonMarkdown prints the same table as GitHub markdown.
func writeComparisonMarkdown(w io.Writer, rep perf.Report, oldName, newName string, alpha, th float64) {
	fmt.Fprintf(w, "**%s** → **%s**: %s, medians ± 95%% CI, significant when p ≤ %g, threshold %g%%\n\n", oldName, newName, metricName(rep), alpha, 100*th)
	fmt.Fprintf(w, "| benchmark | old | new | delta | p | n | verdict |\n|---|--:|--:|--:|--:|--:|---|\n")
	rows, notes := comparisonCells(rep)
	for _, r := range rows {
		name := "`" + r.name + "`"
		if r.name == "geomean" {
			name = "**geomean**"
		}
		v := r.verdict
		if v == "regression" {
			v = "**regression**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s%s |\n", name, r.old, r.new, r.delta, r.p, r.n, v, r.marks)
	}
	for i, note := range notes {
		fmt.Fprintf(w, "\n[%d] %s\n", i+1, note)
	}
}

// writeComparisonCSV prints one row per benchmark and the geomean row,
// with raw numbers (no scaling, no ±).
func writeComparisonCSV(w io.Writer, rep perf.Report, _, _ string, _, _ float64) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"benchmark", "metric", "old", "old_lo", "old_hi", "new", "new_lo", "new_hi", "delta", "delta_lo", "delta_hi", "p", "n_old", "n_new", "verdict"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, r := range rep.Rows {
		metric := metricName(rep)
		if perf.IsProbe(r.Name) {
			metric = rep.Metric // probe rows stay raw
		}
		cw.Write([]string{r.Name, metric, f(r.Old.Center), f(r.Old.Lo), f(r.Old.Hi), f(r.New.Center), f(r.New.Lo), f(r.New.Hi),
			f(r.Delta), f(r.DeltaLo), f(r.DeltaHi), f(r.Cmp.P), strconv.Itoa(r.Cmp.N1), strconv.Itoa(r.Cmp.N2), verdictText(r)})
	}
	if g := rep.Geomean(); g.N > 0 {
		cw.Write([]string{"geomean", metricName(rep), f(g.Old), "", "", f(g.New), "", "", f(g.Delta), "", "", "", strconv.Itoa(g.N), strconv.Itoa(g.N), ""})
	}
	cw.Flush()
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
