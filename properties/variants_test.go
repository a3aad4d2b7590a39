package properties

import (
	"testing"

	"pgregory.net/rapid"

	"convverify/optimized"
)

// TestVariantsMatchReference checks every optimized variant against the
// reference, then demands that each variant was exercised: at least
// minVariantProblems problems, and conv's GEMM path on tails and multiple tiles.
func TestVariantsMatchReference(t *testing.T) {
	rapid.Check(t, PropVariantsMatchReference)
	t.Logf("problems per variant and paths hit:\n%s", VariantHitsTable())
	if t.Failed() {
		return
	}
	const minVariantProblems = 3
	h := VariantHits()
	for _, v := range optimized.All() {
		if n := h[v.Name]["problems"]; n < minVariantProblems {
			t.Errorf("variant %s checked on %d problems, want ≥ %d", v.Name, n, minVariantProblems)
		}
	}
	for _, f := range []string{"groups", "3d", "1d", "multi-tile", "oc-tail>16", "stride>kernel", "1-pixel", "large-padding", "negative-end-pad"} {
		if h["im2col-gemm"][f] == 0 {
			t.Errorf("im2col-gemm never hit %s", f)
		}
	}
	for _, name := range []string{"deconv-col2im", "deconv-zeroinsert"} {
		for _, f := range []string{"output-padding", "groups", "3d", "large-padding", "multi-tile"} {
			if h[name][f] == 0 {
				t.Errorf("%s never hit %s", name, f)
			}
		}
	}
}
