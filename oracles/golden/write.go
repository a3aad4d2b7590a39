package golden

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/convverify/convverify/internal/atomicfile"
)

// swap is exchange; tests replace it to take the fallback path.
var swap = exchange

// testHookBeforeSwap, when set, runs after the new case is complete under
// its temporary name and before it is put in place (tests interrupt there).
var testHookBeforeSwap func(tmp string)

// CheckTarget reports whether Write may write a case at dir with opt: dir is
// absent, an empty folder, or (with opt.Force) a golden case. Callers that
// compute a case for long can ask before they start; Write asks again.
func CheckTarget(dir string, opt WriteOptions) error {
	_, err := inspectTarget(dir, opt)
	return err
}

// target is the folder Write found at dir and may replace.
type target struct {
	info  fs.FileInfo
	empty bool // else a golden case
}

// inspectTarget returns what is at dir (nil when nothing is) if Write may
// replace it, and otherwise an error naming dir and why not.
func inspectTarget(dir string, opt WriteOptions) (*target, error) {
	if dir == "" {
		return nil, errors.New("empty folder name")
	}
	dir = filepath.Clean(dir) // "link/" would otherwise stat the folder the link names
	if b := filepath.Base(dir); b == "." || b == ".." || b == string(filepath.Separator) {
		return nil, fmt.Errorf("%s: names no folder that can be replaced; give the path of a new folder", dir)
	}
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	refuse := func(format string, args ...any) (*target, error) {
		return nil, fmt.Errorf("%s: %s; refusing to replace it", dir, fmt.Sprintf(format, args...))
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return refuse("a symbolic link (to %s)", linkTarget(dir))
	}
	if !st.IsDir() {
		return refuse("exists and is %s, not a folder", kind(st.Mode()))
	}
	names, err := readNames(dir)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return &target{info: st, empty: true}, nil // an empty folder may be filled
	}
	if !opt.Force {
		return refuse("exists and is not empty (%s); force replaces a golden case written before", listNames(names))
	}
	if why := notGoldenCase(dir, names); why != "" {
		return nil, fmt.Errorf("%s: not a golden case (%s); refusing to replace it even with force", dir, why)
	}
	return &target{info: st}, nil
}

func linkTarget(path string) string {
	t, err := os.Readlink(path)
	if err != nil {
		return "?"
	}
	return t
}

// readNames lists a folder, opened without blocking (see openDir).
func readNames(dir string) ([]string, error) {
	d, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	slices.Sort(names)
	return names, nil
}

func listNames(names []string) string {
	if len(names) > 4 {
		return fmt.Sprintf("holds %s and %d more", strings.Join(names[:4], ", "), len(names)-4)
	}
	return "holds " + strings.Join(names, ", ")
}

// notGoldenCase says why the folder dir holding names is not a golden case
// that Write may replace, or "" if it is one: case.json and nothing but
// golden-format files, each a regular file.
func notGoldenCase(dir string, names []string) string {
	if !slices.Contains(names, "case.json") {
		return "no case.json; " + listNames(names)
	}
	for _, n := range names {
		if n != "case.json" && !slices.Contains(goldenFiles, n) {
			return fmt.Sprintf("%s is not a golden-format file", n)
		}
		st, err := os.Lstat(filepath.Join(dir, n))
		if err != nil {
			return fmt.Sprintf("%s: %v", n, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Sprintf("%s is %s", n, kind(st.Mode()))
		}
	}
	return ""
}

// writeCase puts files (name → content) in place as the folder dir.
func writeCase(dir string, files map[string][]byte, opt WriteOptions) error {
	dir = filepath.Clean(dir)
	old, err := inspectTarget(dir, opt)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := atomicfile.MkdirTemp(dir)
	if err != nil {
		return err
	}
	if err := fill(tmp, files); err != nil {
		atomicfile.RemoveTemp(tmp)
		return err
	}
	if testHookBeforeSwap != nil {
		testHookBeforeSwap(tmp)
	}
	if old == nil {
		if err := atomicfile.Locked(func() error { return renameNoReplace(tmp, dir) }); err != nil {
			atomicfile.RemoveTemp(tmp)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: appeared while the case was being written; refusing to replace it", dir)
			}
			return err
		}
		atomicfile.Forget(tmp)
		return atomicfile.SyncDir(parent)
	}
	return replaceFolder(dir, tmp, old)
}

// fill writes every file into the new folder tmp, syncs each and the folder.
func fill(tmp string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := atomicfile.SyncFile(filepath.Join(tmp, n), files[n], 0o644); err != nil {
			return err
		}
	}
	// MkdirTemp makes the folder private (0700); a case is for sharing.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return atomicfile.SyncDir(tmp)
}

// replaceFolder puts the complete new folder tmp in the place of the folder
// dir, which inspectTarget found as old (empty, or a golden case), and
// removes the old one.
//
// The swap is one renameat2(RENAME_EXCHANGE): readers of dir see the old case
// or the new one, never neither and never a mix. Afterwards tmp holds the old
// folder, still registered with atomicfile, so an interrupt at any point
// removes only what is being replaced.
func replaceFolder(dir, tmp string, old *target) error {
	err := atomicfile.Locked(func() error { return swap(tmp, dir) })
	if errors.Is(err, errExchangeUnsupported) {
		return replaceByRenames(dir, tmp, old)
	}
	if err != nil {
		atomicfile.RemoveTemp(tmp)
		return err
	}
	// What we swapped out must be the folder we inspected: if something else
	// took its place in between, swap it back and leave it alone.
	if st, err := os.Lstat(tmp); err != nil || !os.SameFile(st, old.info) {
		if berr := atomicfile.Locked(func() error { return swap(tmp, dir) }); berr != nil {
			atomicfile.Forget(tmp)
			return fmt.Errorf("%s: replaced by something else while the case was being written, and swapping it back failed (%v): it is now at %s", dir, berr, tmp)
		}
		atomicfile.RemoveTemp(tmp)
		return fmt.Errorf("%s: replaced by something else while the case was being written; left as it is", dir)
	}
	if err := atomicfile.SyncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	return removeOld(dir, tmp, old)
}

// replaceByRenames is the fallback where folders cannot be exchanged
// atomically (Linux before 3.15, some file systems, other systems): the old
// folder is renamed aside under a hidden name and the new one renamed in. A
// reader in the short window between the two renames finds no case at dir
// (an error, never a torn case). The old folder is not registered with
// atomicfile while it is the only copy, so an interrupt in the window leaves
// it whole beside dir, under its hidden name.
func replaceByRenames(dir, tmp string, old *target) error {
	aside, err := atomicfile.MkdirTemp(dir)
	if err != nil {
		atomicfile.RemoveTemp(tmp)
		return err
	}
	// Reserve the name, then free it for the rename (renaming a folder onto
	// an empty one is not portable).
	if err := atomicfile.RemoveTemp(aside); err != nil {
		atomicfile.RemoveTemp(tmp)
		return err
	}
	if err := os.Rename(dir, aside); err != nil {
		atomicfile.RemoveTemp(tmp)
		return err
	}
	if st, err := os.Lstat(aside); err != nil || !os.SameFile(st, old.info) {
		os.Rename(aside, dir)
		atomicfile.RemoveTemp(tmp)
		return fmt.Errorf("%s: replaced by something else while the case was being written; left as it is", dir)
	}
	if err := atomicfile.Locked(func() error { return os.Rename(tmp, dir) }); err != nil {
		if rerr := os.Rename(aside, dir); rerr != nil {
			return fmt.Errorf("%s: %v, and putting the old case back failed (%v): it is at %s", dir, err, rerr, aside)
		}
		atomicfile.RemoveTemp(tmp)
		return err
	}
	atomicfile.Forget(tmp)
	if err := atomicfile.SyncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	return removeOld(dir, aside, old)
}

// removeOld removes the replaced folder, now at the hidden name gone. It
// was empty or a golden case when inspected; if it holds anything else now
// (something was put in it since), nothing is removed and the error says
// where it is kept.
func removeOld(dir, gone string, old *target) error {
	names, err := readNames(gone)
	if err == nil && len(names) > 0 && (old.empty || notGoldenCase(gone, names) != "") {
		atomicfile.Forget(gone)
		return fmt.Errorf("wrote %s, but the folder it replaced had changed meanwhile (it %s); it is kept as %s", dir, listNames(names), gone)
	}
	return atomicfile.RemoveTemp(gone)
}

// renameIfAbsent renames a to b unless b exists: the fallback where
// RENAME_NOREPLACE is missing. Between the check and the rename another
// process could create b; a plain rename then replaces b only if b is an
// empty folder, and fails otherwise.
func renameIfAbsent(a, b string) error {
	if _, err := os.Lstat(b); err == nil {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: fs.ErrExist}
	}
	return os.Rename(a, b)
}
