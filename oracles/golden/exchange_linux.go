package golden

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps the entries at a and b (both must exist):
// renameat2 with RENAME_EXCHANGE, so a reader of either path sees the old
// entry or the new one, never neither. It returns an error wrapping
// errExchangeUnsupported where the kernel or file system lacks the flag
// (ENOSYS before Linux 3.15, EINVAL on some file systems).
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: errExchangeUnsupported}
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return nil
}

// renameNoReplace renames a to b and fails if b exists, so a folder that
// appeared at b after our check is never replaced (a plain rename would
// silently replace an empty folder). Where RENAME_NOREPLACE is unsupported it
// falls back to a check and a rename, whose only window is that race.
func renameNoReplace(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		return renameIfAbsent(a, b)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: err}
	}
	return nil
}
