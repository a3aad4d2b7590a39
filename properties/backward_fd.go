package properties

import (
	"fmt"
	"math"
	"math/rand/v2"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// directional compares ⟨g, v⟩, a reference gradient g of f(θ) = ⟨dy, F(θ)⟩
// along a random direction v, with the central differences
//
//	D(h) = (f(θ + h·v) − f(θ − h·v)) / 2h
//
// computed by the forward reference at h and 2h. The error of D(h) is the
// truncation h²/6·f‴ (Richardson: D(2h) − D(h) = 3·that, to leading order,
// so 2·|D(2h) − D(h)| covers it) plus the rounding of the two forward passes,
// each off by at most n·ε·mag (mag = Σ|terms|, n = sumLength), divided by
// 2h: n·ε·mag/h. ⟨g, v⟩ itself is off by at most 2·n·ε·Σ|gᵢvᵢ| (tol64). set
// writes θ + t·v into the inputs; what labels the parameter.
func directional(t *rapid.T, p *conv.Problem, in conv.Inputs[float64], dy, theta, g []float64, h float64, rng *rand.Rand, what string, set func(conv.Inputs[float64], []float64) conv.Inputs[float64]) {
	v := normals(rng, len(theta))
	for i := range v {
		v[i] = math.Max(-1, math.Min(1, v[i])) // |v| ≤ 1 keeps each coordinate within h of θ
	}
	f := func(s float64) float64 {
		th := make([]float64, len(theta))
		for i := range th {
			th[i] = theta[i] + s*v[i]
		}
		return dot(dy, refForward(p, set(in, th)))
	}
	d1 := (f(h) - f(-h)) / (2 * h)
	d2 := (f(2*h) - f(-2*h)) / (4 * h)
	want := dot(g, v)
	n := sumLength(p)
	mag := dot(absAll(dy), sumMagnitudeAt(p, in))
	tol := 2*math.Abs(d2-d1) + 2*float64(n)*0x1p-53*mag/h + tol64(len(g), dot(absAll(g), absAll(v)))
	if !(math.Abs(d1-want) <= tol) {
		t.Fatalf("%s: ⟨gradient, v⟩ = %v but the central difference (h = %g) is %v, D(2h) = %v (|diff| %.3g > bound %.3g)",
			what, want, h, d1, d2, math.Abs(d1-want), tol)
	}
}

// sumMagnitudeAt is Σ|term| per output as the forward error bound reads it,
// enlarged by a factor 2 to cover the inputs moved by up to 2h.
func sumMagnitudeAt(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	m := reference.SumMagnitude(p, in)
	for i := range m {
		m[i] *= 2
	}
	return m
}

// PropBackwardDeformFiniteDifferences checks d(offset) and d(mask) of deform
// against central differences of the forward reference.
//
// The step: a bilinear sample is, inside one pixel cell, bilinear in
// (py, px), so along any line it is a polynomial of degree ≤ 2 in the step,
// and the mask enters linearly: the central difference has no truncation
// error at all as long as no sample crosses a cell edge — an integer row or
// column, where the interpolant has a kink. The offsets are drawn as an
// integer plus a fraction in [0.1, 0.9], every sample position has that
// fraction (the grid positions are integers), and the step moves each
// offset by at most 2h = 2⁻⁹ < 0.1, so no kink is crossed. Only rounding is
// left, n·ε·mag/h, which favours a large h: 2⁻¹⁰ is large and still far from
// the kink. Mask is drawn in [0, 1].
func PropBackwardDeformFiniteDifferences(t *rapid.T) {
	p := ProblemGen(conv.OpDeform).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, false)
	for i := range in.Offset {
		in.Offset[i] = float64(rng.IntN(4)-2) + 0.1 + 0.8*rng.Float64()
	}
	dy := normals(rng, conv.Elems(p.DstShape()))
	g := backward(t, p, conv.DirBwdD, in, dy)
	const h = 0x1p-10
	directional(t, &p, in, dy, in.Offset, g.DOffset, h, rng, "d(offset)", func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
		in.Offset = th
		return in
	})
	if p.Mask {
		directional(t, &p, in, dy, in.Mask, g.DMask, h, rng, "d(mask)", func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
			in.Mask = th
			return in
		})
	}
}

// PropBackwardDynamicFiniteDifferences checks every gradient of a dynamic
// convolution — dx (through the kernel and through the routing), d(experts),
// d(bias), d(route_w), d(route_b) — against central differences of the
// forward reference, for sigmoid and softmax routing with temperature.
//
// The step: the routing is smooth (sigmoid, softmax) and the inputs are of
// order 1, so the truncation error h²/6·|f‴| and the rounding n·ε·mag/h
// balance at h ≈ cbrt(3ε)·scale; with scale 1, h = 2⁻¹⁷ ≈ 7.6e-6 (cbrt(ε) ≈
// 6.1e-6). The Richardson term of directional then bounds what is left of
// the truncation.
func PropBackwardDynamicFiniteDifferences(t *rapid.T) {
	p := ProblemGen(conv.OpDynamic).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, false)
	dy := normals(rng, conv.Elems(p.DstShape()))
	gd := backward(t, p, conv.DirBwdD, in, dy)
	gw := backward(t, p, conv.DirBwdWB, in, dy)
	const h = 0x1p-17
	label := func(s string) string { return fmt.Sprintf("%s (%s routing)", s, p.Routing) }
	directional(t, &p, in, dy, in.X, gd.DX, h, rng, label("dx"), func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
		in.X = th
		return in
	})
	directional(t, &p, in, dy, in.W, gw.DW, h, rng, label("d(experts)"), func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
		in.W = th
		return in
	})
	directional(t, &p, in, dy, in.B, gw.DB, h, rng, label("d(bias)"), func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
		in.B = th
		return in
	})
	directional(t, &p, in, dy, in.RouteW, gw.DRouteW, h, rng, label("d(route_w)"), func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
		in.RouteW = th
		return in
	})
	directional(t, &p, in, dy, in.RouteB, gw.DRouteB, h, rng, label("d(route_b)"), func(in conv.Inputs[float64], th []float64) conv.Inputs[float64] {
		in.RouteB = th
		return in
	})
}
