// Package boundedread reads files from outside without trusting them: only
// regular files (a FIFO would block forever, /dev/zero never ends), and never
// more than a stated limit.
package boundedread

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Open opens path for reading if it is a regular file (after following
// links). It opens without blocking, so a FIFO cannot hang the caller, and
// checks the opened file itself, so a swap between check and open cannot
// slip a device in.
func Open(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file (%s); only regular files are read", path, kind(st.Mode()))
	}
	// Regular files ignore O_NONBLOCK for reads; clear it anyway so later
	// reads behave as plain reads.
	syscall.SetNonblock(int(f.Fd()), false)
	return f, st, nil
}

// ReadFile reads a regular file of at most limit bytes; a longer one is an
// error naming the file and both sizes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d this file may hold", path, st.Size(), limit)
	}
	// The size may change while we read: read at most limit+1 bytes and
	// refuse if the extra byte arrived.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: grew past the %d bytes this file may hold while it was read", path, limit)
	}
	return b, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "type " + m.Type().String()
}
