package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Backward weights of conv and deconv (issue 12), one GEMM per task with the
// reduction over batch and space:
//
//	conv:    dw[g·OCG + m, c, k] = Σ_n Σ_o dy[n, g·OCG + m, o] · x[n, g·ICG + c, o·S − P + k·D]
//	deconv:  dw[g·ICG + c, m, k] = Σ_n Σ_i x[n, g·ICG + c, i] · dy[n, g·OCG + m, i·S − P + k·D]
//
// Both are R[(c', k), m'] = Σ_n Σ_j col[(c', k), j] · plain[m', j], where
// col is the im2col of a "gathered" tensor over a convolution geometry and
// plain the other tensor: for conv the gathered tensor is x (geometry p,
// j over the outputs), plain dy; for deconv the gathered tensor is dy over
// the geometry of deconvDataAsConv (input O, outputs I: j over the deconv's
// input positions), plain x. In both dw[(g·P' + m')·C'·taps + c'·taps + k]
// = R[(c', k), m'], with C' and P' the channels per group of the gathered
// and plain tensors. Each dw element sums MB·J products (J = Spatial(O) for
// conv, Spatial(I) for deconv; padding taps add exact zeros), so
// BoundC = 1 with N = MB·J; db sums MB·Spatial(O) (biasGrad).

func init() {
	registerGrad(GradVariant{
		Name:     "bwd-weights-gemm",
		Ops:      []conv.Op{conv.OpConv, conv.OpDeconv},
		Dirs:     []conv.Dir{conv.DirBwdW, conv.DirBwdWB},
		Supports: func(p *conv.Problem) error { _, err := weightsGeometry(p); return err },
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			q, err := weightsGeometry(p)
			if err != nil {
				return err
			}
			gat, plain := in.X, dy
			if p.Op == conv.OpDeconv {
				gat, plain = dy, in.X
			}
			runWeightsGemm(&q, gat, plain, g.DW, workers)
			if g.DB != nil {
				biasGrad(p, dy, g.DB)
			}
			return nil
		},
		// C = 1: each dw element is a float32 sum of its MB·J products in a
		// fixed order (GEMM k-blocks within a column tile, tiles, images).
		BoundC:        1,
		Exact:         true,
		Deterministic: true,
		Kernel:        gemmKernel,
	})
}

// weightsGeometry returns the convolution whose im2col is the gathered
// tensor of p's backward weights (see above): p itself for conv, with IC
// the gathered channels and OC the plain ones; for deconv the conv of
// deconvDataAsConv (IC = p.OC channels of dy gathered, OC = p.IC of x).
func weightsGeometry(p *conv.Problem) (conv.Problem, error) {
	switch p.Op {
	case conv.OpConv:
		q := *p
		q.Dir = conv.DirFwdD
		return q, nil
	case conv.OpDeconv:
		return deconvDataAsConv(p)
	}
	return conv.Problem{}, fmt.Errorf("bwd-weights-gemm: op %v", p.Op)
}

// runWeightsGemm computes dw from the gathered tensor gat [MB, q.IC, q.I…]
// and the plain tensor plain [MB, q.OC, q.O…] (see above). Tasks are
// (group, block of gathered channels); a task owns its rows of R, a
// (rows × OCG') accumulator, and runs over the images and the column
// tiles of colTile positions (the whole image for a pointwise geometry),
// in order: it gathers its rows of col (the gathered tensor itself for a
// pointwise geometry) and adds col · plainᵀ into the accumulator with one
// GEMM whose reduction is the tile's positions; plainᵀ (positions × OCG'
// per image and group) is made once per run, before the tasks. Every dw element
// is summed in one task, in an order fixed by the problem alone.
func runWeightsGemm(q *conv.Problem, gat, plain, dw []float32, workers int) {
	ex := newOneShot(workers)
	defer ex.release()
	gcg, pcg, taps := q.ICG(), q.OCG(), q.Taps()
	gsp, jsp := conv.Spatial(q.I), conv.Spatial(q.O)
	cbs := gradChannelBlock(gcg, taps)
	cblocks := ceilDiv(gcg, cbs)
	ident := isIdentityGather(q)
	// a pointwise geometry gathers nothing: one GEMM per image, its
	// reduction the whole image (the GEMM's own k-blocks order it)
	tile := colTile
	if ident {
		tile = jsp
	}
	nt := min(tile, jsp)
	ex.useGemm(cbs*taps, pcg, nt)
	var cols [][]float32
	if !ident {
		cols = ex.perWorker(cbs * taps * nt)
	}
	// plainT[n, g] is plain's (image, group) block transposed, (J × OCG'):
	// made once, not once per channel block, in tasks of colTile positions
	plainT := ex.scratch(len(plain))
	ptiles := ceilDiv(jsp, colTile)
	ex.forEach(q.MB*q.G*ptiles, func(_, t int) {
		ng, j0 := t/ptiles, (t%ptiles)*colTile
		j1 := min(jsp, j0+colTile)
		blk := plainT[ng*jsp*pcg : (ng+1)*jsp*pcg]
		transposeTile(plain[ng*pcg*jsp+j0:], jsp, pcg, j1-j0, blk[j0*pcg:])
	})
	accs := ex.perWorker(cbs * taps * pcg)
	ex.forEach(q.G*cblocks, func(wk, t int) {
		cb, g := t%cblocks, t/cblocks
		c0 := cb * cbs
		nc := min(cbs, gcg-c0)
		rows := nc * taps
		acc := accs[wk][:rows*pcg]
		ws := ex.gemmWS(wk)
		beta := float32(0)
		for n := 0; n < q.MB; n++ {
			gsrc := gat[(n*q.IC+g*gcg+c0)*gsp : (n*q.IC+g*gcg+c0+nc)*gsp]
			pt := plainT[(n*q.G+g)*jsp*pcg : (n*q.G+g+1)*jsp*pcg]
			for j0 := 0; j0 < jsp; j0 += tile {
				j1 := min(jsp, j0+tile)
				w := j1 - j0
				var a []float32
				lda := w
				if ident {
					a, lda = gsrc[j0:], gsp
				} else {
					a = cols[wk][:rows*w]
					im2colTile(q, gsrc, nc, j0, j1, a)
				}
				asmGemm(ws, rows, pcg, w, a, lda, pt[j0*pcg:], pcg, beta, acc, pcg)
				beta = 1
			}
		}
		for m := 0; m < pcg; m++ {
			dst := dw[((g*pcg+m)*gcg+c0)*taps:][:rows]
			for r := range dst {
				dst[r] = acc[r*pcg+m]
			}
		}
	})
}

// transposeTile sets dst[j·rows + r] = src[r·ld + j] for r < rows, j < cols.
func transposeTile(src []float32, ld, rows, cols int, dst []float32) {
	const blk = 16
	for r0 := 0; r0 < rows; r0 += blk {
		r1 := min(rows, r0+blk)
		for j0 := 0; j0 < cols; j0 += blk {
			j1 := min(cols, j0+blk)
			for r := r0; r < r1; r++ {
				s := src[r*ld+j0 : r*ld+j1]
				for j, v := range s {
					dst[(j0+j)*rows+r] = v
				}
			}
		}
	}
}
