package optimized

import (
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

func deformVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name: "deform-im2col",
			Ops:  []conv.Op{conv.OpDeform},
			Supports: func(p *conv.Problem) error {
				// the tap tables index a zero-bordered input plane with int32
				if ph, pw := p.I[1]+2, p.I[2]+2; ph*pw >= 1<<31 {
					return fmt.Errorf("deform-im2col: input plane %d×%d too large for int32 indices", p.I[1], p.I[2])
				}
				return nil
			},
			// C = 1: the sampled columns are computed in float32, and their
			// error is already in the magnitude the variant is judged by
			// (docs/bounds.md "Terms computed in float32" and "deform",
			// reference.sampleError): per tap it allows |m|·(E + u·(A+E)),
			// E = L·δ + γ₇·A, for a float32 position, 3 roundings per
			// bilinear weight, 4 in the four-term sum and one for the mask.
			// Here the position and fraction are exact (float64, δ = 0, as
			// the reference), each weight m·wᵢ is computed in float64 (three
			// roundings of 2⁻⁵³) and rounded once to float32, so
			// w̃ᵢ = m·wᵢ(1+αᵢ), |αᵢ| ≤ u + γ₃(2⁻⁵³)(1+u) < 2u, and the
			// sample (w̃₀x₀ + w̃₁x₁) + (w̃₂x₂ + w̃₃x₃) adds one rounding per
			// product and two per sum: each term carries at most 5 roundings
			// of u, |ṽ − m·v| ≤ γ₅·|m|·Σ wᵢ|xᵢ| ≤ γ₅·|m|·A < |m|·γ₇·A. So
			// Σ|w|·|ṽ − m·v| ≤ T, and the GEMM (any order, bias first, K
			// split into offset-group chunks that add into C one after
			// another: still N − 1 additions per term at most) gives
			// |err| ≤ γ_N·Σ|t̃·w| + T ≤ γ_N·mag (conv.MagnitudeOfTermError).
			// A weight below 2⁻¹²⁶ loses its relative accuracy, ≤ 2⁻¹⁵⁰·|x|
			// absolutely, which Abs absorbs as for every float32 product.
			// (Before the fused sampler, C = 2 counted the float64 sample's
			// single rounding on top of the summation, without T.)
			BoundC: 1,
			// Integer offsets put every sample on a pixel (weights m, 0, 0,
			// 0, exact in float32), so integer inputs stay exact.
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d := newDeform(ex, p, w, b)
			return d.run, nil
		},
	}
}

// deform computes a deformable convolution (DCNv1, or DCNv2 with a mask)
// as an implicit GEMM over a deformable im2col: for input channel c of
// offset group dg = c/(IC/DG), tap k = (dg·KH + kh)·KW + kw and output j =
// (oh, ow),
//
//	col[(c, kh, kw), j] = mask[k, j] · bilinear(x[c], oh·SH − PH + kh·DH + Δy[k, j],
//	                                              ow·SW − PW + kw·DW + Δx[k, j])
//
// with neighbours outside the unpadded input reading 0 (torchvision
// deform_conv2d, ONNX DeformConv); then out_g = W_g·col as in im2col-gemm.
//
// The column matrix is never written: the GEMM's B panels are sampled
// straight from the input (deformPanels, gemm.BPanels). The sampling
// positions and weights depend on the offset group, the tap and the output,
// not on the channel: per task (image, group, column tile) they are
// computed once into tap tables (deformTable) and reused by every channel of
// the offset group. The input is copied first, per image, into a
// channel-interleaved image with a one-pixel zero border (xT[pixel][c]), so
// that a sample is one base pixel and four weights whatever its neighbours
// (a neighbour outside the image reads a border 0; a sample entirely outside
// reads the corner with weight 0), and one sample of 16 channels is four
// vector loads (deformPanel). B's rows are therefore taken tap-major within a
// chunk (row t·cc + ci for channel ci of cc, tap t), and the weights are
// permuted to match: the sum over K is the same set of products in another
// order.
type deform struct {
	ex                  *executor
	p                   *conv.Problem
	w, b                []float32
	taps, icg, ocg, cpg int
	k                   int // GEMM depth of a whole group: icg·taps
	osp                 int
	tiles               int
	bounds              []int // tiles+1 column-tile boundaries over [0, osp)
	ntMax, ntPad        int   // widest tile; tap-table row length
	pw, psz             int   // bordered image: row length IW+2, pixels (IH+2)·(IW+2)
	xT                  []float32
	chunks              [][]deformChunk   // per group
	wc                  [][][]float32     // per group and chunk: the permuted weights (ocg × kc), one-shot
	pa                  [][]*gemm.PackedA // per group and chunk: the permuted weights packed, plan
	tabs                []deformTable     // per worker
	pos                 [][]float64       // per worker: the tile's oh·SH, then its ow·SW
	panels              []deformPanels    // per worker
	in                  conv.Inputs[float32]
	out                 []float32 // the current run's
	padTask, task       func(wk, task int)
}

// deformChunk is a run of channels [c0, c1) of one group (absolute channel
// numbers) whose offset groups [dg0, dg1) share one set of tap tables: one
// GEMM of depth (c1−c0)·taps. A group is split into chunks only when its
// offset groups' tables would exceed deformTableBudget.
type deformChunk struct{ c0, c1, dg0, dg1 int }

// deformTableBudget is the most tap-table entries (samples) a chunk holds:
// 16 column tiles' worth (160 KiB at the production tile; at the test tiles
// a 3×3 kernel's offset groups get a chunk each).
func deformTableBudget() int { return 16 * colTile }

// deformTable holds one chunk's samples for one column tile: for table row
// r = (dg − dg0)·taps + tap and column jj of the tile, base[r·ntPad + jj] is
// the bordered pixel of the top-left neighbour and w[(4r + i)·ntPad + jj]
// the weight of neighbour i (top-left, top-right, bottom-left,
// bottom-right), mask included. The 16 columns past the tile are 0 (pixel 0,
// weight 0): deformPanel always samples 16 columns, and those give zeros.
type deformTable struct {
	base []int32
	w    []float32
}

func newDeform(ex *executor, p *conv.Problem, w, b []float32) *deform {
	d := &deform{ex: ex, p: p, w: w, b: b}
	d.taps = p.K[1] * p.K[2]
	d.icg, d.ocg, d.cpg = p.ICG(), p.OCG(), p.IC/p.DG
	d.k = d.icg * d.taps
	d.osp = conv.Spatial(p.O)
	d.tiles = ceilDiv(d.osp, colTile)
	d.bounds = deformTileBounds(d.osp, d.tiles)
	for t := 0; t < d.tiles; t++ {
		d.ntMax = max(d.ntMax, d.bounds[t+1]-d.bounds[t])
	}
	d.ntPad = (d.ntMax + 31) / 16 * 16
	d.pw, d.psz = p.I[2]+2, (p.I[1]+2)*(p.I[2]+2)
	d.xT = ex.floats(p.MB * d.psz * p.IC) // the border stays 0: runs write the interior only
	perChunk := max(1, deformTableBudget()/(d.taps*d.ntMax))
	kMax, dgMax := 0, 0
	d.chunks = make([][]deformChunk, p.G)
	for g := range d.chunks {
		for c0 := g * d.icg; c0 < (g+1)*d.icg; {
			dg0 := c0 / d.cpg
			dg1 := min(dg0+perChunk, p.DG)
			c1 := min((g+1)*d.icg, dg1*d.cpg)
			d.chunks[g] = append(d.chunks[g], deformChunk{c0, c1, dg0, dg1})
			kMax, dgMax = max(kMax, (c1-c0)*d.taps), max(dgMax, dg1-dg0)
			c0 = c1
		}
	}
	ex.useGemm(d.ocg, d.ntMax, kMax)
	// The weights permuted to B's tap-major rows: A[o, t·cc + ci] =
	// W[g·ocg + o, c0 − g·icg + ci, t]; packed once for a plan.
	d.wc = make([][][]float32, p.G)
	d.pa = make([][]*gemm.PackedA, p.G)
	for g, chs := range d.chunks {
		for _, ch := range chs {
			cc := ch.c1 - ch.c0
			kc := cc * d.taps
			a := ex.scratch(d.ocg * kc)
			for o := 0; o < d.ocg; o++ {
				src := w[(g*d.ocg+o)*d.k+(ch.c0-g*d.icg)*d.taps:][:kc]
				dst := a[o*kc : (o+1)*kc]
				for ci := 0; ci < cc; ci++ {
					for t := 0; t < d.taps; t++ {
						dst[t*cc+ci] = src[ci*d.taps+t]
					}
				}
			}
			if ex.oneShot {
				d.wc[g] = append(d.wc[g], a)
			} else {
				d.pa[g] = append(d.pa[g], gemm.PackA(d.ocg, kc, a, kc))
			}
		}
	}
	rows := dgMax * d.taps * d.ntPad
	d.tabs = make([]deformTable, ex.workers)
	d.pos = make([][]float64, ex.workers)
	d.panels = make([]deformPanels, ex.workers)
	for i := range d.tabs {
		d.tabs[i] = deformTable{base: make([]int32, rows), w: ex.scratch(4 * rows)}
		d.panels[i].d = d
		d.pos[i] = make([]float64, 2*d.ntMax)
	}
	d.padTask, d.task = d.runPad, d.runTask
	return d
}

// deformTileBounds splits [0, osp) into tiles column tiles of nearly equal
// width (so that two workers get halves, not 512 and the rest), their
// boundaries rounded to the 48-column panel of the GEMM at the production
// tile size. The split depends on the problem alone.
func deformTileBounds(osp, tiles int) []int {
	gran := 1
	if colTile >= 8*48 {
		gran = 48 // tiles of ≥ colTile/2 ≥ 192 columns lose at most 48 to the rounding
	}
	b := make([]int, tiles+1)
	for i := 1; i < tiles; i++ {
		b[i] = min(osp, (i*osp/tiles+gran/2)/gran*gran)
	}
	b[tiles] = osp
	return b
}

func (d *deform) run(in conv.Inputs[float32], out []float32) {
	d.in, d.out = in, out
	d.ex.forEachAffine(d.p.MB*d.p.I[1], d.padTask)
	d.ex.forEachAffine(d.p.MB*d.p.G*d.tiles, d.task)
	d.in, d.out = conv.Inputs[float32]{}, nil
}

// runPad copies input row task (image·IH + y) of every channel into the
// interior of its image's channel-interleaved bordered copy, in blocks of
// 16 channels × 16 pixels (deformPad).
func (d *deform) runPad(_, task int) {
	p := d.p
	IC, IH, IW := p.IC, p.I[1], p.I[2]
	n, y := task/IH, task%IH
	dst := d.xT[(n*d.psz+(y+1)*d.pw+1)*IC:][:IW*IC]
	src := d.in.X[(n*IC*IH+y)*IW:]
	isp := IH * IW
	for c := 0; c < IC; c += 16 {
		nc := min(16, IC-c)
		for x := 0; x < IW; x += 16 {
			deformPad(dst[x*IC+c:], IC, src[c*isp+x:], isp, min(16, IW-x), nc)
		}
	}
}

// deformPad transposes a block: dst[j·ldd + c] = src[c·lds + j] for j < nx,
// c < nc (nx, nc ≤ 16).
func deformPad(dst []float32, ldd int, src []float32, lds, nx, nc int) {
	_ = dst[(nx-1)*ldd+nc-1]
	_ = src[(nc-1)*lds+nx-1]
	if hasDeformAsm {
		deformPadAsm(dst, ldd, src, lds, nx, nc)
		return
	}
	deformPadGo(dst, ldd, src, lds, nx, nc)
}

func deformPadGo(dst []float32, ldd int, src []float32, lds, nx, nc int) {
	for c := 0; c < nc; c++ {
		s := src[c*lds:][:nx]
		for j, v := range s {
			dst[j*ldd+c] = v
		}
	}
}

func (d *deform) runTask(wk, task int) {
	p, tiles := d.p, d.tiles
	t := task % tiles
	g := (task / tiles) % p.G
	n := task / (tiles * p.G)
	j0, j1 := d.bounds[t], d.bounds[t+1]
	nt := j1 - j0
	hitIf(d.in.Mask != nil, pathDeformMask)
	hitIf(p.DG > 1, pathDeformDG)
	c := d.out[(n*p.OC+g*d.ocg)*d.osp+j0:]
	beta := float32(0)
	if d.b != nil {
		beta = 1
		for o := 0; o < d.ocg; o++ {
			fill(c[o*d.osp:o*d.osp+nt], d.b[g*d.ocg+o])
		}
	}
	tab := &d.tabs[wk]
	bp := &d.panels[wk]
	bp.x = d.xT[n*d.psz*p.IC : (n+1)*d.psz*p.IC]
	bp.tab, bp.nt = tab, nt
	ws := d.ex.gemmWS(wk)
	rowY, colX := d.pos[wk][:nt], d.pos[wk][d.ntMax:][:nt]
	for jj, oh, ow := 0, j0/p.O[2], j0%p.O[2]; jj < nt; jj++ {
		rowY[jj], colX[jj] = float64(oh*p.S[1]), float64(ow*p.S[2])
		if ow++; ow == p.O[2] {
			ow, oh = 0, oh+1
		}
	}
	var outside, edge bool
	hitIf(len(d.chunks[g]) > 1, pathDeformChunks)
	for ci, ch := range d.chunks[g] {
		o, e := d.fillTable(tab, rowY, colX, n, ch.dg0, ch.dg1, j0, j1)
		outside, edge = outside || o, edge || e
		bp.ch = ch
		kc := (ch.c1 - ch.c0) * d.taps
		if d.pa[g] != nil {
			ws.SgemmPackedAPanels(d.pa[g][ci], nt, bp, beta, c, d.osp)
		} else {
			ws.SgemmPanels(d.ocg, nt, kc, d.wc[g][ci], kc, bp, beta, c, d.osp)
		}
		beta = 1
	}
	bp.x, bp.tab = nil, nil
	hitIf(outside, pathDeformOut)
	hitIf(edge, pathDeformEdge)
}

// fillTable computes the samples of offset groups [dg0, dg1), every tap,
// outputs [j0, j1) of image n into tab, and reports whether some sample lay
// entirely outside the image and whether some had a neighbour outside.
// rowY and colX hold the tile's oh·SH and ow·SW.
func (d *deform) fillTable(tab *deformTable, rowY, colX []float64, n, dg0, dg1, j0, j1 int) (outside, edge bool) {
	p, in := d.p, d.in
	KH, KW, taps := p.K[1], p.K[2], d.taps
	fIH, fIW := float64(p.I[1]), float64(p.I[2])
	osp, ntPad := d.osp, d.ntPad
	nt := j1 - j0
	flags := 0
	for dg := dg0; dg < dg1; dg++ {
		for kh := 0; kh < KH; kh++ {
			for kw := 0; kw < KW; kw++ {
				kidx := (dg*KH+kh)*KW + kw
				offY := in.Offset[(n*2*p.DG*taps+2*kidx)*osp+j0:][:nt]
				offX := in.Offset[(n*2*p.DG*taps+2*kidx+1)*osp+j0:][:nt]
				var mask []float32
				if in.Mask != nil {
					mask = in.Mask[(n*p.DG*taps+kidx)*osp+j0:][:nt]
				}
				r := (dg-dg0)*taps + kh*KW + kw
				base := tab.base[r*ntPad:][:ntPad]
				w := tab.w[4*r*ntPad:][:4*ntPad]
				// the 16 columns past the tile sample pixel 0 with weight 0
				clear(base[nt : nt+16])
				for i := 0; i < 4; i++ {
					clear(w[i*ntPad+nt : i*ntPad+nt+16])
				}
				dy := float64(kh*p.Dil[1] - p.PBegin[1])
				dx := float64(kw*p.Dil[2] - p.PBegin[2])
				flags |= deformTaps(base, w, ntPad, offY, offX, mask, rowY[:nt], colX[:nt], dy, dx, fIH, fIW, d.pw)
			}
		}
	}
	return flags&1 != 0, flags&2 != 0
}

// deformTaps computes the len(offY) samples of one tap-table row: sample j
// is at (py, px) = ((rowY[j] + dy) + offY[j], (colX[j] + dx) + offX[j]) in
// float64 (rowY + dy is an exact integer, so one rounding, as the
// reference's), with mask m = mask[j] (1 without). Inside (−1, IH) × (−1, IW)
// its top-left neighbour (y0, x0) = (⌊py⌋, ⌊px⌋) goes to base[j] as the
// bordered pixel (y0+1)·pw + x0 + 1 and its weights, float64 products
// rounded once to float32 (see BoundC), to w[i·ws + j]:
//
//	((1−ly)(1−lx))·m, ((1−ly)·lx)·m, (ly·(1−lx))·m, (ly·lx)·m,  l = p − ⌊p⌋
//
// outside (or NaN) base and weights are 0. flags has bit 0 set when some
// sample lay entirely outside the image, bit 1 when some inside sample had
// a neighbour outside.
func deformTaps(base []int32, w []float32, ws int, offY, offX, mask []float32, rowY, colX []float64, dy, dx, fIH, fIW float64, pw int) int {
	n := len(offY)
	if n == 0 {
		return 0
	}
	_ = base[n-1]
	_ = w[3*ws+n-1]
	_ = offX[n-1]
	_ = rowY[n-1]
	_ = colX[n-1]
	if mask != nil {
		_ = mask[n-1]
	}
	if hasDeformAsm {
		return deformTapsAsm(base, w, ws, offY, offX, mask, rowY, colX, dy, dx, fIH, fIW, pw)
	}
	return deformTapsGo(base, w, ws, offY, offX, mask, rowY, colX, dy, dx, fIH, fIW, pw)
}

func deformTapsGo(base []int32, w []float32, ws int, offY, offX, mask []float32, rowY, colX []float64, dy, dx, fIH, fIW float64, pw int) int {
	n := len(offY)
	w0, w1, w2, w3 := w[:n], w[ws:ws+n], w[2*ws:2*ws+n], w[3*ws:3*ws+n]
	base, offX, rowY, colX = base[:n], offX[:n], rowY[:n], colX[:n]
	flags := 0
	for j := range offY {
		py := (rowY[j] + dy) + float64(offY[j])
		px := (colX[j] + dx) + float64(offX[j])
		if !(py > -1 && py < fIH && px > -1 && px < fIW) {
			flags |= 1 // all four neighbours outside (also NaN)
			base[j], w0[j], w1[j], w2[j], w3[j] = 0, 0, 0, 0, 0
			continue
		}
		fy, fx := math.Floor(py), math.Floor(px)
		if fy < 0 || fy >= fIH-1 || fx < 0 || fx >= fIW-1 {
			flags |= 2
		}
		ly, lx := py-fy, px-fx
		m := 1.0
		if mask != nil {
			m = float64(mask[j])
		}
		base[j] = int32((fy+1)*float64(pw) + fx + 1)
		w0[j] = float32((1 - ly) * (1 - lx) * m)
		w1[j] = float32((1 - ly) * lx * m)
		w2[j] = float32(ly * (1 - lx) * m)
		w3[j] = float32(ly * lx * m)
	}
	return flags
}

// deformPanels is one chunk's B (rows tap-major: t·cc + ci; columns the
// tile's outputs) for gemm.BPanels: each run of a panel's rows that shares a
// tap and an offset group is sampled from the image's channel-interleaved
// copy with the group's tap-table row (deformPanel).
type deformPanels struct {
	d   *deform
	x   []float32 // the image's channel-interleaved bordered copy
	tab *deformTable
	ch  deformChunk
	nt  int
}

var _ gemm.BPanels = (*deformPanels)(nil)

// PackPanel writes B[pc+p, j0+j] to dst[p·nr+j]; columns at or past nt are
// zeros.
func (bp *deformPanels) PackPanel(dst []float32, pc, kc, j0, nr int) {
	d, ch := bp.d, bp.ch
	cc, cpg, taps, ntPad := ch.c1-ch.c0, d.cpg, d.taps, d.ntPad
	ic, pw := d.p.IC, d.pw
	t, ci := pc/cc, pc%cc
	for p := 0; p < kc; {
		c := ch.c0 + ci
		dg := c / cpg
		nc := min(cc-ci, kc-p, (dg+1)*cpg-c) // channels of tap t in offset group dg
		r := (dg-ch.dg0)*taps + t
		for q := 0; q < nr; q += 16 {
			sw := min(16, nr-q)
			out := dst[p*nr+q:]
			if j0+q >= bp.nt {
				for i := 0; i < nc; i++ {
					clear(out[i*nr : i*nr+sw])
				}
				continue
			}
			col := r*ntPad + j0 + q
			deformPanel(out, nr, sw, bp.x[c:], ic, pw, bp.tab.base[col:col+16], bp.tab.w[4*r*ntPad+j0+q:], ntPad, nc)
		}
		p += nc
		if ci += nc; ci == cc {
			ci, t = 0, t+1
		}
	}
}

// deformPanel computes 16 samples j (tap-table columns base[j], w[i·ws+j])
// of nc channels of a channel-interleaved bordered image x (channel stride
// 1, pixel stride cs, rows of pw pixels) and stores the first sw ≤ 16 of
// them for each channel c < nc:
//
//	dst[c·ldd + j] = (w₀·x[b·cs+c] + w₁·x[(b+1)·cs+c]) + (w₂·x[(b+pw)·cs+c] + w₃·x[(b+pw+1)·cs+c]),  b = base[j]
//
// each product and sum rounded to float32 (no FMA, so the assembly and Go
// agree bit for bit).
func deformPanel(dst []float32, ldd, sw int, x []float32, cs, pw int, base []int32, w []float32, ws, nc int) {
	if nc <= 0 || sw <= 0 {
		return
	}
	_ = dst[(nc-1)*ldd+sw-1]
	_ = base[15]
	_ = w[3*ws+15]
	_ = x[nc-1]
	if hasDeformAsm {
		deformPanelAsm(dst, ldd, sw, x, cs, pw, base, w, ws, nc)
		return
	}
	if hasDeformAVX2 && nc >= 8 && sw >= 8 {
		deformPanelAVX2(dst, ldd, sw, x, cs, pw, base, w, ws, nc)
		return
	}
	deformPanelGo(dst, ldd, sw, x, cs, pw, base, w, ws, nc)
}

// deformPanelAVX2 is deformPanel with AVX2: whole blocks of 8 samples × 8
// channels in assembly (deformPanel8AVX2), the ragged samples and channels
// in Go, the same products and sums. Why: on an AVX2 machine the Go
// sampler was 59% of the benchmark's deform layer (pprof, one worker).
func deformPanelAVX2(dst []float32, ldd, sw int, x []float32, cs, pw int, base []int32, w []float32, ws, nc int) {
	nc8, sw8 := nc&^7, sw&^7
	if nc8 == 0 {
		sw8 = 0 // no whole block of channels: all in Go
	}
	for j0 := 0; j0 < sw8; j0 += 8 {
		deformPanel8AVX2(&dst[j0], ldd, &x[0], cs, pw, &base[j0], &w[j0], ws, nc8/8)
	}
	if sw8 < sw {
		deformPanelGo(dst[sw8:], ldd, sw-sw8, x, cs, pw, base[sw8:], w[sw8:], ws, nc8)
	}
	if nc8 < nc {
		deformPanelGo(dst[nc8*ldd:], ldd, sw, x[nc8:], cs, pw, base, w, ws, nc-nc8)
	}
}

func deformPanelGo(dst []float32, ldd, sw int, x []float32, cs, pw int, base []int32, w []float32, ws, nc int) {
	for j := 0; j < sw; j++ {
		b := int(base[j]) * cs
		w0, w1, w2, w3 := w[j], w[ws+j], w[2*ws+j], w[3*ws+j]
		x0, x1 := x[b:b+nc], x[b+cs:b+cs+nc]
		x2, x3 := x[b+pw*cs:b+pw*cs+nc], x[b+(pw+1)*cs:b+(pw+1)*cs+nc]
		for c := range nc {
			top := float32(w0*x0[c]) + float32(w1*x1[c])
			bot := float32(w2*x2[c]) + float32(w3*x3[c])
			dst[c*ldd+j] = top + bot
		}
	}
}
