// Package properties states every identity that the convolution Q&A states or
// relies on as a rapid property. It is a plain package, not only tests, so
// that `go test` and `convverify report` run the very same code: the thin
// _test.go files call rapid.Check on each Prop function, and the CLI calls
// them through All with its own rapid.TB.
package properties

import (
	"math/rand/v2"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

var allOps = []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic}

// ProblemGen draws valid problems of the given ops (all four if none) and
// ranks 1–3. Half the draws are edge shapes (1×1 spatial, kernels larger than
// the input with padding, strides larger than the kernel, prime sizes, groups
// up to C, dilation up to 4, negative end padding), half are shaped like real
// layers (odd kernels, "same" padding, stride 1 or 2). Every draw is valid by
// construction: padding is drawn inside the range that keeps the output
// non-empty, so rapid never has to filter. Sizes keep the float64 reference
// in the millisecond range and the dense-matrix oracle below a few MB.
func ProblemGen(ops ...conv.Op) *rapid.Generator[conv.Problem] {
	if len(ops) == 0 {
		ops = allOps
	}
	return rapid.Custom(func(t *rapid.T) conv.Problem {
		op := rapid.SampledFrom(ops).Draw(t, "op")
		rank := 2
		if op != conv.OpDeform {
			rank = rapid.IntRange(1, 3).Draw(t, "rank")
		}
		if rapid.Bool().Draw(t, "edge") {
			return drawEdge(t, op, rank)
		}
		return drawRealistic(t, op, rank)
	})
}

// primeish are the spatial sizes edge draws pick from: 1, primes, and a few
// composites so that strides sometimes divide the size and sometimes do not.
var primeish = []int{1, 2, 3, 5, 7, 4, 6, 9, 11, 8}

func drawEdge(t *rapid.T, op conv.Op, rank int) conv.Problem {
	p := conv.New(op, rank)
	p.MB = rapid.IntRange(1, 2).Draw(t, "mb")
	small := rank == 3
	for _, a := range p.Axes() {
		if small {
			p.I[a] = rapid.SampledFrom(primeish[:4]).Draw(t, "i")
			p.K[a] = rapid.IntRange(1, 3).Draw(t, "k")
			p.Dil[a] = rapid.IntRange(1, 2).Draw(t, "dil")
			p.S[a] = rapid.IntRange(1, 3).Draw(t, "s")
		} else {
			p.I[a] = rapid.SampledFrom(primeish).Draw(t, "i")
			p.K[a] = rapid.IntRange(1, 5).Draw(t, "k")
			p.Dil[a] = rapid.IntRange(1, 4).Draw(t, "dil")
			p.S[a] = rapid.IntRange(1, 4).Draw(t, "s")
		}
		drawPadding(t, &p, a)
	}
	resolveSpatial(&p)
	drawChannels(t, &p, 4, 3)
	drawExtras(t, &p)
	mustResolve(&p)
	return p
}

func drawRealistic(t *rapid.T, op conv.Op, rank int) conv.Problem {
	p := conv.New(op, rank)
	p.MB = 1
	maxI, ks := 12, []int{3, 1, 5}
	if rank == 3 {
		maxI, ks = 5, []int{3, 1}
	}
	if rank == 1 {
		maxI, ks = 24, []int{3, 1, 5, 7}
	}
	k := rapid.SampledFrom(ks).Draw(t, "k")
	s := rapid.IntRange(1, 2).Draw(t, "s")
	d := 1
	if rapid.IntRange(0, 3).Draw(t, "dilated") == 0 {
		d = 2
	}
	for _, a := range p.Axes() {
		p.I[a] = rapid.IntRange(3, maxI).Draw(t, "i")
		p.K[a], p.S[a], p.Dil[a] = k, s, d
		pad := d * (k - 1) / 2
		p.PBegin[a], p.PEnd[a] = pad, pad
		if op == conv.OpDeconv && s > 1 {
			// Output padding s−1 makes a stride-s deconv exactly s× its input.
			p.PEnd[a] = pad - rapid.IntRange(0, s-1).Draw(t, "outpad")
		}
	}
	resolveSpatial(&p)
	drawChannels(t, &p, 8, 4)
	drawExtras(t, &p)
	mustResolve(&p)
	return p
}

// Budgets of one drawn problem: multiply-adds of the reference, and entries of
// the dense matrix an oracle builds (output elements × input elements).
const (
	macBudget    = 150_000
	matrixBudget = 3_000_000
)

// drawChannels sets G, IC and OC from up to maxG groups of up to maxPer
// channels each, within the budgets given the spatial shape already drawn. A
// third of the grouped draws are depthwise (one input channel per group, so
// G = IC, optionally with a channel multiplier).
func drawChannels(t *rapid.T, p *conv.Problem, maxPer, maxG int) {
	work := int64(p.Taps())
	if p.Op == conv.OpDeconv {
		work *= int64(conv.Spatial(p.I))
	} else {
		work *= int64(conv.Spatial(p.O))
	}
	mb := int64(p.MB)
	cells := int64(conv.Spatial(p.I)) * int64(conv.Spatial(p.O)) * mb * mb
	// limit is the largest icg·ocg that g groups may have.
	limit := func(g int) int {
		return int(min(macBudget/(mb*int64(g)*work), matrixBudget/(int64(g*g)*cells)))
	}
	gmax := maxG
	for gmax > 1 && limit(gmax) < 1 {
		gmax--
	}
	g := rapid.IntRange(1, gmax).Draw(t, "g")
	l := max(limit(g), 1)
	icg := rapid.IntRange(1, min(maxPer, l)).Draw(t, "icg")
	if g > 1 && rapid.IntRange(0, 2).Draw(t, "depthwise") == 0 {
		icg = 1
	}
	ocg := rapid.IntRange(1, max(1, min(maxPer, l/icg))).Draw(t, "ocg")
	p.G, p.IC, p.OC = g, g*icg, g*ocg
}

// drawPadding draws PBegin in [0, ext−1] and PEnd in the range that keeps the
// output non-empty: for conv down to ext − I − PBegin (negative: trailing
// input rows are never read), for deconv down to −(S−1) (output padding).
func drawPadding(t *rapid.T, p *conv.Problem, a int) {
	ext := p.ExtK(a)
	p.PBegin[a] = rapid.IntRange(0, ext-1).Draw(t, "pbegin")
	if p.Op == conv.OpDeconv {
		lo, hi := -(p.S[a] - 1), ext-1
		// Keep O = S·(I−1) + ext − PBegin − PEnd ≥ 1.
		hi = min(hi, p.S[a]*(p.I[a]-1)+ext-p.PBegin[a]-1)
		p.PEnd[a] = rapid.IntRange(lo, hi).Draw(t, "pend")
		return
	}
	lo := max(ext-p.I[a]-p.PBegin[a], -(p.I[a] - 1))
	p.PEnd[a] = rapid.IntRange(lo, ext-1).Draw(t, "pend")
}

func drawExtras(t *rapid.T, p *conv.Problem) {
	switch p.Op {
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
			p.Temperature = rapid.SampledFrom([]float64{1, 0.5, 4}).Draw(t, "temperature")
		}
	}
}

// resolveSpatial sets O before the channels are drawn, so that drawChannels
// can size them to the budget.
func resolveSpatial(p *conv.Problem) {
	for a := 0; a < 3; a++ {
		if p.Op == conv.OpDeconv {
			p.O[a] = conv.DeconvOutSize(p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a])
		} else {
			p.O[a] = conv.OutSize(p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a])
		}
	}
}

// mustResolve resolves a problem the generator built valid by construction;
// an error here is a bug in the generator, not a property failure.
//
// A conv's end padding is then made tight, (O−1)·S − I + ext − PBegin: the
// floor in the output size lets several end paddings give the same O, the
// computation only depends on O, and the tight one is the value benchdnn
// derives, so the printed descriptor reproduces the problem exactly.
func mustResolve(p *conv.Problem) {
	if err := p.Resolve(); err != nil {
		panic("properties: generator drew an invalid problem " + p.Command() + ": " + err.Error())
	}
	if p.Op != conv.OpDeconv {
		for _, a := range p.Axes() {
			p.PEnd[a] = (p.O[a]-1)*p.S[a] - p.I[a] + p.ExtK(a) - p.PBegin[a]
		}
		if err := p.Resolve(); err != nil {
			panic("properties: tight end padding broke " + p.Command() + ": " + err.Error())
		}
	}
}

// RNG draws a seed from rapid and returns a generator on it, so that tensor
// contents are reproducible from the rapid run and shrink (towards seed 0)
// together with the problem.
func RNG(t *rapid.T) *rand.Rand {
	s := rapid.Uint64().Draw(t, "fill-seed")
	return rand.New(rand.NewPCG(s, 0x9e3779b97f4a7c15))
}
