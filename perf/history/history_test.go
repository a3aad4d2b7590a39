package history

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/perf"
)

// runText is a bench file of a run at date with commit: the probe at 160
// GFLOP/s, impl a at 50, impl b at 30 × slowB, each sample wobbling a
// little, everything × speed (the machine).
func runText(date time.Time, commit string, speed, slowB float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# convverify-count: 6\n# date: %s\n# commit: %s\n# load-average: 0.1 0.1 0.1\n", date.Format(time.RFC3339), commit)
	b.WriteString("goos: linux\ngoarch: amd64\npkg: convverify/optimized\ncpu: X\nkernel: avx512\ngomaxprocs: 2\nUnit GFLOP/s better=higher\n")
	wobble := []float64{1, 1.004, 0.996, 1.002, 0.998, 1.001}
	for _, bench := range []struct {
		name string
		g    float64
		n    int
	}{{"Peak/unit=avx512", 160, 12}, {"Conv/op=conv/impl=a/shape=s", 50, 6}, {"Conv/op=conv/impl=b/shape=s", 30 * slowB, 6}} {
		for i := range bench.n {
			g := bench.g * speed * wobble[i%len(wobble)]
			fmt.Fprintf(&b, "Benchmark%s \t 100\t %g ns/op\t %g GFLOP/s\n", bench.name, 1e6/g, g)
		}
	}
	return b.String()
}

func readRun(t interface {
	Helper()
	Fatal(...any)
}, text, name string) Run {
	t.Helper()
	s, err := perf.Read(strings.NewReader(text), name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunOf(name, s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRegressionsSince: runs on machines of random speeds, b 20 % slower
// from a random run on: the latest run's regression of b is dated from
// that run, the last good one is the run before, and a is never blamed.
func TestRegressionsSince(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	base := readRun(t, runText(t0, "base", 1, 1), "base.txt").Set
	root := t.TempDir()
	try := 0
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "runs")
		from := rapid.IntRange(0, n-1).Draw(t, "b slower from run")
		try++
		dir := filepath.Join(root, fmt.Sprint(try))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var runs []Run
		for i := range n {
			slow := 1.0
			if i >= from {
				slow = 0.8
			}
			speed := rapid.Float64Range(0.6, 1).Draw(t, "machine speed")
			r := readRun(t, runText(t0.AddDate(0, 0, i+1), fmt.Sprintf("c%d", i), speed, slow), fmt.Sprintf("run%d", i))
			if _, err := Append(dir, r, []byte(runText(r.Date, r.Commit, speed, slow))); err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		loaded, err := Load(dir)
		if err != nil || len(loaded) != n {
			t.Fatalf("Load: %d runs, %v", len(loaded), err)
		}
		_, regs, err := Regressions(base, loaded, perf.Options{Metric: "GFLOP/s", Alpha: 0.05, Threshold: 0.05, Normalize: "peak"})
		if err != nil {
			t.Fatal(err)
		}
		if len(regs) != 1 || !strings.Contains(regs[0].Row.Name, "impl=b") {
			t.Fatalf("regressions %+v, want b's alone", regs)
		}
		if got := regs[0].Since.Commit; got != fmt.Sprintf("c%d", from) {
			t.Fatalf("since %s, want c%d", got, from)
		}
		if from == 0 && regs[0].LastGood != nil || from > 0 && (regs[0].LastGood == nil || regs[0].LastGood.Commit != fmt.Sprintf("c%d", from-1)) {
			t.Fatalf("last good %+v, want c%d", regs[0].LastGood, from-1)
		}
	})
}

func TestAppendAndLoad(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	late := readRun(t, runText(t0.Add(time.Hour), "bbbb", 1, 1), "late")
	early := readRun(t, runText(t0, "aaaa", 1, 1), "early")
	for _, r := range []Run{late, early} {
		if _, err := Append(dir, r, []byte(runText(r.Date, r.Commit, 1, 1))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Append(dir, early, []byte("x")); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("appending a run twice: %v", err)
	}
	if FileName(early) != "2026-11-02T030405Z-aaaa.txt" {
		t.Errorf("file name %q", FileName(early))
	}
	runs, err := Load(dir)
	if err != nil || len(runs) != 2 || runs[0].Commit != "aaaa" || runs[1].Commit != "bbbb" {
		t.Fatalf("Load: %v %+v", err, runs)
	}
	// A run without a date cannot be placed in the history.
	os.WriteFile(filepath.Join(dir, "junk.txt"), []byte("BenchmarkX 1 1 ns/op\n"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "junk.txt") {
		t.Errorf("Load with a dateless file: %v", err)
	}
}

// TestPlotsAndSummary: one trend and one share plot per layer, PNGs, and
// a summary that opens with the verdict and names the regression, its
// size and the commit it began at.
func TestPlotsAndSummary(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	base := readRun(t, runText(t0, "base", 1, 1), "base.txt").Set
	runs := []Run{readRun(t, runText(t0.AddDate(0, 0, 1), "good1", 1, 1), "r1"), readRun(t, runText(t0.AddDate(0, 0, 2), "bad222", 0.7, 0.8), "r2")}
	dir := t.TempDir()
	trends := Trends(runs)
	if len(trends) != 2 || len(trends[0].Points) != 2 || trends[1].Impl != "b" || trends[0].Layer != "Conv/op=conv/shape=s" {
		t.Fatalf("trends %+v", trends)
	}
	if s := trends[1].Points[1].ShareOfPeak; s < 0.8*30/160*0.99 || s > 0.8*30/160*1.01 {
		t.Errorf("share of peak %v, want %v", s, 0.8*30/160)
	}
	plots, err := Plots(trends, dir)
	if err != nil || len(plots) != 2 {
		t.Fatalf("plots %v %v", plots, err)
	}
	for _, p := range plots {
		b, err := os.ReadFile(filepath.Join(dir, p[0]))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s: not a PNG (%v)", p[0], err)
		}
	}
	opt := perf.Options{Metric: "GFLOP/s", Alpha: 0.05, Threshold: 0.05, Normalize: "peak"}
	rep, regs, err := Regressions(base, runs, opt)
	if err != nil {
		t.Fatal(err)
	}
	s := Summary{Latest: &runs[1], Runs: 2, Baseline: "base.txt", Report: rep, Regressions: regs, Properties: "passed", Plots: plots, Threshold: 0.05,
		Warnings: perf.EnvWarnings(base, runs[1].Set)}
	var md bytes.Buffer
	s.WriteMarkdown(&md)
	text := md.String()
	for _, want := range []string{"**FAIL**: 1 regression", "impl=b", "-20.0%", "bad222", "good1", "trend-01.png", "FMA probe itself moved -30.0%", "must exceed about"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if !s.Failed() {
		t.Error("not failed")
	}
	s.Regressions, s.Properties = nil, "failed"
	if md.Reset(); !s.Failed() {
		t.Error("a failing property does not fail the night")
	}
	s.WriteMarkdown(&md)
	if !strings.Contains(md.String(), "**FAIL**: a failing property") {
		t.Errorf("summary:\n%s", md.String())
	}
}
