package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/perf"
	"github.com/convverify/convverify/worker"
)

// fakeNs is the fake peer's duration of every run of a layer: its input
// channels × 1000 ns, so a test knows what each layer's ns/op must be.
func fakeNs(ic int) int64 { return int64(ic) * 1000 }

// fakePeer is a timing worker run from the test binary: it handshakes
// with the time capability (mode no-time: without it) and ops conv only,
// answers a timing request on a grouped problem with an error, on any
// other with reps durations of fakeNs, logging "peer SHAPE reps" to
// FAKE_LOG; mode die exits, as a crash, on request FAKE_DIE_AT.
func fakePeer(mode string) {
	out := bufio.NewWriter(os.Stdout)
	say := func(v any) {
		b, _ := json.Marshal(v)
		out.Write(append(b, '\n'))
		out.Flush()
	}
	h := worker.Hello{Protocol: worker.Protocol, Version: worker.Version, Name: "fakepeer 0.1 (test)", Ops: []string{"conv"}, Caps: []string{worker.CapTime}}
	if mode == "no-time" {
		h.Caps = nil
	}
	if os.Getenv("MALLOC_MMAP_THRESHOLD_") != "33554432" || os.Getenv("MALLOC_TRIM_THRESHOLD_") != "1073741824" {
		h.Name = "fakepeer without PeerEnv"
	}
	say(h)
	dieAt, _ := strconv.Atoi(os.Getenv("FAKE_DIE_AT"))
	in := bufio.NewScanner(os.Stdin)
	for n := 1; in.Scan(); n++ {
		var req worker.Request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil || req.Time == nil {
			os.Exit(9)
		}
		if mode == "die" && n == dieAt {
			fmt.Fprintln(os.Stderr, "fakepeer: out of memory (simulated)")
			os.Exit(3)
		}
		var cj struct {
			Problem string         `json:"problem"`
			Geo     map[string]any `json:"x-geometry"`
		}
		b, _ := os.ReadFile(filepath.Join(req.Dir, "case.json"))
		json.Unmarshal(b, &cj)
		if g, _ := cj.Geo["groups"].(float64); g > 1 {
			say(map[string]any{"id": req.ID, "error": "groups > 1: not in this library"})
			continue
		}
		ic, _ := cj.Geo["ic"].(float64)
		appendLog(fmt.Sprintf("peer %s %d", cj.Problem, req.Time.Reps))
		ns := make([]int64, req.Time.Reps)
		for i := range ns {
			ns[i] = fakeNs(int(ic))
		}
		say(map[string]any{"id": req.ID, "ok": true, "ns": ns})
	}
}

// appendLog appends a line to FAKE_LOG: the peer and the test's own impl
// write to one file, in the order Run calls them.
func appendLog(line string) {
	f, err := os.OpenFile(os.Getenv("FAKE_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		os.Exit(8)
	}
	fmt.Fprintln(f, line)
	f.Close()
}

// startFake starts the test binary as a fake peer in mode.
func startFake(t *testing.T, mode string, env ...string) (*Peer, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "log")
	t.Setenv("CONVVERIFY_FAKE_PEER", mode)
	t.Setenv("FAKE_LOG", log)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	p, err := StartPeer(fmt.Sprintf("'%s'", exe), PeerOptions{StartTimeout: 30 * time.Second, CaseTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, log
}

// peerLayers are three layers: two the fake peer times (ic 4 and 8), one
// grouped that it refuses when asked, and one deconv its handshake
// excludes.
func peerLayers(t *testing.T) []Layer {
	ls, err := ParseLayers([]string{"mb1ic4ih6oc4oh6kh3ph1", "g2mb1ic4ih6oc4oh6kh3ph1", "mb1ic8ih6oc4oh6kh1"}, nil, conv.OpConv, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseLayers([]string{"mb1ic4ih6oc4oh11kh3sh2ph1"}, nil, conv.OpDeconv, 0)
	if err != nil {
		t.Fatal(err)
	}
	return append(ls, d...)
}

// TestPeerInterleavedAndRead: ours and the peer alternate on each layer
// round by round; the peer's ns/op is the mean of the durations it
// reported (with --benchtime Nx, N runs); the output reads back with
// perf.Read under impl=peer:fakepeer; the layer it refuses is skipped with
// its reason, the op its handshake lacks is never sent.
func TestPeerInterleavedAndRead(t *testing.T) {
	restore, _ := SetBenchtime("3x")
	defer restore()
	unsetenv(t, "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
	peer, log := startFake(t, "ok")
	if peer.Name() != "peer:fakepeer" || peer.Kernel() != "fakepeer 0.1 (test)" {
		t.Errorf("name %q kernel %q", peer.Name(), peer.Kernel())
	}
	layers := peerLayers(t)
	ours := fake{name: "f", nsOf: func(l *Layer) float64 { appendLog("ours " + l.Shape); return 1e5 }}
	pairs, err := Select([]Impl{ours, peer}, layers, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 7 { // ours on 4 layers, the peer on the 3 conv layers
		t.Fatalf("%d pairs, want 7", len(pairs))
	}
	var buf bytes.Buffer
	res, err := Run(&buf, pairs, Options{Count: 2, Workers: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	var round []string
	for _, i := range []int{0, 1, 2, 3} {
		round = append(round, "ours "+layers[i].Shape)
		if i == 0 || i == 2 { // the grouped one is refused in the first round, then skipped
			round = append(round, "peer "+layers[i].Shape+" 3")
		}
	}
	// Both rounds alike: the refused layer's request is not logged (the
	// first round's) or not sent (the second's); ours still runs it.
	want := strings.Join(round, "\n") + "\n" + strings.Join(round, "\n") + "\n"
	if got := string(b); got != want {
		t.Errorf("order of runs:\n%s\nwant rounds of:\n%s", got, strings.Join(round, "\n"))
	}
	s, err := perf.Read(&buf, "run")
	if err != nil {
		t.Fatal(err)
	}
	for i, ic := range map[int]int{0: 4, 2: 8} {
		name := "Conv/op=conv/impl=peer:fakepeer/" + layers[i].key()
		v := s.Values[name]["sec/op"]
		if want := float64(fakeNs(ic)) / 1e9; len(v) != 2 || math.Abs(v[0]-want) > 1e-12*want || v[1] != v[0] {
			t.Errorf("%s: sec/op %v, want twice %v", name, v, float64(fakeNs(ic))/1e9)
		}
	}
	for _, n := range s.Names {
		if strings.Contains(n, "peer") && (strings.Contains(n, "g2") || strings.Contains(n, "op=deconv")) {
			t.Errorf("%s was timed", n)
		}
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "groups > 1: not in this library") || !strings.Contains(res.Notes[0], layers[1].Shape) {
		t.Errorf("notes %q, want the refused layer with the peer's reason", res.Notes)
	}
	if len(res.Series) != 6 {
		t.Errorf("%d series, want 6 (the refused pair dropped)", len(res.Series))
	}
	var sum bytes.Buffer
	res.WriteSummary(&sum, false)
	for _, want := range []string{"ours against peers", "peer:fakepeer", "groups > 1: not in this library"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// TestPeerCalibrates: with a duration benchtime the peer is first asked
// for 1, 10, 100, 1000, 2000 (MaxReps) runs until they take 10 ms, then,
// every round, for as many as fill the benchtime.
func TestPeerCalibrates(t *testing.T) {
	restore, _ := SetBenchtime("1500us")
	defer restore()
	peer, log := startFake(t, "ok")
	layers := peerLayers(t)[:1] // ic 4: 4 µs a run
	res, err := Run(nil, []Pair{{peer, &layers[0]}}, Options{Count: 2, Workers: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	var reps []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		reps = append(reps, l[strings.LastIndexByte(l, ' ')+1:])
	}
	// 1, 10, 100, 1000 runs take 4 µs … 4 ms; 2000 take 8 ms, short of
	// 10 ms but the most one request may ask; 1.5 ms / 4 µs = 375.
	if got := strings.Join(reps, " "); got != "1 10 100 1000 2000 375 375" {
		t.Errorf("reps asked %s, want 1 10 100 1000 2000 375 375", got)
	}
	if m := res.Series[0].Samples[0]; m.Iters != 375 || m.NsPerOp != 4000 {
		t.Errorf("sample %+v, want 375 runs of 4000 ns", m)
	}
}

// TestPeerDiesMidRun: a peer that exits on its third request stops the run
// with an error naming the benchmark, the exit and the worker's last
// words; no panic, no hang.
func TestPeerDiesMidRun(t *testing.T) {
	restore, _ := SetBenchtime("1x")
	defer restore()
	peer, _ := startFake(t, "die", "FAKE_DIE_AT=3")
	layers := peerLayers(t)[:1]
	done := make(chan error, 1)
	go func() {
		_, err := Run(nil, []Pair{{peer, &layers[0]}}, Options{Count: 5, Workers: []int{1}})
		done <- err
	}()
	select {
	case err := <-done:
		for _, want := range []string{"impl=peer:fakepeer", "peer worker", "exited with status 3", "out of memory (simulated)"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to name %q", err, want)
			}
		}
	case <-time.After(time.Minute):
		t.Fatal("Run hung on a dead peer")
	}
}

// TestPeerWithoutTimeCapability: a worker that cannot time is refused at
// the start, naming the capability.
func TestPeerWithoutTimeCapability(t *testing.T) {
	exe, _ := os.Executable()
	t.Setenv("CONVVERIFY_FAKE_PEER", "no-time")
	_, err := StartPeer(fmt.Sprintf("'%s'", exe), PeerOptions{StartTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), `"time" capability`) {
		t.Errorf("err = %v", err)
	}
	if _, err := StartPeer("exit 7", PeerOptions{StartTimeout: 30 * time.Second}); err == nil || !strings.Contains(err.Error(), "status 7") {
		t.Errorf("a worker that exits at once: err = %v", err)
	}
}

func TestPeerNameAndEnv(t *testing.T) {
	for _, tc := range [][3]string{
		{"pytorch 1.13.0, torchvision 0.14", "python3 w.py", "pytorch"},
		{"goworker (convverify reference)", "x", "goworker"},
		{"", "/usr/bin/python3 adapters/pytorch/worker.py", "worker.py"},
		{"/// ", "'/tmp/my-conv'", "my-conv"},
		{"", "", "worker"},
	} {
		if got := peerName(tc[0], tc[1]); got != tc[2] {
			t.Errorf("peerName(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
	t.Setenv("MALLOC_TRIM_THRESHOLD_", "5")
	t.Setenv("OPENBLAS_THREAD_TIMEOUT", "4")
	unsetenv(t, "MALLOC_MMAP_THRESHOLD_")
	if got := strings.Join(PeerEnv(), " "); got != "MALLOC_MMAP_THRESHOLD_=33554432" {
		t.Errorf("PeerEnv() = %q, want only the threshold the user did not set", got)
	}
	unsetenv(t, "OPENBLAS_THREAD_TIMEOUT")
	if got := strings.Join(PeerEnv(), " "); got != "MALLOC_MMAP_THRESHOLD_=33554432 OPENBLAS_THREAD_TIMEOUT=19" {
		t.Errorf("PeerEnv() = %q, want OpenBLAS's idle wait cut too", got)
	}
}

// unsetenv unsets keys for the test; t.Setenv puts the old values back.
func unsetenv(t *testing.T, keys ...string) {
	for _, k := range keys {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// coresPeer is a fake peer whose every measurement reports cores.
type coresPeer struct {
	fake
	cores float64
}

func (c coresPeer) Measure(l *Layer, workers int) (Measurement, error) {
	m, err := c.fake.Measure(l, workers)
	m.Metrics[CoresUnit] = c.cores
	return m, err
}

// TestPeerCoresFlagged: a peer that kept more cores busy than its worker
// count (OpenBLAS's own pool under torch.set_num_threads(1) did: 1.9) is
// shown in the cores column and warned about; one within the slack is
// shown and not warned about.
func TestPeerCoresFlagged(t *testing.T) {
	restore, _ := SetBenchtime("3x")
	defer restore()
	layers := peerLayers(t)[:1]
	ours := fake{name: "f", nsOf: func(*Layer) float64 { return 1e5 }}
	for _, c := range []struct {
		cores float64
		warn  bool
	}{{1.93, true}, {1.2, false}, {0.98, false}} {
		peer := coresPeer{fake{name: PeerPrefix + "blas", nsOf: func(*Layer) float64 { return 5e4 }}, c.cores}
		res, err := Run(nil, []Pair{{ours, &layers[0]}, {peer, &layers[0]}}, Options{Count: 2, Workers: []int{1}})
		if err != nil {
			t.Fatal(err)
		}
		var sum bytes.Buffer
		res.WriteSummary(&sum, false)
		s := sum.String()
		// the peer's row in "ours against peers": …  peer  GFLOP/s  cores  ×
		var row []string
		for _, l := range strings.Split(s, "\n") {
			if f := strings.Fields(l); len(f) == 9 && f[5] == PeerPrefix+"blas" {
				row = f
			}
		}
		if want := fmt.Sprintf("%.2f", c.cores); row == nil || row[7] != want {
			t.Errorf("cores %v: the peer's row %q lacks %s in its cores column:\n%s", c.cores, row, want, s)
		}
		warned := strings.Contains(s, "warning: "+PeerPrefix+"blas kept")
		if warned != c.warn {
			t.Errorf("cores %v at 1 worker: warned %v, want %v:\n%s", c.cores, warned, c.warn, s)
		}
	}
}

// TestPeerReportsCores: a real peer process's measurements carry the cores
// metric where /proc can be read.
func TestPeerReportsCores(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	restore, _ := SetBenchtime("3x")
	defer restore()
	peer, _ := startFake(t, "ok")
	layers := peerLayers(t)[:1]
	m, err := peer.Measure(&layers[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := m.Metrics[CoresUnit]; !ok || c < 0 || math.IsNaN(c) {
		t.Errorf("metrics %v, want a cores value ≥ 0", m.Metrics)
	}
}

// TestSummarySteal: the summary states the run's steal share when known,
// and warns past stealNoisy.
func TestSummarySteal(t *testing.T) {
	restore, _ := SetBenchtime("3x")
	defer restore()
	layers := peerLayers(t)[:1]
	ours := fake{name: "f", nsOf: func(*Layer) float64 { return 1e5 }}
	res, err := Run(nil, []Pair{{ours, &layers[0]}}, Options{Count: 1, Workers: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		steal      float64
		line, warn bool
	}{{math.NaN(), false, false}, {0.004, true, false}, {0.22, true, true}} {
		res.Steal = c.steal
		var sum bytes.Buffer
		res.WriteSummary(&sum, false)
		s := sum.String()
		if got := strings.Contains(s, "cpu steal during the run"); got != c.line {
			t.Errorf("steal %v: line shown %v, want %v:\n%s", c.steal, got, c.line, s)
		}
		if got := strings.Contains(s, "warning: timings are stretched"); got != c.warn {
			t.Errorf("steal %v: warned %v, want %v:\n%s", c.steal, got, c.warn, s)
		}
	}
}
