// Package boundedread reads files from outside without trusting them: only
// regular files (a FIFO would block forever, /dev/zero never ends), and never
// more than a stated limit. It is the one place that decides what may be read;
// oracles/golden reads folder-relative through CheckOpened, and atomicfile
// names what it refuses to replace with Kind.
package boundedread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by every refusal to read something that is not a
// regular file (a folder, a device, a FIFO, a socket).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by every refusal to read a file longer than it may be.
var ErrTooLarge = errors.New("file too large")

// Kind names a file's type for messages: "a folder", "a FIFO", ….
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "type " + m.Type().String()
}

// NotRegular is the error for a path that is not a regular file.
func NotRegular(path string, m fs.FileMode) error {
	return fmt.Errorf("%s: %w (%s); only regular files are read", path, ErrNotRegular, Kind(m))
}

// CheckOpened returns f's size, or closes f and returns an error unless it is
// a regular file. The check is on the opened file itself, so a swap between
// an earlier stat and the open cannot slip a device in.
func CheckOpened(f *os.File, path string) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return 0, NotRegular(path, st.Mode())
	}
	return st.Size(), nil
}

// Open opens path for reading if it is a regular file (after following
// links): it stats first, so a device is never even opened; opens without
// blocking, so a FIFO swapped in meanwhile cannot hang the caller; and checks
// the opened file with CheckOpened.
func Open(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, NotRegular(path, st.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if _, err := CheckOpened(f, path); err != nil {
		return nil, err
	}
	return f, nil
}

// ReadFile reads a regular file of at most limit bytes; a longer one is an
// error naming the file and both sizes.
func ReadFile(path string, limit int64) ([]byte, error) {
	return ReadLimited(path, limit, "this file may hold")
}

// ReadLimited is ReadFile with the limit's reason in the message.
func ReadLimited(path string, limit int64, why string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	return ReadOpened(f, path, limit, why)
}

// ReadOpened checks and reads an opened file whole, refusing more than limit
// bytes, and closes it.
func ReadOpened(f *os.File, path string, limit int64, why string) ([]byte, error) {
	size, err := CheckOpened(f, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than the %d %s", path, ErrTooLarge, size, limit, why)
	}
	// The size may change while we read: read at most limit+1 bytes and
	// refuse if the extra byte arrived.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: grew past the %d bytes %s while it was read", path, ErrTooLarge, limit, why)
	}
	return b, nil
}
