package conv

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Every counting formula of the project lives in this file, once.

// ExtKernel is the extent of a dilated kernel: d·(k−1) + 1, with d the framework dilation.
func ExtKernel(k, d int) int { return d*(k-1) + 1 }

// FloorDiv is ⌊a/b⌋ for b > 0. Go's / truncates toward zero, which is wrong
// for a negative a (ONNX ConvTranspose's total padding can be negative).
func FloorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// OutSize is the output size of a convolution along one axis:
//
//	o = ⌊(i + p_begin + p_end − d·(k−1) − 1) / s⌋ + 1
//
// with d the framework dilation. A result ≤ 0 means the problem is invalid.
func OutSize(i, k, s, pBegin, pEnd, d int) int {
	return FloorDiv(i+pBegin+pEnd-ExtKernel(k, d), s) + 1
}

// DeconvOutSize is the output size of a transposed convolution along one axis:
//
//	o = s·(i − 1) + d·(k − 1) + 1 − p_begin − p_end
//
// PyTorch's output_padding op enters as p_end = p − op, so the same formula
// reads s·(i−1) + d·(k−1) + 1 − 2p + op.
func DeconvOutSize(i, k, s, pBegin, pEnd, d int) int {
	return s*(i-1) + ExtKernel(k, d) - pBegin - pEnd
}

// outSizeChecked is OutSize, or DeconvOutSize for OpDeconv, with ok false
// when the formula overflows int64 (Validate must not compare a wrapped
// size with O and find them equal).
func outSizeChecked(op Op, i, k, s, pBegin, pEnd, d int) (int, bool) {
	ek, ok := mulChecked(int64(d), int64(k)-1)
	ek, ok = chain(ok, addChecked, ek, 1)
	if op == OpDeconv {
		o, ok := chain(ok, mulChecked, int64(s), int64(i)-1)
		o, ok = chain(ok, addChecked, o, ek)
		o, ok = chain(ok, subChecked, o, int64(pBegin))
		o, ok = chain(ok, subChecked, o, int64(pEnd))
		return int(o), ok
	}
	n, ok := chain(ok, addChecked, int64(i), int64(pBegin))
	n, ok = chain(ok, addChecked, n, int64(pEnd))
	n, ok = chain(ok, subChecked, n, ek)
	if !ok {
		return 0, false
	}
	return FloorDiv(int(n), s) + 1, true
}

// chain applies f(a, b) if every step so far was ok, so that a formula reads
// as a sequence of checked steps with one test at the end.
func chain(ok bool, f func(a, b int64) (int64, bool), a, b int64) (int64, bool) {
	if !ok {
		return 0, false
	}
	return f(a, b)
}

// WeightShape returns the weight tensor's shape in PyTorch layout:
//
//	conv, deform:  [OC, IC/G, K…]
//	deconv:        [IC, OC/G, K…]
//	dynamic:       [E, OC, IC/G, K…]
func (p *Problem) WeightShape() []int {
	var s []int
	switch p.Op {
	case OpDeconv:
		s = []int{p.IC, p.OCG()}
	case OpDynamic:
		s = []int{p.E, p.OC, p.ICG()}
	default:
		s = []int{p.OC, p.ICG()}
	}
	for _, a := range p.Axes() {
		s = append(s, p.K[a])
	}
	return s
}

// SrcShape is [MB, IC, I…]; DstShape is [MB, OC, O…].
func (p *Problem) SrcShape() []int { return p.spatialShape(p.MB, p.IC, p.I) }
func (p *Problem) DstShape() []int { return p.spatialShape(p.MB, p.OC, p.O) }

// BiasShape is [OC], or [E, OC] for a dynamic convolution (one bias per expert).
func (p *Problem) BiasShape() []int {
	if p.Op == OpDynamic {
		return []int{p.E, p.OC}
	}
	return []int{p.OC}
}

// OffsetShape is [MB, 2·DG·KH·KW, OH, OW] (deform only). Channel 2k is the row
// offset and 2k+1 the column offset of tap k = (dg·KH + kh)·KW + kw.
func (p *Problem) OffsetShape() []int {
	return []int{p.MB, 2 * p.DG * p.K[H] * p.K[W], p.O[H], p.O[W]}
}

// MaskShape is [MB, DG·KH·KW, OH, OW] (deform with Mask only).
func (p *Problem) MaskShape() []int {
	return []int{p.MB, p.DG * p.K[H] * p.K[W], p.O[H], p.O[W]}
}

// RouteWShape is [E, IC] and RouteBShape [E]: the routing function's linear
// layer, r = RouteW·GAP(x) + RouteB (dynamic only).
func (p *Problem) RouteWShape() []int { return []int{p.E, p.IC} }
func (p *Problem) RouteBShape() []int { return []int{p.E} }

func (p *Problem) spatialShape(n, c int, sp [3]int) []int {
	s := []int{n, c}
	for _, a := range p.Axes() {
		s = append(s, sp[a])
	}
	return s
}

// Elems is the number of elements of a shape. It panics if the product does
// not fit in an int: a wrapped count would size a buffer wrongly and silently.
// Shapes of a validated Problem always fit (Validate calls CheckCounts); a
// shape read from a file should be sized with ElemsChecked.
func Elems(shape []int) int {
	n, err := ElemsChecked(shape)
	if err != nil {
		panic("conv: " + err.Error())
	}
	return n
}

// ElemsChecked is Elems, or an error when a dimension is negative or the
// product does not fit in an int.
func ElemsChecked(shape []int) (int, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %s: negative dimension %d", shapeString(shape), d)
		}
		var ok bool
		if n, ok = mulChecked(n, int64(d)); !ok || int64(int(n)) != n {
			return 0, fmt.Errorf("shape %s: element count overflows int64", shapeString(shape))
		}
	}
	return int(n), nil
}

// Overflow-checked int64 arithmetic. Every count below goes through these,
// so a count either is exact or is refused; it never wraps to a plausible
// (or negative) number.

// mulChecked is a·b, with ok false when the product does not fit in int64.
func mulChecked(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

// addChecked is a+b, with ok false when the sum does not fit in int64.
func addChecked(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}

// subChecked is a−b, with ok false when the difference does not fit in int64.
func subChecked(a, b int64) (int64, bool) {
	c := a - b
	if (c < a) != (b > 0) {
		return 0, false
	}
	return c, true
}

// product multiplies factors, or returns an error naming field and the
// formula with its factors when the product does not fit in int64.
func product[T int | int64](field, formula string, factors ...T) (int64, error) {
	n := int64(1)
	for _, f := range factors {
		var ok bool
		if n, ok = mulChecked(n, int64(f)); !ok {
			return 0, overflowError(field, formula, factors...)
		}
	}
	return n, nil
}

// sum adds terms, or returns an error naming field and formula on overflow.
func sum(field, formula string, terms ...int64) (int64, error) {
	var n int64
	for _, t := range terms {
		var ok bool
		if n, ok = addChecked(n, t); !ok {
			return 0, overflowError(field, formula, terms...)
		}
	}
	return n, nil
}

func overflowError[T int | int64](field, formula string, vals ...T) error {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = strconv.FormatInt(int64(v), 10)
	}
	op := "·"
	if strings.Contains(formula, "+") {
		op = " + "
	}
	return fmt.Errorf("%s: %s = %s overflows int64", field, formula, strings.Join(s, op))
}

// must is for the int64-returning count methods, whose callers hold a
// validated Problem (Validate calls CheckCounts). Reaching the panic means
// a caller skipped Validate; a wrapped number would be worse.
func must(n int64, err error) int64 {
	if err != nil {
		panic("conv: " + err.Error() + " (the problem was not validated)")
	}
	return n
}

// MaxElemSize is the widest element the project stores (float64). CheckCounts
// refuses a problem whose bytes at this size do not fit in int64, so
// ActivationBytes and TotalBytes are exact for every elemSize up to it.
const MaxElemSize = 8

// CheckCounts returns an error naming the first count of p (macs, flops,
// benchdnn_macs, benchdnn_flops, params, params_with_bias, activation_bytes,
// total_bytes) that does not fit in int64. Validate calls it, so the count
// methods of a validated Problem are exact. Every count is closed-form: the
// check takes the same time for any sizes.
func (p *Problem) CheckCounts() error {
	macs, err := p.macs()
	if err != nil {
		return err
	}
	if _, ok := mulChecked(2, macs); !ok {
		return overflowError("flops", "2·macs", 2, macs)
	}
	bm, err := p.benchdnnMACs()
	if err != nil {
		return err
	}
	if _, ok := mulChecked(2, bm); !ok {
		return overflowError("benchdnn_flops", "2·benchdnn_macs", 2, bm)
	}
	for _, bias := range []bool{false, true} {
		if _, err := p.params(bias); err != nil {
			return err
		}
	}
	if _, err := p.totalBytes(MaxElemSize); err != nil {
		return err
	}
	return nil
}

// Params is the number of learned parameters:
//
//	weights = KD·KH·KW · (IC/G) · OC   (× E for dynamic, plus the E×IC+E routing layer)
//	bias    = OC                       (× E for dynamic)
//
// For a standard 2D convolution this is the textbook K²·Cin·Cout (+Cout).
func (p *Problem) Params(bias bool) int { return int(must(p.params(bias))) }

func (p *Problem) params(bias bool) (int64, error) {
	field := "params"
	if bias {
		field = "params_with_bias"
	}
	var w int64
	var err error
	switch p.Op {
	case OpDeconv:
		w, err = product(field, "ic·(oc/g)·kd·kh·kw", p.IC, p.OCG(), p.K[D], p.K[H], p.K[W])
	case OpDynamic:
		w, err = product(field, "e·oc·(ic/g)·kd·kh·kw", p.E, p.OC, p.ICG(), p.K[D], p.K[H], p.K[W])
	default:
		w, err = product(field, "oc·(ic/g)·kd·kh·kw", p.OC, p.ICG(), p.K[D], p.K[H], p.K[W])
	}
	if err != nil {
		return 0, err
	}
	terms := []int64{w}
	if bias {
		b, err := product(field, "bias", p.BiasShape()...)
		if err != nil {
			return 0, err
		}
		terms = append(terms, b)
	}
	if p.Op == OpDynamic {
		rw, err := product(field, "e·ic", p.E, p.IC)
		if err != nil {
			return 0, err
		}
		terms = append(terms, rw, int64(p.E))
	}
	n, err := sum(field, "weights + bias + routing", terms...)
	if err == nil && int64(int(n)) != n {
		return 0, fmt.Errorf("%s: %d does not fit in an int", field, n)
	}
	return n, err
}

// MACs is the dense multiply-accumulate count, every tap counted whether it
// lands in padding or not:
//
//	conv, deform, dynamic:  MB · OC · (IC/G) · KD·KH·KW · OD·OH·OW
//	deconv:                 MB · IC · (OC/G) · KD·KH·KW · ID·IH·IW
//
// The textbook FLOPs 2·K²·Cin·Cout·Hout·Wout is 2·MACs at MB = G = 1. The
// dynamic convolution's kernel mixing and routing are not counted here.
func (p *Problem) MACs() int64 { return must(p.macs()) }

func (p *Problem) macs() (int64, error) {
	if p.Op == OpDeconv {
		return product("macs", "mb·ic·(oc/g)·kd·kh·kw·id·ih·iw",
			p.MB, p.IC, p.OCG(), p.K[D], p.K[H], p.K[W], p.I[D], p.I[H], p.I[W])
	}
	return product("macs", "mb·oc·(ic/g)·kd·kh·kw·od·oh·ow",
		p.MB, p.OC, p.ICG(), p.K[D], p.K[H], p.K[W], p.O[D], p.O[H], p.O[W])
}

// FLOPs is 2·MACs: one multiply and one add per tap.
func (p *Problem) FLOPs() int64 { return must(mulOrErr("flops", 2, p.MACs())) }

func mulOrErr(field string, a, b int64) (int64, error) {
	if c, ok := mulChecked(a, b); ok {
		return c, nil
	}
	return 0, overflowError(field, "2·"+strings.TrimSuffix(field, "flops")+"macs", a, b)
}

// BenchdnnMACs counts, as benchdnn does, only the (output, tap) pairs whose
// input position lies inside the unpadded input:
//
//	MB · OC · (IC/G) · Πₐ #{(o, k) : 0 ≤ o·s − p_begin + k·d < i}
//
// For deconv the roles of input and output swap: the pairs (i, k) whose target
// i·s − p_begin + k·d lies inside [0, o). Deform samples move with the offsets,
// so its count is the dense one. Each axis's count is closed-form (AxisPairs),
// so the time does not depend on the sizes.
func (p *Problem) BenchdnnMACs() int64 { return must(p.benchdnnMACs()) }

func (p *Problem) benchdnnMACs() (int64, error) {
	if p.Op == OpDeform {
		return p.macs()
	}
	var n [3]int64
	for a := 0; a < 3; a++ {
		src, dst := p.O[a], p.I[a] // conv: walk outputs, land in input
		if p.Op == OpDeconv {
			src, dst = p.I[a], p.O[a]
		}
		var ok bool
		if n[a], ok = AxisPairs(int64(src), int64(p.K[a]), int64(p.S[a]), int64(p.Dil[a]), int64(p.PBegin[a]), int64(dst)); !ok {
			return 0, fmt.Errorf("benchdnn_macs: the in-bounds taps of axis %s overflow int64", "dhw"[a:a+1])
		}
	}
	c1, c2 := p.OC, p.ICG()
	if p.Op == OpDeconv {
		c1, c2 = p.IC, p.OCG()
	}
	return product("benchdnn_macs", "mb·c·(c/g)·pairs_d·pairs_h·pairs_w",
		int64(p.MB), int64(c1), int64(c2), n[D], n[H], n[W])
}

// BenchdnnFLOPs is 2·BenchdnnMACs.
func (p *Problem) BenchdnnFLOPs() int64 { return must(mulOrErr("benchdnn_flops", 2, p.BenchdnnMACs())) }

// AxisPairs is the number of (x, k) with 0 ≤ x < n, 0 ≤ k < kk and
//
//	0 ≤ x·s − p + k·d < m,
//
// the in-bounds (position, tap) pairs of one axis: x walks the n source
// positions and x·s − p + k·d is where tap k lands among m. Writing
// Below(t) = #{(x, k) : x·s + k·d < t}, it is Below(p + m) − Below(p), and
// Below is a few products plus one floor sum (see pairsBelow), so its time
// is O(log) of the sizes, never O(n·kk). ok is false if a value overflows int64.
// n, kk, s, d must be > 0 and m ≥ 0.
func AxisPairs(n, kk, s, d, p, m int64) (int64, bool) {
	hi, ok := addChecked(p, m)
	if !ok {
		return 0, false
	}
	a, ok := pairsBelow(n, kk, s, d, hi)
	if !ok {
		return 0, false
	}
	b, ok := pairsBelow(n, kk, s, d, p)
	if !ok {
		return 0, false
	}
	return a - b, true
}

// pairsBelow is #{(x, k) ∈ [0, n)×[0, kk) : x·s + k·d < t}. For a fixed x the
// taps that count are k < ⌈(t − x·s)/d⌉, clamped to [0, kk]:
//
//	x <  x1 = ⌈(t − (kk−1)·d)/s⌉        all kk taps count
//	x ≥ x2 = ⌈t/s⌉                       none counts
//	x1 ≤ x < x2                          ⌈(t − x·s)/d⌉ = ⌊(s·j + B)/d⌋, j = x2−1−x,
//	                                     B = t − (x2−1)·s + d − 1
//
// (x1, x2 clamped to [0, n]), so the sum is x1·kk + floorSum(x2−x1, d, s, B).
func pairsBelow(n, kk, s, d, t int64) (int64, bool) {
	if t <= 0 {
		return 0, true
	}
	x2 := min(ceilDivPos(t, s), n)
	var x1 int64
	// An overflowing (kk−1)·d is certainly ≥ t, and then no x takes every tap.
	if span, ok := mulChecked(kk-1, d); ok && span < t {
		x1 = min(ceilDivPos(t-span, s), x2)
	}
	full, ok := mulChecked(x1, kk)
	if !ok || x1 == x2 {
		return full, ok
	}
	r := t - (x2-1)*s // in (0, s]: (x2−1)·s < t, so the product cannot overflow
	b, ok := addChecked(r, d-1)
	if !ok {
		return 0, false
	}
	mid, ok := floorSum(x2-x1, d, s, b)
	if !ok {
		return 0, false
	}
	return addChecked(full, mid)
}

// ceilDivPos is ⌈a/b⌉ for a, b > 0, without the a+b−1 that could overflow.
func ceilDivPos(a, b int64) int64 { return (a-1)/b + 1 }

// floorSum is Σ_{j=0}^{n−1} ⌊(a·j + b)/m⌋ for n, a, b ≥ 0 and m > 0: the lattice
// points under a line, by the Euclid-like reduction of the AtCoder Library's
// floor_sum. Each round takes the whole multiples of m out of a and b, then
// swaps the roles of a and m, so it ends in O(log m) rounds whatever n is.
// a·n + b is held in 128 bits; ok is false if the sum does not fit in int64.
func floorSum(n, m, a, b int64) (int64, bool) {
	if n <= 0 {
		return 0, true
	}
	un, um, ua, ub := uint64(n), uint64(m), uint64(a), uint64(b)
	var ans int64
	add := func(hi, lo uint64) bool { // ans += hi·2^64 + lo
		if hi != 0 || lo > math.MaxInt64 {
			return false
		}
		var ok bool
		ans, ok = addChecked(ans, int64(lo))
		return ok
	}
	for {
		if ua >= um { // Σ ⌊a/m⌋·j = ⌊a/m⌋·n(n−1)/2
			hi, lo := bits.Mul64(un, un-1)
			lo = lo>>1 | hi<<63
			hi >>= 1
			if hi != 0 { // ⌊a/m⌋ ≥ 1 here, so the term is ≥ 2^64
				return 0, false
			}
			h2, l2 := bits.Mul64(lo, ua/um)
			if !add(h2, l2) {
				return 0, false
			}
			ua %= um
		}
		if ub >= um { // Σ ⌊b/m⌋ = ⌊b/m⌋·n
			if !add(bits.Mul64(un, ub/um)) {
				return 0, false
			}
			ub %= um
		}
		// y = a·n + b < m·(n+1), so y/m ≤ n fits in 64 bits and Div64 cannot panic.
		hi, lo := bits.Mul64(ua, un)
		lo, c := bits.Add64(lo, ub, 0)
		hi += c
		if hi == 0 && lo < um {
			return ans, true
		}
		un, ub = bits.Div64(hi, lo, um)
		um, ua = ua, um
	}
}

// ActivationElems is the number of activation elements a forward pass holds:
// the input plus the output, MB·IC·ΠI + MB·OC·ΠO (plus offsets and mask for
// deform). Multiply by the element size for bytes.
func (p *Problem) ActivationElems() int64 { return must(p.activationElems()) }

func (p *Problem) activationElems() (int64, error) {
	const field = "activation_bytes"
	shapes := [][]int{p.SrcShape(), p.DstShape()}
	if p.Op == OpDeform {
		shapes = append(shapes, p.OffsetShape())
		if p.Mask {
			shapes = append(shapes, p.MaskShape())
		}
	}
	terms := make([]int64, len(shapes))
	for i, s := range shapes {
		var err error
		if terms[i], err = product(field, "elements of "+shapeString(s), s...); err != nil {
			return 0, err
		}
	}
	return sum(field, "src + dst + offset + mask elements", terms...)
}

// ActivationBytes is ActivationElems · elemSize.
func (p *Problem) ActivationBytes(elemSize int) int64 {
	n := p.ActivationElems()
	b, ok := mulChecked(n, int64(elemSize))
	if !ok {
		panic("conv: " + overflowError("activation_bytes", "activation_elems·elem_size", n, int64(elemSize)).Error())
	}
	return b
}

// TotalBytes is every tensor of the problem (activations, weights, bias) at elemSize bytes each.
func (p *Problem) TotalBytes(elemSize int) int64 { return must(p.totalBytes(elemSize)) }

func (p *Problem) totalBytes(elemSize int) (int64, error) {
	act, err := p.activationElems()
	if err != nil {
		return 0, err
	}
	par, err := p.params(true)
	if err != nil {
		return 0, err
	}
	n, err := sum("total_bytes", "activation_elems + params_with_bias", act, par)
	if err != nil {
		return 0, err
	}
	b, ok := mulChecked(n, int64(elemSize))
	if !ok {
		return 0, overflowError("total_bytes", "elems·elem_size", n, int64(elemSize))
	}
	return b, nil
}

// DefaultBudget is the memory a problem's tensors may take before CheckBudget refuses it.
const DefaultBudget int64 = 4 << 30

// CheckBudget returns an error naming the largest tensor if the problem's
// tensors at elemSize bytes each exceed budget. It counts every tensor that
// TotalBytes counts (offsets and mask of deform, routing of dynamic too), in
// float64, so that it also refuses a problem whose counts overflow int64
// rather than wrapping to a small size.
func (p *Problem) CheckBudget(elemSize int, budget int64) error {
	type t struct {
		name  string
		shape []int
	}
	ts := []t{{"src", p.SrcShape()}, {"dst", p.DstShape()}, {"weights", p.WeightShape()}, {"bias", p.BiasShape()}}
	switch p.Op {
	case OpDeform:
		ts = append(ts, t{"offset", p.OffsetShape()})
		if p.Mask {
			ts = append(ts, t{"mask", p.MaskShape()})
		}
	case OpDynamic:
		ts = append(ts, t{"route_w", p.RouteWShape()}, t{"route_b", p.RouteBShape()})
	}
	var total float64
	big := ts[0]
	var bigN float64
	for _, x := range ts {
		n := 1.0
		for _, d := range x.shape {
			n *= float64(d)
		}
		if n > bigN {
			big, bigN = x, n
		}
		total += n
	}
	if total*float64(elemSize) > float64(budget) {
		return &BudgetError{Tensor: big.name, Shape: big.shape, Bytes: total * float64(elemSize), Budget: budget}
	}
	return nil
}

// BudgetError says a problem is too big for memory.
type BudgetError struct {
	Tensor string
	Shape  []int
	Bytes  float64
	Budget int64
}

func (e *BudgetError) Error() string {
	return "memory: problem needs " + humanBytes(e.Bytes) + " (largest tensor " + e.Tensor + " " + shapeString(e.Shape) +
		"), over the budget of " + humanBytes(float64(e.Budget))
}

// Layer is one layer of a stack for receptive-field arithmetic: a kernel K
// with framework dilation Dil, stride S and begin padding P (pooling is a
// layer like any other).
type Layer struct {
	K, S, P, Dil int
}

// Field is the receptive field of one unit after a stack of layers, along one axis:
// Size input pixels, Jump input pixels between neighbouring units, and Start the
// input coordinate of the centre of unit 0.
type Field struct {
	Size, Jump int
	Start      float64
}

// ReceptiveField folds a stack of layers (Dumoulin & Visin; Araujo et al. 2019):
//
//	r₀ = 1, j₀ = 1, start₀ = 0.5 − 0.5 = 0 (pixel centres at integers)
//	rₗ = rₗ₋₁ + (d·(k−1)+1 − 1)·jₗ₋₁
//	jₗ = jₗ₋₁·s
//	startₗ = startₗ₋₁ + ((d·(k−1)+1 − 1)/2 − p)·jₗ₋₁
//
// It returns the field after each layer, so fields[len-1] is the whole stack's.
func ReceptiveField(layers []Layer) []Field {
	f := Field{Size: 1, Jump: 1, Start: 0}
	out := make([]Field, 0, len(layers))
	for _, l := range layers {
		d := l.Dil
		if d == 0 {
			d = 1
		}
		ek := ExtKernel(l.K, d)
		f.Start += (float64(ek-1)/2 - float64(l.P)) * float64(f.Jump)
		f.Size += (ek - 1) * f.Jump
		f.Jump *= l.S
		out = append(out, f)
	}
	return out
}

// DirFLOPs is the floating-point work of p's direction:
//
//	FWD_D, FWD_B:    2·MACs (FLOPs; the bias adds are not counted)
//	BWD_D:           2·MACs (dx = Wᵀ·dy: one multiply-add per dense tap)
//	BWD_W, BWD_WB:   2·MACs (dw = dy·xᵀ: one multiply-add per dense tap; db's adds not counted)
//
// for every op, as benchdnn counts conv and deconv gradients. For deform and
// dynamic this is the count of the convolution-shaped part only: the bilinear
// weights, the offset and mask gradients (about 10 more flops per tap and
// channel for deform), the kernel mixing and the routing gradient are left
// out, as the forward count leaves out the mixing and the routing.
func (p *Problem) DirFLOPs() int64 { return p.FLOPs() }
