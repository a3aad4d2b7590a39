package optimized_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// TestDepthwiseChannelsLast checks depthwise-direct, one-shot and planned,
// with the whole suite (convtest.Check: reference bound, 1 vs 3 workers bit
// for bit, linearity, exact integers) on depthwise problems with up to 40
// channels, which the shared generators (at most 3 groups) never draw: the
// channels-last path's several 16-channel blocks, full and partial, with
// channel multipliers, strides, dilations and padding on small planes.
func TestDepthwiseChannelsLast(t *testing.T) {
	defer optimized.ForceDepthwiseOwnPaths()() // their Go code on machines that would not take them
	v, _ := optimized.Lookup("depthwise-direct")
	impls := []convtest.Impl{convtest.Variant(v), convtest.PlanVariant(v)}
	cl, all := 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		rank := rapid.IntRange(1, 2).Draw(rt, "rank")
		p := conv.New(conv.OpConv, rank)
		p.MB = rapid.IntRange(1, 2).Draw(rt, "mb")
		p.G = rapid.IntRange(1, 40).Draw(rt, "g")
		p.IC, p.OC = p.G, p.G*rapid.IntRange(1, 3).Draw(rt, "mult")
		for _, a := range p.Axes() {
			p.K[a] = rapid.IntRange(1, 4).Draw(rt, "k")
			p.S[a] = rapid.IntRange(1, 3).Draw(rt, "s")
			p.Dil[a] = rapid.IntRange(1, 2).Draw(rt, "dil")
			ext := p.ExtK(a)
			p.I[a] = rapid.IntRange(max(1, ext-2), 15).Draw(rt, "i")
			p.PBegin[a] = rapid.IntRange(0, ext-1).Draw(rt, "pbegin")
			lo := max(ext-p.I[a]-p.PBegin[a], -(p.I[a] - 1))
			p.PEnd[a] = rapid.IntRange(lo, ext-1).Draw(rt, "pend")
		}
		if err := p.Resolve(); err != nil {
			rt.Skipf("problem: %v", err)
		}
		all++
		if optimized.DepthwiseChannelsLast(&p) {
			cl++
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		bias := rapid.Bool().Draw(rt, "bias")
		for _, impl := range impls {
			if f := convtest.Check(impl, &p, seed, bias); f != nil {
				rt.Fatal(f.Error())
			}
		}
	})
	t.Logf("of %d problems, %d took the channels-last path", all, cl)
	if cl == 0 {
		t.Error("the channels-last path was never taken")
	}
}
