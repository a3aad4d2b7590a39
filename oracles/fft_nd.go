package oracles

import (
	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/dsp/fourier"
)

// fft3 is an unnormalised complex FFT on a [D, H, W] grid of size l, done as
// 1D transforms along each axis in turn (the N-D DFT is separable). Axes of
// size 1 are skipped: the DFT of length 1 is the identity.
type fft3 struct {
	l   [3]int
	t   [3]*fourier.CmplxFFT
	buf []complex128
}

func newFFT3(l [3]int) *fft3 {
	f := &fft3{l: l, buf: make([]complex128, max(l[0], l[1], l[2]))}
	for a, n := range l {
		if n > 1 {
			f.t[a] = fourier.NewCmplxFFT(n)
		}
	}
	return f
}

// forward replaces a by its DFT: A[k] = Σ_t a[t]·e^(−2πi·k·t/L) on each axis.
func (f *fft3) forward(a []complex128) { f.apply(a, false) }

// inverse replaces a by Σ_k a[k]·e^(+2πi·k·t/L): the inverse DFT times ΠL.
func (f *fft3) inverse(a []complex128) { f.apply(a, true) }

func (f *fft3) apply(a []complex128, inv bool) {
	strides := [3]int{f.l[conv.H] * f.l[conv.W], f.l[conv.W], 1}
	for ax := 0; ax < 3; ax++ {
		t := f.t[ax]
		if t == nil {
			continue
		}
		n, st := f.l[ax], strides[ax]
		line := f.buf[:n]
		// Every line along ax starts at an index whose ax-coordinate is 0.
		for start := 0; start < len(a); start++ {
			if (start/st)%n != 0 {
				continue
			}
			for i := range line {
				line[i] = a[start+i*st]
			}
			if inv {
				t.Sequence(line, line)
			} else {
				t.Coefficients(line, line)
			}
			for i, v := range line {
				a[start+i*st] = v
			}
		}
	}
}
