//go:build unix

package golden

import (
	"io/fs"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// openDir opens a folder without blocking: O_DIRECTORY makes the open fail
// with ENOTDIR before a FIFO's open could wait for a writer.
func openDir(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openAt opens name inside the open folder dir for reading, following a
// symbolic link wherever it points (a case may link its tensors from a
// shared store). O_NONBLOCK keeps a FIFO from blocking the open; the caller
// checks the opened file's type. display is the path used in messages.
func openAt(dir *os.File, name, display string) (*os.File, error) {
	sc, err := dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var oerr error
	if err := sc.Control(func(dfd uintptr) {
		fd, oerr = unix.Openat(int(dfd), name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	runtime.KeepAlive(dir)
	if oerr != nil {
		return nil, &fs.PathError{Op: "open", Path: display, Err: oerr}
	}
	return os.NewFile(uintptr(fd), display), nil
}

// statAt returns the mode of name inside dir, following a symbolic link
// when follow is set; a missing name gives an error wrapping fs.ErrNotExist.
func statAt(dir *os.File, name, display string, follow bool) (fs.FileMode, error) {
	sc, err := dir.SyscallConn()
	if err != nil {
		return 0, err
	}
	flags := unix.AT_SYMLINK_NOFOLLOW
	if follow {
		flags = 0
	}
	var st unix.Stat_t
	var serr error
	if err := sc.Control(func(dfd uintptr) { serr = unix.Fstatat(int(dfd), name, &st, flags) }); err != nil {
		return 0, err
	}
	runtime.KeepAlive(dir)
	if serr != nil {
		return 0, &fs.PathError{Op: "stat", Path: display, Err: serr}
	}
	return modeOf(uint32(st.Mode)), nil
}

// modeOf turns a stat mode into the file type bits of an fs.FileMode.
func modeOf(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	}
	return 0
}
