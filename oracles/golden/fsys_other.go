//go:build !unix

package golden

import (
	"io/fs"
	"os"
	"path/filepath"
)

// On systems without openat the folder is read by path: a load there is not
// protected against a swap of the folder mid-load beyond the identity check
// LoadGoldenFormat makes. FIFOs and device links, which could block or never
// end, are a Unix matter; the opened file's type is still checked.

func openDir(path string) (*os.File, error) { return os.Open(path) }

func openAt(dir *os.File, name, display string) (*os.File, error) {
	return os.Open(filepath.Join(dir.Name(), name))
}

func statAt(dir *os.File, name, display string, follow bool) (fs.FileMode, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	st, err := stat(filepath.Join(dir.Name(), name))
	if err != nil {
		return 0, err
	}
	return st.Mode().Type(), nil
}
