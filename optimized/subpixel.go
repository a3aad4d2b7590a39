package optimized

import (
	"github.com/convverify/convverify/conv"
)

func deconvSubpixelVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "deconv-subpixel",
			Ops:      []conv.Op{conv.OpDeconv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: each output is bias + one GEMM dot product over the
			// (input channel, tap) pairs of its phase, whose terms are exactly
			// the transposed convolution's products x·w reaching it (the
			// gather's clipped positions contribute exact zeros); a dot
			// product of at most (IC/G)·taps terms in any order has error
			// ≤ N·u·Σ|x·w|, N = AccumLength.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d := newDeconvSubpixel(ex, p, w, b)
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// deconvSubpixel computes the transposed convolution
//
//	y[n, g·OCG+o, i·S − P + k·D] += x[n, g·ICG+c, i]·w[g·ICG+c, o, k]
//
// by its sub-pixel decomposition: along each axis, the outputs o with
// (o + P) mod S = r (phase r) receive exactly the taps k with k·D mod S = r,
// from input i = q + base_r − (k·D − r)/S where o = o0_r + q·S is the q-th
// output of the phase. So each of the Π S phases is a stride-1 correlation
// of x with its own taps (no inserted zeros, no col2im scatter-add): one
// GEMM per (image, group, phase, column tile of the phase's outputs) of the
// phase's weights, OCG × (ICG·taps_r), prepared once, times a gather of x,
// (ICG·taps_r) × positions; its result goes to the phase's strided output
// positions with the bias. A phase without taps (S > K, or dilation
// sharing a factor with S) is the bias alone.
type deconvSubpixel struct {
	ex            *executor
	p             *conv.Problem
	b             []float32
	icg, ocg, isp int
	osp           int
	phases        []subpixelPhase
	pairs         []subpixelPair // (phase, column tile) of every phase with outputs
	rows, mblocks int            // output channels per task, blocks of them (gemmSplit)
	cols, cs      [][]float32    // per worker
	x, out        []float32      // the current run's
	task          func(wk, task int)
}

// subpixelPhase is one phase (rd, rh, rw) of the decomposition.
type subpixelPhase struct {
	o0, q [3]int    // first output and output count along each axis
	toff  [3][]int  // per axis and phase tap: input index − q
	ntap  int       // taps of the phase (product over the axes)
	k     int       // GEMM depth: ICG·ntap
	qsp   int       // outputs of the phase: Π q
	w     []float32 // [G][OCG][ICG·ntap]
}

type subpixelPair struct{ phase, tile int }

func newDeconvSubpixel(ex *executor, p *conv.Problem, w, b []float32) *deconvSubpixel {
	d := &deconvSubpixel{ex: ex, p: p, b: b}
	d.icg, d.ocg = p.ICG(), p.OCG()
	d.isp, d.osp = conv.Spatial(p.I), conv.Spatial(p.O)
	icg, ocg, taps := d.icg, d.ocg, p.Taps()
	// per axis, per phase r: first output, count, taps and their input offsets
	type axisPhase struct {
		o0, q int
		ks    []int
		toff  []int
	}
	var axes [3][]axisPhase
	for a := 0; a < 3; a++ {
		S, P, D := p.S[a], p.PBegin[a], p.Dil[a]
		for r := 0; r < S; r++ {
			ap := axisPhase{o0: ((r-P)%S + S) % S}
			if ap.o0 < p.O[a] {
				ap.q = (p.O[a]-1-ap.o0)/S + 1
			}
			base := (ap.o0 + P - r) / S // ≥ 0, exact
			for k := 0; k < p.K[a]; k++ {
				if k*D%S == r {
					ap.ks = append(ap.ks, k)
					ap.toff = append(ap.toff, base-(k*D-r)/S)
				}
			}
			axes[a] = append(axes[a], ap)
		}
	}
	maxK, maxNT := 0, 0
	for _, pd := range axes[0] {
		for _, ph := range axes[1] {
			for _, pw := range axes[2] {
				s := subpixelPhase{o0: [3]int{pd.o0, ph.o0, pw.o0}, q: [3]int{pd.q, ph.q, pw.q}, toff: [3][]int{pd.toff, ph.toff, pw.toff}}
				s.ntap = len(pd.ks) * len(ph.ks) * len(pw.ks)
				s.k = icg * s.ntap
				s.qsp = pd.q * ph.q * pw.q
				if s.qsp == 0 {
					continue // no outputs in this phase
				}
				s.w = make([]float32, p.G*ocg*s.k)
				for g := 0; g < p.G; g++ {
					for o := 0; o < ocg; o++ {
						dst := s.w[(g*ocg+o)*s.k:]
						r := 0
						for c := 0; c < icg; c++ {
							src := w[((g*icg+c)*ocg+o)*taps:][:taps]
							for _, kd := range pd.ks {
								for _, kh := range ph.ks {
									for _, kw := range pw.ks {
										dst[r] = src[(kd*p.K[1]+kh)*p.K[2]+kw]
										r++
									}
								}
							}
						}
					}
				}
				tiles := ceilDiv(s.qsp, colTile)
				for t := 0; t < tiles; t++ {
					d.pairs = append(d.pairs, subpixelPair{len(d.phases), t})
				}
				maxK, maxNT = max(maxK, s.k), max(maxNT, min(colTile, s.qsp))
				d.phases = append(d.phases, s)
			}
		}
	}
	d.rows, d.mblocks = gemmSplit(p.MB*p.G*len(d.pairs), ocg)
	d.cols = ex.perWorker(maxK * maxNT)
	d.cs = ex.perWorker(d.rows * maxNT)
	ex.useGemm(d.rows, maxNT, max(1, maxK))
	d.task = d.runTask
	return d
}

// subpixelTasks is deconvSubpixel's task count on p and the number of
// (phase, column tile) pairs, without preparing it (for Tasks).
func subpixelTasks(p *conv.Problem) (tasks, pairs, phases, mblocks int) {
	np := 0
	var cnt [3][]int
	for a := 0; a < 3; a++ {
		S := p.S[a]
		for r := 0; r < S; r++ {
			o0 := ((r-p.PBegin[a])%S + S) % S
			q := 0
			if o0 < p.O[a] {
				q = (p.O[a]-1-o0)/S + 1
			}
			cnt[a] = append(cnt[a], q)
		}
	}
	for _, qd := range cnt[0] {
		for _, qh := range cnt[1] {
			for _, qw := range cnt[2] {
				if s := qd * qh * qw; s > 0 {
					np++
					pairs += ceilDiv(s, colTile)
				}
			}
		}
	}
	_, mblocks = gemmSplit(p.MB*p.G*pairs, p.OCG())
	return p.MB * p.G * pairs * mblocks, pairs, np, mblocks
}

func (d *deconvSubpixel) run(x, out []float32) {
	p := d.p
	for _, a := range p.Axes() {
		hitIf(p.PEnd[a] < 0, pathSubpixelNegEnd)
		hitIf(p.OutputPadding(a) > 0, pathSubpixelOutPad)
	}
	d.x, d.out = x, out
	d.ex.forEach(p.MB*p.G*len(d.pairs)*d.mblocks, d.task)
	d.x, d.out = nil, nil
}

func (d *deconvSubpixel) runTask(wk, task int) {
	p, icg, ocg := d.p, d.icg, d.ocg
	mblk := task % d.mblocks
	task /= d.mblocks
	pr := d.pairs[task%len(d.pairs)]
	task /= len(d.pairs)
	g := task % p.G
	n := task / p.G
	ph := &d.phases[pr.phase]
	j0, j1 := pr.tile*colTile, min(ph.qsp, (pr.tile+1)*colTile)
	nt := j1 - j0
	hitIf(j0 > 0 && nt < colTile, pathSubpixelTileRem)
	hitIf(d.mblocks > 1, pathSubpixelOCBlocks)
	o0 := mblk * d.rows
	rows := min(d.rows, ocg-o0)
	var cm []float32
	if ph.ntap > 0 {
		col := d.cols[wk][:ph.k*nt]
		d.gather(ph, d.x[(n*p.IC+g*icg)*d.isp:(n*p.IC+(g+1)*icg)*d.isp], j0, j1, col)
		cm = d.cs[wk][:rows*nt]
		asmGemm(d.ex.gemmWS(wk), rows, nt, ph.k, ph.w[(g*ocg+o0)*ph.k:], ph.k, col, nt, 0, cm, nt)
	} else {
		hit(pathSubpixelBiasOnly)
	}
	// scatter the phase's outputs [j0, j1) to their strided positions
	OH, OW := p.O[1], p.O[2]
	SD, SH, SW := p.S[0], p.S[1], p.S[2]
	QH, QW := ph.q[1], ph.q[2]
	for o := 0; o < rows; o++ {
		oc := g*ocg + o0 + o
		bias := float32(0)
		if d.b != nil {
			bias = d.b[oc]
		}
		y := d.out[(n*p.OC+oc)*d.osp : (n*p.OC+oc+1)*d.osp]
		qd, qh, qw := j0/(QH*QW), (j0/QW)%QH, j0%QW
		for t := 0; t < nt; {
			cnt := min(QW-qw, nt-t)
			od, oh := ph.o0[0]+qd*SD, ph.o0[1]+qh*SH
			row := y[(od*OH+oh)*OW:][:OW]
			ow := ph.o0[2] + qw*SW
			if cm == nil {
				for i := 0; i < cnt; i++ {
					row[ow+i*SW] = bias
				}
			} else {
				src := cm[o*nt+t:][:cnt]
				if SW == 1 {
					dst := row[ow:][:cnt]
					for i, v := range src {
						dst[i] = v + bias
					}
				} else {
					for i, v := range src {
						row[ow+i*SW] = v + bias
					}
				}
			}
			t += cnt
			qw = 0
			if qh++; qh == QH {
				qh, qd = 0, qd+1
			}
		}
	}
}

// gather writes the phase's im2col block of positions [j0, j1) into col,
// rows (c, td, th, tw), columns the positions:
//
//	col[(c, td, th, tw), j] = x[c, qd + toff_d[td], qh + toff_h[th], qw + toff_w[tw]]
//
// (0 outside the input), (qd, qh, qw) the position j on the phase's grid.
func (d *deconvSubpixel) gather(ph *subpixelPhase, x []float32, j0, j1 int, col []float32) {
	p := d.p
	nt := j1 - j0
	ID, IH, IW := p.I[0], p.I[1], p.I[2]
	QH, QW := ph.q[1], ph.q[2]
	qd0, qh0, qw0 := j0/(QH*QW), (j0/QW)%QH, j0%QW
	r := 0
	padRows, padCols := false, false
	for c := 0; c < d.icg; c++ {
		xc := x[c*d.isp : (c+1)*d.isp]
		for _, fd := range ph.toff[0] {
			for _, fh := range ph.toff[1] {
				for _, fw := range ph.toff[2] {
					row := col[r*nt : (r+1)*nt]
					r++
					qd, qh, qw := qd0, qh0, qw0
					for t := 0; t < nt; {
						cnt := min(QW-qw, nt-t)
						seg := row[t : t+cnt]
						id, ih := qd+fd, qh+fh
						if id < 0 || id >= ID || ih < 0 || ih >= IH {
							padRows = true
							clear(seg)
						} else if gatherRow(seg, xc[(id*IH+ih)*IW:(id*IH+ih+1)*IW], qw+fw, 1) {
							padCols = true
						}
						t += cnt
						qw = 0
						if qh++; qh == QH {
							qh, qd = 0, qd+1
						}
					}
				}
			}
		}
	}
	hitIf(padRows, pathSubpixelPadRow)
	hitIf(padCols, pathSubpixelPadCol)
}
