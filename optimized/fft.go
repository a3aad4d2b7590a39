package optimized

import (
	"fmt"
	"math"
	"math/bits"
	"math/cmplx"
	"slices"

	"github.com/convverify/convverify/conv"
)

// fftC is the FFT variant's error factor. The transforms run in complex128
// on float32 inputs (exact in float64): a radix-2 FFT of size L has normwise
// error ≲ log₂L·u₆₄ (Higham §24.1), so the float64 result differs from the
// exact sum by at most ~3·log₂L·2⁻⁵³·‖x‖‖w‖, some 2²⁴ below the float32
// resolution; rounding the result to float32 then costs u₃₂·|y| ≤ u₃₂·Σ|x·w|.
// The total is within 1·N·u₃₂·Σ|x·w| for every element whose magnitude is not
// below 2⁻²⁴ of the problem's largest; C = 2 leaves room for the float32
// bias addition. Elements whose every tap falls in padding (magnitude 0) are
// written as the bias alone, since the transform would leave a float64
// residue ~2⁻⁵⁰·‖x‖‖w‖ there instead of an exact zero.
const fftC = 2

// fftMaxBytes caps the frequency-domain buffers of one run (weights, inputs
// and one accumulator per output channel, complex128). Small kernels on large
// channel counts exceed it: their OC·IC/G weight transforms of the whole
// padded image cost far more than direct summation, the regime where no one
// would pick FFT convolution.
const fftMaxBytes = 128 << 20

func fftSizes(p *conv.Problem) (n [3]int, lx [3]int) {
	for a := 0; a < 3; a++ {
		lx[a] = p.O[a] + p.ExtK(a) - 1
		n[a] = 1 << bits.Len(uint(lx[a]-1))
		if lx[a] == 1 {
			n[a] = 1
		}
	}
	return n, lx
}

func fftVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name: "fft",
			Ops:  []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error {
				for _, a := range p.Axes() {
					if p.S[a] != 1 {
						return fmt.Errorf("fft: stride %v, needs 1", p.S)
					}
				}
				n, _ := fftSizes(p)
				if b := float64(p.OC*p.ICG()+p.IC+p.OC) * float64(conv.Spatial(n)) * 16; b > fftMaxBytes {
					return fmt.Errorf("fft: frequency buffers need %.0f MiB, over %d MiB", b/(1<<20), fftMaxBytes>>20)
				}
				return nil
			},
			BoundC:        fftC,
			Exact:         false,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			f := newFFTConv(ex, p, w, b)
			return func(in conv.Inputs[float32], out []float32) { f.run(in.X, out) }, nil
		},
	}
}

// fftConv computes each output channel as the circular correlation
//
//	y[o] = Σ_t xp[o + t]·wd[t] = IFFT(FFT(xp) ⊙ conj(FFT(wd)))[o]
//
// where xp is the input shifted by the begin padding (xp[j] = x[j − P], zero
// outside) and wd the dilated kernel. The transform size per axis is a power
// of two ≥ O + ExtK − 1, so no wrapped term reaches an output o < O.
// The kernel's transforms are made once, at preparation.
type fftConv struct {
	ex              *executor
	p               *conv.Problem
	b               []float32
	n, lx           [3]int
	ns              int
	plans           [3]*fftPlan
	wf, xf          []complex128
	reach           [3][]bool
	acc, lines      [][]complex128 // per worker
	img             int            // the current image
	x, out          []float32      // the current run's
	inTask, outTask func(wk, task int)
}

func newFFTConv(ex *executor, p *conv.Problem, w, b []float32) *fftConv {
	f := &fftConv{ex: ex, p: p, b: b}
	icg := p.ICG()
	n, lx := fftSizes(p)
	f.n, f.lx = n, lx
	ns := conv.Spatial(n)
	f.ns = ns
	taps := p.Taps()
	f.plans = [3]*fftPlan{newFFTPlan(n[0]), newFFTPlan(n[1]), newFFTPlan(n[2])}
	f.lines = make([][]complex128, ex.workers)
	f.acc = make([][]complex128, ex.workers)
	for i := range f.lines {
		f.lines[i] = make([]complex128, max(n[0], n[1], n[2]))
		f.acc[i] = make([]complex128, ns)
	}
	f.wf = make([]complex128, p.OC*icg*ns)
	ex.forEach(p.OC*icg, func(wk, t int) {
		wft := f.wf[t*ns : (t+1)*ns]
		wt := w[t*taps : (t+1)*taps]
		for kd := 0; kd < p.K[0]; kd++ {
			for kh := 0; kh < p.K[1]; kh++ {
				for kw := 0; kw < p.K[2]; kw++ {
					wft[((kd*p.Dil[0])*n[1]+kh*p.Dil[1])*n[2]+kw*p.Dil[2]] = complex(float64(wt[(kd*p.K[1]+kh)*p.K[2]+kw]), 0)
				}
			}
		}
		fft3(wft, n, f.plans, false, [3]int{p.ExtK(0), p.ExtK(1), n[2]}, f.lines[wk])
		for i, v := range wft {
			wft[i] = cmplx.Conj(v)
		}
	})
	// reach[a][o]: some tap of output o lands inside the input along axis a.
	// Outputs that reach nothing are exactly the bias; the transform would
	// leave a float64 residue there instead of 0.
	for a := 0; a < 3; a++ {
		f.reach[a] = make([]bool, p.O[a])
		for o := range f.reach[a] {
			for k := 0; k < p.K[a]; k++ {
				if i := o*p.S[a] - p.PBegin[a] + k*p.Dil[a]; i >= 0 && i < p.I[a] {
					f.reach[a][o] = true
				}
			}
		}
	}
	f.xf = make([]complex128, p.IC*ns)
	f.inTask, f.outTask = f.transformInput, f.outputChannel
	return f
}

func (f *fftConv) run(x, out []float32) {
	p := f.p
	hitIf(p.IsDilated(), pathFFTDilated)
	for a := 0; a < 3; a++ {
		hitIf(f.n[a] == 1 && a >= 3-p.Rank, pathFFTUnitAxis) // a 1-output, 1-tap axis of the problem
		hitIf(slices.Contains(f.reach[a], false), pathFFTUnreached)
		hitIf(p.PBegin[a] > 0 || p.PBegin[a]+p.I[a] < f.lx[a], pathFFTPadSkip)
	}
	f.x, f.out = x, out
	for img := 0; img < p.MB; img++ {
		f.img = img
		f.ex.forEach(p.IC, f.inTask)
		f.ex.forEach(p.OC, f.outTask)
	}
	f.x, f.out = nil, nil
}

func (f *fftConv) transformInput(wk, c int) {
	p, n, lx, ns := f.p, f.n, f.lx, f.ns
	fc := f.xf[c*ns : (c+1)*ns]
	clear(fc)
	xc := f.x[(f.img*p.IC+c)*conv.Spatial(p.I):]
	for jd := 0; jd < lx[0]; jd++ {
		id := jd - p.PBegin[0]
		if id < 0 || id >= p.I[0] {
			continue
		}
		for jh := 0; jh < lx[1]; jh++ {
			ih := jh - p.PBegin[1]
			if ih < 0 || ih >= p.I[1] {
				continue
			}
			for jw := 0; jw < lx[2]; jw++ {
				if iw := jw - p.PBegin[2]; iw >= 0 && iw < p.I[2] {
					fc[(jd*n[1]+jh)*n[2]+jw] = complex(float64(xc[(id*p.I[1]+ih)*p.I[2]+iw]), 0)
				}
			}
		}
	}
	fft3(fc, n, f.plans, false, [3]int{min(lx[0], p.PBegin[0]+p.I[0]), min(lx[1], p.PBegin[1]+p.I[1]), n[2]}, f.lines[wk])
}

func (f *fftConv) outputChannel(wk, oc int) {
	p, n, ns, reach := f.p, f.n, f.ns, f.reach
	icg := p.ICG()
	g := oc / p.OCG()
	a := f.acc[wk]
	clear(a)
	for c := 0; c < icg; c++ {
		xs := f.xf[(g*icg+c)*ns : (g*icg+c+1)*ns]
		ws := f.wf[(oc*icg+c)*ns : (oc*icg+c+1)*ns]
		for i := range a {
			a[i] += xs[i] * ws[i]
		}
	}
	fft3(a, n, f.plans, true, n, f.lines[wk])
	bias := 0.0
	if f.b != nil {
		bias = float64(f.b[oc])
	}
	inv := 1 / float64(ns)
	y := f.out[(f.img*p.OC+oc)*conv.Spatial(p.O):]
	for od := 0; od < p.O[0]; od++ {
		for oh := 0; oh < p.O[1]; oh++ {
			for ow := 0; ow < p.O[2]; ow++ {
				v := bias
				if reach[0][od] && reach[1][oh] && reach[2][ow] {
					v += real(a[(od*n[1]+oh)*n[2]+ow]) * inv
				}
				y[(od*p.O[1]+oh)*p.O[2]+ow] = float32(v)
			}
		}
	}
}

// fftPlan is an iterative radix-2 FFT of one power-of-two size.
type fftPlan struct {
	n   int
	rev []int
	tw  []complex128 // e^{−2πik/n}, k < n/2
}

func newFFTPlan(n int) *fftPlan {
	pl := &fftPlan{n: n, rev: make([]int, n), tw: make([]complex128, n/2)}
	lg := bits.Len(uint(n)) - 1
	for i := range pl.rev {
		pl.rev[i] = int(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	if n == 1 {
		pl.rev[0] = 0
	}
	for k := range pl.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		pl.tw[k] = complex(c, s)
	}
	return pl
}

// transform runs the FFT (or the unscaled inverse) on buf in place.
func (pl *fftPlan) transform(buf []complex128, inverse bool) {
	n := pl.n
	for i, j := range pl.rev {
		if i < j {
			buf[i], buf[j] = buf[j], buf[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				t := pl.tw[k*step]
				if inverse {
					t = cmplx.Conj(t)
				}
				a, b := buf[start+k], buf[start+k+half]*t
				buf[start+k], buf[start+k+half] = a+b, a-b
			}
		}
	}
}

// fft3 transforms a row-major n[0]×n[1]×n[2] array along each axis. Only
// the box [0, nz[0]) × [0, nz[1]) × [0, n[2]) may be non-zero on entry: lines
// outside it are zero and stay zero in the first passes, so they are skipped
// (a K×K kernel in a 128×128 grid needs K row transforms, not 128).
// scratch holds at least max(n) elements.
func fft3(f []complex128, n [3]int, plans [3]*fftPlan, inverse bool, nz [3]int, scratch []complex128) {
	if n[2] > 1 {
		for d := 0; d < nz[0]; d++ {
			for h := 0; h < nz[1]; h++ {
				r := d*n[1] + h
				plans[2].transform(f[r*n[2]:(r+1)*n[2]], inverse)
			}
		}
	}
	for a := 1; a >= 0; a-- {
		if n[a] == 1 {
			continue
		}
		line := scratch[:n[a]]
		stride := 1
		for b := a + 1; b < 3; b++ {
			stride *= n[b]
		}
		outer := 1
		if a == 1 {
			outer = nz[0] // planes past nz[0] are still zero
		}
		for o := 0; o < outer; o++ {
			for in := 0; in < stride; in++ {
				base := o*n[a]*stride + in
				for i := range line {
					line[i] = f[base+i*stride]
				}
				plans[a].transform(line, inverse)
				for i, v := range line {
					f[base+i*stride] = v
				}
			}
		}
	}
}
