package optimized_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// TestDw3x3MatchesReference checks depthwise-direct's 3×3 path from the
// input rows (dw3x3) at stride 1 and 2 with the harness's check (the
// reference under its bound, NaN poison and guards, 1 and 3 workers bit
// for bit, linearity, the exact integer fill) on fixed problems: a full
// chunk and a tail, several images, no padding, padding 2 (rows and
// columns wholly outside the input), negative end padding, a width of
// one chunk exactly; then on random 3×3 depthwise problems of either
// stride, and demands its paths.
func TestDw3x3MatchesReference(t *testing.T) {
	defer optimized.ForceDepthwiseOwnPaths()() // their Go code on machines that would not take them
	v, ok := optimized.Lookup("depthwise-direct")
	if !ok {
		t.Fatal("no depthwise-direct")
	}
	optimized.ResetPathHits()
	for _, desc := range []string{
		"mb2g3ic3ih13iw37oc3oh7ow19kh3kw3sh2sw2ph1pw1", // 19 outputs a row: a chunk and a tail of 3
		"mb1g4ic4ih9iw9oc4oh4ow4kh3kw3sh2sw2",          // no padding
		"mb1g2ic2ih5iw40oc2oh4ow21kh3kw3sh2sw2ph2pw2",  // padding 2: a row and a column of taps wholly outside
		"mb1g2ic2ih10iw10oc2oh4ow4kh3kw3sh2sw2ph1pw1",  // negative end padding
		"mb1g5ic5ih6iw32oc5oh3ow16kh3kw3sh2sw2ph1pw1",  // one chunk exactly
		"mb1g1ic1ih3iw66oc1oh2ow33kh3kw3sh2sw2ph1pw1",  // three chunks, a tail of 1
		"mb2g3ic3ih9iw19oc3oh9ow19kh3kw3ph1pw1",        // stride 1: a chunk and a tail of 3, two images
		"mb1g2ic2ih6iw16oc2oh4ow14kh3kw3",              // stride 1, no padding
		"mb1g2ic2ih4iw33oc2oh6ow35kh3kw3ph2pw2",        // stride 1, padding 2
		"mb1g2ic2ih8iw20oc2oh6ow16kh3kw3ph1pw1",        // stride 1, negative end padding, one chunk exactly
	} {
		p, err := conv.ParseDescriptor(desc, conv.OpConv)
		if err != nil {
			t.Fatal(err)
		}
		if f := convtest.Check(convtest.Variant(v), &p, 11, true); f != nil {
			t.Fatalf("%s", f.Message)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		p := conv.New(conv.OpConv, 2)
		p.MB = rapid.IntRange(1, 2).Draw(rt, "mb")
		p.G = rapid.IntRange(1, 4).Draw(rt, "g")
		p.IC, p.OC = p.G, p.G
		p.I = [3]int{1, rapid.IntRange(1, 12).Draw(rt, "ih"), rapid.IntRange(1, 70).Draw(rt, "iw")}
		s := rapid.IntRange(1, 2).Draw(rt, "stride")
		p.K, p.S = [3]int{1, 3, 3}, [3]int{1, s, s}
		for a := 1; a < 3; a++ {
			p.PBegin[a] = rapid.IntRange(0, 2).Draw(rt, "pb")
			p.PEnd[a] = rapid.IntRange(-1, 2).Draw(rt, "pe")
		}
		if p.Resolve() != nil || p.Validate() != nil {
			rt.Skip("no output")
		}
		seed := rapid.Uint64().Draw(rt, "fill-seed")
		if f := convtest.Check(convtest.Variant(v), &p, seed, !rapid.Bool().Draw(rt, "no-bias")); f != nil {
			rt.Fatalf("%s", f.Message)
		}
	})
	for _, path := range []string{"depthwise/s1-rows", "depthwise/s1-rows-tail", "depthwise/s2-rows", "depthwise/s2-rows-tail"} {
		if optimized.PathHitsWith(path, optimized.Feature2D) == 0 || optimized.PathHitsWith(path, optimized.FeatureBatch) == 0 {
			t.Errorf("path %s never taken in 2D and with several images", path)
		}
	}
}
