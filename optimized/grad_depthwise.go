package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Depthwise gradients (G = IC: one input channel per group, OC = IC·mult,
// output channel oc reads input channel oc/mult) by direct loops:
//
//	dx[n, c, o·S − P + k·D] += dy[n, c·mult + j, o] · w[c·mult + j, k]   (j < mult)
//	dw[oc, k] = Σ_n Σ_o dy[n, oc, o] · x[n, oc/mult, o·S − P + k·D]
//
// dx elements sum at most mult·taps products (N = OCG·taps), dw elements
// MB·Spatial(O) (N = MB·Spatial(O)), db as biasGrad: BoundC = 1 for all.

func init() {
	registerGrad(GradVariant{
		Name: "bwd-depthwise-direct",
		Ops:  []conv.Op{conv.OpConv},
		Dirs: []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB},
		Supports: func(p *conv.Problem) error {
			if p.ICG() != 1 {
				return fmt.Errorf("bwd-depthwise-direct: ic/g = %d, needs one input channel per group (g = ic)", p.ICG())
			}
			return nil
		},
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			if p.Dir == conv.DirBwdD {
				forEach(workers, p.MB*p.IC, func(_, t int) { depthwiseBwdData(p, in.W, dy, g.DX, t/p.IC, t%p.IC) })
				return nil
			}
			forEach(workers, p.OC, func(_, oc int) { depthwiseBwdWeights(p, in.X, dy, g.DW, oc) })
			if g.DB != nil {
				biasGrad(p, dy, g.DB)
			}
			return nil
		},
		// C = 1: direct float32 sums of the products in a fixed order.
		BoundC:        1,
		Exact:         true,
		Deterministic: true,
		Kernel:        func() string { return "go loops" },
	})
}

// dwSpan is the range [lo, hi) of output positions o along axis a whose
// tap k lands inside the input (0 ≤ o·S − P + k·D < I), and the input
// position of o = 0.
func dwSpan(p *conv.Problem, a, k int) (lo, hi, off int) {
	off = k*p.Dil[a] - p.PBegin[a]
	if off < 0 {
		lo = ceilDiv(-off, p.S[a])
	}
	if last := p.I[a] - 1 - off; last >= 0 {
		hi = last/p.S[a] + 1
	}
	return min(lo, p.O[a]), min(hi, p.O[a]), off
}

// depthwiseBwdData writes dx[n, c] (one task: it owns the plane): cleared,
// then for each output channel of c and each tap (in order) the strided
// scatter-add of dy's rows times the tap's weight.
func depthwiseBwdData(p *conv.Problem, w, dy, dx []float32, n, c int) {
	mult, taps := p.OCG(), p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	IH, IW, OH, OW, SW := p.I[1], p.I[2], p.O[1], p.O[2], p.S[2]
	xs := dx[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
	clear(xs)
	for j := 0; j < mult; j++ {
		oc := c*mult + j
		ys := dy[(n*p.OC+oc)*osp : (n*p.OC+oc+1)*osp]
		wc := w[oc*taps : (oc+1)*taps]
		for kd := 0; kd < p.K[0]; kd++ {
			dlo, dhi, doff := dwSpan(p, 0, kd)
			for kh := 0; kh < p.K[1]; kh++ {
				hlo, hhi, hoff := dwSpan(p, 1, kh)
				for kw := 0; kw < p.K[2]; kw++ {
					wlo, whi, woff := dwSpan(p, 2, kw)
					if wlo >= whi {
						continue
					}
					wv := wc[(kd*p.K[1]+kh)*p.K[2]+kw]
					for od := dlo; od < dhi; od++ {
						id := od*p.S[0] + doff
						for oh := hlo; oh < hhi; oh++ {
							ih := oh*p.S[1] + hoff
							src := ys[(od*OH+oh)*OW+wlo : (od*OH+oh)*OW+whi]
							dst := xs[(id*IH+ih)*IW:]
							if SW == 1 {
								axpy(dst[wlo+woff:whi+woff], src, wv)
								continue
							}
							for t, v := range src {
								dst[(wlo+t)*SW+woff] += wv * v
							}
						}
					}
				}
			}
		}
	}
}

// depthwiseBwdWeights writes dw[oc, k] for every tap (one task per output
// channel) and db[oc]: each a float32 sum over the images and the output
// rows in order, a row's products summed in four interleaved partial sums
// (fixed by the row's length) that are then added to the total.
func depthwiseBwdWeights(p *conv.Problem, x, dy, dw []float32, oc int) {
	mult, taps := p.OCG(), p.Taps()
	c := oc / mult
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	IH, IW, OH, OW, SW := p.I[1], p.I[2], p.O[1], p.O[2], p.S[2]
	for kd := 0; kd < p.K[0]; kd++ {
		dlo, dhi, doff := dwSpan(p, 0, kd)
		for kh := 0; kh < p.K[1]; kh++ {
			hlo, hhi, hoff := dwSpan(p, 1, kh)
			for kw := 0; kw < p.K[2]; kw++ {
				wlo, whi, woff := dwSpan(p, 2, kw)
				var sum float32
				for n := 0; n < p.MB && wlo < whi; n++ {
					ys := dy[(n*p.OC+oc)*osp : (n*p.OC+oc+1)*osp]
					xs := x[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
					for od := dlo; od < dhi; od++ {
						id := od*p.S[0] + doff
						for oh := hlo; oh < hhi; oh++ {
							ih := oh*p.S[1] + hoff
							src := ys[(od*OH+oh)*OW+wlo : (od*OH+oh)*OW+whi]
							xr := xs[(id*IH+ih)*IW:]
							if SW == 1 {
								sum += dot32(src, xr[wlo+woff:whi+woff])
								continue
							}
							for t, v := range src {
								sum += v * xr[(wlo+t)*SW+woff]
							}
						}
					}
				}
				dw[oc*taps+(kd*p.K[1]+kh)*p.K[2]+kw] = sum
			}
		}
	}
}

// dot32 is Σ a[i]·b[i] (len(b) ≥ len(a)) in four interleaved float32
// partial sums, added pairwise at the end.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
