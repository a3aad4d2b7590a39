// Command nightlysummary is the last step of scripts/nightly: it appends
// the night's benchmark run to the history, compares it with the baseline
// (normalized by the FMA probe by default), walks the history back to when
// each regression began, draws the trend plots and writes the markdown
// summary (printed too). The engine is package perf/history.
//
//	nightlysummary -run OUT/bench.txt -out OUT [-properties passed|failed|skipped]
//
// Exit status: 0 pass, 1 a regression, a failing property or incomplete
// evidence, 2 bad flags or files, 3 an I/O error.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/internal/boundedread"
	"github.com/convverify/convverify/perf"
	"github.com/convverify/convverify/perf/history"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "nightlysummary: %v\n", err)
	}
	os.Exit(code)
}

func run(args []string) (int, error) {
	fl := flag.NewFlagSet("nightlysummary", flag.ContinueOnError)
	runFile := fl.String("run", "", "the night's benchmark file (convverify bench -o)")
	baseline := fl.String("baseline", "benchdata/baseline-avx512.txt", "the committed baseline")
	histDir := fl.String("history", "benchdata/history", "the history folder: one file per run")
	out := fl.String("out", "", "folder for summary.md and the plots")
	props := fl.String("properties", "skipped", "the property campaign's outcome: passed, failed or skipped")
	propsLog := fl.String("properties-log", "", "where the property campaign's output is, for the summary")
	normalize := fl.String("normalize", "peak", "none or peak, as compare --normalize")
	thText := fl.String("threshold", "5%", "smallest relative change that counts")
	alpha := fl.Float64("alpha", 0.05, "significance level")
	noAppend := fl.Bool("no-append", false, "do not add the run to the history (a rerun of the summary)")
	if err := fl.Parse(args); err != nil {
		return 2, err
	}
	if *runFile == "" || *out == "" || fl.NArg() > 0 {
		return 2, errors.New("want -run FILE and -out DIR and no arguments")
	}
	if !slices.Contains([]string{"passed", "failed", "skipped"}, *props) {
		return 2, fmt.Errorf("-properties %q: want passed, failed or skipped", *props)
	}
	th, err := strconv.ParseFloat(strings.TrimSuffix(*thText, "%"), 64)
	if err != nil || th < 0 {
		return 2, fmt.Errorf("-threshold %q: want a percentage like 5%%", *thText)
	}
	if strings.HasSuffix(*thText, "%") {
		th /= 100
	}
	norm := *normalize
	if norm == "none" {
		norm = ""
	}
	opt := perf.Options{Metric: "GFLOP/s", Alpha: *alpha, Threshold: th, Normalize: norm}

	base, err := perf.ReadFile(*baseline)
	if err != nil {
		return classify(err), err
	}
	data, err := boundedread.ReadFile(*runFile, perf.MaxFileSize)
	if err != nil {
		return 3, err
	}
	set, err := perf.Read(bytes.NewReader(data), *runFile)
	if err != nil {
		return 2, err
	}
	latest, err := history.RunOf(*runFile, set)
	if err != nil {
		return 2, err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return 3, err
	}
	if !*noAppend {
		if err := os.MkdirAll(*histDir, 0o755); err != nil {
			return 3, err
		}
		path, err := history.Append(*histDir, latest, data)
		if err != nil {
			return 3, err
		}
		fmt.Fprintf(os.Stderr, "nightlysummary: appended %s\n", path)
	}
	runs, err := history.Load(*histDir)
	if err != nil {
		return classify(err), err
	}
	// The latest is the run given, wherever its date falls; with
	// -no-append it may not be in the history.
	i := slices.IndexFunc(runs, func(r history.Run) bool { return r.Date.Equal(latest.Date) && r.Commit == latest.Commit })
	if i >= 0 {
		runs = append(runs[:i], runs[i+1:]...)
	}
	runs = append(runs, latest)
	last := len(runs) - 1
	rep, regs, err := history.Regressions(base, runs, opt)
	if err != nil {
		return 2, err
	}
	plots, err := history.Plots(history.Trends(runs), *out)
	if err != nil {
		return 3, err
	}
	s := history.Summary{
		Latest: &runs[last], Runs: len(runs), Baseline: *baseline, Report: rep, Regressions: regs,
		Warnings: perf.EnvWarnings(base, set), Gaps: perf.Completeness(base, set, opt.Metric, opt.Alpha),
		Properties: *props, PropertiesLog: *propsLog, Plots: plots, Threshold: th,
	}
	var md bytes.Buffer
	s.WriteMarkdown(&md)
	if err := atomicfile.WriteFile(filepath.Join(*out, "summary.md"), md.Bytes()); err != nil {
		return 3, err
	}
	os.Stdout.Write(md.Bytes())
	if s.Failed() {
		return 1, nil
	}
	return 0, nil
}

// classify: a file that cannot be read is an I/O error (3), one that is
// not benchmark data bad input (2).
func classify(err error) int {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return 3
	}
	return 2
}
