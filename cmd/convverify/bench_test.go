package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/convverify/convverify/bench"
	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/perf"
)

// runSplit runs the command with args and returns its exit status, stdout and stderr.
func runSplit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &out, &errOut
	defer func() { stdout, stderr = oldOut, oldErr }()
	code := run(args)
	return code, out.String(), errOut.String()
}

// parseBench reads benchmark data as benchstat would and fails on any
// syntax error; it returns the results (cloned) and the unit metadata.
func parseBench(t *testing.T, data, name string) ([]*benchfmt.Result, benchfmt.UnitMetadataMap) {
	t.Helper()
	r := benchfmt.NewReader(strings.NewReader(data), name)
	var res []*benchfmt.Result
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt: %v\n%s", rec, data)
		case *benchfmt.Result:
			res = append(res, rec.Clone())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return res, r.Units()
}

// tinyBench selects one cheap pair: the depthwise row kernel on the MobileNet layer.
var tinyBench = []string{"bench", "--impl", "^depthwise-direct$", "--shape", "g32", "--count", "1", "--benchtime", "1x"}

func TestBenchWritesBenchfmt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	code, out, errOut := runSplit(t, append(tinyBench, "-o", path)...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, units := parseBench(t, string(data), path)
	var peaks, convs int
	for _, r := range res {
		if got := r.GetConfig("kernel"); got != optimized.Kernel() {
			t.Errorf("%s: kernel config %q, want %q", r.Name, got, optimized.Kernel())
		}
		if r.GetConfig("cpu") == "" || r.GetConfig("goarch") == "" || r.GetConfig("pkg") != "convverify/optimized" {
			t.Errorf("%s: missing header configuration: %+v", r.Name, r.Config)
		}
		g, ok := r.Value("GFLOP/s")
		if !ok || !(g > 0) {
			t.Errorf("%s: GFLOP/s %v (present %v), want > 0", r.Name, g, ok)
		}
		switch name := r.Name.String(); {
		case strings.HasPrefix(name, "Peak/unit="):
			peaks++
		case name == "Conv/op=conv/impl=depthwise-direct/shape=mb1g32ic32ih112oc32oh112kh3ph1":
			convs++
			if r.Iters != 1 {
				t.Errorf("--benchtime 1x ran %d iterations", r.Iters)
			}
		default:
			t.Errorf("unexpected benchmark %q", name)
		}
	}
	if peaks != 2 || convs != 1 {
		t.Errorf("%d peak and %d conv results, want 2 (before, after) and 1:\n%s", peaks, convs, data)
	}
	if units.GetBetter("GFLOP/s") != 1 {
		t.Error("GFLOP/s not declared higher-is-better")
	}
	// The summary goes to stdout when the data goes to the file; progress to stderr.
	for _, want := range []string{"depthwise-direct", "mb1g32ic32ih112oc32oh112kh3ph1", "row=", "peak (", "copy bandwidth"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// stderr is no terminal here: no progress lines.
	if strings.Contains(out, "BenchmarkConv") || errOut != "" {
		t.Errorf("stdout has raw lines or stderr is not empty:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	// Without -o, stdout is nothing but benchmark data.
	code, out, errOut = runSplit(t, tinyBench...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if res, _ := parseBench(t, out, "stdout"); len(res) != 3 || strings.Contains(out, "min–max") || !strings.Contains(errOut, "min–max") {
		t.Errorf("stdout: %d results, summary misplaced:\nstdout:\n%s\nstderr:\n%s", len(res), out, errOut)
	}
}

func TestBenchBadInputExitsTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--impl", "^nosuch$"}, "--impl"},
		{[]string{"--impl", "("}, "--impl"},
		{[]string{"--shape", "nosuchshape"}, "--shape"},
		{[]string{"--op", "pool"}, "--op"},
		{[]string{"--op", "deform", "--impl", "^fft$"}, "supports"},
		{[]string{"--count", "0"}, "--count"},
		{[]string{"--workers", "0"}, "--workers"},
		{[]string{"--benchtime", "fast"}, "--benchtime"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"extra"}, "extra"},
	} {
		code, out, errOut := runSplit(t, append([]string{"bench"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "Benchmark") {
			t.Errorf("bench %q: exit %d, stderr %q, want 2 naming %q and no benchmark run", tc.args, code, errOut, tc.want)
		}
	}
}

// benchFile writes a benchmark file with one line per value (ns/op) of each
// benchmark and returns its path.
func benchFile(t *testing.T, name string, values map[string][]float64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: convverify/optimized\nkernel: avx512\n")
	for _, bench := range []string{"Peak/unit=avx512", "Conv/op=conv/impl=a/shape=s", "Conv/op=conv/impl=b/shape=s"} {
		for _, v := range values[bench] {
			fmt.Fprintf(&b, "Benchmark%s \t 100\t %g ns/op\t %g GFLOP/s\n", bench, v, 1e6/v)
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	base   = []float64{1000, 1010, 990, 1005, 995, 1002}
	slower = []float64{1200, 1210, 1190, 1205, 1195, 1202}
)

func TestCompareVerdictsAndExitStatus(t *testing.T) {
	old := benchFile(t, "old.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": base, "Conv/op=conv/impl=b/shape=s": base})
	regressed := benchFile(t, "new.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": slower, "Conv/op=conv/impl=b/shape=s": base})

	code, out, errOut := runSplit(t, "compare", old, regressed)
	if code != 1 || !strings.Contains(out, "regression") || !strings.Contains(out, "+19.98%") || !strings.Contains(out, "1 regression(s)") {
		t.Errorf("20%% slower: exit %d, want 1 and a regression row:\n%s%s", code, out, errOut)
	}
	// The same files in GFLOP/s: still a regression, now a drop.
	code, out, _ = runSplit(t, "compare", "--metric", "GFLOP/s", old, regressed)
	if code != 1 || !strings.Contains(out, "-16.6") || !strings.Contains(out, "higher is better") {
		t.Errorf("GFLOP/s: exit %d:\n%s", code, out)
	}
	// A 25 % threshold lets a 20 % change through.
	if code, out, _ = runSplit(t, "compare", "--threshold", "25%", old, regressed); code != 0 || strings.Contains(out, "regression") {
		t.Errorf("threshold 25%%: exit %d:\n%s", code, out)
	}
	// Swapped, it is an improvement: exit 0.
	if code, out, _ = runSplit(t, "compare", regressed, old); code != 0 || !strings.Contains(out, "improvement") {
		t.Errorf("swapped: exit %d:\n%s", code, out)
	}
	// Identical files: "~" everywhere, exit 0.
	code, out, _ = runSplit(t, "compare", old, old)
	if code != 0 || strings.Count(out, " ~") != 2 {
		t.Errorf("identical: exit %d, want two ~ rows:\n%s", code, out)
	}
}

// TestCompareTooFewSamples: files that record no intended count must hold
// enough samples for a verdict; 3 against 3 cannot reach α = 0.05, so compare
// fails saying so, and with --allow-missing shows the "too few samples" row.
func TestCompareTooFewSamples(t *testing.T) {
	old := benchFile(t, "old.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": base[:3]})
	new := benchFile(t, "new.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": slower[:3]})
	code, out, _ := runSplit(t, "compare", old, new)
	if code != 1 || !strings.Contains(out, "too few samples") || !strings.Contains(out, "records no intended count") || !strings.Contains(out, "needs at least 4") {
		t.Errorf("3 vs 3: exit %d, want 1 with too few samples and why:\n%s", code, out)
	}
	code, out, _ = runSplit(t, "compare", "--allow-missing", old, new)
	if code != 0 || !strings.Contains(out, "too few samples") || !strings.Contains(out, "need >= 4 samples") {
		t.Errorf("3 vs 3 --allow-missing: exit %d, want 0 with too few samples and benchmath's note:\n%s", code, out)
	}
}

func TestCompareBadInputExitsTwo(t *testing.T) {
	good := benchFile(t, "good.txt", map[string][]float64{"Conv/op=conv/impl=a/shape=s": base})
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("goos: linux\nBenchmarkA \t 10\t 5 ns/op\nBenchmarkA \t ten\t 5 ns/op\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{good, bad}, "bad.txt:3"},
		{[]string{good}, "OLD and NEW"},
		{[]string{"--threshold", "five", good, good}, "--threshold"},
		{[]string{"--metric", "widgets", good, good}, "widgets"},
		{[]string{"--alpha", "2", good, good}, "alpha"},
	} {
		code, _, errOut := runSplit(t, append([]string{"compare"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("compare %q: exit %d, stderr %q, want 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
	// A file that cannot be read is an I/O error (3), and so is anything
	// but a regular file: a FIFO would block, a device never end.
	for _, f := range []string{filepath.Join(filepath.Dir(bad), "missing.txt"), t.TempDir(), "/dev/zero"} {
		code, _, errOut := runSplit(t, "compare", good, f)
		if code != 3 || !strings.Contains(errOut, f) {
			t.Errorf("compare %s: exit %d, stderr %q, want 3 naming it", f, code, errOut)
		}
	}
}

// TestCommittedBaseline: the baselines in benchdata stay readable and compare
// cleanly with themselves.
func TestCommittedBaseline(t *testing.T) {
	files, _ := filepath.Glob("../../benchdata/baseline-*.txt")
	if len(files) == 0 {
		t.Skip("no committed baseline")
	}
	for _, f := range files {
		s, err := perf.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Names) < 2 {
			t.Errorf("%s: %d benchmarks", f, len(s.Names))
		}
		if code, out, errOut := runSplit(t, "compare", f, f); code != 0 {
			t.Errorf("compare %s with itself: exit %d\n%s%s", f, code, out, errOut)
		}
	}
}

// TestBenchFailingVariant: a variant whose Run fails stops the run with
// exit status 1 and its error, not a zero measurement.
func TestBenchFailingVariant(t *testing.T) {
	broken := optimized.Variant{Name: "broken", Run: func(*conv.Problem, conv.Inputs[float32], []float32, int) error {
		return errors.New("boom")
	}}
	restore, err := bench.SetBenchtime("1x")
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	var buf bytes.Buffer
	layers := bench.DefaultLayers()
	_, err = bench.Run(&buf, []bench.Pair{{Impl: bench.Variants([]optimized.Variant{broken})[0], Layer: &layers[0]}}, bench.Options{Count: 1, Workers: []int{1}})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "impl=broken") {
		t.Errorf("err = %v, want the variant's error naming the benchmark", err)
	}
}

// TestComparePeakNeverFails: a slower FMA peak is the machine; it gets a
// verdict and a note but exit status 0.
func TestComparePeakNeverFails(t *testing.T) {
	old := benchFile(t, "old.txt", map[string][]float64{"Peak/unit=avx512": base, "Conv/op=conv/impl=a/shape=s": base})
	new := benchFile(t, "new.txt", map[string][]float64{"Peak/unit=avx512": slower, "Conv/op=conv/impl=a/shape=s": base})
	code, out, _ := runSplit(t, "compare", old, new)
	if code != 0 || !strings.Contains(out, "machine slower") || strings.Contains(out, "regression") || !strings.Contains(out, "FMA peak itself moved +20.0%") {
		t.Errorf("slower peak: exit %d, want 0 with a machine-slower verdict and the note:\n%s", code, out)
	}
}

const oldBenchData = "old bench data, must survive whole\n"

// TestBenchOutputReplacedWhole: a successful bench -o replaces the old file
// whole, records the intended count, keeps the old file's mode and leaves no
// temporary.
func TestBenchOutputReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte(oldBenchData), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, tinyBench[:len(tinyBench)-4]...), "--count", "2", "--benchtime", "1x", "-o", path)
	if code, out, errOut := runSplit(t, args...); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# convverify bench, ") || strings.Contains(string(data), oldBenchData) ||
		!strings.Contains(string(data), "\n"+perf.CountPrefix+" 2 ") || !strings.HasSuffix(string(data), "\n") {
		t.Errorf("out.txt is not one whole new run with its count line:\n%s", data)
	}
	s, err := perf.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if g := perf.Completeness(s, s, "sec/op", 0.05); len(g) != 0 {
		t.Errorf("a whole run is incomplete: %v", g)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old file's 0600", st.Mode().Perm())
	}
	if h := hiddenEntries(t, dir); len(h) > 0 {
		t.Errorf("temporaries left behind: %v", h)
	}
}

// TestBenchFailureKeepsOldOutput: a run that fails midway (a variant that
// errors after another has been measured) exits 1 and leaves the old -o file
// byte-identical and no temporary. While the run is under way the data are
// in a hidden temporary and the target is still the old file — what a kill
// at that instant leaves.
func TestBenchFailureKeepsOldOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	os.WriteFile(path, []byte(oldBenchData), 0o644)
	var midRun, temporary string
	broken := optimized.Variant{Name: "broken-midrun", Ops: []conv.Op{conv.OpConv},
		Supports: func(*conv.Problem) error { return nil },
		Run: func(*conv.Problem, conv.Inputs[float32], []float32, int) error {
			if midRun == "" {
				b, _ := os.ReadFile(path)
				midRun = string(b)
				if h := hiddenEntries(t, dir); len(h) == 1 {
					tb, _ := os.ReadFile(filepath.Join(dir, h[0]))
					temporary = string(tb)
				}
			}
			return errors.New("boom")
		}}
	old := benchVariants
	benchVariants = func() []optimized.Variant { return append(old(), broken) }
	defer func() { benchVariants = old }()

	code, out, errOut := runSplit(t, "bench", "--impl", "^(depthwise-direct|broken-midrun)$", "--shape", "g32", "--count", "1", "--benchtime", "1x", "-o", path)
	if code != 1 || !strings.Contains(errOut, "boom") || !strings.Contains(errOut, path+" left unchanged") {
		t.Errorf("exit %d, want 1 with the variant's error and the file left unchanged:\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != oldBenchData {
		t.Errorf("out.txt changed to:\n%s", b)
	}
	if midRun != oldBenchData {
		t.Errorf("mid-run, out.txt held %q, want the old file", midRun)
	}
	if !strings.Contains(temporary, "impl=depthwise-direct") {
		t.Errorf("mid-run, no hidden temporary held the results so far:\n%s", temporary)
	}
	if h := hiddenEntries(t, dir); len(h) > 0 {
		t.Errorf("temporaries left behind: %v", h)
	}
}

// TestBenchRefusesNonRegularOutput: -o naming a folder or a device is
// refused before anything runs, and the thing is left as it was; -o in a
// missing folder is an I/O error that creates nothing.
func TestBenchRefusesNonRegularOutput(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "folder")
	os.Mkdir(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "keep"), []byte("x"), 0o644)
	targets := []string{folder}
	if st, err := os.Stat("/dev/full"); err == nil && st.Mode()&os.ModeDevice != 0 {
		targets = append(targets, "/dev/full")
	}
	for _, target := range targets {
		code, out, errOut := runSplit(t, append(tinyBench, "-o", target)...)
		if code != 2 || !strings.Contains(errOut, target) || !strings.Contains(errOut, "not a regular file") || strings.Contains(errOut, "bench [1/") {
			t.Errorf("-o %s: exit %d, want 2 naming it before any benchmark:\n%s%s", target, code, out, errOut)
		}
	}
	if b, err := os.ReadFile(filepath.Join(folder, "keep")); err != nil || string(b) != "x" {
		t.Errorf("the folder given as -o was changed: %v", err)
	}
	if h := hiddenEntries(t, folder); len(h) > 0 {
		t.Errorf("temporaries left in the folder: %v", h)
	}
	missing := filepath.Join(dir, "no", "such", "out.txt")
	code, _, errOut := runSplit(t, append(tinyBench, "-o", missing)...)
	if code != 3 || !strings.Contains(errOut, missing) || strings.Contains(errOut, "bench [1/") {
		t.Errorf("-o in a missing folder: exit %d, want 3 naming it before any benchmark:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Errorf("-o in a missing folder created folders")
	}
}

// TestBenchShapeFile: a shape file's problems are timed at --mb, named with
// their layer, and the network total weighs each by its *N.
func TestBenchShapeFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "net")
	os.WriteFile(file, []byte("# a net\nmb8ic4ih8oc4oh8kh3ph1n\"net:a*3\"\nmb8ic4ih8oc8oh8kh1n\"net:b\"\n"), 0o644)
	code, out, errOut := runSplit(t, "bench", file, "--mb", "1", "--impl", "^im2col-gemm$", "--count", "1", "--benchtime", "1x", "--workers", "1,2")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	res, _ := parseBench(t, out, "stdout")
	names := map[string]bool{}
	for _, r := range res {
		names[r.Name.String()] = true
	}
	for _, want := range []string{
		"Conv/op=conv/impl=im2col-gemm/shape=mb1ic4ih8iw8oc4oh8ow8kh3kw3/layer=net:a*3/workers=2",
		"Conv/op=conv/impl=im2col-gemm/shape=mb1ic4ih8iw8oc8oh8ow8kh1kw1/layer=net:b/workers=1",
	} {
		if !names[want] {
			t.Errorf("no %s in %v", want, names)
		}
	}
	for _, want := range []string{"network total", "scaling", "(FMA peak)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary lacks %q:\n%s", want, errOut)
		}
	}
	// Two layers, four instances, at each worker count.
	if !regexpMatch(`im2col-gemm\s+2\s+[0-9.]+\s+[0-9.]+\s+2\s+4\s+0`, errOut) {
		t.Errorf("network total not 2 layers / 4 instances at 2 workers:\n%s", errOut)
	}
	for _, format := range []string{"csv", "json"} {
		code, out, errOut := runSplit(t, "bench", file, "--impl", "^im2col-gemm$", "--count", "1", "--benchtime", "1x", "--format", format)
		if code != 0 || !strings.Contains(out, "net:a*3") || strings.Contains(out, "Benchmark\t") {
			t.Errorf("--format %s: exit %d:\n%s%s", format, code, out, errOut)
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func TestBenchBadArgumentsExitTwo(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing here\n"), 0o644)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("mb1ic4ih8oc4oh8kh3ph1\nmb1ic4ihX\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mb1ic4ihX"}, "mb1ic4ihX"},
		{[]string{empty}, "no problem"},
		{[]string{bad}, bad + ":2"},
		{[]string{"--workers", "1,0"}, "--workers"},
		{[]string{"--workers", "1,,2"}, "--workers"},
		{[]string{"--workers", "2,2"}, "twice"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--dir", "BWD_X"}, "--dir"},
		{[]string{"--dir", "BWD_D", "--mode", "plan"}, "--mode"},
		{[]string{"--dir", "BWD_W", "--impl", "best"}, "--impl"},
		{[]string{"--mb", "-1"}, "--mb"},
		{[]string{"mb1ic4ih8oc4oh8kh3ph1", "--impl", "^nosuch$"}, "--impl"},
	} {
		code, out, errOut := runSplit(t, append([]string{"bench"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "Benchmark") {
			t.Errorf("bench %q: exit %d, stderr %q, want 2 naming %q and no benchmark run", tc.args, code, errOut, tc.want)
		}
	}
	code, _, errOut := runSplit(t, "bench", filepath.Join(dir, "no", "file"))
	if code != 3 || !strings.Contains(errOut, "no/file") {
		t.Errorf("missing shape file: exit %d, %s", code, errOut)
	}
	// A problem over the memory budget is refused before anything runs, as
	// a resource error (3), whether so written or made so by --mb.
	for _, args := range [][]string{{"mb4000ic256ih56oc256oh56kh3ph1"}, {"--mb", "100000"}} {
		code, out, errOut := runSplit(t, append([]string{"bench"}, args...)...)
		if code != 3 || !strings.Contains(errOut, "budget") || strings.Contains(out, "Benchmark") {
			t.Errorf("bench %q: exit %d, stderr %q, want 3 naming the budget before any run", args, code, errOut)
		}
	}
}

// scriptWorker writes a shell worker: the handshake line hello, then for
// request n (counting from 1) the reply body prints, with $n set.
func scriptWorker(t *testing.T, hello, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "worker.sh")
	script := "#!/bin/sh\necho '" + hello + "'\nn=0\nwhile read line; do\n  n=$((n+1))\n" + body + "\ndone\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return "/bin/sh '" + path + "'"
}

const scriptHello = `{"protocol":"convverify-worker","version":1,"name":"scripted 1","ops":["conv"],"caps":["time"]}`

// TestBenchPeerGoWorker: bench --peer with the Go worker times it beside
// ours, round by round, under impl=peer:goworker with the worker's own
// reps (--benchtime 2x), in a file benchfmt, perf.Read and compare read; a
// peer runs whatever --impl selects among ours.
func TestBenchPeerGoWorker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peer.txt")
	code, out, errOut := runSplit(t, "bench", "mb1ic4ih8oc4oh8kh3ph1", "mb1ic4ih8oc8oh8kh1", "--peer", goWorker(t), "--impl", "^im2col-gemm$", "--count", "2", "--benchtime", "2x", "-o", path)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	data, _ := os.ReadFile(path)
	res, _ := parseBench(t, string(data), path)
	var order []string
	for _, r := range res {
		name := r.Name.String()
		if !strings.HasPrefix(name, "Conv/") {
			continue
		}
		order = append(order, name)
		if strings.Contains(name, "impl=peer:goworker") && r.Iters != 2 {
			t.Errorf("%s: %d runs, want the 2 of --benchtime 2x", name, r.Iters)
		}
	}
	const a, b = "shape=mb1ic4ih8iw8oc4oh8ow8kh3kw3", "shape=mb1ic4ih8iw8oc8oh8ow8kh1kw1"
	round := []string{"Conv/op=conv/impl=im2col-gemm/" + a, "Conv/op=conv/impl=peer:goworker/" + a, "Conv/op=conv/impl=im2col-gemm/" + b, "Conv/op=conv/impl=peer:goworker/" + b}
	if got, want := strings.Join(order, "\n"), strings.Join(append(round, round...), "\n"); got != want {
		t.Errorf("order:\n%s\nwant two rounds of:\n%s", got, strings.Join(round, "\n"))
	}
	s, err := perf.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Values[round[1]]["sec/op"]; len(v) != 2 || !(v[0] > 0) {
		t.Errorf("perf.Read: %s: %v", round[1], v)
	}
	if !strings.Contains(s.Meta["peers"], "peer:goworker = goworker (convverify reference)") {
		t.Errorf("# peers: %q", s.Meta["peers"])
	}
	if code, cout, cerr := runSplit(t, "compare", path, path); code != 0 || !strings.Contains(cout, "impl=peer:goworker") {
		t.Errorf("compare with itself: exit %d\n%s%s", code, cout, cerr)
	}
	for _, want := range []string{"ours against peers", "peer:goworker", "im2col-gemm"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchPeerDiesMidRun: a peer that dies on its second request stops
// the run with exit status 1, its cause and last words, and -o unchanged.
func TestBenchPeerDiesMidRun(t *testing.T) {
	peer := scriptWorker(t, scriptHello, `  if [ $n = 2 ]; then echo "segfault (simulated)" >&2; exit 139; fi
  echo "{\"id\":$n,\"ok\":true,\"ns\":[1000]}"`)
	path := filepath.Join(t.TempDir(), "out.txt")
	os.WriteFile(path, []byte(oldBenchData), 0o644)
	code, out, errOut := runSplit(t, "bench", "mb1ic4ih8oc4oh8kh3ph1", "--peer", peer, "--impl", "^im2col-gemm$", "--count", "3", "--benchtime", "1x", "-o", path)
	for _, want := range []string{"impl=peer:scripted", "peer worker", "status 139", "segfault (simulated)", path + " left unchanged"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, want 1 naming %q:\n%s%s", code, want, out, errOut)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != oldBenchData {
		t.Errorf("-o changed to:\n%s", b)
	}
	// A worker that cannot time is refused before anything runs.
	noTime := scriptWorker(t, strings.Replace(scriptHello, `,"caps":["time"]`, "", 1), "exit 1")
	code, out, errOut = runSplit(t, "bench", "mb1ic4ih8oc4oh8kh3ph1", "--peer", noTime, "--count", "1", "--benchtime", "1x")
	if code != 1 || !strings.Contains(errOut, `"time" capability`) || strings.Contains(out, "BenchmarkConv") {
		t.Errorf("no time capability: exit %d:\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runSplit(t, "bench", "--peer", " "); code != 2 || !strings.Contains(errOut, "peer") {
		t.Errorf("--peer ' ': exit %d: %s", code, errOut)
	}
}

// TestBenchPeerSkipsUnsupported: a layer the peer refuses when asked, or
// whose op its handshake lacks, is skipped for the peer with a note; ours
// still run it and the exit status is 0.
func TestBenchPeerSkipsUnsupported(t *testing.T) {
	peer := scriptWorker(t, scriptHello, `  echo "{\"id\":$n,\"error\":\"grouped convolution: not in this library\"}"`)
	code, out, errOut := runSplit(t, "bench", "g2mb1ic4ih8oc4oh8kh3ph1", "--peer", peer, "--impl", "^im2col-gemm$", "--count", "2", "--benchtime", "1x")
	if code != 0 || strings.Contains(out, "impl=peer:") || !strings.Contains(out, "impl=im2col-gemm") ||
		!strings.Contains(errOut, "skipped: grouped convolution: not in this library") {
		t.Errorf("refused layer: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = runSplit(t, "bench", "--op", "deconv", "mb1ic4ih6oc4oh11kh3sh2ph1", "--peer", peer, "--count", "1", "--benchtime", "1x")
	if code != 0 || strings.Contains(out, "impl=peer:") || !strings.Contains(errOut, "handshake lists only conv") {
		t.Errorf("op not in the handshake: exit %d:\n%s%s", code, out, errOut)
	}
}

// TestBenchPeerPyTorch: the PyTorch worker times every op of the default
// layers beside ours (skipped where Debian's python3-torch is missing).
func TestBenchPeerPyTorch(t *testing.T) {
	peer := pytorchWorker(t)
	path := filepath.Join(t.TempDir(), "torch.txt")
	code, out, errOut := runSplit(t, "bench", "--peer", peer, "--count", "1", "--benchtime", "1x", "-o", path)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	s, err := perf.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for _, n := range s.Names {
		if strings.Contains(n, "/impl=peer:pytorch/") {
			ops[strings.Split(strings.TrimPrefix(n, "Conv/op="), "/")[0]] = true
		}
	}
	if len(ops) != 4 || strings.Contains(out, "notes:") {
		t.Errorf("pytorch timed ops %v, want conv, deconv, deform and dynamic, and no note:\n%s", ops, out)
	}
}

// TestBenchInterruptKillsPeer: SIGINT while a peer hangs in a timing
// request ends bench with 130 at once, the peer killed (no worker
// outlives convverify) and -o unchanged.
func TestBenchInterruptKillsPeer(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	peer := scriptWorker(t, scriptHello, `  echo $$ > '`+pidFile+`.tmp'; mv '`+pidFile+`.tmp' '`+pidFile+`'; sleep 600`)
	os.WriteFile(filepath.Join(dir, "out.txt"), []byte(oldBenchData), 0o644)
	cmd, out := startCLI(t, dir, "bench", "mb1ic4ih8oc4oh8kh3ph1", "--peer", peer, "--impl", "^im2col-gemm$", "--count", "1", "--benchtime", "1x", "-o", "out.txt")
	var pid int
	for deadline := time.Now().Add(time.Minute); pid == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the peer never got its request:\n%s", out)
		}
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("bench did not exit on SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130:\n%s", code, out)
	}
	// A zombie (its parent killed too, not yet reaped) counts as dead.
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(st), ") Z ") {
		if g, err := syscall.Getpgid(pid); err == nil && g > 1 {
			syscall.Kill(-g, syscall.SIGKILL) // the test's own leftover, with its sleep
		}
		t.Errorf("the peer (pid %d) outlived bench", pid)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.txt")); string(b) != oldBenchData {
		t.Errorf("out.txt changed to:\n%s", b)
	}
}

// TestBenchModeBoth: --mode both adds …/mode=plan beside each one-shot
// benchmark, whose name stays the baselines'; a bad --mode is a usage error.
func TestBenchModeBoth(t *testing.T) {
	code, out, errOut := runSplit(t, append(tinyBench, "--mode", "both")...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	res, _ := parseBench(t, out, "stdout")
	names := map[string]bool{}
	for _, r := range res {
		names[r.Name.String()] = true
	}
	base := "Conv/op=conv/impl=depthwise-direct/shape=mb1g32ic32ih112oc32oh112kh3ph1"
	for _, want := range []string{base, base + "/mode=plan"} {
		if !names[want] {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if !strings.Contains(errOut, "depthwise-direct[plan]") {
		t.Errorf("summary does not name the plan:\n%s", errOut)
	}
	if code, _, errOut := runSplit(t, append(tinyBench, "--mode", "twice")...); code != 2 || !strings.Contains(errOut, "--mode") {
		t.Errorf("--mode twice: exit %d, want 2 naming --mode:\n%s", code, errOut)
	}
}

// TestBenchImplBest: --impl best times, per layer, the variant
// optimized.Best picks (impl=best), and the summary gives the network
// total with the best of ours per layer and names the variant of each.
func TestBenchImplBest(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "net")
	os.WriteFile(file, []byte("mb8ic4ih8oc4oh8kh3ph1n\"net:a*3\"\nmb8g4ic4ih8oc4oh8kh3ph1n\"net:dw\"\n"), 0o644)
	code, out, errOut := runSplit(t, "bench", file, "--mb", "1", "--impl", "best", "--count", "1", "--benchtime", "1x", "--workers", "1,2")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	res, _ := parseBench(t, out, "stdout")
	names := map[string]bool{}
	for _, r := range res {
		if n := r.Name.String(); strings.HasPrefix(n, "Conv/") {
			names[n] = true
		}
	}
	for _, want := range []string{
		"Conv/op=conv/impl=best/shape=mb1ic4ih8iw8oc4oh8ow8kh3kw3/layer=net:a*3/workers=2",
		"Conv/op=conv/impl=best/shape=g4mb1ic4ih8iw8oc4oh8ow8kh3kw3/layer=net:dw/workers=1",
	} {
		if !names[want] {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if len(names) != 4 {
		t.Errorf("%d benchmarks, want 4 (2 layers × 2 worker counts): %v", len(names), names)
	}
	for _, want := range []string{"network total", "best of ours per layer", "best→direct-blocked", "best→depthwise-direct"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary lacks %q:\n%s", want, errOut)
		}
	}
	// Without --impl, the automatic choice is not timed: the default
	// selection is what it always was.
	code, out, errOut = runSplit(t, "bench", file, "--mb", "1", "--shape", "net:dw", "--impl", "^depthwise", "--count", "1", "--benchtime", "1x")
	if code != 0 || strings.Contains(out, "impl=best") || !strings.Contains(errOut, "best variant per layer") {
		t.Errorf("--impl ^depthwise: exit %d, impl=best timed or no best-per-layer table:\n%s%s", code, out, errOut)
	}
}

// TestBenchBackward: bench --dir BWD_D times our gradient variants and a
// peer with the grad capability on the backward case, in the same rounds,
// under names that carry /dir=BWD_D (the forward names stay as they are);
// a peer without the capability is skipped with a note.
func TestBenchBackward(t *testing.T) {
	gw := goWorker(t)
	noGrad := `printf '%s\n' '{"protocol":"convverify-worker","version":1,"name":"fwdonly","ops":["conv"],"caps":["time"]}'; cat >/dev/null`
	code, out, errOut := runSplit(t, "bench", "--dir", "BWD_D", "--count", "1", "--benchtime", "2x", "--peer", gw, "--peer", noGrad, "mb1ic4ih6oc4oh6kh3ph1")
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	re := regexp.MustCompile(`(?m)^BenchmarkConv/op=conv/impl=([^/]+)/shape=mb1ic4ih6iw6oc4oh6ow6kh3kw3/dir=BWD_D\s+\d+\s+[0-9.]+ ns/op.*GFLOP/s`)
	impls := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		impls[m[1]] = true
	}
	if !impls["peer:goworker"] {
		t.Errorf("no peer:goworker …/dir=BWD_D benchmark:\n%s", out)
	}
	if ours := len(impls) - 1; ours < 1 && len(benchGradVariants()) > 0 {
		t.Errorf("none of our gradient variants timed:\n%s", out)
	}
	if strings.Contains(out, "impl=peer:fwdonly") || !strings.Contains(errOut, `no "grad" capability`) {
		t.Errorf("the peer without grad was timed, or not noted:\n%s\n%s", out, errOut)
	}
	if regexp.MustCompile(`(?m)^BenchmarkConv/[^ ]*shape=mb1ic4ih6iw6oc4oh6ow6kh3kw3(\s|/mode)`).MatchString(out) {
		t.Errorf("a backward benchmark without /dir=:\n%s", out)
	}
}

// TestBenchPeerPyTorchBackward: the PyTorch worker times the gradients
// (BWD_WB: dw and db by autograd) of every op of the default layers, named
// …/dir=BWD_WB (skipped where Debian's python3-torch is missing).
func TestBenchPeerPyTorchBackward(t *testing.T) {
	peer := pytorchWorker(t)
	path := filepath.Join(t.TempDir(), "torch.txt")
	code, out, errOut := runSplit(t, "bench", "--dir", "BWD_WB", "--peer", peer, "--count", "1", "--benchtime", "1x", "-o", path)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	s, err := perf.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for _, n := range s.Names {
		if strings.Contains(n, "/impl=peer:pytorch/") && strings.HasSuffix(n, "/dir=BWD_WB") {
			ops[strings.Split(strings.TrimPrefix(n, "Conv/op="), "/")[0]] = true
		}
	}
	if len(ops) != 4 || strings.Contains(out, "notes:") {
		t.Errorf("pytorch timed the gradients of ops %v, want conv, deconv, deform and dynamic, and no note:\n%s", ops, out)
	}
}
