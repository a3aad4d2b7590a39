package golden

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/convverify/convverify/internal/atomicfile"
)

// markedCase is the committed test_Conv2d case with every value set to k,
// so a load that mixed two writes shows as two different values.
func markedCase(t testing.TB, k float64) Case {
	t.Helper()
	c, err := LoadGoldenFormat(filepath.Join(goldenDir, "test_Conv2d"))
	if err != nil {
		t.Fatal(err)
	}
	fill := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i := range out {
			out[i] = k
		}
		return out
	}
	c.In.X, c.In.W, c.In.B = fill(c.In.X), fill(c.In.W), fill(c.In.B)
	c.Want.Data = fill(c.Want.Data)
	return c
}

// marker returns the one value every tensor of c holds, or an error if they differ.
func marker(c Case) (float64, error) {
	k := c.In.X[0]
	for _, s := range [][]float64{c.In.X, c.In.W, c.In.B, c.Want.Data} {
		for _, v := range s {
			if v != k {
				return 0, errors.New("torn case: values from two writes")
			}
		}
	}
	return k, nil
}

// hidden lists the dot-entries of dir: temporaries left behind.
func hidden(t *testing.T, dir string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, ".*"))
	if err != nil {
		t.Fatal(err)
	}
	return left
}

func TestWriteRefusesFolderWithOtherFiles(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	must(t, os.Mkdir(dir, 0o755))
	notes := filepath.Join(dir, "notes.txt")
	must(t, os.WriteFile(notes, []byte("mine"), 0o644))
	for _, opt := range []WriteOptions{{}, {Force: true}} {
		err := Write(dir, markedCase(t, 1), opt)
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("force %v: %v, want a refusal naming %s", opt.Force, err, dir)
		}
		if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
			t.Fatalf("force %v: notes.txt is gone or changed: %q, %v", opt.Force, b, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "case.json")); err == nil {
			t.Errorf("force %v: a case was written into the folder", opt.Force)
		}
	}
	if left := hidden(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// Not a case even with case.json, because of notes.txt; nor without case.json.
	must(t, os.WriteFile(filepath.Join(dir, "case.json"), []byte("{}"), 0o644))
	if err := Write(dir, markedCase(t, 1), WriteOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "notes.txt is not a golden-format file") {
		t.Errorf("case.json beside notes.txt: %v", err)
	}
	must(t, os.Remove(filepath.Join(dir, "case.json")))
	must(t, os.Remove(notes))
	must(t, os.WriteFile(filepath.Join(dir, "x.npy"), []byte("x"), 0o644))
	if err := Write(dir, markedCase(t, 1), WriteOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "no case.json") {
		t.Errorf("x.npy without case.json: %v", err)
	}
	// A golden-format name that is not a regular file.
	must(t, os.Remove(filepath.Join(dir, "x.npy")))
	must(t, os.WriteFile(filepath.Join(dir, "case.json"), []byte("{}"), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "y.npy"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "y.npy", "keep"), []byte("k"), 0o644))
	if err := Write(dir, markedCase(t, 1), WriteOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "y.npy is a folder") {
		t.Errorf("y.npy a folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.npy", "keep")); err != nil {
		t.Errorf("y.npy/keep: %v", err)
	}
}

func TestWriteRefusesNonFolders(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	must(t, os.WriteFile(file, []byte("data"), 0o644))
	target := filepath.Join(parent, "target")
	must(t, os.Mkdir(target, 0o755))
	link := filepath.Join(parent, "link")
	must(t, os.Symlink(target, link))
	fifo := filepath.Join(parent, "fifo")
	must(t, syscall.Mkfifo(fifo, 0o644))
	for _, tc := range []struct{ path, want string }{
		{file, "a regular file, not a folder"},
		{link, "a symbolic link"},
		{fifo, "a FIFO, not a folder"},
	} {
		for _, opt := range []WriteOptions{{}, {Force: true}} {
			before, err := os.Lstat(tc.path)
			must(t, err)
			err = Write(tc.path, markedCase(t, 1), opt)
			if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s (force %v): %v, want an error naming it and %q", tc.path, opt.Force, err, tc.want)
			}
			after, err := os.Lstat(tc.path)
			if err != nil || !os.SameFile(before, after) || before.Mode() != after.Mode() {
				t.Errorf("%s (force %v): changed", tc.path, opt.Force)
			}
		}
	}
	// A trailing slash does not make the link a folder; "." and ".." are not folder names.
	if err := Write(link+"/", markedCase(t, 1), WriteOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("%s/: %v", link, err)
	}
	for _, d := range []string{".", "..", "/"} {
		if err := Write(d, markedCase(t, 1), WriteOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "names no folder") {
			t.Errorf("%s: %v", d, err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "data" {
		t.Errorf("the regular file now holds %q", b)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 0 {
		t.Errorf("wrote through the link into %s", target)
	}
	if left := hidden(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestWriteRefusesDevice: as root, export once replaced /dev/full with a
// folder. Only Lstat is compared; nothing is written to the device.
func TestWriteRefusesDevice(t *testing.T) {
	const dev = "/dev/full"
	before, err := os.Lstat(dev)
	if err != nil {
		t.Skipf("%s: %v", dev, err)
	}
	for _, opt := range []WriteOptions{{}, {Force: true}} {
		err := Write(dev, markedCase(t, 1), opt)
		if err == nil || !strings.Contains(err.Error(), "a character device, not a folder") {
			t.Errorf("force %v: %v", opt.Force, err)
		}
		after, err := os.Lstat(dev)
		if err != nil || !os.SameFile(before, after) || before.Mode() != after.Mode() {
			t.Fatalf("force %v: %s changed: %v", opt.Force, dev, err)
		}
	}
	if left, _ := filepath.Glob("/dev/.full.tmp-*"); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestWriteFillsEmptyFolderAndForceReplacesCase(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "case")
	must(t, os.Mkdir(dir, 0o755))
	must(t, Write(dir, markedCase(t, 1), WriteOptions{}))
	err := Write(dir, markedCase(t, 2), WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "force") {
		t.Errorf("second write without force: %v", err)
	}
	if c, err := Load(dir); err != nil || c.In.X[0] != 1 {
		t.Fatalf("the refused write changed the case: %v", err)
	}
	must(t, Write(dir, markedCase(t, 2), WriteOptions{Force: true}))
	c, err := Load(dir)
	must(t, err)
	if k, err := marker(c); err != nil || k != 2 {
		t.Errorf("after force: marker %v, %v; want 2", k, err)
	}
	if left := hidden(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestWriteFallbackWithoutExchange: where folders cannot be exchanged, the
// two-rename fallback still replaces the case and leaves nothing behind.
func TestWriteFallbackWithoutExchange(t *testing.T) {
	defer func(s func(a, b string) error) { swap = s }(swap)
	swap = func(a, b string) error {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: errExchangeUnsupported}
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "case")
	must(t, Write(dir, markedCase(t, 1), WriteOptions{}))
	must(t, Write(dir, markedCase(t, 3), WriteOptions{Force: true}))
	c, err := Load(dir)
	must(t, err)
	if k, err := marker(c); err != nil || k != 3 {
		t.Errorf("marker %v, %v; want 3", k, err)
	}
	if left := hidden(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestWriteInterrupted: an interrupt (the signal handler calls
// atomicfile.RemoveTemporaries) while the new case is complete but not yet in
// place removes the temporary; the old case stays whole.
func TestWriteInterrupted(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "case")
	must(t, Write(dir, markedCase(t, 1), WriteOptions{}))
	defer func() { testHookBeforeSwap = nil }()
	testHookBeforeSwap = func(tmp string) {
		if _, err := os.Stat(filepath.Join(tmp, "y.npy")); err != nil {
			t.Errorf("the hook ran before the case was complete: %v", err)
		}
		atomicfile.RemoveTemporaries()
	}
	if err := Write(dir, markedCase(t, 2), WriteOptions{Force: true}); err == nil {
		t.Error("a write whose temporary was removed succeeded")
	}
	if err := Write(filepath.Join(parent, "fresh"), markedCase(t, 2), WriteOptions{}); err == nil {
		t.Error("a fresh write whose temporary was removed succeeded")
	}
	if left := hidden(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	c, err := Load(dir)
	must(t, err)
	if k, err := marker(c); err != nil || k != 1 {
		t.Errorf("old case: marker %v, %v; want 1", k, err)
	}
	if _, err := os.Stat(filepath.Join(parent, "fresh")); !os.IsNotExist(err) {
		t.Errorf("fresh: %v", err)
	}
}

// TestConcurrentReadersSeeWholeCases: while one goroutine replaces a case
// over and over (each write with its own marker value), loads in another
// always see one write's values, never a mix, and never fail.
func TestConcurrentReadersSeeWholeCases(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "case")
	must(t, Write(dir, markedCase(t, 1), WriteOptions{}))
	cases := make([]Case, 16)
	for i := range cases {
		cases[i] = markedCase(t, float64(i+1))
	}
	var stop atomic.Bool
	var writes, loads atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; !stop.Load(); i++ {
			if err := Write(dir, cases[i%len(cases)], WriteOptions{Force: true}); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			writes.Add(1)
		}
	}()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		c, err := Load(dir)
		if err != nil {
			t.Errorf("load during writes: %v", err)
			break
		}
		if _, err := marker(c); err != nil {
			t.Errorf("load %d: %v", loads.Load(), err)
			break
		}
		loads.Add(1)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d writes, %d loads", writes.Load(), loads.Load())
	if writes.Load() < 5 || loads.Load() < 5 {
		t.Errorf("too little overlap to mean anything: %d writes, %d loads", writes.Load(), loads.Load())
	}
	if left := hidden(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
