package perf

import (
	"errors"
	"fmt"
	"math"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// Verdict is the outcome of comparing one benchmark.
type Verdict int

const (
	Same        Verdict = iota // not significant, or within the threshold: "~"
	Regression                 // significant and worse than the threshold
	Improvement                // significant and better than the threshold
	TooFew                     // too few samples for the U test to ever reach α
)

func (v Verdict) String() string {
	switch v {
	case Regression:
		return "regression"
	case Improvement:
		return "improvement"
	case TooFew:
		return "too few samples"
	}
	return "~"
}

// Options configure Compare.
type Options struct {
	Metric     string  // unit to compare, e.g. "sec/op" (or "ns/op") or "GFLOP/s"
	Alpha      float64 // significance level of the U test, e.g. 0.05
	Threshold  float64 // smallest relative change that counts, e.g. 0.05 for 5 %
	Confidence float64 // level of the median intervals; 0 means 0.95 (benchstat's default)
	// Normalize "peak" compares each benchmark as a share of its own run's
	// FMA probe (see Normalize); "" compares the raw values.
	Normalize string
}

// Row is the comparison of one benchmark present in both sets.
type Row struct {
	Name     string
	Old, New benchmath.Summary    // median and its confidence interval
	Cmp      benchmath.Comparison // U test p-value and sample sizes
	Delta    float64              // new/old − 1 of the medians (NaN if old is 0)
	Verdict  Verdict
	Warnings []error // from benchmath: samples too small for an interval or a test

	// With Options.Normalize "peak": Old, New, Cmp and Delta are on the
	// values normalized by their run's probe median; Peak names the probe,
	// PeakOld and PeakNew are its summaries, and DeltaLo, DeltaHi bound
	// the change once the probe's own uncertainty (its confidence
	// intervals) is carried in. Probe rows themselves stay raw.
	Peak             string
	PeakOld, PeakNew benchmath.Summary
	DeltaLo, DeltaHi float64
}

// Report is the comparison of two sets on one metric.
type Report struct {
	Metric           string // tidied unit
	Better           int    // +1 higher is better, −1 lower is better
	Rows             []Row  // benchmarks measured in both, in the old file's order
	OnlyOld, OnlyNew []string
	Normalized       bool // rows other than probes are shares of their run's FMA probe
}

// Regressions counts the regression verdicts.
func (r Report) Regressions() int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			n++
		}
	}
	return n
}

// Direction is +1 when higher values of unit are better, −1 when lower are,
// from the files' "Unit … better=…" metadata, benchfmt's defaults (sec/op,
// B/op, allocs/op lower; B/s higher) and, for this suite's throughput units,
// anything ending in FLOP/s or FLOP/s-cpu being higher-is-better.
func Direction(unit string, sets ...*Set) (int, error) {
	for _, s := range sets {
		if s != nil && s.Units != nil {
			if b := s.Units.GetBetter(unit); b != 0 {
				return b, nil
			}
		}
	}
	switch unit {
	case "sec/op", "B/op", "allocs/op":
		return -1, nil
	case "B/s", "GFLOP/s", "GFLOP/s-cpu", "FLOP/s", "probe-GFLOP/s":
		return 1, nil
	}
	return 0, fmt.Errorf("metric %q: unknown direction (add a line \"Unit %s better=higher\" or \"better=lower\" to the files)", unit, unit)
}

// Compare compares every benchmark of old that new also measured in
// opt.Metric; see the package doc for the statistics and the verdict.
func Compare(old, new *Set, opt Options) (Report, error) {
	if !(opt.Alpha > 0 && opt.Alpha < 1) {
		return Report{}, fmt.Errorf("alpha %v: want 0 < alpha < 1", opt.Alpha)
	}
	if !(opt.Threshold >= 0) || math.IsInf(opt.Threshold, 0) {
		return Report{}, fmt.Errorf("threshold %v: want a finite value ≥ 0", opt.Threshold)
	}
	conf := opt.Confidence
	if conf == 0 {
		conf = 0.95
	}
	if !(conf > 0 && conf < 1) {
		return Report{}, fmt.Errorf("confidence %v: want 0 < confidence < 1", conf)
	}
	_, unit := benchunit.Tidy(1, opt.Metric)
	better, err := Direction(unit, old, new)
	if err != nil {
		return Report{}, err
	}
	switch opt.Normalize {
	case "", "none":
	case "peak":
		if PeakOf(old, "") == "" || PeakOf(new, "") == "" {
			return Report{}, errors.New("--normalize peak: both files need the FMA probe (Benchmark" + PeakPrefix + "…)")
		}
	default:
		return Report{}, fmt.Errorf("normalize %q: want peak or none", opt.Normalize)
	}
	old, new = alignWorkers(old, new)
	rep := Report{Metric: unit, Better: better, Normalized: opt.Normalize == "peak"}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = opt.Alpha
	found := false
	for _, name := range old.Names {
		ov := old.Values[name][unit]
		if len(ov) == 0 {
			continue
		}
		nv := new.Values[name][unit]
		if len(nv) == 0 {
			rep.OnlyOld = append(rep.OnlyOld, name)
			continue
		}
		found = true
		if rep.Normalized && !IsProbe(name) {
			row, err := compareNormalized(old, new, name, unit, &th, conf, better, opt.Threshold)
			if err != nil {
				return Report{}, err
			}
			rep.Rows = append(rep.Rows, row)
			continue
		}
		rep.Rows = append(rep.Rows, compareOne(name, ov, nv, &th, conf, better, opt.Threshold))
	}
	for _, name := range new.Names {
		if len(new.Values[name][unit]) > 0 && len(old.Values[name][unit]) == 0 {
			rep.OnlyNew = append(rep.OnlyNew, name)
		}
	}
	if !found {
		return rep, errors.New("no benchmark has " + unit + " in both files")
	}
	return rep, nil
}

func compareOne(name string, ov, nv []float64, th *benchmath.Thresholds, conf float64, better int, threshold float64) Row {
	// NewSample sorts in place; the Set keeps file order.
	os := benchmath.NewSample(append([]float64(nil), ov...), th)
	ns := benchmath.NewSample(append([]float64(nil), nv...), th)
	a := benchmath.AssumeNothing
	r := Row{Name: name, Old: a.Summary(os, conf), New: a.Summary(ns, conf), Cmp: a.Compare(os, ns)}
	r.Warnings = append(append(append(r.Warnings, r.Old.Warnings...), r.New.Warnings...), r.Cmp.Warnings...)
	r.Delta = math.NaN()
	if r.Old.Center != 0 {
		r.Delta = r.New.Center/r.Old.Center - 1
	}
	r.Verdict = verdict(r.Cmp, r.Delta, better, threshold)
	r.DeltaLo, r.DeltaHi = r.Delta, r.Delta
	return r
}

// verdict applies the package doc's rule. "Too few samples" is benchmath's
// own condition for its warning: p > α and both samples smaller than the
// least n whose best possible p reaches α, so the data could not have told.
// (Identical samples also make benchmath warn — the U test refuses them —
// but with enough of them that is a plain "~".)
func verdict(c benchmath.Comparison, delta float64, better int, threshold float64) Verdict {
	if need := MinSamples(c.Alpha); c.P > c.Alpha && c.N1 < need && c.N2 < need {
		return TooFew
	}
	if c.P > c.Alpha || math.IsNaN(delta) {
		return Same
	}
	switch gain := float64(better) * delta; {
	case -gain > threshold:
		return Regression
	case gain > threshold:
		return Improvement
	}
	return Same
}

// MinSamples is the least n such that two samples of n each can reach
// p ≤ alpha in the two-sided U test: the most extreme of the C(2n, n)
// equally likely orderings on each side gives p = 2/C(2n, n), so n is the
// first with 2/C(2n, n) ≤ alpha (3 for 0.1, 4 for 0.05, 5 for 0.01).
func MinSamples(alpha float64) int {
	const limit = 50
	c := 1.0 // C(2n, n), grown by C(2n+2, n+1) = C(2n, n)·(2n+1)(2n+2)/(n+1)²
	for n := 1; n <= limit; n++ {
		c = c * float64(2*n-1) * float64(2*n) / float64(n*n)
		if 2/c <= alpha {
			return n
		}
	}
	return limit + 1
}
