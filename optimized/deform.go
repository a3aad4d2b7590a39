package optimized

import (
	"fmt"

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
// the offset group. Each input plane is copied first into a plane with a
// one-pixel zero border, so that a sample is one base index and four
// weights whatever its neighbours: a neighbour outside the image reads a
// border 0, a sample entirely outside reads the corner 0 with weight 0.
type deform struct {
	ex                  *executor
	p                   *conv.Problem
	w, b                []float32
	taps, icg, ocg, cpg int
	k                   int // GEMM depth of a whole group: icg·taps
	osp                 int
	tiles               int
	bounds              []int // tiles+1 column-tile boundaries over [0, osp)
	ntMax               int   // widest tile
	pw, psz             int   // bordered plane: row length IW+2, size (IH+2)·(IW+2)
	xpad                []float32
	chunks              [][]deformChunk // per group
	pa                  [][]*gemm.PackedA
	tabs                []deformTable        // per worker
	panels              []deformPanels       // per worker
	in                  conv.Inputs[float32] // the current run's
	out                 []float32
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
// r = (dg − dg0)·taps + tap and column jj of the tile, base[r·ntMax + jj] is
// the bordered-plane index of the top-left neighbour and w[(4r + i)·ntMax +
// jj] the weight of neighbour i (top-left, top-right, bottom-left,
// bottom-right), mask included.
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
	d.pw, d.psz = p.I[2]+2, (p.I[1]+2)*(p.I[2]+2)
	d.xpad = ex.floats(p.MB * p.IC * d.psz) // the border stays 0: runs write the interior only
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
	if !ex.oneShot {
		// a plan's weights, packed once per (group, chunk)
		d.pa = make([][]*gemm.PackedA, p.G)
		for g, chs := range d.chunks {
			for _, ch := range chs {
				a := w[g*d.ocg*d.k+(ch.c0-g*d.icg)*d.taps:]
				d.pa[g] = append(d.pa[g], gemm.PackA(d.ocg, (ch.c1-ch.c0)*d.taps, a, d.k))
			}
		}
	}
	rows := dgMax * d.taps * d.ntMax
	d.tabs = make([]deformTable, ex.workers)
	d.panels = make([]deformPanels, ex.workers)
	for i := range d.tabs {
		d.tabs[i] = deformTable{base: make([]int32, rows), w: ex.scratch(4 * rows)}
		d.panels[i].d = d
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
		gran = 48 // ≥ 256 columns per tile: every tile keeps ≥ 208
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
	d.ex.forEach(d.p.MB*d.p.IC, d.padTask)
	d.ex.forEach(d.p.MB*d.p.G*d.tiles, d.task)
	d.in, d.out = conv.Inputs[float32]{}, nil
}

// runPad copies input plane task (image·IC + channel) into the interior of
// its bordered plane.
func (d *deform) runPad(_, task int) {
	IH, IW := d.p.I[1], d.p.I[2]
	src := d.in.X[task*IH*IW : (task+1)*IH*IW]
	dst := d.xpad[task*d.psz : (task+1)*d.psz]
	for y := 0; y < IH; y++ {
		copy(dst[(y+1)*d.pw+1:(y+1)*d.pw+1+IW], src[y*IW:(y+1)*IW])
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
	ws := d.ex.gemmWS(wk)
	var outside, edge bool
	for ci, ch := range d.chunks[g] {
		o, e := d.fillTable(tab, n, ch.dg0, ch.dg1, j0, j1)
		outside, edge = outside || o, edge || e
		bp.x = d.xpad[(n*p.IC+ch.c0)*d.psz : (n*p.IC+ch.c1)*d.psz]
		bp.tab, bp.shift, bp.nt = tab, ch.c0-ch.dg0*d.cpg, nt
		kc := (ch.c1 - ch.c0) * d.taps
		if d.pa != nil {
			ws.SgemmPackedAPanels(d.pa[g][ci], nt, bp, beta, c, d.osp)
		} else {
			a := d.w[g*d.ocg*d.k+(ch.c0-g*d.icg)*d.taps:]
			ws.SgemmPanels(d.ocg, nt, kc, a, d.k, bp, beta, c, d.osp)
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
//
// Positions are float64 (exact for float32 offsets, as the reference's),
// the weights float64 products rounded once to float32 (see BoundC).
func (d *deform) fillTable(tab *deformTable, n, dg0, dg1, j0, j1 int) (outside, edge bool) {
	p, in := d.p, d.in
	KH, KW, taps := p.K[1], p.K[2], d.taps
	IH, IW, OW := p.I[1], p.I[2], p.O[2]
	fIH, fIW := float64(IH), float64(IW)
	osp, ntMax, pw := d.osp, d.ntMax, d.pw
	nt := j1 - j0
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
				base := tab.base[r*ntMax:][:nt]
				w0 := tab.w[(4*r)*ntMax:][:nt]
				w1 := tab.w[(4*r+1)*ntMax:][:nt]
				w2 := tab.w[(4*r+2)*ntMax:][:nt]
				w3 := tab.w[(4*r+3)*ntMax:][:nt]
				dy := kh*p.Dil[1] - p.PBegin[1]
				dx := kw*p.Dil[2] - p.PBegin[2]
				oh, ow := j0/OW, j0%OW
				for jj := range nt {
					py := float64(oh*p.S[1]+dy) + float64(offY[jj])
					px := float64(ow*p.S[2]+dx) + float64(offX[jj])
					if ow++; ow == OW {
						ow = 0
						oh++
					}
					if !(py > -1 && py < fIH && px > -1 && px < fIW) {
						// all four neighbours outside (also NaN): the
						// corner 0 of the border, weight 0
						outside = true
						base[jj], w0[jj], w1[jj], w2[jj], w3[jj] = 0, 0, 0, 0, 0
						continue
					}
					y0, x0 := int(py), int(px) // truncation; floor below
					if py < float64(y0) {
						y0--
					}
					if px < float64(x0) {
						x0--
					}
					ly, lx := py-float64(y0), px-float64(x0)
					m := 1.0
					if mask != nil {
						m = float64(mask[jj])
					}
					if y0 < 0 || y0 >= IH-1 || x0 < 0 || x0 >= IW-1 {
						edge = true
					}
					base[jj] = int32((y0+1)*pw + x0 + 1)
					w0[jj] = float32((1 - ly) * (1 - lx) * m)
					w1[jj] = float32((1 - ly) * lx * m)
					w2[jj] = float32(ly * (1 - lx) * m)
					w3[jj] = float32(ly * lx * m)
				}
			}
		}
	}
	return outside, edge
}

// deformPanels is one chunk's B (rows (c, tap), columns the tile's outputs)
// for gemm.BPanels: each panel row is sampled from its channel's bordered
// plane with its offset group's tap table.
type deformPanels struct {
	d     *deform
	x     []float32 // the chunk's bordered planes, from its first channel
	tab   *deformTable
	shift int // c0 − dg0·cpg: chunk channel ci is in offset group dg0 + (ci+shift)/cpg
	nt    int
}

var _ gemm.BPanels = (*deformPanels)(nil)

// PackPanel writes B[pc+p, j0+j] to dst[p·nr+j]; columns at or past nt are
// zeros.
func (bp *deformPanels) PackPanel(dst []float32, pc, kc, j0, nr int) {
	d := bp.d
	taps, cpg, ntMax, psz := d.taps, d.cpg, d.ntMax, d.psz
	m := min(nr, bp.nt-j0)
	ci, t := pc/taps, pc%taps
	for p := 0; p < kc; p++ {
		r := ((ci+bp.shift)/cpg)*taps + t
		row := dst[p*nr : (p+1)*nr]
		deformSampleRow(row[:m], bp.x[ci*psz:(ci+1)*psz], d.pw, bp.tab.base[r*ntMax+j0:][:m], bp.tab.w[4*r*ntMax+j0:], ntMax)
		clear(row[m:])
		if t++; t == taps {
			t, ci = 0, ci+1
		}
	}
}

// deformSampleRow computes len(dst) samples of one bordered plane x (rows of
// ldx): sample j reads the four neighbours from base[j] and weighs them with
// w[j], w[ws+j], w[2ws+j], w[3ws+j]:
//
//	dst[j] = (w₀·x[b] + w₁·x[b+1]) + (w₂·x[b+ldx] + w₃·x[b+ldx+1]),  b = base[j]
//
// each product and sum rounded to float32 (no FMA, so the assembly and Go
// agree bit for bit).
func deformSampleRow(dst, x []float32, ldx int, base []int32, w []float32, ws int) {
	n := len(dst)
	if n == 0 {
		return
	}
	_ = base[n-1]
	_ = w[3*ws+n-1]
	if hasDeformAsm {
		deformSampleAsm(&dst[0], &x[0], ldx, &base[0], &w[0], ws, n)
		return
	}
	deformSampleGo(dst, x, ldx, base, w, ws)
}

func deformSampleGo(dst, x []float32, ldx int, base []int32, w []float32, ws int) {
	n := len(dst)
	base = base[:n]
	w0, w1, w2, w3 := w[:n], w[ws:ws+n], w[2*ws:2*ws+n], w[3*ws:3*ws+n]
	for j, b := range base {
		s := x[b : int(b)+ldx+2]
		top := float32(w0[j]*s[0]) + float32(w1[j]*s[1])
		bot := float32(w2[j]*s[ldx]) + float32(w3[j]*s[ldx+1])
		dst[j] = top + bot
	}
}
