package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Backward data of a transposed convolution (issue 12):
//
//	dx[n, c, i] = Σ_{m < OCG} Σ_k dy[n, g·OCG + m, i·S − P + k·D] · w[c, m, k]
//
// is the forward convolution of dy with the deconv's geometry and weights
// (deconvDataAsConv): each dx element sums at most OCG·taps products, as
// the forward conv's outputs do, so BoundC = 1 with N = OCG·taps.

func init() {
	registerGrad(GradVariant{
		Name:     "bwd-data-via-conv",
		Ops:      []conv.Op{conv.OpDeconv},
		Dirs:     []conv.Dir{conv.DirBwdD},
		Supports: func(p *conv.Problem) error { _, err := deconvDataAsConv(p); return err },
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			q, err := deconvDataAsConv(p)
			if err != nil {
				return err
			}
			v, ok := Lookup(viaConvVariant)
			if !ok {
				return fmt.Errorf("bwd-data-via-conv: forward variant %s not registered", viaConvVariant)
			}
			if err := v.Run(&q, conv.Inputs[float32]{X: dy, W: in.W}, g.DX, workers); err != nil {
				return fmt.Errorf("bwd-data-via-conv: %w", err)
			}
			return nil
		},
		// C = 1: the forward im2col-gemm's bound (C = 1, N = its IC/G·taps
		// = this deconv's OCG·taps) on the same products dy·w.
		BoundC:        1,
		Exact:         true,
		Deterministic: true,
		Kernel:        gemmKernel,
	})
}

// viaConvVariant is the forward variant bwd-data-via-conv runs.
const viaConvVariant = "im2col-gemm"
