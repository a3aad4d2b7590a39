// Package conv is the shared vocabulary of convverify: the Problem that
// describes one convolution of any kind, benchdnn's descriptor grammar, the
// tensors and their layouts, every counting formula, and the comparator that
// judges a float32 result against a float64 reference.
//
// It imports nothing of ours, so every other package can trust it.
//
// Spatial arrays are indexed [D, H, W] (0, 1, 2) whatever the rank. A 2D
// problem has D sizes of 1 and a 1D problem has D and H sizes of 1, so one set
// of 3D loops serves every rank and the flat memory layout (NCDHW) is the same.
package conv

import (
	"fmt"
	"math"
)

// Op is the operation a Problem describes.
type Op int

const (
	OpConv    Op = iota // forward convolution (cross-correlation, as every framework computes it)
	OpDeconv            // transposed convolution: the adjoint of OpConv
	OpDeform            // deformable convolution, DCNv1 (no mask) or DCNv2 (mask)
	OpDynamic           // dynamic convolution: E expert kernels mixed per sample by a routing function
)

var opNames = [...]string{"conv", "deconv", "deform", "dynamic"}

func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// ParseOp reads an op name as printed by Op.String.
func ParseOp(s string) (Op, error) {
	for i, n := range opNames {
		if n == s {
			return Op(i), nil
		}
	}
	return 0, fmt.Errorf("op: unknown op %q (want conv, deconv, deform or dynamic)", s)
}

// Routing is how a dynamic convolution turns routing logits r into expert weights α.
type Routing int

const (
	// RoutingSigmoid: α = sigmoid(r), independently per expert (CondConv, Yang et al. 2019).
	RoutingSigmoid Routing = iota
	// RoutingSoftmax: α = softmax(r / T) over experts (Dynamic Convolution, Chen et al. 2020).
	RoutingSoftmax
)

func (r Routing) String() string {
	if r == RoutingSoftmax {
		return "softmax"
	}
	return "sigmoid"
}

// ParseRouting reads "sigmoid" or "softmax".
func ParseRouting(s string) (Routing, error) {
	switch s {
	case "sigmoid":
		return RoutingSigmoid, nil
	case "softmax":
		return RoutingSoftmax, nil
	}
	return 0, fmt.Errorf("routing: unknown routing %q (want sigmoid or softmax)", s)
}

// Spatial axes.
const (
	D = 0
	H = 1
	W = 2
)

// Problem is one convolution. For OpDeconv, IC/I are the deconvolution's input
// (the small side) and OC/O its output, as in benchdnn.
//
// All spatial arrays are [D, H, W]; axes below the rank have I = O = K = S = 1
// and P = 0, Dil = 1.
type Problem struct {
	Op   Op
	Rank int // number of spatial dimensions: 1, 2 or 3

	MB, G, IC, OC int

	I, O, K, S [3]int
	// PBegin is the padding before the first element, PEnd after the last. PEnd
	// may be negative: the last input rows are then never read (conv) or the
	// output is extended (deconv output padding = PBegin − PEnd when symmetric).
	PBegin, PEnd [3]int
	// Dil is the framework dilation (PyTorch, ONNX): 1 is a dense kernel.
	// benchdnn writes Dil−1; see BenchdnnDil.
	Dil [3]int

	// DG is the number of offset groups of a deformable convolution (≥1).
	DG int
	// Mask selects DCNv2 (a modulation mask input) over DCNv1.
	Mask bool

	// E is the number of expert kernels of a dynamic convolution.
	E int
	// Routing and Temperature select the dynamic convolution's routing.
	// Temperature applies to RoutingSoftmax only (T = 1 is a plain softmax).
	Routing     Routing
	Temperature float64

	// Name is the descriptor's n field, without quotes.
	Name string

	// Dir is the direction (benchdnn --dir). The zero value, DirFwdB, is the
	// forward pass with bias; it is not part of the descriptor (benchdnn
	// gives it as a separate option), see Command.
	Dir Dir
}

// BenchdnnDil returns benchdnn's dilation for axis a: 0 is dense (framework dilation − 1).
func (p *Problem) BenchdnnDil(a int) int { return p.Dil[a] - 1 }

// ExtK returns the extent of the dilated kernel along axis a: Dil·(K−1) + 1.
func (p *Problem) ExtK(a int) int { return ExtKernel(p.K[a], p.Dil[a]) }

// Axes returns the spatial axes that the rank uses, outermost first:
// [W] for 1D, [H W] for 2D, [D H W] for 3D.
func (p *Problem) Axes() []int { return []int{D, H, W}[3-p.Rank:] }

// OutputPadding returns, for a deconvolution, the extra output elements added
// on the high side of axis a relative to symmetric padding: PBegin − PEnd.
// This is PyTorch's output_padding when it is non-negative.
func (p *Problem) OutputPadding(a int) int { return p.PBegin[a] - p.PEnd[a] }

// Spatial returns the product of the three sizes.
func Spatial(v [3]int) int { return v[0] * v[1] * v[2] }

// ICG and OCG are the channels per group.
func (p *Problem) ICG() int { return p.IC / p.G }
func (p *Problem) OCG() int { return p.OC / p.G }

// Taps returns KD·KH·KW.
func (p *Problem) Taps() int { return Spatial(p.K) }

// AccumLength returns the number of products summed into one output element
// when every tap lands inside the input: (IC/G)·KD·KH·KW for conv, deform and
// dynamic. For deconv, one output element receives at most
// (IC/G)·Π⌈K/S⌉ contributions; we return the looser (IC/G)·KD·KH·KW, which
// bounds it. Bias adds one more term. The comparator's error bound uses it.
func (p *Problem) AccumLength() int {
	return p.ICG()*p.Taps() + 1
}

// Validate checks that every field is consistent and that every count of the
// problem fits in int64 (CheckCounts), and names the field that is not.
func (p *Problem) Validate() error {
	if p.Op < OpConv || p.Op > OpDynamic {
		return fmt.Errorf("op: unknown op %d", int(p.Op))
	}
	if p.Dir < DirFwdB || p.Dir > DirBwdWB {
		return fmt.Errorf("dir: unknown direction %d", int(p.Dir))
	}
	if p.Rank < 1 || p.Rank > 3 {
		return fmt.Errorf("rank: %d spatial dimensions (want 1, 2 or 3)", p.Rank)
	}
	if p.MB <= 0 {
		return fmt.Errorf("mb: %d must be > 0", p.MB)
	}
	if p.G <= 0 {
		return fmt.Errorf("g: %d must be > 0", p.G)
	}
	if p.IC <= 0 {
		return fmt.Errorf("ic: %d must be > 0", p.IC)
	}
	if p.OC <= 0 {
		return fmt.Errorf("oc: %d must be > 0", p.OC)
	}
	if p.IC%p.G != 0 {
		return fmt.Errorf("ic: %d is not divisible by g=%d", p.IC, p.G)
	}
	if p.OC%p.G != 0 {
		return fmt.Errorf("oc: %d is not divisible by g=%d", p.OC, p.G)
	}
	for a := 0; a < 3; a++ {
		n := "dhw"[a : a+1]
		if a < 3-p.Rank {
			if p.I[a] != 1 || p.O[a] != 1 || p.K[a] != 1 || p.S[a] != 1 || p.PBegin[a] != 0 || p.PEnd[a] != 0 || p.Dil[a] != 1 {
				return fmt.Errorf("%s: axis %s is outside rank %d but is not trivial", n, n, p.Rank)
			}
			continue
		}
		if p.I[a] <= 0 {
			return fmt.Errorf("i%s: %d must be > 0", n, p.I[a])
		}
		if p.K[a] <= 0 {
			return fmt.Errorf("k%s: %d must be > 0", n, p.K[a])
		}
		if p.S[a] <= 0 {
			return fmt.Errorf("s%s: %d must be > 0", n, p.S[a])
		}
		if p.Dil[a] <= 0 {
			return fmt.Errorf("d%s: framework dilation %d must be ≥ 1 (benchdnn d%s ≥ 0)", n, p.Dil[a], n)
		}
		if p.PBegin[a] < 0 {
			return fmt.Errorf("p%s: begin padding %d must be ≥ 0", n, p.PBegin[a])
		}
		if p.O[a] <= 0 {
			return fmt.Errorf("o%s: output size %d must be > 0", n, p.O[a])
		}
		want, ok := outSizeChecked(p.Op, p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a])
		if !ok {
			return fmt.Errorf("o%s: the output size of i, k, s, p, d overflows int64", n)
		}
		if want != p.O[a] {
			return fmt.Errorf("o%s: output size %d disagrees with i, k, s, p, d (which give %d)", n, p.O[a], want)
		}
	}
	switch p.Op {
	case OpDeform:
		if p.Rank != 2 {
			return fmt.Errorf("op: deform is 2D only, got rank %d", p.Rank)
		}
		if p.DG <= 0 {
			return fmt.Errorf("dg: %d offset groups must be > 0", p.DG)
		}
		if p.IC%p.DG != 0 {
			return fmt.Errorf("dg: ic=%d is not divisible by dg=%d", p.IC, p.DG)
		}
	case OpDynamic:
		if p.E <= 0 {
			return fmt.Errorf("experts: %d must be > 0", p.E)
		}
		if p.Routing == RoutingSoftmax && (!(p.Temperature > 0) || math.IsInf(p.Temperature, 1)) {
			return fmt.Errorf("temperature: %v must be finite and > 0", p.Temperature)
		}
	}
	// Last, because the counts read every field checked above. After this,
	// MACs, FLOPs, Params, TotalBytes and the rest are exact.
	return p.CheckCounts()
}

// New returns a Problem with every field set to its neutral value (rank 2,
// 1×1 kernel, mb 1, one group, one offset group, one expert, temperature 1)
// for callers that fill in the rest and call Resolve.
func New(op Op, rank int) Problem {
	p := Problem{Op: op, Rank: rank, MB: 1, G: 1, IC: 1, OC: 1, DG: 1, E: 1, Temperature: 1}
	for a := 0; a < 3; a++ {
		p.I[a], p.O[a], p.K[a], p.S[a], p.Dil[a] = 1, 1, 1, 1, 1
	}
	return p
}

// Resolve sets O from I, K, S, PBegin, PEnd and Dil on every axis, then validates.
func (p *Problem) Resolve() error {
	for a := 0; a < 3; a++ {
		if p.S[a] <= 0 {
			continue // OutSize would divide by zero; Validate names the stride
		}
		if p.Op == OpDeconv {
			p.O[a] = DeconvOutSize(p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a])
		} else {
			p.O[a] = OutSize(p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a])
		}
	}
	return p.Validate()
}

// Kind is one of the nine kinds of convolution that the Q&A names.
type Kind string

const (
	KindStandard           Kind = "standard"
	KindDepthwiseSeparable Kind = "depthwise-separable"
	KindDilated            Kind = "dilated"
	KindTransposed         Kind = "transposed"
	KindGrouped            Kind = "grouped"
	KindDeformable         Kind = "deformable"
	Kind3D                 Kind = "3d"
	KindPointwise          Kind = "pointwise"
	KindDynamic            Kind = "dynamic"
	// KindDepthwise is the first half of a depthwise separable convolution.
	KindDepthwise Kind = "depthwise"
)

// Kinds returns every named view that applies to p. Depthwise separable is a
// composition of two problems (see Separable), so a single Problem reports
// KindDepthwise or KindPointwise instead.
func (p *Problem) Kinds() []Kind {
	var ks []Kind
	switch p.Op {
	case OpDeconv:
		ks = append(ks, KindTransposed)
	case OpDeform:
		ks = append(ks, KindDeformable)
	case OpDynamic:
		ks = append(ks, KindDynamic)
	}
	if p.IsDepthwise() {
		ks = append(ks, KindDepthwise)
	} else if p.G > 1 {
		ks = append(ks, KindGrouped)
	}
	if p.IsDilated() {
		ks = append(ks, KindDilated)
	}
	if p.Rank == 3 {
		ks = append(ks, Kind3D)
	}
	if p.IsPointwise() {
		ks = append(ks, KindPointwise)
	}
	if len(ks) == 0 {
		ks = append(ks, KindStandard)
	}
	return ks
}

// IsDepthwise: one group per input channel (G = IC > 1); OC may be a multiple of IC.
func (p *Problem) IsDepthwise() bool { return p.G > 1 && p.G == p.IC }

// IsPointwise: a 1×1 kernel, stride 1 and no padding; a per-pixel matrix product over channels.
func (p *Problem) IsPointwise() bool {
	for a := 0; a < 3; a++ {
		if p.K[a] != 1 || p.S[a] != 1 || p.PBegin[a] != 0 || p.PEnd[a] != 0 {
			return false
		}
	}
	return true
}

// IsDilated: some axis has a framework dilation above 1 and a kernel above 1.
func (p *Problem) IsDilated() bool {
	for a := 0; a < 3; a++ {
		if p.Dil[a] > 1 && p.K[a] > 1 {
			return true
		}
	}
	return false
}

// Pointwise returns the 1×1 convolution of rank r from ic to oc channels on spatial size sp.
func Pointwise(mb, ic, oc int, rank int, sp [3]int) Problem {
	p := New(OpConv, rank)
	p.MB, p.IC, p.OC = mb, ic, oc
	for _, a := range p.Axes() {
		p.I[a], p.O[a] = sp[a], sp[a]
	}
	return p
}

// Separable is a depthwise separable convolution: a depthwise convolution
// (G = IC = OC) followed by a pointwise convolution from IC to OC channels.
type Separable struct {
	Depthwise, Pointwise Problem
}

// NewSeparable builds the separable counterpart of a standard convolution p
// (same input, kernel, stride, padding, dilation and output channels).
func NewSeparable(p Problem) (Separable, error) {
	dw := p
	dw.Op, dw.G, dw.OC = OpConv, p.IC, p.IC
	dw.Name = ""
	if err := dw.Validate(); err != nil {
		return Separable{}, fmt.Errorf("depthwise half: %w", err)
	}
	pw := Pointwise(p.MB, p.IC, p.OC, p.Rank, p.O)
	if err := pw.Validate(); err != nil {
		return Separable{}, fmt.Errorf("pointwise half: %w", err)
	}
	return Separable{Depthwise: dw, Pointwise: pw}, nil
}

// Sigmoid is 1/(1+e^(−x)); Softmax normalises exp(x/T) in place. Both live here
// so that reference, oracles and optimized share the definition, not the code path.
func Sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// SoftmaxT returns softmax(r/T), computed stably.
func SoftmaxT(r []float64, t float64) []float64 {
	out := make([]float64, len(r))
	SoftmaxTInto(out, r, t)
	return out
}

// SoftmaxTInto writes softmax(r/T) into dst (len(r)) without allocating,
// for prepared plans that must not allocate per call.
func SoftmaxTInto(dst, r []float64, t float64) {
	m := math.Inf(-1)
	for _, v := range r {
		m = math.Max(m, v/t)
	}
	var s float64
	for i, v := range r {
		dst[i] = math.Exp(v/t - m)
		s += dst[i]
	}
	for i := range dst[:len(r)] {
		dst[i] /= s
	}
}
