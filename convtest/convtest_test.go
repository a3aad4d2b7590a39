package convtest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
)

// refImpl is a correct implementation: the float64 reference, rounded.
// bug, when set, damages its output after the fact.
type refImpl struct {
	name string
	bug  func(p *conv.Problem, in conv.Inputs[float32], out []float32)
}

func (r refImpl) Name() string                   { return r.name }
func (r refImpl) Ops() []conv.Op                 { return convtest.AllOps }
func (r refImpl) Supports(p *conv.Problem) error { return nil }
func (r refImpl) Forward(p *conv.Problem, in conv.Inputs[float32], out []float32) error {
	y, err := reference.Forward(p, conv.ConvertInputs[float64](in), nil)
	if err != nil {
		return err
	}
	for i, v := range y {
		out[i] = float32(v)
	}
	if r.bug != nil {
		r.bug(p, in, out)
	}
	return nil
}

// stale is a bug of a reused accumulator: each call adds the previous
// call's output to its own when the shape repeats.
type stale struct {
	refImpl
	prev *[]float32
}

func (s stale) Forward(p *conv.Problem, in conv.Inputs[float32], out []float32) error {
	if err := s.refImpl.Forward(p, in, out); err != nil {
		return err
	}
	if len(*s.prev) == len(out) {
		for i := range out {
			out[i] += 1e-3 * (*s.prev)[i]
		}
	}
	*s.prev = append((*s.prev)[:0], out...)
	return nil
}

func problem(t *testing.T, desc string, op conv.Op) conv.Problem {
	t.Helper()
	p, err := conv.ParseDescriptor(desc, op)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckCatches plants one bug at a time in a correct implementation
// and demands that Check fails, in the check that should see it.
func TestCheckCatches(t *testing.T) {
	p := problem(t, "mb2ic3ih5iw6oc4kh3kw2ph1pw1", conv.OpConv)
	if f := convtest.Check(refImpl{name: "ref"}, &p, 1, true); f != nil {
		t.Fatalf("the reference itself fails: %v", f)
	}
	for _, c := range []struct {
		name, what, msg string
		bug             func(p *conv.Problem, in conv.Inputs[float32], out []float32)
	}{
		{"unwritten", "real fill", "NaN", func(_ *conv.Problem, _ conv.Inputs[float32], out []float32) {
			out[len(out)-1] = float32FromBits(0x7fc00000)
		}},
		{"write-past", "real fill", "wrote past its output", func(_ *conv.Problem, _ conv.Inputs[float32], out []float32) {
			unsafe.Slice(&out[0], len(out)+1)[len(out)] = 1
		}},
		{"write-before", "real fill", "wrote before its output", func(_ *conv.Problem, _ conv.Inputs[float32], out []float32) {
			*(*float32)(unsafe.Add(unsafe.Pointer(&out[0]), -4)) = 1
		}},
		{"panics", "real fill", "panic: runtime error: index out of range", func(_ *conv.Problem, _ conv.Inputs[float32], out []float32) {
			_ = out[len(out)]
		}},
		{"one-element", "real fill", "outside bound", func(_ *conv.Problem, _ conv.Inputs[float32], out []float32) {
			out[7] *= 1.001
		}},
		{"bias-dropped", "real fill", "bias true", func(p *conv.Problem, in conv.Inputs[float32], out []float32) {
			if in.B != nil {
				osp := conv.Spatial(p.O)
				for i := range out {
					out[i] -= in.B[(i/osp)%p.OC]
				}
			}
		}},
	} {
		f := convtest.Check(refImpl{name: c.name, bug: c.bug}, &p, 1, true)
		if f == nil {
			t.Errorf("%s: not caught", c.name)
			continue
		}
		if f.What != c.what || !strings.Contains(f.Message, c.msg) {
			t.Errorf("%s: caught as %q: %s; want %q mentioning %q", c.name, f.What, f.Message, c.what, c.msg)
		}
		for _, want := range []string{p.Descriptor(), "go run github.com/convverify/convverify/cmd/convverify check"} {
			if !strings.Contains(f.Message, want) {
				t.Errorf("%s: message lacks %q: %s", c.name, want, f.Message)
			}
		}
	}
	// A stale accumulator passes the first run but not F(a·x) = a·F(x).
	var prev []float32
	f := convtest.Check(stale{refImpl{name: "stale"}, &prev}, &p, 1, false)
	if f == nil || f.What != "linearity" {
		t.Errorf("stale accumulator: got %v, want a linearity failure", f)
	}
}

func float32FromBits(b uint32) float32 { return *(*float32)(unsafe.Pointer(&b)) }

// TestRunReportsShrunkCase runs a buggy implementation's suite in a child
// process: it must fail, print the shrunk problem's descriptor and the
// replay command, and leave a golden-format folder that loads back as that
// problem with the reference's output.
func TestRunReportsShrunkCase(t *testing.T) {
	if os.Getenv("CONVTEST_CHILD") == "1" {
		convtest.Run(t, refImpl{name: "off-by-one", bug: func(p *conv.Problem, _ conv.Inputs[float32], out []float32) {
			if p.MB > 1 { // a bug of the second image only
				out[len(out)-1] += 1
			}
		}}, convtest.Ops(conv.OpConv), convtest.NoRegressions())
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunReportsShrunkCase$", "-rapid.nofailfile", "-rapid.seed=1", "-rapid.shrinktime=10s", "-convtest.dir="+dir)
	cmd.Env = append(os.Environ(), "CONVTEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child passed:\n%s", out)
	}
	s := string(out)
	for _, want := range []string{"off-by-one fails on", "replay:  go run github.com/convverify/convverify/cmd/convverify check --op conv", "check --golden"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	m := regexp.MustCompile(`case:    (\S+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no case folder named:\n%s", s)
	}
	if filepath.Dir(m[1]) != filepath.Clean(dir) {
		t.Errorf("case written to %s, want under %s", m[1], dir)
	}
	c, err := golden.Load(m[1])
	if err != nil {
		t.Fatal(err)
	}
	p := c.Problem
	if p.MB != 2 || p.IC != 1 || p.OC != 1 {
		t.Errorf("case %s is not shrunk (2 images, one channel in and out)", p.Descriptor())
	}
	if !strings.Contains(s, "fails on "+p.Descriptor()) {
		t.Errorf("output does not name the written problem %s:\n%s", p.Descriptor(), s)
	}
	y, err := reference.Forward(&p, c.In, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range y {
		if float32(y[i]) != float32(c.Want.Data[i]) {
			t.Fatalf("written output[%d] = %v, reference %v", i, c.Want.Data[i], y[i])
		}
	}
}

// TestRegressionsCoverEveryOp: the fixed shapes include every op, ranks
// 1–3, and the corners they are there for.
func TestRegressionsCoverEveryOp(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range convtest.Regressions() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Command(), err)
		}
		seen[p.Op.String()] = true
		seen[string(rune('0'+p.Rank))+"d"] = true
		if p.Op == conv.OpDeform && p.MB > 1 && p.DG > 1 && p.Mask {
			seen["deform batch+dg+mask"] = true
		}
		if p.Rank == 3 && conv.Spatial(p.O) > 512 && p.S[2] > 1 {
			seen["3d gather over several 512-column tiles"] = true
		}
		if p.IsDilated() {
			dil, strided := true, false
			for _, a := range p.Axes() {
				strided = strided || p.S[a] > 1
			}
			seen["dilated"] = dil
			seen["dilated+strided"] = seen["dilated+strided"] || strided
		}
		if q, err := conv.ParseDescriptor(p.Descriptor(), p.Op); p.Op == conv.OpConv && (err != nil || q.PEnd != p.PEnd || q.O != p.O) {
			t.Errorf("%s: descriptor does not reproduce it", p.Command())
		}
	}
	for _, w := range []string{"conv", "deconv", "deform", "dynamic", "1d", "2d", "3d", "deform batch+dg+mask",
		"3d gather over several 512-column tiles", "dilated", "dilated+strided"} {
		if !seen[w] {
			t.Errorf("no regression shape for %s", w)
		}
	}
}

// TestRunGuarded: a run that writes within its slice passes; the slice is
// NaN before the run.
func TestRunGuarded(t *testing.T) {
	out, err := convtest.RunGuarded(3, func(out []float32) error {
		for i := range out {
			if out[i] == out[i] {
				t.Errorf("out[%d] = %v before the run, want NaN", i, out[i])
			}
			out[i] = float32(i)
		}
		if cap(out) != 3 {
			t.Errorf("cap %d, want 3", cap(out))
		}
		return nil
	})
	if err != nil || out[2] != 2 {
		t.Fatalf("RunGuarded: %v, %v", out, err)
	}
}

// TestConformance runs the package example's implementation through Run,
// as its own tests would.
func TestConformance(t *testing.T) { convtest.Run(t, conv1D{}) }
