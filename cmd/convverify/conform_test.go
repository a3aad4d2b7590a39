package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/convverify/convverify/conv"
)

var (
	goWorkerOnce sync.Once
	goWorkerExe  string
	goWorkerErr  error
)

// goWorker builds adapters/goworker once per test run.
func goWorker(t *testing.T) string {
	t.Helper()
	goWorkerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "convverify-goworker-")
		if err != nil {
			goWorkerErr = err
			return
		}
		goWorkerExe = filepath.Join(dir, "goworker")
		out, err := exec.Command("go", "build", "-o", goWorkerExe, "github.com/convverify/convverify/adapters/goworker").CombinedOutput()
		if err != nil {
			goWorkerErr = err
			t.Logf("%s", out)
		}
	})
	if goWorkerErr != nil {
		t.Fatalf("building adapters/goworker: %v", goWorkerErr)
	}
	return goWorkerExe
}

// pytorchWorker returns the command line of the PyTorch worker, or skips
// when Debian's python3-torch and python3-torchvision are missing (CI
// installs them, so there the tests run).
func pytorchWorker(t *testing.T) string {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, torchvision, numpy").Run(); err != nil {
		t.Skipf("PyTorch worker not tested: /usr/bin/python3 cannot import torch, torchvision and numpy (%v); install python3-torch python3-torchvision", err)
	}
	abs, err := filepath.Abs("../../adapters/pytorch/worker.py")
	if err != nil {
		t.Fatal(err)
	}
	return "/usr/bin/python3 '" + abs + "'"
}

func TestConformGoWorkerPasses(t *testing.T) {
	code, out := runCLI(t, "conform", "--exec", goWorker(t), "--checks", "40", "--keep", filepath.Join(t.TempDir(), "keep"))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"goworker", "conv     1d", "deform   2d", "dynamic  3d", "ok: 160 passed, 0 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// failLine finds the shrunk problem in conform's output for op.
var failLine = regexp.MustCompile(`FAIL  (\w+): smallest failing problem \(shrunk\): --op (\w+)((?: --[a-z]+(?: [^ -][^ ]*)?)*) (\S+)`)

// shrunkProblems returns the failing problems conform printed, by op.
func shrunkProblems(t *testing.T, out string) map[string]conv.Problem {
	t.Helper()
	ps := map[string]conv.Problem{}
	for _, m := range failLine.FindAllStringSubmatch(out, -1) {
		op, err := conv.ParseOp(m[2])
		if err != nil {
			t.Fatal(err)
		}
		p, err := conv.ParseDescriptor(m[4], op)
		if err != nil {
			t.Fatalf("shrunk descriptor %q: %v", m[4], err)
		}
		ps[m[1]] = p
	}
	return ps
}

// checkSmall demands what the issue asks of a shrunk failure: no larger than
// 4 in every spatial size (input and output) and 4 channels.
func checkSmall(t *testing.T, name string, p conv.Problem) {
	t.Helper()
	for _, a := range p.Axes() {
		if p.I[a] > 4 || p.O[a] > 4 {
			t.Errorf("%s: shrunk to %s: spatial size over 4", name, p.Descriptor())
		}
	}
	if p.IC > 4 || p.OC > 4 {
		t.Errorf("%s: shrunk to %s: over 4 channels", name, p.Descriptor())
	}
}

func TestConformGoWorkerPlantedBugs(t *testing.T) {
	for _, tc := range []struct{ plant, op string }{{"deconv-bias", "deconv"}, {"mask", "deform"}} {
		t.Run(tc.plant, func(t *testing.T) {
			keep := filepath.Join(t.TempDir(), "keep")
			code, out := runCLI(t, "conform", "--exec", goWorker(t)+" -plant "+tc.plant, "--op", tc.op, "--checks", "200", "--keep", keep)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			p, ok := shrunkProblems(t, out)[tc.op]
			if !ok {
				t.Fatalf("no shrunk %s failure:\n%s", tc.op, out)
			}
			checkSmall(t, tc.plant, p)
			if _, err := os.Stat(filepath.Join(keep, tc.op+"-failure", "y.npy")); err != nil {
				t.Errorf("failing case not kept: %v", err)
			}
			// The kept folder replays the failure as a golden case.
			if code, out := runCLI(t, "check", "--golden", filepath.Join(keep, tc.op+"-failure")); code != 1 {
				t.Errorf("check --golden on the kept case: exit %d, want 1:\n%s", code, out)
			}
		})
	}
}

// TestConformPyTorchPlantedBugs: six realistic bugs planted in the PyTorch
// worker are each caught and shrunk to a problem of at most 4 in every
// spatial size and 4 channels.
func TestConformPyTorchPlantedBugs(t *testing.T) {
	worker := pytorchWorker(t)
	for _, tc := range []struct{ plant, op string }{
		{"output-padding", "deconv"},
		{"mask", "deform"},
		{"end-padding", "conv"},
		{"group-split", "conv"},
		{"deconv-bias", "deconv"},
		{"dilation-stride", "conv"},
	} {
		t.Run(tc.plant, func(t *testing.T) {
			code, out := runCLI(t, "conform", "--exec", worker+" --plant "+tc.plant, "--op", tc.op, "--checks", "300", "--keep", filepath.Join(t.TempDir(), "keep"))
			if code != 1 {
				t.Fatalf("exit %d, want 1 (the planted bug caught):\n%s", code, out)
			}
			p, ok := shrunkProblems(t, out)[tc.op]
			if !ok {
				t.Fatalf("no shrunk %s failure:\n%s", tc.op, out)
			}
			checkSmall(t, tc.plant, p)
			if tc.plant == "group-split" && p.ICG() == p.OCG() {
				t.Errorf("group-split shrunk to %s, where ic/g = oc/g", p.Descriptor())
			}
		})
	}
}

// TestConformPyTorchPasses: the shipped PyTorch worker passes every op (CI
// runs the default depth through the CLI; this is a quick run).
func TestConformPyTorchPasses(t *testing.T) {
	worker := pytorchWorker(t)
	code, out := runCLI(t, "conform", "--exec", worker, "--checks", "50", "--keep", filepath.Join(t.TempDir(), "keep"))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestConformCrashingWorker(t *testing.T) {
	code, out := runCLI(t, "conform", "--exec", "echo 'cannot load libcuda.so' >&2; exit 3", "--checks", "5", "--op", "conv", "--keep", filepath.Join(t.TempDir(), "keep"))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"CRASH", "cannot load libcuda.so", "exited with status 3", "FAIL: 0 failed, 5 crashed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConformUsage(t *testing.T) {
	for _, args := range [][]string{
		{"conform"},
		{"conform", "--exec", "x", "--checks", "0"},
		{"conform", "--exec", "x", "--op", "pool"},
		{"conform", "--exec", "x", "extra"},
	} {
		if code, out := runCLI(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2:\n%s", args, code, out)
		}
	}
	keep := t.TempDir()
	os.WriteFile(filepath.Join(keep, "mine.txt"), nil, 0o644)
	if code, out := runCLI(t, "conform", "--exec", "x", "--keep", keep); code != 2 || !strings.Contains(out, "not empty") {
		t.Errorf("--keep on a folder with files: exit %d:\n%s", code, out)
	}
}
