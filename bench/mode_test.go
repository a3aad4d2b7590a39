package bench

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/convverify/convverify/optimized"
)

// TestPlanModeNames: --mode both times each variant one-shot under the
// baselines' name and through its plan under …/mode=plan, both with
// allocations; the summary tells them apart as IMPL and IMPL[plan], and
// the plan allocates less per run (nothing, which optimized's
// TestPlanRunAllocatesNothing holds exactly; here the count includes
// whatever the runtime allocates meanwhile).
func TestPlanModeNames(t *testing.T) {
	restore, _ := SetBenchtime("2x")
	defer restore()
	v, _ := optimized.Lookup("depthwise-direct")
	impls := VariantModes([]optimized.Variant{v}, true, true)
	if len(impls) != 2 || Label(impls[0]) != "depthwise-direct" || Label(impls[1]) != "depthwise-direct[plan]" {
		t.Fatalf("VariantModes: %v", impls)
	}
	layers := DefaultLayers()
	pairs, err := Select(impls, layers, "", "g32", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := Run(&buf, pairs, Options{Count: 1, Workers: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	base := "Conv/op=conv/impl=depthwise-direct/shape=mb1g32ic32ih112oc32oh112kh3ph1"
	got := map[string]*benchfmt.Result{}
	r := benchfmt.NewReader(&buf, "run")
	for r.Scan() {
		if res, ok := r.Result().(*benchfmt.Result); ok {
			got[res.Name.String()] = res.Clone()
		}
	}
	var allocs []float64
	for _, name := range []string{base, base + "/mode=plan"} {
		res, ok := got[name]
		if !ok {
			t.Fatalf("no %s in:\n%s", name, buf.String())
		}
		a, ok := res.Value("allocs/op")
		if _, bok := res.Value("B/op"); !ok || !bok {
			t.Errorf("%s: no allocs/op or B/op", name)
		}
		allocs = append(allocs, a)
	}
	if !(allocs[1] < allocs[0]) {
		t.Errorf("allocs/op: plan %v, one-shot %v: want fewer for the plan", allocs[1], allocs[0])
	}
	var sum bytes.Buffer
	res.WriteSummary(&sum, false)
	if !strings.Contains(sum.String(), "depthwise-direct[plan]") {
		t.Errorf("summary does not name the plan:\n%s", sum.String())
	}
	// A variant built elsewhere, without a plan, is timed one-shot only.
	bare := optimized.Variant{Name: "bare"}
	if im := VariantModes([]optimized.Variant{bare}, true, true); len(im) != 1 || modeOf(im[0]) != "" {
		t.Errorf("VariantModes(bare) = %v, want the one-shot only", im)
	}
}
