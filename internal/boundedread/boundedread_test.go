package boundedread

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRefusesNonRegularAndOversized(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 100), 0o644)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range []string{fifo, zero, dir} {
			if _, err := ReadFile(p, 1<<20); err == nil || !strings.Contains(err.Error(), "not a regular file") && !strings.Contains(err.Error(), "directory") {
				t.Errorf("%s: err %v, want a refusal", p, err)
			}
		}
		if _, err := ReadFile(big, 99); err == nil || !strings.Contains(err.Error(), "100 bytes") {
			t.Errorf("oversized: err %v", err)
		}
		if b, err := ReadFile(big, 100); err != nil || len(b) != 100 {
			t.Errorf("at the limit: %d bytes, %v", len(b), err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a read blocked (FIFO or device)")
	}
}
