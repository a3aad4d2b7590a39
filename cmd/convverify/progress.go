package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/convverify/convverify/internal/atomicfile"
)

// The stage now running: --timeout's message names it, and on a terminal
// it is shown as progress on stderr.
var (
	stageMu    sync.Mutex
	stageName  string
	stageCmd   string
	stageStart time.Time
)

// stage records that cmd entered stage s (for example "reference" or
// "variant im2col-gemm") and, when stderr is a terminal, prints it.
func stage(cmd, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	stageMu.Lock()
	stageName, stageCmd = s, cmd
	if stageStart.IsZero() {
		stageStart = time.Now()
	}
	elapsed := time.Since(stageStart)
	stageMu.Unlock()
	if stderrIsTerminal() {
		fmt.Fprintf(stderr, "\r\033[K%s: %s (%.1fs)", cmd, s, elapsed.Seconds())
	}
}

// endStages clears the progress line on a terminal.
func endStages() {
	if stderrIsTerminal() {
		fmt.Fprint(stderr, "\r\033[K")
	}
}

// currentStage is the last stage recorded, or "" before any.
func currentStage() string {
	stageMu.Lock()
	defer stageMu.Unlock()
	return stageName
}

// stderrIsTerminal reports whether progress lines would reach a person.
func stderrIsTerminal() bool {
	if stderr != os.Stderr {
		return false
	}
	_, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
	return err == nil
}

// exitNow removes every temporary this run created and exits: nothing half
// written stays behind after an interrupt or a timeout.
var exitNow = func(code int) {
	atomicfile.ExitCleanup()
	os.Exit(code)
}

// handleSignals makes SIGINT and SIGTERM remove our temporaries before the
// process dies with the conventional status 128+signal.
func handleSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-ch
		n := 2
		if sig == syscall.SIGTERM {
			n = 15
		}
		exitNow(128 + n)
	}()
}

// startTimeout arms --timeout: when d passes, the run stops with exit status
// 3 and a message naming the stage that was running. d = 0 disarms it.
func startTimeout(cmd string, d time.Duration) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	t := time.AfterFunc(d, func() {
		s := currentStage()
		if s == "" {
			s = "start-up"
		}
		endStages()
		fmt.Fprintf(stderr, "convverify %s: timeout: %v passed during stage %q\n", cmd, d, s)
		exitNow(exitResource)
	})
	return func() { t.Stop() }
}
