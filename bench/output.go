package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/convverify/convverify/optimized"
)

// Formats are the output formats: the Go benchmark format (streamed), CSV
// and JSON (written whole at the end).
var Formats = []string{"bench", "csv", "json"}

// Median is the sample median (mean of the middle two for even n); 0 for none.
func Median(v []float64) float64 {
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

// Values are s's samples in unit: those that held the machine's capacity
// (not Short), where at least half of them did, else all.
func (s *Series) Values(unit string) []float64 {
	var v []float64
	skip := s.shortSkipped()
	for i, m := range s.Samples {
		if skip && s.Short[i] {
			continue
		}
		if unit == "ns/op" {
			v = append(v, m.NsPerOp)
		} else if x, ok := m.Metrics[unit]; ok {
			v = append(v, x)
		}
	}
	return v
}

// shortSkipped is whether Values leaves s's Short samples out: some are
// short, and at least half are not.
func (s *Series) shortSkipped() bool {
	n := shortCount(s)
	return n > 0 && 2*(len(s.Samples)-n) >= len(s.Samples)
}

// shortCount is how many of s's samples are Short.
func shortCount(s *Series) int {
	n := 0
	for _, short := range s.Short {
		if short {
			n++
		}
	}
	return n
}

// markShort sets every series' Short from its samples' capacity and the
// peak probe's median at its worker count.
func (r *Results) markShort() {
	for _, s := range r.Series {
		p := r.Probes[s.Workers]
		if p == nil || p.Peak.Median() <= 0 {
			continue
		}
		held := CapacityHeld * p.Peak.Median()
		s.Short = make([]bool, len(s.Samples))
		for i, m := range s.Samples {
			if c, ok := m.Metrics[CapacityUnit]; ok {
				s.Short[i] = c < held
			}
		}
	}
}

// writeCapacity prints, per worker count, the measurements' capacity as a
// share of the peak probe, and how many fell short.
func (r *Results) writeCapacity(w io.Writer) {
	for _, wk := range r.Workers {
		peak := r.Probes[wk].Peak.Median()
		var shares []float64
		short, left := 0, 0
		for _, s := range r.Series {
			if s.Workers != wk {
				continue
			}
			for _, m := range s.Samples {
				if c, ok := m.Metrics[CapacityUnit]; ok && peak > 0 {
					shares = append(shares, c/peak)
				}
			}
			n := shortCount(s)
			short += n
			if s.shortSkipped() {
				left += n
			}
		}
		if len(shares) == 0 {
			continue
		}
		fmt.Fprintf(w, "capacity beside the measurements (FMA probe on %d goroutine%s, the higher of just before and just after): median %s of the peak probe, lowest %s; %d of %d under %.0f%%",
			wk, plural(wk), pct(Median(shares)), pct(slices.Min(shares)), short, len(shares), 100*CapacityHeld)
		if short > 0 {
			fmt.Fprintf(w, " (warning: the machine lent fewer cores then; %d of those samples are left out of the medians below, the rest kept where fewer than half of a benchmark's samples held)", left)
		}
		fmt.Fprintln(w)
	}
}

// Median is the median of s's headline metric.
func (s *Series) Median() float64 { return Median(s.Values(s.Unit)) }

// ShareOfPeak is s's median GFLOP/s over the median of its worker count's
// FMA probe (before and after pooled); NaN without a probe.
func (r *Results) ShareOfPeak(s *Series) float64 {
	p := r.Probes[s.Workers]
	if p == nil || p.Peak.Median() <= 0 {
		return math.NaN()
	}
	return s.Median() / p.Peak.Median()
}

// Ridge is the FLOPs per byte at which the workers' peak and copy
// bandwidth meet: layers below it are memory-bound. NaN without probes.
func (r *Results) Ridge(workers int) float64 {
	p := r.Probes[workers]
	if p == nil || p.Copy.Median() <= 0 {
		return math.NaN()
	}
	return p.Peak.Median() / p.Copy.Median()
}

// MemoryBound reports whether s's layer does fewer FLOPs per byte of its
// least traffic than the ridge point of s's worker count.
func (r *Results) MemoryBound(s *Series) bool {
	l := s.Pair.Layer
	return float64(l.Problem.DirFLOPs())/float64(l.Bytes()) < r.Ridge(s.Workers)
}

// ShareOfBandwidth is s's achieved GB/s (least traffic over time) over the
// copy probe's; NaN without a probe.
func (r *Results) ShareOfBandwidth(s *Series) float64 {
	p := r.Probes[s.Workers]
	if p == nil || p.Copy.Median() <= 0 {
		return math.NaN()
	}
	return Median(s.Values("GB/s")) / p.Copy.Median()
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "?"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

// WriteSummary prints the probes and, per benchmark, the median GFLOP/s,
// its range, its share of the peak of as many cores as its workers use
// and, for memory-bound layers, of the copy bandwidth; then, if network,
// the network totals and, with several worker counts, the scaling table.
func (r *Results) WriteSummary(w io.Writer, network bool) {
	fmt.Fprintln(w)
	for _, wk := range r.Workers {
		p := r.Probes[wk]
		n := len(p.Peak.Samples) / 2
		fmt.Fprintf(w, "peak (%s FMA probe, %d goroutine%s): median %.1f GFLOP/s; before %.1f, after %.1f\n",
			r.PeakUnit, wk, plural(wk), p.Peak.Median(), Median(p.Peak.Values("GFLOP/s")[:n]), Median(p.Peak.Values("GFLOP/s")[n:]))
		fmt.Fprintf(w, "copy bandwidth (%d MiB, %d goroutine%s): median %.1f GB/s; ridge point %.1f FLOP/byte\n",
			copyBytes>>20, wk, plural(wk), p.Copy.Median(), r.Ridge(wk))
	}
	if !math.IsNaN(r.Steal) {
		fmt.Fprintf(w, "cpu steal during the run: %.1f%% of the machine's CPU time went to other guests of the hypervisor", 100*r.Steal)
		if r.Steal > stealNoisy {
			fmt.Fprint(w, " (warning: timings are stretched by it at random; compare only within this run)")
		}
		fmt.Fprintln(w)
	}
	r.writeCapacity(w)
	fmt.Fprintf(w, "kernels: %s\n\n", optimized.KernelInfo())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	multi := len(r.Workers) > 1
	head := "op\timpl\tshape\t"
	if multi {
		head += "workers\t"
	}
	fmt.Fprintln(tw, head+"GFLOP/s\tmin–max\tpeak\tbandwidth\tkernel")
	for _, s := range r.Series {
		g := s.Values("GFLOP/s")
		shape := s.Pair.Layer.Shape
		if s.Pair.Layer.Name != "" {
			shape += " " + s.Pair.Layer.Name
		}
		row := fmt.Sprintf("%v\t%s\t%s\t", s.Pair.Layer.Problem.Op, Label(s.Pair.Impl), shape)
		if multi {
			row += fmt.Sprintf("%d\t", s.Workers)
		}
		bw := ""
		if r.MemoryBound(s) {
			bw = pct(r.ShareOfBandwidth(s))
		}
		fmt.Fprintf(tw, "%s%.2f\t%s\t%s\t%s\t%s\n", row, Median(g),
			fmt.Sprintf("%.2f–%.2f", slices.Min(g), slices.Max(g)), pct(r.ShareOfPeak(s)), bw, s.Pair.Impl.Kernel())
	}
	tw.Flush()
	fmt.Fprintln(w, "(peak: share of the FMA probe on as many goroutines as the workers; bandwidth: for memory-bound layers, below the ridge point, share of the copy probe, which streams from memory: a layer whose data fit in cache can pass 100%)")
	r.writePeers(w)
	if network {
		r.writeNetwork(w)
		r.writeBestNetwork(w)
	}
	if multi {
		r.writeScaling(w)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}

// writePeers prints, per layer and worker count that a peer ran, the
// fastest of ours (by median GFLOP/s) beside each peer, and how many
// times faster ours is.
func (r *Results) writePeers(w io.Writer) {
	type cell struct {
		l  *Layer
		wk int
	}
	var cells []cell
	best := map[cell]*Series{}
	peers := map[cell][]*Series{}
	for _, s := range r.Series {
		c := cell{s.Pair.Layer, s.Workers}
		if _, ok := best[c]; !ok && peers[c] == nil {
			cells = append(cells, c)
		}
		if strings.HasPrefix(s.Pair.Impl.Name(), PeerPrefix) {
			peers[c] = append(peers[c], s)
		} else if b := best[c]; b == nil || s.Median() > b.Median() {
			best[c] = s
		}
	}
	any := false
	for _, ps := range peers {
		any = any || len(ps) > 0
	}
	if !any {
		return
	}
	fmt.Fprintf(w, "\nours against peers (median GFLOP/s; ×: ours over the peer's; cores: the peer's median CPU time over wall time, - where unmeasured):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\tshape\tworkers\tours (fastest)\tGFLOP/s\tpeer\tGFLOP/s\tcores\t×")
	var over []string
	for _, c := range cells {
		shape := c.l.Shape
		if c.l.Name != "" {
			shape += " " + c.l.Name
		}
		ours, og := "-", math.NaN()
		if b := best[c]; b != nil {
			ours, og = Label(b.Pair.Impl), b.Median()
		}
		if len(peers[c]) == 0 {
			fmt.Fprintf(tw, "%v\t%s\t%d\t%s\t%.2f\t-\t-\t-\t-\n", c.l.Problem.Op, shape, c.wk, ours, og)
		}
		for _, p := range peers[c] {
			cores := "-"
			if v := p.Values(CoresUnit); len(v) > 0 {
				m := Median(v)
				cores = fmt.Sprintf("%.2f", m)
				if m > float64(c.wk)+coresSlack {
					over = append(over, fmt.Sprintf("%s kept %.2f cores busy at %d worker%s on %s", p.Pair.Impl.Name(), m, c.wk, plural(c.wk), shape))
				}
			}
			fmt.Fprintf(tw, "%v\t%s\t%d\t%s\t%.2f\t%s\t%.2f\t%s\t%.2f\n", c.l.Problem.Op, shape, c.wk, ours, og, p.Pair.Impl.Name(), p.Median(), cores, og/p.Median())
		}
	}
	tw.Flush()
	for _, o := range over {
		fmt.Fprintf(w, "warning: %s: a thread pool outside the thread count it was asked for (e.g. OpenBLAS's own), so that row is not a like-for-like comparison\n", o)
	}
}

// stealNoisy is the steal share past which the summary warns: a few
// percent already shows in medians of runs of a few hundred ms.
const stealNoisy = 0.02

// coresSlack is how far a peer's measured cores may exceed its worker
// count before writePeers flags it: /proc counts CPU time in 10 ms ticks,
// so a 200 ms request reads within about ±0.05 cores, and a median of
// several within less; a second thread kept busy adds close to 1.
const coresSlack = 0.25

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Total is one implementation's time over a network at one worker count.
type Total struct {
	Impl      string
	Workers   int
	Seconds   float64 // Σ repeat × median time of the layers it ran
	FLOPs     float64 // Σ repeat × FLOPs of those layers
	Layers    int     // layers it ran
	Instances int     // Σ repeat over them
	Skipped   int     // layers it does not support
}

// Totals sums, per implementation and worker count, the median times of
// the layers weighted by their repeat counts (benchdnn's *N).
func (r *Results) Totals() []Total {
	layers := map[*Layer]bool{}
	for _, s := range r.Series {
		layers[s.Pair.Layer] = true
	}
	var out []Total
	idx := map[string]int{}
	for _, s := range r.Series {
		key := Label(s.Pair.Impl) + "\x00" + strconv.Itoa(s.Workers)
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, Total{Impl: Label(s.Pair.Impl), Workers: s.Workers})
		}
		t := &out[i]
		rep := float64(s.Pair.Layer.Repeat)
		t.Seconds += rep * Median(s.Values("ns/op")) / 1e9
		t.FLOPs += rep * float64(s.Pair.Layer.Problem.DirFLOPs())
		t.Layers++
		t.Instances += s.Pair.Layer.Repeat
	}
	for i := range out {
		out[i].Skipped = len(layers) - out[i].Layers
	}
	return out
}

func (r *Results) writeNetwork(w io.Writer) {
	fmt.Fprintf(w, "\nnetwork total (each layer's median time × its repeat count *N):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "impl\tworkers\tms\tGFLOP/s\tlayers\tinstances\tnot supported")
	for _, t := range r.Totals() {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.2f\t%d\t%d\t%d\n", t.Impl, t.Workers, 1e3*t.Seconds, t.FLOPs/t.Seconds/1e9, t.Layers, t.Instances, t.Skipped)
	}
	tw.Flush()
}

// writeScaling prints, per pair, the median GFLOP/s at each worker count
// and the speed-up over the first, with the probes' own scaling as the
// ceiling.
func (r *Results) writeScaling(w io.Writer) {
	fmt.Fprintf(w, "\nscaling (median GFLOP/s; ×: over %d worker%s):\n", r.Workers[0], plural(r.Workers[0]))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "impl\tshape"
	for _, wk := range r.Workers {
		head += fmt.Sprintf("\t%d", wk)
	}
	fmt.Fprintln(tw, head+"\t×")
	row := func(name string, g []float64) {
		fmt.Fprint(tw, name)
		for _, x := range g {
			fmt.Fprintf(tw, "\t%.2f", x)
		}
		fmt.Fprintf(tw, "\t%.2f\n", g[len(g)-1]/g[0])
	}
	var peak []float64
	for _, wk := range r.Workers {
		peak = append(peak, r.Probes[wk].Peak.Median())
	}
	row("(FMA peak)\t", peak)
	perW := len(r.Series) / len(r.Workers)
	for i := range perW {
		var g []float64
		for k := range r.Workers {
			g = append(g, r.Series[k*perW+i].Median())
		}
		s := r.Series[i]
		row(Label(s.Pair.Impl)+"\t"+s.Pair.Layer.Shape, g)
	}
	tw.Flush()
}

// sampleRow is one sample in the CSV and JSON formats.
type sampleRow struct {
	Benchmark string             `json:"benchmark"`
	Op        string             `json:"op,omitempty"`
	Impl      string             `json:"impl,omitempty"`
	Kernel    string             `json:"kernel,omitempty"`
	Shape     string             `json:"shape,omitempty"`
	Layer     string             `json:"layer,omitempty"`
	Repeat    int                `json:"repeat,omitempty"`
	Workers   int                `json:"workers"`
	Sample    int                `json:"sample"`
	Iters     int                `json:"iters"`
	NsPerOp   float64            `json:"ns_per_op"`
	Metrics   map[string]float64 `json:"metrics"`
}

func (r *Results) rows() []sampleRow {
	var rows []sampleRow
	add := func(s *Series) {
		for i, m := range s.Samples {
			row := sampleRow{Benchmark: "Benchmark" + s.Name, Workers: s.Workers, Sample: i + 1, Iters: m.Iters, NsPerOp: m.NsPerOp, Metrics: m.Metrics}
			if l := s.Pair.Layer; l != nil {
				row.Op, row.Impl, row.Kernel, row.Shape, row.Layer, row.Repeat = l.Problem.Op.String(), Label(s.Pair.Impl), s.Pair.Impl.Kernel(), l.Shape, l.Name, l.Repeat
			}
			rows = append(rows, row)
		}
	}
	for _, wk := range r.Workers {
		add(r.Probes[wk].Peak)
		add(r.Probes[wk].Copy)
	}
	for _, s := range r.Series {
		add(s)
	}
	return rows
}

// WriteJSON writes the header and every sample as one JSON object.
func (r *Results) WriteJSON(w io.Writer, h Header) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(struct {
		Config  map[string]string `json:"config"`
		Samples []sampleRow       `json:"samples"`
	}{h.Map(), r.rows()})
}

// csvUnits are the metric columns of the CSV format.
var csvUnits = []string{"GFLOP/s", "GFLOP/s-cpu", "GB/s"}

// WriteCSV writes one row per sample; the header's values are columns too,
// so a file of several runs concatenated stays one table.
func (r *Results) WriteCSV(w io.Writer, h Header) error {
	cw := csv.NewWriter(w)
	cfg := h.Map()
	keys := []string{"date", "commit", "cpu", "kernel", "gomaxprocs", "load-average"}
	head := append([]string{"benchmark", "op", "impl", "kernel_impl", "shape", "layer", "repeat", "workers", "sample", "iters", "ns_per_op"}, csvUnits...)
	cw.Write(append(head, keys...))
	for _, row := range r.rows() {
		rec := []string{row.Benchmark, row.Op, row.Impl, row.Kernel, row.Shape, row.Layer, strconv.Itoa(row.Repeat), strconv.Itoa(row.Workers),
			strconv.Itoa(row.Sample), strconv.Itoa(row.Iters), strconv.FormatFloat(row.NsPerOp, 'g', 6, 64)}
		for _, u := range csvUnits {
			v, ok := row.Metrics[u]
			rec = append(rec, map[bool]string{true: strconv.FormatFloat(v, 'g', 6, 64), false: ""}[ok])
		}
		for _, k := range keys {
			rec = append(rec, cfg[k])
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
