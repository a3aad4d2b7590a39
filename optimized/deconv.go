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
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d := newDeconvCol2im(ex, p, w, b)
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
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
// are the parallel tasks; the GEMM splits over fixed column tiles. The
// transposed weights W_gᵀ are made once, at preparation.
type deconvCol2im struct {
	ex                   *executor
	p                    *conv.Problem
	b                    []float32
	wt                   []float32 // wt[g] is W_gᵀ: rows (o, k), columns c
	col                  []float32
	icg, ocg, taps, rows int
	isp, osp, tiles      int
	n, g                 int       // the current (image, group)
	x, out               []float32 // the current run's
	gemmTask, col2imTask func(wk, task int)
}

func newDeconvCol2im(ex *executor, p *conv.Problem, w, b []float32) *deconvCol2im {
	d := &deconvCol2im{ex: ex, p: p, b: b}
	d.icg, d.ocg, d.taps = p.ICG(), p.OCG(), p.Taps()
	d.rows = d.ocg * d.taps
	d.isp, d.osp = conv.Spatial(p.I), conv.Spatial(p.O)
	icg, rows := d.icg, d.rows
	d.wt = make([]float32, p.G*rows*icg)
	for g := 0; g < p.G; g++ {
		for c := 0; c < icg; c++ {
			src := w[(g*icg+c)*rows : (g*icg+c+1)*rows]
			for r, v := range src {
				d.wt[(g*rows+r)*icg+c] = v
			}
		}
	}
	d.col = ex.scratch(rows * d.isp) // every tile's GEMM writes its columns in full
	d.tiles = ceilDiv(d.isp, colTile)
	ex.useGemm(rows, min(colTile, d.isp), icg)
	d.gemmTask = func(wk, t int) {
		j0, j1 := t*colTile, min(d.isp, (t+1)*colTile)
		hitIf(d.tiles > 1 && j1-j0 < colTile, pathCol2imTileRem)
		xg := d.x[(d.n*d.p.IC+d.g*d.icg)*d.isp:]
		asmGemm(d.ex.gemmWS(wk), d.rows, j1-j0, d.icg, d.wt[d.g*d.rows*d.icg:], d.icg, xg[j0:], d.isp, 0, d.col[j0:], d.isp)
	}
	d.col2imTask = d.runCol2im
	return d
}

func (d *deconvCol2im) run(x, out []float32) {
	p := d.p
	for _, a := range p.Axes() {
		hitIf(p.PEnd[a] < 0, pathCol2imNegEnd)
		hitIf(p.OutputPadding(a) > 0, pathCol2imOutPad)
	}
	d.x, d.out = x, out
	for n := 0; n < p.MB; n++ {
		for g := 0; g < p.G; g++ {
			d.n, d.g = n, g
			d.ex.forEach(d.tiles, d.gemmTask)
			d.ex.forEach(d.ocg, d.col2imTask)
		}
	}
	d.x, d.out = nil, nil
}

// span is the valid input span of tap k along axis a: 0 ≤ i·S − P + k·Dil < O.
func (d *deconvCol2im) span(a, k int) (lo, hi int) {
	p := d.p
	off := k*p.Dil[a] - p.PBegin[a]
	if off < 0 {
		lo = ceilDiv(-off, p.S[a])
	}
	if last := p.O[a] - 1 - off; last >= 0 {
		hi = last/p.S[a] + 1
	}
	return min(lo, p.I[a]), min(hi, p.I[a])
}

func (d *deconvCol2im) runCol2im(_, o int) {
	p, n, g, taps, isp, osp, col, span := d.p, d.n, d.g, d.taps, d.isp, d.osp, d.col, d.span
	oc := g*d.ocg + o
	y := d.out[(n*p.OC+oc)*osp : (n*p.OC+oc+1)*osp]
	bias := float32(0)
	if d.b != nil {
		bias = d.b[oc]
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
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			q, err := zeroInsertProblem(p)
			if err != nil {
				return nil, err
			}
			// z keeps its zeros between runs: zeroInsert writes only the
			// positions of x
			z := ex.floats(conv.Elems(q.SrcShape()))
			c := newConvGemm(ex, &q, flipSwap(p, w), b, asmGemm, true)
			c.implicitB(true)
			return func(in conv.Inputs[float32], out []float32) {
				zeroInsert(p, &q, in.X, z)
				c.run(z, out)
			}, nil
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

// zeroInsert writes x into z [MB, IC, q.I…]: x[i] lands at i·S − crop. It
// writes only those positions; the others must be zero already.
func zeroInsert(p, q *conv.Problem, x, z []float32) {
	zsp, isp := conv.Spatial(q.I), conv.Spatial(p.I)
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
