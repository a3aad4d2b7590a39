package claims

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeTiming replaces measure for the test: the time of each label is given
// by the function, so no test depends on this machine's speed.
func fakeTiming(t *testing.T, by func(label string) time.Duration) {
	t.Helper()
	old := measure
	measure = func(label string, f func() error) (time.Duration, error) { return by(label), nil }
	t.Cleanup(func() { measure = old })
}

// byLength is a fake timing: a label's length in microseconds.
func byLength(label string) time.Duration { return time.Duration(len(label)) * time.Microsecond }

// claimTexts are the strings a claim prints: its check, evidence and
// details, in order.
func claimTexts(d Decided) []string {
	return append([]string{d.Check, d.Evidence}, d.Details...)
}

// TestSettingsFollow changes each setting and checks that the text of every
// claim its tag names changes and states the new value: the settings behind
// a claim's numbers are printed, not typed.
func TestSettingsFollow(t *testing.T) {
	fakeTiming(t, byLength)
	defaults := DefaultSettings()
	t.Cleanup(func() { settings = defaults })
	typ := reflect.TypeOf(defaults)
	decided := func(ids []string) map[string][]string {
		cs, err := Select(ids)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, d := range Run(NewContext(1, 5, "", nil), cs) {
			out[d.ID] = claimTexts(d)
		}
		return out
	}
	token := func(v int64) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(^|[^0-9.,])%d([^0-9,]|,\s|$)`, v))
	}
	tagged := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		ids := strings.Split(f.Tag.Get("claims"), ",")
		if ids[0] == "" {
			t.Errorf("setting %s names no claim", f.Name)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			settings = defaults
			before := decided(ids)
			v := reflect.ValueOf(&settings).Elem().Field(i)
			nv := v.Int() + 2 // small, so every problem stays valid and quick
			v.SetInt(nv)
			after := decided(ids)
			settings = defaults
			old, new := token(nv-2), token(nv)
			for _, id := range ids {
				tagged[id] = true
				b, a := before[id], after[id]
				all := strings.Join(a, "\n")
				if strings.Join(b, "\n") == all {
					t.Errorf("%s: text unchanged when %s goes from %d to %d", id, f.Name, nv-2, nv)
				}
				// The evidence or the details (what a reader sees) state
				// the new value…
				if !new.MatchString(strings.Join(a[1:], "\n")) {
					t.Errorf("%s: evidence and details do not state %s = %d:\n%s", id, f.Name, nv, all)
				}
				// …and every string that stated the old value states the
				// new one: none of them typed it.
				for i := range b {
					if i < len(a) && old.MatchString(b[i]) && !new.MatchString(a[i]) {
						t.Errorf("%s: %q stated %s = %d, and with %d says %q", id, b[i], f.Name, nv-2, nv, a[i])
					}
				}
				if strings.Contains(all, "panicked") {
					t.Errorf("%s: %s", id, all)
				}
			}
		})
	}
	for id := range tagged {
		if _, err := Select([]string{id}); err != nil {
			t.Errorf("a setting's tag names %s: %v", id, err)
		}
	}
}

// internalNames are identifiers of this package that must not reach a
// reader outside the folded "how this is checked" block.
var internalNames = []string{"paramsOf", "macsOf", "extKernel", "receptiveField", "outSize", "deconvOutSize", "countedSeparable", "bestFactor", "factorJacobianRank", "properties.", "settings."}

// TestEvidenceReadable: every evidence fits a table cell (at most 160
// characters) and neither evidence nor the unfolded details name the
// package's internals.
func TestEvidenceReadable(t *testing.T) {
	fakeTiming(t, byLength)
	for _, d := range Run(NewContext(1, 5, "", nil), All()) {
		if n := utf8.RuneCountInString(d.Evidence); n > 160 {
			t.Errorf("%s: evidence of %d characters, want ≤ 160: %s", d.ID, n, d.Evidence)
		}
		for _, l := range append([]string{d.Evidence, d.Paraphrase}, d.Details...) {
			if isPropertyLine(l) {
				continue
			}
			for _, n := range internalNames {
				if strings.Contains(l, n) {
					t.Errorf("%s: %q names the internal %s", d.ID, l, n)
				}
			}
		}
	}
}

// TestTimingDecides: the timed claims follow the measured times (faked
// here): the verdict and the measured ratio in the evidence change with
// them, and the counted ratio does not.
func TestTimingDecides(t *testing.T) {
	cases := []struct {
		id           string
		slow, fast   string // label substrings of the layer claimed slower / faster
		whenFaster   Verdict
		whenNot      Verdict
		measuredText string
	}{
		{"s3-two-3x3-cost", "5×5", "3×3", Holds, HoldsWithCaveat, "one 5×5 takes ×"},
		{"s13-cost", "3×3×3", "3×3 on", Holds, HoldsWithCaveat, "measured ×"},
		{"s14-separable-timed", "standard", "separable", Holds, Refuted, "measured ×"},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			run := func(slowBy time.Duration) Result {
				fakeTiming(t, func(label string) time.Duration {
					if strings.Contains(label, c.slow) {
						return slowBy
					}
					return time.Millisecond
				})
				return decideOne(t, c.id)
			}
			faster, notFaster := run(100*time.Millisecond), run(time.Microsecond)
			if faster.Verdict != c.whenFaster || notFaster.Verdict != c.whenNot {
				t.Errorf("verdict %v when the claim's layer is faster, %v when not; want %v, %v\n%s\n%s", faster.Verdict, notFaster.Verdict, c.whenFaster, c.whenNot, faster.Evidence, notFaster.Evidence)
			}
			if faster.Evidence == notFaster.Evidence || !strings.Contains(faster.Evidence, c.measuredText) {
				t.Errorf("evidence does not follow the times:\n%s\n%s", faster.Evidence, notFaster.Evidence)
			}
		})
	}
}

// TestReportReadable generates a report of a few claims and checks its
// shape: the answer key lists the Q&A's wrong and imprecise statements and
// not our extensions, each figure is embedded once with a caption, property
// boilerplate is folded into <details>, and each claim has its command.
func TestReportReadable(t *testing.T) {
	fakeTiming(t, byLength)
	dir := t.TempDir()
	out := filepath.Join(dir, "FINDINGS.md")
	ids := []string{"s9-uneven-overlap", "s9-darker-regions", "s14-example-flops", "s3-5x5-factorisation", "s8-figure-b", "s14-separable-timed"}
	if _, err := Generate(Options{Seed: 3, Checks: 5, IDs: ids, Out: out, Command: "go run ./cmd/convverify report"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	key := md[strings.Index(md, "## Answer key"):strings.Index(md, "## Summary")]
	for _, id := range []string{"s14-example-flops", "s8-figure-b"} {
		if !strings.Contains(key, "(#"+id+")") {
			t.Errorf("answer key lacks %s:\n%s", id, key)
		}
	}
	for _, id := range []string{"s3-5x5-factorisation", "s14-separable-timed", "s9-uneven-overlap"} {
		if strings.Contains(key, "(#"+id+")") {
			t.Errorf("answer key lists %s (an extension, or a claim that holds):\n%s", id, key)
		}
	}
	if n := strings.Count(md, "](checkerboard_k3_s2.png)"); n != 1 {
		t.Errorf("checkerboard_k3_s2.png embedded %d times, want once", n)
	}
	for _, f := range []string{"checkerboard_k3_s2.png", "checkerboard_k4_s2.png"} {
		i := strings.Index(md, "]("+f+")")
		if i < 0 || !strings.Contains(md[i:], "*Figure ") || !strings.Contains(md[i:min(len(md), i+600)], "input 6×6") {
			t.Errorf("%s: no caption naming the input size after it", f)
		}
	}
	if strings.Count(md, "<details>") != len(ids) || strings.Count(md, "</details>") != len(ids) {
		t.Errorf("want one folded <details> block per claim")
	}
	for _, l := range strings.Split(md, "\n") {
		if isPropertyLine(l) {
			// it must sit inside a details block: after the last <details> opening.
			i := strings.Index(md, l)
			if strings.LastIndex(md[:i], "<details>") <= strings.LastIndex(md[:i], "</details>") {
				t.Errorf("property line outside <details>: %s", l)
			}
		}
	}
	for _, id := range ids {
		if !strings.Contains(md, ReproCommand(id, 3, 5)) {
			t.Errorf("%s: no reproduction command", id)
		}
	}
}

// TestHTMLSelfContained: --format html writes one file with every figure
// inlined, and no figure files beside it.
func TestHTMLSelfContained(t *testing.T) {
	fakeTiming(t, byLength)
	dir := t.TempDir()
	out := filepath.Join(dir, "FINDINGS.html")
	if _, err := Generate(Options{Seed: 1, Checks: 5, IDs: []string{"s9-uneven-overlap", "s16-invariance"}, Out: out, Command: "test", HTML: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	if n := strings.Count(h, `src="data:image/png;base64,`); n != 2 {
		t.Errorf("%d inlined figures, want 2", n)
	}
	if strings.Contains(h, `src="checkerboard`) {
		t.Errorf("a figure is linked, not inlined")
	}
	for _, want := range []string{"<table>", `<h3 id="s16-invariance">`, "<details><summary>", "<pre><code>", `<p class="caption">`, "</html>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "**") || strings.Contains(h, "](#") {
		t.Errorf("markdown left unrendered in the HTML")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the HTML report left %d entries in its folder, want 1", len(ents))
	}
}

func TestTickFormat(t *testing.T) {
	for v, want := range map[float64]string{0.1: "0.1", 1: "1", 250: "250", 1000: "1k", 1e5: "100k", 1e8: "100M", 2.5e6: "2.5M"} {
		if got := tickFormat(v); got != want {
			t.Errorf("tickFormat(%g) = %q, want %q", v, got, want)
		}
	}
}

// TestNetworkLayerLists checks the layer lists against the figures their
// sources publish: receptive fields from Araujo, Norris & Sim, "Computing
// receptive fields of convolutional neural networks" (Distill, 2019; VGG-16
// at pool5, the others at their last conv layer; ResNet-50 v1.5 as the
// issue that asked for the table states it), and SqueezeNet's parameter
// count from its paper's Table 1. A layer missing or strided wrongly moves
// them.
func TestNetworkLayerLists(t *testing.T) {
	published := map[string]int{"ResNet-50 v1": 483, "ResNet-50 v1.5": 427, "MobileNetV2": 491, "Inception-v3": 1311}
	for _, n := range standardNetworks() {
		if want, ok := published[n.Name]; ok && n.lastField().Size != want {
			t.Errorf("%s: last conv layer's field %d px, published %d", n.Name, n.lastField().Size, want)
		}
	}
	ls, _, _ := vgg16()
	if f := receptiveField(ls); f[len(f)-1].Size != 212 {
		t.Errorf("VGG-16 at pool5: field %d, published 212", f[len(f)-1].Size)
	}
	if got, _ := paramsOfLayers(squeezeNetLayers(false)); got != squeezeNetPaperParams {
		t.Errorf("SqueezeNet v1.0: %d parameters, its paper's Table 1 states %d", got, squeezeNetPaperParams)
	}
}
