package conv

import (
	"fmt"
	"math"

	"github.com/google/go-cmp/cmp"
)

// Unit roundoff of float32: u = 2⁻²⁴.
const U32 = 1.0 / (1 << 24)

// Gamma returns γₙ = n·u/(1 − n·u) for float32 (Higham, Accuracy and
// Stability of Numerical Algorithms, Lemma 3.1): |∏(1+δᵢ)^±1 − 1| ≤ γₙ for n
// roundings |δᵢ| ≤ u. It is +Inf when n·u ≥ 1, where no such bound exists.
func Gamma(n int) float64 {
	nu := float64(n) * U32
	if nu >= 1 {
		return math.Inf(1)
	}
	return nu / (1 - nu)
}

// Bound is the per-element error bound for a float32 result computed by
// summing N terms (Higham §3.1; docs/bounds.md derives it per op):
//
//	|got − exp| ≤ C · γ_N · mag + Abs
//
// where mag is the element's magnitude from reference.Magnitude: Σ|x·w| (the
// reference run on |x|, |w|, |b|), plus, for deform and dynamic, the float32
// error of the terms themselves (sampling, routing) expressed in the same
// units by MagnitudeOfTermError. C = 1 for any order of float32 summation,
// with or without FMA; algorithms that transform their inputs (Winograd, FFT)
// carry a larger C. Abs absorbs underflow of results near zero.
type Bound struct {
	C   float64
	N   int
	Abs float64
}

// DefaultBound is the bound for float32 accumulation of a problem's terms in
// any order: N = p.AccumLength() (the products and the bias), C = 1.
func DefaultBound(p *Problem) Bound {
	return Bound{C: 1, N: p.AccumLength(), Abs: 1e-30}
}

// At returns the bound for an element of magnitude mag.
func (b Bound) At(mag float64) float64 {
	if mag == 0 || b.C == 0 {
		return b.Abs // γ_N may be +Inf; an element with no terms has no rounding
	}
	return b.C*Gamma(b.N)*mag + b.Abs
}

// MagnitudeOfTermError converts termErr, a bound on Σₖ|ŵₖ|·|t̃ₖ − tₖ| (the
// error that the terms tₖ of an output's sum carry in float32 before they are
// summed, weighted by the absolute weights that multiply them), into
// magnitude units for DefaultBound(p): the summation then adds its own γ_N
// relative error on top of it, so the total is
//
//	γ_N·Σ|tₖ·wₖ| + (1 + γ_N)·termErr = γ_N·(Σ|tₖ·wₖ| + termErr·(1 + γ_N)/γ_N).
//
// Adding the result to Σ|tₖ·wₖ| gives the magnitude whose bound
// DefaultBound(p).At covers both. Any Bound with C ≥ 1 and N ≥ p.AccumLength()
// covers it too.
func MagnitudeOfTermError(p *Problem, termErr float64) float64 {
	if termErr == 0 {
		return 0
	}
	g := Gamma(p.AccumLength())
	return termErr * (1 + g) / g
}

// Verdict is the outcome of comparing a result against its reference.
type Verdict struct {
	N       int     // elements compared
	Failed  int     // elements outside their bound (NaN counts)
	NaN     int     // elements that are NaN or ±Inf
	Zeros   int     // elements of got that are exactly 0 while exp is not
	Worst   int     // flat index of the element with the largest |err|/bound
	Exp     float64 // expected value at Worst
	Got     float64 // result at Worst
	Err     float64 // |Got − Exp|
	Limit   float64 // the bound at Worst
	Ratio   float64 // Err/Limit at Worst (∞ for NaN); ≤ 1 passes
	MaxErr  float64 // largest |got − exp| over all elements
	Shape   []int   // the tensor shape, for printing Worst as an index
	ExpZero int     // elements of exp that are exactly 0
}

// OK reports whether every element is within its bound.
func (v Verdict) OK() bool { return v.Failed == 0 }

// Mistrusted reports, as benchdnn does, a result in which too many expected
// values are zero (over 90 % of at least 10 elements): a kernel that writes
// nothing could pass such a check.
func (v Verdict) Mistrusted() bool { return v.N >= 10 && float64(v.ExpZero) > 0.9*float64(v.N) }

// Index prints the flat index Worst as a multi-index of Shape.
func (v Verdict) Index() string {
	return MultiIndex(v.Shape, v.Worst)
}

// MultiIndex turns a flat C-order index into [i j k …] for shape.
func MultiIndex(shape []int, flat int) string {
	if len(shape) == 0 {
		return fmt.Sprint(flat)
	}
	idx := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = flat % shape[i]
			flat /= shape[i]
		}
	}
	return shapeString(idx)
}

func (v Verdict) String() string {
	status := "ok"
	if !v.OK() {
		status = "FAIL"
	}
	return fmt.Sprintf("%s: %d/%d outside bound, worst at %s: exp %.9g got %.9g |err| %.3g bound %.3g (%.3g of bound)",
		status, v.Failed, v.N, v.Index(), v.Exp, v.Got, v.Err, v.Limit, v.Ratio)
}

// Compare judges got against exp element by element, with mag the reference
// run on absolute inputs (Σ|x·w| per element). mag may be nil for a bound of
// Abs alone (exact comparison when Abs = 0).
func Compare[T Float](got []T, exp, mag []float64, b Bound, shape []int) Verdict {
	v := Verdict{N: len(exp), Worst: -1, Shape: shape}
	if len(got) != len(exp) {
		v.Failed = len(exp)
		v.Ratio = math.Inf(1)
		return v
	}
	for i := range exp {
		g := float64(got[i])
		e := exp[i]
		m := 0.0
		if mag != nil {
			m = mag[i]
		}
		lim := b.At(m)
		err := math.Abs(g - e)
		var r float64
		switch {
		case math.IsNaN(g) || math.IsInf(g, 0):
			v.NaN++
			r = math.Inf(1)
			err = math.Inf(1)
		case err == 0:
			r = 0
		case lim == 0:
			r = math.Inf(1)
		default:
			r = err / lim
		}
		if e == 0 {
			v.ExpZero++
		} else if g == 0 {
			v.Zeros++
		}
		if r > 1 {
			v.Failed++
		}
		if err > v.MaxErr {
			v.MaxErr = err
		}
		if v.Worst < 0 || r > v.Ratio {
			v.Worst, v.Ratio, v.Exp, v.Got, v.Err, v.Limit = i, r, e, g, err, lim
		}
	}
	return v
}

// CmpOption returns a go-cmp option under which two []float64 of the same
// length are equal when every element pair (a, b) satisfies |a − b| ≤ b.At(mag[i]).
// Convert a float32 result with ConvertSlice first.
func (b Bound) CmpOption(mag []float64) cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		si, ok := p.Last().(cmp.SliceIndex)
		if !ok {
			return false
		}
		kx, ky := si.SplitKeys()
		if kx != ky || kx < 0 {
			return false
		}
		x, y := si.Values()
		if !x.IsValid() || !y.IsValid() || !x.CanFloat() || !y.CanFloat() {
			return false
		}
		m := 0.0
		if kx < len(mag) {
			m = mag[kx]
		}
		d := math.Abs(x.Float() - y.Float())
		return d <= b.At(m)
	}, cmp.Ignore())
}

// ConvertSlice converts a slice's element type.
func ConvertSlice[U, T Float](s []T) []U {
	o := make([]U, len(s))
	for i, v := range s {
		o[i] = U(v)
	}
	return o
}

// Abs returns |v| elementwise (nil stays nil); run the reference on Abs inputs
// to get each element's magnitude Σ|x·w| for the bound.
func Abs[T Float](s []T) []T {
	if s == nil {
		return nil
	}
	o := make([]T, len(s))
	for i, v := range s {
		if v < 0 {
			v = -v
		}
		o[i] = v
	}
	return o
}
