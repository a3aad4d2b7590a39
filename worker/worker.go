package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Options configure a Worker.
type Options struct {
	// Timeout is how long one case may take, from the request to the reply
	// (default 10s). A worker past it is killed and restarted.
	Timeout time.Duration
	// StartTimeout is how long the worker may take to send its handshake
	// (default 2 minutes: importing PyTorch on a busy machine is slow).
	StartTimeout time.Duration
	// Dir is the worker's working folder ("" for ours).
	Dir string
	// MaxStartFailures is how many starts in a row may fail before the
	// worker is given up and every later call fails at once (default 3).
	MaxStartFailures int
	// Env are "KEY=value" entries added to the environment convverify
	// passes on to the worker (later entries win).
	Env []string
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 10 * time.Second
	}
	return o.Timeout
}

func (o Options) startTimeout() time.Duration {
	if o.StartTimeout <= 0 {
		return 2 * time.Minute
	}
	return o.StartTimeout
}

// Worker is a persistent worker process, started on the first call and
// restarted after it crashes, hangs or breaks the protocol. It is not safe
// for concurrent use.
type Worker struct {
	command string
	opt     Options
	proc    *process
	next    int64
	hello   Hello
	// Starts counts the processes started; Restarts those after the first.
	Starts        int
	startFailures int
	dead          error
	// live is the running process, for Kill from another goroutine.
	live atomic.Pointer[process]
}

// Kill kills the running worker process and its group at once, from any
// goroutine: for a signal handler or a timeout that is about to exit, so
// that no worker outlives convverify.
func (w *Worker) Kill() {
	if p := w.live.Load(); p != nil {
		killGroup(p.cmd)
	}
}

// New returns a worker that runs command through the shell when first called.
func New(command string, opt Options) *Worker {
	return &Worker{command: command, opt: opt}
}

// Command returns the command line the worker runs.
func (w *Worker) Command() string { return w.command }

// Crash is a worker that died, hung, or broke the protocol. Stderr is the
// tail of what it wrote to stderr meanwhile.
type Crash struct {
	Cause  string
	Stderr string
}

func (c *Crash) Error() string {
	s := c.Cause
	if st := strings.TrimSpace(c.Stderr); st != "" {
		s += "; its stderr ends:\n" + indent(st)
	}
	return s
}

func indent(s string) string {
	return "    | " + strings.ReplaceAll(s, "\n", "\n    | ")
}

// Start starts the worker if it is not running and reads its handshake.
func (w *Worker) Start() (Hello, error) {
	if w.proc != nil {
		return w.hello, nil
	}
	if w.dead != nil {
		return Hello{}, w.dead
	}
	h, err := w.start()
	if err != nil {
		w.startFailures++
		most := w.opt.MaxStartFailures
		if most <= 0 {
			most = 3
		}
		if w.startFailures >= most {
			w.dead = &Crash{Cause: fmt.Sprintf("gave up after %d failed starts in a row; the last: %v", w.startFailures, err)}
		}
		return Hello{}, err
	}
	w.startFailures = 0
	return h, nil
}

func (w *Worker) start() (Hello, error) {
	p, err := start(w.command, w.opt.Dir, w.opt.Env)
	if err != nil {
		return Hello{}, &Crash{Cause: err.Error()}
	}
	w.live.Store(p)
	w.Starts++
	line, err := p.readLine(w.opt.startTimeout())
	if err != nil {
		return Hello{}, w.fail(p, "handshake", err, w.opt.startTimeout())
	}
	h, err := parseHello(line)
	if err != nil {
		p.kill()
		return Hello{}, &Crash{Cause: "worker " + err.Error(), Stderr: p.crashStderr()}
	}
	w.proc, w.hello, w.next = p, h, 0
	return h, nil
}

// fail kills p after an error while waiting for line what and returns the crash.
func (w *Worker) fail(p *process, what string, err error, waited time.Duration) *Crash {
	var cause string
	switch {
	case err == errTimeout:
		p.kill()
		cause = fmt.Sprintf("no %s within %v (killed)", what, waited)
	case isEOF(err):
		how, ok := p.exited(2 * time.Second)
		p.kill()
		if !ok {
			how = "closed its stdout"
		}
		cause = fmt.Sprintf("worker %s before its %s", how, what)
	default:
		p.kill()
		cause = fmt.Sprintf("bad %s: %v", what, err)
	}
	if p == w.proc {
		w.proc = nil
	}
	return &Crash{Cause: cause, Stderr: p.crashStderr()}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// Call asks the worker to run the case in dir. It returns the reply, or a
// *Crash (the worker is then stopped and restarted on the next call).
func (w *Worker) Call(dir string) (Reply, error) {
	var r Reply
	err := w.roundTrip(dir, nil, w.opt.timeout(), func(line []byte, id int64) (err error) {
		r, err = parseReply(line, id)
		return err
	})
	return r, err
}

// Time asks the worker, which must have declared CapTime, to time its own
// runs of the case in dir as t says. timeout bounds the whole request: the
// warm-up and every timed run. It returns the durations, an error reply
// for a problem the worker does not support, or a *Crash as Call does.
func (w *Worker) Time(dir string, t Timing, timeout time.Duration) (TimedReply, error) {
	if t.Reps < 1 || t.Reps > MaxReps || t.Warmup < 0 || t.Threads < 1 {
		return TimedReply{}, fmt.Errorf("timing request %+v: want 1 ≤ reps ≤ %d, warmup ≥ 0, threads ≥ 1", t, MaxReps)
	}
	h, err := w.Start()
	if err != nil {
		return TimedReply{}, err
	}
	if !h.Can(CapTime) {
		return TimedReply{}, fmt.Errorf("worker %q does not time its runs: its handshake lists no %q capability (docs/worker-protocol.md, timing requests)", h.Name, CapTime)
	}
	var r TimedReply
	pgid := w.proc.cmd.Process.Pid // setGroup made it the group's leader
	cpu0, ok0 := groupCPU(pgid)
	t0 := time.Now()
	err = w.roundTrip(dir, &t, timeout, func(line []byte, id int64) (err error) {
		r, err = parseTimedReply(line, id, t.Reps)
		return err
	})
	if err == nil {
		r.Wall = time.Since(t0)
		cpu1, ok1 := groupCPU(pgid)
		r.CPU, r.CPUKnown = cpu1-cpu0, ok0 && ok1 && cpu1 >= cpu0
	}
	return r, err
}

// roundTrip sends one request for dir (a timing one if t is not nil) and
// hands the reply line to parse; a worker that dies, hangs past timeout or
// sends a line parse refuses is killed and returned as a *Crash.
func (w *Worker) roundTrip(dir string, t *Timing, timeout time.Duration, parse func(line []byte, id int64) error) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := w.Start(); err != nil {
		return err
	}
	p := w.proc
	w.next++
	req, _ := json.Marshal(Request{ID: w.next, Dir: abs, Time: t})
	if err := p.send(req, timeout); err != nil {
		how, ok := p.exited(2 * time.Second)
		if !ok {
			how = fmt.Sprintf("did not read its stdin (%v)", err)
		}
		p.kill()
		w.proc = nil
		return &Crash{Cause: "worker " + how + " before the request", Stderr: p.crashStderr()}
	}
	line, err := p.readLine(timeout)
	if err != nil {
		return w.fail(p, "reply", err, timeout)
	}
	if err := parse(line, w.next); err != nil {
		p.kill()
		w.proc = nil
		return &Crash{Cause: "protocol error: " + err.Error(), Stderr: p.crashStderr()}
	}
	p.stderr.take() // a healthy case's chatter is not the next crash's
	return nil
}

// Close asks the worker to exit (stdin closed) and kills it after a grace period.
func (w *Worker) Close() {
	if w.proc != nil {
		w.proc.close(2 * time.Second)
		w.proc = nil
	}
}
