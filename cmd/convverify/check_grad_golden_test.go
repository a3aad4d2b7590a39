package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convverify/convverify/oracles/golden"
)

const autogradDir = "../../testdata/autograd"

// TestCheckGoldenAutograd: every committed PyTorch autograd case passes
// check --golden, and each line names its direction.
func TestCheckGoldenAutograd(t *testing.T) {
	code, out := runCLI(t, "check", "--golden", autogradDir)
	if code != 0 || !strings.Contains(out, "90 passed, 0 failed") {
		t.Fatalf("exit %d, want 90 cases passed:\n%s", code, out)
	}
	for _, want := range []string{"conv BWD_D ", "deconv BWD_W ", "deform BWD_WB ", "dynamic BWD_D ", "conv1d_plain_BWD_D ", "conv3d_plain_BWD_WB "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// copyCase copies the committed autograd case name into a temp folder.
func copyCase(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(autogradDir, name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// corruptNpy adds delta to element i of the float32 .npy at path, in place
// (the header is numpy's format 1.0: its length at bytes 8–9).
func corruptNpy(t *testing.T, path string, i int, delta float32) float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := 10 + int(binary.LittleEndian.Uint16(b[8:])) + 4*i
	v := math.Float32frombits(binary.LittleEndian.Uint32(b[off:])) + delta
	binary.LittleEndian.PutUint32(b[off:], math.Float32bits(v))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCheckGoldenGradientPlanted: one wrong value in a golden gradient (a
// dx.npy, doffset.npy or db.npy element off by 2⁻¹⁰ of the largest |element|)
// fails that case with exit 1, naming the folder, the tensor and the file
// as the suspect once; the variants are judged against the reference for
// that gradient and none is blamed; the other gradients of the case pass.
func TestCheckGoldenGradientPlanted(t *testing.T) {
	for _, tc := range []struct {
		name, grad string
		rel        float64 // the error planted, relative to the largest |element|
	}{
		{"conv2d_g2_s2_BWD_D", "dx", 0x1p-10},
		{"deform_mask_BWD_D", "doffset", 0x1p-10},
		{"deconv1d_negend_BWD_WB", "db", 0x1p-10},
		// A dynamic dx element's bound is up to 3% of the largest |dx|
		// (GradMagnitude: the routing chain's Σ|term|), so the plant is larger.
		{"dynamic2d_softmax_g2_s2_BWD_D", "dx", 0x1p-3},
	} {
		dir := copyCase(t, tc.name)
		c, err := golden.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		g := *c.Grads.Field(tc.grad)
		scale := 0.0
		for _, v := range g {
			scale = math.Max(scale, math.Abs(v))
		}
		corruptNpy(t, filepath.Join(dir, tc.grad+".npy"), len(g)/2, float32(scale*tc.rel))
		code, out := runCLI(t, "check", "--golden", dir)
		if code != exitFailed || !strings.Contains(out, "0 passed, 1 failed") {
			t.Errorf("%s: exit %d, want %d and one failed case:\n%s", tc.name, code, exitFailed, out)
		}
		if !strings.Contains(out, "FAIL  "+dir+" ") || !strings.Contains(out, "FAIL  reference vs golden "+tc.grad+" ") {
			t.Errorf("%s: the folder or the tensor %s is not named as failing:\n%s", tc.name, tc.grad, out)
		}
		suspect := filepath.Join(dir, tc.grad+".npy") + " disagrees with the reference"
		if n := strings.Count(out, suspect); n != 1 {
			t.Errorf("%s: %q said %d times, want once:\n%s", tc.name, suspect, n, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "FAIL  variant") {
				t.Errorf("%s: a variant is blamed for the bad golden file: %s", tc.name, l)
			}
		}
	}
}

// TestCheckGoldenGradientBadInputs: a gradient folder with a missing,
// misshapen or mistyped dy, an unknown direction or a file its direction
// does not take is malformed (exit 2), and the message names the file,
// the tensor and the direction; a dy.npy that is a folder cannot be read
// (exit 3).
func TestCheckGoldenGradientBadInputs(t *testing.T) {
	npyOf := func(descr, shape string, n int) []byte {
		dict := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }"
		hdr := dict + strings.Repeat(" ", 63-(10+len(dict))%64) + "\n"
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
		b = append(b, hdr...)
		return append(b, make([]byte, n)...)
	}
	for _, tc := range []struct {
		name   string
		base   string
		mutate func(t *testing.T, dir string)
		code   int
		want   []string
	}{
		{"missing dy", "conv2d_g2_s2_BWD_D", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "dy.npy")) }, exitUsage,
			[]string{"dy.npy: missing", "direction BWD_D of op conv reads dy"}},
		{"dy shape", "deconv2d_asym_BWD_W", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "dy.npy"), npyOf("<f4", "1, 3, 7, 4", 4*84), 0o644)
		}, exitUsage, []string{"dy.npy: shape [1 3 7 4], want [1 3 7 5]", "direction BWD_W of op deconv reads dy"}},
		{"dy dtype", "dynamic1d_sigmoid_BWD_WB", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "dy.npy"), npyOf("<f8", "2, 4, 10", 8*80), 0o644)
		}, exitUsage, []string{"dy.npy", "dtype '<f8'", "direction BWD_WB of op dynamic reads dy"}},
		{"unknown dir", "conv1d_plain_BWD_D", func(t *testing.T, dir string) {
			rewriteJSON(t, dir, `"dir": "BWD_D"`, `"dir": "BWD_DATA"`)
		}, exitUsage, []string{"case.json: field dir", `unknown direction "BWD_DATA"`}},
		{"FWD_I", "conv1d_plain_BWD_D", func(t *testing.T, dir string) {
			rewriteJSON(t, dir, `"dir": "BWD_D"`, `"dir": "FWD_I"`)
		}, exitUsage, []string{"case.json: field dir", "FWD_I"}},
		{"direction reads no x", "conv1d_plain_BWD_W", func(t *testing.T, dir string) {
			rewriteJSON(t, dir, `"dir": "BWD_W"`, `"dir": "BWD_D"`)
		}, exitUsage, []string{"x.npy: present, but direction BWD_D of op conv neither reads nor writes x"}},
		{"dy a folder", "conv1d_plain_BWD_D", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "dy.npy"))
			os.Mkdir(filepath.Join(dir, "dy.npy"), 0o755)
		}, exitResource, []string{"dy.npy", "not a regular file"}},
	} {
		dir := copyCase(t, tc.base)
		tc.mutate(t, dir)
		code, out := runCLI(t, "check", "--golden", dir)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d:\n%s", tc.name, code, tc.code, out)
		}
		for _, w := range append(tc.want, dir) {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out)
			}
		}
	}
}

func rewriteJSON(t *testing.T, dir, old, new string) {
	t.Helper()
	p := filepath.Join(dir, "case.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %s", p, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportGradient: export --dir writes a gradient case (case.json's dir,
// the tensors of the table, no y.npy) that check --golden passes, for every
// op; the same seed gives the same bytes.
func TestExportGradient(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"--dir", "BWD_D", "mb2g2ic4ih7oc6oh4kh3sh2ph1"},
		{"--dir", "BWD_WB", "--op", "deconv", "mb2ic4ih4oc6oh7kh3sh2ph1"},
		{"--dir", "BWD_D", "--op", "deform", "--mask", "--dg", "2", "mb1ic4ih5oc2oh5kh3ph1"},
		{"--dir", "BWD_W", "--op", "dynamic", "--experts", "3", "--temperature", "0.5", "mb2ic3ih5oc2oh5kh3ph1"},
	} {
		dir := filepath.Join(root, args[1]+"_"+args[len(args)-1])
		if code, out := runCLI(t, append(append([]string{"export"}, args...), dir)...); code != 0 {
			t.Fatalf("export %v: exit %d:\n%s", args, code, out)
		}
		c, err := golden.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Problem.Dir.String() != args[1] || c.Want.Data != nil || c.DY == nil {
			t.Errorf("export %v: read back dir %s, y %v, dy %d", args, c.Problem.Dir, c.Want.Data != nil, len(c.DY))
		}
		if _, err := os.Stat(filepath.Join(dir, "y.npy")); err == nil {
			t.Errorf("export %v wrote y.npy", args)
		}
		again := dir + "-again"
		runCLI(t, append(append([]string{"export"}, args...), again)...)
		for _, f := range []string{"case.json", "dy.npy"} {
			a, _ := os.ReadFile(filepath.Join(dir, f))
			b, _ := os.ReadFile(filepath.Join(again, f))
			if string(a) != string(b) || len(a) == 0 {
				t.Errorf("export %v: %s differs between two runs with one seed", args, f)
			}
		}
	}
	code, out := runCLI(t, "check", "--golden", root)
	if code != 0 || !strings.Contains(out, "8 passed, 0 failed") {
		t.Errorf("check --golden of the exports: exit %d:\n%s", code, out)
	}
}

// TestCheckGradWorkers: check --dir BWD_* takes --workers and runs every
// gradient variant again with that many workers.
func TestCheckGradWorkers(t *testing.T) {
	code, out := runCLI(t, "check", "--dir", "BWD_WB", "--workers", "3", "mb2ic4ih6oc4oh6kh3ph1")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"ok    adjoint", "ok    variant bwd-weights-gemm dw ", "ok    variant bwd-weights-gemm db ", "ok    variant bwd-weights-gemm, 3 workers dw "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
