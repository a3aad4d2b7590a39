package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckWorkersMBAndLists(t *testing.T) {
	code, out := runCLI(t, "check", "mb1ic4ih6oc4oh6kh3ph1", "--workers", "3", "--mb", "2")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"problem  --op conv ic4ih6", "variant direct-tiled, 3 workers", "variant direct-tiled "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "mb1ic4") {
		t.Errorf("--mb 2 did not replace mb1:\n%s", out)
	}
	shapes := filepath.Join(t.TempDir(), "shapes")
	os.WriteFile(shapes, []byte("# two layers\nmb1ic2iw5oc2ow5kw3pw1\nmb1ic2ih4oc2oh4kh1\n"), 0o644)
	code, out = runCLI(t, "check", shapes, "mb1ic1iw3oc1ow3kw1")
	if code != 0 || !strings.Contains(out, "3 problems, 0 failed") {
		t.Errorf("shape file and descriptor: exit %d:\n%s", code, out)
	}
	for _, args := range [][]string{
		{"check"},
		{"check", "mb1ic1iw3oc1ow3kw1", "--workers", "0"},
		{"check", "mb1ic1iw3oc1ow3kw1", "--mb", "-1"},
		{"check", "--list", "--workers", "2"},
		{"check", "--golden", "../../testdata/golden", "--mb", "2"},
	} {
		if code, out := runCLI(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2:\n%s", args, code, out)
		}
	}
	// A bad line in a shape file is named by file:line, and nothing is checked.
	os.WriteFile(shapes, []byte("mb1ic2iw5oc2ow5kw3pw1\nic3iw5oc2ow5kw3g2\n"), 0o644)
	code, out = runCLI(t, "check", shapes)
	if code != 2 || !strings.Contains(out, shapes+":2") || strings.Contains(out, "problem  ") {
		t.Errorf("bad shape file: exit %d:\n%s", code, out)
	}
}
