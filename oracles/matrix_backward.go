package oracles

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/convverify/convverify/conv"
)

// BackwardDataByMatrix is the gradient of the input as the dense matrix
// transposed: the forward pass of sample n is y[n] = M_n·x[n] + b, so
//
//	dx[n] = M_nᵀ · dy[n]
//
// with M_n = Matrix(p, w) for conv and deconv and MatrixDeform(p, w, offset,
// mask, n) for deform (whose value is linear in x at fixed offsets and mask).
// A dynamic convolution is not linear in x (the routing reads it), so it has
// no such matrix and is refused. dy is [MB, OC, O…]; the result [MB, IC, I…].
func BackwardDataByMatrix(p *conv.Problem, in conv.Inputs[float64], dy []float64) ([]float64, error) {
	if p.Op == conv.OpDynamic {
		return nil, fmt.Errorf("op: dynamic is not linear in x; its dx has no matrix")
	}
	if err := checkBackward(p, in, dy); err != nil {
		return nil, err
	}
	nI, nO := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
	dx := make([]float64, p.MB*nI)
	var m *mat.Dense
	for n := 0; n < p.MB; n++ {
		if p.Op == conv.OpDeform {
			m = MatrixDeform(p, in.W, in.Offset, in.Mask, n)
		} else if m == nil {
			m = Matrix(p, in.W)
		}
		g := mat.NewVecDense(nO, dy[n*nO:(n+1)*nO])
		d := mat.NewVecDense(nI, dx[n*nI:(n+1)*nI])
		d.MulVec(m.T(), g)
	}
	return dx, nil
}

// BackwardWeightsByMatrix is the gradient of the weights of conv or deconv
// read off the matrix: every entry of M is one weight (for a given output and
// input position at most one tap k solves i = o·s − p_begin + k·d), so
// building M with the weights replaced by their index + 1 labels each entry,
// and
//
//	dw[j] = Σ_n Σ_{(r, c) : M[r, c] = j + 1} dy[n, r] · x[n, c].
//
// Deform entries may sum several taps (the bilinear corners overlap) and
// dynamic weights are mixed, so both are refused.
func BackwardWeightsByMatrix(p *conv.Problem, in conv.Inputs[float64], dy []float64) ([]float64, error) {
	if p.Op != conv.OpConv && p.Op != conv.OpDeconv {
		return nil, fmt.Errorf("op: %s has no weight-labelled matrix", p.Op)
	}
	if err := checkBackward(p, in, dy); err != nil {
		return nil, err
	}
	nW := conv.Elems(p.WeightShape())
	label := make([]float64, nW)
	for j := range label {
		label[j] = float64(j + 1) // exact: nW is far below 2⁵³
	}
	m := Matrix(p, label)
	nI, nO := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
	dw := make([]float64, nW)
	for r := 0; r < nO; r++ {
		for c := 0; c < nI; c++ {
			j := int(m.At(r, c)) - 1
			if j < 0 {
				continue
			}
			for n := 0; n < p.MB; n++ {
				dw[j] += dy[n*nO+r] * in.X[n*nI+c]
			}
		}
	}
	return dw, nil
}

func checkBackward(p *conv.Problem, in conv.Inputs[float64], dy []float64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := in.Check(p); err != nil {
		return err
	}
	if n := conv.Elems(p.DstShape()); len(dy) != n {
		return fmt.Errorf("dy: %d elements, want %d for shape %s", len(dy), n, conv.ShapeString(p.DstShape()))
	}
	return CheckMatrixSize(p)
}
