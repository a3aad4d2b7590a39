package oracles

import (
	"math/rand/v2"

	"convverify/conv"

	"pgregory.net/rapid"
)

// drawProblem draws a small valid problem of one of ops: rank 1–3, groups,
// dilation, asymmetric and negative end padding; stride 1 when unitStride.
// Sizes stay small enough for the matrix oracle (a few thousand columns).
func drawProblem(t *rapid.T, ops []conv.Op, unitStride bool) conv.Problem {
	op := rapid.SampledFrom(ops).Draw(t, "op")
	rank := rapid.IntRange(1, 3).Draw(t, "rank")
	if op == conv.OpDeform {
		rank = 2
	}
	p := conv.New(op, rank)
	p.MB = rapid.IntRange(1, 2).Draw(t, "mb")
	p.G = rapid.IntRange(1, 3).Draw(t, "g")
	p.IC = p.G * rapid.IntRange(1, 3).Draw(t, "icg")
	p.OC = p.G * rapid.IntRange(1, 3).Draw(t, "ocg")
	maxI := [4]int{0, 12, 7, 4}[rank]
	for _, a := range p.Axes() {
		n := "dhw"[a : a+1]
		p.I[a] = rapid.IntRange(1, maxI).Draw(t, "i"+n)
		p.K[a] = rapid.IntRange(1, 3).Draw(t, "k"+n)
		if p.K[a] > 1 {
			p.Dil[a] = rapid.IntRange(1, 3).Draw(t, "d"+n)
		}
		if !unitStride {
			p.S[a] = rapid.IntRange(1, 3).Draw(t, "s"+n)
		}
		p.PBegin[a] = rapid.IntRange(0, 3).Draw(t, "pb"+n)
		p.PEnd[a] = rapid.IntRange(-2, 3).Draw(t, "pe"+n)
		ek := p.ExtK(a)
		if op == conv.OpDeconv {
			// o = s·(i−1) + ek − pb − pe must be ≥ 1.
			p.PEnd[a] = min(p.PEnd[a], p.S[a]*(p.I[a]-1)+ek-p.PBegin[a]-1)
		} else if p.I[a]+p.PBegin[a]+p.PEnd[a] < ek {
			p.I[a] = max(1, ek-p.PBegin[a]-p.PEnd[a])
			if p.I[a]+p.PBegin[a]+p.PEnd[a] < ek {
				p.PEnd[a] = ek - p.PBegin[a] - p.I[a]
			}
		}
	}
	switch op {
	case conv.OpDeform:
		var divs []int
		for d := 1; d <= p.IC; d++ {
			if p.IC%d == 0 {
				divs = append(divs, d)
			}
		}
		p.DG = rapid.SampledFrom(divs).Draw(t, "dg")
		p.Mask = rapid.Bool().Draw(t, "mask")
	case conv.OpDynamic:
		p.E = rapid.IntRange(1, 3).Draw(t, "experts")
		if rapid.Bool().Draw(t, "softmax") {
			p.Routing = conv.RoutingSoftmax
			p.Temperature = rapid.SampledFrom([]float64{0.5, 1, 4, 30}).Draw(t, "temperature")
		}
	}
	if err := p.Resolve(); err != nil {
		t.Fatalf("generator built an invalid problem %#v: %v", p, err)
	}
	return p
}

// drawRNG gives a fill generator seeded from rapid, so shrinking replays it.
func drawRNG(t *rapid.T) *rand.Rand {
	return rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0x0c0ffee))
}

var allOps = []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic}
var fftOps = []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDynamic}
