package golden

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/boundedread"
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
var ErrNotRegular = boundedread.ErrNotRegular

// ErrTooLarge is wrapped by every refusal to read a file longer than it may be.
var ErrTooLarge = boundedread.ErrTooLarge

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

// kind and notRegular name a file's type as boundedread does, so every
// refusal reads the same.
func kind(m fs.FileMode) string { return boundedread.Kind(m) }

func notRegular(path string, m fs.FileMode) error { return boundedread.NotRegular(path, m) }

// readRegular reads a whole regular file of at most limit bytes; why says
// where the limit comes from, for the message.
func readRegular(path string, limit int64, why string) ([]byte, error) {
	b, err := boundedread.ReadLimited(path, limit, why)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: missing", path)
	}
	return b, err
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
	size, err := boundedread.CheckOpened(f, path)
	if err != nil {
		return nil, 0, err
	}
	return f, size, nil
}

// readFile reads entry whole, refusing more than limit bytes.
func (d *folder) readFile(entry string, limit int64, why string) ([]byte, error) {
	f, _, err := d.open(entry)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: missing", d.name(entry))
		}
		return nil, err
	}
	return boundedread.ReadOpened(f, d.name(entry), limit, why)
}
