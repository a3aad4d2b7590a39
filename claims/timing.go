package claims

import (
	"fmt"
	"math"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/optimized/gemm"
)

// Timing: the speed claims are measured with the repository's optimized
// variants on the machine that writes the report, one worker, and set
// against what the operation counts predict. A time is the fastest of the
// runs made over settings.TimingMillis (after one warm-up run): the minimum
// is the run least disturbed by other work on a shared machine. No verdict
// rests on a time alone, and no test asserts one: tests replace measure.

// measure times f under a label (the fake in tests answers by label).
var measure = measureFastest

func measureFastest(label string, f func() error) (time.Duration, error) {
	if err := f(); err != nil {
		return 0, fmt.Errorf("%s: %w", label, err)
	}
	budget := time.Duration(settings.TimingMillis) * time.Millisecond
	best := time.Duration(math.MaxInt64)
	start := time.Now()
	for n := 0; n < 3 || time.Since(start) < budget; n++ {
		t := time.Now()
		if err := f(); err != nil {
			return 0, fmt.Errorf("%s: %w", label, err)
		}
		best = min(best, time.Since(t))
	}
	return best, nil
}

// timed is one measured layer.
type timed struct {
	Label   string
	Variant string
	MACs    int64
	Time    time.Duration
}

// GFLOPs is the layer's rate at 2 FLOPs per MAC.
func (t timed) GFLOPs() float64 { return 2 * float64(t.MACs) / t.Time.Seconds() / 1e9 }

// timeVariant times the named variant on p with BenchInputs, one worker.
func timeVariant(label, variant string, p conv.Problem) (timed, error) {
	v, ok := optimized.Lookup(variant)
	if !ok {
		return timed{}, fmt.Errorf("no variant %s", variant)
	}
	if err := v.Supports(&p); err != nil {
		return timed{}, err
	}
	in := optimized.BenchInputs(&p, 1)
	out := make([]float32, conv.Elems(p.DstShape()))
	d, err := measure(label, func() error { return v.Run(&p, in, out, 1) })
	return timed{Label: label, Variant: variant, MACs: macsOf(&p), Time: d}, err
}

// timeSeparable times optimized.Separable (depthwise-direct then
// pointwise-gemm) on s, one worker.
func timeSeparable(label string, s conv.Separable) (timed, error) {
	dw := optimized.BenchInputs(&s.Depthwise, 1)
	pw := optimized.BenchInputs(&s.Pointwise, 2)
	pw.X = nil
	out := make([]float32, conv.Elems(s.Pointwise.DstShape()))
	d, err := measure(label, func() error { return optimized.Separable(s, dw, pw, out, 1) })
	return timed{Label: label, Variant: "depthwise-direct + pointwise-gemm", MACs: macsOf(&s.Depthwise) + macsOf(&s.Pointwise), Time: d}, err
}

// peakIters is one PeakProbe call's iterations: about a millisecond.
const peakIters = 1 << 16

// peakGFLOPs is one core's FMA ceiling from gemm.PeakProbe, measured once per
// context.
func (c *Context) peakGFLOPs() float64 {
	if c.peak == 0 {
		d, err := measure("peak", func() error { gemm.PeakProbe(peakIters); return nil })
		if err != nil || d <= 0 {
			return math.NaN()
		}
		c.peak = float64(peakIters) * gemm.PeakFlopsPerIter / d.Seconds() / 1e9
	}
	return c.peak
}

// timingRows renders measured layers as a table against the peak.
func (c *Context) timingRows(ts ...timed) []string {
	peak := c.peakGFLOPs()
	rows := []string{
		"| layer | variant (1 worker) | MACs | time (fastest run) | GFLOP/s | share of one core's peak |",
		"|---|---|---:|---:|---:|---:|",
	}
	for _, t := range ts {
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %.1f | %.0f %% |", t.Label, t.Variant, sci(float64(t.MACs)), fmtDuration(t.Time), t.GFLOPs(), 100*t.GFLOPs()/peak))
	}
	return append(rows, "", fmt.Sprintf("Peak: gemm.PeakProbe (%s FMAs, no memory traffic) reaches %.1f GFLOP/s on one core. Times are the fastest of the runs made over %d ms after one warm-up, on %s; they vary from machine to machine, the counts do not.",
		gemm.PeakUnit(), peak, settings.TimingMillis, Machine()))
}

func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f µs", float64(d)/1e3)
}

// speedup says how a measured ratio compares with the counted one.
func speedup(measured, counted float64) string {
	return fmt.Sprintf("measured ×%.2f against ×%.2f counted", measured, counted)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
