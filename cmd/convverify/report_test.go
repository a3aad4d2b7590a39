package main

import (
	"os"
	"os/exec"
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

// reproClaims are the claims whose commands TestReportCommandsRun runs: one
// with a counterexample (a go test command and a check command), one with a
// figure, one plain; few checks, so it stays fast.
var reproClaims = "s16-invariance,s9-uneven-overlap,s14-example-params"

// shellWords splits a command line as sh would for the commands the report
// prints: words separated by spaces, single and double quotes grouping.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	quote := rune(0)
	in := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// reportCommands returns every command line the report prints: the
// reproduction recipe of the header and the lines of its sh blocks.
func reportCommands(t *testing.T, md string) []string {
	t.Helper()
	var cmds []string
	inSh := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(l, "- Reproduce, from a clone: `"):
			cmds = append(cmds, strings.TrimSuffix(strings.TrimPrefix(l, "- Reproduce, from a clone: `"), "`"))
		case l == "```sh":
			inSh = true
		case l == "```":
			inSh = false
		case inSh && l != "" && !strings.HasPrefix(l, "#"):
			cmds = append(cmds, l)
		}
	}
	return cmds
}

// TestReportCommandsRun runs every command a report of a few claims prints,
// as written: `go run ./cmd/convverify …` through the CLI in this process
// (with -o moved into a temporary folder), and `go test ./properties …`
// with the go tool from the repository root (skipped with -short). Each
// must succeed: the recipes in the report are ones a reader can paste.
func TestReportCommandsRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "FINDINGS.md")
	if code, msg := runCLI(t, "report", "--checks", "10", "--claims", reproClaims, "-o", out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, msg)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cmds := reportCommands(t, string(md))
	var ran, goTest int
	for _, c := range cmds {
		w := shellWords(t, c)
		switch {
		case len(w) > 2 && w[0] == "go" && w[1] == "run" && w[2] == "./cmd/convverify":
			args := w[3:]
			for i := range args {
				if args[i] == "-o" && i+1 < len(args) {
					args[i+1] = filepath.Join(t.TempDir(), filepath.Base(args[i+1]))
				}
			}
			if code, msg := runCLI(t, args...); code != 0 {
				t.Errorf("%s: exit %d:\n%s", c, code, msg)
			}
			ran++
		case len(w) > 2 && w[0] == "go" && w[1] == "test":
			goTest++
			if testing.Short() {
				continue
			}
			cmd := exec.Command("go", w[1:]...)
			cmd.Dir = filepath.Join("..", "..")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s", c, err, b)
			}
		default:
			t.Errorf("the report prints a command that is neither go run ./cmd/convverify nor go test: %s", c)
		}
	}
	if ran < 4 || goTest < 1 {
		t.Errorf("ran %d convverify commands and found %d go test commands, want ≥ 4 and ≥ 1 (one per claim, the header, a counterexample's):\n%s", ran, goTest, strings.Join(cmds, "\n"))
	}
}

// TestReportHTML: --format html writes one self-contained page, by default
// beside the markdown's place, and refuses an unknown format.
func TestReportHTML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "FINDINGS.html")
	if code, msg := runCLI(t, "report", "--format", "html", "--claims", "s9-uneven-overlap", "--checks", "2", "-o", out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), "data:image/png;base64,") || !strings.Contains(string(b), "--format html") {
		t.Errorf("not a self-contained HTML report:\n%.300s", b)
	}
	if code, msg := runCLI(t, "report", "--format", "pdf", "--claims", "s9-uneven-overlap"); code != 2 || !strings.Contains(msg, "--format") {
		t.Errorf("--format pdf: exit %d, want 2 naming the flag:\n%s", code, msg)
	}
}
