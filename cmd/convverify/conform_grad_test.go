package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformGradGoWorkerPasses: the Go worker's own float32 gradient loops
// for every op pass conform in every backward direction.
func TestConformGradGoWorkerPasses(t *testing.T) {
	for _, dir := range []string{"BWD_D", "BWD_W", "BWD_WB"} {
		t.Run(dir, func(t *testing.T) {
			code, out := runCLI(t, "conform", "--exec", goWorker(t), "--dir", dir, "--checks", "30", "--keep", filepath.Join(t.TempDir(), "keep"))
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			for _, want := range []string{"direction " + dir, "conv     1d", "deconv   3d", "deform   2d", "dynamic  3d", "ok: 120 passed, 0 skipped"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestConformGradPlantedBug: the Go worker's db-batch bug (db summed over
// the first image only) is caught by conform --dir BWD_WB, shrunk to a
// small problem, and its case kept with the worker's db.npy.
func TestConformGradPlantedBug(t *testing.T) {
	keep := filepath.Join(t.TempDir(), "keep")
	code, out := runCLI(t, "conform", "--exec", goWorker(t)+" -plant db-batch", "--op", "conv", "--dir", "BWD_WB", "--checks", "100", "--keep", keep)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the planted bug caught):\n%s", code, out)
	}
	p, ok := shrunkProblems(t, out)["conv"]
	if !ok {
		t.Fatalf("no shrunk conv failure:\n%s", out)
	}
	checkSmall(t, "db-batch", p)
	if !strings.Contains(out, "--dir BWD_WB") || !strings.Contains(out, "db.npy FAIL") {
		t.Errorf("the failure does not name the direction and db.npy:\n%s", out)
	}
	for _, f := range []string{"dy.npy", "x.npy", "db.npy", "dw.npy"} {
		if _, err := os.Stat(filepath.Join(keep, "conv-failure", f)); err != nil {
			t.Errorf("failing case not kept whole: %v", err)
		}
	}
}

// TestConformGradNeedsCapability: --dir BWD_… against a worker whose
// handshake lacks "grad" is a usage error naming the capability, and no
// case is sent.
func TestConformGradNeedsCapability(t *testing.T) {
	noGrad := `echo '{"protocol":"convverify-worker","version":1,"name":"forward only","ops":["conv"],"caps":["time"]}'; read line; echo "sent: $line" >&2; exit 9`
	code, out := runCLI(t, "conform", "--exec", noGrad, "--dir", "BWD_D", "--checks", "3", "--keep", filepath.Join(t.TempDir(), "keep"))
	if code != 2 || !strings.Contains(out, `no "grad" capability`) || strings.Contains(out, "sent:") {
		t.Errorf("exit %d, want 2 naming the grad capability, nothing sent:\n%s", code, out)
	}
	if code, out := runCLI(t, "conform", "--exec", "x", "--dir", "BWD_X"); code != 2 || !strings.Contains(out, "BWD_X") {
		t.Errorf("--dir BWD_X: exit %d:\n%s", code, out)
	}
}

// TestConformGradPyTorch: PyTorch autograd's gradients pass in every
// backward direction of every op, and its gradient-only planted bugs are
// caught and shrunk.
func TestConformGradPyTorch(t *testing.T) {
	worker := pytorchWorker(t)
	for _, dir := range []string{"BWD_D", "BWD_W", "BWD_WB"} {
		code, out := runCLI(t, "conform", "--exec", worker, "--dir", dir, "--checks", "20", "--keep", filepath.Join(t.TempDir(), "keep"))
		if code != 0 {
			t.Fatalf("%s: exit %d:\n%s", dir, code, out)
		}
	}
	// Gradient-only bugs: db-batch (db summed over the first image) and
	// route-detach (a dynamic convolution's routing detached from the
	// graph, so dx lacks its routing term); the forward pass of each is
	// right, so only --dir catches them.
	for _, tc := range []struct{ plant, op, dir string }{{"db-batch", "deconv", "BWD_WB"}, {"route-detach", "dynamic", "BWD_D"}} {
		t.Run(tc.plant, func(t *testing.T) {
			if code, out := runCLI(t, "conform", "--exec", worker+" --plant "+tc.plant, "--op", tc.op, "--checks", "30", "--keep", filepath.Join(t.TempDir(), "keep")); code != 0 {
				t.Errorf("forward: exit %d, want 0 (a gradient-only bug):\n%s", code, out)
			}
			code, out := runCLI(t, "conform", "--exec", worker+" --plant "+tc.plant, "--op", tc.op, "--dir", tc.dir, "--checks", "100", "--keep", filepath.Join(t.TempDir(), "keep"))
			if code != 1 {
				t.Fatalf("exit %d, want 1 (the planted bug caught):\n%s", code, out)
			}
			p, ok := shrunkProblems(t, out)[tc.op]
			if !ok {
				t.Fatalf("no shrunk %s failure:\n%s", tc.op, out)
			}
			checkSmall(t, tc.plant, p)
		})
	}
}
