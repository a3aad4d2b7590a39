package conv

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// pairsLoop is the benchdnn axis count as BenchdnnMACs used to compute it,
// one (position, tap) pair at a time: #{(x, k) : 0 ≤ x·s − p + k·d < m}. It is
// the oracle for the closed form AxisPairs.
func pairsLoop(n, kk, s, d, p, m int) int64 {
	var c int64
	for x := 0; x < n; x++ {
		for k := 0; k < kk; k++ {
			if y := x*s - p + k*d; y >= 0 && y < m {
				c++
			}
		}
	}
	return c
}

// TestAxisPairsMatchesLoop: the closed form counts what the loop counts, on
// small axes of every shape: stride above the kernel, dilation, padding
// larger than the input, a negative begin (AxisPairs is general), and an
// empty landing range.
func TestAxisPairsMatchesLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 30).Draw(t, "n")
		kk := rapid.IntRange(1, 12).Draw(t, "k")
		s := rapid.IntRange(1, 9).Draw(t, "s")
		d := rapid.IntRange(1, 7).Draw(t, "d")
		p := rapid.IntRange(-10, 25).Draw(t, "p")
		m := rapid.IntRange(0, 40).Draw(t, "m")
		got, ok := AxisPairs(int64(n), int64(kk), int64(s), int64(d), int64(p), int64(m))
		if want := pairsLoop(n, kk, s, d, p, m); !ok || got != want {
			t.Fatalf("AxisPairs(n=%d k=%d s=%d d=%d p=%d m=%d) = %d, %v; the loop counts %d", n, kk, s, d, p, m, got, ok, want)
		}
	})
}

// ceilDivAny is ⌈a/b⌉ for any a and b > 0.
func ceilDivAny(a, b int64) int64 { return -int64(FloorDiv(int(-a), int(b))) }

// TestAxisPairsLargeMatchesShortLoop checks the closed form at sizes up to
// 2^40, where the pair loop cannot run, against two independent counts that
// loop over the short side only: over the taps k when the kernel is small
// (each k lands the x in [⌈(p − k·d)/s⌉, ⌈(p + m − k·d)/s⌉)), over the
// positions x when the source is small.
func TestAxisPairsLargeMatchesShortLoop(t *testing.T) {
	big := func(t *rapid.T, name string) int64 { // log-uniform in [1, 2^40]
		e := rapid.IntRange(0, 40).Draw(t, name+"_log2")
		return rapid.Int64Range(1, 1<<e).Draw(t, name)
	}
	rapid.Check(t, func(t *rapid.T) {
		short := rapid.Int64Range(1, 40).Draw(t, "short")
		long := big(t, "long")
		s, d, p, m := big(t, "s"), big(t, "d"), big(t, "p")-1, big(t, "m")
		var want int64
		if rapid.Bool().Draw(t, "kernel_is_short") {
			n, kk := long, short
			for k := int64(0); k < kk; k++ {
				lo := max(ceilDivAny(p-k*d, s), 0)
				hi := min(ceilDivAny(p+m-k*d, s), n)
				want += max(hi-lo, 0)
			}
			if got, ok := AxisPairs(n, kk, s, d, p, m); !ok || got != want {
				t.Fatalf("AxisPairs(n=%d k=%d s=%d d=%d p=%d m=%d) = %d, %v; the loop over k counts %d", n, kk, s, d, p, m, got, ok, want)
			}
			return
		}
		n, kk := short, long
		for x := int64(0); x < n; x++ {
			lo := max(ceilDivAny(p-x*s, d), 0)
			hi := min(ceilDivAny(p+m-x*s, d), kk)
			want += max(hi-lo, 0)
		}
		if got, ok := AxisPairs(n, kk, s, d, p, m); !ok || got != want {
			t.Fatalf("AxisPairs(n=%d k=%d s=%d d=%d p=%d m=%d) = %d, %v; the loop over x counts %d", n, kk, s, d, p, m, got, ok, want)
		}
	})
}

// TestFloorSumMatchesLoop: the Euclid-like floor sum is the plain sum.
func TestFloorSumMatchesLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(0, 60).Draw(t, "n")
		m := rapid.Int64Range(1, 50).Draw(t, "m")
		a := rapid.Int64Range(0, 200).Draw(t, "a")
		b := rapid.Int64Range(0, 200).Draw(t, "b")
		var want int64
		for j := int64(0); j < n; j++ {
			want += (a*j + b) / m
		}
		if got, ok := floorSum(n, m, a, b); !ok || got != want {
			t.Fatalf("floorSum(n=%d m=%d a=%d b=%d) = %d, %v, want %d", n, m, a, b, got, ok, want)
		}
	})
}

// TestFloorSumExactOrRefused: at sizes where the sum nears or passes 2^63, the
// floor sum is either the exact value or refused, never wrapped. With a = q·m
// the sum is q·n(n−1)/2 + n·⌊b/m⌋, exact in big integers.
func TestFloorSumExactOrRefused(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(1, 1<<rapid.IntRange(1, 62).Draw(t, "n_log2")).Draw(t, "n")
		m := rapid.Int64Range(1, 1<<rapid.IntRange(0, 30).Draw(t, "m_log2")).Draw(t, "m")
		q := rapid.Int64Range(0, 1<<rapid.IntRange(0, 30).Draw(t, "q_log2")).Draw(t, "q")
		b := rapid.Int64Range(0, math.MaxInt64).Draw(t, "b")
		if q > math.MaxInt64/m {
			return
		}
		bn := big.NewInt(n)
		want := new(big.Int).Mul(bn, big.NewInt(n-1))
		want.Rsh(want, 1)
		want.Mul(want, big.NewInt(q))
		want.Add(want, new(big.Int).Mul(bn, big.NewInt(b/m)))
		got, ok := floorSum(n, m, q*m, b)
		if ok != want.IsInt64() || (ok && got != want.Int64()) {
			t.Fatalf("floorSum(n=%d m=%d a=%d b=%d) = %d, %v; exact %v", n, m, q*m, b, got, ok, want)
		}
	})
}

// TestFloorSumWide: a·n + b past 2^64 with a low word below m, where only
// the 128-bit comparison sees that the line still has points above it.
// Σ_{j<2^32} ⌊2^32·j/(2^32+1)⌋ = Σ_{j=1}^{2^32−1} (j − 1).
func TestFloorSumWide(t *testing.T) {
	const n = 1 << 32
	want := new(big.Int).Mul(big.NewInt(n-1), big.NewInt(n-2))
	want.Rsh(want, 1)
	if got, ok := floorSum(n, n+1, n, 0); !ok || got != want.Int64() {
		t.Fatalf("floorSum(2^32, 2^32+1, 2^32, 0) = %d, %v, want %v", got, ok, want)
	}
}

// TestCheckedArithmetic: mulChecked, addChecked and subChecked agree with big integers,
// refusing exactly the results outside int64.
func TestCheckedArithmetic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-3, 3),
			rapid.SampledFrom([]int64{math.MinInt64, math.MaxInt64, 1 << 31, 1<<32 + 1, -1 << 32}))
		a, b := gen.Draw(t, "a"), gen.Draw(t, "b")
		for _, c := range []struct {
			name string
			f    func(a, b int64) (int64, bool)
			big  func(z, x, y *big.Int) *big.Int
		}{{"mul", mulChecked, (*big.Int).Mul}, {"add", addChecked, (*big.Int).Add}, {"sub", subChecked, (*big.Int).Sub}} {
			want := c.big(new(big.Int), big.NewInt(a), big.NewInt(b))
			got, ok := c.f(a, b)
			if ok != want.IsInt64() || (ok && got != want.Int64()) {
				t.Fatalf("%s(%d, %d) = %d, %v; exact %v", c.name, a, b, got, ok, want)
			}
		}
	})
}

// benchdnnMACsLoop is BenchdnnMACs by the pair loop (the oracle).
func benchdnnMACsLoop(p *Problem) int64 {
	if p.Op == OpDeform {
		return p.MACs()
	}
	n := int64(1)
	for a := 0; a < 3; a++ {
		src, dst := p.O[a], p.I[a]
		if p.Op == OpDeconv {
			src, dst = p.I[a], p.O[a]
		}
		n *= pairsLoop(src, p.K[a], p.S[a], p.Dil[a], p.PBegin[a], dst)
	}
	if p.Op == OpDeconv {
		return int64(p.MB) * int64(p.IC) * int64(p.OCG()) * n
	}
	return int64(p.MB) * int64(p.OC) * int64(p.ICG()) * n
}

// smallProblem draws a valid problem of any op with small sizes, negative end
// padding and stride above the kernel included.
func smallProblem(t *rapid.T) Problem {
	op := Op(rapid.IntRange(0, 3).Draw(t, "op"))
	rank := rapid.IntRange(1, 3).Draw(t, "rank")
	if op == OpDeform {
		rank = 2
	}
	p := New(op, rank)
	g := rapid.IntRange(1, 3).Draw(t, "g")
	p.G, p.MB = g, rapid.IntRange(1, 3).Draw(t, "mb")
	p.IC, p.OC = g*rapid.IntRange(1, 3).Draw(t, "icg"), g*rapid.IntRange(1, 3).Draw(t, "ocg")
	for _, a := range p.Axes() {
		p.I[a] = rapid.IntRange(1, 12).Draw(t, "i")
		p.K[a] = rapid.IntRange(1, 5).Draw(t, "k")
		p.S[a] = rapid.IntRange(1, 6).Draw(t, "s")
		p.Dil[a] = rapid.IntRange(1, 3).Draw(t, "d")
		p.PBegin[a] = rapid.IntRange(0, 4).Draw(t, "pb")
		p.PEnd[a] = rapid.IntRange(-4, 4).Draw(t, "pe")
	}
	if err := p.Resolve(); err != nil {
		t.Skip(err)
	}
	return p
}

// TestBenchdnnMACsMatchesLoop: on whole problems the closed form gives the
// pair loop's count, never more than the dense count.
func TestBenchdnnMACsMatchesLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := smallProblem(t)
		if got, want := p.BenchdnnMACs(), benchdnnMACsLoop(&p); got != want {
			t.Fatalf("%#v: BenchdnnMACs = %d, the loop counts %d", p, got, want)
		}
		if p.BenchdnnMACs() > p.MACs() || p.BenchdnnFLOPs() != 2*p.BenchdnnMACs() {
			t.Fatalf("%#v: benchdnn MACs %d, FLOPs %d against dense MACs %d", p, p.BenchdnnMACs(), p.BenchdnnFLOPs(), p.MACs())
		}
	})
}

// exactCounts are the problem's counts in big integers, by the formulas of
// the doc comments, independent of the checked int64 code.
func exactCounts(p *Problem) map[string]*big.Int {
	prod := func(v ...int) *big.Int {
		z := big.NewInt(1)
		for _, x := range v {
			z.Mul(z, big.NewInt(int64(x)))
		}
		return z
	}
	add := func(v ...*big.Int) *big.Int {
		z := new(big.Int)
		for _, x := range v {
			z.Add(z, x)
		}
		return z
	}
	k := []int{p.K[D], p.K[H], p.K[W]}
	var macs, w, bias *big.Int
	switch p.Op {
	case OpDeconv:
		macs = prod(append(append([]int{p.MB, p.IC, p.OC / p.G}, k...), p.I[D], p.I[H], p.I[W])...)
		w = prod(append([]int{p.IC, p.OC / p.G}, k...)...)
	default:
		macs = prod(append(append([]int{p.MB, p.OC, p.IC / p.G}, k...), p.O[D], p.O[H], p.O[W])...)
		w = prod(append([]int{p.OC, p.IC / p.G}, k...)...)
	}
	bias = prod(p.OC)
	if p.Op == OpDynamic {
		w.Mul(w, prod(p.E))
		bias = prod(p.E, p.OC)
		w.Add(w, add(prod(p.E, p.IC), prod(p.E)))
	}
	act := add(prod(p.MB, p.IC, p.I[D], p.I[H], p.I[W]), prod(p.MB, p.OC, p.O[D], p.O[H], p.O[W]))
	if p.Op == OpDeform {
		act.Add(act, prod(p.MB, 2, p.DG, p.K[H], p.K[W], p.O[H], p.O[W]))
		if p.Mask {
			act.Add(act, prod(p.MB, p.DG, p.K[H], p.K[W], p.O[H], p.O[W]))
		}
	}
	withBias := add(w, bias)
	return map[string]*big.Int{
		"macs": macs, "flops": new(big.Int).Lsh(macs, 1), "params": w, "params_with_bias": withBias,
		"activation_bytes": act, "total_bytes": new(big.Int).Mul(add(act, withBias), big.NewInt(MaxElemSize)),
	}
}

// TestCountsExactOrRefused: for problems with sizes up to 2^40, Validate
// either accepts and every count equals the exact big-integer count, or
// refuses naming a count that is indeed over 2^63 − 1. No count wraps.
func TestCountsExactOrRefused(t *testing.T) {
	refused := 0
	rapid.Check(t, func(t *rapid.T) {
		// Half the problems draw every size from [2^30, 2^40], so their
		// counts are far over int64 and the refusal is reached on every
		// run; drawn from [1, 2^40] alone it was reached about 8 times in
		// 100, and once in a CI run not at all.
		minLog2 := 0
		if rapid.Bool().Draw(t, "huge") {
			minLog2 = 30
		}
		size := func(t *rapid.T, name string) int {
			e := rapid.IntRange(minLog2, 40).Draw(t, name+"_log2")
			return rapid.IntRange(1<<minLog2, 1<<e).Draw(t, name)
		}
		op := Op(rapid.IntRange(0, 3).Draw(t, "op"))
		rank := rapid.IntRange(1, 3).Draw(t, "rank")
		if op == OpDeform {
			rank = 2
		}
		p := New(op, rank)
		p.G = rapid.IntRange(1, 4).Draw(t, "g")
		p.MB, p.IC, p.OC = size(t, "mb"), p.G*(size(t, "icg")/4+1), p.G*(size(t, "ocg")/4+1)
		p.E = size(t, "e")
		p.Mask = rapid.Bool().Draw(t, "mask")
		for _, a := range p.Axes() {
			p.I[a], p.K[a], p.S[a] = size(t, "i"), size(t, "k")/64+1, size(t, "s")/64+1
			p.PBegin[a] = size(t, "pb") - 1
			p.PEnd[a] = p.PBegin[a] - rapid.IntRange(0, 2).Draw(t, "op_pad")
		}
		err := p.Resolve()
		if err == nil {
			for name, want := range exactCounts(&p) {
				var got int64
				switch name {
				case "macs":
					got = p.MACs()
				case "flops":
					got = p.FLOPs()
				case "params":
					got = int64(p.Params(false))
				case "params_with_bias":
					got = int64(p.Params(true))
				case "activation_bytes":
					got = p.ActivationElems()
				case "total_bytes":
					got = p.TotalBytes(MaxElemSize)
				}
				if !want.IsInt64() || got != want.Int64() {
					t.Fatalf("%#v: %s = %d, exact %v", p, name, got, want)
				}
			}
			if bm := p.BenchdnnMACs(); bm < 0 || bm > p.MACs() || p.BenchdnnFLOPs() != 2*bm {
				t.Fatalf("%#v: benchdnn MACs %d, FLOPs %d, dense MACs %d", p, bm, p.BenchdnnFLOPs(), p.MACs())
			}
			return
		}
		field, _, _ := strings.Cut(err.Error(), ":")
		if strings.HasPrefix(field, "benchdnn_") {
			t.Fatalf("%#v: %v, but benchdnn's count is at most the dense one, which fits", p, err)
		}
		want, isCount := exactCounts(&p)[field]
		if !isCount {
			t.Skip(err) // an invalid shape (output ≤ 0, …), not a count
		}
		if want.IsInt64() {
			t.Fatalf("%#v: refused with %v, but the exact %s %v fits", p, err, field, want)
		}
		refused++
	})
	if refused == 0 {
		t.Errorf("no problem had a count over int64: the generator does not reach the refusal")
	}
}

// TestCountsOverflowNamed: each count that cannot fit is refused by
// ParseDescriptor (through Validate) with the count's name as the field.
func TestCountsOverflowNamed(t *testing.T) {
	for _, c := range []struct {
		desc  string
		op    Op
		field string
	}{
		{"mb1099511627776ic1oc1099511627776iw1kw1", OpConv, "macs"},                      // 2^80, printed as 0 before
		{"mb1ic1099511627776iw1oc1099511627776kw1", OpDeconv, "macs"},                    // 2^80
		{"mb1ic1oc1ih1000000000kh3", OpConv, "flops"},                                    // 2·9·(10^9−2)² ≈ 1.8·10^19
		{"mb1099511627776ic1iw1073741824oc1kw1sw1073741824", OpConv, "activation_bytes"}, // src 2^70
		{"mb1099511627776ic1iw2097152oc1kw1sw2097152", OpConv, "total_bytes"},            // 2^61 elements · 8 B
	} {
		_, err := ParseDescriptor(c.desc, c.op)
		de, ok := err.(*DescError)
		if !ok || de.Field != c.field || !strings.Contains(de.Msg, "overflows int64") {
			t.Errorf("ParseDescriptor(%q, %v) = %v, want an overflow error on field %q", c.desc, c.op, err, c.field)
		}
	}
	// A dynamic convolution's parameters grow with the experts, not its MACs.
	p, err := ParseDescriptor("mb1ic1oc1099511627776iw1kw1", OpDynamic)
	if err != nil {
		t.Fatal(err)
	}
	p.E = 1 << 40
	if err := p.Validate(); err == nil || !strings.HasPrefix(err.Error(), "params: ") {
		t.Errorf("E = 2^40 experts of 2^40 weights: Validate = %v, want a params overflow", err)
	}
	p.E = 1 << 61 // weights, routing weights, routing bias 2^61 each, then a bias of 2^61 overflows
	p.OC = 1
	if err := p.Validate(); err == nil || !strings.HasPrefix(err.Error(), "params_with_bias: ") {
		t.Errorf("E = 2^61: Validate = %v, want a params_with_bias overflow", err)
	}
	// An output size whose formula overflows is refused, not compared wrapped:
	// 4·(2^62 + 1) + 1 wraps to the plausible 5.
	q := New(OpDeconv, 1)
	q.I[W], q.S[W] = 1<<62+2, 4
	q.O[W] = DeconvOutSize(q.I[W], q.K[W], q.S[W], 0, 0, 1)
	if err := q.Validate(); q.O[W] != 5 || err == nil || !strings.HasPrefix(err.Error(), "ow: ") || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("s·(i−1) = 2^64 + 4, wrapped o = %d: Validate = %v, want an output size overflow on ow", q.O[W], err)
	}
	r := New(OpConv, 1)
	r.PEnd[W] = math.MaxInt64 // i + p_begin + p_end overflows
	if err := r.Validate(); err == nil || !strings.HasPrefix(err.Error(), "ow: ") || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("p_end = 2^63 − 1: Validate = %v, want an output size overflow on ow", err)
	}
}

// TestElemsRefusesOverflow: ElemsChecked errors and Elems panics rather than
// returning a wrapped element count.
func TestElemsRefusesOverflow(t *testing.T) {
	shape := []int{1 << 32, 1 << 32}
	if n, err := ElemsChecked(shape); err == nil {
		t.Errorf("ElemsChecked(%v) = %d, want an overflow error", shape, n)
	}
	if n, err := ElemsChecked([]int{3, -1}); err == nil {
		t.Errorf("ElemsChecked with a negative dimension = %d, want an error", n)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Elems(%v) did not panic", shape)
		}
	}()
	Elems(shape)
}

// TestBudgetCountsOffsets: a deformable convolution's offsets can outweigh
// its input many times; CheckBudget counts them as TotalBytes does.
func TestBudgetCountsOffsets(t *testing.T) {
	p, err := ParseDescriptor("mb1ic1ih100oc1kh9", OpDeform)
	if err != nil {
		t.Fatal(err)
	}
	budget := p.TotalBytes(4) - 1
	err = p.CheckBudget(4, budget)
	if err == nil || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("CheckBudget(4, %d) = %v for %d B of tensors, want a refusal naming the offset tensor", budget, err, p.TotalBytes(4))
	}
	if err := p.CheckBudget(4, p.TotalBytes(4)); err != nil {
		t.Fatalf("CheckBudget at exactly TotalBytes: %v", err)
	}
}

// TestHugeAxisCounts is the slow case, a 10^7 kernel on a 10^7 axis
// (the pair loop took over ten minutes), against a count per output.
func TestHugeAxisCounts(t *testing.T) {
	p, err := ParseDescriptor("mb1ic1oc1iw10000000kw10000000pw5000000", OpConv)
	if err != nil {
		t.Fatal(err)
	}
	// o = 10^7 + 1 outputs; output o sees the taps k with 0 ≤ o − 5·10^6 + k < 10^7.
	var want int64
	for o := int64(0); o < int64(p.O[W]); o++ {
		want += min(int64(1e7), 1e7+5e6-o) - max(0, 5e6-o)
	}
	if got := p.BenchdnnMACs(); got != want {
		t.Errorf("BenchdnnMACs = %d, per-output count %d", got, want)
	}
}
