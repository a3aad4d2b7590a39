package reference

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Grads are the gradients one backward direction writes; a field the
// direction does not write is nil (conv.Problem.Tensors names them).
type Grads = conv.Grads[float64]

// Backward computes the gradients that p.Dir writes, at the inputs in, along
// dy (shaped as the output). It checks every length first and names the
// tensor and the direction on a mismatch; a forward direction is an error.
func Backward(p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, error) {
	if !p.Dir.Backward() {
		return Grads{}, fmt.Errorf("dir: %s is not a backward direction", p.Dir)
	}
	if err := p.Validate(); err != nil {
		return Grads{}, err
	}
	if err := conv.CheckReads(p, in, dy); err != nil {
		return Grads{}, err
	}
	var g Grads
	switch p.Op {
	case conv.OpConv:
		if p.Dir == conv.DirBwdD {
			g.DX = ConvBackwardData(p, dy, in.W)
		} else {
			g.DW = ConvBackwardWeights(p, in.X, dy)
		}
	case conv.OpDeconv:
		if p.Dir == conv.DirBwdD {
			g.DX = DeconvBackwardData(p, dy, in.W)
		} else {
			g.DW = DeconvBackwardWeights(p, in.X, dy)
		}
	case conv.OpDeform:
		w := in.W
		if p.Dir != conv.DirBwdD {
			w = make([]float64, conv.Elems(p.WeightShape())) // not read for dw
		}
		dg := DeformBackward(p, in.X, w, in.Offset, in.Mask, dy)
		if p.Dir == conv.DirBwdD {
			g.DX, g.DOffset, g.DMask = dg.DX, dg.DOffset, dg.DMask
		} else {
			g.DW = dg.DW
		}
	case conv.OpDynamic:
		dg := DynamicBackward(p, in.X, in.W, in.B, in.RouteW, in.RouteB, dy)
		if p.Dir == conv.DirBwdD {
			g.DX = dg.DX
		} else {
			g.DW, g.DRouteW, g.DRouteB = dg.DW, dg.DRouteW, dg.DRouteB
			if p.Dir == conv.DirBwdWB {
				g.DB = dg.DB
			}
		}
	}
	if p.Dir == conv.DirBwdWB && p.Op != conv.OpDynamic {
		g.DB = BiasGrad(p, dy)
	}
	return g, nil
}
