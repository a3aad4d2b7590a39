package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteReplacesWholeAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new contents")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "new contents" {
		t.Fatalf("got %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old file's 0600 kept", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d entries, want only out.txt", len(ents))
	}
}

func TestFailedFillKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	os.WriteFile(p, []byte("old"), 0o644)
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error { w.Write([]byte("half")); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("old file changed to %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary left behind: %v", ents)
	}
}

// TestRefusesNonRegularTargets: a folder, a device or a FIFO is never replaced.
func TestRefusesNonRegularTargets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "keep"), []byte("x"), 0o644)
	for _, target := range []string{fifo, sub, "/dev/null", "/dev/full"} {
		if _, err := os.Lstat(target); err != nil {
			continue
		}
		err := WriteFile(target, []byte("y"))
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: err %v, want a refusal", target, err)
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fifo damaged: %v %v", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(sub, "keep")); err != nil || string(b) != "x" {
		t.Errorf("folder content damaged: %q %v", b, err)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeDevice == 0 {
		t.Errorf("/dev/null damaged: %v %v", st, err)
	}
}

func TestRemoveTemporaries(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := MkdirTemp(filepath.Join(dir, "case"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.Name(), d} {
		if !IsTemporary(filepath.Base(p)) {
			t.Errorf("%s: temporary is not hidden", p)
		}
	}
	RemoveTemporaries()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left: %v", ents)
	}
	f.Abort()
}

// TestExitCleanupRacesWriters: a signal handler's ExitCleanup
// while the program is still filling a temporary folder removes it whole
// (the writer's new files do not keep it alive), and from then on no
// temporary can be created: nothing is left behind for an interrupt.
func TestExitCleanupRacesWriters(t *testing.T) {
	defer func() { mu.Lock(); closed = false; mu.Unlock() }()
	dir := t.TempDir()
	d, err := MkdirTemp(filepath.Join(dir, "case"))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// as a golden writer fills its case folder; fails once it is gone
			os.WriteFile(filepath.Join(d, fmt.Sprintf("t%d.npy", i)), []byte("x"), 0o644)
		}
	}()
	time.Sleep(5 * time.Millisecond)
	ExitCleanup()
	if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary folder still there after ExitCleanup: %v", err)
	}
	close(stop)
	<-done
	if _, err := Create(filepath.Join(dir, "late")); !errors.Is(err, errClosed) {
		t.Errorf("Create after ExitCleanup: %v, want errClosed", err)
	}
	if _, err := MkdirTemp(filepath.Join(dir, "late2")); !errors.Is(err, errClosed) {
		t.Errorf("MkdirTemp after ExitCleanup: %v, want errClosed", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporaries left: %v", left)
	}
	ran := false
	if err := Locked(func() error { ran = true; return nil }); !errors.Is(err, errClosed) || ran {
		t.Errorf("Locked after ExitCleanup: %v, ran %v; want errClosed without running", err, ran)
	}
}

// TestLockedExcludesExitCleanup: an ExitCleanup that starts while a
// rename runs under Locked waits for it, and then removes the temporary
// at its recorded name only: the folder renamed into place survives whole.
func TestLockedExcludesExitCleanup(t *testing.T) {
	defer func() { mu.Lock(); closed = false; mu.Unlock() }()
	dir := t.TempDir()
	target := filepath.Join(dir, "case")
	tmp, err := MkdirTemp(target)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "y.npy"), []byte("new"), 0o644)
	cleaned := make(chan struct{})
	err = Locked(func() error {
		go func() { ExitCleanup(); close(cleaned) }()
		time.Sleep(20 * time.Millisecond) // ExitCleanup is waiting for mu now
		return os.Rename(tmp, target)
	})
	if err != nil {
		t.Fatal(err)
	}
	<-cleaned
	if b, err := os.ReadFile(filepath.Join(target, "y.npy")); err != nil || string(b) != "new" {
		t.Errorf("the folder renamed into place: %q, %v; want it whole", b, err)
	}
}
