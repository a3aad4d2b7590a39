package adversarial

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Eval is one float32 evaluation of every op: a summation order for the
// outputs (and for mixing a dynamic kernel), a deformable sampler and a
// dynamic routing.
type Eval struct {
	Order   Order
	Sampler Sampler
	Routing Routing

	bug bug // planted bugs (tests only)
}

// bug plants one mistake into an evaluation, so that tests can check that
// the bound catches it.
type bug struct {
	terms       func(out int, a, b []float32) ([]float32, []float32) // rewrite an output's terms
	swapOffsets bool                                                 // deform: Δy and Δx exchanged
	position    func(float32) float32                                // deform: applied to each sampling position
	alphas      func([]float32)                                      // dynamic: rewrite one sample's α
	ignoreTemp  bool                                                 // dynamic: softmax(r) instead of softmax(r/T)
	gapSum      bool                                                 // dynamic: GAP sums instead of averaging
}

func (e Eval) String() string {
	return fmt.Sprintf("%s/%s/%s", e.Order.Name, e.Sampler.Name, e.Routing.Name)
}

// Evals returns evaluations covering every order, every sampler and every
// routing at least once (not their full product).
func Evals() []Eval {
	os, ss, rs := Orders(), Samplers(), Routings()
	n := max(len(os), len(ss), len(rs))
	out := make([]Eval, n)
	for i := range out {
		out[i] = Eval{Order: os[i%len(os)], Sampler: ss[i%len(ss)], Routing: rs[i%len(rs)]}
	}
	return out
}

// Forward computes p's output in float32 as e says. in must be valid for p
// (reference.Forward's check); Forward panics otherwise.
func (e Eval) Forward(p *conv.Problem, in conv.Inputs[float32]) []float32 {
	if err := in.Check(p); err != nil {
		panic("adversarial: " + err.Error())
	}
	y := make([]float32, conv.Elems(p.DstShape()))
	var a, b []float32
	dot := func(out int, bias float32, hasBias bool) {
		if e.bug.terms != nil {
			a, b = e.bug.terms(out, a, b)
		}
		y[out] = e.Order.Dot(a, b, bias, hasBias)
		a, b = a[:0], b[:0]
	}
	switch p.Op {
	case conv.OpConv:
		e.conv(p, in.X, in.W, in.B, 0, dot, &a, &b)
	case conv.OpDeconv:
		e.deconv(p, in, dot, &a, &b)
	case conv.OpDeform:
		e.deform(p, in, dot, &a, &b)
	case conv.OpDynamic:
		e.dynamic(p, in, dot, &a, &b)
	}
	return y
}

type dotFunc func(out int, bias float32, hasBias bool)

func biasOf(b []float32, m int) (float32, bool) {
	if b == nil {
		return 0, false
	}
	return b[m], true
}

// at is the flat index of (n, c, d, h, w) in a [·, ch, sp…] tensor.
func at(ch int, sp [3]int, n, c, d, h, w int) int {
	return (((n*ch+c)*sp[conv.D]+d)*sp[conv.H]+h)*sp[conv.W] + w
}

func inside(v, n int) bool { return v >= 0 && v < n }

// conv gathers the terms of a forward convolution of the samples in x,
// writing sample n as output sample n + nOff; w is [OC, IC/G, K…].
func (e Eval) conv(p *conv.Problem, x, w, bias []float32, nOff int, dot dotFunc, a, b *[]float32) {
	icg, ocg := p.ICG(), p.OCG()
	mb := len(x) / (p.IC * conv.Spatial(p.I))
	for n := 0; n < mb; n++ {
		for m := 0; m < p.OC; m++ {
			g := m / ocg
			for od := 0; od < p.O[conv.D]; od++ {
				for oh := 0; oh < p.O[conv.H]; oh++ {
					for ow := 0; ow < p.O[conv.W]; ow++ {
						for ci := 0; ci < icg; ci++ {
							for kd := 0; kd < p.K[conv.D]; kd++ {
								for kh := 0; kh < p.K[conv.H]; kh++ {
									for kw := 0; kw < p.K[conv.W]; kw++ {
										id := od*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
										ih := oh*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
										iw := ow*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(id, p.I[conv.D]) || !inside(ih, p.I[conv.H]) || !inside(iw, p.I[conv.W]) {
											continue
										}
										*a = append(*a, x[at(p.IC, p.I, n, g*icg+ci, id, ih, iw)])
										*b = append(*b, w[at(icg, p.K, m, ci, kd, kh, kw)])
									}
								}
							}
						}
						bv, ok := biasOf(bias, m)
						dot(at(p.OC, p.O, n+nOff, m, od, oh, ow), bv, ok)
					}
				}
			}
		}
	}
}

// deconv gathers, for each output, the terms that the scatter definition
// sends to it: input positions i with i·s − pad + k·dil = o.
func (e Eval) deconv(p *conv.Problem, in conv.Inputs[float32], dot dotFunc, a, b *[]float32) {
	icg, ocg := p.ICG(), p.OCG()
	src := func(o, k, ax int) (int, bool) {
		t := o + p.PBegin[ax] - k*p.Dil[ax]
		if t < 0 || t%p.S[ax] != 0 || t/p.S[ax] >= p.I[ax] {
			return 0, false
		}
		return t / p.S[ax], true
	}
	for n := 0; n < p.MB; n++ {
		for oc := 0; oc < p.OC; oc++ {
			g, mo := oc/ocg, oc%ocg
			for od := 0; od < p.O[conv.D]; od++ {
				for oh := 0; oh < p.O[conv.H]; oh++ {
					for ow := 0; ow < p.O[conv.W]; ow++ {
						for ci := 0; ci < icg; ci++ {
							ic := g*icg + ci
							for kd := 0; kd < p.K[conv.D]; kd++ {
								id, okd := src(od, kd, conv.D)
								for kh := 0; kh < p.K[conv.H]; kh++ {
									ih, okh := src(oh, kh, conv.H)
									for kw := 0; kw < p.K[conv.W]; kw++ {
										iw, okw := src(ow, kw, conv.W)
										if !okd || !okh || !okw {
											continue
										}
										*a = append(*a, in.X[at(p.IC, p.I, n, ic, id, ih, iw)])
										*b = append(*b, in.W[at(ocg, p.K, ic, mo, kd, kh, kw)])
									}
								}
							}
						}
						bv, ok := biasOf(in.B, oc)
						dot(at(p.OC, p.O, n, oc, od, oh, ow), bv, ok)
					}
				}
			}
		}
	}
}

// deform gathers the float32 column values fl(mask·bilinear(x, p̃)) and the
// weights of each output.
func (e Eval) deform(p *conv.Problem, in conv.Inputs[float32], dot dotFunc, a, b *[]float32) {
	icg, ocg := p.ICG(), p.OCG()
	icPerDG := p.IC / p.DG
	kh, kw := p.K[conv.H], p.K[conv.W]
	offCh, maskCh := 2*p.DG*kh*kw, p.DG*kh*kw
	ih, iw := p.I[conv.H], p.I[conv.W]
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			g := m / ocg
			for oh := 0; oh < p.O[conv.H]; oh++ {
				for ow := 0; ow < p.O[conv.W]; ow++ {
					for ci := 0; ci < icg; ci++ {
						ic := g*icg + ci
						dg := ic / icPerDG
						plane := in.X[at(p.IC, p.I, n, ic, 0, 0, 0):][:ih*iw]
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								kidx := (dg*kh+i)*kw + j
								dy := in.Offset[at(offCh, p.O, n, 2*kidx, 0, oh, ow)]
								dx := in.Offset[at(offCh, p.O, n, 2*kidx+1, 0, oh, ow)]
								if e.bug.swapOffsets {
									dy, dx = dx, dy
								}
								py := e.Sampler.position(oh, p.S[conv.H], p.PBegin[conv.H], i, p.Dil[conv.H], dy)
								px := e.Sampler.position(ow, p.S[conv.W], p.PBegin[conv.W], j, p.Dil[conv.W], dx)
								if e.bug.position != nil {
									py, px = e.bug.position(py), e.bug.position(px)
								}
								v := e.Sampler.bilinear(plane, ih, iw, py, px)
								if in.Mask != nil {
									v = float32(in.Mask[at(maskCh, p.O, n, kidx, 0, oh, ow)] * v)
								}
								*a = append(*a, v)
								*b = append(*b, in.W[at(icg, p.K, m, ci, 0, i, j)])
							}
						}
					}
					bv, ok := biasOf(in.B, m)
					dot(at(p.OC, p.O, n, m, 0, oh, ow), bv, ok)
				}
			}
		}
	}
}

// dynamic routes each sample in float32, mixes its kernel and bias in
// float32 (in e.Order's FMA mode, experts in order) and convolves.
func (e Eval) dynamic(p *conv.Problem, in conv.Inputs[float32], dot dotFunc, a, b *[]float32) {
	one := *p
	one.Op, one.MB = conv.OpConv, 1
	xn := conv.Elems(one.SrcShape())
	per := p.OC * p.ICG() * p.Taps()
	for n := 0; n < p.MB; n++ {
		x := in.X[n*xn : (n+1)*xn]
		temp := float32(p.Temperature)
		if e.bug.ignoreTemp {
			temp = 1
		}
		r := e.Routing
		r.sumGAP = e.bug.gapSum
		alpha := r.alphas(x, p.IC, p.E, in.RouteW, in.RouteB, p.Routing == conv.RoutingSoftmax, temp)
		if e.bug.alphas != nil {
			e.bug.alphas(alpha)
		}
		mix := func(src []float32, size int) []float32 {
			out := make([]float32, size)
			for i := range out {
				var s float32
				for k := 0; k < p.E; k++ {
					if e.Order.FMA {
						s = FMA32(alpha[k], src[k*size+i], s)
					} else {
						s = float32(s + float32(alpha[k]*src[k*size+i]))
					}
				}
				out[i] = s
			}
			return out
		}
		wn := mix(in.W, per)
		var bn []float32
		if in.B != nil {
			bn = mix(in.B, p.OC)
		}
		e.conv(&one, x, wn, bn, n, dot, a, b)
	}
}
