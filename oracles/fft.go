package oracles

import (
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"
)

// MaxFFTElems caps the spectra ByFFT holds at once (MB·IC·ΠL complex128
// values, 2²³ = 128 MiB), L the padded transform size of each axis.
const MaxFFTElems = 1 << 23

// FFTSupports returns nil if ByFFT can compute p, or an error naming the
// field that rules it out: the FFT computes a shift-invariant linear map, so
// only stride 1 and ops whose taps do not move (conv, deconv, dynamic).
func FFTSupports(p *conv.Problem) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Op == conv.OpDeform {
		return fmt.Errorf("op: the FFT oracle does not support deform (its sampling points move with the offsets, so it is not a convolution)")
	}
	for a := 0; a < 3; a++ {
		if p.S[a] != 1 {
			return fmt.Errorf("s%c: stride %d; the FFT oracle supports stride 1 only", "dhw"[a], p.S[a])
		}
	}
	l := fftSizes(p)
	if n := float64(p.MB) * float64(p.IC) * float64(conv.Spatial(l)); n > MaxFFTElems {
		return fmt.Errorf("fft: mb·ic·ΠL = %d·%d·%d = %.3g spectrum elements exceeds the FFT oracle's limit of %d",
			p.MB, p.IC, conv.Spatial(l), n, MaxFFTElems)
	}
	return nil
}

// fftSizes is the transform size of each axis: the smallest 2ᵃ3ᵇ5ᶜ at least
// I + ext_k − 1, so that circular correlation (or convolution) of the input with
// the dilated kernel equals the linear one on every index that can be nonzero.
func fftSizes(p *conv.Problem) [3]int {
	var l [3]int
	for a := 0; a < 3; a++ {
		l[a] = smooth(p.I[a] + p.ExtK(a) - 1)
	}
	return l
}

// smooth returns the smallest integer ≥ n whose only prime factors are 2, 3
// and 5, where fftpack is fast.
func smooth(n int) int {
	for m := max(n, 1); ; m++ {
		r := m
		for _, f := range []int{2, 3, 5} {
			for r%f == 0 {
				r /= f
			}
		}
		if r == 1 {
			return m
		}
	}
}

// ByFFT computes p (conv, deconv or dynamic at stride 1, any rank) by the
// convolution theorem, one N-D complex FFT built from 1D transforms along
// each axis. With wd the kernel dilated by inserting d−1 zeros between taps
// (extent ext_k), and ⋆ / ∗ circular correlation / convolution of length L:
//
//	conv:    y[n, oc, o] = b[oc] + Σ_icg (x[n, ic] ⋆ wd[oc, icg])[o − p_begin]
//	         with x ⋆ wd = IFFT(FFT(x) · conj(FFT(wd))), read where
//	         −(ext_k − 1) ≤ o − p_begin ≤ I − 1 and 0 elsewhere;
//	deconv:  y[n, g·OCG + m, o] = b + Σ_icg (x[n, ic] ∗ wd[ic, m])[o + p_begin]
//	         with x ∗ wd = IFFT(FFT(x) · FFT(wd)), read where
//	         0 ≤ o + p_begin ≤ I + ext_k − 2 and 0 elsewhere (a negative end
//	         padding extends the output with zeros);
//	dynamic: conv with the mixed kernel and bias of each sample.
//
// Its result carries FFT rounding error in every element (FFTBound), so it is
// compared within a bound, never with ==. Unsupported problems give FFTSupports' error.
func ByFFT(p *conv.Problem, in conv.Inputs[float64]) ([]float64, error) {
	if err := FFTSupports(p); err != nil {
		return nil, err
	}
	if err := in.Check(p); err != nil {
		return nil, err
	}
	l := fftSizes(p)
	nL, nI, nO := conv.Spatial(l), conv.Spatial(p.I), conv.Spatial(p.O)
	f := newFFT3(l)
	deconv := p.Op == conv.OpDeconv

	xs := make([]complex128, p.MB*p.IC*nL)
	for c := 0; c < p.MB*p.IC; c++ {
		embed(xs[c*nL:(c+1)*nL], l, in.X[c*nI:(c+1)*nI], p.I, [3]int{1, 1, 1})
		f.forward(xs[c*nL : (c+1)*nL])
	}

	// One kernel [OC, ICG, K…] per sample for dynamic; one shared otherwise.
	kernels, biases := [][]float64{in.W}, [][]float64{in.B}
	if p.Op == conv.OpDynamic {
		alpha := RoutingWeights(p, in)
		kernels, biases = make([][]float64, p.MB), make([][]float64, p.MB)
		for n := range kernels {
			kernels[n], biases[n] = mixKernel(p, in, alpha[n])
		}
	}
	kernelOf := func(n int) int {
		if len(kernels) == 1 {
			return 0
		}
		return n
	}

	out := make([]float64, p.MB*p.OC*nO)
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	acc := make([]complex128, p.MB*nL)
	ks := make([]complex128, nL)
	for oc := 0; oc < p.OC; oc++ {
		g, m := oc/ocg, oc%ocg
		clear(acc)
		for c := 0; c < icg; c++ {
			ic := g*icg + c
			// Weight offset of the kernel joining ic to oc.
			wOff := (oc*icg + c) * taps
			if deconv {
				wOff = (ic*ocg + m) * taps
			}
			for n := 0; n < p.MB; n++ {
				if n == 0 || len(kernels) > 1 { // a shared kernel's spectrum is reused across samples
					embed(ks, l, kernels[kernelOf(n)][wOff:wOff+taps], p.K, p.Dil)
					f.forward(ks)
					if !deconv {
						for i, v := range ks {
							ks[i] = complex(real(v), -imag(v))
						}
					}
				}
				a := acc[n*nL : (n+1)*nL]
				for i, v := range xs[(n*p.IC+ic)*nL : (n*p.IC+ic+1)*nL] {
					a[i] += v * ks[i]
				}
			}
		}
		for n := 0; n < p.MB; n++ {
			a := acc[n*nL : (n+1)*nL]
			f.inverse(a)
			var bias float64
			if b := biases[kernelOf(n)]; b != nil {
				bias = b[oc]
			}
			crop(out[(n*p.OC+oc)*nO:(n*p.OC+oc+1)*nO], a, l, p, deconv, 1/float64(nL), bias)
		}
	}
	return out, nil
}

// embed writes the real [D, H, W] array src into the zeroed complex grid dst of
// size l, element k at position k·step (step = dilation for a kernel, 1 for an input).
func embed(dst []complex128, l [3]int, src []float64, sz, step [3]int) {
	clear(dst)
	for d := 0; d < sz[conv.D]; d++ {
		for h := 0; h < sz[conv.H]; h++ {
			for w := 0; w < sz[conv.W]; w++ {
				v := src[(d*sz[conv.H]+h)*sz[conv.W]+w]
				dst[((d*step[conv.D])*l[conv.H]+h*step[conv.H])*l[conv.W]+w*step[conv.W]] = complex(v, 0)
			}
		}
	}
}

// crop reads the output of one (sample, channel) from the circular result a,
// scaled by 1/ΠL (gonum's transforms are unnormalised), plus bias. Index t
// along an axis is o − p_begin for conv and o + p_begin for deconv; outside the
// range where the linear result can be nonzero the output is 0 (plus bias),
// which also keeps the circular result's wrap-around out of the answer.
func crop(dst []float64, a []complex128, l [3]int, p *conv.Problem, deconv bool, scale, bias float64) {
	var lo, hi, sh [3]int
	for ax := 0; ax < 3; ax++ {
		if deconv {
			lo[ax], hi[ax], sh[ax] = 0, p.I[ax]+p.ExtK(ax)-2, p.PBegin[ax]
		} else {
			lo[ax], hi[ax], sh[ax] = -(p.ExtK(ax) - 1), p.I[ax]-1, -p.PBegin[ax]
		}
	}
	i := 0
	for od := 0; od < p.O[conv.D]; od++ {
		td := od + sh[conv.D]
		for oh := 0; oh < p.O[conv.H]; oh++ {
			th := oh + sh[conv.H]
			for ow := 0; ow < p.O[conv.W]; ow++ {
				tw := ow + sh[conv.W]
				v := bias
				if td >= lo[conv.D] && td <= hi[conv.D] && th >= lo[conv.H] && th <= hi[conv.H] && tw >= lo[conv.W] && tw <= hi[conv.W] {
					idx := (wrap(td, l[conv.D])*l[conv.H]+wrap(th, l[conv.H]))*l[conv.W] + wrap(tw, l[conv.W])
					v += real(a[idx]) * scale
				}
				dst[i] = v
				i++
			}
		}
	}
}

func wrap(t, n int) int {
	t %= n
	if t < 0 {
		t += n
	}
	return t
}

// fftEta is the per-stage error of fftpack's transforms: Higham (Accuracy and
// Stability of Numerical Algorithms, Thm 24.2) gives η = μ + γ₄(√2 + μ) ≈
// (4√2 + 1)·u for a radix-2 stage with twiddles accurate to μ ≈ u; we double
// it for the radix-3, -4 and -5 butterflies fftpack also uses.
const fftEta = 2 * (4*math.Sqrt2 + 1) * u64

// FFTBound returns the per-element absolute error bound of ByFFT, as a
// conv.Bound with C = 0 and the bound in Abs:
//
//	|ByFFT − exact| ≤ (3·η·log₂ΠL + (IC/G + 4)·u₆₄) · max_{n,oc} S(n, oc)
//	S(n, oc) = Σ_icg ‖x[n, ic]‖₂ · ‖w[oc, icg]‖₁ + |b[oc]|
//
// with u₆₄ = 2⁻⁵³ and η = 2·(4√2 + 1)·u₆₄ (fftEta). The error of an FFT is
// spread over a whole transform, so unlike direct summation it is not
// proportional to each element's own Σ|x·w|: a tiny output next to large ones
// carries the large ones' error. With ε = η·log₂ΠL, the three terms are:
//
//   - FFT(x): ‖δX‖₂ ≤ ε·√L·‖x‖₂ (norm-wise, Higham 24.2); times |W_k| ≤ ‖w‖₁ and
//     through the inverse (2-norm gain 1/√L, and ‖·‖_∞ ≤ ‖·‖₂): ε·‖x‖₂·‖w‖₁.
//   - FFT(w): element-wise |δW_k| ≤ ε·‖w‖₁, since every butterfly stage combines
//     partial DFTs of disjoint subsequences with unit twiddles; times X
//     (‖X‖₂ = √L‖x‖₂) and the inverse: ε·‖x‖₂·‖w‖₁.
//   - the inverse of the exact sum: ε·‖y‖₂ ≤ ε·Σ‖x‖₂‖w‖₁ (Young's inequality).
//
// The products, the sum over IC/G channels, the 1/ΠL scale and the bias add
// (IC/G + 4)·u₆₄ relative to the same S. For dynamic, w and b are the mixed
// kernel and bias of sample n. FFTSupports' errors apply.
func FFTBound(p *conv.Problem, in conv.Inputs[float64]) (conv.Bound, error) {
	if err := FFTSupports(p); err != nil {
		return conv.Bound{}, err
	}
	if err := in.Check(p); err != nil {
		return conv.Bound{}, err
	}
	l := fftSizes(p)
	c := 3*fftEta*math.Log2(float64(conv.Spatial(l))) + float64(p.ICG()+4)*u64
	return conv.Bound{C: 0, N: 0, Abs: c * fftScale(p, in)}, nil
}

// u64 is the unit roundoff of float64, 2⁻⁵³.
const u64 = 1.0 / (1 << 53)

// fftScale is max_{n,oc} S(n, oc) of FFTBound.
func fftScale(p *conv.Problem, in conv.Inputs[float64]) float64 {
	nI, taps, icg, ocg := conv.Spatial(p.I), p.Taps(), p.ICG(), p.OCG()
	xn := make([]float64, p.MB*p.IC)
	for c := range xn {
		var s float64
		for _, v := range in.X[c*nI : (c+1)*nI] {
			s += v * v
		}
		xn[c] = math.Sqrt(s)
	}
	kernels, biases := [][]float64{in.W}, [][]float64{in.B}
	if p.Op == conv.OpDynamic {
		alpha := RoutingWeights(p, in)
		kernels, biases = make([][]float64, p.MB), make([][]float64, p.MB)
		for n := range kernels {
			kernels[n], biases[n] = mixKernel(p, in, alpha[n])
		}
	}
	var worst float64
	for n := 0; n < p.MB; n++ {
		k, b := kernels[0], biases[0]
		if len(kernels) > 1 {
			k, b = kernels[n], biases[n]
		}
		for oc := 0; oc < p.OC; oc++ {
			g, m := oc/ocg, oc%ocg
			var s float64
			if b != nil {
				s = math.Abs(b[oc])
			}
			for c := 0; c < icg; c++ {
				ic := g*icg + c
				wOff := (oc*icg + c) * taps
				if p.Op == conv.OpDeconv {
					wOff = (ic*ocg + m) * taps
				}
				var wn float64
				for _, v := range k[wOff : wOff+taps] {
					wn += math.Abs(v)
				}
				s += xn[n*p.IC+ic] * wn
			}
			worst = math.Max(worst, s)
		}
	}
	return worst
}
