package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// The probes' bodies; tests of the bookkeeping swap in cheap ones.
var (
	peakBody, copyBody = peakBench, copyBench
	capacityBody       = capacity
)

// CapacityUnit is the metric every measurement carries besides its own:
// the FMA probe on as many goroutines as its workers, the higher of one
// taken just before and one just after it (capacity): one probe of 3.6 ms
// alone read as low as 53% at one goroutine beside measurements that ran
// at full speed (a GC cycle or the OS took the core for a moment), while
// the periods it is for last minutes and lower both. A sample whose
// capacity fell under CapacityHeld of the run's peak probe at that worker
// count is Short.
const CapacityUnit = "probe-GFLOP/s"

// CapacityHeld is the share of the peak probe a measurement's capacity
// must keep for its sample to count as taken on the whole machine. Beside
// the development VM's 2-worker measurements the capacity read 96–100% of
// the peak probe in its good periods and about 50% in its bad ones.
const CapacityHeld = 0.85

// Pair is one implementation on one layer.
type Pair struct {
	Impl  Impl
	Layer *Layer
}

// Select returns the pairs of the implementations whose names implRe
// matches and the layers whose shapes shapeRe matches and whose op is in
// ops (any op if ops is empty), in layer order, skipping pairs the
// implementation does not support. A filter that selects nothing is an
// error saying what there is.
func Select(impls []Impl, layers []Layer, implRe, shapeRe string, ops []conv.Op) ([]Pair, error) {
	impl, err := regexp.Compile(implRe)
	if err != nil {
		return nil, fmt.Errorf("--impl: %v", err)
	}
	shape, err := regexp.Compile(shapeRe)
	if err != nil {
		return nil, fmt.Errorf("--shape: %v", err)
	}
	var chosen []Impl
	var names []string
	for _, im := range impls {
		names = append(names, im.Name())
		if impl.MatchString(im.Name()) {
			chosen = append(chosen, im)
		}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("--impl %q matches no implementation (have %s)", implRe, strings.Join(names, ", "))
	}
	var sel []*Layer
	var shapes []string
	for i := range layers {
		l := &layers[i]
		shapes = append(shapes, l.Shape)
		if (shape.MatchString(l.Shape) || (l.Name != "" && shape.MatchString(l.Name))) && (len(ops) == 0 || slices.Contains(ops, l.Problem.Op)) {
			sel = append(sel, l)
		}
	}
	if len(sel) == 0 {
		opNames := make([]string, len(ops))
		for i, o := range ops {
			opNames[i] = o.String()
		}
		return nil, fmt.Errorf("--shape %q --op %q match no layer (have %s)", shapeRe, strings.Join(opNames, ","), strings.Join(shapes, ", "))
	}
	var pairs []Pair
	for _, l := range sel {
		for _, im := range chosen {
			if im.Supports(&l.Problem) == nil {
				pairs = append(pairs, Pair{im, l})
			}
		}
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("none of the %d selected implementations supports any of the %d selected layers", len(chosen), len(sel))
	}
	return pairs, nil
}

// SetBenchtime sets testing's -test.benchtime, which testing.Benchmark
// reads ("200ms", or "10x" iterations), and returns how to put the old
// value back.
func SetBenchtime(d string) (restore func(), err error) {
	testing.Init()
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return nil, fmt.Errorf("testing registered no -test.benchtime flag")
	}
	old := f.Value.String()
	if err := f.Value.Set(d); err != nil {
		return nil, fmt.Errorf("--benchtime %q: %v", d, err)
	}
	return func() { f.Value.Set(old) }, nil
}

// Options configure Run.
type Options struct {
	Count   int   // rounds: samples per benchmark (the probes take twice that: before and after)
	Workers []int // worker counts, each ≥ 1; more than one adds /workers=N to every name
	// Progress, if not nil, is told before each measurement how many of
	// total are done, what runs next, and the time the rest should take.
	Progress func(done, total int, what string, eta time.Duration)
}

// Series is one benchmark's samples.
type Series struct {
	Name    string // without the Benchmark prefix
	Pair    Pair   // zero for a probe
	Workers int
	Unit    string // the headline metric: GFLOP/s, or GB/s for the copy probe
	Samples []Measurement
	// Short marks the samples taken while the machine lent fewer cores
	// (CapacityUnit under CapacityHeld of the peak probe); nil for the
	// probes. Values leaves them out where at least half the samples held.
	Short []bool
}

// Probes are the machine's ceilings for one worker count.
type Probes struct {
	Peak, Copy *Series // samples before the rounds, then after
}

// Results are everything a run measured.
type Results struct {
	PeakUnit string
	Workers  []int
	Series   []*Series       // pairs × workers, in the order of the first round
	Probes   map[int]*Probes // by worker count
	// Notes are what the summary must say besides the numbers: the pairs
	// skipped because Measure found them Unsupported, and whatever the
	// caller adds (peers' layers refused by their handshake).
	Notes []string
	// Steal is the share of the machine's CPU time the hypervisor gave to
	// other guests while Run measured (/proc/stat's steal over all time);
	// NaN where unknown. Stolen time stretches every timing at random,
	// ours and the peers' alike.
	Steal float64
}

// Run measures opt.Workers × the probes, then opt.Count rounds of every
// pair at every worker count, then the probes again. Each benchmark
// result is written to out in the Go benchmark format as it comes (out is
// flushed after each, if it can be) unless out is nil. The copy probe is
// written as comment lines only: a benchmark the committed baselines lack
// would make compare call the evidence incomplete.
func Run(out io.Writer, pairs []Pair, opt Options) (*Results, error) {
	if opt.Count < 1 {
		return nil, fmt.Errorf("count %d: want ≥ 1", opt.Count)
	}
	if err := CheckWorkers(opt.Workers); err != nil {
		return nil, err
	}
	res := &Results{PeakUnit: gemm.PeakUnit(), Workers: opt.Workers, Probes: map[int]*Probes{}, Steal: math.NaN()}
	steal0, total0, ok0 := cpuTicks()
	suffix := func(w int) string {
		if len(opt.Workers) > 1 {
			return fmt.Sprintf("/workers=%d", w)
		}
		return ""
	}
	for _, w := range opt.Workers {
		res.Probes[w] = &Probes{
			Peak: &Series{Name: "Peak/unit=" + res.PeakUnit + suffix(w), Workers: w, Unit: "GFLOP/s"},
			Copy: &Series{Name: fmt.Sprintf("Copy/bytes=%dMiB", copyBytes>>20) + suffix(w), Workers: w, Unit: "GB/s"},
		}
		for _, p := range pairs {
			mode := ""
			if m := modeOf(p.Impl); m != "" {
				mode = "/mode=" + m
			}
			res.Series = append(res.Series, &Series{Name: "Conv/op=" + p.Layer.Problem.Op.String() + "/impl=" + p.Impl.Name() + "/" + p.Layer.key() + dirKey(&p.Layer.Problem) + mode + suffix(w), Pair: p, Workers: w, Unit: "GFLOP/s"})
		}
	}
	total := opt.Count * (len(res.Series) + 4*len(opt.Workers))
	done, start := 0, time.Now()
	tell := func(what string) {
		if opt.Progress == nil {
			return
		}
		var eta time.Duration
		if done > 0 {
			eta = time.Since(start) / time.Duration(done) * time.Duration(total-done)
		}
		opt.Progress(done, total, what, eta)
	}
	emit := func(s *Series, m Measurement, comment bool) error {
		s.Samples = append(s.Samples, m)
		done++
		if out == nil {
			return nil
		}
		prefix := ""
		if comment {
			prefix = "# probe: "
		}
		if _, err := fmt.Fprintf(out, "%sBenchmark%s\t%s\n", prefix, s.Name, formatMeasurement(m)); err != nil {
			return err
		}
		if f, ok := out.(interface{ Flush() error }); ok {
			return f.Flush()
		}
		return nil
	}
	probe := func(s *Series, body func(int) func(*testing.B), comment bool) error {
		tell(s.Name)
		r := testing.Benchmark(body(s.Workers))
		if r.N == 0 {
			return fmt.Errorf("Benchmark%s: the probe failed", s.Name)
		}
		return emit(s, Measurement{Iters: r.N, NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N), Metrics: r.Extra}, comment)
	}
	probes := func() error {
		for range opt.Count {
			for _, w := range opt.Workers {
				if err := probe(res.Probes[w].Peak, peakBody, false); err != nil {
					return err
				}
				if err := probe(res.Probes[w].Copy, copyBody, true); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := probes(); err != nil {
		return nil, err
	}
	// A pair Measure finds Unsupported is skipped at every worker count
	// from then on, and dropped from the results, so that they stay a
	// grid of pairs × workers.
	type pairKey struct {
		impl  string
		layer *Layer
	}
	skipped := map[pairKey]bool{}
	keyOf := func(s *Series) pairKey { return pairKey{Label(s.Pair.Impl), s.Pair.Layer} }
	for range opt.Count {
		for _, s := range res.Series {
			if skipped[keyOf(s)] {
				done++
				continue
			}
			tell(s.Name)
			c0 := capacityBody(s.Workers)
			m, err := s.Pair.Impl.Measure(s.Pair.Layer, s.Workers)
			var u *Unsupported
			if errors.As(err, &u) {
				skipped[keyOf(s)] = true
				done++
				what := "skipped"
				if len(s.Samples) > 0 {
					what = fmt.Sprintf("skipped after %d samples (left in the data, dropped from the summary)", len(s.Samples))
				}
				res.Notes = append(res.Notes, fmt.Sprintf("impl=%s %s: %s: %s", Label(s.Pair.Impl), s.Pair.Layer.key(), what, u.Reason))
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("Benchmark%s: %w", s.Name, err)
			}
			// The layer's achieved bandwidth (its least traffic over its
			// time), for the memory-bound ones' share of the copy probe.
			m.Metrics = cloneMetrics(m.Metrics)
			if m.NsPerOp > 0 {
				m.Metrics["GB/s"] = float64(s.Pair.Layer.Bytes()) / m.NsPerOp
			}
			m.Metrics[CapacityUnit] = max(c0, capacityBody(s.Workers))
			if err := emit(s, m, false); err != nil {
				return nil, err
			}
		}
	}
	if err := probes(); err != nil {
		return nil, err
	}
	if len(skipped) > 0 {
		res.Series = slices.DeleteFunc(res.Series, func(s *Series) bool { return skipped[keyOf(s)] })
	}
	res.markShort()
	if steal1, total1, ok1 := cpuTicks(); ok0 && ok1 && total1 > total0 && steal1 >= steal0 {
		res.Steal = float64(steal1-steal0) / float64(total1-total0)
	}
	return res, nil
}

func cloneMetrics(m map[string]float64) map[string]float64 {
	c := make(map[string]float64, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// CheckWorkers refuses an empty list, a count below 1 and a repeated count.
func CheckWorkers(ws []int) error {
	if len(ws) == 0 {
		return fmt.Errorf("--workers: no worker count")
	}
	for i, w := range ws {
		if w < 1 {
			return fmt.Errorf("--workers %d: want ≥ 1", w)
		}
		if slices.Contains(ws[:i], w) {
			return fmt.Errorf("--workers %d: listed twice", w)
		}
	}
	return nil
}

// formatMeasurement prints m as testing.BenchmarkResult.String does: the
// iterations, ns/op, then the custom metrics in unit order.
func formatMeasurement(m Measurement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%8d\t%s ns/op", m.Iters, pretty(m.NsPerOp))
	units := make([]string, 0, len(m.Metrics))
	for u := range m.Metrics {
		units = append(units, u)
	}
	slices.Sort(units)
	for _, u := range units {
		fmt.Fprintf(&b, "\t%s %s", pretty(m.Metrics[u]), u)
	}
	return b.String()
}

// pretty is testing's number format: integers from 100 up, else four
// significant digits.
func pretty(x float64) string {
	switch y := max(x, -x); {
	case y == 0 || y >= 99.5:
		return fmt.Sprintf("%10.0f", x)
	case y >= 9.995:
		return fmt.Sprintf("%12.1f", x)
	case y >= 0.9995:
		return fmt.Sprintf("%13.2f", x)
	case y >= 0.09995:
		return fmt.Sprintf("%14.3f", x)
	case y >= 0.009995:
		return fmt.Sprintf("%15.4f", x)
	case y >= 0.0009995:
		return fmt.Sprintf("%16.5f", x)
	}
	return fmt.Sprintf("%17.6f", x)
}
