package verify

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
)

// TestOutsideGoldens: all 50 cases written by ONNX and PyTorch pass through
// the reference and every variant that supports them.
func TestOutsideGoldens(t *testing.T) {
	cases, err := golden.LoadONNX("../testdata/onnx")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 50 {
		t.Fatalf("loaded %d outside cases, want 50", len(cases))
	}
	variants := 0
	for _, c := range cases {
		for _, l := range Golden(c) {
			if !l.OK() {
				t.Errorf("%s (%s): %s", c.Name, c.Problem.Command(), l)
			}
			if l.Skip == "" && l.Name != ReferenceVsGolden {
				variants++
			}
			if l.Verdict.Mistrusted() {
				t.Errorf("%s: %s: over 90%% of expected values are 0", c.Name, l.Name)
			}
		}
	}
	t.Logf("50 outside cases, %d variant runs", variants)
}

// TestGoldenFormatFolders: every committed golden-format folder passes.
func TestGoldenFormatFolders(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/golden/*")
	if len(dirs) == 0 {
		t.Fatal("no golden-format folders under testdata/golden")
	}
	ops := map[conv.Op]int{}
	for _, d := range dirs {
		c, err := golden.Load(d)
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		ops[c.Problem.Op]++
		for _, l := range Golden(c) {
			if !l.OK() {
				t.Errorf("%s: %s", d, l)
			}
		}
	}
	for _, op := range []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic} {
		if ops[op] == 0 {
			t.Errorf("no golden-format case for op %s", op)
		}
	}
}

// TestGoldenDetectsCorruption: a golden output changed by one ulp-scale nudge
// far beyond its bound must fail, so the golden check can fail.
func TestGoldenDetectsCorruption(t *testing.T) {
	cases, err := golden.LoadONNX("../testdata/onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases[:5] {
		c.Want.Data = append([]float64(nil), c.Want.Data...)
		mid := len(c.Want.Data) / 2
		c.Want.Data[mid] += 1e-3 * (1 + math.Abs(c.Want.Data[mid]))
		if l := Golden(c)[0]; l.OK() {
			t.Errorf("%s: corrupted golden passed: %s", c.Name, l)
		}
	}
}

// TestGoldenSuspectsBadGolden: with a wrong expected output the reference
// line fails once and names the golden file as the suspect; the variants are
// then judged against the reference and pass, instead of every one failing
// against the bad file. Columns: exp is the truth side (named second).
func TestGoldenSuspectsBadGolden(t *testing.T) {
	c, err := golden.Load("../testdata/golden/test_Conv2d")
	if err != nil {
		t.Fatal(err)
	}
	good := Golden(c)
	if len(good) < 3 {
		t.Fatalf("want the reference line and at least two variants, got %d lines", len(good))
	}
	for _, l := range good[1:] {
		if !strings.HasSuffix(l.Name, " vs golden") || !l.OK() {
			t.Errorf("good case: %s", l)
		}
	}
	c.Want.Data = append([]float64(nil), c.Want.Data...)
	c.Want.Data[7] += 100
	lines := Golden(c)
	ref := lines[0]
	if ref.Name != ReferenceVsGolden || ref.OK() || !strings.Contains(ref.Note, "y.npy disagrees with the reference") {
		t.Errorf("first line: %s (note %q)", ref, ref.Note)
	}
	if ref.Verdict.Exp != c.Want.Data[7] || ref.Verdict.Got == c.Want.Data[7] || ref.Verdict.Worst != 7 {
		t.Errorf("reference vs golden: exp %v got %v at %d, want exp = the golden value %v", ref.Verdict.Exp, ref.Verdict.Got, ref.Verdict.Worst, c.Want.Data[7])
	}
	for _, l := range lines[1:] {
		if !strings.HasSuffix(l.Name, " vs reference") {
			t.Errorf("variant line %q: want it judged against the reference", l.Name)
		}
		if !l.OK() {
			t.Errorf("a variant was blamed for the bad golden file: %s", l)
		}
	}
	if len(lines) != len(good) {
		t.Errorf("%d lines with a bad golden, %d with a good one", len(lines), len(good))
	}
}

// TestRandomAllOps: check on random data passes for one problem of each op.
func TestRandomAllOps(t *testing.T) {
	for _, tc := range []struct {
		desc string
		op   conv.Op
		edit func(*conv.Problem)
	}{
		{"mb2g2ic4ih7oc6oh7kh3ph1", conv.OpConv, nil},
		{"mb1ic3id4ih5iw6oc2kd2kh3kw2sh2dw1", conv.OpConv, nil},
		{"mb2ic4ih4oc6oh8kh4sh2ph1", conv.OpDeconv, nil},
		{"mb1ic4ih6oc3oh6kh3ph1", conv.OpDeform, func(p *conv.Problem) { p.DG, p.Mask = 2, true }},
		{"mb3ic4ih6oc5oh6kh3ph1", conv.OpDynamic, func(p *conv.Problem) { p.E, p.Routing, p.Temperature = 3, conv.RoutingSoftmax, 0.5 }},
	} {
		p, err := conv.ParseDescriptor(tc.desc, tc.op)
		if err != nil {
			t.Fatal(err)
		}
		if tc.edit != nil {
			tc.edit(&p)
		}
		lines, err := Random(&p, 1, conv.DefaultBudget, nil)
		if err != nil {
			t.Fatalf("%s: %v", p.Command(), err)
		}
		for _, l := range lines {
			if !l.OK() {
				t.Errorf("%s: %s", p.Command(), l)
			}
		}
	}
}

func TestRandomRefusesHugeProblem(t *testing.T) {
	p, err := conv.ParseDescriptor("mb1ic1iw4294967311oc1ow4294967311kw1", conv.OpConv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Random(&p, 1, conv.DefaultBudget, nil); err == nil {
		t.Fatal("a 16 GiB problem was accepted under a 4 GiB budget")
	}
}
