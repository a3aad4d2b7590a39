package perf

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// lines renders result lines of name, one per value in ns/op.
func lines(name string, values ...float64) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s \t 100\t %g ns/op\n", name, v)
	}
	return b.String()
}

func TestCountLinePromises(t *testing.T) {
	text := "goos: linux\n" + CountPrefix + " 3 samples per benchmark; compare refuses fewer\n" +
		lines("A", 1, 2, 3) + lines("B", 1) + lines("A", 4)
	s := mustRead(t, text, "x.txt")
	if !reflect.DeepEqual(s.Promised, map[string]int{"A": 3, "B": 3}) {
		t.Errorf("promised %v, want A and B 3", s.Promised)
	}
	// Concatenated runs (cat a b): each run's count adds to the benchmarks it
	// measured; C, before any count line, is promised nothing.
	text = lines("C", 1) + CountPrefix + " 2\n" + lines("A", 1, 2) + lines("C", 3) + "\n" + CountPrefix + " 3\r\n" + lines("A", 1, 2, 3) + lines("B", 1, 2, 3)
	s = mustRead(t, text, "cat.txt")
	if !reflect.DeepEqual(s.Promised, map[string]int{"A": 5, "B": 3}) {
		t.Errorf("concatenated: promised %v, want A 5, B 3 and nothing for C", s.Promised)
	}
	// The count line is a comment to benchfmt, not configuration: benchstat
	// does not split tables on it, so files of different counts compare.
	r := benchfmt.NewReader(strings.NewReader("goos: linux\n"+CountPrefix+" 3\n"+lines("A", 1)), "x")
	for r.Scan() {
		if res, ok := r.Result().(*benchfmt.Result); ok {
			for _, c := range res.Config {
				if strings.Contains(c.Key, "count") {
					t.Errorf("benchfmt reads the count line as configuration %q", c.Key)
				}
			}
		}
	}
	for _, bad := range []string{CountPrefix + "\n", CountPrefix + " six\n", CountPrefix + " 0\n", CountPrefix + " -2\n"} {
		_, err := Read(strings.NewReader("goos: linux\n"+bad+lines("A", 1)), "bad.txt")
		if err == nil || !strings.Contains(err.Error(), "bad.txt:2") || !strings.Contains(err.Error(), "convverify-count") {
			t.Errorf("%q: err %v, want one naming bad.txt:2 and the line", bad, err)
		}
	}
}

func TestCompleteness(t *testing.T) {
	counted := func(n int, body string) string { return fmt.Sprintf("%s %d\n", CountPrefix, n) + body }
	full := mustRead(t, counted(3, lines("A", 1, 2, 3)+lines("B", 1, 2, 3)+lines("Peak", 1, 2, 3, 4, 5, 6)), "full.txt")
	if g := Completeness(full, full, "sec/op", 0.05); len(g) != 0 {
		t.Errorf("complete files: gaps %v", g)
	}
	// Cut after A's first line: A short, B and Peak missing.
	cut := mustRead(t, counted(3, lines("A", 1)), "cut.txt")
	g := Completeness(full, cut, "ns/op", 0.05)
	want := []Gap{
		{File: "cut.txt", Other: "full.txt", Missing: []string{"B", "Peak"}},
		{File: "cut.txt", Bench: "A", Have: 1, Want: 3, Promised: true, Alpha: 0.05},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("gaps %+v, want %+v", g, want)
	}
	if s := g[0].String(); s != "cut.txt lacks 2 benchmarks that full.txt has:\n  B\n  Peak" {
		t.Errorf("missing: %q", s)
	}
	if s := g[1].String(); !strings.Contains(s, "cut.txt: A has 1 sample, fewer than the 3 promised") {
		t.Errorf("short: %q", s)
	}
	// Swapped: the gaps are the same, found from the other side.
	if g2 := Completeness(cut, full, "sec/op", 0.05); len(g2) != 2 || g2[0].File != "cut.txt" || g2[0].Other != "full.txt" {
		t.Errorf("swapped: %+v", g2)
	}
	// Without a count line, the floor is what a verdict at α needs.
	old := mustRead(t, lines("A", 1, 2, 3, 4), "old.txt")
	new := mustRead(t, lines("A", 1, 2, 3), "new.txt")
	g = Completeness(old, new, "sec/op", 0.05)
	if len(g) != 1 || g[0].File != "new.txt" || g[0].Want != 4 || g[0].Promised || !strings.Contains(g[0].String(), "records no intended count") {
		t.Errorf("unpromised 3 at α 0.05: %+v", g)
	}
	if g = Completeness(old, new, "sec/op", 0.1); len(g) != 0 {
		t.Errorf("unpromised 3 at α 0.1 (needs 3): %+v", g)
	}
	// A promise of fewer than a verdict needs is kept: the run asked for few.
	few := mustRead(t, counted(2, lines("A", 1, 2)), "few.txt")
	if g = Completeness(few, few, "sec/op", 0.05); len(g) != 0 {
		t.Errorf("2 of 2 promised: %+v", g)
	}
	// Gaps are per metric: B has GFLOP/s in one file only.
	withG := mustRead(t, "BenchmarkB \t 1\t 5 ns/op\t 2 GFLOP/s\n"+lines("B", 5, 5, 5), "g.txt")
	noG := mustRead(t, lines("B", 5, 5, 5, 5), "n.txt")
	if g = Completeness(withG, noG, "GFLOP/s", 0.05); len(g) != 2 || !reflect.DeepEqual(g[0].Missing, []string{"B"}) || g[1].Bench != "B" || g[1].Have != 1 {
		t.Errorf("GFLOP/s in one file only: %+v", g)
	}
	if g = Completeness(withG, noG, "sec/op", 0.05); len(g) != 0 {
		t.Errorf("sec/op in both: %+v", g)
	}
}
