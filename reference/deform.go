package reference

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// Deform is the 2D deformable convolution (torchvision deform_conv2d, ONNX
// DeformConv); mask nil is DCNv1, otherwise DCNv2:
//
//	y[n, m, oh, ow] = b[m] + Σ_{c < IC/G} Σ_{kh, kw} bilinear(x[n, ic], py, px) · mask[n, kidx, oh, ow] · w[m, c, kh, kw]
//	py = oh·SH − PH + kh·DilH + offset[n, 2·kidx, oh, ow]
//	px = ow·SW − PW + kw·DilW + offset[n, 2·kidx + 1, oh, ow]
//
// with ic = g·IC/G + c, offset group dg = ic / (IC/DG) and tap index
// kidx = (dg·KH + kh)·KW + kw. Every tap samples, so each counts as a MAC.
func Deform(p *conv.Problem, x, w, b, offset, mask []float64, c *Counter) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	icPerDG := p.IC / p.DG
	kh, kw := p.K[conv.H], p.K[conv.W]
	// Offsets and mask are [MB, ch, OH, OW]: the activation layout with D = 1.
	offCh, maskCh := 2*p.DG*kh*kw, p.DG*kh*kw
	y := make([]float64, conv.Elems(p.DstShape()))
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			g := m / ocg
			for oh := 0; oh < p.O[conv.H]; oh++ {
				for ow := 0; ow < p.O[conv.W]; ow++ {
					var sum float64
					if b != nil {
						sum = b[m]
					}
					for ci := 0; ci < icg; ci++ {
						ic := g*icg + ci
						dg := ic / icPerDG
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								c.tap()
								c.mac()
								kidx := (dg*kh+i)*kw + j
								dy := offset[at(offCh, p.O, n, 2*kidx, 0, oh, ow)]
								dx := offset[at(offCh, p.O, n, 2*kidx+1, 0, oh, ow)]
								py := float64(oh*p.S[conv.H]-p.PBegin[conv.H]+i*p.Dil[conv.H]) + dy
								px := float64(ow*p.S[conv.W]-p.PBegin[conv.W]+j*p.Dil[conv.W]) + dx
								v := bilinear(p, x, n, ic, py, px)
								if mask != nil {
									v *= mask[at(maskCh, p.O, n, kidx, 0, oh, ow)]
								}
								sum += v * w[at(icg, p.K, m, ci, 0, i, j)]
							}
						}
					}
					y[at(p.OC, p.O, n, m, 0, oh, ow)] = sum
				}
			}
		}
	}
	return y
}

// bilinear reads x[n, ic] at the real position (py, px) with align-corners
// semantics: the four neighbours (⌊py⌋ + {0,1}, ⌊px⌋ + {0,1}) weighted by
// (1 − |py − y|)(1 − |px − x|), each neighbour outside [0, H−1]×[0, W−1]
// contributing 0. An integer position therefore reads its pixel exactly.
func bilinear(p *conv.Problem, x []float64, n, ic int, py, px float64) float64 {
	ih, iw := p.I[conv.H], p.I[conv.W]
	// A point at or beyond one pixel outside has all four neighbours outside.
	// Returning early is the same value, and keeps a huge or NaN offset from
	// reaching the int conversion below.
	if !(py > -1 && py < float64(ih) && px > -1 && px < float64(iw)) {
		return 0
	}
	y0, x0 := math.Floor(py), math.Floor(px)
	ly, lx := py-y0, px-x0
	pix := func(y, x0 int) float64 {
		if !inside(y, ih) || !inside(x0, iw) {
			return 0
		}
		return x[at(p.IC, p.I, n, ic, 0, y, x0)]
	}
	r, s := int(y0), int(x0)
	return (1-ly)*(1-lx)*pix(r, s) +
		(1-ly)*lx*pix(r, s+1) +
		ly*(1-lx)*pix(r+1, s) +
		ly*lx*pix(r+1, s+1)
}
