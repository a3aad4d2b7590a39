// Package atomicfile writes files so that a reader, or a run killed at any
// instant, sees the old file whole or the new one whole, never a mix.
//
// Every write goes to a hidden temporary beside the target (".NAME.tmp-…",
// so loaders that skip dot-names never pick one up), is synced, renamed over
// the target, and the directory is synced so the rename itself is durable.
// Temporaries still open are recorded so that a SIGINT or SIGTERM handler can
// remove them (ExitCleanup); after a SIGKILL a hidden one may remain,
// which is why the names start with a dot.
//
// Only regular files are ever replaced: a target that is a directory, a
// device, a FIFO or a socket is refused, so no flag value can turn a write
// into the destruction of something else.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/convverify/convverify/internal/boundedread"
)

// live is every temporary file or folder created and not yet renamed into
// place or removed. closed is set by ExitCleanup: the process is about to
// exit, and no temporary may be created after it looked.
var (
	mu     sync.Mutex
	live   = map[string]bool{}
	closed bool
)

// errClosed is what a temporary's creation returns once ExitCleanup ran.
var errClosed = errors.New("atomicfile: exiting, no new temporaries")

// newTemp runs create (which makes a temporary and returns its path) and
// records the path, both under mu: a signal handler's ExitCleanup either
// sees the temporary or runs before it exists, in which case create is
// never called. (Creating and then recording had a window in
// which an interrupt left a temporary behind.)
func newTemp(create func() (string, error)) error {
	mu.Lock()
	defer mu.Unlock()
	if closed {
		return errClosed
	}
	p, err := create()
	if err == nil {
		live[p] = true
	}
	return err
}

func untrack(path string) { mu.Lock(); delete(live, path); mu.Unlock() }

// Locked runs move, which renames a recorded temporary folder (into place,
// or exchanging it with the folder it replaces), while no removal of
// temporaries can run, and not at all once ExitCleanup has (errClosed).
// Without it an interrupt's os.RemoveAll of the temporary could overlap the
// rename: RemoveAll deletes entries through the folder's open descriptor,
// so it would go on emptying the folder at its new name, the new case, and
// then, its retry finding the old name taken again, the old case too.
// move must not call this package (mu is held).
func Locked(move func() error) error {
	mu.Lock()
	defer mu.Unlock()
	if closed {
		return errClosed
	}
	return move()
}

// RemoveTemporaries removes every temporary this process created and has not
// committed or aborted. The program may still be writing into a temporary
// folder meanwhile (a golden case's files): os.RemoveAll then fails, or
// leaves the folder when a file appears between its listing and its rmdir,
// so each removal is retried until the path is gone; the writes fail once
// the folder is.
func RemoveTemporaries() {
	mu.Lock()
	defer mu.Unlock()
	removeLive()
}

// ExitCleanup is RemoveTemporaries for a process about to exit (a signal
// handler, a timeout): it also refuses every temporary from then on, so
// that none is created between the removal and the exit.
func ExitCleanup() {
	mu.Lock()
	defer mu.Unlock()
	closed = true
	removeLive()
}

// removeLive removes the live temporaries; mu is held.
func removeLive() {
	for p := range live {
		for try := 0; try < 100; try++ {
			os.RemoveAll(p)
			if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
				break
			}
		}
		delete(live, p)
	}
}

// TempPrefix is how every temporary's name starts: a dot, the target's base
// name, and ".tmp-".
func TempPrefix(target string) string { return "." + filepath.Base(filepath.Clean(target)) + ".tmp-" }

// IsTemporary reports whether name (a base name) looks like one of our
// temporaries or any other hidden entry: loaders skip these.
func IsTemporary(name string) bool { return strings.HasPrefix(name, ".") }

// CheckTarget returns an error if path exists and is not a regular file: we
// replace regular files only.
func CheckTarget(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		// Follow a link to see what it names; the rename replaces the link itself.
		if st, err = os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: exists and is not a regular file (%s); refusing to replace it", path, boundedread.Kind(st.Mode()))
	}
	return nil
}

// File is a temporary file that becomes the target on Commit.
type File struct {
	*os.File
	target string
	mode   fs.FileMode
	done   bool
}

// Create starts a write of path. The directory must exist. Write to the
// returned File, then Commit; Abort (safe to defer) discards it.
func Create(path string) (*File, error) {
	if err := CheckTarget(path); err != nil {
		return nil, err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	var f *os.File
	err := newTemp(func() (string, error) {
		var err error
		f, err = os.CreateTemp(filepath.Dir(path), TempPrefix(path)+"*")
		if err != nil {
			return "", err
		}
		return f.Name(), nil
	})
	if err != nil {
		return nil, err
	}
	return &File{File: f, target: path, mode: mode}, nil
}

// Commit syncs the temporary, renames it over the target and syncs the
// directory. On any error the temporary is removed and the target untouched.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: Commit after Commit or Abort")
	}
	f.done = true
	tmp := f.File.Name()
	defer untrack(tmp)
	err := f.File.Chmod(f.mode)
	if err == nil {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Check again: something may have appeared at the target meanwhile.
		err = CheckTarget(f.target)
	}
	if err == nil {
		err = os.Rename(tmp, f.target)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(f.target))
}

// Abort discards the temporary. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	tmp := f.File.Name()
	f.File.Close()
	os.Remove(tmp)
	untrack(tmp)
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write creates path atomically with what fill writes.
func Write(path string, fill func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return err
	}
	return f.Commit()
}

// MkdirTemp creates a hidden temporary folder beside target, recorded for
// RemoveTemporaries until Forget or RemoveTemp.
func MkdirTemp(target string) (string, error) {
	parent := filepath.Dir(filepath.Clean(target))
	var d string
	err := newTemp(func() (string, error) {
		var err error
		d, err = os.MkdirTemp(parent, TempPrefix(target))
		return d, err
	})
	if err != nil {
		return "", err
	}
	return d, nil
}

// Forget stops tracking a temporary that has been renamed into place.
func Forget(path string) { untrack(path) }

// RemoveTemp removes a temporary this process created, and stops tracking it.
func RemoveTemp(path string) error {
	err := os.RemoveAll(path)
	untrack(path)
	return err
}

// SyncDir syncs a folder, so a rename inside it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		// Some file systems refuse fsync on a folder (EINVAL); the rename is
		// still atomic there, only its durability is the file system's.
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			return err
		}
	}
	return nil
}

// SyncFile writes data to path (a new file in a temporary folder) and syncs it.
func SyncFile(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
