package oracles

import (
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/mat"
)

// MatrixDeform returns the matrix of the deformable convolution p for sample n
// (DCNv1 when mask is nil, DCNv2 otherwise), built from the bilinear
// coefficients of every sampling point:
//
//	p_y = oh·s_h − p_h + kh·d_h + Δy,   p_x = ow·s_w − p_w + kw·d_w + Δx
//	Δy = offset[n, 2·kidx, oh, ow],     Δx = offset[n, 2·kidx + 1, oh, ow]
//	kidx = (dg·KH + kh)·KW + kw,        dg = ic / (IC/DG)
//
// With y₀ = ⌊p_y⌋, x₀ = ⌊p_x⌋, ly = p_y − y₀, lx = p_x − x₀, the entry of each of
// the four neighbours (y₀ + a, x₀ + b), a, b ∈ {0, 1}, that lies inside the
// unpadded input receives
//
//	w[oc, icg, kh, kw] · mask[n, kidx, oh, ow] · (a ? ly : 1 − ly) · (b ? lx : 1 − lx)
//
// and neighbours outside contribute nothing (zero padding, align-corners
// sampling, as torchvision's deform_conv2d and ONNX DeformConv).
// It panics if the slices disagree with p (a programming error; ByMatrix checks).
func MatrixDeform(p *conv.Problem, w, offset, mask []float64, n int) *mat.Dense {
	ih, iw := p.I[conv.H], p.I[conv.W]
	oh, ow := p.O[conv.H], p.O[conv.W]
	kh, kw := p.K[conv.H], p.K[conv.W]
	taps := p.DG * kh * kw
	if len(w) != p.OC*p.ICG()*kh*kw || len(offset) != p.MB*2*taps*oh*ow || (mask != nil && len(mask) != p.MB*taps*oh*ow) || n < 0 || n >= p.MB {
		panic(fmt.Sprintf("oracles.MatrixDeform: w %d, offset %d, mask %d elements or sample %d disagree with %s",
			len(w), len(offset), len(mask), n, p.Command()))
	}
	nI, nO := ih*iw, oh*ow
	m := mat.NewDense(p.OC*nO, p.IC*nI, nil)
	raw := m.RawMatrix()
	icg, ocg, icPerDG := p.ICG(), p.OCG(), p.IC/p.DG
	off := offset[n*2*taps*nO:]
	var msk []float64
	if mask != nil {
		msk = mask[n*taps*nO:]
	}
	for oc := 0; oc < p.OC; oc++ {
		g := oc / ocg
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				o := y*ow + x
				row := raw.Data[(oc*nO+o)*raw.Stride:][:raw.Cols]
				for c := 0; c < icg; c++ {
					ic := g*icg + c
					dg := ic / icPerDG
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							kidx := (dg*kh+i)*kw + j
							scale := w[((oc*icg+c)*kh+i)*kw+j]
							if msk != nil {
								scale *= msk[kidx*nO+o]
							}
							py := float64(y*p.S[conv.H]-p.PBegin[conv.H]+i*p.Dil[conv.H]) + off[(2*kidx)*nO+o]
							px := float64(x*p.S[conv.W]-p.PBegin[conv.W]+j*p.Dil[conv.W]) + off[(2*kidx+1)*nO+o]
							scatterBilinear(row[ic*nI:(ic+1)*nI], ih, iw, py, px, scale)
						}
					}
				}
			}
		}
	}
	return m
}

// scatterBilinear adds scale times the bilinear coefficients of the point
// (py, px) to the in-image entries of one channel's row segment. A point at or
// beyond one pixel outside the image (or NaN) has no neighbour inside; testing
// that first also keeps the float→int conversion in range.
func scatterBilinear(seg []float64, ih, iw int, py, px, scale float64) {
	if !(py > -1 && py < float64(ih) && px > -1 && px < float64(iw)) {
		return
	}
	y0, x0 := math.Floor(py), math.Floor(px)
	ly, lx := py-y0, px-x0
	iy, ix := int(y0), int(x0)
	for a := 0; a < 2; a++ {
		yy := iy + a
		if yy < 0 || yy >= ih {
			continue
		}
		cy := 1 - ly
		if a == 1 {
			cy = ly
		}
		for b := 0; b < 2; b++ {
			xx := ix + b
			if xx < 0 || xx >= iw {
				continue
			}
			cx := 1 - lx
			if b == 1 {
				cx = lx
			}
			seg[yy*iw+xx] += scale * cy * cx
		}
	}
}
