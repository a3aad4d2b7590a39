package properties

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// Guard values written around a variant's output: a variant that writes
// outside out changes one of them.
const (
	guardLen    = 32
	guardBefore = float32(-7777.25)
	guardAfter  = float32(8888.5)
)

// variantAbs is the absolute term of the separable bound relative to the
// largest magnitude, as optimized.Variant.Judge uses for single variants.
const variantAbs = 0x1p-40

// CheckVariant checks one variant on one problem:
//
//  1. real inputs (oracles.RandomFill, rounded to float32 so that both sides
//     see the same numbers, bias present or not): every output element within
//     the bound v.Judge gives (conv.Bound{C: v.BoundC, N: p.AccumLength()}
//     scaled by reference.Magnitude, its plane maximum for a Normwise
//     variant) of reference.Forward; the output slice is NaN-poisoned and surrounded
//     by guard values that must survive;
//  2. integer inputs (oracles.IntFill): bit-exact when v.Exact and the fill
//     is exact, else within the same bound;
//  3. when v.Deterministic, 1 and 3 workers give the same bits.
func CheckVariant(t *rapid.T, v optimized.Variant, p *conv.Problem) {
	if err := v.Supports(p); err != nil {
		t.Fatalf("%s does not support %s: %v", v.Name, p.Command(), err)
	}
	rng := RNG(t)
	in := roundInputs(oracles.RandomFill(p, rng))
	if rapid.Bool().Draw(t, "no-bias") {
		in.B = nil
	}
	exp, err := reference.Forward(p, in, nil)
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	b, mag := v.Judge(p, reference.Magnitude(p, in))
	in32 := conv.ConvertInputs[float32](in)
	got := runGuarded(t, v, p, in32, 1)
	if vd := conv.Compare(got, exp, mag, b, p.DstShape()); !vd.OK() {
		t.Fatalf("%s on %s (real fill, bias %v): %v", v.Name, p.Command(), in.B != nil, vd)
	}
	if v.Deterministic {
		got3 := runGuarded(t, v, p, in32, 3)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(got3[i]) {
				t.Fatalf("%s on %s: workers 1 and 3 differ at %s: %v vs %v", v.Name, p.Command(), conv.MultiIndex(p.DstShape(), i), got[i], got3[i])
			}
		}
	}

	inI, exact := oracles.IntFill(p, rng)
	inI = roundInputs(inI)
	expI, err := reference.Forward(p, inI, nil)
	if err != nil {
		t.Fatalf("reference (integer fill): %v", err)
	}
	gotI := runGuarded(t, v, p, conv.ConvertInputs[float32](inI), 2)
	if v.Exact && exact {
		if vd := conv.Compare(gotI, expI, nil, conv.Bound{}, p.DstShape()); !vd.OK() {
			t.Fatalf("%s on %s (integer fill) is not bit-exact: %v", v.Name, p.Command(), vd)
		}
	} else {
		bI, magI := v.Judge(p, reference.Magnitude(p, inI))
		if vd := conv.Compare(gotI, expI, magI, bI, p.DstShape()); !vd.OK() {
			t.Fatalf("%s on %s (integer fill): %v", v.Name, p.Command(), vd)
		}
	}
	variantHits.record(v.Name, p)
}

// runGuarded runs v into a NaN-poisoned out inside guard values and fails
// if the run errs or touches a guard.
func runGuarded(t *rapid.T, v optimized.Variant, p *conv.Problem, in conv.Inputs[float32], workers int) []float32 {
	n := conv.Elems(p.DstShape())
	buf := make([]float32, n+2*guardLen)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	for i := 0; i < guardLen; i++ {
		buf[i], buf[guardLen+n+i] = guardBefore, guardAfter
	}
	out := buf[guardLen : guardLen+n : guardLen+n]
	if err := v.Run(p, in, out, workers); err != nil {
		t.Fatalf("%s on %s: %v", v.Name, p.Command(), err)
	}
	for i := 0; i < guardLen; i++ {
		if buf[i] != guardBefore {
			t.Fatalf("%s on %s: wrote before out (guard %d = %v)", v.Name, p.Command(), guardLen-i, buf[i])
		}
		if buf[guardLen+n+i] != guardAfter {
			t.Fatalf("%s on %s: wrote after out (guard %d = %v)", v.Name, p.Command(), i, buf[guardLen+n+i])
		}
	}
	return out
}

// roundInputs rounds every input to float32 and back, so that the float64
// reference and the float32 variant compute on the same numbers.
func roundInputs(in conv.Inputs[float64]) conv.Inputs[float64] {
	return conv.ConvertInputs[float64](conv.ConvertInputs[float32](in))
}

func maxOf(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = math.Max(m, v)
	}
	return m
}

// PropVariantsMatchReference draws an op, a problem of that op and runs
// CheckVariant on every registered variant that supports it (one reference
// run serves them all; a failure names the variant).
func PropVariantsMatchReference(t *rapid.T) {
	// conv has most variants and deconv two algorithms with tiled paths: they are drawn most.
	op := rapid.SampledFrom([]conv.Op{conv.OpConv, conv.OpConv, conv.OpConv, conv.OpDeconv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic}).Draw(t, "op")
	p := variantProblemGen(op).Draw(t, "p")
	vs := optimized.For(&p)
	if len(vs) == 0 {
		t.Fatalf("no optimized variant supports %s", p.Command())
	}
	for _, v := range vs {
		CheckVariant(t, v, &p)
	}
}

// variantProblemGen mixes the shared edge/realistic generator with blocking
// problems: channel counts past the GEMM micro-kernel's 14/16/32-row tiles
// and not multiples of 16, and spatial sizes past the variants' fixed task
// tiles (512 im2col columns, 128 Winograd tiles), which small problems never reach.
func variantProblemGen(op conv.Op) *rapid.Generator[conv.Problem] {
	return rapid.Custom(func(t *rapid.T) conv.Problem {
		if rapid.Bool().Draw(t, "shared-generator") {
			return ProblemGen(op).Draw(t, "p")
		}
		return drawBlocking(t, op)
	})
}

// blockingMACs bounds one blocking problem's reference work.
const blockingMACs = 1_500_000

func drawBlocking(t *rapid.T, op conv.Op) conv.Problem {
	// target picks the path to reach: 0 many column/tile tasks (large
	// spatial size, few channels), 1 channel tails (up to 40 channels on a
	// small image), 2 a Winograd-shaped 2D layer, 3 anything in between.
	target := rapid.IntRange(0, 3).Draw(t, "target")
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
	for _, a := range p.Axes() {
		switch {
		case wide && a == conv.W:
			p.I[a] = rapid.IntRange(70, 160).Draw(t, "i-wide")
		case wide:
			p.I[a] = rapid.IntRange(k, 8).Draw(t, "i-short")
		default:
			p.I[a] = rapid.IntRange(lo, hi).Draw(t, "i")
		}
		p.K[a], p.S[a] = k, s
		// Begin padding up to 3 past the kernel extent: conv outputs that
		// read only padding, and deconv padding that crops the zero-inserted input.
		p.PBegin[a] = rapid.IntRange(0, k+2).Draw(t, "pbegin")
		if hugePad {
			p.PBegin[a] = rapid.IntRange(k+3, 4*k+12).Draw(t, "pbegin-huge")
		}
		p.PEnd[a] = rapid.IntRange(0, k-1).Draw(t, "pend")
		if op == conv.OpDeconv {
			p.PEnd[a] -= rapid.IntRange(0, s-1).Draw(t, "outpad")
			p.PEnd[a] = max(p.PEnd[a], p.PBegin[a]-(s-1))
			// keep O = S·(I−1) + K − PBegin − PEnd ≥ 1
			p.PEnd[a] = min(p.PEnd[a], s*(p.I[a]-1)+k-1-p.PBegin[a])
		}
	}
	if unit {
		a := p.Axes()[0]
		p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a] = 1, 1, 1, 0, 0
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
	if op == conv.OpDeform && rapid.Bool().Draw(t, "dg2") && p.IC%2 == 0 {
		p.DG = 2
	}
	if err := p.Resolve(); err != nil {
		t.Fatalf("blocking generator: %v", err)
	}
	return p
}

// hitCounter counts, per variant, the problems checked and the code paths
// they reached.
type hitCounter struct {
	mu   sync.Mutex
	hits map[string]map[string]int
}

var variantHits = &hitCounter{hits: map[string]map[string]int{}}

func (h *hitCounter) record(name string, p *conv.Problem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.hits[name]
	if m == nil {
		m = map[string]int{}
		h.hits[name] = m
	}
	for _, f := range problemFeatures(p) {
		m[f]++
	}
}

// problemFeatures names the code paths p reaches.
func problemFeatures(p *conv.Problem) []string {
	f := []string{"problems"}
	add := func(ok bool, name string) {
		if ok {
			f = append(f, name)
		}
	}
	add(p.G > 1, "groups")
	add(p.Rank == 3, "3d")
	add(p.Rank == 1, "1d")
	add(p.MB > 1, "batch")
	add(p.OCG()%16 != 0 && p.OCG() > 16, "oc-tail>16")
	add(p.ICG()%16 != 0 && p.ICG() > 16, "ic-tail>16")
	osp := conv.Spatial(p.O)
	if p.Op == conv.OpDeconv {
		osp = conv.Spatial(p.I)
	}
	add(osp > 512, "multi-tile")
	add(p.IsDilated(), "dilated")
	for _, a := range p.Axes() {
		add(p.S[a] > p.K[a], "stride>kernel")
		add(p.I[a] == 1, "1-pixel")
		add(p.PBegin[a] >= p.ExtK(a), "large-padding") // wider than the kernel
		add(p.PEnd[a] < 0, "negative-end-pad")
		add(p.PEnd[a] < p.PBegin[a] && p.Op == conv.OpDeconv, "output-padding")
	}
	sort.Strings(f)
	return dedup(f)
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// VariantHits returns, per variant name, the number of problems checked
// and of code paths hit since the process started.
func VariantHits() map[string]map[string]int {
	variantHits.mu.Lock()
	defer variantHits.mu.Unlock()
	out := map[string]map[string]int{}
	for k, m := range variantHits.hits {
		c := map[string]int{}
		for f, n := range m {
			c[f] = n
		}
		out[k] = c
	}
	return out
}

// VariantHitsTable prints VariantHits one variant a line.
func VariantHitsTable() string {
	h := VariantHits()
	var b strings.Builder
	for _, v := range optimized.All() {
		m := h[v.Name]
		var fs []string
		for f, n := range m {
			if f != "problems" {
				fs = append(fs, fmt.Sprintf("%s=%d", f, n))
			}
		}
		sort.Strings(fs)
		fmt.Fprintf(&b, "%-18s %4d problems  %s\n", v.Name, m["problems"], strings.Join(fs, " "))
	}
	return b.String()
}

// MissingCodePaths lists, sorted, the code paths optimized counts that no
// run has taken since the last optimized.ResetPathHits.
func MissingCodePaths() []string {
	var miss []string
	for name, n := range optimized.PathHits() {
		if n == 0 {
			miss = append(miss, name)
		}
	}
	sort.Strings(miss)
	return miss
}

// CodePathsTable prints optimized.PathHits one path a line, sorted by name.
func CodePathsTable() string {
	h := optimized.PathHits()
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "%-34s %d\n", name, h[name])
	}
	return b.String()
}

// PropSeparableMatchesReference: optimized.Separable (depthwise-direct then
// pointwise-gemm) against reference.Separable. The depthwise half's error
// (≤ N₁·u·its magnitude) passes through the pointwise weights, which scale it
// by at most the pointwise magnitude, and the pointwise half adds its own
// N₂·u: the bound is N = N₁ + N₂ against the magnitude of the whole
// composition (reference.Separable on absolute inputs).
func PropSeparableMatchesReference(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	s, err := conv.NewSeparable(p)
	if err != nil {
		t.Skipf("no separable counterpart: %v", err)
	}
	rng := RNG(t)
	dw := roundInputs(oracles.RandomFill(&s.Depthwise, rng))
	pw := roundInputs(oracles.RandomFill(&s.Pointwise, rng))
	exp := reference.Separable(s, dw.X, dw.W, dw.B, pw.W, pw.B, nil)
	mag := reference.Separable(s, conv.Abs(dw.X), conv.Abs(dw.W), conv.Abs(dw.B), conv.Abs(pw.W), conv.Abs(pw.B), nil)
	n := conv.Elems(s.Pointwise.DstShape())
	buf := make([]float32, n+2*guardLen)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	for i := 0; i < guardLen; i++ {
		buf[i], buf[guardLen+n+i] = guardBefore, guardAfter
	}
	out := buf[guardLen : guardLen+n : guardLen+n]
	pw32 := conv.ConvertInputs[float32](pw)
	pw32.X = nil
	if err := optimized.Separable(s, conv.ConvertInputs[float32](dw), pw32, out, 2); err != nil {
		t.Fatalf("Separable on %s: %v", p.Command(), err)
	}
	for i := 0; i < guardLen; i++ {
		if buf[i] != guardBefore || buf[guardLen+n+i] != guardAfter {
			t.Fatalf("Separable on %s wrote outside out", p.Command())
		}
	}
	b := conv.Bound{C: 1, N: s.Depthwise.AccumLength() + s.Pointwise.AccumLength(), Abs: variantAbs*maxOf(mag) + 1e-30}
	if vd := conv.Compare(out, exp, mag, b, s.Pointwise.DstShape()); !vd.OK() {
		t.Fatalf("Separable on %s: %v", p.Command(), vd)
	}
}
