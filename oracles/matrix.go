// Package oracles holds truths about convolution that share no code with the
// reference: the convolution as an explicit dense matrix built from the
// definition, FFT convolution, and the exact-integer fill that turns float32
// results into values that can be compared with ==.
//
// A check is only worth something if what checks and what is checked can be
// wrong in different ways. The matrix oracle scatters each weight into the
// matrix entry its definition names, the FFT oracle multiplies spectra, and the
// reference loops over outputs and taps; an index slip in one of them shows up
// as a disagreement with the others.
package oracles

import (
	"fmt"

	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/mat"
)

// MaxMatrixElems is the largest matrix ByMatrix builds: 2²⁶ float64 entries
// (512 MiB). The matrix of a problem is (OC·ΠO)×(IC·ΠI), quadratic in the image
// size, so the oracle is for small problems only.
const MaxMatrixElems = 1 << 26

// Matrix returns the per-sample linear map of p's op as a dense matrix, with
// rows indexed by oc·ΠO + flat(o) and columns by ic·ΠI + flat(i):
//
//	conv:    M[oc·ΠO + o, ic·ΠI + i] = w[oc, ic − g·IC/G, k] for every tap k with
//	         i = o·s − p_begin + k·d inside the input, g = oc / (OC/G);
//	         y = M·x + b.
//	deconv:  the transpose of the matrix of the mirrored convolution: the conv
//	         from OC·ΠO to IC·ΠI (input size O, output size I, same k, s, p, d, g)
//	         whose weights are the deconv's [IC, OC/G, k…] read as [OC', IC'/G, k…].
//	         Deconvolution is, by construction here, "the same matrix transposed".
//	dynamic: w must be one kernel [OC, IC/G, k…], the mixed kernel of a sample
//	         (MixedKernel); the matrix is then that of a conv.
//	deform:  the matrix at zero offsets and unit mask, which is the conv matrix;
//	         use MatrixDeform for real offsets.
//
// Matrix panics if len(w) disagrees with p, as gonum's mat does on a dimension
// mismatch: it is a programming error. ByMatrix checks its inputs and returns errors.
func Matrix(p *conv.Problem, w []float64) *mat.Dense {
	if p.Op == conv.OpDeconv {
		q := mirrored(p)
		m := convMatrix(&q, w)
		var t mat.Dense
		t.CloneFrom(m.T())
		return &t
	}
	return convMatrix(p, w)
}

// mirrored is the convolution whose adjoint is the deconvolution p: channels
// and spatial sizes swap sides, everything else stays. Its output size along
// each axis is ⌊(O + p_b + p_e − ext_k)/s⌋ + 1 = ⌊s·(I−1)/s⌋ + 1 = I.
func mirrored(p *conv.Problem) conv.Problem {
	q := *p
	q.Op = conv.OpConv
	q.IC, q.OC = p.OC, p.IC
	q.I, q.O = p.O, p.I
	return q
}

// convMatrix builds the forward-convolution matrix of p's geometry, one weight
// at a time, from y[oc, o] = Σ_{icg, k} w[oc, icg, k] · x[g·ICG + icg, o·s − p + k·d].
func convMatrix(p *conv.Problem, w []float64) *mat.Dense {
	kernelLen := p.OC * p.ICG() * p.Taps()
	if len(w) != kernelLen {
		panic(fmt.Sprintf("oracles.Matrix: w has %d elements, want %d = OC·IC/G·ΠK for %s", len(w), kernelLen, p.Command()))
	}
	nI, nO := conv.Spatial(p.I), conv.Spatial(p.O)
	m := mat.NewDense(p.OC*nO, p.IC*nI, nil)
	raw := m.RawMatrix()
	icg, ocg := p.ICG(), p.OCG()
	for oc := 0; oc < p.OC; oc++ {
		g := oc / ocg
		for o := 0; o < nO; o++ {
			od, oh, ow := unflat(o, p.O)
			row := raw.Data[(oc*nO+o)*raw.Stride:][:raw.Cols]
			for c := 0; c < icg; c++ {
				ic := g*icg + c
				for kd := 0; kd < p.K[conv.D]; kd++ {
					id := od*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
					if id < 0 || id >= p.I[conv.D] {
						continue
					}
					for kh := 0; kh < p.K[conv.H]; kh++ {
						ih := oh*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
						if ih < 0 || ih >= p.I[conv.H] {
							continue
						}
						for kw := 0; kw < p.K[conv.W]; kw++ {
							iw := ow*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
							if iw < 0 || iw >= p.I[conv.W] {
								continue
							}
							wi := (((oc*icg+c)*p.K[conv.D]+kd)*p.K[conv.H]+kh)*p.K[conv.W] + kw
							row[ic*nI+(id*p.I[conv.H]+ih)*p.I[conv.W]+iw] += w[wi]
						}
					}
				}
			}
		}
	}
	return m
}

// unflat splits a flat D·H·W index of a [D, H, W] grid.
func unflat(i int, sz [3]int) (d, h, w int) {
	w = i % sz[conv.W]
	i /= sz[conv.W]
	return i / sz[conv.H], i % sz[conv.H], w
}

// CheckMatrixSize returns an error naming the size if p's matrix has more than
// MaxMatrixElems entries.
func CheckMatrixSize(p *conv.Problem) error {
	rows := float64(p.OC) * float64(conv.Spatial(p.O))
	cols := float64(p.IC) * float64(conv.Spatial(p.I))
	if rows*cols > MaxMatrixElems {
		return fmt.Errorf("matrix: (oc·ΠO)×(ic·ΠI) = %.0f×%.0f = %.3g elements exceeds the matrix oracle's limit of %d",
			rows, cols, rows*cols, MaxMatrixElems)
	}
	return nil
}

// ByMatrix runs any op through its matrix, sample by sample:
//
//	y[n] = M_n · x[n] + b_n
//
// where M_n is Matrix(p, w) for conv and deconv, MatrixDeform(p, w, offset,
// mask, n) for deform, and Matrix of the mixed kernel of sample n for dynamic
// (b_n then the mixed bias). It returns an error naming the field for an
// invalid problem or input, and naming the size for a matrix over MaxMatrixElems.
func ByMatrix(p *conv.Problem, in conv.Inputs[float64]) ([]float64, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := in.Check(p); err != nil {
		return nil, err
	}
	if err := CheckMatrixSize(p); err != nil {
		return nil, err
	}
	nI, nO := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
	out := make([]float64, p.MB*nO)
	var alpha [][]float64
	if p.Op == conv.OpDynamic {
		alpha = RoutingWeights(p, in)
	}
	var m *mat.Dense
	for n := 0; n < p.MB; n++ {
		bias := in.B
		switch p.Op {
		case conv.OpConv, conv.OpDeconv:
			if m == nil {
				m = Matrix(p, in.W)
			}
		case conv.OpDeform:
			m = MatrixDeform(p, in.W, in.Offset, in.Mask, n)
		case conv.OpDynamic:
			var w []float64
			w, bias = mixKernel(p, in, alpha[n])
			m = Matrix(p, w)
		}
		x := mat.NewVecDense(nI, in.X[n*nI:(n+1)*nI])
		y := mat.NewVecDense(nO, out[n*nO:(n+1)*nO])
		y.MulVec(m, x)
		addBias(out[n*nO:(n+1)*nO], bias, conv.Spatial(p.O))
	}
	return out, nil
}

// addBias adds b[oc] to every element of channel oc of one sample (b nil: no bias).
func addBias(y, b []float64, spatial int) {
	for oc, v := range b {
		for i := range y[oc*spatial : (oc+1)*spatial] {
			y[oc*spatial+i] += v
		}
	}
}
