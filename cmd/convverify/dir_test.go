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
		{[]string{"check", "--dir", "FWD_D", "mb1ic2ih4oc2oh4kh1"}, "direction FWD_D: not yet supported by check"},
		{[]string{"check", "--golden", "--dir", "BWD_D", t.TempDir()}, "--dir: has no effect with --golden"},
		{[]string{"check", "--list", "--dir", "BWD_D"}, "--dir: has no effect with --list"},
		{[]string{"describe", "--dir", "bwd_d", "mb1ic2ih4oc2oh4kh1"}, "--dir: unknown direction \"bwd_d\""},
	} {
		code, out := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", c.args, code, c.want, out)
		}
	}
	// The budget covers the gradients: 16 bytes (value and gradient) an
	// element of the forward tensors, 1.6 KiB here; over it is exit 3.
	if code, out := runCLI(t, "check", "--dir=BWD_W", "--budget", "1000", "mb1ic2ih4oc2oh4kh3"); code != 3 || !strings.Contains(out, "over the budget of 1000.0 B") {
		t.Errorf("gradients over the budget: exit %d:\n%s", code, out)
	}
}

// TestDirCheck: check --dir runs the reference gradients of every op and
// backward direction against the oracles; each applicable oracle prints a
// line and all pass.
func TestDirCheck(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--dir", "BWD_D", "mb2g2ic4ih7oc6oh4kh3sh2ph1"}, []string{"ok    adjoint ⟨dy, F(x)⟩ = ⟨dx, x⟩", "ok    dx against Mᵀ·dy"}},
		{[]string{"--dir", "BWD_W", "mb2g2ic4ih7oc6oh4kh3sh2ph1dh1"}, []string{"ok    adjoint ⟨dy, F(w, b)⟩", "ok    dw against the weight-labelled matrix"}},
		{[]string{"--dir", "BWD_WB", "--op", "deconv", "mb2ic4ih4oc6oh7kh3sh2ph1"}, []string{"ok    adjoint ⟨dy, F(w, b)⟩", "ok    dw against the weight-labelled matrix"}},
		{[]string{"--dir", "BWD_D", "--op", "deform", "--mask", "--dg", "2", "mb1ic4ih5oc2oh5kh3ph1"}, []string{"ok    d(offset) against central differences", "ok    d(mask) against central differences", "ok    dx against Mᵀ·dy"}},
		{[]string{"--dir", "BWD_W", "--op", "deform", "mb1ic2ih5oc2oh5kh3ph1"}, []string{"ok    adjoint ⟨dy, F(w, b)⟩"}},
		{[]string{"--dir", "BWD_D", "--op", "dynamic", "--temperature", "0.5", "mb2ic3ih5oc2oh5kh3ph1"}, []string{"ok    dx against central differences"}},
		{[]string{"--dir", "BWD_WB", "--op", "dynamic", "--routing", "sigmoid", "mb2ic3ih5oc2oh5kh3ph1"}, []string{"ok    d(experts)", "ok    d(route_w)", "ok    d(route_b)", "ok    d(bias)"}},
	} {
		code, out := runCLI(t, append([]string{"check"}, c.args...)...)
		if code != 0 || strings.Contains(out, "FAIL") {
			t.Errorf("check %v: exit %d:\n%s", c.args, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("check %v lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}
