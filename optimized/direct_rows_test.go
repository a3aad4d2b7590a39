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

// TestRowsMatchesReference checks direct-rows with the harness's check
// (the reference under its bound, NaN poison and guards, 1 and 3 workers
// bit for bit, linearity, the exact integer fill) on fixed problems that
// take each of its paths in each form that needs it (rows narrower than a
// segment, a short last segment, a last channel block under 32, terms in
// several chunks, segments in several groups, the 16-channel tile) and fill
// whole 32-channel blocks and several of them, then on blockedGen's
// problems (the same planes: 1D–3D, strides, dilation, groups, negative
// end padding, the no-copy 1×1), and demands the paths; with the kernel
// set in use, then with the Go kernel where that is another one.
func TestRowsMatchesReference(t *testing.T) {
	withRowsKernels(t, "direct-rows", testRowsMatchesReference)
}

// withRowsKernels runs test on variant name (one on direct-rows' kernels)
// with the kernel set in use, then with the Go kernel where that is
// another one, each as a subtest named by the kernel.
func withRowsKernels(t *testing.T, name string, test func(*testing.T, optimized.Variant)) {
	v, ok := optimized.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	t.Run(v.Kernel(), func(t *testing.T) { test(t, v) })
	if v.Kernel() == "rows=go" {
		return
	}
	restore, _ := optimized.SetBlockedISA("go")
	defer restore()
	if k := v.Kernel(); k != "rows=go" {
		t.Fatalf("%s: kernel %s with the Go set forced", name, k)
	}
	t.Run(v.Kernel(), func(t *testing.T) { test(t, v) })
}

func testRowsMatchesReference(t *testing.T, v optimized.Variant) {
	smallTiles(t)
	optimized.ResetPathHits()
	for _, desc := range []string{
		"mb1ic9ih8iw28oc32oh8ow28kh3kw3ph1pw1",             // two full segments a row, one full block
		"mb2g2ic10ih5iw14oc80oh5ow14kh3kw3ph1pw1",          // one segment a row; 40 = 32 + 8 channels a group
		"mb1ic6ih4iw31oc64oh4ow31kh3kw3ph1pw1",             // 31 = 11 + 11 + 9
		"mb1ic4ih7iw7oc40oh7ow7kh3kw3ph1pw1",               // rows of 7: one segment
		"mb1ic5id3ih4iw19oc33od3oh4ow19kd3kh3kw3pd1ph1pw1", // 3D, 19 = 10 + 9
		"mb1ic3id3ih4iw9oc16od3oh4ow9kd3kh3kw3pd1ph1pw1",   // 3D, rows of 9
		"mb1ic4ih12iw62oc20kh3kw3sh2sw2dh1dw1ph2pw2",       // stride 2, dilation 2: 31 = 11 + 11 + 9
		"mb1ic8iw45oc32ow45kw1",                            // the no-copy 1×1, 45 = 12 + 12 + 12 + 9
		"mb1ic3ih5iw61oc16oh5ow61kh3kw3ph1pw1",             // 16-channel tile: 61 = 21 + 21 + 19
		"mb2g2ic6ih4iw29oc14oh4ow29kh5kw5ph2pw2",           // 16-channel tile, 7 channels a group: 29 = 15 + 14
		"mb1ic2id3ih3iw33oc5od3oh3ow33kd3kh3kw3pd1ph1pw1",  // 16-channel tile in 3D: 33 = 17 + 16
		"mb1ic3ih6iw20oc9kh3kw3sh2sw2ph1pw1",               // 16-channel tile, stride 2: rows of 10
		"mb1ic2ih24iw24oc192oh24ow24kh3kw3ph1pw1",          // split over 6 channel blocks alone: each worker's own planes, all rows
		"mb1ic1ih30iw100oc20oh30ow100kh3kw3ph1pw1",         // split over row ranges: each worker's own planes, its rows
		"mb1ic1id2ih2iw2oc1od1oh2ow2kd2kh1kw1",             // one depth slice, two depth planes: own planes fill both
	} {
		p, err := conv.ParseDescriptor(desc, conv.OpConv)
		if err != nil {
			t.Fatal(err)
		}
		if f := convtest.Check(convtest.Variant(v), &p, 7, true); f != nil {
			t.Fatalf("%s", f.Message)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		p := blockedGen().Draw(rt, "p")
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
		{"rows/narrow-row", []string{optimized.Feature2D}},
		{"rows/narrow-row", []string{optimized.Feature3D}},
		{"rows/short-last-segment", []string{optimized.Feature2D}},
		{"rows/short-last-segment", []string{optimized.Feature3D}},
		{"rows/short-last-segment", []string{optimized.FeatureDilStride}},
		{"rows/short-last-segment", []string{optimized.FeatureWorkers}},
		{"rows/oc-block-remainder", []string{optimized.FeatureGroups}},
		{"rows/oc-block-remainder", []string{optimized.Feature3D}},
		{"rows/k-chunks", []string{optimized.Feature2D}},
		{"rows/k-chunks", []string{optimized.Feature3D}},
		{"rows/k-chunks", []string{optimized.FeatureWorkers}},
		{"rows/segment-groups", []string{optimized.Feature2D}},
		{"rows/segment-groups", []string{optimized.Feature3D}},
		{"rows/segment-groups", []string{optimized.FeatureWorkers}},
		{"rows/16-channel-blocks", []string{optimized.Feature2D}},
		{"rows/16-channel-blocks", []string{optimized.Feature3D}},
		{"rows/16-channel-blocks", []string{optimized.FeatureGroups}},
		{"rows/own-planes", []string{optimized.FeatureWorkers}},
		{"blocked/fill-split2", []string{optimized.Feature2D}},
	} {
		if optimized.PathHitsWith(c.path, c.features...) == 0 {
			t.Error(fmt.Sprintf("path %s never taken with %s", c.path, strings.Join(c.features, "+")))
		}
	}
}
