package properties

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// variantAbs is the absolute term of the separable bound relative to the
// largest magnitude, as optimized.Variant.Judge uses for single variants.
const variantAbs = 0x1p-40

// CheckVariant checks one variant on one problem with convtest.Check (the
// one suite every implementation goes through: real and integer fills
// against the reference under v.Judge's bound, NaN-poisoned and guarded
// outputs, 1 and 3 workers, linearity), on a fill seed and bias drawn from t.
func CheckVariant(t *rapid.T, v optimized.Variant, p *conv.Problem) {
	if err := v.Supports(p); err != nil {
		t.Fatalf("%s does not support %s: %v", v.Name, p.Command(), err)
	}
	seed := rapid.Uint64().Draw(t, "fill-seed")
	bias := !rapid.Bool().Draw(t, "no-bias")
	if f := convtest.Check(convtest.Variant(v), p, seed, bias); f != nil {
		t.Fatalf("%s", f.Message)
	}
	variantHits.record(v.Name, p)
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

// PropVariantsMatchReference draws an op, a problem of that op
// (convtest.Gen: small problems and ones past the production block sizes)
// and runs CheckVariant on every registered variant that supports it (a
// failure names the variant).
func PropVariantsMatchReference(t *rapid.T) {
	// conv has most variants and deconv two algorithms with tiled paths: they are drawn most.
	op := rapid.SampledFrom([]conv.Op{conv.OpConv, conv.OpConv, conv.OpConv, conv.OpDeconv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic}).Draw(t, "op")
	p := convtest.Gen(op).Draw(t, "p")
	vs := optimized.For(&p)
	if len(vs) == 0 {
		t.Fatalf("no optimized variant supports %s", p.Command())
	}
	for _, v := range vs {
		CheckVariant(t, v, &p)
	}
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
// run has taken since the last optimized.ResetPathHits, leaving out those
// this machine's kernels never take (optimized.PathsOff).
func MissingCodePaths() []string {
	var miss []string
	off := map[string]bool{}
	for _, name := range optimized.PathsOff() {
		off[name] = true
	}
	for name, n := range optimized.PathHits() {
		if n == 0 && !off[name] {
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
	pw32 := conv.ConvertInputs[float32](pw)
	pw32.X = nil
	out, err := convtest.RunGuarded(conv.Elems(s.Pointwise.DstShape()), func(out []float32) error {
		return optimized.Separable(s, conv.ConvertInputs[float32](dw), pw32, out, 2)
	})
	if err != nil {
		t.Fatalf("Separable on %s: %v", p.Command(), err)
	}
	b := conv.Bound{C: 1, N: s.Depthwise.AccumLength() + s.Pointwise.AccumLength(), Abs: variantAbs*maxOf(mag) + 1e-30}
	if vd := conv.Compare(out, exp, mag, b, s.Pointwise.DstShape()); !vd.OK() {
		t.Fatalf("Separable on %s: %v", p.Command(), vd)
	}
}
