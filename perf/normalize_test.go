package perf

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// run renders a bench file: gflops[name] are the GFLOP/s samples; ns/op is
// derived from a fixed FLOP count per benchmark (1e6), as bench writes both.
func run(gflops map[string][]float64, meta ...string) string {
	var b strings.Builder
	for _, m := range meta {
		b.WriteString(m + "\n")
	}
	b.WriteString("goos: linux\ngoarch: amd64\npkg: convverify/optimized\ncpu: X\nkernel: avx512\ngomaxprocs: 2\nUnit GFLOP/s better=higher\n")
	for _, name := range sortedKeys(gflops) {
		for _, g := range gflops[name] {
			fmt.Fprintf(&b, "Benchmark%s \t 100\t %g ns/op\t %g GFLOP/s\n", name, 1e6/g, g)
		}
	}
	return b.String()
}

// machine draws a run: every benchmark's true GFLOP/s times speed (the
// machine: 1 idle, below 1 loaded), times slow[name] (the code), each
// sample with its own relative noise of at most ±noise.
func machine(t *rapid.T, label string, speed, noise float64, slow map[string]float64) map[string][]float64 {
	truth := map[string]float64{"Peak/unit=avx512": 160, "Conv/op=conv/impl=a/shape=s": 50, "Conv/op=conv/impl=b/shape=s": 30, "Conv/op=conv/impl=c/shape=s": 8}
	out := map[string][]float64{}
	for name, g := range truth {
		n := 6
		if strings.HasPrefix(name, PeakPrefix) {
			n = 12 // before and after
		}
		f := speed
		if s, ok := slow[name]; ok {
			f *= s
		}
		for i := range n {
			e := rapid.Float64Range(-noise, noise).Draw(t, fmt.Sprintf("%s %s %d", label, name, i))
			out[name] = append(out[name], g*f*(1+e))
		}
	}
	return out
}

// TestNormalizePeakLoadedVsIdle: an idle run against a run on a loaded
// machine (everything, the probe included, 10–40 % slower) gives false
// regressions raw and none with --normalize peak, in GFLOP/s and in
// sec/op; and a real 10 % slowdown of one implementation planted in the
// loaded run is still caught, and only it. The noise, ±1 % a sample, is
// what a 10 % change against a 5 % threshold leaves room for once the
// probe's interval is carried in (see compareNormalized).
func TestNormalizePeakLoadedVsIdle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		load := rapid.Float64Range(0.6, 0.9).Draw(t, "loaded speed")
		const noise = 0.01
		idle := mustReadT(t, run(machine(t, "idle", 1, noise, nil), "# load-average: 0.1 0.1 0.1"), "idle.txt")
		loaded := mustReadT(t, run(machine(t, "loaded", load, noise, nil), "# load-average: 3.0 2.5 2.0"), "loaded.txt")
		planted := mustReadT(t, run(machine(t, "planted", load, noise, map[string]float64{"Conv/op=conv/impl=b/shape=s": 0.9}), "# load-average: 3.0 2.5 2.0"), "planted.txt")
		for _, metric := range []string{"GFLOP/s", "sec/op"} {
			opt := Options{Metric: metric, Alpha: 0.05, Threshold: 0.05}
			raw, err := Compare(idle, loaded, opt)
			if err != nil {
				t.Fatal(err)
			}
			if nonProbeRegressions(raw) != 3 {
				t.Fatalf("%s raw: %d regressions, want the 3 false alarms of a machine at %.2f speed", metric, nonProbeRegressions(raw), load)
			}
			opt.Normalize = "peak"
			norm, err := Compare(idle, loaded, opt)
			if err != nil {
				t.Fatal(err)
			}
			if n := nonProbeRegressions(norm); n != 0 {
				t.Fatalf("%s normalized: %d false regressions at %.2f speed:\n%+v", metric, n, load, norm.Rows)
			}
			caught, err := Compare(idle, planted, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range caught.Rows {
				want := Same
				if r.Name == "Conv/op=conv/impl=b/shape=s" {
					want = Regression
				}
				if !IsProbe(r.Name) && r.Verdict != want {
					t.Fatalf("%s normalized, 10%% slower b planted: %s is %v (δ %.3f in [%.3f, %.3f]), want %v", metric, r.Name, r.Verdict, r.Delta, r.DeltaLo, r.DeltaHi, want)
				}
			}
		}
		if w := EnvWarnings(idle, loaded); len(w) != 1 || !strings.Contains(w[0], "loaded.txt began at load average 3") {
			t.Fatalf("warnings %q, want one about loaded.txt's load", w)
		}
	})
}

// TestNormalizeCarriesProbeUncertainty: a probe too short for a finite
// interval (n < 6) leaves the machine factor unbounded, so even a large
// normalized change gets no verdict, where the same data raw would.
func TestNormalizeCarriesProbeUncertainty(t *testing.T) {
	old := mustRead(t, run(map[string][]float64{"Peak/unit=avx512": {160, 161, 159}, "Conv/op=conv/impl=a/shape=s": {50, 50.2, 49.8, 50.1, 49.9, 50}}), "old")
	new := mustRead(t, run(map[string][]float64{"Peak/unit=avx512": {160, 161, 159}, "Conv/op=conv/impl=a/shape=s": {40, 40.2, 39.8, 40.1, 39.9, 40}}), "new")
	opt := Options{Metric: "GFLOP/s", Alpha: 0.05, Threshold: 0.05, Normalize: "peak"}
	rep, err := Compare(old, new, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := rowNamed(rep, "Conv/op=conv/impl=a/shape=s")
	if r.Verdict != Same || !math.IsInf(r.DeltaHi, 1) {
		t.Errorf("3-sample probe: %v in [%v, %v], want ~ and an unbounded interval", r.Verdict, r.DeltaLo, r.DeltaHi)
	}
	opt.Normalize = ""
	if rep, _ = Compare(old, new, opt); rowNamed(rep, "Conv/op=conv/impl=a/shape=s").Verdict != Regression {
		t.Error("raw: no regression")
	}
	// A file without a probe cannot be normalized; nor can an unknown mode.
	bare := mustRead(t, run(map[string][]float64{"Conv/op=conv/impl=a/shape=s": {1, 2, 3, 4}}), "bare")
	for _, tc := range []struct {
		norm string
		new  *Set
		want string
	}{{"peak", bare, "FMA probe"}, {"median", new, "normalize"}} {
		if _, err := Compare(old, tc.new, Options{Metric: "GFLOP/s", Alpha: 0.05, Threshold: 0.05, Normalize: tc.norm}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("normalize %q: %v, want an error naming %q", tc.norm, err, tc.want)
		}
	}
}

func TestGeomean(t *testing.T) {
	old := mustRead(t, run(map[string][]float64{"Peak/unit=avx512": {1, 1, 1, 1}, "A": {2, 2, 2, 2}, "B": {8, 8, 8, 8}}), "old")
	new := mustRead(t, run(map[string][]float64{"Peak/unit=avx512": {9, 9, 9, 9}, "A": {4, 4, 4, 4}, "B": {8, 8, 8, 8}}), "new")
	rep, err := Compare(old, new, Options{Metric: "GFLOP/s", Alpha: 0.05, Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Geomean()
	// √(2·8) = 4, √(4·8) = √32; the probe is left out.
	if g.N != 2 || math.Abs(g.Old-4) > 1e-12 || math.Abs(g.New-math.Sqrt(32)) > 1e-12 || math.Abs(g.Delta-(math.Sqrt(32)/4-1)) > 1e-12 {
		t.Errorf("geomean %+v", g)
	}
}

func TestEnvWarnings(t *testing.T) {
	a := mustRead(t, "cpu: A\nkernel: avx512\ngomaxprocs: 2\nBenchmarkX 1 1 ns/op\n", "a")
	b := mustRead(t, "# load-average: 0.2 0 0\ncpu: B\nkernel: avx2\ngomaxprocs: 2\nBenchmarkX 1 1 ns/op\n", "b")
	w := strings.Join(EnvWarnings(a, b), "\n")
	for _, want := range []string{"differ in cpu", "differ in kernel"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if strings.Contains(w, "gomaxprocs") || strings.Contains(w, "load") {
		t.Errorf("warned of what is the same or idle:\n%s", w)
	}
	// The committed baseline's first comment line gives its load.
	old := mustRead(t, "# convverify bench, 2026-11-27T02:35:26Z; load average 2.13 1.37 1.17; benchtime 200ms, count 6\ngomaxprocs: 2\nBenchmarkX 1 1 ns/op\n", "base")
	if l, ok := old.Load1(); !ok || l != 2.13 {
		t.Errorf("old-style load %v %v", l, ok)
	}
}

func nonProbeRegressions(r Report) int {
	n := 0
	for _, row := range r.Rows {
		if !IsProbe(row.Name) && row.Verdict == Regression {
			n++
		}
	}
	return n
}

func rowNamed(r Report, name string) Row {
	for _, row := range r.Rows {
		if row.Name == name {
			return row
		}
	}
	return Row{}
}

func mustReadT(t *rapid.T, text, name string) *Set {
	s, err := Read(strings.NewReader(text), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
