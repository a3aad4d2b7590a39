package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Backward data of a convolution (issue 12):
//
//	dx[n, g·ICG + c, o·S − P + k·D] += dy[n, g·OCG + m, o] · w[g·OCG + m, c, k]
//
// summed over m < OCG, the taps k and the output positions o whose tap lands
// inside the input. Each dx element sums at most OCG·taps products (for one
// tap and one input position there is at most one o per axis), so a float32
// sum of them in any order is within γ_{OCG·taps}·Σ|dy·w| of the exact
// value: BoundC = 1 with N = OCG·taps (docs/bounds.md, "Gradients").

func init() {
	registerGrad(GradVariant{
		Name:     "bwd-data-col2im",
		Ops:      []conv.Op{conv.OpConv},
		Dirs:     []conv.Dir{conv.DirBwdD},
		Supports: func(p *conv.Problem) error { return nil },
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			runConvBwdDataCol2im(p, in.W, dy, g.DX, workers)
			return nil
		},
		// C = 1: each dx element is a GEMM dot product over OCG channels per
		// tap, the taps then added by col2im: OCG·taps exact products summed
		// in float32 in a fixed order.
		BoundC:        1,
		Exact:         true,
		Deterministic: true,
		Kernel:        gemmKernel,
	})
	registerGrad(GradVariant{
		Name:     "bwd-data-via-deconv",
		Ops:      []conv.Op{conv.OpConv},
		Dirs:     []conv.Dir{conv.DirBwdD},
		Supports: func(p *conv.Problem) error { _, err := convDataAsDeconv(p); return err },
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			q, err := convDataAsDeconv(p)
			if err != nil {
				return err
			}
			name := viaDeconvVariant(&q)
			v, ok := Lookup(name)
			if !ok {
				return fmt.Errorf("bwd-data-via-deconv: forward variant %s not registered", name)
			}
			if err := v.Run(&q, conv.Inputs[float32]{X: dy, W: in.W}, g.DX, workers); err != nil {
				return fmt.Errorf("bwd-data-via-deconv: %w", err)
			}
			return nil
		},
		// C = 1: the forward deconv variant's bound (deconv-zeroinsert and
		// deconv-col2im: C = 1, N = its IC/G·taps = this conv's OCG·taps),
		// the products being the same dy·w (zero insertion and padding add
		// exact zeros).
		BoundC:        1,
		Exact:         true,
		Deterministic: true,
		Kernel:        gemmKernel,
	})
}

// viaDeconvVariant is the forward deconv variant bwd-data-via-deconv runs
// for the deconvolution q: at unit stride with more than one tap
// deconv-zeroinsert, which inserts no zeros then and is the forward im2col
// GEMM on dy with the flipped kernel (the conv's forward speed, no
// scatter); otherwise deconv-col2im (GEMM Wᵀ·dy, then col2im), which
// computes no inserted zeros and, for one tap, only adds the GEMM's
// columns in place.
func viaDeconvVariant(q *conv.Problem) string {
	if q.S == [3]int{1, 1, 1} && q.Taps() > 1 {
		if v, ok := Lookup("deconv-zeroinsert"); ok && v.Supports(q) == nil {
			return "deconv-zeroinsert"
		}
	}
	return "deconv-col2im"
}

// convDataAsDeconv returns the transposed convolution whose forward pass is
// the conv p's backward data: input dy [MB, OC, O…], output dx [MB, IC,
// I…], the same kernel, stride, dilation and begin padding, and the conv's
// weights [OC, IC/G, K…] read as deconv weights [IC', OC'/G, K…] with
// IC' = OC, OC' = IC (the same memory). Along each axis the deconv's
// output is S·(O−1) + ext − PBegin − PEnd' and must be I; the conv's floor
// drops r = (I + PBegin + PEnd − ext) mod S trailing input positions that
// no tap reads, which the deconv gets back as output padding: PEnd' =
// PEnd − r (their gradient is 0, and the deconv writes 0 there).
func convDataAsDeconv(p *conv.Problem) (conv.Problem, error) {
	q := conv.New(conv.OpDeconv, p.Rank)
	q.MB, q.G, q.IC, q.OC = p.MB, p.G, p.OC, p.IC
	for _, a := range p.Axes() {
		r := (p.I[a] + p.PBegin[a] + p.PEnd[a] - p.ExtK(a)) % p.S[a]
		q.I[a], q.K[a], q.S[a], q.Dil[a] = p.O[a], p.K[a], p.S[a], p.Dil[a]
		q.PBegin[a], q.PEnd[a] = p.PBegin[a], p.PEnd[a]-r
	}
	if err := q.Resolve(); err != nil {
		return q, fmt.Errorf("backward data as a deconvolution: %w", err)
	}
	if q.O != p.I {
		return q, fmt.Errorf("backward data as a deconvolution: output %v, want the input %v", q.O, p.I)
	}
	return q, nil
}

// deconvDataAsConv returns the convolution whose forward pass is the deconv
// p's backward data: input dy [MB, OC, O…], output dx [MB, IC, I…], the
// same kernel, stride, dilation and padding, and the deconv's weights
// [IC, OC/G, K…] read as conv weights [OC', IC'/G, K…] with OC' = IC,
// IC' = OC (the same memory). Its output size is
// ⌊(S·(I−1) + ext − PBegin − PEnd + PBegin + PEnd − ext)/S⌋ + 1 = I exactly.
func deconvDataAsConv(p *conv.Problem) (conv.Problem, error) {
	q := conv.New(conv.OpConv, p.Rank)
	q.MB, q.G, q.IC, q.OC = p.MB, p.G, p.OC, p.IC
	for _, a := range p.Axes() {
		q.I[a], q.K[a], q.S[a], q.Dil[a] = p.O[a], p.K[a], p.S[a], p.Dil[a]
		q.PBegin[a], q.PEnd[a] = p.PBegin[a], p.PEnd[a]
	}
	if err := q.Resolve(); err != nil {
		return q, fmt.Errorf("deconvolution as a convolution: %w", err)
	}
	if q.O != p.I {
		return q, fmt.Errorf("deconvolution as a convolution: output %v, want %v", q.O, p.I)
	}
	return q, nil
}

// gradChannelBlock is the number of channels (each taps GEMM rows) per task
// of the gradient GEMMs: about three gemmRows of rows (126 at the production
// size, a multiple of every micro-kernel's MR), fixed by the problem alone.
func gradChannelBlock(channels, taps int) int {
	return max(1, min(channels, 3*gemmRows/taps))
}

// runConvBwdDataCol2im computes the conv p's dx [MB, IC, I…] from dy [MB,
// OC, O…] and w [OC, IC/G, K…] as, per image and group, the GEMM
// col = W_gᵀ · dy_g ((ICG·taps) × Spatial(O), over OCG) followed by the
// col2im scatter-add of col into dx. Tasks are (image, group, block of
// input channels): a task owns its dx channels, clears them, then for each
// column tile of dy (colTile positions, in order) multiplies its rows of
// W_gᵀ and scatters them tap by tap. Every dx element is therefore summed
// in one task in an order fixed by the problem alone. A pointwise problem
// (one tap, stride 1, no padding) has col = dx: the GEMM writes dx.
func runConvBwdDataCol2im(p *conv.Problem, w, dy, dx []float32, workers int) {
	ex := newOneShot(workers)
	defer ex.release()
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	krows := icg * taps
	// wt[g] is W_gᵀ: rows (c, k), columns m
	wt := ex.scratch(p.G * krows * ocg)
	for g := 0; g < p.G; g++ {
		for m := 0; m < ocg; m++ {
			src := w[(g*ocg+m)*krows : (g*ocg+m+1)*krows]
			dst := wt[g*krows*ocg+m:]
			for r, v := range src {
				dst[r*ocg] = v
			}
		}
	}
	cbs := gradChannelBlock(icg, taps)
	cblocks := ceilDiv(icg, cbs)
	ident := isIdentityGather(p)
	nt := min(colTile, osp)
	if ident {
		nt = osp
	}
	ex.useGemm(cbs*taps, nt, ocg)
	var cols [][]float32
	if !ident {
		cols = ex.perWorker(cbs * taps * nt)
	}
	ex.forEach(p.MB*p.G*cblocks, func(wk, t int) {
		cb := t % cblocks
		g := (t / cblocks) % p.G
		n := t / (cblocks * p.G)
		c0 := cb * cbs
		nc := min(cbs, icg-c0)
		rows := nc * taps
		a := wt[(g*krows+c0*taps)*ocg:]
		dyg := dy[(n*p.OC+g*ocg)*osp : (n*p.OC+(g+1)*ocg)*osp]
		dxc := dx[(n*p.IC+g*icg+c0)*isp : (n*p.IC+g*icg+c0+nc)*isp]
		ws := ex.gemmWS(wk)
		if ident {
			asmGemm(ws, rows, osp, ocg, a, ocg, dyg, osp, 0, dxc, isp)
			return
		}
		clear(dxc)
		for j0 := 0; j0 < osp; j0 += colTile {
			j1 := min(osp, j0+colTile)
			col := cols[wk][:rows*(j1-j0)]
			asmGemm(ws, rows, j1-j0, ocg, a, ocg, dyg[j0:], osp, 0, col, j1-j0)
			col2imTile(p, col, nc, j0, j1, dxc)
		}
	})
}

// col2imTile is im2colTile's adjoint: it adds the (nc·taps) × (j1−j0)
// matrix col (rows (c, kd, kh, kw), columns the output positions [j0, j1))
// into x, nc channels of Spatial(I) from the first channel of the block:
//
//	x[c, od·SD−PD+kd·DD, oh·SH−PH+kh·DH, ow·SW−PW+kw·DW] += col[(c,kd,kh,kw), j]
//
// skipping positions outside the input. Rows are added in order, so x's
// elements are summed in an order fixed by the problem.
func col2imTile(p *conv.Problem, col []float32, nc, j0, j1 int, x []float32) {
	nt := j1 - j0
	isp := conv.Spatial(p.I)
	IH, IW := p.I[1], p.I[2]
	OH, OW := p.O[1], p.O[2]
	od0, oh0, ow0 := j0/(OH*OW), (j0/OW)%OH, j0%OW
	r := 0
	for c := 0; c < nc; c++ {
		xc := x[c*isp : (c+1)*isp]
		for kd := 0; kd < p.K[0]; kd++ {
			for kh := 0; kh < p.K[1]; kh++ {
				for kw := 0; kw < p.K[2]; kw++ {
					row := col[r*nt : (r+1)*nt]
					r++
					od, oh, ow := od0, oh0, ow0
					for t := 0; t < nt; {
						cnt := min(OW-ow, nt-t)
						id := od*p.S[0] - p.PBegin[0] + kd*p.Dil[0]
						ih := oh*p.S[1] - p.PBegin[1] + kh*p.Dil[1]
						if id >= 0 && id < p.I[0] && ih >= 0 && ih < IH {
							scatterAddRow(xc[(id*IH+ih)*IW:(id*IH+ih+1)*IW], row[t:t+cnt], ow*p.S[2]-p.PBegin[2]+kw*p.Dil[2], p.S[2])
						}
						t += cnt
						ow = 0
						if oh++; oh == OH {
							oh, od = 0, od+1
						}
					}
				}
			}
		}
	}
}

// scatterAddRow is gatherRow's adjoint: xrow[iw0 + t·s] += seg[t] for every
// t whose index lies inside xrow.
func scatterAddRow(xrow, seg []float32, iw0, s int) {
	lo := 0
	if iw0 < 0 {
		lo = ceilDiv(-iw0, s)
	}
	hi := 0
	if last := len(xrow) - 1 - iw0; last >= 0 {
		hi = last/s + 1
	}
	lo, hi = min(lo, len(seg)), min(hi, len(seg))
	if hi <= lo {
		return
	}
	if s == 1 {
		addTo(xrow[iw0+lo:iw0+hi], seg[lo:hi])
		return
	}
	for t, iw := lo, iw0+lo*s; t < hi; t, iw = t+1, iw+s {
		xrow[iw] += seg[t]
	}
}

// biasGrad sets db[m] = Σ_n Σ_o dy[n, m, o] (every output element adds
// b[m] once), summed in float32 image by image, each image's plane in four
// interleaved partial sums (sum32): an order fixed by the problem, of
// MB·Spatial(O) terms (BoundC 1, N = MB·Spatial(O)).
func biasGrad(p *conv.Problem, dy, db []float32) {
	osp := conv.Spatial(p.O)
	for m := 0; m < p.OC; m++ {
		var s float32
		for n := 0; n < p.MB; n++ {
			s += sum32(dy[(n*p.OC+m)*osp : (n*p.OC+m+1)*osp])
		}
		db[m] = s
	}
}

// sum32 is Σ a[i] in four interleaved float32 partial sums, added
// pairwise at the end.
func sum32(a []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i]
		s1 += a[i+1]
		s2 += a[i+2]
		s3 += a[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i]
	}
	return (s0 + s1) + (s2 + s3)
}
