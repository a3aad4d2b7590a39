package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

func deconvCol2imVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "deconv-col2im",
			Ops:      []conv.Op{conv.OpDeconv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: each output is bias + Σ over taps of one GEMM dot product
			// over IC/G channels; at most (IC/G)·taps products in all, summed
			// with at most that many roundings.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			deconvCol2im(p, in.X, in.W, in.B, out, workers)
			return nil
		},
	}
}

// deconvCol2im computes the transposed convolution
//
//	y[n, g·OCG+o, i·S − P + k·D] += x[n, g·ICG+c, i]·w[g·ICG+c, o, k]
//
// as col_{n,g} = W_gᵀ·X_{n,g}, an (OCG·taps) × Spatial(I) GEMM, followed by
// col2im: each column entry (o, k, i) is added to the output position
// i·S − P + k·D when that lies inside [0, O) (output padding and negative end
// padding only change O). Output channels are independent in col2im, so they
// are the parallel tasks; the GEMM splits over fixed column tiles.
func deconvCol2im(p *conv.Problem, x, w, b, out []float32, workers int) {
	icg, ocg := p.ICG(), p.OCG()
	taps := p.Taps()
	rows := ocg * taps
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	// wt[g] is W_gᵀ: rows (o, k), columns c.
	wt := make([]float32, p.G*rows*icg)
	for g := 0; g < p.G; g++ {
		for c := 0; c < icg; c++ {
			src := w[(g*icg+c)*rows : (g*icg+c+1)*rows]
			for r, v := range src {
				wt[(g*rows+r)*icg+c] = v
			}
		}
	}
	colBuf := getBuf(rows * isp)
	defer bufPool.Put(colBuf)
	if cap(*colBuf) < rows*isp {
		*colBuf = make([]float32, rows*isp)
	}
	col := (*colBuf)[:rows*isp]
	tiles := ceilDiv(isp, colTile)
	// Valid input span per tap along each axis: 0 ≤ i·S − P + k·Dil < O.
	span := func(a, k int) (lo, hi int) {
		off := k*p.Dil[a] - p.PBegin[a]
		if off < 0 {
			lo = ceilDiv(-off, p.S[a])
		}
		if last := p.O[a] - 1 - off; last >= 0 {
			hi = last/p.S[a] + 1
		}
		return min(lo, p.I[a]), min(hi, p.I[a])
	}
	for _, a := range p.Axes() {
		hitIf(p.PEnd[a] < 0, pathCol2imNegEnd)
		hitIf(p.OutputPadding(a) > 0, pathCol2imOutPad)
	}
	for n := 0; n < p.MB; n++ {
		for g := 0; g < p.G; g++ {
			xg := x[(n*p.IC+g*icg)*isp:]
			forEach(workers, tiles, func(_, t int) {
				j0, j1 := t*colTile, min(isp, (t+1)*colTile)
				hitIf(tiles > 1 && j1-j0 < colTile, pathCol2imTileRem)
				asmGemm(rows, j1-j0, icg, wt[g*rows*icg:], icg, xg[j0:], isp, 0, col[j0:], isp)
			})
			forEach(workers, ocg, func(_, o int) {
				oc := g*ocg + o
				y := out[(n*p.OC+oc)*osp : (n*p.OC+oc+1)*osp]
				bias := float32(0)
				if b != nil {
					bias = b[oc]
				}
				fill(y, bias)
				var tapOut, crop bool
				for kd := 0; kd < p.K[0]; kd++ {
					dlo, dhi := span(0, kd)
					for kh := 0; kh < p.K[1]; kh++ {
						hlo, hhi := span(1, kh)
						for kw := 0; kw < p.K[2]; kw++ {
							wlo, whi := span(2, kw)
							if wlo >= whi || dlo >= dhi || hlo >= hhi {
								tapOut = true
								continue
							}
							crop = crop || dlo > 0 || hlo > 0 || wlo > 0 || dhi < p.I[0] || hhi < p.I[1] || whi < p.I[2]
							tap := (kd*p.K[1]+kh)*p.K[2] + kw
							cr := col[(o*taps+tap)*isp : (o*taps+tap+1)*isp]
							owOff := kw*p.Dil[2] - p.PBegin[2]
							// the problem's sizes as locals: the stores into y
							// would otherwise reload them from p every row
							IH, IW, OH, OW, SW := p.I[1], p.I[2], p.O[1], p.O[2], p.S[2]
							ohOff := kh*p.Dil[1] - p.PBegin[1]
							for id := dlo; id < dhi; id++ {
								od := id*p.S[0] - p.PBegin[0] + kd*p.Dil[0]
								for ih := hlo; ih < hhi; ih++ {
									oh := ih*p.S[1] + ohOff
									src := cr[(id*IH+ih)*IW+wlo : (id*IH+ih)*IW+whi]
									dst := y[(od*OH+oh)*OW : (od*OH+oh+1)*OW]
									switch SW {
									case 1:
										addTo(dst[wlo+owOff:whi+owOff], src)
									case 2:
										addTo2(dst[2*wlo+owOff:], src)
									default:
										d := dst[wlo*SW+owOff : (whi-1)*SW+owOff+1]
										for i, v := range src {
											d[i*SW] += v
										}
									}
								}
							}
						}
					}
				}
				hitIf(tapOut, pathCol2imTapOut)
				hitIf(crop, pathCol2imCrop)
				if p.S[2] == 1 {
					hit(pathCol2imUnit)
				} else {
					hit(pathCol2imStrided)
				}
			})
		}
	}
}

// addTo sets y[i] += x[i].
// addTo2 sets y[2i] += x[i] (len(y) ≥ 2·len(x) − 1).
func addTo2(y, x []float32) {
	if len(x) == 0 {
		return
	}
	y = y[:2*len(x)-1]
	for i, v := range x {
		y[2*i] += v
	}
}

func addTo(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

func deconvZeroInsertVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "deconv-zeroinsert",
			Ops:      []conv.Op{conv.OpDeconv},
			Supports: func(p *conv.Problem) error { _, err := zeroInsertProblem(p); return err },
			// C = 1: the forward convolution's terms are the transposed
			// convolution's products plus exact zeros (inserted or padding).
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			q, err := zeroInsertProblem(p)
			if err != nil {
				return err
			}
			z := zeroInsert(p, &q, in.X)
			wq := flipSwap(p, in.W)
			convGemm(&q, z, wq, in.B, out, workers, asmGemm, true)
			return nil
		},
	}
}

// zeroInsertMaxBytes caps the zero-inserted input, Π S larger than x.
const zeroInsertMaxBytes = 1 << 30

// zeroInsertProblem returns the forward convolution equal to the transposed
// convolution p: along each axis, z holds x with S−1 zeros between elements
// (length S·(I−1)+1); then
//
//	y[o] = Σ_k z[o + P − k·D]·w[k] = Σ_k' z[o − P' + k'·D]·w[K−1−k'],  P' = D·(K−1) − P
//
// a stride-1 convolution with begin padding P' and the flipped kernel. P' < 0
// (padding wider than the dilated kernel) crops −P' leading elements of z
// instead; the end padding is whatever gives O outputs, negative for a
// cropped end and positive for output padding.
func zeroInsertProblem(p *conv.Problem) (conv.Problem, error) {
	q := conv.New(conv.OpConv, p.Rank)
	q.MB, q.G, q.IC, q.OC = p.MB, p.G, p.IC, p.OC
	for _, a := range p.Axes() {
		ek := p.ExtK(a)
		pb := ek - 1 - p.PBegin[a]
		crop := 0
		if pb < 0 {
			crop, pb = -pb, 0
		}
		i := p.S[a]*(p.I[a]-1) + 1 - crop
		if i < 1 {
			i = 1 // every element of z was cropped: keep one zero
		}
		q.I[a], q.K[a], q.Dil[a], q.PBegin[a] = i, p.K[a], p.Dil[a], pb
		q.PEnd[a] = p.O[a] + ek - 1 - pb - i
	}
	if err := q.Resolve(); err != nil {
		return q, fmt.Errorf("deconv-zeroinsert: equivalent convolution: %w", err)
	}
	if q.O != p.O {
		return q, fmt.Errorf("deconv-zeroinsert: equivalent convolution has output %v, want %v", q.O, p.O)
	}
	if b := 4 * float64(conv.Elems(q.SrcShape())); b > zeroInsertMaxBytes {
		return q, fmt.Errorf("deconv-zeroinsert: zero-inserted input needs %.0f MiB, over %d MiB", b/(1<<20), zeroInsertMaxBytes>>20)
	}
	return q, nil
}

// zeroInsert builds z [MB, IC, q.I…]: x[i] lands at i·S − crop.
func zeroInsert(p, q *conv.Problem, x []float32) []float32 {
	zsp, isp := conv.Spatial(q.I), conv.Spatial(p.I)
	z := make([]float32, p.MB*p.IC*zsp)
	var crop [3]int
	for _, a := range p.Axes() {
		crop[a] = max(0, p.PBegin[a]-(p.ExtK(a)-1))
		hitIf(crop[a] > 0, pathZeroInsCrop)
	}
	for nc := 0; nc < p.MB*p.IC; nc++ {
		xs, zs := x[nc*isp:(nc+1)*isp], z[nc*zsp:(nc+1)*zsp]
		for id := 0; id < p.I[0]; id++ {
			jd := id*p.S[0] - crop[0]
			if jd < 0 || jd >= q.I[0] {
				continue
			}
			for ih := 0; ih < p.I[1]; ih++ {
				jh := ih*p.S[1] - crop[1]
				if jh < 0 || jh >= q.I[1] {
					continue
				}
				for iw := 0; iw < p.I[2]; iw++ {
					if jw := iw*p.S[2] - crop[2]; jw >= 0 && jw < q.I[2] {
						zs[(jd*q.I[1]+jh)*q.I[2]+jw] = xs[(id*p.I[1]+ih)*p.I[2]+iw]
					}
				}
			}
		}
	}
	return z
}

// flipSwap turns deconv weights [IC, OC/G, K…] into forward weights
// [OC, IC/G, K…] with every spatial axis reversed.
func flipSwap(p *conv.Problem, w []float32) []float32 {
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	wq := make([]float32, p.OC*icg*taps)
	for g := 0; g < p.G; g++ {
		for c := 0; c < icg; c++ {
			for o := 0; o < ocg; o++ {
				src := w[((g*icg+c)*ocg+o)*taps:][:taps]
				dst := wq[((g*ocg+o)*icg+c)*taps:][:taps]
				for t, v := range src {
					dst[taps-1-t] = v // reversing the flat (kd, kh, kw) index reverses each axis
				}
			}
		}
	}
	return wq
}
