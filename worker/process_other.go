//go:build !unix

package worker

import (
	"fmt"
	"os/exec"
)

var shell = []string{"cmd", "/c"}

func setGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func describeExit(ee *exec.ExitError) string {
	return fmt.Sprintf("exited with status %d", ee.ExitCode())
}
