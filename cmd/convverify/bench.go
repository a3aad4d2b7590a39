package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/optimized/gemm"
	"github.com/convverify/convverify/perf"
)

// peakIters is the FMA probe's iterations per benchmark op: 10⁴·768 flops,
// about 0.1 ms at AVX-512 rates, so the timer's own cost is negligible.
const peakIters = 10000

// benchPair is one variant on one benchmark layer.
type benchPair struct {
	v  optimized.Variant
	bp optimized.BenchProblem
}

func (p benchPair) name() string { return "BenchmarkConv/" + optimized.BenchName(p.v, p.bp) }

func cmdBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	count := fs.Int("count", 6, "measurements per benchmark (rounds, interleaved across benchmarks); 6 is the fewest that gives a finite 95 % median interval")
	benchtime := fs.String("benchtime", "200ms", "time (or Nx iterations) per measurement, as go test -benchtime")
	workers := fs.Int("workers", 1, "goroutines per convolution")
	implRe := fs.String("impl", "", "regular expression selecting variants by name")
	shapeRe := fs.String("shape", "", "regular expression selecting benchmark layers by descriptor")
	opName := fs.String("op", "", "only layers of this op: conv, deconv, deform or dynamic")
	outPath := fs.String("o", "", "write the benchmark data to this file instead of stdout")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench: unexpected argument %q", pos[0])
	}
	if *count < 1 {
		return usagef("bench: --count %d: want ≥ 1", *count)
	}
	if *workers < 1 {
		return usagef("bench: --workers %d: want ≥ 1", *workers)
	}
	pairs, err := benchSelection(*implRe, *shapeRe, *opName)
	if err != nil {
		return err
	}
	restore, err := setBenchtime(*benchtime)
	if err != nil {
		return err
	}
	defer restore()

	// With -o the data goes to a hidden temporary beside FILE that becomes
	// FILE only once the whole run has succeeded: an interrupted or failed
	// run used to leave FILE shortened to the lines written so far, which
	// look valid and would pass for a complete run. Without -o, stdout is
	// streamed as each result comes; a consumer that needs it whole must
	// check the count line (compare does).
	data, summary, dataName := stdout, stderr, "stdout"
	var f *atomicfile.File
	if *outPath != "" {
		if err := atomicfile.CheckTarget(*outPath); err != nil {
			return usagef("bench: -o: %v", err)
		}
		if f, err = atomicfile.Create(*outPath); err != nil {
			return ioErrorf("bench: -o %s: %w", *outPath, err)
		}
		defer f.Abort() // does nothing after Commit
		data, summary, dataName = f, stdout, *outPath
	}
	w := bufio.NewWriter(data)
	writeBenchHeader(w, *workers, *benchtime, *count)
	res, err := runBenchmarks(w, pairs, *count, *workers)
	fmt.Fprintf(w, "# load average at end: %s\n", loadAverage())
	// bufio.Writer keeps its first write error, so a write that failed
	// mid-run (and stopped it) shows here too: that is an I/O error, not a
	// failed benchmark.
	if ferr := w.Flush(); ferr != nil {
		return ioErrorf("bench: writing %s: %w%s", dataName, ferr, unchanged(*outPath))
	}
	if err != nil {
		// main prints nothing for errFailed: say what failed here.
		fmt.Fprintf(stderr, "convverify bench: %v%s\n", err, unchanged(*outPath))
		return errFailed
	}
	if f != nil {
		if err := f.Commit(); err != nil {
			return ioErrorf("bench: -o %s: %w", *outPath, err)
		}
	}
	writeBenchSummary(summary, res)
	return nil
}

// unchanged is the note that a failed run left -o's file as it was.
func unchanged(outPath string) string {
	if outPath == "" {
		return ""
	}
	return "; " + outPath + " left unchanged"
}

// benchVariants is the registry bench selects from; tests add a variant that
// fails mid-run.
var benchVariants = optimized.All

// benchSelection returns the variant × layer pairs the filters select, in
// layer order. A filter that matches nothing is bad input.
func benchSelection(implRe, shapeRe, opName string) ([]benchPair, error) {
	impl, err := regexp.Compile(implRe)
	if err != nil {
		return nil, usagef("bench: --impl: %v", err)
	}
	shape, err := regexp.Compile(shapeRe)
	if err != nil {
		return nil, usagef("bench: --shape: %v", err)
	}
	var ops []conv.Op
	if opName != "" {
		op, err := conv.ParseOp(opName)
		if err != nil {
			return nil, usagef("bench: --op: %v", err)
		}
		ops = append(ops, op)
	}
	var variants []optimized.Variant
	var names []string
	for _, v := range benchVariants() {
		names = append(names, v.Name)
		if impl.MatchString(v.Name) {
			variants = append(variants, v)
		}
	}
	if len(variants) == 0 {
		return nil, usagef("bench: --impl %q matches no variant (have %s)", implRe, strings.Join(names, ", "))
	}
	var layers []optimized.BenchProblem
	for _, bp := range optimized.BenchProblems() {
		if shape.MatchString(bp.Shape) && (ops == nil || slices.Contains(ops, bp.Problem.Op)) {
			layers = append(layers, bp)
		}
	}
	if len(layers) == 0 {
		return nil, usagef("bench: --shape %q --op %q match no benchmark layer (have %s)", shapeRe, opName, strings.Join(optimized.Shapes(), ", "))
	}
	var pairs []benchPair
	for _, bp := range layers {
		for _, v := range variants {
			if v.Supports(&bp.Problem) == nil {
				pairs = append(pairs, benchPair{v, bp})
			}
		}
	}
	if len(pairs) == 0 {
		return nil, usagef("bench: none of the %d selected variants supports any of the %d selected layers", len(variants), len(layers))
	}
	return pairs, nil
}

// setBenchtime sets testing's -test.benchtime, which testing.Benchmark
// reads, and returns how to put the old value back.
func setBenchtime(d string) (func(), error) {
	testing.Init()
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return nil, fmt.Errorf("bench: testing registered no -test.benchtime flag")
	}
	old := f.Value.String()
	if err := f.Value.Set(d); err != nil {
		return nil, usagef("bench: --benchtime %q: %v", d, err)
	}
	return func() { f.Value.Set(old) }, nil
}

// writeBenchHeader writes the configuration lines ("key: value", which
// benchfmt attaches to every following result) and the direction of the
// custom units, so benchstat knows more GFLOP/s is better. What changes from
// run to run without changing what is measured (date, load, benchtime) goes
// in comment lines: benchstat splits its tables on every differing
// configuration value, so those would keep two runs from being compared.
// The count, too, is a comment, in the form perf.CountPrefix defines, so
// compare can tell a run cut short (fewer samples than promised) from one
// that asked for few, while files of different counts still compare.
func writeBenchHeader(w io.Writer, workers int, benchtime string, count int) {
	fmt.Fprintf(w, "# convverify bench, %s; load average %s; benchtime %s, count %d\n",
		time.Now().UTC().Format(time.RFC3339), loadAverage(), benchtime, count)
	fmt.Fprintf(w, "%s %d (samples per benchmark, twice that for the FMA probe: before and after; compare refuses fewer)\n", perf.CountPrefix, count)
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: convverify/optimized\ncpu: %s\n", runtime.GOOS, runtime.GOARCH, cpuModel())
	fmt.Fprintf(w, "kernel: %s\nkernels: %s\npeak-unit: %s\n", optimized.Kernel(), optimized.KernelInfo(), gemm.PeakUnit())
	fmt.Fprintf(w, "workers: %d\ngomaxprocs: %d\n", workers, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "Unit GFLOP/s better=higher\nUnit GFLOP/s-cpu better=higher\n")
}

// benchResults are the GFLOP/s of every run, for the summary.
type benchResults struct {
	pairs       []benchPair
	gflops      [][]float64 // per pair, one per round
	peakBefore  []float64
	peakAfter   []float64
	peakUnit    string
	kernelsInfo string
}

// runBenchmarks measures the peak count times, then count rounds of every
// pair (interleaved, so drift in clock or load spreads over all pairs rather
// than biasing one), then the peak again; each result line goes to w at once.
func runBenchmarks(w *bufio.Writer, pairs []benchPair, count, workers int) (*benchResults, error) {
	res := &benchResults{pairs: pairs, gflops: make([][]float64, len(pairs)), peakUnit: gemm.PeakUnit(), kernelsInfo: optimized.KernelInfo()}
	peakName := "BenchmarkPeak/unit=" + res.peakUnit
	total := (len(pairs) + 2) * count
	done := 0
	run := func(name string, f func(*testing.B)) (float64, error) {
		done++
		fmt.Fprintf(stderr, "bench [%d/%d] %s\n", done, total, strings.TrimPrefix(name, "Benchmark"))
		r := testing.Benchmark(f)
		if r.N == 0 {
			return 0, fmt.Errorf("%s: the benchmark body failed", name)
		}
		fmt.Fprintf(w, "%s\t%s\n", name, r.String())
		return r.Extra["GFLOP/s"], w.Flush()
	}
	peak := func(into *[]float64) error {
		for range count {
			g, err := run(peakName, peakBench)
			if err != nil {
				return err
			}
			*into = append(*into, g)
		}
		return nil
	}
	if err := peak(&res.peakBefore); err != nil {
		return nil, err
	}
	for range count {
		for i, p := range pairs {
			g, err := run(p.name(), optimized.BenchFunc(p.v, p.bp, workers))
			if err != nil {
				return nil, fmt.Errorf("%w: %w", err, runError(p, workers))
			}
			res.gflops[i] = append(res.gflops[i], g)
		}
	}
	if err := peak(&res.peakAfter); err != nil {
		return nil, err
	}
	return res, nil
}

// runError runs p once outside the benchmark, whose failure message
// testing.Benchmark discards, to say why it failed.
func runError(p benchPair, workers int) error {
	in := optimized.BenchInputs(&p.bp.Problem, 1)
	out := make([]float32, conv.Elems(p.bp.Problem.DstShape()))
	if err := p.v.Run(&p.bp.Problem, in, out, workers); err != nil {
		return err
	}
	return errors.New("no error when run outside the benchmark")
}

// peakBench times gemm.PeakProbe: independent FMAs, no memory traffic, the
// ceiling a core reaches on this vector unit (GFLOP/s over wall time).
func peakBench(b *testing.B) {
	for b.Loop() {
		gemm.PeakProbe(peakIters)
	}
	b.ReportMetric(float64(peakIters)*gemm.PeakFlopsPerIter*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// writeBenchSummary prints, per pair, the median GFLOP/s, its range, and its
// share of the median peak (before and after pooled: one core's ceiling, so
// with several workers the share can exceed 100 %).
func writeBenchSummary(w io.Writer, r *benchResults) {
	peak := median(append(append([]float64(nil), r.peakBefore...), r.peakAfter...))
	fmt.Fprintf(w, "\npeak (%s FMA probe, one core): median %.1f GFLOP/s; before %.1f, after %.1f\n",
		r.peakUnit, peak, median(r.peakBefore), median(r.peakAfter))
	fmt.Fprintf(w, "kernels: %s\n\n", r.kernelsInfo)
	fmt.Fprintf(w, "%-8s %-18s %-31s %9s %17s %7s  %s\n", "op", "impl", "shape", "GFLOP/s", "min–max", "peak", "kernel")
	for i, p := range r.pairs {
		g := r.gflops[i]
		share := "?"
		if peak > 0 {
			share = fmt.Sprintf("%.1f%%", 100*median(g)/peak)
		}
		fmt.Fprintf(w, "%-8v %-18s %-31s %9.2f %17s %7s  %s\n", p.bp.Problem.Op, p.v.Name, p.bp.Shape,
			median(g), fmt.Sprintf("%.2f–%.2f", slices.Min(g), slices.Max(g)), share, kernelOf(p.v.Name))
	}
}

// kernelOf names the inner kernel a variant's time goes to; the registry
// does not record it, so this follows the package doc of optimized.
func kernelOf(impl string) string {
	switch impl {
	case "im2col-gemm", "pointwise-gemm", "winograd-f2x3", "deconv-col2im", "deconv-zeroinsert",
		"deform-im2col", "dynamic-mix", "dynamic-grouped":
		return "gemm=" + optimized.Kernel()
	case "direct-tiled", "depthwise-direct":
		for _, f := range strings.Fields(optimized.KernelInfo()) {
			if strings.HasPrefix(f, "row=") {
				return f
			}
		}
	case "fft":
		return "go complex128 FFT"
	case "im2col-blas32":
		return "gonum blas32"
	}
	return optimized.KernelInfo()
}

// median is the sample median (mean of the middle two for even n).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// cpuModel is /proc/cpuinfo's model name, as go test prints it.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

// loadAverage is the 1, 5 and 15 minute load averages (the machine is
// shared: a loaded run reads low).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
