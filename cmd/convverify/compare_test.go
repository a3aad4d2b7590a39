package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convverify/convverify/perf"
)

// headLines writes the first n lines of the file at src to a new file named
// name, as an interrupted bench leaves it, and returns its path.
func headLines(t *testing.T, src string, n int, name string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if n > len(lines) {
		t.Fatalf("%s has %d lines, cannot keep %d", src, len(lines), n)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines[:n], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lineOf returns the 1-based number of the k-th line (k ≥ 1) of the file
// that starts with prefix.
func lineOf(t *testing.T, path, prefix string, k int) int {
	t.Helper()
	b, _ := os.ReadFile(path)
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			if k--; k == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("%s has fewer than %d lines starting %q", path, k, prefix)
	return 0
}

const baseline = "../../benchdata/baseline-avx512.txt"

// distinctBenchmarks counts the distinct names of path's lines that start
// with prefix (a benchmark's name is its line's first field).
func distinctBenchmarks(t *testing.T, path, prefix string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, prefix) {
			names[f[0]] = true
		}
	}
	return len(names)
}

// TestCompareRefusesTruncatedBaseline is the case: the committed
// baseline (no count line) against a run interrupted in its first round —
// 6 benchmarks with one sample each and the rest not measured. That used to exit 0
// with "~" rows; now it names the missing benchmarks and the short rows and
// exits 1, unless --allow-missing.
func TestCompareRefusesTruncatedBaseline(t *testing.T) {
	if _, err := os.Stat(baseline); err != nil {
		t.Skip("no committed baseline")
	}
	// Keep the header, the six peak lines and the first six layer lines.
	partial := headLines(t, baseline, lineOf(t, baseline, "BenchmarkConv/", 6), "partial.txt")
	// the baseline's first round lists every layer benchmark once: the six
	// kept above have one sample each, the rest none
	lacks := fmt.Sprintf(" lacks %d benchmarks that ", distinctBenchmarks(t, baseline, "BenchmarkConv/")-6)
	// a file with a count line promises that many samples; one without
	// needs benchmath's minimum
	set, err := perf.ReadFile(baseline)
	if err != nil {
		t.Fatal(err)
	}
	short := "needs at least 4"
	if n := set.Promised["Conv/op=conv/impl=im2col-gemm/shape=mb1ic64ih56oc64oh56kh3ph1"]; n > 0 {
		short = fmt.Sprintf(`fewer than the %d promised by the file's "# convverify-count" line`, n)
	}

	code, out := runCLI(t, "compare", baseline, partial)
	if code != 1 {
		t.Errorf("truncated new file: exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"incomplete evidence", "--allow-missing",
		partial + lacks + baseline + " has:",
		"\n    Conv/op=conv/impl=", // each missing one named, indented under the file
		partial + ": Conv/op=conv/impl=im2col-gemm/shape=mb1ic64ih56oc64oh56kh3ph1 has 1 sample",
		short,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The table is still printed before the refusal.
	if !strings.Contains(out, "benchmark ") || strings.Index(out, "benchmark ") > strings.Index(out, "incomplete evidence") {
		t.Errorf("table missing or after the refusal:\n%s", out)
	}

	// Swapped, the old file is the short one.
	if code, out := runCLI(t, "compare", partial, baseline); code != 1 || !strings.Contains(out, partial+lacks+baseline) {
		t.Errorf("truncated old file: exit %d, want 1 naming it:\n%s", code, out)
	}

	// --allow-missing compares what is there and warns.
	code, out = runCLI(t, "compare", "--allow-missing", baseline, partial)
	if code != 0 || !strings.Contains(out, "warning: incomplete evidence") || !strings.Contains(out, lacks) {
		t.Errorf("--allow-missing: exit %d, want 0 with the warning:\n%s", code, out)
	}
	// The complete baseline against itself passes, without a warning.
	if code, out := runCLI(t, "compare", baseline, baseline); code != 0 || strings.Contains(out, "incomplete") {
		t.Errorf("baseline vs itself: exit %d:\n%s", code, out)
	}
}

// TestCompareRefusesInterruptedBench cuts real bench -o output (which has a
// count line) short at several points and compares it with the whole file.
func TestCompareRefusesInterruptedBench(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.txt")
	args := []string{"bench", "--impl", "^(depthwise-direct|direct-tiled)$", "--shape", "g32", "--count", "2", "--benchtime", "1x", "-o", full}
	if code, out, errOut := runSplit(t, args...); code != 0 {
		t.Fatalf("bench: exit %d:\n%s%s", code, out, errOut)
	}
	s, err := perf.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Names) != 3 {
		t.Fatalf("bench wrote %v, want the peak and two layers", s.Names)
	}
	for _, n := range s.Names {
		if s.Promised[n] != 2 {
			t.Errorf("%s: promised %d samples, want --count's 2", n, s.Promised[n])
		}
	}

	// Complete files pass, even with fewer samples than a verdict needs:
	// the count line says 2 was asked for, so 2 is complete.
	code, out := runCLI(t, "compare", full, full)
	if code != 0 || strings.Contains(out, "incomplete") || !strings.Contains(out, "too few samples") {
		t.Errorf("complete files: exit %d, want 0 with too-few-samples verdicts and no gap:\n%s", code, out)
	}

	// The layers in the order bench runs them (each round in this order).
	first, second := s.Names[1], s.Names[2]

	// Cut after the first layer's first-round line: that layer has 1 of 2,
	// the other layer is missing.
	cut1 := headLines(t, full, lineOf(t, full, "BenchmarkConv/", 1), "cut1.txt")
	code, out = runCLI(t, "compare", full, cut1)
	if code != 1 || !strings.Contains(out, cut1+" lacks 1 benchmark that "+full+" has:\n    "+second+"\n") ||
		!strings.Contains(out, cut1+": "+first+" has 1 sample, fewer than the 2 promised") {
		t.Errorf("cut in round 1: exit %d, want 1 naming the missing layer and the short one:\n%s", code, out)
	}
	// Cut in round 2: both layers present, the second short.
	cut2 := headLines(t, full, lineOf(t, full, "BenchmarkConv/", 3), "cut2.txt")
	code, out = runCLI(t, "compare", full, cut2)
	if code != 1 || strings.Contains(out, "lacks") || strings.Count(out, "fewer than the 2 promised") != 1 || !strings.Contains(out, cut2+": "+second+" has 1 sample") {
		t.Errorf("cut in round 2: exit %d, want 1 naming only %s as short:\n%s", code, second, out)
	}
	if code, out := runCLI(t, "compare", "--allow-missing", full, cut1); code != 0 || !strings.Contains(out, "warning: incomplete evidence") {
		t.Errorf("--allow-missing: exit %d, want 0 with the warning:\n%s", code, out)
	}
}

// TestCompareFilesOfDifferentCounts: a 3-sample run and a 2-sample run of the
// same benchmarks are each complete and still compare in one table: the
// count is a comment, not configuration.
func TestCompareFilesOfDifferentCounts(t *testing.T) {
	write := func(name string, count int, values []float64) string {
		var b strings.Builder
		fmt.Fprintf(&b, "goos: linux\n%s %d\n", perf.CountPrefix, count)
		for _, v := range values {
			fmt.Fprintf(&b, "BenchmarkConv/op=conv/impl=a/shape=s \t 100\t %g ns/op\n", v)
		}
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	a := write("a.txt", 3, base[:3])
	b := write("b.txt", 2, base[:2])
	code, out := runCLI(t, "compare", a, b)
	if code != 0 || strings.Contains(out, "incomplete") || strings.Count(out, "Conv/op=conv/impl=a/shape=s") != 1 || !strings.Contains(out, "3+2") {
		t.Errorf("counts 3 and 2: exit %d, want 0 and one row with n 3+2:\n%s", code, out)
	}
	// The same 2-sample data promising 3 is short.
	c := write("c.txt", 3, base[:2])
	if code, out := runCLI(t, "compare", a, c); code != 1 || !strings.Contains(out, c+": Conv/op=conv/impl=a/shape=s has 2 samples, fewer than the 3 promised") {
		t.Errorf("2 of 3 promised: exit %d:\n%s", code, out)
	}
	// A malformed count line is bad input naming file and line.
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("goos: linux\n"+perf.CountPrefix+" six\nBenchmarkA \t 1\t 5 ns/op\n"), 0o644)
	if code, out := runCLI(t, "compare", a, bad); code != 2 || !strings.Contains(out, bad+":2") {
		t.Errorf("malformed count line: exit %d, want 2 naming %s:2:\n%s", code, bad, out)
	}
}

// TestCompareAllowMissingStillFailsRegressions: --allow-missing forgives
// gaps, not regressions.
func TestCompareAllowMissingStillFailsRegressions(t *testing.T) {
	old := benchFile(t, "old.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": base, "Conv/op=conv/impl=b/shape=s": base})
	new := benchFile(t, "new.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": slower})
	code, out := runCLI(t, "compare", "--allow-missing", old, new)
	if code != 1 || !strings.Contains(out, "1 regression(s)") || !strings.Contains(out, new+" lacks 1 benchmark that "+old+" has:\n    Conv/op=conv/impl=b/shape=s") {
		t.Errorf("regression and a gap with --allow-missing: exit %d, want 1 with both reported:\n%s", code, out)
	}
}

// shiftedRun is a bench file whose every benchmark (probe included) runs at
// speed × its idle rate, with b's code also slowed by slowB, and the load
// it began at.
func shiftedRun(t *testing.T, name string, speed, slowB float64, load string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# load-average: %s\ngoos: linux\ngoarch: amd64\npkg: convverify/optimized\ncpu: X\nkernel: avx512\ngomaxprocs: 2\nUnit GFLOP/s better=higher\n", load)
	wobble := []float64{1, 1.004, 0.996, 1.002, 0.998, 1.001}
	for _, bench := range []struct {
		name string
		g    float64
		n    int
	}{{"Peak/unit=avx512", 160, 12}, {"Conv/op=conv/impl=a/shape=s", 50, 6}, {"Conv/op=conv/impl=b/shape=s", 30, 6}} {
		f := speed
		if strings.Contains(bench.name, "impl=b") {
			f *= slowB
		}
		for i := range bench.n {
			g := bench.g * f * wobble[i%len(wobble)]
			fmt.Fprintf(&b, "Benchmark%s \t 100\t %g ns/op\t %g GFLOP/s\n", bench.name, 1e6/g, g)
		}
	}
	path := filepath.Join(t.TempDir(), name)
	os.WriteFile(path, []byte(b.String()), 0o644)
	return path
}

// TestCompareNormalizePeak: an idle run against the same code on a machine
// at 75 % speed: raw, two false regressions and a load warning; with
// --normalize peak, none; with b really 10 % slower, b alone.
func TestCompareNormalizePeak(t *testing.T) {
	idle := shiftedRun(t, "idle.txt", 1, 1, "0.1 0.1 0.1")
	loaded := shiftedRun(t, "loaded.txt", 0.75, 1, "3.5 3 2")
	planted := shiftedRun(t, "planted.txt", 0.75, 0.9, "3.5 3 2")
	code, out, _ := runSplit(t, "compare", idle, loaded)
	if code != 1 || !strings.Contains(out, "2 regression(s)") || !strings.Contains(out, "began at load average 3.5") || !strings.Contains(out, "--normalize peak") {
		t.Errorf("raw: exit %d, want 1 with 2 false regressions, the load warning and the hint:\n%s", code, out)
	}
	code, out, _ = runSplit(t, "compare", "--normalize", "peak", idle, loaded)
	if code != 0 || strings.Contains(out, "regression(s)") || regexpMatch(`Conv/.*regression`, out) || !strings.Contains(out, "× peak") {
		t.Errorf("normalized: exit %d, want 0 and no regression:\n%s", code, out)
	}
	code, out, _ = runSplit(t, "compare", "--normalize", "peak", idle, planted)
	if code != 1 || !strings.Contains(out, "1 regression(s)") || !regexpMatch(`impl=b/shape=s .*regression`, out) {
		t.Errorf("normalized, b 10%% slower: exit %d, want b's regression alone:\n%s", code, out)
	}
	if code, _, errOut := runSplit(t, "compare", "--normalize", "median", idle, loaded); code != 2 || !strings.Contains(errOut, "--normalize") {
		t.Errorf("--normalize median: exit %d %s", code, errOut)
	}
}

// TestCompareFormatsAndGeomean: the geomean row benchstat prints (probes
// left out), in text, markdown and csv; csv's stdout is one table.
func TestCompareFormatsAndGeomean(t *testing.T) {
	idle := shiftedRun(t, "idle.txt", 1, 1, "0.1 0.1 0.1")
	slow := shiftedRun(t, "slow.txt", 1, 0.5, "0.1 0.1 0.1")
	// geomean over a and b of sec/op: old √(20µ·33.3µ), new with b doubled: +41.4 %.
	for format, want := range map[string]string{"text": "geomean", "markdown": "| **geomean** |", "csv": "geomean,sec/op,"} {
		code, out, errOut := runSplit(t, "compare", "--format", format, idle, slow)
		if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "41.4") && !strings.Contains(out, "0.4142") {
			t.Errorf("--format %s: exit %d, want 1 with %q and +41.4%%:\n%s%s", format, code, want, out, errOut)
		}
		if format == "csv" {
			if recs, err := csv.NewReader(strings.NewReader(out)).ReadAll(); err != nil || len(recs) != 5 {
				t.Errorf("csv: %v, %d records:\n%s", err, len(recs), out)
			}
		}
	}
	if code, _, errOut := runSplit(t, "compare", "--format", "html", idle, slow); code != 2 || !strings.Contains(errOut, "--format") {
		t.Errorf("--format html: exit %d %s", code, errOut)
	}
}

var updateGolden = flag.Bool("update", false, "rewrite the golden files of compare's output")

// TestCompareGolden: compare's whole stdout, as benchstat's CLI is tested:
// an idle run against a loaded one with b really 10 % slower, in each
// format, raw and normalized. go test -run TestCompareGolden -update
// rewrites the files after a deliberate change.
func TestCompareGolden(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"idle.txt":    shiftedRun(t, "idle.txt", 1, 1, "0.1 0.1 0.1"),
		"planted.txt": shiftedRun(t, "planted.txt", 0.75, 0.9, "3.5 3 2"),
	} {
		b, _ := os.ReadFile(path)
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	golden, _ := filepath.Abs(filepath.Join("testdata", "compare"))
	t.Chdir(dir)
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"raw.txt", nil},
		{"normalized.txt", []string{"--normalize", "peak"}},
		{"normalized.md", []string{"--normalize", "peak", "--format", "markdown"}},
		{"normalized.csv", []string{"--normalize", "peak", "--format", "csv"}},
	} {
		code, out, errOut := runSplit(t, append(append([]string{"compare"}, tc.args...), "idle.txt", "planted.txt")...)
		got := fmt.Sprintf("exit %d\n-- stdout --\n%s-- stderr --\n%s", code, out, errOut)
		path := filepath.Join(golden, tc.file)
		if *updateGolden {
			os.MkdirAll(golden, 0o755)
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("compare %q differs from %s:\n%s", tc.args, path, got)
		}
	}
}
