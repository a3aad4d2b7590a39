package claims

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/properties"
	"github.com/convverify/convverify/reference"
)

func decideOne(t *testing.T, id string) Result {
	t.Helper()
	cs, err := Select([]string{id})
	if err != nil {
		t.Fatal(err)
	}
	return Run(NewContext(1, 20, "", nil), cs)[0].Result
}

// TestBrokenFormulaFlipsVerdict injects a wrong formula through the function
// variables the claims compute with and checks that the verdicts depending on
// it flip: the verdicts are computed, not typed in.
func TestBrokenFormulaFlipsVerdict(t *testing.T) {
	cases := []struct {
		id     string
		break_ func() func()
	}{
		{"s14-example-params", func() func() {
			old := paramsOf
			paramsOf = func(p *conv.Problem, bias bool) int64 { return old(p, bias) + 1 }
			return func() { paramsOf = old }
		}},
		{"s15-deconv-example", func() func() {
			old := deconvOutSize
			deconvOutSize = func(i, k, s, pb, pe, d int) int { return s*i + k - pb - pe } // s·i instead of s·(i−1)
			return func() { deconvOutSize = old }
		}},
		{"s3-two-3x3-field", func() func() {
			old := receptiveField
			receptiveField = func(ls []conv.Layer) []conv.Field {
				f := old(ls)
				for i := range f {
					f[i].Size += i // forgets nothing for one layer, adds one per extra layer
				}
				return f
			}
			return func() { receptiveField = old }
		}},
		{"s8-zeros-inserted", nil},
		{"s13-cost", func() func() {
			old := macsOf
			macsOf = func(p *conv.Problem) int64 { return int64(p.OC) } // forgets the spatial work
			return func() { macsOf = old }
		}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			before := decideOne(t, c.id)
			if c.break_ == nil {
				t.Skip("decided by properties; see TestPropertyVerdictsAreLive")
			}
			restore := c.break_()
			after := decideOne(t, c.id)
			restore()
			if before.Verdict == after.Verdict {
				t.Fatalf("%s: verdict %v before and after breaking its formula (%s → %s)", c.id, before.Verdict, before.Evidence, after.Evidence)
			}
			if before.Evidence == after.Evidence {
				t.Errorf("%s: the verdict flipped but the evidence did not change: %s", c.id, after.Evidence)
			}
			t.Logf("%s: %v → %v", c.id, before.Verdict, after.Verdict)
		})
	}
}

// TestEvidenceFollowsTheComparison fakes the counts the Q&A's figures are
// compared with so that each figure agrees, and checks that the verdict flips
// and that the evidence says the figure matches instead of how far off it is:
// the evidence sentences are chosen from the comparison, not typed in.
func TestEvidenceFollowsTheComparison(t *testing.T) {
	example := qaExample()
	sep, _ := conv.NewSeparable(example)
	realTaps, realSepTaps := counted(&example).Taps, countedSeparable(sep).Taps
	cases := []struct {
		id            string
		fake          func()
		banned, wants []string
	}{
		{"s14-example-flops", func() {
			counted = func(p *conv.Problem) reference.Counter {
				c := countedMemo(p)
				if p.Command() == example.Command() {
					c.Taps = int64(qaFLOPs / 2) // the Q&A's 1.73×10⁹ FLOPs, as taps
				}
				return c
			}
		}, []string{"too high", "too low", "not ", "neither"}, []string{"the Q&A's 1.73×10⁹ matches"}},
		{"s14-separable-flops", func() {
			countedSeparable = func(s conv.Separable) reference.Counter {
				c := countSeparable(s)
				c.Taps = int64(qaSepFLOPs) // the Q&A's 0.13×10⁹, as MACs
				return c
			}
		}, []string{"neither", "not "}, []string{"matches the MAC count"}},
		{"s14-separable-speedup", func() {
			countedSeparable = func(s conv.Separable) reference.Counter {
				c := countSeparable(s)
				c.Taps = realTaps / qaSepSpeedup
				return c
			}
		}, []string{"too high", "too low", "not "}, []string{"the Q&A's ×13 matches"}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			before := decideOne(t, c.id)
			c.fake()
			after := decideOne(t, c.id)
			counted, countedSeparable = countedMemo, countSeparable
			if before.Verdict != Refuted || after.Verdict != Holds {
				t.Fatalf("verdict %v with the real count, %v with the Q&A's: want refuted then holds", before.Verdict, after.Verdict)
			}
			for _, b := range c.banned {
				if strings.Contains(after.Evidence, b) {
					t.Errorf("evidence with the Q&A's figure made true still says %q: %s", b, after.Evidence)
				}
			}
			for _, w := range c.wants {
				if !strings.Contains(after.Evidence, w) {
					t.Errorf("evidence with the Q&A's figure made true lacks %q: %s", w, after.Evidence)
				}
				if strings.Contains(before.Evidence, w) {
					t.Errorf("evidence with the real count says %q: %s", w, before.Evidence)
				}
			}
		})
	}
	if counted(&example).Taps != realTaps || countedSeparable(sep).Taps != realSepTaps {
		t.Fatal("the fakes were not undone")
	}
}

// TestPropertyVerdictsAreLive plants a failed outcome for a property a claim
// rests on: the verdict flips and the evidence says the property disagreed
// instead of standing unqualified.
func TestPropertyVerdictsAreLive(t *testing.T) {
	for _, c := range []struct{ id, property string }{
		{"s11-grouped-params", "GroupedCost"},
		{"s16-invariance", "TranslationInvariance"},
		{"s8-zeros-inserted", "DilationIsInflatedKernel"},
	} {
		cs, err := Select([]string{c.id})
		if err != nil {
			t.Fatal(err)
		}
		ctx := NewContext(1, 20, "", nil)
		before := Run(ctx, cs)[0]
		p, _ := properties.Lookup(c.property)
		ctx.outcomes[c.property] = properties.Outcome{Failed: !p.Refutes, Message: "planted"}
		after := Run(ctx, cs)[0]
		if before.Verdict == after.Verdict {
			t.Errorf("%s: verdict %v whatever %s says", c.id, before.Verdict, c.property)
		}
		if strings.Contains(before.Evidence, "not established") || !strings.Contains(after.Evidence, "property "+c.property+" did not give its expected outcome") {
			t.Errorf("%s: evidence does not follow %s:\nbefore: %s\nafter:  %s", c.id, c.property, before.Evidence, after.Evidence)
		}
	}
}

// TestFormulaCannotFakeACount: making the FLOPs formula agree with the Q&A's
// wrong 1.73×10⁹ does not make the claim hold, because the verdict rests on
// the work the reference counts; the disagreement is reported instead.
func TestFormulaCannotFakeACount(t *testing.T) {
	old := macsOf
	macsOf = func(p *conv.Problem) int64 { return 10 * old(p) }
	r := decideOne(t, "s14-example-flops")
	macsOf = old
	if r.Verdict != Refuted || !strings.Contains(r.Evidence, "disagrees") {
		t.Fatalf("with a 10× formula: %v, %s", r.Verdict, r.Evidence)
	}
}

// TestEveryClaimDecides decides every claim: none panics, every section of
// the Q&A has claims, IDs are unique, and the refutations the Q&A's numbers
// deserve are there.
func TestEveryClaimDecides(t *testing.T) {
	fakeTiming(t, byLength)
	ds := Run(NewContext(1, 20, "", nil), All())
	seen, sections := map[string]bool{}, map[int]bool{}
	verdict := map[string]Verdict{}
	for _, d := range ds {
		if seen[d.ID] {
			t.Errorf("duplicate claim ID %s", d.ID)
		}
		seen[d.ID], sections[d.Section] = true, true
		verdict[d.ID] = d.Verdict
		if strings.Contains(d.Evidence, "panicked") {
			t.Errorf("%s: %s", d.ID, d.Evidence)
		}
		if d.Quote == "" || d.Paraphrase == "" || d.Check == "" || d.Evidence == "" {
			t.Errorf("%s: empty quote, paraphrase, check or evidence", d.ID)
		}
	}
	for s := 1; s <= 16; s++ {
		if !sections[s] {
			t.Errorf("section %d has no claim", s)
		}
	}
	for _, id := range []string{"s14-example-flops", "s14-example-memory", "s14-separable-flops", "s14-separable-speedup",
		"s8-zeros-inserted", "s9-stride-2-fixes", "s16-invariance", "s3-5x5-factorisation"} {
		if verdict[id] != Refuted {
			t.Errorf("%s: verdict %v, want refuted", id, verdict[id])
		}
	}
	for _, id := range []string{"s8-figure-b", "s4-field-larger-than-input", "s15-squeezenet", "s7-learned-upsampling"} {
		if verdict[id] != HoldsWithCaveat {
			t.Errorf("%s: verdict %v, want holds with caveat", id, verdict[id])
		}
	}
	for _, id := range []string{"s13-example", "s14-example-params", "s14-separable-params", "s15-deconv-example", "s3-two-3x3-field"} {
		if verdict[id] != Holds {
			t.Errorf("%s: verdict %v, want holds", id, verdict[id])
		}
	}
}

// rendered are claims whose quote renders a LaTeX formula or joins list
// items, so it cannot match the source text character for character.
var rendered = map[string]bool{"s2-feature-levels": true, "s11-grouped-params": true, "s4-enlarge": true, "s13-formula": true, "s14-flops-formula": true,
	"s14-params-formula": true, "s14-memory-formula": true, "s14-example-flops": true, "s14-example-params": true,
	"s14-example-memory": true, "s14-separable-params": true, "s14-separable-flops": true, "s15-standard-formula": true, "s15-separable-cost": true}

// TestQuotesAreVerbatim checks every quote against the Q&A itself (LaTeX
// delimiters and spaces ignored).
func TestQuotesAreVerbatim(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "seed", "convolution-qa.md"))
	if err != nil {
		t.Fatal("the Q&A is part of the repository:", err)
	}
	norm := func(s string) string {
		s = strings.NewReplacer(`\times`, "×", `\rightarrow`, "→", "$", "", "**", "", "`", "").Replace(s)
		s = regexp.MustCompile(`<[^>]+>`).ReplaceAllString(s, "")
		return strings.Join(strings.Fields(s), "")
	}
	seed := norm(string(b))
	for _, c := range All() {
		if rendered[c.ID] {
			continue
		}
		for _, part := range strings.Split(c.Quote, "…") {
			if p := norm(part); p != "" && !strings.Contains(seed, p) {
				t.Errorf("%s: quote %q is not in the Q&A", c.ID, part)
			}
		}
	}
}

func TestSelectUnknownID(t *testing.T) {
	_, err := Select([]string{"s1-local-connectivity", "no-such-claim"})
	if err == nil || !strings.Contains(err.Error(), "no-such-claim") {
		t.Fatalf("Select: %v, want an error naming the unknown ID", err)
	}
}

// TestGenerateWritesReport writes a report of a few claims with figures into
// a temporary directory.
func TestGenerateWritesReport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "FINDINGS.md")
	ds, err := Generate(Options{Seed: 2, Checks: 10, IDs: []string{"s9-uneven-overlap", "s14-separable-speedup", "s16-invariance"}, Out: out, Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Summary", "s16-invariance", "Shrunk counterexample", "--op conv", "checkerboard_k3_s2.png", "separable_cost.png",
		"go test ./properties -run '^TestProperties$/^TranslationInvariance$' -rapid.seed=2 -rapid.checks=10 -v",
		"`gemm=" + optimized.Kernel() + " ", "](../docs/seed/convolution-qa.md)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(string(md), "shared/") {
		t.Errorf("report links outside the repository (shared/)")
	}
	for _, d := range ds {
		for _, f := range d.Figures {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
				t.Errorf("figure %s: %v", f, err)
			}
		}
	}
	if _, err := Generate(Options{Seed: 1, Checks: 1, IDs: []string{"s13-example"}, Out: filepath.Join(out, "x", "y.md")}); err == nil {
		t.Errorf("writing under a file path succeeded")
	}
}

// TestReproRunsTheProperty: the printed command runs the property itself,
// including those TestProperties skips because a test of their own runs them.
func TestReproRunsTheProperty(t *testing.T) {
	for name, want := range map[string]string{
		"VariantsMatchReference": "-run '^TestVariantsMatchReference$' -rapid.seed=7 -rapid.checks=50",
		"CostsCounted":           "-run '^TestProperties$/^CostsCounted$' -rapid.seed=7 -rapid.checks=50",
	} {
		if r := Repro(name, 7, 50); !strings.Contains(r, want) {
			t.Errorf("Repro(%s) = %q, want it to contain %q", name, r, want)
		}
	}
}
