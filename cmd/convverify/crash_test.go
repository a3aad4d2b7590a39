package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convverify/convverify/perf"
)

// TestMain lets the test binary stand in for the command: with
// CONVVERIFY_AS_MAIN=1 it runs main's body on its arguments, so tests can
// start, signal and kill a real process without a separate go build.
func TestMain(m *testing.M) {
	if os.Getenv("CONVVERIFY_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startCLI starts the command in a child process in dir.
func startCLI(t *testing.T, dir string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CONVVERIFY_AS_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// crashTarget is one command whose output must survive being killed at any
// instant: the old file whole or the new one whole.
type crashTarget struct {
	name string
	// setup writes the old output into dir and returns the command line.
	setup func(t *testing.T, dir string) []string
	// run is about how long an uninterrupted run takes, to spread the kills over.
	run time.Duration
	// check returns nil if dir holds the old output whole or a whole new one.
	check func(t *testing.T, dir string) error
}

// TestCrashAtAnyInstant kills report, export and bench -o with SIGINT,
// SIGTERM and SIGKILL at random delays and checks that the outputs are
// whole (old or new), that SIGINT and SIGTERM leave no temporary behind, and
// that what SIGKILL leaves is hidden from every loader.
func TestCrashAtAnyInstant(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills about 20 processes")
	}
	const oldReport = "# old findings, must survive whole\n"
	targets := []crashTarget{
		{
			name: "report",
			setup: func(t *testing.T, dir string) []string {
				os.WriteFile(filepath.Join(dir, "FINDINGS.md"), []byte(oldReport), 0o644)
				return []string{"report", "--checks", "2", "-o", "FINDINGS.md"}
			},
			run: 5 * time.Second,
			check: func(t *testing.T, dir string) error {
				b, err := os.ReadFile(filepath.Join(dir, "FINDINGS.md"))
				if err != nil {
					return err
				}
				// A whole report ends with the property appendix's last row.
				if string(b) != oldReport && !strings.Contains(string(b), "`SeparableMatchesReference`") {
					return fmt.Errorf("FINDINGS.md is neither the old file nor a whole report (%d bytes)", len(b))
				}
				return nil
			},
		},
		{
			name: "export",
			setup: func(t *testing.T, dir string) []string {
				if code, out := runCLI(t, "export", "mb2ic8ih24oc8oh24kh3ph1", filepath.Join(dir, "cases", "c"), "--seed", "1"); code != 0 {
					t.Fatalf("export: exit %d: %s", code, out)
				}
				return []string{"export", "mb2ic8ih24oc8oh24kh3ph1", filepath.Join("cases", "c"), "--seed", "2", "--force"}
			},
			run: 300 * time.Millisecond,
			check: func(t *testing.T, dir string) error {
				// check --golden on the parent must see exactly the one case, whole.
				code, out := runCLI(t, "check", "--golden", filepath.Join(dir, "cases"))
				if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
					return fmt.Errorf("check --golden after the kill: exit %d:\n%s", code, out)
				}
				return nil
			},
		},
		{
			name: "bench",
			setup: func(t *testing.T, dir string) []string {
				os.WriteFile(filepath.Join(dir, "out.txt"), []byte("old bench data\n"), 0o644)
				return append(append([]string{}, tinyBench[:len(tinyBench)-2]...), "--benchtime", "20ms", "--count", "3", "-o", "out.txt")
			},
			run: 2 * time.Second,
			check: func(t *testing.T, dir string) error {
				path := filepath.Join(dir, "out.txt")
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if string(b) == "old bench data\n" {
					return nil
				}
				s, err := perf.ReadFile(path)
				if err != nil {
					return err
				}
				// count 3: three rounds of the layer, and the peak probe three
				// times before and three after.
				want := map[string]int{"Peak": 6, "Conv": 3}
				if len(s.Names) != 2 {
					return fmt.Errorf("out.txt: benchmarks %v, want the peak and one layer: a partial file", s.Names)
				}
				for _, name := range s.Names {
					if n, w := len(s.Values[name]["sec/op"]), want[strings.SplitN(name, "/", 2)[0]]; n != w {
						return fmt.Errorf("out.txt: %s has %d samples, want %d: a partial file", name, n, w)
					}
				}
				return nil
			},
		},
	}
	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			for i, sig := range []syscall.Signal{signals[0], signals[1], signals[2], signals[rng.IntN(3)], signals[rng.IntN(3)]} {
				dir := t.TempDir()
				args := tg.setup(t, dir)
				delay := time.Duration(rng.Int64N(int64(tg.run)))
				cmd, out := startCLI(t, dir, args...)
				time.Sleep(delay)
				cmd.Process.Signal(sig)
				cmd.Wait()
				what := fmt.Sprintf("kill %d: %v after %v", i, sig, delay)
				if err := tg.check(t, dir); err != nil {
					t.Errorf("%s: %v\noutput:\n%s", what, err, out)
				}
				if sig == syscall.SIGKILL {
					continue
				}
				hidden, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp-*"))
				top, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
				if left := append(hidden, top...); len(left) > 0 {
					t.Errorf("%s: temporaries left behind: %v", what, left)
				}
			}
		})
	}
}
