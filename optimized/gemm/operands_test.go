package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
)

// guard fills every word of the C buffer that Sgemm must not touch: words
// before and after C, and the padding columns n…ldc−1 of each row.
var guard = float32(-7777.25)

const guardWords = 7

// operands is one GEMM problem with padded leading dimensions, guard words
// and a poisoned C, in the manner of math/big's arith_test.go.
type operands struct {
	m, n, k       int
	lda, ldb, ldc int
	a, b          []float32
	cbuf          []float32 // guardWords, m rows of ldc, guardWords
	c0            []float32 // C before the call (its valid part)
	beta          float32
	ints          bool
}

// newOperands draws A, B and C. Padding columns of A and B are NaN, so a
// kernel that reads them poisons its result. With beta = 0, C is NaN, which
// must be overwritten, not scaled. ints draws small non-zero integers, whose
// products and sums are exact in float32, so the result must be bit-exact.
func newOperands(rng *rand.Rand, m, n, k int, beta float32, ints bool) *operands {
	o := &operands{m: m, n: n, k: k, beta: beta, ints: ints,
		lda: k + 1 + rng.IntN(3), ldb: n + 1 + rng.IntN(3), ldc: n + 1 + rng.IntN(3)}
	val := func() float32 {
		s := float32(1 - 2*rng.IntN(2))
		if ints {
			return s * float32(1+rng.IntN(8))
		}
		return s * (0.125 + rng.Float32())
	}
	nan := float32(math.NaN())
	o.a = filled(m, k, o.lda, val, nan)
	o.b = filled(k, n, o.ldb, val, nan)
	o.cbuf = make([]float32, 2*guardWords+m*o.ldc)
	for i := range o.cbuf {
		o.cbuf[i] = guard
	}
	o.c0 = make([]float32, m*n)
	for i := range m {
		for j := range n {
			v := nan
			if beta != 0 {
				v = val()
			}
			o.c0[i*n+j] = v
			o.cbuf[guardWords+i*o.ldc+j] = v
		}
	}
	return o
}

func filled(rows, cols, ld int, val func() float32, pad float32) []float32 {
	s := make([]float32, rows*ld)
	for i := range rows {
		for j := range ld {
			if j < cols {
				s[i*ld+j] = val()
			} else {
				s[i*ld+j] = pad
			}
		}
	}
	return s
}

// cArg is C as Sgemm receives it: as short as the API allows, so that any
// write past the last valid element lands on a guard word.
func (o *operands) cArg() []float32 {
	if o.m == 0 || o.n == 0 {
		return o.cbuf[guardWords:guardWords]
	}
	return o.cbuf[guardWords : guardWords+(o.m-1)*o.ldc+o.n]
}

func (o *operands) aArg() []float32 {
	if o.m == 0 || o.k == 0 {
		return nil
	}
	return o.a[:(o.m-1)*o.lda+o.k]
}

func (o *operands) bArg() []float32 {
	if o.k == 0 || o.n == 0 {
		return nil
	}
	return o.b[:(o.k-1)*o.ldb+o.n]
}

// want is the float64 reference C = A·B + beta·C and its magnitude
// |beta·C| + Σ|A·B|, for the error bound.
func (o *operands) want() (exp, mag []float64) {
	exp = make([]float64, o.m*o.n)
	mag = make([]float64, o.m*o.n)
	for i := range o.m {
		for j := range o.n {
			var s, sm float64
			if o.beta != 0 {
				s = float64(o.beta) * float64(o.c0[i*o.n+j])
				sm = math.Abs(s)
			}
			for p := range o.k {
				x := float64(o.a[i*o.lda+p]) * float64(o.b[p*o.ldb+j])
				s += x
				sm += math.Abs(x)
			}
			exp[i*o.n+j], mag[i*o.n+j] = s, sm
		}
	}
	return exp, mag
}

// bound is |err| ≤ N·u·(Σ|a·b| + |beta·c|): N = k summed products, plus one
// term for beta·C. Integer data must be exact.
func (o *operands) bound() conv.Bound {
	if o.ints {
		return conv.Bound{}
	}
	n := o.k
	if o.beta != 0 {
		n++
	}
	return conv.Bound{C: 1, N: n}
}

// got is the valid part of C after the call.
func (o *operands) got() []float32 {
	g := make([]float32, o.m*o.n)
	for i := range o.m {
		copy(g[i*o.n:(i+1)*o.n], o.cbuf[guardWords+i*o.ldc:])
	}
	return g
}

// check reports a result outside its bound and any smashed guard word.
func (o *operands) check(t interface {
	Helper()
	Errorf(string, ...any)
}, label string) bool {
	t.Helper()
	ok := true
	for i, v := range o.cbuf {
		r, c := (i-guardWords)/o.ldc, (i-guardWords)%o.ldc
		inside := i >= guardWords && i < guardWords+o.m*o.ldc && c < o.n
		if !inside && math.Float32bits(v) != math.Float32bits(guard) {
			t.Errorf("%s: smashed guard at cbuf[%d] (C row %d col %d): %v", label, i, r, c, v)
			ok = false
			break
		}
	}
	exp, mag := o.want()
	v := conv.Compare(o.got(), exp, mag, o.bound(), []int{o.m, o.n})
	if !v.OK() {
		t.Errorf("%s: %v", label, v)
		ok = false
	}
	return ok
}

func (o *operands) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d lda=%d ldb=%d ldc=%d beta=%g ints=%v",
		o.m, o.n, o.k, o.lda, o.ldb, o.ldc, o.beta, o.ints)
}
