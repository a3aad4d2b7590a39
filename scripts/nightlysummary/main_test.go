package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchFile is a bench run at date: probe 160 GFLOP/s, impl a at 50 × slowA.
func benchFile(t *testing.T, dir, name, date, commit string, slowA float64) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# convverify-count: 6\n# date: %s\n# commit: %s\n# load-average: 0.1 0.1 0.1\ngoos: linux\ngoarch: amd64\npkg: convverify/optimized\ncpu: X\nkernel: avx512\ngomaxprocs: 2\nUnit GFLOP/s better=higher\n", date, commit)
	wobble := []float64{1, 1.004, 0.996, 1.002, 0.998, 1.001}
	for i := range 12 {
		fmt.Fprintf(&b, "BenchmarkPeak/unit=avx512 \t 100\t 1 ns/op\t %g GFLOP/s\n", 160*wobble[i%6])
	}
	for i := range 6 {
		fmt.Fprintf(&b, "BenchmarkConv/op=conv/impl=a/shape=s \t 100\t 1 ns/op\t %g GFLOP/s\n", 50*slowA*wobble[i])
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNightlySummary(t *testing.T) {
	dir := t.TempDir()
	base := benchFile(t, dir, "base.txt", "2026-11-01T03:00:00Z", "base", 1)
	good := benchFile(t, dir, "good.txt", "2026-11-02T03:00:00Z", "good1", 1)
	bad := benchFile(t, dir, "bad.txt", "2026-11-03T03:00:00Z", "bad2", 0.85)
	hist, out := filepath.Join(dir, "history"), filepath.Join(dir, "out")
	args := func(run, props string) []string {
		return []string{"-run", run, "-baseline", base, "-history", hist, "-out", out, "-properties", props}
	}
	if code, err := run(args(good, "passed")); code != 0 || err != nil {
		t.Fatalf("good night: %d %v", code, err)
	}
	if code, err := run(args(bad, "passed")); code != 1 || err != nil {
		t.Fatalf("bad night: %d %v, want 1", code, err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, want := range []string{"**FAIL**: 1 regression", "impl=a", "bad2", "good1"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	if h, _ := filepath.Glob(filepath.Join(hist, "*.txt")); len(h) != 2 {
		t.Errorf("history %v, want two runs", h)
	}
	// The same run again is refused; with -no-append its summary is redone.
	if code, err := run(args(bad, "passed")); code != 3 || err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("appending twice: %d %v", code, err)
	}
	if code, err := run(append(args(good, "failed"), "-no-append")); code != 1 || err != nil {
		t.Errorf("failing properties: %d %v, want 1", code, err)
	}
	for _, bad := range [][]string{{"-run", good}, append(args(good, "maybe"), "-no-append"), append(args(good, "passed"), "-threshold", "x")} {
		if code, _ := run(bad); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
}

// TestWorkflows: both workflow files have what they are for; actionlint,
// where installed, checks them fully (it passed on both when they were
// written: go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12).
func TestWorkflows(t *testing.T) {
	for file, wants := range map[string][]string{
		"ci.yml":      {"on:", "push:", "pull_request:", "jobs:", "runs-on:", "bash .ci/run", "go-version-file: go.mod"},
		"nightly.yml": {"on:", "schedule:", "cron:", "jobs:", "runs-on:", "scripts/nightly", "actions/upload-artifact", "nightly-out/*.png", "summary.md", "benchdata/history"},
	} {
		path := filepath.Join("..", "..", ".github", "workflows", file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "\t") {
			t.Errorf("%s: a tab (YAML indents with spaces)", file)
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
		if lint, err := exec.LookPath("actionlint"); err == nil {
			if out, err := exec.Command(lint, path).CombinedOutput(); err != nil {
				t.Errorf("actionlint %s: %v\n%s", file, err, out)
			}
		}
	}
	if st, err := os.Stat("../nightly"); err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("scripts/nightly missing or not executable: %v", err)
	}
}
