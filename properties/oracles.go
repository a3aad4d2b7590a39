package properties

import (
	"math"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// PropOraclesAgree: the reference (direct loops), the dense-matrix oracle
// (y = M·x + b, every op) and, at stride 1 for conv, deconv and dynamic, the
// FFT oracle (convolution theorem) compute the same function. On the integer
// fill the first two must agree bit for bit (every partial sum is an exact
// integer, so summation order cannot matter); a dynamic conv's routing is
// real, so it is judged within the float64 bound n·ε·Σ|terms|. The FFT's
// error is spread over a whole transform and is judged within FFTBound.
func PropOraclesAgree(t *rapid.T) {
	p := ProblemGen().Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	ref, err := reference.Forward(&p, in, nil)
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	byMat, err := oracles.ByMatrix(&p, in)
	if err != nil {
		t.Fatalf("matrix oracle: %v", err)
	}
	mag := reference.Magnitude(&p, in)
	exact := p.Op != conv.OpDynamic
	for i := range ref {
		d := math.Abs(ref[i] - byMat[i])
		if exact && d != 0 || !exact && d > tol64(p.AccumLength(), mag[i]) {
			t.Fatalf("matrix oracle differs at %s: reference %v, matrix %v (exact fill: %v)",
				conv.MultiIndex(p.DstShape(), i), ref[i], byMat[i], exact)
		}
	}
	if oracles.FFTSupports(&p) != nil {
		return
	}
	byFFT, err := oracles.ByFFT(&p, in)
	if err != nil {
		t.Fatalf("FFT oracle: %v", err)
	}
	b, err := oracles.FFTBound(&p, in)
	if err != nil {
		t.Fatalf("FFT bound: %v", err)
	}
	if v := conv.Compare(byFFT, ref, mag, b, p.DstShape()); !v.OK() {
		t.Fatalf("FFT oracle: %v", v)
	}
}
