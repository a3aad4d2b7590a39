package optimized

import (
	"github.com/convverify/convverify/conv"
)

// Dynamic convolution: per sample n, routing logits
//
//	r[n, e] = Σ_c RouteW[e, c]·GAP(x[n, c]) + RouteB[e]
//
// become expert weights α = sigmoid(r) or softmax(r/T), and sample n is
// convolved with W_n = Σ_e α[n, e]·W[e] and bias b_n = Σ_e α[n, e]·B[e].
//
// BoundC = 2 for every dynamic variant: routing and mixing run in float64
// and each mixed weight is rounded once to float32, one rounding more per
// term than direct float32 summation with the mixed kernel (whose magnitude
// Σ|x|·|W_n| ≤ Σ|x|·Σα|W_e|). Exact on the integer fill, whose routing
// makes every α a dyadic rational (0, ½, 1, 1/2ʲ), so the float64 mix of
// small integers is exact and so is its float32 rounding.

// mixer computes the per-sample kernels and biases from the experts it was
// prepared with: by default (newMixer) wmix [MB, OC, IC/G, K…] and bmix
// [MB, OC] (nil without bias) from w [E, OC, IC/G, K…] and b [E, OC]; in
// general (newMixerInto) wmix [MB][wsz] and bmix [MB][bsz] from w [E][wsz]
// and b [E][bsz], for any layout that puts every expert's copy of a
// weight, and its mix, at the same index.
type mixer struct {
	ex         *executor
	p          *conv.Problem
	w, b       []float32
	wmix, bmix []float32
	wsz, bsz   int
	r, alpha   [][]float64 // per worker
	gap        [][]float64 // per worker: the channel means
	in         conv.Inputs[float32]
	task       func(wk, n int)
}

func newMixer(ex *executor, p *conv.Problem, w, b []float32) *mixer {
	per := p.OC * p.ICG() * p.Taps()
	var bmix []float32
	if b != nil {
		bmix = ex.scratch(p.MB * p.OC)
	}
	return newMixerInto(ex, p, w, per, ex.scratch(p.MB*per), b, p.OC, bmix)
}

func newMixerInto(ex *executor, p *conv.Problem, w []float32, wsz int, wmix, b []float32, bsz int, bmix []float32) *mixer {
	m := &mixer{ex: ex, p: p, w: w, b: b, wmix: wmix, bmix: bmix, wsz: wsz, bsz: bsz}
	m.r, m.alpha, m.gap = make([][]float64, ex.workers), make([][]float64, ex.workers), make([][]float64, ex.workers)
	for i := range m.r {
		m.r[i], m.alpha[i], m.gap[i] = make([]float64, p.E), make([]float64, p.E), make([]float64, p.IC)
	}
	m.task = m.mixSample
	return m
}

func (m *mixer) mix(in conv.Inputs[float32]) {
	p := m.p
	hitIf(p.Routing == conv.RoutingSoftmax, pathDynSoftmax)
	hitIf(p.Routing != conv.RoutingSoftmax, pathDynSigmoid)
	hitIf(m.b != nil, pathDynBias)
	m.in = in
	m.ex.forEach(p.MB, m.task)
	m.in = conv.Inputs[float32]{}
}

func (m *mixer) mixSample(wk, n int) {
	p, in := m.p, m.in
	isp := conv.Spatial(p.I)
	alpha := m.alpha[wk]
	dynamicRouting(p, in.X[n*p.IC*isp:(n+1)*p.IC*isp], in.RouteW, in.RouteB, m.gap[wk], m.r[wk], alpha)
	mixInto(m.wmix[n*m.wsz:(n+1)*m.wsz], m.w, m.wsz, alpha)
	if m.bmix != nil {
		mixInto(m.bmix[n*m.bsz:(n+1)*m.bsz], m.b, m.bsz, alpha)
	}
}

// mixInto sets dst[i] = Σ_e alpha[e]·src[e·size + i], in float64 rounded
// once: each product rounded, added in e order from 0. The assembly
// (mixAsm, AVX-512: 16 outputs at a time) does the same operations, so
// the same bits; it was an eighth of dynamic-blocked's time in Go.
func mixInto(dst, src []float32, size int, alpha []float64) {
	for i := mixAsm(dst, src, size, alpha); i < len(dst); i++ {
		var s float64
		for e, a := range alpha {
			s += a * float64(src[e*size+i])
		}
		dst[i] = float32(s)
	}
}

func dynamicMixVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:          "dynamic-mix",
			Ops:           []conv.Op{conv.OpDynamic},
			Supports:      func(p *conv.Problem) error { return nil },
			BoundC:        2,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			m := newMixer(ex, p, w, b)
			q := *p
			q.Op, q.MB = conv.OpConv, 1
			c := newConvGemm(ex, &q, nil, nil, asmGemm, true)
			c.implicitB(false)
			isp, osp := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
			per := p.OC * p.ICG() * p.Taps()
			return func(in conv.Inputs[float32], out []float32) {
				m.mix(in)
				for n := 0; n < p.MB; n++ {
					c.w, c.b = m.wmix[n*per:(n+1)*per], nil
					if m.bmix != nil {
						c.b = m.bmix[n*p.OC : (n+1)*p.OC]
					}
					c.run(in.X[n*isp:(n+1)*isp], out[n*osp:(n+1)*osp])
				}
			}, nil
		},
	}
}

// dynamicBatchedVariant is a dynamic variant that mixes each sample's
// kernel, then runs the batch as one grouped convolution q
// (dynamicGroupedProblem) by what engine returns for it: the mixer, and
// a function that runs x into out with the mixed kernels.
func dynamicBatchedVariant(name string, engine func(ex *executor, p, q *conv.Problem, w, b []float32) (*mixer, func(x, out []float32), error)) rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:          name,
			Ops:           []conv.Op{conv.OpDynamic},
			Supports:      func(p *conv.Problem) error { return nil },
			BoundC:        2,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			q := dynamicGroupedProblem(p)
			m, run, err := engine(ex, p, &q, w, b)
			if err != nil {
				return nil, err
			}
			return func(in conv.Inputs[float32], out []float32) {
				m.mix(in)
				run(in.X, out)
			}, nil
		},
	}
}

// dynamic-grouped: the grouped convolution by im2col-gemm, which reads the
// mixed kernels where the mixer writes them.
func dynamicGroupedVariant() rawVariant {
	return dynamicBatchedVariant("dynamic-grouped", func(ex *executor, p, q *conv.Problem, w, b []float32) (*mixer, func(x, out []float32), error) {
		m := newMixer(ex, p, w, b)
		c := newConvGemm(ex, q, m.wmix, m.bmix, asmGemm, true)
		c.implicitB(false)
		return m, c.run, nil
	})
}

// dynamic-blocked: the grouped convolution by direct-blocked. Each
// expert's kernel is packed once into direct-blocked's panel layout for
// one sample's groups, and the mixer mixes the packed experts straight
// into the panels of each sample (the expert mix folded into the weight
// packing): the same float64 mix, rounded once, of the same weights, in
// another order of the array (padding slots mix zeros).
func dynamicBlockedVariant() rawVariant {
	return dynamicBatchedVariant("dynamic-blocked", func(ex *executor, p, q *conv.Problem, w, b []float32) (*mixer, func(x, out []float32), error) {
		d, err := newBlockedConv(ex, q, nil, nil)
		if err != nil {
			return nil, nil, err
		}
		g := &d.g
		m := newPackedMixer(ex, p, w, b, p.G*g.nob*g.k*g.mr, p.G*g.nob*g.mr, d.wp, d.bias, func(wp, bias, w, b []float32) {
			d.packInto(wp, bias, p.G, w, b)
		})
		return m, d.run, nil
	})
}

// dynamic-rows: the grouped convolution by direct-rows, its experts
// packed and mixed into its panels as dynamic-blocked's are (the same
// panel layout, with direct-rows' channel block).
func dynamicRowsVariant() rawVariant {
	return dynamicBatchedVariant("dynamic-rows", func(ex *executor, p, q *conv.Problem, w, b []float32) (*mixer, func(x, out []float32), error) {
		d, err := newRowsConv(ex, q, nil, nil)
		if err != nil {
			return nil, nil, err
		}
		k, oc, nob := d.b.g.k, d.g.oc, d.g.nob
		m := newPackedMixer(ex, p, w, b, p.G*nob*k*oc, p.G*nob*oc, d.wp, d.bias, func(wp, bias, w, b []float32) {
			packBlockedPanels(wp, bias, p.G, p.OCG(), k, oc, w, b)
		})
		return m, d.run, nil
	})
}

// newPackedMixer packs each of p's experts once with pack, which writes
// one sample's weights (wsz floats) and, with b, biases (bsz floats) in
// an engine's layout, and returns the mixer that mixes the packed experts
// into each sample's part of wmix and bmix, the engine's weights and
// biases for the batch (bmix is left alone without b: zero there).
func newPackedMixer(ex *executor, p *conv.Problem, w, b []float32, wsz, bsz int, wmix, bmix []float32, pack func(wp, bias, w, b []float32)) *mixer {
	per := p.OC * p.ICG() * p.Taps()
	// from the executor (zero, as pack may leave padding alone): a
	// one-shot call borrows them from the pool, where a new 147 KB slice
	// a call (the benchmark layer's four experts) came from pages the
	// runtime had handed back and its page faults made the one-shot call
	// 2.4× the plan's run (see gemm.PackAInto)
	pw := ex.floats(p.E * wsz)
	var pb []float32
	if b != nil {
		pb = ex.floats(p.E * bsz)
	} else {
		bmix = nil
	}
	for e := 0; e < p.E; e++ {
		var be, pbe []float32
		if b != nil {
			be, pbe = b[e*p.OC:(e+1)*p.OC], pb[e*bsz:(e+1)*bsz]
		}
		pack(pw[e*wsz:(e+1)*wsz], pbe, w[e*per:(e+1)*per], be)
	}
	return newMixerInto(ex, p, pw, wsz, wmix, pb, bsz, bmix)
}

// dynamicGroupedProblem is the batch of dynamic problem p as one grouped
// convolution: [MB, IC, I…] is the same memory as [1, MB·IC, I…], the
// per-sample kernels stack to [MB·OC, IC/G, K…], and G' = MB·G keeps every
// sample in its own groups.
func dynamicGroupedProblem(p *conv.Problem) conv.Problem {
	q := *p
	q.Op, q.MB, q.G, q.IC, q.OC = conv.OpConv, 1, p.MB*p.G, p.MB*p.IC, p.MB*p.OC
	return q
}
