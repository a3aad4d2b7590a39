package optimized_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// TestDeconvRowsMatchesReference checks deconv-rows with the harness's
// check (the reference under its bound, NaN poison and guards, 1 and 3
// workers bit for bit, linearity, the exact integer fill) on fixed
// problems that take each of its paths (width stride 2 through zip2Rows,
// two phases at once, or scatter2Rows where the two width phases' column
// counts differ, stride 3 through the scalar spread, stride 1 straight
// through rowsStore, a phase no tap reaches, terms in several chunks,
// segments in several groups, the 16-channel tile, a last channel block
// under 32, 3D), then on the blocking generator's deconv problems, and
// demands the paths; with the kernel set in use, then with the Go kernel
// where that is another one.
func TestDeconvRowsMatchesReference(t *testing.T) {
	withRowsKernels(t, "deconv-rows", testDeconvRows)
}

func testDeconvRows(t *testing.T, v optimized.Variant) {
	smallTiles(t)
	optimized.ResetPathHits()
	for _, desc := range []string{
		"mb1ic6ih5iw14oc40oh10ow28kh4kw4sh2sw2ph1pw1",                // stride 2: phases of 14 columns, 40 = 32 + 8 channels, 24 terms a phase; width phases stored in pairs (zip2Rows)
		"mb1ic6ih5iw14oc40oh10ow27kh4kw4sh2sw2ph1pw1",                // … 14 and 13 columns: each alone (scatter2Rows)
		"mb2g2ic8id3ih3iw9oc12od6oh6ow18kd4kh4kw4sd2sh2sw2pd1ph1pw1", // 3D, groups of 6 channels: the 16-channel tile
		"mb1g2ic8id3ih3iw9oc12od6oh6ow17kd4kh4kw4sd2sh2sw2pd1ph1pw1", // … width phases of 9 and 8 columns, each stored alone
		"mb1ic3ih4iw10oc5oh12ow30kh3kw3sh3sw3",                       // width stride 3: the spread by a loop
		"mb1ic4ih5iw7oc33oh5ow7kh3kw3ph1pw1",                         // stride 1: rowsStore into the output
		"mb1ic2ih4iw8oc3oh7ow15kh1kw1sh2sw2",                         // 1×1, stride 2: the odd phases have no tap
		"mb1ic4id3ih5iw9oc12od6oh10ow18kd4kh4kw4sd2sh2sw2pd1ph1pw1",  // 3D planes of 5 segments: several groups, and chunks (32 terms)
	} {
		p, err := conv.ParseDescriptor(desc, conv.OpDeconv)
		if err != nil {
			t.Fatal(err)
		}
		if f := convtest.Check(convtest.Variant(v), &p, 7, true); f != nil {
			t.Fatalf("%s", f.Message)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		p := convtest.BlockingGen(conv.OpDeconv).Draw(rt, "p")
		seed := rapid.Uint64().Draw(rt, "fill-seed")
		bias := !rapid.Bool().Draw(rt, "no-bias")
		if f := convtest.Check(convtest.Variant(v), &p, seed, bias); f != nil {
			rt.Fatalf("%s", f.Message)
		}
	})
	for _, c := range []struct {
		path     string
		features []string
	}{
		{"deconv-rows/bias-only-phase", []string{optimized.Feature2D}},
		{"deconv-rows/k-chunks", []string{optimized.Feature2D}},
		{"deconv-rows/k-chunks", []string{optimized.Feature3D}},
		{"deconv-rows/segment-groups", []string{optimized.Feature2D}},
		{"deconv-rows/segment-groups", []string{optimized.Feature3D}},
		{"deconv-rows/stride2-scatter", []string{optimized.Feature2D}},
		{"deconv-rows/stride2-scatter", []string{optimized.Feature3D}},
		{"deconv-rows/stride2-scatter", []string{optimized.FeatureWorkers}},
		{"deconv-rows/stride2-zip", []string{optimized.Feature2D}},
		{"deconv-rows/stride2-zip", []string{optimized.Feature3D}},
		{"deconv-rows/stride2-zip", []string{optimized.FeatureWorkers}},
		{"deconv-rows/own-volume", []string{optimized.FeatureWorkers}},
		{"deconv-rows/own-volume-3d", []string{optimized.FeatureWorkers, optimized.Feature3D}},
	} {
		if optimized.PathHitsWith(c.path, c.features...) == 0 {
			t.Error(fmt.Sprintf("path %s never taken with %s", c.path, strings.Join(c.features, "+")))
		}
	}
}
