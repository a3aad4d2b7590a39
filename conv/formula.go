package conv

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

// Elems is the number of elements of a shape.
func Elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Params is the number of learned parameters:
//
//	weights = KD·KH·KW · (IC/G) · OC   (× E for dynamic, plus the E×IC+E routing layer)
//	bias    = OC                       (× E for dynamic)
//
// For a standard 2D convolution this is the textbook K²·Cin·Cout (+Cout).
func (p *Problem) Params(bias bool) int {
	n := Elems(p.WeightShape())
	if bias {
		n += Elems(p.BiasShape())
	}
	if p.Op == OpDynamic {
		n += Elems(p.RouteWShape()) + Elems(p.RouteBShape())
	}
	return n
}

// MACs is the dense multiply-accumulate count, every tap counted whether it
// lands in padding or not:
//
//	conv, deform, dynamic:  MB · OC · (IC/G) · KD·KH·KW · OD·OH·OW
//	deconv:                 MB · IC · (OC/G) · KD·KH·KW · ID·IH·IW
//
// The textbook FLOPs 2·K²·Cin·Cout·Hout·Wout is 2·MACs at MB = G = 1. The
// dynamic convolution's kernel mixing and routing are not counted here.
func (p *Problem) MACs() int64 {
	if p.Op == OpDeconv {
		return int64(p.MB) * int64(p.IC) * int64(p.OCG()) * int64(p.Taps()) * int64(Spatial(p.I))
	}
	return int64(p.MB) * int64(p.OC) * int64(p.ICG()) * int64(p.Taps()) * int64(Spatial(p.O))
}

// FLOPs is 2·MACs: one multiply and one add per tap.
func (p *Problem) FLOPs() int64 { return 2 * p.MACs() }

// BenchdnnMACs counts, as benchdnn does, only the (output, tap) pairs whose
// input position lies inside the unpadded input:
//
//	MB · OC · (IC/G) · Πₐ #{(o, k) : 0 ≤ o·s − p_begin + k·d < i}
//
// For deconv the roles of input and output swap: the pairs (i, k) whose target
// i·s − p_begin + k·d lies inside [0, o). Deform samples move with the offsets,
// so its count is the dense one.
func (p *Problem) BenchdnnMACs() int64 {
	if p.Op == OpDeform {
		return p.MACs()
	}
	taps := int64(1)
	for a := 0; a < 3; a++ {
		src, dst := p.O[a], p.I[a] // conv: walk outputs, land in input
		if p.Op == OpDeconv {
			src, dst = p.I[a], p.O[a]
		}
		var n int64
		for o := 0; o < src; o++ {
			for k := 0; k < p.K[a]; k++ {
				if x := o*p.S[a] - p.PBegin[a] + k*p.Dil[a]; x >= 0 && x < dst {
					n++
				}
			}
		}
		taps *= n
	}
	if p.Op == OpDeconv {
		return int64(p.MB) * int64(p.IC) * int64(p.OCG()) * taps
	}
	return int64(p.MB) * int64(p.OC) * int64(p.ICG()) * taps
}

// BenchdnnFLOPs is 2·BenchdnnMACs.
func (p *Problem) BenchdnnFLOPs() int64 { return 2 * p.BenchdnnMACs() }

// ActivationElems is the number of activation elements a forward pass holds:
// the input plus the output, MB·IC·ΠI + MB·OC·ΠO (plus offsets and mask for
// deform). Multiply by the element size for bytes.
func (p *Problem) ActivationElems() int64 {
	n := int64(Elems(p.SrcShape())) + int64(Elems(p.DstShape()))
	if p.Op == OpDeform {
		n += int64(Elems(p.OffsetShape()))
		if p.Mask {
			n += int64(Elems(p.MaskShape()))
		}
	}
	return n
}

// ActivationBytes is ActivationElems · elemSize.
func (p *Problem) ActivationBytes(elemSize int) int64 { return p.ActivationElems() * int64(elemSize) }

// TotalBytes is every tensor of the problem (activations, weights, bias) at elemSize bytes each.
func (p *Problem) TotalBytes(elemSize int) int64 {
	return (p.ActivationElems() + int64(p.Params(true))) * int64(elemSize)
}

// DefaultBudget is the memory a problem's tensors may take before CheckBudget refuses it.
const DefaultBudget int64 = 4 << 30

// CheckBudget returns an error naming the largest tensor if TotalBytes(elemSize)
// exceeds budget, or if any size overflows.
func (p *Problem) CheckBudget(elemSize int, budget int64) error {
	type t struct {
		name  string
		shape []int
	}
	ts := []t{{"src", p.SrcShape()}, {"dst", p.DstShape()}, {"weights", p.WeightShape()}}
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
