//go:build unix

package worker

import (
	"fmt"
	"os/exec"
	"syscall"
)

var shell = []string{"/bin/sh", "-c"}

func setGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
	}
}

func describeExit(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("killed by signal %v", ws.Signal())
	}
	if c := ee.ExitCode(); c > 128 && c < 128+65 {
		// The shell reports a command killed by signal n as status 128+n.
		return fmt.Sprintf("exited with status %d (killed by signal %d?)", c, c-128)
	}
	return fmt.Sprintf("exited with status %d", ee.ExitCode())
}
