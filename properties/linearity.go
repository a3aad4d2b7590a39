package properties

import (
	"math"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// combine returns a·u + b·v.
func combine(a float64, u []float64, b float64, v []float64) []float64 {
	out := make([]float64, len(u))
	for i := range u {
		out[i] = a*u[i] + b*v[i]
	}
	return out
}

// closeTo reports the first index where got and want differ by more than the
// float64 bound of n-term sums of the given magnitude (exact when mag is 0).
func closeTo(got, want []float64, n int, mag float64) int {
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol64(n, mag)*8 {
			return i
		}
	}
	return -1
}

// PropLinearInX: conv, deconv and deform (offsets and mask fixed) are linear
// in their input: f(a·x₁ + b·x₂) = a·f(x₁) + b·f(x₂) with no bias, exactly on
// integers.
func PropLinearInX(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv, conv.OpDeform).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	in.B = nil
	a, b := float64(rapid.IntRange(-3, 3).Draw(t, "a")), float64(rapid.IntRange(-3, 3).Draw(t, "b"))
	x1, x2 := in.X, ints(rng, len(in.X), 4)
	f := func(x []float64) []float64 {
		c := in
		c.X = x
		y, err := reference.Forward(&p, c, nil)
		if err != nil {
			t.Fatalf("%v", err)
		}
		return y
	}
	equalExact(t, "f(a·x₁ + b·x₂) vs a·f(x₁) + b·f(x₂)", p.DstShape(), f(combine(a, x1, b, x2)), combine(a, f(x1), b, f(x2)))
}

// PropLinearInW: every op is linear in its weights, f(w = a·w₁ + b·w₂) =
// a·f(w₁) + b·f(w₂) with no bias; for a dynamic conv the experts' weights,
// since its routing depends on x only. Exact on integers except dynamic,
// which is judged within the float64 bound.
func PropLinearInW(t *rapid.T) {
	p := ProblemGen().Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	in.B = nil
	a, b := float64(rapid.IntRange(-3, 3).Draw(t, "a")), float64(rapid.IntRange(-3, 3).Draw(t, "b"))
	w1, w2 := in.W, ints(rng, len(in.W), 4)
	f := func(w []float64) []float64 {
		c := in
		c.W = w
		y, err := reference.Forward(&p, c, nil)
		if err != nil {
			t.Fatalf("%v", err)
		}
		return y
	}
	got, want := f(combine(a, w1, b, w2)), combine(a, f(w1), b, f(w2))
	if p.Op != conv.OpDynamic {
		equalExact(t, "f(a·w₁ + b·w₂) vs a·f(w₁) + b·f(w₂)", p.DstShape(), got, want)
		return
	}
	mag := maxAbs(in.X) * 4 * 7 * float64(p.E)
	if i := closeTo(got, want, p.AccumLength()*p.E, mag*float64(p.AccumLength())); i >= 0 {
		t.Fatalf("dynamic: f(a·w₁ + b·w₂) = %v, a·f(w₁) + b·f(w₂) = %v at %s", got[i], want[i], conv.MultiIndex(p.DstShape(), i))
	}
}

// PropDynamicLinearInX states linearity in x for a dynamic conv. It is false
// in general: the kernel is mixed by weights routed from x itself (its
// global average pool), so f(x₁ + x₂) ≠ f(x₁) + f(x₂); rapid shrinks the
// counterexample. (With one expert and softmax routing α ≡ 1 and it is linear.)
func PropDynamicLinearInX(t *rapid.T) {
	p := ProblemGen(conv.OpDynamic).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, false)
	in.B = nil
	x2 := normals(rng, len(in.X))
	f := func(x []float64) []float64 {
		c := in
		c.X = x
		y, _ := reference.Forward(&p, c, nil)
		return y
	}
	got, want := f(combine(1, in.X, 1, x2)), combine(1, f(in.X), 1, f(x2))
	mag := (maxAbs(in.X) + maxAbs(x2)) * maxAbs(in.W) * float64(p.E*p.AccumLength())
	if i := closeTo(got, want, p.AccumLength()*p.E, mag); i >= 0 {
		t.Fatalf("dynamic conv: f(x₁ + x₂) = %v but f(x₁) + f(x₂) = %v at %s", got[i], want[i], conv.MultiIndex(p.DstShape(), i))
	}
}
