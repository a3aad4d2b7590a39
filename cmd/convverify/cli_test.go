package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelpNamesPositionalArguments: help CMD and CMD -h print the synopsis
// with the positional arguments, the flags and the exit statuses, and exit 0.
func TestHelpNamesPositionalArguments(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}, {c.name, "--help"}} {
			code, out := runCLI(t, args...)
			if code != 0 {
				t.Errorf("%v: exit %d", args, code)
			}
			first := strings.SplitN(c.synopsis, "\n", 2)[0]
			for _, want := range []string{"usage: convverify " + first, "flags:", "exit status:", "--timeout"} {
				if !strings.Contains(out, want) {
					t.Errorf("%v: output lacks %q:\n%s", args, want, out)
				}
			}
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}} {
		code, out := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "export DESCRIPTOR DIR") || !strings.Contains(out, "3  an I/O or resource error") {
			t.Errorf("%v: exit %d:\n%s", args, code, out)
		}
	}
	if code, out := runCLI(t, "help", "nonsense"); code != exitUsage || !strings.Contains(out, `unknown command "nonsense"`) {
		t.Errorf("help nonsense: exit %d: %s", code, out)
	}
}

func TestVersion(t *testing.T) {
	code, out := runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "convverify ") || !strings.Contains(out, "module github.com/convverify/convverify") || !strings.Contains(out, "commit") {
		t.Errorf("--version: exit %d: %q", code, out)
	}
}

// TestExitStatusMeansOneThing: 0 passed, 1 failed, 2 usage, 3 I/O or
// resource; and every error line carries one prefix.
func TestExitStatusMeansOneThing(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code int
		args []string
		want string
	}{
		{exitOK, []string{"describe", "ic4ih5oc4kh3"}, "ic4"},
		{exitUsage, []string{"describe", "ic4ih5oc6kh3g4"}, "oc"},
		{exitUsage, []string{"describe", "--bogus", "ic4ih5oc4kh3"}, "bogus"},
		{exitUsage, []string{"describe", "--op", "dynamic", "--routing", "sigmoid", "--temperature", "2", "ic4ih5oc4kh3"}, "--temperature: has no effect"},
		{exitUsage, []string{"describe", "--op", "dynamic", "--temperature", "0", "ic4ih5oc4kh3"}, "--temperature"},
		{exitUsage, []string{"describe", "--op", "dynamic", "--temperature", "NaN", "ic4ih5oc4kh3"}, "--temperature"},
		{exitUsage, []string{"describe", "--op", "dynamic", "--temperature", "+Inf", "ic4ih5oc4kh3"}, "--temperature"},
		{exitUsage, []string{"check", "--budget", "-1", "ic4ih5oc4kh3"}, "--budget"},
		{exitUsage, []string{"check", "--timeout", "soon", "ic4ih5oc4kh3"}, "--timeout"},
		{exitUsage, []string{"nonsense"}, "unknown command"},
		{exitUsage, []string{"check", "--list", "extra"}, `takes no arguments, got "extra"`},
		{exitUsage, []string{"check", "--list", "--seed", "3"}, "--seed: has no effect with --list"},
		{exitUsage, []string{"check", "--golden", "--seed", "3", "../../testdata/golden"}, "--seed: has no effect with --golden"},
		{exitUsage, []string{"check", "--golden", "--op", "deconv", "../../testdata/golden"}, "--op: has no effect with --golden"},
		{exitUsage, []string{"check", "--golden", "--budget", "-1", "../../testdata/golden"}, "--budget"},
		{exitUsage, []string{"describe", "--budget", "100", "ic4ih5oc4kh3"}, "--budget: has no effect on describe"},
		{exitResource, []string{"describe", filepath.Join(dir, "missing", "shapes_x")}, "shapes_x"},
		{exitResource, []string{"describe", fifo}, "not a regular file"},
		{exitResource, []string{"check", "mb1ic1iw4294967311oc1ow4294967311kw1"}, "memory"},
	} {
		done := make(chan struct{})
		var code int
		var out string
		go func() { defer close(done); code, out = runCLI(t, tc.args...) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%v: still running after 20 s", tc.args)
		}
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d, and output naming %q:\n%s", tc.args, code, tc.code, tc.want, out)
		}
		if strings.Contains(out, "convverify "+tc.args[0]+": "+tc.args[0]) || strings.Contains(out, ": "+tc.args[0]+": ") {
			t.Errorf("%v: more than one prefix: %s", tc.args, out)
		}
	}
}

// TestTimeoutNamesTheStage runs a check that takes seconds under a short
// --timeout in a child process (the timeout exits the process).
func TestTimeoutNamesTheStage(t *testing.T) {
	cmd, out := startCLI(t, t.TempDir(), "check", "mb2ic64ih56oc64oh56kh3ph1", "--timeout", "300ms")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != exitResource || !strings.Contains(out.String(), "timeout: 300ms passed during stage") || strings.Contains(out.String(), `"start-up"`) {
			t.Errorf("exit %v, want status %d and the stage named:\n%s", err, exitResource, out)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("--timeout 300ms did not stop the run within a minute")
	}
}

// TestShapeFileReadAsWrongOpWarns: a file under a deconv/ folder read as conv.
func TestShapeFileReadAsWrongOpWarns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deconv")
	os.Mkdir(dir, 0o755)
	f := filepath.Join(dir, "shapes_x")
	os.WriteFile(f, []byte("mb1ic8ih4oc4oh8kh4sh2ph1\n"), 0o644)
	code, out := runCLI(t, "describe", f)
	if code != 0 || !strings.Contains(out, "warning: "+f) || !strings.Contains(out, "--op deconv") {
		t.Errorf("exit %d, want a warning naming the file and --op deconv:\n%s", code, out)
	}
	if code, out := runCLI(t, "describe", "--op", "deconv", f); code != 0 || strings.Contains(out, "warning") {
		t.Errorf("with --op deconv: exit %d:\n%s", code, out)
	}
}
