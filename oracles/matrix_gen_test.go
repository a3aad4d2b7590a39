package oracles

import (
	"math"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/mat"
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

// l1Scale is max_{n,oc} Σ_icg ‖x[n, ic]‖₁·‖w[oc, icg]‖₁ + |b[oc]| (mixed
// kernel for dynamic): it bounds every output's Σ|terms|, a crude but safe
// scale for comparing two float64 computations that use the same inputs.
func l1Scale(p *conv.Problem, in conv.Inputs[float64]) float64 {
	q := *p
	sq := conv.Inputs[float64]{X: make([]float64, len(in.X)), W: in.W, B: in.B, RouteW: in.RouteW, RouteB: in.RouteB, Offset: in.Offset, Mask: in.Mask}
	nI := conv.Spatial(p.I)
	// ‖x‖₁ = (‖·‖₂ of a channel whose single nonzero is ‖x‖₁): reuse fftScale.
	for c := 0; c < p.MB*p.IC; c++ {
		var s float64
		for _, v := range in.X[c*nI : (c+1)*nI] {
			s += math.Abs(v)
		}
		sq.X[c*nI] = s
	}
	if q.Op == conv.OpDeform {
		q.Op = conv.OpConv
	}
	if q.Op == conv.OpDynamic {
		// fftScale mixes with routing computed from x: mix here from the real x.
		alpha := RoutingWeights(p, in)
		var worst float64
		for n := 0; n < p.MB; n++ {
			w, b := mixKernel(p, in, alpha[n])
			c := q
			c.Op, c.MB, c.E = conv.OpConv, 1, 1
			worst = math.Max(worst, fftScale(&c, conv.Inputs[float64]{X: sq.X[n*p.IC*nI : (n+1)*p.IC*nI], W: w, B: b}))
		}
		return worst
	}
	return fftScale(&q, sq)
}

// matrixMag returns each output's Σ|terms| + |b|: the matrix of every sample
// (mixed kernel for dynamic, taken from the real x's routing) applied to |x|.
func matrixMag(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	nI, nO := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
	out := make([]float64, p.MB*nO)
	var alpha [][]float64
	if p.Op == conv.OpDynamic {
		alpha = RoutingWeights(p, in)
	}
	for n := 0; n < p.MB; n++ {
		var m *mat.Dense
		bias := in.B
		switch p.Op {
		case conv.OpConv, conv.OpDeconv:
			m = Matrix(p, conv.Abs(in.W))
		case conv.OpDeform:
			m = MatrixDeform(p, conv.Abs(in.W), in.Offset, conv.Abs(in.Mask), n)
		case conv.OpDynamic:
			var w []float64
			w, bias = mixKernel(p, in, alpha[n])
			m = Matrix(p, conv.Abs(w))
		}
		x := mat.NewVecDense(nI, conv.Abs(in.X[n*nI:(n+1)*nI]))
		y := mat.NewVecDense(nO, out[n*nO:(n+1)*nO])
		y.MulVec(m, x)
		addBias(out[n*nO:(n+1)*nO], conv.Abs(bias), conv.Spatial(p.O))
	}
	return out
}

// matrixBound is the error bound of one ByMatrix result in float64: γ over the
// N accumulated terms, the E-term kernel mix and a few roundings of the
// bilinear coefficients, relative to each element's Σ|terms| (matrixMag),
// expressed in conv.Bound's units of float32's u.
func matrixBound(p *conv.Problem, abs float64) conv.Bound {
	return conv.Bound{C: u64 / conv.U32, N: p.AccumLength() + p.E + 8, Abs: abs}
}
