package bench

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/worker"
)

// PeerPrefix starts a peer's impl= key: impl=peer:pytorch.
const PeerPrefix = "peer:"

// Unsupported is what an Impl's Measure returns for a layer it turns out,
// only when asked, not to run (a peer's {"error": …} reply): Run skips the
// pair at every worker count with a note instead of failing.
type Unsupported struct{ Reason string }

func (u *Unsupported) Error() string { return "not supported: " + u.Reason }

// PeerOptions configure StartPeer.
type PeerOptions struct {
	// Name is the impl key after "peer:"; "" takes the first word of the
	// worker's handshake name, else the command's base name.
	Name string
	// StartTimeout bounds the handshake (default 2 minutes: importing
	// PyTorch on a loaded machine is slow).
	StartTimeout time.Duration
	// CaseTimeout is the slack of every request (default 1 minute): a
	// timing request may take that plus three times what its runs should.
	CaseTimeout time.Duration
}

// Peer is an outside implementation timed through the worker protocol's
// timing requests (docs/worker-protocol.md): the worker times its own runs
// and reports nanoseconds, so the pipe and the files cost nothing. Each
// layer's inputs — the same values our implementations are timed on
// (optimized.BenchInputs) — are written once into a scratch folder of
// its own.
type Peer struct {
	name    string
	hello   worker.Hello
	w       *worker.Worker
	opt     PeerOptions
	scratch string
	dirs    map[*Layer]string
	est     map[repKey]float64 // calibrated ns per run
}

type repKey struct {
	l       *Layer
	workers int
}

// PeerEnv is what StartPeer adds to the worker's environment: glibc
// malloc's thresholds, unless the user has set them. By default glibc
// serves every allocation above its mmap threshold (128 KiB, adapting up
// to 32 MiB) with fresh pages and returns them on free, and trims the heap
// top above 128 KiB: a framework that allocates its output and scratch
// buffers on every call (PyTorch does) then takes page faults, and the
// kernel zeroes the pages, on every run: PyTorch 1.13's conv2d on the
// ResNet-50 3×3 layer took 4.96 ms a run here, 2.42 ms with these values
// (2.1×; the 3D layer 1.4×; about 4× has been reported). Our
// implementations reuse their buffers; with these values theirs stay in
// the heap too, so the comparison is of the convolutions, not of the
// allocator's defaults.
//
// And OpenBLAS's idle wait, unless set: its pool threads spin for 2^28
// cycles (about 0.1 s) after each call before they sleep, so a peer that
// ran a layer on two threads through OpenBLAS kept one of this 2-vCPU
// machine's cores busy through the first half of our next layer's
// 2-worker round (torch 1.13 on GoogLeNet's 512→128 1×1 at 4²: 125 ms of
// CPU in the 300 ms after its run, 0.1 ms with the timeout at 2^19
// cycles). Our 512→160 1×1 after it measured 1.0× one worker in three
// rounds of six and 1.9× in the others. 2^19 cycles (about 0.2 ms) is
// our own helpers' spin (helperSpin): long enough that a timing loop's
// back-to-back calls find the pool awake.
func PeerEnv() []string {
	var env []string
	for _, kv := range [][2]string{{"MALLOC_MMAP_THRESHOLD_", "33554432"}, {"MALLOC_TRIM_THRESHOLD_", "1073741824"}, {"OPENBLAS_THREAD_TIMEOUT", "19"}} {
		if _, set := os.LookupEnv(kv[0]); !set {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	return env
}

// StartPeer starts command as a worker (through /bin/sh, with PeerEnv) and
// reads its handshake, which must declare the timing capability. The
// caller must Close the peer.
func StartPeer(command string, opt PeerOptions) (*Peer, error) {
	if opt.StartTimeout <= 0 {
		opt.StartTimeout = 2 * time.Minute
	}
	if opt.CaseTimeout <= 0 {
		opt.CaseTimeout = time.Minute
	}
	w := worker.New(command, worker.Options{Timeout: opt.CaseTimeout, StartTimeout: opt.StartTimeout, MaxStartFailures: 1, Env: PeerEnv()})
	h, err := w.Start()
	if err != nil {
		return nil, fmt.Errorf("peer %q did not start: %w", command, err)
	}
	if !h.Can(worker.CapTime) {
		w.Close()
		return nil, fmt.Errorf("peer %q (%s) cannot be timed: its handshake lists no %q capability (docs/worker-protocol.md, timing requests)", command, h.Name, worker.CapTime)
	}
	name := opt.Name
	if name == "" {
		name = peerName(h.Name, command)
	}
	if bad := strings.IndexFunc(name, func(r rune) bool { return !nameRune(r) }); bad >= 0 || name == "" {
		w.Close()
		return nil, fmt.Errorf("peer name %q: want letters, digits and . _ + - only (it becomes the benchmark key impl=%s…)", name, PeerPrefix)
	}
	scratch, err := os.MkdirTemp("", "convverify-peer-")
	if err != nil {
		w.Close()
		return nil, err
	}
	return &Peer{name: PeerPrefix + name, hello: h, w: w, opt: opt, scratch: scratch, dirs: map[*Layer]string{}, est: map[repKey]float64{}}, nil
}

// nameRune reports whether r may stand in a peer's name: nothing benchfmt
// gives meaning to (/ = white space) and nothing a shell or regexp user
// would have to quote.
func nameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)
}

// peerName is the first word of the handshake's name ("pytorch 2.6.0, …"
// → pytorch), its characters outside nameRune dropped; else the base name
// of the command's last word.
func peerName(hello, command string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if nameRune(r) {
				return r
			}
			return -1
		}, s)
	}
	if f := strings.Fields(hello); len(f) > 0 {
		if n := clean(f[0]); n != "" {
			return n
		}
	}
	if f := strings.Fields(command); len(f) > 0 {
		if n := clean(filepath.Base(strings.Trim(f[len(f)-1], `'"`))); n != "" {
			return n
		}
	}
	return "worker"
}

// Hello is the worker's handshake.
func (p *Peer) Hello() worker.Hello { return p.hello }

// Command is the worker's command line.
func (p *Peer) Command() string { return p.w.Command() }

// Close stops the worker and removes the scratch folders.
func (p *Peer) Close() {
	p.w.Close()
	os.RemoveAll(p.scratch)
}

// Kill kills the worker at once and removes the scratch folders, from any
// goroutine: for an interrupt or a timeout that is about to exit.
func (p *Peer) Kill() {
	p.w.Kill()
	os.RemoveAll(p.scratch)
}

// Name is "peer:NAME".
func (p *Peer) Name() string { return p.name }

// Kernel is the worker's own name from its handshake.
func (p *Peer) Kernel() string { return p.hello.Name }

// Supports refuses the ops the worker's handshake does not list (when it
// lists any), and a backward layer when it lacks the "grad" capability;
// whatever else it refuses it says when asked (Unsupported).
func (p *Peer) Supports(pr *conv.Problem) error {
	if pr.Dir.Backward() && !p.hello.Can(worker.CapGrad) {
		return fmt.Errorf("direction %s: the worker's handshake lists no %q capability", pr.Dir, worker.CapGrad)
	}
	if len(p.hello.Ops) == 0 {
		return nil
	}
	for _, op := range p.hello.Ops {
		if op == pr.Op.String() {
			return nil
		}
	}
	return fmt.Errorf("op %v: the worker's handshake lists only %s", pr.Op, strings.Join(p.hello.Ops, ", "))
}

// calibrateNs is how long the calibration's runs must take in all before
// their mean is trusted to size the timed requests.
const calibrateNs = 10e6

// Measure asks the worker to time l with workers threads: reps runs after
// one untimed, reps sized so that they take about the benchtime (or the
// benchtime's Nx), from a calibration made on the layer's first
// measurement at that thread count. ns/op is the mean of the worker's
// durations, as testing's ns/op is the mean over its iterations.
func (p *Peer) Measure(l *Layer, workers int) (Measurement, error) {
	dir, err := p.inputs(l)
	if err != nil {
		return Measurement{}, err
	}
	budget, fixed, err := benchtime()
	if err != nil {
		return Measurement{}, err
	}
	key := repKey{l, workers}
	reps := fixed
	if fixed == 0 {
		est, ok := p.est[key]
		if !ok {
			if est, err = p.calibrate(dir, workers); err != nil {
				return Measurement{}, err
			}
			p.est[key] = est
		}
		reps = int(math.Ceil(float64(budget.Nanoseconds()) / est))
	}
	reps = max(1, min(reps, worker.MaxReps))
	r, err := p.timeReply(dir, worker.Timing{Reps: reps, Warmup: 1, Threads: workers}, p.est[key])
	if err != nil {
		return Measurement{}, err
	}
	var sum float64
	for _, x := range r.NS {
		sum += float64(x)
	}
	mean := sum / float64(len(r.NS))
	m := Measurement{Iters: len(r.NS), NsPerOp: mean, Metrics: map[string]float64{"GFLOP/s": float64(l.Problem.DirFLOPs()) / mean}}
	if r.CPUKnown && r.Wall > 0 {
		m.Metrics[CoresUnit] = r.CPU.Seconds() / r.Wall.Seconds()
	}
	return m, nil
}

// CoresUnit is a peer's metric of the cores it kept busy: its process
// group's CPU time over the request's wall time (worker.TimedReply), a
// lower bound on the timed runs' parallelism. writePeers flags a peer that
// used clearly more than the workers it was asked for.
const CoresUnit = "cores"

// calibrate times 1, 10, 100… runs until they take calibrateNs in all (or
// MaxReps runs) and returns their mean.
func (p *Peer) calibrate(dir string, workers int) (float64, error) {
	est := 0.0
	for n := 1; ; n = min(10*n, worker.MaxReps) {
		r, err := p.timeReply(dir, worker.Timing{Reps: n, Warmup: 1, Threads: workers}, est)
		if err != nil {
			return 0, err
		}
		var sum float64
		for _, x := range r.NS {
			sum += float64(x)
		}
		est = max(sum/float64(n), 1)
		if sum >= calibrateNs || n == worker.MaxReps {
			return est, nil
		}
	}
}

// timeReply sends one timing request, given est ns per run (0: unknown)
// for its timeout, and returns the reply: the durations, and the wall and
// CPU time measured around it; an error reply is Unsupported.
func (p *Peer) timeReply(dir string, t worker.Timing, est float64) (worker.TimedReply, error) {
	timeout := p.opt.CaseTimeout + time.Duration(3*est*float64(t.Reps+t.Warmup))
	r, err := p.w.Time(dir, t, timeout)
	if err != nil {
		var c *worker.Crash
		if errors.As(err, &c) {
			return worker.TimedReply{}, fmt.Errorf("peer worker %q failed: %w", p.w.Command(), err)
		}
		return worker.TimedReply{}, err
	}
	if r.Error != "" {
		return worker.TimedReply{}, &Unsupported{Reason: r.Error}
	}
	return r, nil
}

// inputs writes l's inputs once into a scratch folder of its own.
func (p *Peer) inputs(l *Layer) (string, error) {
	if d, ok := p.dirs[l]; ok {
		return d, nil
	}
	d := filepath.Join(p.scratch, "L"+strconv.Itoa(len(p.dirs)))
	pr := l.Problem
	name := l.Shape
	if l.Name != "" {
		name = l.Name
	}
	var err error
	if pr.Dir.Backward() {
		in32, dy := GradInputs(&pr)
		err = golden.WriteGradInputs(d, pr, conv.ConvertInputs[float64](in32), conv.ConvertSlice[float64](dy), name)
	} else {
		err = golden.WriteInputs(d, pr, conv.ConvertInputs[float64](optimized.BenchInputs(&pr, 1)), name)
	}
	if err != nil {
		return "", fmt.Errorf("writing the peer's inputs: %w", err)
	}
	p.dirs[l] = d
	return d, nil
}

// benchtime reads testing's -test.benchtime, as SetBenchtime set it: a
// duration, or Nx runs (fixed > 0).
func benchtime() (d time.Duration, fixed int, err error) {
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return time.Second, 0, nil
	}
	s := f.Value.String()
	if n, ok := strings.CutSuffix(s, "x"); ok {
		k, err := strconv.Atoi(n)
		if err != nil || k < 1 {
			return 0, 0, fmt.Errorf("benchtime %q: want a duration or Nx", s)
		}
		return 0, k, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("benchtime %q: want a positive duration or Nx", s)
	}
	return d, 0, nil
}

// Describe is one line for the output's header: the impl key, the
// worker's own name and its command.
func (p *Peer) Describe() string {
	return fmt.Sprintf("%s = %s (command %s)", p.name, strings.Join(strings.Fields(p.hello.Name), " "), strings.Join(strings.Fields(p.w.Command()), " "))
}
