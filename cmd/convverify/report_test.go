package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fastReport decides one claim that draws two figures, in well under a second.
var fastReport = []string{"report", "--claims", "s14-separable-speedup", "--checks", "2"}

// TestReportRefusesBadOutput: -o naming a folder, a device, or a path under
// a regular file is refused before any work, leaving the thing as it was and
// no temporary beside it.
func TestReportRefusesBadOutput(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "folder")
	os.Mkdir(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "keep"), []byte("x"), 0o644)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("y"), 0o644)
	targets := map[string]string{folder: "not a regular file", filepath.Join(file, "FINDINGS.md"): "not a directory"}
	if st, err := os.Stat("/dev/full"); err == nil && st.Mode()&os.ModeDevice != 0 {
		targets["/dev/full"] = "not a regular file"
	}
	for target, why := range targets {
		code, out := runCLI(t, append(fastReport, "-o", target)...)
		if code != 2 || !strings.Contains(out, target) || !strings.Contains(out, why) || strings.Contains(out, "report: figure") {
			t.Errorf("-o %s: exit %d, want 2 naming it (%s) before any work:\n%s", target, code, why, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(folder, "keep")); err != nil || string(b) != "x" {
		t.Errorf("the folder given as -o was changed: %v", err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "y" {
		t.Errorf("the file above -o was changed: %v", err)
	}
	for _, d := range []string{dir, folder} {
		if h := hiddenEntries(t, d); len(h) > 0 {
			t.Errorf("%s: temporaries left behind: %v", d, h)
		}
	}
}

// TestReportKeepsOldOnFailure: a report whose figure cannot be written exits
// 3 naming the figure and leaves the old report byte-identical; a report
// into folders that do not exist yet makes them, and a successful one
// replaces the old report whole. Neither leaves a temporary.
func TestReportKeepsOldOnFailure(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "FINDINGS.md")
	const old = "# old findings\n"
	os.WriteFile(out, []byte(old), 0o644)
	blocker := filepath.Join(dir, "separable_layers.png")
	os.Mkdir(blocker, 0o755)
	code, msg := runCLI(t, append(fastReport, "-o", out)...)
	if code != 3 || !strings.Contains(msg, "separable_layers.png") || !strings.Contains(msg, out+" left unchanged") {
		t.Errorf("figure blocked: exit %d, want 3 naming the figure:\n%s", code, msg)
	}
	if b, _ := os.ReadFile(out); string(b) != old {
		t.Errorf("old report changed to %d bytes", len(b))
	}
	if h := hiddenEntries(t, dir); len(h) > 0 {
		t.Errorf("temporaries left behind: %v", h)
	}

	os.Remove(blocker)
	if code, msg := runCLI(t, append(fastReport, "-o", out)...); code != 0 {
		t.Fatalf("exit %d:\n%s", code, msg)
	}
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "# Findings") || !strings.Contains(string(b), "separable_layers.png") {
		t.Errorf("report not replaced whole:\n%.200s", b)
	}
	deep := filepath.Join(dir, "new", "sub", "FINDINGS.md")
	if code, msg := runCLI(t, append(fastReport, "-o", deep)...); code != 0 {
		t.Fatalf("-o in new folders: exit %d:\n%s", code, msg)
	}
	for _, d := range []string{dir, filepath.Dir(deep)} {
		if h := hiddenEntries(t, d); len(h) > 0 {
			t.Errorf("%s: temporaries left behind: %v", d, h)
		}
	}
}

// hiddenEntries lists the dot-names in dir: atomicfile's temporaries.
func hiddenEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var h []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			h = append(h, e.Name())
		}
	}
	return h
}
