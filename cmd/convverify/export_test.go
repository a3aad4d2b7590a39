package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convverify/convverify/oracles/golden"
)

const smallDesc = "mb1ic2ih5oc2oh5kh3ph1"

// TestExportNeverDeletes: export refuses a DIR that is a non-empty folder
// (without --force), a folder that is not a golden case (even with
// --force), a regular file and a device, and leaves each as it was.
func TestExportNeverDeletes(t *testing.T) {
	parent := t.TempDir()
	other := filepath.Join(parent, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(other, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, want string
	}{
		{other, "not empty"},
		{file, "not a folder"},
	} {
		for _, force := range []bool{false, true} {
			args := []string{"export", smallDesc, tc.dir}
			if force {
				args = append(args, "--force")
			}
			code, out := runCLI(t, args...)
			if code != exitResource || !strings.Contains(out, tc.dir) || !strings.Contains(out, "refusing") {
				t.Errorf("%v: exit %d, want %d and a refusal naming the path:\n%s", args, code, exitResource, out)
			}
			if force && tc.dir == other && !strings.Contains(out, "not a golden case") {
				t.Errorf("%v: does not say why force does not apply:\n%s", args, out)
			}
		}
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
		t.Errorf("notes.txt: %q, %v", b, err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "data" {
		t.Errorf("file: %q, %v", b, err)
	}
	if left, _ := filepath.Glob(filepath.Join(parent, ".*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// A device: compare Lstat only, never write to it.
	if before, err := os.Lstat("/dev/full"); err == nil {
		code, out := runCLI(t, "export", smallDesc, "/dev/full", "--force")
		after, err := os.Lstat("/dev/full")
		if code != exitResource || err != nil || !os.SameFile(before, after) || before.Mode() != after.Mode() {
			t.Errorf("export over /dev/full: exit %d, %v:\n%s", code, err, out)
		}
	}
}

// TestExportForceReplacesCase: a second export into the same DIR needs
// --force, and then replaces the case whole.
func TestExportForceReplacesCase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cases", "c")
	if code, out := runCLI(t, "export", smallDesc, dir, "--seed", "1"); code != 0 {
		t.Fatalf("first export: exit %d:\n%s", code, out)
	}
	first, err := golden.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, "export", smallDesc, dir, "--seed", "2"); code != exitResource || !strings.Contains(out, "--force") && !strings.Contains(out, "force") {
		t.Errorf("second export without --force: exit %d:\n%s", code, out)
	}
	if code, out := runCLI(t, "export", smallDesc, dir, "--seed", "2", "--force"); code != 0 {
		t.Fatalf("export --force: exit %d:\n%s", code, out)
	}
	second, err := golden.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if second.In.X[0] == first.In.X[0] && second.Want.Data[0] == first.Want.Data[0] {
		t.Error("--force did not replace the case (same values for seeds 1 and 2)")
	}
	if code, out := runCLI(t, "check", "--golden", filepath.Dir(dir)); code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("check after the replace: exit %d:\n%s", code, out)
	}
}

// TestExportRefusesBeforeComputing: a DIR that cannot be written is refused
// before the reference runs, not after minutes of it.
func TestExportRefusesBeforeComputing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// About 10¹⁰ multiply-adds: the reference would take many seconds.
	code, out := runCLI(t, "export", "mb8ic128ih64oc128oh64kh3ph1", dir)
	if code != exitResource || time.Since(start) > 3*time.Second {
		t.Errorf("exit %d after %v, want a prompt refusal:\n%s", code, time.Since(start), out)
	}
}
