package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/perf"
)

// fake is an implementation that reports what it is told: the time of a
// layer is nsOf(layer), so the harness's bookkeeping can be checked
// exactly. It is also the shape of a peer: Measure reports nanoseconds it
// measured itself.
type fake struct {
	name string
	nsOf func(l *Layer) float64
	fail error
}

func (f fake) Name() string                 { return f.name }
func (f fake) Kernel() string               { return "fake" }
func (f fake) Supports(*conv.Problem) error { return nil }
func (f fake) Measure(l *Layer, workers int) (Measurement, error) {
	if f.fail != nil {
		return Measurement{}, f.fail
	}
	ns := f.nsOf(l) / float64(workers)
	return Measurement{Iters: 10, NsPerOp: ns, Metrics: map[string]float64{"GFLOP/s": float64(l.Problem.FLOPs()) / ns}}, nil
}

func TestRepeat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 1<<20).Draw(t, "n")
		base := rapid.StringMatching(`[a-z_0-9:]{1,12}`).Draw(t, "base")
		if got, err := Repeat(fmt.Sprintf("%s*%d", base, n)); err != nil || got != n {
			t.Fatalf("Repeat(%s*%d) = %d, %v", base, n, got, err)
		}
		if got, err := Repeat(base); err != nil || got != 1 {
			t.Fatalf("Repeat(%s) = %d, %v, want 1", base, got, err)
		}
	})
	for _, bad := range []string{"x*", "x*0", "x*-2", "x*two"} {
		if _, err := Repeat(bad); err == nil {
			t.Errorf("Repeat(%q): no error", bad)
		}
	}
}

// TestTotalsHonourRepeats: a network's total time is Σ repeat × median
// time, its FLOPs Σ repeat × FLOPs, over layers drawn with random repeat
// counts and times.
func TestTotalsHonourRepeats(t *testing.T) {
	restore, err := SetBenchtime("1x")
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "layers")
		var descs []string
		for i := range n {
			rep := rapid.IntRange(1, 9).Draw(t, "repeat")
			ic := rapid.IntRange(1, 8).Draw(t, "ic")
			descs = append(descs, fmt.Sprintf(`mb1ic%dih6oc2oh6kh3ph1n"net:l%d*%d"`, ic, i, rep))
		}
		layers, err := ParseLayers(descs, nil, conv.OpConv, 0)
		if err != nil {
			t.Fatal(err)
		}
		ns := map[string]float64{}
		for _, l := range layers {
			ns[l.Name] = rapid.Float64Range(1e3, 1e7).Draw(t, "ns")
		}
		im := fake{name: "f", nsOf: func(l *Layer) float64 { return ns[l.Name] }}
		pairs, err := Select([]Impl{im}, layers, "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		res := fakeRun(t, pairs, []int{1})
		var wantS, wantF float64
		var inst int
		for _, l := range layers {
			wantS += float64(l.Repeat) * ns[l.Name] / 1e9
			wantF += float64(l.Repeat) * float64(l.Problem.FLOPs())
			inst += l.Repeat
		}
		tot := res.Totals()
		if len(tot) != 1 || math.Abs(tot[0].Seconds-wantS) > 1e-12*wantS || tot[0].FLOPs != wantF || tot[0].Instances != inst || tot[0].Layers != n {
			t.Fatalf("totals %+v, want %g s, %g FLOPs, %d instances of %d layers", tot, wantS, wantF, inst, n)
		}
	})
}

// fakeRun runs pairs with their probes replaced by nothing: only the
// rounds, as Run does them.
func fakeRun(t interface{ Fatal(...any) }, pairs []Pair, workers []int) *Results {
	res, err := Run(nil, pairs, Options{Count: 1, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParseLayersAndBatch(t *testing.T) {
	ls, err := ParseLayers([]string{`mb50ic64ih56oc64oh56kh3ph1n"resnet_50:res2a_branch2b*3"`}, []string{"f:3"}, conv.OpConv, 2)
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	if l.Problem.MB != 2 || l.Repeat != 3 || l.Name != "resnet_50:res2a_branch2b*3" || strings.Contains(l.Shape, "n") || !strings.HasPrefix(l.Shape, "ic64") || l.Where != "f:3" {
		t.Errorf("layer %+v", l)
	}
	if got := l.key(); got != "shape="+l.Shape+"/layer=resnet_50:res2a_branch2b*3" {
		t.Errorf("key %q", got)
	}
	for _, tc := range []struct {
		descs []string
		mb    int
		want  string
	}{
		{nil, 0, "no problem"},
		{[]string{"mb1ic4ih5"}, 0, "mb1ic4ih5"},
		{[]string{`mb1ic4ih5oc4oh5kh3ph1n"x*0"`}, 0, "repeat"},
		{[]string{"mb1ic4ih5oc4oh5kh3ph1"}, -1, "--mb"},
	} {
		if _, err := ParseLayers(tc.descs, []string{"f:1"}, conv.OpConv, tc.mb); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseLayers(%q, mb %d) = %v, want an error naming %q", tc.descs, tc.mb, err, tc.want)
		}
	}
	d, err := WithBatch(DefaultLayers(), 3)
	if err != nil || d[0].Problem.MB != 3 || !strings.HasPrefix(d[0].Shape, "mb3") {
		t.Errorf("WithBatch: %v %+v", err, d[0])
	}
	if _, err := WithBatch(DefaultLayers(), 0); err == nil {
		t.Error("WithBatch 0: no error")
	}
}

func TestCheckWorkers(t *testing.T) {
	for _, bad := range [][]int{nil, {0}, {1, 0}, {2, 2}, {-1}} {
		if CheckWorkers(bad) == nil {
			t.Errorf("CheckWorkers(%v): no error", bad)
		}
	}
	if err := CheckWorkers([]int{1, 2, 4}); err != nil {
		t.Error(err)
	}
}

// TestRunInterleavesAndNames: every round times every pair at every
// worker count once, in the same order; names carry /workers=N only for a
// list; each share of peak is against the probe of its own worker count.
func TestRunInterleavesAndNames(t *testing.T) {
	restore, _ := SetBenchtime("1x")
	defer restore()
	var order []string
	layers := DefaultLayers()[:2]
	im := fake{name: "f", nsOf: func(l *Layer) float64 { order = append(order, l.Shape); return 1e5 }}
	pairs, _ := Select([]Impl{im}, layers, "", "", nil)
	var buf bytes.Buffer
	res, err := Run(&buf, pairs, Options{Count: 2, Workers: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{layers[0].Shape, layers[1].Shape, layers[0].Shape, layers[1].Shape}
	if strings.Join(order, " ") != strings.Join(append(want, want...), " ") {
		t.Errorf("order %v, want rounds of %v", order, want)
	}
	s, err := perf.Read(&buf, "run")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Peak/unit=" + res.PeakUnit + "/workers=2", "Conv/op=conv/impl=f/shape=" + layers[1].Shape + "/workers=1"} {
		if len(s.Values[n]["sec/op"]) == 0 {
			t.Errorf("no %s in %v", n, s.Names)
		}
	}
	for _, se := range res.Series {
		if got, want := res.ShareOfPeak(se), se.Median()/res.Probes[se.Workers].Peak.Median(); got != want {
			t.Errorf("%s: share %v, want %v against its own workers' probe", se.Name, got, want)
		}
	}
	// A failing implementation stops the run naming the benchmark.
	_, err = Run(nil, []Pair{{fake{name: "bad", fail: fmt.Errorf("boom")}, &layers[0]}}, Options{Count: 1, Workers: []int{1}})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "impl=bad") {
		t.Errorf("err = %v", err)
	}
}

func TestFormats(t *testing.T) {
	restore, _ := SetBenchtime("1x")
	defer restore()
	layers := DefaultLayers()[:1]
	pairs, _ := Select([]Impl{fake{name: "f", nsOf: func(*Layer) float64 { return 1e5 }}}, layers, "", "", nil)
	res := fakeRun(t, pairs, []int{1})
	h := NewHeader("1x", 1, []int{1})
	var js bytes.Buffer
	if err := res.WriteJSON(&js, h); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config  map[string]string
		Samples []sampleRow
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Config["kernel"] == "" || len(doc.Samples) != 5 { // peak ×2, copy ×2, one conv
		t.Errorf("json: %+v", doc)
	}
	var cs bytes.Buffer
	if err := res.WriteCSV(&cs, h); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(recs) != 6 || recs[0][0] != "benchmark" || recs[5][2] != "f" {
		t.Errorf("csv: %v %q", err, recs)
	}
}

// TestMain makes the probes cheap: the tests here check bookkeeping, not
// the machine (TestProbes runs the real ones once).
func TestMain(m *testing.M) {
	if mode := os.Getenv("CONVVERIFY_FAKE_PEER"); mode != "" {
		fakePeer(mode)
		os.Exit(0)
	}
	cheap := func(unit string) func(int) func(*testing.B) {
		return func(w int) func(*testing.B) {
			return func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(float64(100*w), unit)
			}
		}
	}
	peakBody, copyBody = cheap("GFLOP/s"), cheap("GB/s")
	capacityBody = func(w int) float64 { return float64(100 * w) }
	m.Run()
}

func TestProbes(t *testing.T) {
	restore, _ := SetBenchtime("1x")
	defer restore()
	for _, w := range []int{1, 3} {
		for body, unit := range map[*func(int) func(*testing.B)]string{&peakBench0: "GFLOP/s", &copyBench0: "GB/s"} {
			r := testing.Benchmark((*body)(w))
			if g := r.Extra[unit]; r.N != 1 || !(g > 0) || math.IsInf(g, 0) {
				t.Errorf("workers %d: %v %s over %d runs", w, g, unit, r.N)
			}
		}
	}
}

var peakBench0, copyBench0 = peakBench, copyBench

// TestProgress: Progress hears of every measurement, in order, with the
// total fixed in advance and an ETA once something is done.
func TestProgress(t *testing.T) {
	restore, _ := SetBenchtime("1x")
	defer restore()
	layers := DefaultLayers()[:2]
	pairs, _ := Select([]Impl{fake{name: "f", nsOf: func(*Layer) float64 { return 1e5 }}}, layers, "", "", nil)
	var dones []int
	total := -1
	_, err := Run(nil, pairs, Options{Count: 2, Workers: []int{1, 2}, Progress: func(done, tot int, what string, eta time.Duration) {
		if total >= 0 && tot != total || what == "" || done > 0 && eta < 0 {
			t.Errorf("progress %d/%d %q eta %v", done, tot, what, eta)
		}
		total = tot
		dones = append(dones, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	// 2 rounds × (2 layers × 2 worker counts + 2 probes before and after × 2 worker counts).
	if want := 2 * (4 + 8); total != want || len(dones) != want || dones[want-1] != want-1 {
		t.Errorf("total %d, %d calls (last %v), want %d", total, len(dones), dones[len(dones)-1], want)
	}
}

// TestShortSamples: samples taken while the capacity probe beside them
// fell under CapacityHeld of the peak probe are left out of the medians
// where at least half held, kept where fewer did, and the summary counts
// them.
func TestShortSamples(t *testing.T) {
	peak := &Series{Name: "Peak", Workers: 2, Unit: "GFLOP/s"}
	for range 4 {
		peak.Samples = append(peak.Samples, Measurement{Iters: 1, NsPerOp: 1, Metrics: map[string]float64{"GFLOP/s": 400}})
	}
	series := func(name string, caps, gflops []float64) *Series {
		s := &Series{Name: name, Workers: 2, Unit: "GFLOP/s", Pair: Pair{Layer: &Layer{Shape: name, Repeat: 1}, Impl: fake{name: name}}}
		for i := range caps {
			s.Samples = append(s.Samples, Measurement{Iters: 1, NsPerOp: 1e9 / gflops[i], Metrics: map[string]float64{"GFLOP/s": gflops[i], CapacityUnit: caps[i]}})
		}
		return s
	}
	held := series("held", []float64{400, 200, 390, 380, 150, 400}, []float64{10, 5, 11, 10, 4, 12})
	most := series("most-short", []float64{400, 200, 150, 100, 150, 400}, []float64{10, 5, 4, 3, 4, 12})
	r := &Results{PeakUnit: "avx512", Workers: []int{2}, Series: []*Series{held, most},
		Probes: map[int]*Probes{2: {Peak: peak, Copy: &Series{Name: "Copy", Workers: 2, Unit: "GB/s"}}}, Steal: math.NaN()}
	r.markShort()
	if got := held.Values("GFLOP/s"); !slices.Equal(got, []float64{10, 11, 10, 12}) {
		t.Errorf("held: Values = %v, want the four samples whose capacity held", got)
	}
	if got := held.Median(); got != 10.5 {
		t.Errorf("held: Median = %v, want 10.5", got)
	}
	if got := most.Values("GFLOP/s"); len(got) != 6 {
		t.Errorf("most-short: Values = %v, want all six (only two held)", got)
	}
	var b strings.Builder
	r.writeCapacity(&b)
	if want := "6 of 12 under 85% (warning: the machine lent fewer cores then; 2 of those samples are left out"; !strings.Contains(b.String(), want) {
		t.Errorf("writeCapacity:\n%s\nwant it to contain %q", b.String(), want)
	}
}
