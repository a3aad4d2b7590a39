package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirDescribe: --dir adds the direction's tensors and FLOPs; without it
// the output is the forward one, unchanged.
func TestDirDescribe(t *testing.T) {
	code, out := runCLI(t, "describe", "--dir", "BWD_D", "mb2ic4ih5oc6oh3kh3g2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{
		"command      convverify check --op conv --dir BWD_D g2ic4ih5iw5oc6oh3ow3kh3kw3",
		"direction    BWD_D: 3888 FLOPs",
		"  reads  dy        [2 6 3 3]",
		"  reads  w         [6 2 3 3]",
		"  writes dx        [2 4 5 5]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe --dir BWD_D lacks %q:\n%s", want, out)
		}
	}
	_, fwd := runCLI(t, "describe", "mb2ic4ih5oc6oh3kh3g2")
	if strings.Contains(fwd, "direction") || strings.Contains(fwd, "--dir") {
		t.Errorf("forward describe mentions a direction:\n%s", fwd)
	}
	_, js := runCLI(t, "describe", "--json", "--dir", "BWD_WB", "--op", "dynamic", "mb2ic4ih5oc6oh3kh3")
	var d struct {
		Dir     string
		Tensors []struct {
			Name    string
			Shape   []int
			Written bool
		}
	}
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	var written []string
	for _, s := range d.Tensors {
		if s.Written {
			written = append(written, s.Name)
		}
	}
	if d.Dir != "BWD_WB" || strings.Join(written, ",") != "dw,db,droute_w,droute_b" {
		t.Errorf("dynamic BWD_WB: dir %q writes %v", d.Dir, written)
	}
}

// TestDirShapeFile: benchdnn's --dir= lines hold for the problems after them.
func TestDirShapeFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "shapes")
	if err := os.WriteFile(f, []byte("mb1ic2ih4oc2oh4kh1\n--dir=BWD_W\nmb1ic2ih4oc2oh4kh1 # w\n--dir=BWD_D mb1ic2ih4oc2oh4kh1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "describe", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Contains(lines[0], "dir=") || !strings.Contains(lines[1], "dir=BWD_W") || !strings.Contains(lines[2], "dir=BWD_D") {
		t.Errorf("directions of the shape file:\n%s", out)
	}
	if err := os.WriteFile(f, []byte("--dir=BWD_X\nmb1ic2ih4oc2oh4kh1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, "describe", f); code != 2 || !strings.Contains(out, "shapes:1: dir: unknown direction \"BWD_X\"") {
		t.Errorf("bad --dir= line: exit %d: %s", code, out)
	}
}

// TestDirRefused: commands that run the forward pass only refuse a backward
// direction by name, and --dir is refused where it has no effect.
func TestDirRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--dir", "BWD_D", "mb1ic2ih4oc2oh4kh1"}, "direction BWD_D: not yet supported by check"},
		{[]string{"check", "--dir=BWD_WB", "mb1ic2ih4oc2oh4kh1"}, "direction BWD_WB: not yet supported by check"},
		{[]string{"export", "--dir", "BWD_W", "mb1ic2ih4oc2oh4kh1", filepath.Join(t.TempDir(), "case")}, "direction BWD_W: not yet supported by export"},
		{[]string{"check", "--golden", "--dir", "BWD_D", t.TempDir()}, "--dir: has no effect with --golden"},
		{[]string{"check", "--list", "--dir", "BWD_D"}, "--dir: has no effect with --list"},
		{[]string{"describe", "--dir", "bwd_d", "mb1ic2ih4oc2oh4kh1"}, "--dir: unknown direction \"bwd_d\""},
	} {
		code, out := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", c.args, code, c.want, out)
		}
	}
}
