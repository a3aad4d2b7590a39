package golden

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
)

// promptly runs f and fails the test if it does not return within 10 s
// (a FIFO open or a read of /dev/zero would never return).
func promptly(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still reading after 10 s", what)
	}
}

// TestLoadReadsRegularFilesOnly: a golden file that is a link to /dev/zero,
// a FIFO or a folder is refused promptly with a message naming it; a link
// to a regular file elsewhere is read.
func TestLoadReadsRegularFilesOnly(t *testing.T) {
	for _, tc := range []struct {
		name, base, file string
		make             func(path string) error
		want             string
	}{
		{"x.npy to /dev/zero", "test_Conv2d", "x.npy", func(p string) error { return os.Symlink("/dev/zero", p) }, "a character device"},
		{"x.npy a FIFO", "test_Conv2d", "x.npy", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "a FIFO"},
		{"y.npy a FIFO", "test_Conv2d", "y.npy", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "a FIFO"},
		{"case.json a FIFO", "test_Conv2d", "case.json", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "a FIFO"},
		{"case.json to /dev/zero", "test_Conv2d", "case.json", func(p string) error { return os.Symlink("/dev/zero", p) }, "a character device"},
		{"b.npy a folder", "test_Conv2d", "b.npy", func(p string) error { return os.Mkdir(p, 0o755) }, "a folder"},
		{"mask.npy to /dev/zero", "test_deform_conv_with_mask_bias", "mask.npy", func(p string) error { return os.Symlink("/dev/zero", p) }, "a character device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := goldenCopy(t, tc.base)
			path := filepath.Join(dir, tc.file)
			must(t, os.Remove(path))
			must(t, tc.make(path))
			var err error
			promptly(t, tc.name, func() { _, err = Load(dir) })
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrNotRegular) {
				t.Errorf("%v, want an error naming %s as %s", err, path, tc.want)
			}
		})
	}
	// ONNX node tests: model.onnx and the .pb files.
	for _, file := range []string{"model.onnx", filepath.Join("test_data_set_0", "input_0.pb"), filepath.Join("test_data_set_0", "output_0.pb")} {
		for _, fifo := range []bool{false, true} {
			dir := filepath.Join(t.TempDir(), "test_basic_conv_with_padding")
			copyTree(t, filepath.Join(onnxDir, "test_basic_conv_with_padding"), dir)
			path := filepath.Join(dir, file)
			must(t, os.Remove(path))
			if fifo {
				must(t, syscall.Mkfifo(path, 0o644))
			} else {
				must(t, os.Symlink("/dev/zero", path))
			}
			var err error
			promptly(t, path, func() { _, err = Load(dir) })
			if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s (fifo %v): %v", file, fifo, err)
			}
		}
	}
	// A link to a regular file is fine, wherever it points.
	dir := goldenCopy(t, "test_Conv2d")
	store := filepath.Join(t.TempDir(), "x-stored.npy")
	b, err := os.ReadFile(filepath.Join(dir, "x.npy"))
	must(t, err)
	must(t, os.WriteFile(store, b, 0o644))
	must(t, os.Remove(filepath.Join(dir, "x.npy")))
	must(t, os.Symlink(store, filepath.Join(dir, "x.npy")))
	if _, err := Load(dir); err != nil {
		t.Errorf("x.npy linked to a regular file: %v", err)
	}
}

// TestNpyReadIsBounded: an .npy is read only up to what its header and the
// problem imply. Trailing bytes are refused; a header that declares a shape
// other than the problem's is refused before its data is read, even when
// the (sparse) file really holds 1 GiB behind it.
func TestNpyReadIsBounded(t *testing.T) {
	dir := goldenCopy(t, "test_Conv2d")
	path := filepath.Join(dir, "y.npy")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.Write([]byte("garbage"))
	must(t, err)
	must(t, f.Close())
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "7 bytes after the data") {
		t.Errorf("trailing garbage: %v", err)
	}

	// A header for 2^28 float32 values and the 1 GiB they need, as a sparse file.
	dir = goldenCopy(t, "test_Conv2d")
	path = filepath.Join(dir, "y.npy")
	const n = 1 << 28
	hdr := npyHeaderFor("(268435456,)")
	f, err = os.Create(path)
	must(t, err)
	_, err = f.Write(hdr)
	must(t, err)
	must(t, f.Truncate(int64(len(hdr))+4*n))
	must(t, f.Close())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Load(dir)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "shape [268435456], want [2 4 5 4]") {
		t.Errorf("1 GiB y.npy of the wrong shape: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("refusing a wrong-shaped 1 GiB y.npy allocated %d MiB: its data was read", grew>>20)
	}

	// A shape whose byte count overflows int64 is refused, not wrapped.
	hdr2 := "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr2)), 0)
	if _, err := decodeNpy(append(b, hdr2...)); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("overflowing shape: %v", err)
	}
}

// TestOtherReadsAreBounded: case.json, the ONNX listings and .pb files have
// limits too, and the problem must fit the memory budget before its data is read.
func TestOtherReadsAreBounded(t *testing.T) {
	dir := goldenCopy(t, "test_Conv2d")
	path := filepath.Join(dir, "case.json")
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	must(t, err)
	must(t, f.Truncate(maxCaseJSON+1))
	must(t, f.Close())
	if _, err := Load(dir); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Errorf("oversized case.json: %v", err)
	}

	var be *conv.BudgetError
	if _, err := LoadWith(goldenCopy(t, "test_Conv2d"), LoadOptions{Budget: 100}); !errors.As(err, &be) {
		t.Errorf("golden case over a 100-byte budget: %v", err)
	}

	// A .pb longer than a TensorProto of the listed shape can be.
	root := t.TempDir()
	listing, err := os.ReadFile(filepath.Join(onnxDir, "cases.json"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(root, "cases.json"), listing, 0o644))
	must(t, os.WriteFile(filepath.Join(root, "pytorch_cases.json"), []byte("[]"), 0o644))
	for _, e := range listingNames(t, filepath.Join(onnxDir, "cases.json")) {
		copyTree(t, filepath.Join(onnxDir, e), filepath.Join(root, e))
	}
	pb := filepath.Join(root, "test_basic_conv_with_padding", "test_data_set_0", "output_0.pb")
	f, err = os.OpenFile(pb, os.O_WRONLY, 0)
	must(t, err)
	must(t, f.Truncate(pbOverhead+4*25+1))
	must(t, f.Close())
	if _, err := LoadONNX(root); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), pb) {
		t.Errorf("oversized listed .pb: %v", err)
	}
	// Without a listing, the budget caps every file.
	if _, err := LoadWith(filepath.Join(onnxDir, "test_convtranspose"), LoadOptions{Budget: 100}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "model.onnx") {
		t.Errorf("model.onnx over a 100-byte budget: %v", err)
	}
}

// listingNames returns the case folders a cases.json lists.
func listingNames(t *testing.T, path string) []string {
	entries, err := readListing(path)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return names
}

// npyHeaderFor is a format 1.0 .npy header declaring float32 data of shape
// (a Python tuple, such as "(268435456,)").
func npyHeaderFor(shape string) []byte {
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
	pad := (64 - (10+len(dict)+1)%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	return append([]byte{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, byte(len(dict)), byte(len(dict) >> 8)}, dict...)
}

// TestDiscover: a folder of cases expands to its case folders in name order,
// each named by its path from the argument; hidden folders (an export's
// temporary, even a broken one) and files are skipped.
func TestDiscover(t *testing.T) {
	parent := t.TempDir()
	copyTree(t, filepath.Join(goldenDir, "test_Conv2d"), filepath.Join(parent, "b"))
	copyTree(t, filepath.Join(goldenDir, "test_Conv2d"), filepath.Join(parent, "a"))
	tmp := filepath.Join(parent, ".a.tmp-123")
	copyTree(t, filepath.Join(goldenDir, "test_Conv2d"), tmp)
	must(t, os.WriteFile(filepath.Join(tmp, "w.npy"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(parent, ".DS_Store"), []byte("x"), 0o644))
	must(t, os.Mkdir(filepath.Join(parent, "notes"), 0o755))
	cases, errs := Discover([]string{parent}, LoadOptions{})
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	var dirs []string
	for _, c := range cases {
		dirs = append(dirs, c.Dir)
	}
	if want := []string{filepath.Join(parent, "a"), filepath.Join(parent, "b")}; !slices.Equal(dirs, want) {
		t.Errorf("found %v, want %v", dirs, want)
	}
	if len(cases) == 2 && cases[0].Problem != cases[1].Problem {
		t.Error("the two copies differ")
	}
	// An argument that is a case, and an anchor folder, keep their paths.
	cases, errs = Discover([]string{filepath.Join(parent, "b"), onnxDir}, LoadOptions{})
	if len(errs) != 0 || len(cases) != 51 || cases[0].Dir != filepath.Join(parent, "b") ||
		cases[1].Dir != filepath.Join(onnxDir, "test_basic_conv_with_padding") ||
		cases[1].WantFile != filepath.Join(onnxDir, "test_basic_conv_with_padding", "test_data_set_0", "output_0.pb") {
		t.Errorf("%d cases, %v; first %q, second %q", len(cases), errs, cases[0].Dir, cases[1].Dir)
	}
	// Errors name the argument.
	_, errs = Discover([]string{filepath.Join(parent, "notes"), filepath.Join(parent, "missing")}, LoadOptions{})
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "no golden case") || !errors.Is(errs[1], os.ErrNotExist) {
		t.Errorf("errors %v", errs)
	}
}
