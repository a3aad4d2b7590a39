package golden

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"convverify/conv"
)

// Reads are bounded. A file is read only if it is a regular file (a link to
// one is fine): a FIFO would block forever and /dev/zero never ends. And it is
// read only up to the size its content may have: an .npy up to what its
// header and the problem imply, everything else up to a limit named here.
const (
	// maxNpyHeader is the most of an .npy file read before its shape is
	// known. numpy writes headers of a few hundred bytes; format 1.0 cannot
	// declare more than 64 KiB.
	maxNpyHeader = 64 << 10
	// maxCaseJSON caps case.json: six short fields and a few annotations.
	maxCaseJSON = 1 << 20
	// maxListing caps cases.json and pytorch_cases.json (the committed ones
	// are under 40 KiB).
	maxListing = 16 << 20
	// pbOverhead is what a TensorProto may hold besides its float data:
	// dims, data_type and name.
	pbOverhead = 64 << 10
)

// ErrNotRegular is wrapped by every refusal to read something that is not a
// regular file (a folder, a device, a FIFO, a socket).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by every refusal to read a file longer than it may be.
var ErrTooLarge = errors.New("file too large")

// errExchangeUnsupported: the kernel or file system cannot swap two folders atomically.
var errExchangeUnsupported = errors.New("atomic exchange not supported here")

// LoadOptions bound what a load may read and hold.
type LoadOptions struct {
	// Budget is the memory a case's tensors may take, counted as check holds
	// them (conv.Problem.CheckBudget at 8 bytes per element); it also caps
	// any one file read before the problem is known. 0 means conv.DefaultBudget.
	Budget int64
}

func (o LoadOptions) budget() int64 {
	if o.Budget <= 0 {
		return conv.DefaultBudget
	}
	return o.Budget
}

func kind(m fs.FileMode) string {
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

func notRegular(path string, m fs.FileMode) error {
	return fmt.Errorf("%s: %w (%s); only regular files are read", path, ErrNotRegular, kind(m))
}

// checkOpened closes f and returns an error unless it is a regular file. The
// check is on the opened file itself, so a swap between an earlier stat and
// the open cannot slip a device in.
func checkOpened(f *os.File, path string) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return 0, notRegular(path, st.Mode())
	}
	return st.Size(), nil
}

// openRegular opens path for reading if it is a regular file: it stats first
// (so a device is never even opened), opens without blocking (so a FIFO
// swapped in meanwhile cannot hang us) and checks the opened file.
func openRegular(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, notRegular(path, st.Mode())
	}
	f, err := openFile(path)
	if err != nil {
		return nil, 0, err
	}
	size, err := checkOpened(f, path)
	if err != nil {
		return nil, 0, err
	}
	return f, size, nil
}

// readRegular reads a whole regular file of at most limit bytes; why says
// where the limit comes from, for the message.
func readRegular(path string, limit int64, why string) ([]byte, error) {
	f, size, err := openRegular(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: missing", path)
		}
		return nil, err
	}
	defer f.Close()
	return readBounded(f, path, size, limit, why)
}

// readBounded reads f, of size bytes when it was opened, refusing more than
// limit. It never reads past limit+1 bytes even if the file grows meanwhile.
func readBounded(f *os.File, path string, size, limit int64, why string) ([]byte, error) {
	if size > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than the %d %s", path, ErrTooLarge, size, limit, why)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: grew past the %d bytes %s while it was read", path, ErrTooLarge, limit, why)
	}
	return b, nil
}

// folder is a directory opened once. Every file of a load is opened relative
// to this one handle, so if the path is swapped for another folder meanwhile
// (export --force exchanges folders), the load still reads one folder whole,
// never a mix of two.
type folder struct {
	path string   // as given, for messages
	dir  *os.File // the open directory
}

// openFolder opens path, which must be a folder. It stats first and opens
// with O_DIRECTORY, so neither a FIFO nor a device is ever opened.
func openFolder(path string) (*folder, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a folder (%s)", path, kind(st.Mode()))
	}
	d, err := openDir(path)
	if err != nil {
		return nil, err
	}
	return &folder{path: path, dir: d}, nil
}

func (d *folder) Close() error { return d.dir.Close() }

// name is the path of an entry, for messages.
func (d *folder) name(entry string) string { return filepath.Join(d.path, entry) }

// exists reports whether entry is present in the folder (a dangling link
// counts: reading it then fails with a message).
func (d *folder) exists(entry string) (bool, error) {
	_, err := statAt(d.dir, entry, d.name(entry), false)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// open opens entry for reading if it is a regular file; a missing entry is
// an error wrapping fs.ErrNotExist.
func (d *folder) open(entry string) (*os.File, int64, error) {
	path := d.name(entry)
	m, err := statAt(d.dir, entry, path, true)
	if err != nil {
		return nil, 0, err
	}
	if !m.IsRegular() {
		return nil, 0, notRegular(path, m)
	}
	f, err := openAt(d.dir, entry, path)
	if err != nil {
		return nil, 0, err
	}
	size, err := checkOpened(f, path)
	if err != nil {
		return nil, 0, err
	}
	return f, size, nil
}

// readFile reads entry whole, refusing more than limit bytes.
func (d *folder) readFile(entry string, limit int64, why string) ([]byte, error) {
	f, size, err := d.open(entry)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: missing", d.name(entry))
		}
		return nil, err
	}
	defer f.Close()
	return readBounded(f, d.name(entry), size, limit, why)
}
