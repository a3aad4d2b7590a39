package adversarial

import "math"

// Routing is one float32 evaluation of a dynamic convolution's routing
// weights α from x (GAP, linear layer, sigmoid or softmax(·/T)).
type Routing struct {
	Name string
	// PairwiseGAP sums each channel pairwise and multiplies by fl(1/sp)
	// (two roundings) instead of a sequential sum divided by sp.
	PairwiseGAP bool
	// FMA forms the linear layer with FMA.
	FMA bool
	// SigmoidExpPos computes σ(r) = e^r/(1 + e^r) instead of 1/(1 + e^−r).
	SigmoidExpPos bool
	// SoftmaxNoMax computes softmax without subtracting the largest logit,
	// and multiplies by fl(1/Σ) instead of dividing.
	SoftmaxNoMax bool
	// ExpWrong makes exp round to the float32 on the far side of the exact
	// value: still within 1 ulp (faithful), the worst a good libm may do.
	ExpWrong bool

	sumGAP bool // a planted bug: the sum instead of the mean
}

// Routings returns the routing evaluations the tests try.
func Routings() []Routing {
	return []Routing{
		{Name: "plain"},
		{Name: "pairwise-gap+fma", PairwiseGAP: true, FMA: true},
		{Name: "exp-faithful+exp-pos", ExpWrong: true, SigmoidExpPos: true, SoftmaxNoMax: true},
		{Name: "all", PairwiseGAP: true, FMA: true, ExpWrong: true, SigmoidExpPos: true, SoftmaxNoMax: true},
	}
}

func (r Routing) exp(x float32) float32 {
	e := math.Exp(float64(x))
	f := float32(e)
	if !r.ExpWrong || float64(f) == e || math.IsInf(float64(f), 0) || f == 0 {
		return f
	}
	if float64(f) < e {
		return math.Nextafter32(f, float32(math.Inf(1)))
	}
	return math.Nextafter32(f, float32(math.Inf(-1)))
}

// gap returns the float32 mean of v.
func (r Routing) gap(v []float32) float32 {
	if r.sumGAP {
		return pairwise(v)
	}
	if r.PairwiseGAP {
		return float32(pairwise(v) * float32(1/float32(len(v))))
	}
	var s float32
	for _, x := range v {
		s = float32(s + x)
	}
	return float32(s / float32(len(v)))
}

func pairwise(v []float32) float32 {
	switch len(v) {
	case 0:
		return 0
	case 1:
		return v[0]
	}
	m := len(v) / 2
	return float32(pairwise(v[:m]) + pairwise(v[m:]))
}

// alphas returns α, [E], for one sample's x ([IC][sp] flat).
func (r Routing) alphas(x []float32, ic, e int, routeW, routeB []float32, softmax bool, temp float32) []float32 {
	sp := len(x) / ic
	g := make([]float32, ic)
	for c := range g {
		g[c] = r.gap(x[c*sp : (c+1)*sp])
	}
	logit := make([]float32, e)
	for j := range logit {
		s := routeB[j]
		for c := 0; c < ic; c++ {
			if r.FMA {
				s = FMA32(routeW[j*ic+c], g[c], s)
			} else {
				s = float32(s + float32(routeW[j*ic+c]*g[c]))
			}
		}
		logit[j] = s
	}
	a := make([]float32, e)
	if !softmax {
		for j, v := range logit {
			if r.SigmoidExpPos {
				ev := r.exp(v)
				a[j] = float32(ev / float32(1+ev))
			} else {
				a[j] = float32(1 / float32(1+r.exp(-v)))
			}
		}
		return a
	}
	z := make([]float32, e)
	m := float32(math.Inf(-1))
	for j, v := range logit {
		z[j] = float32(v / temp)
		m = max(m, z[j])
	}
	var s float32
	for j := range z {
		if r.SoftmaxNoMax {
			a[j] = r.exp(z[j])
		} else {
			a[j] = r.exp(float32(z[j] - m))
		}
		s = float32(s + a[j])
	}
	inv := float32(1 / s)
	for j := range a {
		if r.SoftmaxNoMax {
			a[j] = float32(a[j] * inv)
		} else {
			a[j] = float32(a[j] / s)
		}
	}
	return a
}
