package worker

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
)

// TestMain lets the test binary stand in for a worker: with
// CONVVERIFY_FAKE_WORKER=MODE it speaks the protocol, well or badly.
func TestMain(m *testing.M) {
	if mode := os.Getenv("CONVVERIFY_FAKE_WORKER"); mode != "" {
		fakeWorker(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func hello(version int) string {
	b, _ := json.Marshal(Hello{Protocol: Protocol, Version: version, Name: "fake", Ops: []string{"conv"}})
	return string(b)
}

// fakeWorker is a worker that misbehaves as mode says. FAKE_Y names a
// correct y.npy to copy; FAKE_MARK a file whose absence makes crash-first crash.
func fakeWorker(mode string) {
	out := bufio.NewWriter(os.Stdout)
	say := func(s string) { out.WriteString(s + "\n"); out.Flush() }
	switch mode {
	case "exit-at-once":
		fmt.Fprintln(os.Stderr, "fatal: no accelerator found")
		os.Exit(3)
	case "garbage-hello":
		say("Loading model weights...")
	case "version-2":
		say(hello(2))
	case "burn":
		b, _ := json.Marshal(Hello{Protocol: Protocol, Version: Version, Name: "burner", Ops: []string{"conv"}, Caps: []string{CapTime}})
		say(string(b))
	default:
		say(hello(1))
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var req Request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			os.Exit(9)
		}
		y := filepath.Join(req.Dir, "y.npy")
		ok := fmt.Sprintf(`{"id":%d,"ok":true}`, req.ID)
		copyY := func() {
			b, _ := os.ReadFile(os.Getenv("FAKE_Y"))
			os.WriteFile(y, b, 0o644)
		}
		switch mode {
		case "copy":
			copyY()
			say(ok)
		case "hang":
			time.Sleep(time.Hour)
		case "garbage-reply":
			say("Traceback (most recent call last):")
		case "chatty":
			copyY()
			say("computing…")
			say(ok)
		case "wrong-id":
			copyY()
			say(fmt.Sprintf(`{"id":%d,"ok":true}`, req.ID+1))
		case "ok-and-error":
			say(fmt.Sprintf(`{"id":%d,"ok":true,"error":"x"}`, req.ID))
		case "ok-false":
			say(fmt.Sprintf(`{"id":%d,"ok":false}`, req.ID))
		case "long-line":
			say(strings.Repeat("x", 2*maxLine))
		case "unsupported":
			say(fmt.Sprintf(`{"id":%d,"error":"groups > 1 not supported"}`, req.ID))
		case "no-file":
			say(ok)
		case "wrong-shape":
			os.WriteFile(y, rawNpy("<f4", "(1, 1, 2)", 8), 0o644)
			say(ok)
		case "f8":
			b, _ := os.ReadFile(os.Getenv("FAKE_Y"))
			n := (len(b) - strings.IndexByte(string(b), '\n') - 1) / 4
			os.WriteFile(y, rawNpy("<f8", shapeOf(b), 8*n), 0o644)
			say(ok)
		case "truncated":
			b, _ := os.ReadFile(os.Getenv("FAKE_Y"))
			os.WriteFile(y, b[:len(b)-3], 0o644)
			say(ok)
		case "nan":
			b, _ := os.ReadFile(os.Getenv("FAKE_Y"))
			binary.LittleEndian.PutUint32(b[len(b)-4:], math.Float32bits(float32(math.NaN())))
			os.WriteFile(y, b, 0o644)
			say(ok)
		case "devzero":
			os.Symlink("/dev/zero", y)
			say(ok)
		case "fifo":
			syscall.Mkfifo(y, 0o644)
			say(ok)
		case "killed":
			fmt.Fprintln(os.Stderr, "about to die")
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		case "burn":
			burnCPU(2, 200*time.Millisecond)
			say(fmt.Sprintf(`{"id":%d,"ok":true,"ns":[1000]}`, req.ID))
		case "crash-first":
			if _, err := os.Stat(os.Getenv("FAKE_MARK")); err != nil {
				os.WriteFile(os.Getenv("FAKE_MARK"), nil, 0o644)
				fmt.Fprintln(os.Stderr, "segmentation fault (simulated)")
				os.Exit(139)
			}
			copyY()
			say(ok)
		}
	}
}

// shapeOf extracts the shape tuple from a .npy header.
func shapeOf(b []byte) string {
	s := string(b[:strings.IndexByte(string(b), '\n')])
	i := strings.Index(s, "'shape': ")
	j := strings.Index(s[i:], ")")
	return s[i+9 : i+j+1]
}

// rawNpy is a format 1.0 .npy with any descr and shape text and n data bytes.
func rawNpy(descr, shape string, n int) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	pad := (64 - (10+len(dict)+1)%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
	b = append(b, dict...)
	return append(b, make([]byte, n)...)
}

// fixture is one small case, its inputs, and a correct y.npy.
type fixture struct {
	p    conv.Problem
	in   conv.Inputs[float64]
	yNpy string
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	p, err := conv.ParseDescriptor("mb1ic2ih3oc2oh3kh3ph1", conv.OpConv)
	if err != nil {
		t.Fatal(err)
	}
	in := conv.ConvertInputs[float64](conv.ConvertInputs[float32](oracles.RandomFill(&p, rand.New(rand.NewPCG(1, 2)))))
	y, err := reference.Forward(&p, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	y = conv.ConvertSlice[float64](conv.ConvertSlice[float32](y))
	dir := filepath.Join(t.TempDir(), "want")
	if err := golden.Write(dir, golden.Case{Problem: p, In: in, Want: conv.Tensor[float64]{Shape: p.DstShape(), Data: y}}, golden.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return fixture{p: p, in: in, yNpy: filepath.Join(dir, "y.npy")}
}

func fake(t testing.TB, mode string, f fixture, opt Options) *Worker {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONVVERIFY_FAKE_WORKER", mode)
	t.Setenv("FAKE_Y", f.yNpy)
	t.Setenv("FAKE_MARK", filepath.Join(t.TempDir(), "mark"))
	w := New(fmt.Sprintf("'%s'", exe), opt)
	t.Cleanup(w.Close)
	return w
}

func TestWorkerPasses(t *testing.T) {
	f := newFixture(t)
	w := fake(t, "copy", f, Options{})
	for i := 0; i < 3; i++ {
		o := Check(w, filepath.Join(t.TempDir(), "case"), f.p, f.in)
		if o.Kind != Passed {
			t.Fatalf("case %d: %v: %s", i, o.Kind, o.Reason)
		}
	}
	if w.Starts != 1 {
		t.Errorf("started %d times, want 1 (a persistent worker)", w.Starts)
	}
}

// TestHostileWorkers: every way a worker can misbehave is an outcome that
// names the cause, never a pass and never a panic.
func TestHostileWorkers(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		mode string
		kind Kind
		want string
	}{
		{"exit-at-once", Crashed, "fatal: no accelerator found"},
		{"garbage-hello", Crashed, "handshake"},
		{"version-2", Crashed, "protocol version 2"},
		{"hang", Crashed, "no reply within"},
		{"garbage-reply", Crashed, "not a JSON reply"},
		{"chatty", Crashed, "not a JSON reply"},
		{"wrong-id", Crashed, "out of order"},
		{"ok-and-error", Crashed, "both ok and error"},
		{"ok-false", Crashed, "neither"},
		{"long-line", Crashed, "more than"},
		{"killed", Crashed, "signal 9"},
		{"unsupported", Skipped, "groups > 1 not supported"},
		{"no-file", Failed, "y.npy: missing"},
		{"wrong-shape", Failed, "shape [1 1 2], want [1 2 3 3]"},
		{"f8", Failed, "dtype '<f8'"},
		{"truncated", Failed, "truncated"},
		{"nan", Failed, "1 NaN"},
		{"devzero", Failed, "not a regular file"},
		{"fifo", Failed, "not a regular file"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			// Only the hanging worker waits out its timeout; the others
			// get a generous one, so a loaded machine cannot turn a
			// reply into a hang.
			timeout := 30 * time.Second
			if tc.mode == "hang" {
				timeout = 300 * time.Millisecond
			}
			w := fake(t, tc.mode, f, Options{Timeout: timeout, StartTimeout: 30 * time.Second})
			o := Check(w, filepath.Join(t.TempDir(), "case"), f.p, f.in)
			if o.Kind != tc.kind || !strings.Contains(o.Reason, tc.want) {
				t.Errorf("got %v %q, want %v containing %q", o.Kind, o.Reason, tc.kind, tc.want)
			}
		})
	}
}

// TestRestartAfterCrash: a worker that dies on one case is restarted and the
// next case runs.
func TestRestartAfterCrash(t *testing.T) {
	f := newFixture(t)
	w := fake(t, "crash-first", f, Options{})
	dir := filepath.Join(t.TempDir(), "case")
	if o := Check(w, dir, f.p, f.in); o.Kind != Crashed || !strings.Contains(o.Reason, "segmentation fault (simulated)") || !strings.Contains(o.Reason, "status 139") {
		t.Fatalf("first case: %v %q, want a crash with its status and stderr", o.Kind, o.Reason)
	}
	if o := Check(w, dir, f.p, f.in); o.Kind != Passed {
		t.Fatalf("after the restart: %v %q", o.Kind, o.Reason)
	}
	if w.Starts != 2 {
		t.Errorf("started %d times, want 2", w.Starts)
	}
}

// TestGivesUpOnWorkerThatNeverStarts: a worker that exits at once is not
// restarted forever.
func TestGivesUpOnWorkerThatNeverStarts(t *testing.T) {
	f := newFixture(t)
	w := fake(t, "exit-at-once", f, Options{MaxStartFailures: 2})
	dir := filepath.Join(t.TempDir(), "case")
	for i := 0; i < 5; i++ {
		if o := Check(w, dir, f.p, f.in); o.Kind != Crashed {
			t.Fatalf("case %d: %v", i, o.Kind)
		}
	}
	if w.Starts != 2 {
		t.Errorf("started %d times, want 2 (then given up)", w.Starts)
	}
}

// TestWrongValuesFail: a y.npy with the right shape and one wrong element
// fails, naming the element.
func TestWrongValuesFail(t *testing.T) {
	f := newFixture(t)
	b, _ := os.ReadFile(f.yNpy)
	off := len(b) - 4*5
	v := math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
	binary.LittleEndian.PutUint32(b[off:], math.Float32bits(v*(1+1e-4)))
	bad := filepath.Join(t.TempDir(), "y.npy")
	os.WriteFile(bad, b, 0o644)
	f.yNpy = bad
	w := fake(t, "copy", f, Options{})
	o := Check(w, filepath.Join(t.TempDir(), "case"), f.p, f.in)
	if o.Kind != Failed || o.Verdict.Failed != 1 {
		t.Fatalf("got %v %q, want one element outside the bound", o.Kind, o.Reason)
	}
}

func TestParseReply(t *testing.T) {
	for _, bad := range []string{``, `{}`, `[]`, `{"id":1}`, `{"id":1,"ok":true} {}`, `{"id":"1","ok":true}`, `{"id":1,"ok":true,"extra":1}`, `{"id":1,"error":""}`, `null`} {
		if _, err := parseReply([]byte(bad), 1); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	if r, err := parseReply([]byte(`{"id":7,"error":"no"}`), 7); err != nil || r.Error != "no" {
		t.Errorf("error reply: %+v %v", r, err)
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte(`{"id":1,"ok":true}`))
	f.Add([]byte(`{"id":1,"error":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseReply(b, 1)
		if err == nil && r.OK == (r.Error != "") {
			t.Fatalf("%q: reply %+v is neither or both", b, r)
		}
		parseHello(b)
	})
}

func TestParseTimedReply(t *testing.T) {
	for _, bad := range []string{
		`{"id":1,"ok":true}`,                                // no ns
		`{"id":1,"ok":true,"ns":[1,2]}`,                     // fewer than reps
		`{"id":1,"ok":true,"ns":[1,2,3,4]}`,                 // more
		`{"id":1,"ok":true,"ns":[1,-2,3]}`,                  // negative
		`{"id":1,"ok":true,"ns":[0,0,0]}`,                   // no time at all
		`{"id":1,"ok":true,"ns":[1.5,2,3]}`,                 // not integers
		`{"id":1,"ok":true,"ns":["1",2,3]}`,                 // not numbers
		`{"id":2,"ok":true,"ns":[1,2,3]}`,                   // out of order
		`{"id":1,"ok":false,"ns":[1,2,3]}`,                  // not ok
		`{"id":1,"error":"x","ns":[1,2,3]}`,                 // both
		`{"id":1,"ok":true,"ns":[1,2,3],"x":1}`,             // unknown field
		`{"id":1,"ok":true,"ns":[9223372036854775807,1,1]}`, // overflow
	} {
		if r, err := parseTimedReply([]byte(bad), 1, 3); err == nil {
			t.Errorf("%s: accepted as %+v", bad, r)
		}
	}
	if r, err := parseTimedReply([]byte(`{"id":1,"ok":true,"ns":[0,5,7]}`), 1, 3); err != nil || len(r.NS) != 3 || r.NS[2] != 7 {
		t.Errorf("good reply: %+v %v", r, err)
	}
	if r, err := parseTimedReply([]byte(`{"id":1,"error":"no"}`), 1, 3); err != nil || r.Error != "no" {
		t.Errorf("error reply: %+v %v", r, err)
	}
	// A plain reply never carries ns, and a handshake's caps are read.
	if _, err := parseReply([]byte(`{"id":1,"ok":true,"ns":[1]}`), 1); err == nil {
		t.Error("parseReply accepted ns")
	}
	h, err := parseHello([]byte(`{"protocol":"convverify-worker","version":1,"name":"n","ops":["conv"],"caps":["time","later"]}`))
	if err != nil || !h.Can(CapTime) || h.Can("x") {
		t.Errorf("hello with caps: %+v %v", h, err)
	}
}

func FuzzParseTimedReply(f *testing.F) {
	f.Add([]byte(`{"id":1,"ok":true,"ns":[1,2]}`), 2)
	f.Add([]byte(`{"id":1,"error":"x"}`), 1)
	f.Fuzz(func(t *testing.T, b []byte, reps int) {
		r, err := parseTimedReply(b, 1, reps)
		if err != nil {
			return
		}
		if (r.Error != "") == (r.NS != nil) || r.NS != nil && len(r.NS) != reps {
			t.Fatalf("%q: reply %+v", b, r)
		}
		for _, ns := range r.NS {
			if ns < 0 {
				t.Fatalf("%q: negative duration accepted", b)
			}
		}
	})
}

// TestTimeNeedsCapability: a timing request is never sent to a worker
// that did not declare the time capability.
func TestTimeNeedsCapability(t *testing.T) {
	f := newFixture(t)
	w := fake(t, "copy", f, Options{})
	_, err := w.Time(t.TempDir(), Timing{Reps: 1, Threads: 1}, time.Second)
	if err == nil || !strings.Contains(err.Error(), `"time" capability`) {
		t.Errorf("err = %v", err)
	}
	if _, err := w.Time(t.TempDir(), Timing{Reps: 0, Threads: 1}, time.Second); err == nil {
		t.Error("reps 0 accepted")
	}
}

// TestGoWorkerTimes: the Go worker answers a timing request with reps
// durations and a y.npy that passes.
func TestGoWorkerTimes(t *testing.T) {
	f := newFixture(t)
	w := New(buildGoWorker(t, t.TempDir()), Options{Env: []string{"MALLOC_ARENA_MAX=2"}})
	defer w.Close()
	dir := filepath.Join(t.TempDir(), "case")
	if err := golden.WriteInputs(dir, f.p, f.in, "t"); err != nil {
		t.Fatal(err)
	}
	r, err := w.Time(dir, Timing{Reps: 5, Warmup: 2, Threads: 1}, 30*time.Second)
	if err != nil || len(r.NS) != 5 {
		t.Fatalf("%+v %v", r, err)
	}
	if o := Judge(dir, f.p, f.in); o.Kind != Passed {
		t.Errorf("y.npy after timing: %v %s", o.Kind, o.Reason)
	}
}
