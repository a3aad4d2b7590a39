package claims

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fastFigureClaim decides in well under a second and draws two figures
// (separable_cost.png, separable_layers.png), so a failed figure can be
// planted.
const fastFigureClaim = "s14-separable-speedup"

const oldReport = "# the committed report\n\nwhatever the last good run wrote\n"

// reportDir is a folder holding a previous report, as reports/ does.
func reportDir(t *testing.T) (dir, out string) {
	t.Helper()
	dir = t.TempDir()
	out = filepath.Join(dir, "FINDINGS.md")
	if err := os.WriteFile(out, []byte(oldReport), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, out
}

// assertUntouched fails unless out still holds oldReport.
func assertUntouched(t *testing.T, out string) {
	t.Helper()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the old report is gone: %v", err)
	}
	if string(b) != oldReport {
		t.Fatalf("the old report was changed to %d bytes:\n%.300s", len(b), b)
	}
}

// assertNoTemporaries fails if a hidden entry (an atomicfile temporary) is
// left in dir.
func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary left behind: %s", e.Name())
		}
	}
}

// TestFailedGenerateKeepsOldReport: a run that fails after its computation
// (here, while the markdown is in its temporary, as a full disk or a signal
// would) leaves the previous report byte-identical and no temporary.
func TestFailedGenerateKeepsOldReport(t *testing.T) {
	dir, out := reportDir(t)
	boom := errors.New("disk full (injected)")
	old := writeHook
	writeHook = func(w io.Writer) error {
		// The whole new report is in the temporary by now; the target must
		// still be the old one, which is what a kill at this instant leaves.
		assertUntouched(t, out)
		return boom
	}
	defer func() { writeHook = old }()
	_, err := Generate(Options{Seed: 1, Checks: 5, IDs: []string{fastFigureClaim}, Out: out, Command: "test"})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), out) {
		t.Fatalf("Generate: %v, want the injected error naming %s", err, out)
	}
	assertUntouched(t, out)
	assertNoTemporaries(t, dir)
}

// TestFailedFigureKeepsOldReport: a figure that cannot be written fails the
// run before the markdown (which would link it) is written, and the thing in
// the figure's place is not touched.
func TestFailedFigureKeepsOldReport(t *testing.T) {
	dir, out := reportDir(t)
	blocker := filepath.Join(dir, "separable_cost.png")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(blocker, "keep")
	os.WriteFile(keep, []byte("x"), 0o644)
	_, err := Generate(Options{Seed: 1, Checks: 5, IDs: []string{fastFigureClaim}, Out: out, Command: "test"})
	if err == nil || !strings.Contains(err.Error(), "separable_cost.png") || !strings.Contains(err.Error(), "left unchanged") {
		t.Fatalf("Generate: %v, want an error naming the figure and saying the report is unchanged", err)
	}
	assertUntouched(t, out)
	assertNoTemporaries(t, dir)
	if b, err := os.ReadFile(keep); err != nil || string(b) != "x" {
		t.Errorf("the folder in the figure's place was changed: %v", err)
	}
}

// TestGenerateReplacesWhole: a successful run replaces the report and writes
// its figures, leaving no temporary; an output that is a folder is refused
// before any work and left as it was.
func TestGenerateReplacesWhole(t *testing.T) {
	dir, out := reportDir(t)
	ds, err := Generate(Options{Seed: 1, Checks: 5, IDs: []string{fastFigureClaim}, Out: out, Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(b), "# Findings") || !strings.Contains(string(b), fastFigureClaim) {
		t.Errorf("report not replaced:\n%.300s", b)
	}
	if len(ds) != 1 || len(ds[0].Figures) != 2 {
		t.Fatalf("decided %+v, want one claim with two figures", ds)
	}
	for _, f := range ds[0].Figures {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("figure %s: %v", f, err)
		}
		if png, _ := os.ReadFile(filepath.Join(dir, f)); !strings.HasPrefix(string(png), "\x89PNG") {
			t.Errorf("figure %s is not a PNG", f)
		}
	}
	assertNoTemporaries(t, dir)

	folder := filepath.Join(dir, "sub")
	os.Mkdir(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "keep"), []byte("x"), 0o644)
	progress := 0
	_, err = Generate(Options{Seed: 1, Checks: 5, IDs: []string{fastFigureClaim}, Out: folder, Progress: func(string) { progress++ }})
	if err == nil || !strings.Contains(err.Error(), folder) {
		t.Errorf("output a folder: %v, want an error naming it", err)
	}
	if progress != 0 {
		t.Errorf("output a folder: %d progress lines, want the refusal before any work", progress)
	}
	if b, err := os.ReadFile(filepath.Join(folder, "keep")); err != nil || string(b) != "x" {
		t.Errorf("the folder given as output was changed: %v", err)
	}
}
