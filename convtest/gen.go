package convtest

import (
	"math/rand/v2"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// AllOps are the four ops, in the order conv.Op numbers them.
var AllOps = []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic}

// ProblemGen draws valid problems of the given ops (all four if none) and
// ranks 1–3, small enough for the float64 reference and the dense-matrix
// oracle (Budgets). It mixes three families:
//
//   - edge shapes: 1-pixel axes, kernels larger than the input with
//     padding, strides larger than the kernel, prime sizes, groups up to C,
//     dilation up to 4, negative end padding, strides and dilations per axis;
//   - layers shaped like real ones: odd kernels, "same" padding, stride 1 or
//     2, dilation 2 with or without stride 2;
//   - 3D volumes: up to 10 pixels an axis at 1–2 channels, per-axis strides
//     and dilations, so that 3D outputs span several blocks of a variant.
//
// Every draw is valid by construction: padding is drawn inside the range
// that keeps the output non-empty, so rapid never has to filter, and a
// conv's end padding is the tight one benchdnn derives, so the printed
// descriptor reproduces the problem exactly.
func ProblemGen(ops ...conv.Op) *rapid.Generator[conv.Problem] {
	if len(ops) == 0 {
		ops = AllOps
	}
	return rapid.Custom(func(t *rapid.T) conv.Problem {
		op := rapid.SampledFrom(ops).Draw(t, "op")
		rank := 2
		if op != conv.OpDeform {
			rank = rapid.IntRange(1, 3).Draw(t, "rank")
		}
		if rank == 3 && op != conv.OpDeform && rapid.IntRange(0, 2).Draw(t, "volume") == 2 {
			return drawVolume(t, op)
		}
		if rapid.Bool().Draw(t, "edge") {
			return drawEdge(t, op, rank)
		}
		return drawRealistic(t, op, rank)
	})
}

// Gen draws the problems Run checks: ProblemGen's families two times in
// three, else BlockingGen's, whose channel counts and spatial sizes reach
// past the production block sizes of a fast implementation (GEMM
// micro-kernel tiles, task tiles) that small problems never leave.
func Gen(ops ...conv.Op) *rapid.Generator[conv.Problem] {
	if len(ops) == 0 {
		ops = AllOps
	}
	return rapid.Custom(func(t *rapid.T) conv.Problem {
		// (false, rapid's smallest value, picks the small problems: a
		// failure shrinks towards them)
		if rapid.IntRange(0, 2).Draw(t, "blocking") == 2 {
			return BlockingGen(rapid.SampledFrom(ops).Draw(t, "op")).Draw(t, "p")
		}
		return ProblemGen(ops...).Draw(t, "p")
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
	if op == conv.OpDeform || op == conv.OpDynamic {
		// per-image offsets, masks and routing: a second image reads the
		// second slice of each
		p.MB = rapid.IntRange(1, 2).Draw(t, "mb")
	}
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
	if rapid.IntRange(0, 2).Draw(t, "dilated") == 2 {
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

// drawVolume draws a 3D problem of a few channels on a larger volume, each
// axis with its own kernel, stride (1–2) and dilation (1–2).
func drawVolume(t *rapid.T, op conv.Op) conv.Problem {
	p := conv.New(op, 3)
	p.MB = rapid.IntRange(1, 2).Draw(t, "mb")
	maxI := 10
	if op == conv.OpDeconv {
		maxI = 5 // the output grows by the stride
	}
	for _, a := range p.Axes() {
		p.I[a] = rapid.IntRange(2, maxI).Draw(t, "i")
		p.K[a] = rapid.IntRange(1, 3).Draw(t, "k")
		p.S[a] = rapid.IntRange(1, 2).Draw(t, "s")
		p.Dil[a] = rapid.IntRange(1, 2).Draw(t, "dil")
		drawPadding(t, &p, a)
		if ext := p.ExtK(a); op == conv.OpDeconv && rapid.IntRange(0, 3).Draw(t, "crop") == 3 {
			// begin padding past the kernel's extent: the zero-inserted
			// input is cropped (O = S·(I−1) + ext − PBegin − PEnd ≥ 1)
			p.PBegin[a] = min(ext+1, p.S[a]*p.I[a]+ext-2)
			p.PEnd[a] = min(p.PEnd[a], p.S[a]*(p.I[a]-1)+ext-p.PBegin[a]-1)
		}
	}
	resolveSpatial(&p)
	drawChannels(t, &p, 2, 2)
	drawExtras(t, &p)
	mustResolve(&p)
	return p
}

// Budgets of one drawn problem of ProblemGen: multiply-adds of the
// reference, and entries of the dense matrix an oracle builds (output
// elements × input elements).
const (
	MACBudget    = 150_000
	MatrixBudget = 3_000_000
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
		return int(min(MACBudget/(mb*int64(g)*work), MatrixBudget/(int64(g*g)*cells)))
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
	if err := ResolveTight(p); err != nil {
		panic("convtest: generator drew an invalid problem " + p.Command() + ": " + err.Error())
	}
}

// ResolveTight resolves p and then, for every op but deconv, makes its end
// padding the tight (O−1)·S − I + ext − PBegin, the value benchdnn derives
// from a descriptor, so that p.Descriptor() reproduces p exactly.
func ResolveTight(p *conv.Problem) error {
	if err := p.Resolve(); err != nil {
		return err
	}
	if p.Op == conv.OpDeconv {
		return nil
	}
	for _, a := range p.Axes() {
		p.PEnd[a] = (p.O[a]-1)*p.S[a] - p.I[a] + p.ExtK(a) - p.PBegin[a]
	}
	return p.Resolve()
}

// RNG draws a seed from rapid and returns a generator on it, so that tensor
// contents are reproducible from the rapid run and shrink (towards seed 0)
// together with the problem.
func RNG(t *rapid.T) *rand.Rand {
	return newRNG(rapid.Uint64().Draw(t, "fill-seed"))
}

func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// blockingMACs bounds one BlockingGen problem's reference work.
const blockingMACs = 1_500_000

// BlockingGen draws problems of op shaped to reach the blocks of a fast
// implementation at its production sizes: channel counts past the GEMM
// micro-kernel's 14/16/32-row tiles and not multiples of 16, spatial sizes
// past fixed task tiles (hundreds of columns), Winograd-shaped layers, rows
// past a 64-output vector pass, padding wider than a row window, and
// dilation, with and without stride.
func BlockingGen(op conv.Op) *rapid.Generator[conv.Problem] {
	return rapid.Custom(func(t *rapid.T) conv.Problem { return drawBlocking(t, op) })
}

func drawBlocking(t *rapid.T, op conv.Op) conv.Problem {
	// target picks the path to reach: 0 many column/tile tasks (large
	// spatial size, few channels), 1 channel tails (up to 40 channels on a
	// small image), 2 a Winograd-shaped 2D layer, 3 anything in between.
	// (Drawn so that rapid's smallest value, 0, is the small image of 1.)
	target := [4]int{1, 3, 2, 0}[rapid.IntRange(0, 3).Draw(t, "target")]
	// wide: rows past the row kernel's 64-output pass (≥ 70 wide, k–8 high);
	// hugePad: begin padding past a whole depthwise row window (every
	// row a block reads is padding), for ops whose output grows with it.
	wide := target == 0 && rapid.Bool().Draw(t, "wide")
	hugePad := target == 1 && op != conv.OpDeconv && rapid.Bool().Draw(t, "huge-padding")
	rank := 2
	if op != conv.OpDeform && target == 3 && rapid.Bool().Draw(t, "rank3") {
		rank = 3
	}
	// unit: the first axis one pixel, one tap, no padding (a transform of
	// length 1 for the FFT, a single-row plane for the others)
	unit := target == 3 && rank >= 2 && rapid.Bool().Draw(t, "unit-axis")
	p := conv.New(op, rank)
	p.MB = rapid.IntRange(1, 2).Draw(t, "mb")
	k := rapid.SampledFrom([]int{3, 1, 2, 4, 5}).Draw(t, "k")
	s := rapid.IntRange(1, 2).Draw(t, "s")
	d := 1
	if target != 2 && k > 1 && rapid.IntRange(0, 2).Draw(t, "dilated") == 0 {
		d = 2
	}
	if target == 2 {
		k, s = 3, 1
	}
	lo, hi := 8, 34
	switch {
	case target == 0:
		lo, hi, s = 24, 40, 1
	case target == 1:
		lo, hi = max(k, 4), 12
	case rank == 3:
		lo, hi = max(3, k), 9
	}
	lo = max(lo, d*(k-1)+1)
	hi = max(hi, lo)
	for _, a := range p.Axes() {
		switch {
		case wide && a == conv.W:
			p.I[a] = rapid.IntRange(70, 160).Draw(t, "i-wide")
		case wide:
			p.I[a] = rapid.IntRange(d*(k-1)+1, 8+d*(k-1)).Draw(t, "i-short")
		default:
			p.I[a] = rapid.IntRange(lo, hi).Draw(t, "i")
		}
		p.K[a], p.S[a], p.Dil[a] = k, s, d
		ext := p.ExtK(a)
		// Begin padding up to 3 past the kernel extent: conv outputs that
		// read only padding, and deconv padding that crops the zero-inserted input.
		p.PBegin[a] = rapid.IntRange(0, ext+2).Draw(t, "pbegin")
		if hugePad {
			p.PBegin[a] = rapid.IntRange(ext+3, 4*ext+12).Draw(t, "pbegin-huge")
		}
		p.PEnd[a] = rapid.IntRange(0, ext-1).Draw(t, "pend")
		if op == conv.OpDeconv {
			p.PEnd[a] -= rapid.IntRange(0, s-1).Draw(t, "outpad")
			p.PEnd[a] = max(p.PEnd[a], p.PBegin[a]-(s-1))
			// keep O = S·(I−1) + ext − PBegin − PEnd ≥ 1
			p.PEnd[a] = min(p.PEnd[a], s*(p.I[a]-1)+ext-1-p.PBegin[a])
		}
	}
	if unit {
		a := p.Axes()[0]
		p.I[a], p.K[a], p.S[a], p.Dil[a], p.PBegin[a], p.PEnd[a] = 1, 1, 1, 1, 0, 0
	}
	if op == conv.OpDeform {
		p.DG, p.Mask = 1, rapid.Bool().Draw(t, "mask")
	}
	if op == conv.OpDynamic {
		p.E = rapid.IntRange(1, 3).Draw(t, "experts")
		if rapid.Bool().Draw(t, "softmax") {
			p.Routing = conv.RoutingSoftmax
		}
	}
	if err := p.Resolve(); err != nil {
		t.Fatalf("blocking generator: %v", err)
	}
	sp := conv.Spatial(p.O)
	if op == conv.OpDeconv {
		sp = conv.Spatial(p.I)
	}
	per := max(1, blockingMACs/(p.MB*sp*p.Taps())) // budget for icg·oc
	p.G = rapid.SampledFrom([]int{1, 1, 2, 3}).Draw(t, "g")
	maxOCG := 40
	if target == 0 {
		maxOCG = 6
	}
	ocg := rapid.IntRange(1, maxOCG).Draw(t, "ocg")
	if target == 1 && rapid.Bool().Draw(t, "tail") {
		ocg = rapid.IntRange(17, 40).Draw(t, "ocg-tail")
	}
	icg := rapid.IntRange(1, max(1, min(40, per/(ocg*p.G*p.G)))).Draw(t, "icg")
	if hugePad && rapid.Bool().Draw(t, "huge-padding-depthwise") {
		icg = 1 // depthwise-direct's windows of padding rows only
	}
	p.IC, p.OC = p.G*icg, p.G*ocg
	if op == conv.OpDeform && p.IC%2 == 0 && rapid.Bool().Draw(t, "dg2") {
		p.DG = 2
	}
	mustResolve(&p)
	return p
}
