package perf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

// file renders a benchmark file: for each name, one line per value in ns/op.
func file(lines map[string][]float64, extra ...string) string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: convverify/optimized\n")
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	for _, name := range sortedKeys(lines) {
		for _, v := range lines[name] {
			fmt.Fprintf(&b, "Benchmark%s \t 100\t %g ns/op\t %g GFLOP/s\n", name, v, 1e3/v)
		}
	}
	return b.String()
}

func sortedKeys(m map[string][]float64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func mustRead(t *testing.T, text, name string) *Set {
	t.Helper()
	s, err := Read(strings.NewReader(text), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noisy returns n values around center with relative spread ±spread, drawn at random.
func noisy(rng *rand.Rand, n int, center, spread float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = center * (1 + spread*(2*rng.Float64()-1))
	}
	return v
}

func compare(t *testing.T, old, new map[string][]float64, opt Options) Report {
	t.Helper()
	rep, err := Compare(mustRead(t, file(old), "old.txt"), mustRead(t, file(new), "new.txt"), opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func only(t *testing.T, rep Report) Row {
	t.Helper()
	if len(rep.Rows) != 1 {
		t.Fatalf("%d rows, want 1: %+v", len(rep.Rows), rep.Rows)
	}
	return rep.Rows[0]
}

var opt5 = Options{Metric: "sec/op", Alpha: 0.05, Threshold: 0.05}

func TestShiftedSampleIsARegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		old := noisy(rng, 6, 1000, 0.02)
		new := noisy(rng, 6, 1200, 0.02) // 20 % slower, ranges disjoint
		r := only(t, compare(t, map[string][]float64{"Conv/x": old}, map[string][]float64{"Conv/x": new}, opt5))
		// Disjoint samples of 6 and 6: U = 0, exact two-sided p = 2/C(12, 6) = 2/924.
		if want := 2.0 / 924; math.Abs(r.Cmp.P-want) > 1e-12 {
			t.Errorf("trial %d: p = %v, want %v", trial, r.Cmp.P, want)
		}
		if r.Verdict != Regression || r.Delta < 0.1 || r.Delta > 0.3 {
			t.Errorf("trial %d: verdict %v delta %v, want regression near +20%%", trial, r.Verdict, r.Delta)
		}
		// Same data in GFLOP/s (higher is better): still a regression, with δ < 0.
		g := only(t, compare(t, map[string][]float64{"Conv/x": old}, map[string][]float64{"Conv/x": new},
			Options{Metric: "GFLOP/s", Alpha: 0.05, Threshold: 0.05}))
		if g.Verdict != Regression || g.Delta > -0.1 {
			t.Errorf("trial %d: GFLOP/s verdict %v delta %v, want regression", trial, g.Verdict, g.Delta)
		}
		// Swapped: an improvement.
		s := only(t, compare(t, map[string][]float64{"Conv/x": new}, map[string][]float64{"Conv/x": old}, opt5))
		if s.Verdict != Improvement {
			t.Errorf("trial %d: swapped verdict %v, want improvement", trial, s.Verdict)
		}
	}
}

func TestIdenticalSamplesAreSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := noisy(rng, 8, 500, 0.05)
	r := only(t, compare(t, map[string][]float64{"A": v}, map[string][]float64{"A": v}, opt5))
	if r.Verdict != Same || r.Delta != 0 || r.Cmp.P != 1 {
		t.Errorf("identical samples: verdict %v delta %v p %v, want ~ 0 1", r.Verdict, r.Delta, r.Cmp.P)
	}
	// Every value equal: the U test refuses (benchmath warns, p = 1), still "~".
	c := []float64{7, 7, 7, 7, 7}
	r = only(t, compare(t, map[string][]float64{"A": c}, map[string][]float64{"A": c}, opt5))
	if r.Verdict != Same || len(r.Cmp.Warnings) == 0 {
		t.Errorf("constant samples: verdict %v warnings %v, want ~ with benchmath's warning", r.Verdict, r.Cmp.Warnings)
	}
}

func TestTooFewSamples(t *testing.T) {
	// Three against three, fully separated: the best p is 2/C(6,3) = 0.1 > 0.05.
	r := only(t, compare(t, map[string][]float64{"A": {1, 2, 3}}, map[string][]float64{"A": {10, 11, 12}}, opt5))
	if r.Verdict != TooFew || len(r.Cmp.Warnings) == 0 || math.Abs(r.Cmp.P-0.1) > 1e-12 {
		t.Errorf("n=3: verdict %v p %v warnings %v, want too few samples, p 0.1", r.Verdict, r.Cmp.P, r.Cmp.Warnings)
	}
	// Four against four reach 2/70 < 0.05.
	r = only(t, compare(t, map[string][]float64{"A": {1, 2, 3, 4}}, map[string][]float64{"A": {10, 11, 12, 13}}, opt5))
	if r.Verdict != Regression {
		t.Errorf("n=4: verdict %v p %v, want regression", r.Verdict, r.Cmp.P)
	}
	for alpha, want := range map[float64]int{0.2: 3, 0.1: 3, 0.05: 4, 0.01: 5, 0.001: 7} {
		if got := MinSamples(alpha); got != want {
			t.Errorf("MinSamples(%v) = %d, want %d", alpha, got, want)
		}
	}
}

func TestThreshold(t *testing.T) {
	// Significant (disjoint, n = 6) but only 2 % slower.
	old := []float64{100, 100.1, 100.2, 100.3, 100.4, 100.5}
	new := []float64{102, 102.1, 102.2, 102.3, 102.4, 102.5}
	r := only(t, compare(t, map[string][]float64{"A": old}, map[string][]float64{"A": new}, opt5))
	if r.Verdict != Same || r.Cmp.P > 0.05 {
		t.Errorf("2%% shift, 5%% threshold: verdict %v p %v, want ~ with p < 0.05", r.Verdict, r.Cmp.P)
	}
	r = only(t, compare(t, map[string][]float64{"A": old}, map[string][]float64{"A": new}, Options{Metric: "ns/op", Alpha: 0.05, Threshold: 0.01}))
	if r.Verdict != Regression {
		t.Errorf("2%% shift, 1%% threshold: verdict %v, want regression", r.Verdict)
	}
}

// TestMatchesBenchmath: the rows carry exactly what benchmath (and so
// benchstat) computes, and the hand-derived order-statistic interval.
func TestMatchesBenchmath(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 50 {
		n1, n2 := 2+rng.IntN(10), 2+rng.IntN(10)
		old, new := noisy(rng, n1, 1000, 0.1), noisy(rng, n2, 1000*(0.9+0.2*rng.Float64()), 0.1)
		r := only(t, compare(t, map[string][]float64{"A": old}, map[string][]float64{"A": new}, opt5))
		th := benchmath.Thresholds{CompareAlpha: 0.05}
		// The file stores ns/op with %g; Read tidies to seconds.
		sec := func(v []float64) []float64 {
			s := make([]float64, len(v))
			for i := range v {
				s[i] = mustParse(fmt.Sprintf("%g", v[i])) * 1e-9
			}
			return s
		}
		os, ns := benchmath.NewSample(sec(old), &th), benchmath.NewSample(sec(new), &th)
		wo, wn := benchmath.AssumeNothing.Summary(os, 0.95), benchmath.AssumeNothing.Summary(ns, 0.95)
		wc := benchmath.AssumeNothing.Compare(os, ns)
		if r.Old.Center != wo.Center || r.Old.Lo != wo.Lo || r.Old.Hi != wo.Hi || r.New.Center != wn.Center || r.New.Lo != wn.Lo || r.New.Hi != wn.Hi {
			t.Fatalf("trial %d: summaries %+v %+v, benchmath %+v %+v", trial, r.Old, r.New, wo, wn)
		}
		if r.Cmp.P != wc.P || r.Cmp.N1 != n1 || r.Cmp.N2 != n2 {
			t.Fatalf("trial %d: comparison %+v, benchmath %+v", trial, r.Cmp, wc)
		}
		// benchstat's "~" is exactly our non-significance.
		if (wc.FormatDelta(wo.Center, wn.Center) == "~") != (r.Cmp.P > r.Cmp.Alpha) {
			t.Fatalf("trial %d: significance disagrees with benchmath FormatDelta", trial)
		}
	}
	// n = 6 at 95 %: B ~ Binomial(6, ½) misses [1, 6) with probability 2/64,
	// so the interval is [min, max] at confidence 62/64.
	r := only(t, compare(t, map[string][]float64{"A": {6, 1, 5, 2, 4, 3}}, map[string][]float64{"A": {6, 1, 5, 2, 4, 3}}, opt5))
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-15*b } // ns → sec rounding
	if !near(r.Old.Lo, 1e-9) || !near(r.Old.Hi, 6e-9) || !near(r.Old.Center, 3.5e-9) || r.Old.Confidence != 62.0/64 {
		t.Errorf("n=6 interval %+v, want median 3.5ns in [1ns, 6ns] at 0.96875", r.Old)
	}
	// n = 5 cannot reach 95 %: an infinite bound and benchmath's warning.
	r = only(t, compare(t, map[string][]float64{"A": {1, 2, 3, 4, 5}}, map[string][]float64{"A": {1, 2, 3, 4, 5}}, opt5))
	if !math.IsInf(r.Old.Lo, -1) && !math.IsInf(r.Old.Hi, 1) || len(r.Old.Warnings) == 0 {
		t.Errorf("n=5 interval %+v, want infinite with a warning", r.Old)
	}
}

func mustParse(s string) float64 {
	var v float64
	if _, err := fmt.Sscan(s, &v); err != nil {
		panic(err)
	}
	return v
}

func TestReadGroupsByFullName(t *testing.T) {
	text := file(map[string][]float64{"Conv/op=conv/impl=a/shape=s": {1, 2}, "Conv/op=conv/impl=b/shape=s": {3}}, "kernel: avx512") +
		"load: 3.5\nBenchmarkConv/op=conv/impl=a/shape=s \t 10\t 4 ns/op\n" +
		"Unit GFLOP/s better=higher\n"
	s := mustRead(t, text, "x.txt")
	if got := len(s.Values["Conv/op=conv/impl=a/shape=s"]["sec/op"]); got != 3 {
		t.Errorf("impl=a has %d sec/op values across a config change, want 3", got)
	}
	if len(s.Names) != 2 || s.Names[0] != "Conv/op=conv/impl=a/shape=s" {
		t.Errorf("names %q", s.Names)
	}
	if d, err := Direction("GFLOP/s", s); d != 1 || err != nil {
		t.Errorf("Direction(GFLOP/s) = %d, %v", d, err)
	}
}

func TestReadErrors(t *testing.T) {
	_, err := Read(strings.NewReader("goos: linux\nBenchmarkA \t 10\t 5 ns/op\nBenchmarkB \t ten\t 5 ns/op\n"), "bad.txt")
	if err == nil || !strings.Contains(err.Error(), "bad.txt:3") {
		t.Errorf("malformed line: err %v, want it to name bad.txt:3", err)
	}
	if _, err := Read(strings.NewReader("just text\n"), "empty.txt"); err == nil || !strings.Contains(err.Error(), "empty.txt") {
		t.Errorf("no results: err %v, want it to name the file", err)
	}
	if _, err := ReadFile("/nonexistent/old.txt"); err == nil || !strings.Contains(err.Error(), "/nonexistent/old.txt") {
		t.Errorf("missing file: err %v", err)
	}
	a := mustRead(t, file(map[string][]float64{"A": {1, 2, 3, 4}}), "a")
	if _, err := Compare(a, a, Options{Metric: "widgets", Alpha: 0.05}); err == nil {
		t.Error("unknown metric direction: no error")
	}
	if _, err := Compare(a, a, Options{Metric: "B/op", Alpha: 0.05}); err == nil {
		t.Error("metric in neither file: no error")
	}
	if _, err := Compare(a, a, Options{Metric: "sec/op", Alpha: 1.5}); err == nil {
		t.Error("alpha 1.5: no error")
	}
	if _, err := Compare(a, a, Options{Metric: "sec/op", Alpha: 0.05, Threshold: -1}); err == nil {
		t.Error("negative threshold: no error")
	}
}

func TestOnlyInOneFile(t *testing.T) {
	rep := compare(t, map[string][]float64{"A": {1, 2, 3, 4}, "Gone": {1, 2, 3, 4}}, map[string][]float64{"A": {1, 2, 3, 4}, "New": {5, 6, 7, 8}}, opt5)
	if len(rep.Rows) != 1 || len(rep.OnlyOld) != 1 || rep.OnlyOld[0] != "Gone" || len(rep.OnlyNew) != 1 || rep.OnlyNew[0] != "New" {
		t.Errorf("rows %d only-old %q only-new %q", len(rep.Rows), rep.OnlyOld, rep.OnlyNew)
	}
}

// TestOneWorkerFileComparesWithSeveral: a run of one worker count names
// its benchmarks without /workers=N; compared with a run of several, its
// names take the key of the count its "workers:" line names, in either
// order, and the other counts are only in the other file. A file whose
// line names several counts, or none, is not renamed.
func TestOneWorkerFileComparesWithSeveral(t *testing.T) {
	one := mustRead(t, file(map[string][]float64{"A": {10, 11, 12, 13}}, "workers: 1"), "one")
	two := mustRead(t, file(map[string][]float64{"A/workers=1": {20, 21, 22, 23}, "A/workers=2": {5, 6, 7, 8}}, "workers: 1,2"), "two")
	for _, pair := range [][2]*Set{{one, two}, {two, one}} {
		rep, err := Compare(pair[0], pair[1], opt5)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].Name != "A/workers=1" || rep.Rows[0].Verdict == Same {
			t.Fatalf("%s against %s: rows %+v", pair[0].File, pair[1].File, rep.Rows)
		}
		if only := append(rep.OnlyOld, rep.OnlyNew...); len(only) != 1 || only[0] != "A/workers=2" {
			t.Errorf("%s against %s: only in one file %q, want A/workers=2", pair[0].File, pair[1].File, only)
		}
	}
	if one.Names[0] != "A" {
		t.Errorf("the file read was renamed: %q", one.Names)
	}
	for _, line := range []string{"workers: 1,2", ""} {
		other := mustRead(t, file(map[string][]float64{"A": {10, 11, 12, 13}}, line), "other")
		if _, err := Compare(other, two, opt5); err == nil {
			t.Errorf("a file with %q matched /workers=1", line)
		}
	}
}

// TestCompletenessAlignsWorkers: Completeness matches names as Compare
// does, so a one-worker file lacks only the other counts of a run of
// several, not its own benchmarks under their keyed names.
func TestCompletenessAlignsWorkers(t *testing.T) {
	one := mustRead(t, file(map[string][]float64{"A": {10, 11, 12, 13}}, "workers: 1"), "one")
	two := mustRead(t, file(map[string][]float64{"A/workers=1": {20, 21, 22, 23}, "A/workers=2": {5, 6, 7, 8}}, "workers: 1,2"), "two")
	gaps := Completeness(one, two, "sec/op", 0.05)
	if len(gaps) != 1 || gaps[0].File != "one" || len(gaps[0].Missing) != 1 || gaps[0].Missing[0] != "A/workers=2" {
		t.Errorf("gaps %+v, want one lacking A/workers=2", gaps)
	}
}
