package worker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// process is one running worker: its pipes, a goroutine reading stdout
// lines, one keeping the tail of stderr, and one waiting for the exit.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File
	lines  chan lineOrErr
	quit   chan struct{} // closed by kill: the line reader stops sending
	stderr *tail
	// errDone is closed once stderr reached its end (every writer gone),
	// so that a crash's message holds all the worker wrote before dying.
	errDone chan struct{}
	done    chan struct{} // closed once the process has exited
	exit    error         // cmd.Wait's result, set before done closes
	once    sync.Once
}

type lineOrErr struct {
	line []byte
	err  error
}

// start runs command through the shell (so 'env VAR=1 python3 w.py' and
// quoting work as users expect) in a process group of its own, so that a
// kill reaches anything it started.
func start(command string, dir string, env []string) (*process, error) {
	cmd := exec.Command(shell[0], append(shell[1:], command)...)
	cmd.Dir = dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	setGroup(cmd)
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("starting %q: %w", command, err)
	}
	p := &process{cmd: cmd, stdin: inW, lines: make(chan lineOrErr, 4), quit: make(chan struct{}),
		stderr: &tail{max: stderrTail}, errDone: make(chan struct{}), done: make(chan struct{})}
	go p.readLines(outR)
	go func() {
		io.Copy(p.stderr, errR)
		errR.Close()
		close(p.errDone)
	}()
	go func() {
		p.exit = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// readLines sends stdout line by line until EOF or a line longer than maxLine.
func (p *process) readLines(r *os.File) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 4096)
	send := func(l lineOrErr) bool {
		select {
		case p.lines <- l:
			return true
		case <-p.quit:
			return false
		}
	}
	for {
		var line []byte
		for {
			frag, err := br.ReadSlice('\n')
			line = append(line, frag...)
			if len(line) > maxLine {
				send(lineOrErr{err: fmt.Errorf("a line of more than %d bytes on stdout: %s", maxLine, quoteLine(line))})
				io.Copy(io.Discard, r)
				return
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				if len(line) > 0 {
					err = fmt.Errorf("stdout ended inside a line: %s", quoteLine(line))
				}
				send(lineOrErr{err: err})
				return
			}
			break
		}
		if !send(lineOrErr{line: bytes.TrimRight(line, "\r\n")}) {
			io.Copy(io.Discard, r)
			return
		}
	}
}

// readLine waits up to d for the next stdout line.
func (p *process) readLine(d time.Duration) ([]byte, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case l := <-p.lines:
		return l.line, l.err
	case <-timer.C:
		return nil, errTimeout
	}
}

var errTimeout = errors.New("timeout")

// send writes one line to stdin, failing rather than blocking past d.
func (p *process) send(line []byte, d time.Duration) error {
	_ = p.stdin.SetWriteDeadline(time.Now().Add(d))
	_, err := p.stdin.Write(append(line, '\n'))
	return err
}

// kill stops the process and everything it started, and waits for the exit.
func (p *process) kill() {
	p.once.Do(func() {
		close(p.quit)
		p.stdin.Close()
		killGroup(p.cmd)
	})
	<-p.done
}

// close asks the worker to exit by closing its stdin, and kills it if it
// has not exited after grace.
func (p *process) close(grace time.Duration) {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(grace):
	}
	p.kill()
}

// exited waits up to d for the process to exit and describes how it did.
func (p *process) exited(d time.Duration) (string, bool) {
	select {
	case <-p.done:
	case <-time.After(d):
		return "", false
	}
	if p.exit == nil {
		return "exited with status 0", true
	}
	var ee *exec.ExitError
	if errors.As(p.exit, &ee) {
		return describeExit(ee), true
	}
	return p.exit.Error(), true
}

// crashStderr returns the tail of the worker's stderr for a crash message:
// once the process has exited, it first waits (briefly: a grandchild
// outside the group may hold the pipe) for the copy of stderr to reach its
// end, since the exit can be seen before the last bytes are read.
func (p *process) crashStderr() string {
	select {
	case <-p.done:
		select {
		case <-p.errDone:
		case <-time.After(time.Second):
		}
	default:
	}
	return p.stderr.take()
}

// stderrTail is how much of the worker's stderr is kept for messages.
const stderrTail = 4 << 10

// tail keeps the last max bytes written to it.
type tail struct {
	mu   sync.Mutex
	max  int
	buf  []byte
	lost bool
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
		t.lost = true
	}
	return len(b), nil
}

// take returns what was kept and starts afresh.
func (t *tail) take() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(bytes.ToValidUTF8(t.buf, []byte("?")))
	if t.lost {
		s = "…" + s
	}
	t.buf, t.lost = t.buf[:0], false
	return s
}
