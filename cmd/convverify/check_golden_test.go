package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convverify/convverify/oracles/golden"
)

// exportTo writes a small case into dir with export.
func exportTo(t *testing.T, dir string, seed int) {
	t.Helper()
	if code, out := runCLI(t, "export", smallDesc, dir, "--seed", fmt.Sprint(seed)); code != 0 {
		t.Fatalf("export %s: exit %d:\n%s", dir, code, out)
	}
}

// TestCheckGoldenByFolder: two folders with the same problem are told apart
// by their paths, and a hidden temporary beside them (what an export killed
// by SIGKILL leaves, here with an empty w.npy) is skipped.
func TestCheckGoldenByFolder(t *testing.T) {
	parent := t.TempDir()
	exportTo(t, filepath.Join(parent, "a"), 1)
	exportTo(t, filepath.Join(parent, "b"), 2)
	tmp := filepath.Join(parent, ".foo.tmp-123")
	exportTo(t, tmp, 3)
	if err := os.WriteFile(filepath.Join(tmp, "w.npy"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "check", "--golden", parent)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed") {
		t.Fatalf("exit %d, want 2 cases passed:\n%s", code, out)
	}
	for _, want := range []string{filepath.Join(parent, "a") + " ", filepath.Join(parent, "b") + " "} {
		if !strings.Contains(out, "ok    "+want) {
			t.Errorf("no line for %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, ".foo") {
		t.Errorf("the hidden temporary was loaded:\n%s", out)
	}
}

// TestCheckGoldenBlamesBadGoldenOnce: a wrong y.npy fails the case once,
// naming the file as the suspect, with the golden value under exp; the
// variants are judged against the reference and none is blamed.
func TestCheckGoldenBlamesBadGoldenOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bad")
	exportTo(t, dir, 1)
	c, err := golden.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Want.Data[3] = float64(float32(c.Want.Data[3] + 1000))
	if err := golden.Write(dir, c, golden.WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "check", "--golden", dir)
	if code != exitFailed {
		t.Errorf("exit %d, want %d:\n%s", code, exitFailed, out)
	}
	suspect := filepath.Join(dir, "y.npy") + " disagrees with the reference"
	if n := strings.Count(out, suspect); n != 1 {
		t.Errorf("%q said %d times, want once:\n%s", suspect, n, out)
	}
	if !strings.Contains(out, fmt.Sprintf("exp %.9g got", c.Want.Data[3])) {
		t.Errorf("the golden value %.9g is not in the exp column:\n%s", c.Want.Data[3], out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "FAIL  variant") {
			t.Errorf("a variant is blamed for the bad golden file: %s", l)
		}
	}
	if !strings.Contains(out, "1 failed") {
		t.Errorf("want one failed case:\n%s", out)
	}
}

// TestCheckGoldenBadInputs: an unknown case.json field is bad input (exit
// 2) naming the field and the known ones; an x.npy linked to /dev/zero is
// refused promptly as an unreadable file (exit 3).
func TestCheckGoldenBadInputs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	exportTo(t, dir, 1)
	cj := filepath.Join(dir, "case.json")
	b, err := os.ReadFile(cj)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cj, []byte(strings.Replace(string(b), "{", `{"dtype": "bf16",`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "check", "--golden", dir)
	if code != exitUsage || !strings.Contains(out, cj) || !strings.Contains(out, `"dtype"`) || !strings.Contains(out, "known fields: op, problem, routing, temperature, dir, name, source") {
		t.Errorf("dtype field: exit %d, want %d naming the field and the known ones:\n%s", code, exitUsage, out)
	}
	if err := os.WriteFile(cj, b, 0o644); err != nil {
		t.Fatal(err)
	}
	x := filepath.Join(dir, "x.npy")
	if err := os.Remove(x); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", x); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		code, out = runCLI(t, "check", "--golden", dir)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("check --golden still reading x.npy -> /dev/zero after 10 s")
	}
	if code != exitResource || !strings.Contains(out, x) || !strings.Contains(out, "not a regular file") {
		t.Errorf("x.npy -> /dev/zero: exit %d, want %d naming the file:\n%s", code, exitResource, out)
	}
}
