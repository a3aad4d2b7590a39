package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
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
// GEMM per (image, group, phase, block of rows of the phase's outputs,
// rows counted across depth planes) of the phase's weights, OCG × (ICG·taps_r), prepared once, times
// an im2col of x, (ICG·taps_r) × positions; its result goes to the phase's
// strided output positions with the bias. A phase without taps (S > K, or
// a dilation sharing a factor with S) is the bias alone.
//
// The im2col is implicit and wide, as in convGemmWide: x is copied once per
// run into a zero-padded volume whose rows are wp long, wide enough for
// every phase's tap offsets, so that the im2col row of one tap over R
// consecutive rows of a phase plane is one contiguous run of R·wp elements
// (a block that crosses depth planes has one run per plane). The GEMM packs
// its B panels straight from those runs (widePanels), with the phase's
// weights packed once per plan (gemm.PackedA); it computes the wp − Q_W
// extra columns of each row too, and they are discarded.
type deconvSubpixel struct {
	ex                 *executor
	p                  *conv.Problem
	b                  []float32
	icg, ocg, isp, osp int
	vol                subpixelVolume // the padded input's geometry
	padded             []float32
	rowsPer            int // phase rows per task
	phases             []subpixelPhase
	pairs              []subpixelPair // (phase, row block) of every phase with outputs
	rows, mblocks      int            // output channels per task, blocks of them (gemmSplit)
	cs                 [][]float32    // per worker: the GEMM's output block
	panels             []widePanels   // per worker: the implicit GEMM's B
	x, out             []float32      // the current run's
	fillTask, task     func(wk, task int)
}

// subpixelPhase is one phase (rd, rh, rw) of the decomposition.
type subpixelPhase struct {
	o0, q  [3]int          // first output and output count along each axis
	offs   []int           // per (c, td, th, tw): the tap's offset in the padded volume of the group
	tapIdx []int           // per (td, th, tw): the tap's index in a kernel's K… taps
	ntap   int             // taps of the phase (product over the axes)
	k      int             // GEMM depth: ICG·ntap
	w      []float32       // [G][OCG][ICG·ntap]
	pa     []*gemm.PackedA // per (group, output-channel block): w's rows, packed
}

type subpixelPair struct{ phase, blk int }

// subpixelAxis is phase r of one axis: its first output, output count,
// taps and their input offsets (input index = q + toff).
type subpixelAxis struct {
	o0, q int
	ks    []int
	toff  []int
}

// subpixelAxes returns the phases of every axis of p, and the padding
// before and after the input that every phase's taps need.
func subpixelAxes(p *conv.Problem) (axes [3][]subpixelAxis, pre, post [3]int) {
	for a := 0; a < 3; a++ {
		S, P, D := p.S[a], p.PBegin[a], p.Dil[a]
		lo, hi := 0, p.I[a]-1
		for r := 0; r < S; r++ {
			ap := subpixelAxis{o0: ((r-P)%S + S) % S}
			if ap.o0 < p.O[a] {
				ap.q = (p.O[a]-1-ap.o0)/S + 1
			}
			base := (ap.o0 + P - r) / S // ≥ 0, exact
			// taps in descending k, so ascending input offset: the
			// narrow row kernels take terms one input apart in pairs
			// (rows16FMA): the 4×4×4 stride-2 32→16 benchmark layer on
			// deconv-rows 135 → 157 GFLOP/s (one worker)
			for k := p.K[a] - 1; k >= 0; k-- {
				if k*D%S == r {
					f := base - (k*D-r)/S
					ap.ks = append(ap.ks, k)
					ap.toff = append(ap.toff, f)
					if ap.q > 0 {
						lo, hi = min(lo, f), max(hi, f+ap.q-1)
					}
				}
			}
			axes[a] = append(axes[a], ap)
		}
		pre[a], post[a] = -lo, hi-(p.I[a]-1)
	}
	return axes, pre, post
}

// subpixelRowsPer is the number of phase rows (across depth planes) of a
// task: colTile columns of the padded grid.
func subpixelRowsPer(wp int) int { return max(1, colTile/wp) }

// subpixelVolume is the zero-padded copy of the input that every phase's
// taps read in bounds, rows wp long: padding pre before the data.
type subpixelVolume struct {
	pre             [3]int
	dp, hp, wp, psz int
}

// newSubpixelPhases returns the padded volume of p and its phases with
// outputs, each with its tap offsets in the volume of a group and its
// weights w [G][OCG][ICG·ntap] gathered from p's w (none when w is nil:
// the geometry alone, for Tasks).
func newSubpixelPhases(p *conv.Problem, w []float32) (subpixelVolume, []subpixelPhase) {
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	axes, pre, post := subpixelAxes(p)
	v := subpixelVolume{pre: pre, dp: p.I[0] + pre[0] + post[0], hp: p.I[1] + pre[1] + post[1], wp: p.I[2] + pre[2] + post[2]}
	v.psz = v.dp * v.hp * v.wp
	var phases []subpixelPhase
	for _, pd := range axes[0] {
		for _, ph := range axes[1] {
			for _, pw := range axes[2] {
				if pd.q*ph.q*pw.q == 0 {
					continue // no outputs in this phase
				}
				s := subpixelPhase{o0: [3]int{pd.o0, ph.o0, pw.o0}, q: [3]int{pd.q, ph.q, pw.q}}
				s.ntap = len(pd.ks) * len(ph.ks) * len(pw.ks)
				s.k = icg * s.ntap
				if w != nil {
					s.w = make([]float32, p.G*ocg*s.k)
				}
				s.offs = make([]int, 0, s.k)
				for c := 0; c < icg; c++ {
					for _, fd := range pd.toff {
						for _, fh := range ph.toff {
							for _, fw := range pw.toff {
								s.offs = append(s.offs, c*v.psz+((fd+pre[0])*v.hp+fh+pre[1])*v.wp+fw+pre[2])
							}
						}
					}
				}
				// the phase's taps as indices into a kernel, once; then
				// each (group, input channel, output channel) copies its
				// taps in that order, reading w in order
				s.tapIdx = make([]int, 0, s.ntap)
				for _, kd := range pd.ks {
					for _, kh := range ph.ks {
						for _, kw := range pw.ks {
							s.tapIdx = append(s.tapIdx, (kd*p.K[1]+kh)*p.K[2]+kw)
						}
					}
				}
				if w != nil {
					for g := 0; g < p.G; g++ {
						for c := 0; c < icg; c++ {
							for o := 0; o < ocg; o++ {
								src := w[((g*icg+c)*ocg+o)*taps:][:taps]
								dst := s.w[(g*ocg+o)*s.k+c*s.ntap:][:s.ntap]
								for r, ti := range s.tapIdx {
									dst[r] = src[ti]
								}
							}
						}
					}
				}
				phases = append(phases, s)
			}
		}
	}
	return v, phases
}

// fill copies channel x of the input into its padded volume vol; only data
// slots are written, so the padding stays as zero as the buffer came.
func (v subpixelVolume) fill(p *conv.Problem, x, vol []float32) {
	v.fillRows(p, x, vol, 0, p.I[0]*p.I[1])
}

// fillRows is fill for input rows [r0, r1) of the channel's I[0]·I[1]
// (depth-major).
func (v subpixelVolume) fillRows(p *conv.Problem, x, vol []float32, r0, r1 int) {
	IH, IW := p.I[1], p.I[2]
	for r := r0; r < r1; r++ {
		id, ih := r/IH, r%IH
		copy(vol[((id+v.pre[0])*v.hp+ih+v.pre[1])*v.wp+v.pre[2]:][:IW], x[r*IW:][:IW])
	}
}

func newDeconvSubpixel(ex *executor, p *conv.Problem, w, b []float32) *deconvSubpixel {
	d := &deconvSubpixel{ex: ex, p: p, b: b}
	d.icg, d.ocg = p.ICG(), p.OCG()
	d.isp, d.osp = conv.Spatial(p.I), conv.Spatial(p.O)
	ocg := d.ocg
	v, phases := newSubpixelPhases(p, w)
	d.vol, d.phases = v, phases
	d.rowsPer = subpixelRowsPer(d.vol.wp)
	maxK, maxNT := 0, 0
	for i, s := range d.phases {
		nq := s.q[0] * s.q[1]
		for blk := range ceilDiv(nq, d.rowsPer) {
			d.pairs = append(d.pairs, subpixelPair{i, blk})
		}
		maxK, maxNT = max(maxK, s.k), max(maxNT, min(d.rowsPer, nq)*d.vol.wp)
	}
	d.rows, d.mblocks = gemmSplit(p.MB*p.G*len(d.pairs), ocg, splitTarget(ex.workers))
	// slack after the last volume: the discarded columns of a phase's last
	// row read up to wp elements past it
	d.padded = ex.floats(p.MB*p.IC*d.vol.psz + d.vol.wp)
	for i := range d.phases {
		s := &d.phases[i]
		if s.k == 0 {
			continue
		}
		for g := 0; g < p.G; g++ {
			for m := 0; m < d.mblocks; m++ {
				o0 := m * d.rows
				s.pa = append(s.pa, ex.packA(min(d.rows, ocg-o0), s.k, s.w[(g*ocg+o0)*s.k:], s.k))
			}
		}
	}
	d.cs = ex.perWorker(d.rows * maxNT)
	d.panels = make([]widePanels, ex.workers)
	for i := range d.panels {
		// a task's runs: one per depth plane it meets
		d.panels[i].runCol = make([]int, 0, d.rowsPer+2)
		d.panels[i].runSrc = make([]int, 0, d.rowsPer+1)
	}
	ex.useGemm(d.rows, maxNT, max(1, maxK))
	d.fillTask = d.fill
	d.task = d.runTask
	return d
}

// subpixelTasks is deconvSubpixel's task count on p, its (phase, row
// block) count, phases and output-channel blocks, without preparing
// it (for Tasks).
func subpixelTasks(p *conv.Problem, workers int) (tasks, pairs, phases, mblocks int) {
	axes, pre, post := subpixelAxes(p)
	rowsPer := subpixelRowsPer(p.I[2] + pre[2] + post[2])
	for _, pd := range axes[0] {
		for _, ph := range axes[1] {
			for _, pw := range axes[2] {
				if pd.q*ph.q*pw.q > 0 {
					phases++
					pairs += ceilDiv(pd.q*ph.q, rowsPer)
				}
			}
		}
	}
	_, mblocks = gemmSplit(p.MB*p.G*pairs, p.OCG(), splitTarget(workers))
	return p.MB * p.G * pairs * mblocks, pairs, phases, mblocks
}

func (d *deconvSubpixel) run(x, out []float32) {
	p := d.p
	for _, a := range p.Axes() {
		hitIf(p.PEnd[a] < 0, pathSubpixelNegEnd)
		hitIf(p.OutputPadding(a) > 0, pathSubpixelOutPad)
	}
	d.x, d.out = x, out
	d.ex.forEach(p.MB*p.IC, d.fillTask)
	d.ex.forEach(p.MB*p.G*len(d.pairs)*d.mblocks, d.task)
	d.x, d.out = nil, nil
}

// fill copies channel nc of x into its padded volume.
func (d *deconvSubpixel) fill(_, nc int) {
	d.vol.fill(d.p, d.x[nc*d.isp:(nc+1)*d.isp], d.padded[nc*d.vol.psz:])
}

func (d *deconvSubpixel) runTask(wk, task int) {
	p, icg, ocg, wp := d.p, d.icg, d.ocg, d.vol.wp
	mblk := task % d.mblocks
	task /= d.mblocks
	pr := d.pairs[task%len(d.pairs)]
	task /= len(d.pairs)
	g := task % p.G
	n := task / p.G
	ph := &d.phases[pr.phase]
	QH, QW := ph.q[1], ph.q[2]
	nq := ph.q[0] * QH
	q0, q1 := pr.blk*d.rowsPer, min(nq, (pr.blk+1)*d.rowsPer)
	nt := (q1 - q0) * wp
	hitIf(pr.blk > 0 && q1-q0 < d.rowsPer, pathSubpixelRowRem)
	hitIf(q1-1 >= QH, pathSubpixelDeep)
	hitIf(d.mblocks > 1, pathSubpixelOCBlocks)
	o0 := mblk * d.rows
	rows := min(d.rows, ocg-o0)
	var cm []float32
	if ph.ntap > 0 {
		// B: runs of rows within one depth plane, packed panel by panel
		// straight from the padded volume
		bp := &d.panels[wk]
		bp.reset(d.padded[(n*p.IC+g*icg)*d.vol.psz:], ph.offs)
		for q := q0; q < q1; {
			qd, qh := q/QH, q%QH
			cnt := min(QH-qh, q1-q)
			bp.addRun((qd*d.vol.hp+qh)*wp, cnt*wp)
			q += cnt
		}
		cm = d.cs[wk][:rows*nt]
		d.ex.gemmWS(wk).SgemmPackedAPanels(ph.pa[g*d.mblocks+mblk], nt, bp, 0, cm, nt)
		bp.vol = nil
	} else {
		hit(pathSubpixelBiasOnly)
	}
	// the phase's outputs go to their strided positions, with the bias
	OH, OW, SW := p.O[1], p.O[2], p.S[2]
	for o := 0; o < rows; o++ {
		oc := g*ocg + o0 + o
		bias := float32(0)
		if d.b != nil {
			bias = d.b[oc]
		}
		y := d.out[(n*p.OC+oc)*d.osp:][:d.osp]
		for q := q0; q < q1; q++ {
			od, oh := ph.o0[0]+q/QH*p.S[0], ph.o0[1]+q%QH*p.S[1]
			row := y[(od*OH+oh)*OW:][:OW][ph.o0[2]:]
			if cm == nil {
				for i := 0; i < QW; i++ {
					row[i*SW] = bias
				}
				continue
			}
			src := cm[o*nt+(q-q0)*wp:][:QW]
			if SW == 1 {
				dst := row[:QW]
				for i, v := range src {
					dst[i] = v + bias
				}
			} else {
				for i, v := range src {
					row[i*SW] = v + bias
				}
			}
		}
	}
}

// subpixelSpans returns each phase's span, 1 + its largest term offset
// (what the blocked and row kernels check their input against), or an
// error if an offset lies outside a group's icg volumes of psz floats.
func subpixelSpans(phases []subpixelPhase, icg, psz int) ([]int, error) {
	span := make([]int, len(phases))
	for i, s := range phases {
		span[i] = 1
		for _, o := range s.offs {
			if o < 0 || o >= icg*psz {
				return nil, fmt.Errorf("term offset %d outside the group's volume [0, %d)", o, icg*psz)
			}
			span[i] = max(span[i], o+1)
		}
	}
	return span, nil
}

// subpixelUnit is pieces [t0, t1) of depth plane qd of a phase: a task's
// share of a phase plane in deconv-blocked (flat tiles) and deconv-rows
// (row segments).
type subpixelUnit struct{ phase, qd, t0, t1 int }

// subpixelUnits cuts the phases into tasks for images × groups × chunks: a
// task is the same share of every phase's pieces(s) pieces (each about pos
// output positions), on every depth plane, chunk c the pieces [c·nt/chunks,
// (c+1)·nt/chunks) of a phase of nt. Chunks are as many as the workers need
// (splitTarget, over images and groups first), never below minTaskMACs.
//
// Why every phase in one task: phases that differ in the width phase
// write the same output rows, every other column, so the same cache
// lines. With a phase a task, two workers ran two such phases at once and
// passed the lines back and forth on every store: the 4×4 stride-2 layer
// 64→32 at 28² took longer on 2 workers than on 1 (0.7×). A share of rows
// across the phases writes whole output rows that no other task touches.
func subpixelUnits(p *conv.Problem, phases []subpixelPhase, pos, workers int, pieces func(s *subpixelPhase) int) [][]subpixelUnit {
	all, most := 0, 0
	for i := range phases {
		nt := pieces(&phases[i])
		all += phases[i].q[0] * nt
		most = max(most, nt)
	}
	chunks := 1
	if base, target := p.MB*p.G, splitTarget(workers); base < target {
		chunks = ceilDiv(target, base)
		if m := minTaskMACs(); m > 0 && all > 0 {
			// no smaller than minTaskMACs: per is the multiply-adds of an
			// average piece (all its output channels, a phase's share of
			// the taps), all·per an image's and group's
			per := max(1, pos*p.OCG()*p.ICG()*p.Taps()/max(1, len(phases)))
			chunks = max(1, min(chunks, all*per/m))
		}
		chunks = max(1, min(chunks, most))
	}
	var tasks [][]subpixelUnit
	for c := range chunks {
		var us []subpixelUnit
		for i := range phases {
			nt := pieces(&phases[i])
			t0, t1 := c*nt/chunks, (c+1)*nt/chunks
			if t0 == t1 {
				continue
			}
			for qd := 0; qd < phases[i].q[0]; qd++ {
				us = append(us, subpixelUnit{i, qd, t0, t1})
			}
		}
		if len(us) > 0 {
			tasks = append(tasks, us)
		}
	}
	return tasks
}

// packPanels writes phase s's weights, read from p's kernel w [G][IC/G]
// [OC/G][K…], straight into the blocked panel layout of packBlockedPanels
// with blocks of mr channels, wp [G][⌈OCG/mr⌉][k][mr] (term c·ntap + r of
// output channel o at (c·ntap + r)·mr + o mod mr of its block's panel), as
// packBlockedPanels does from s.w: the kernels of deconv-blocked and
// deconv-rows then need no reordered copy of the weights. The slots past
// OCG are left as they are (zero in a fresh buffer).
func (s *subpixelPhase) packPanels(wp []float32, p *conv.Problem, w []float32, mr int) {
	if s.ntap == 0 {
		return // a phase no tap reaches: no weights
	}
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	nob := ceilDiv(ocg, mr)
	// block by block, so that no index divides by mr (it did, for each
	// (c, o)): a one-shot call packs on every call, where this loop was
	// 12% of the 4×4×4 stride-2 layer's profile on two workers; block by
	// block the call ran 0.95–0.98× (one-shot, alternated rounds)
	for g := 0; g < p.G; g++ {
		for c := 0; c < icg; c++ {
			for ob := 0; ob < nob; ob++ {
				// the block's ntap panel rows of input channel c
				rows := wp[((g*nob+ob)*s.k+c*s.ntap)*mr:][:s.ntap*mr]
				for j := range min(mr, ocg-ob*mr) {
					src := w[((g*icg+c)*ocg+ob*mr+j)*taps:][:taps]
					for r, ti := range s.tapIdx {
						rows[r*mr+j] = src[ti]
					}
				}
			}
		}
	}
}

// subpixelPanels is what deconv-blocked and deconv-rows share: p's phases
// over one zero-padded copy of the input (filled on every run), their
// spans, and each phase's weights and the biases packed for blocks of mr
// output channels (packBlockedPanels' layout).
type subpixelPanels struct {
	ex      *executor
	p       *conv.Problem
	vol     subpixelVolume
	padded  []float32
	phases  []subpixelPhase
	span    []int       // per phase: 1 + its largest term offset
	wp      [][]float32 // per phase: the weights packed [G][nob][k][mr], zero past OCG
	bias    []float32   // [G][nob][mr]
	nob     int
	fillCut fillSplit // how the input's fill is cut into tasks
	x, out  []float32 // the current run's
}

// newSubpixelPanels sets up p's phases; name prefixes its error. The
// padded copy of the input comes from usePadded.
func newSubpixelPanels(ex *executor, p *conv.Problem, name string) (subpixelPanels, error) {
	s := subpixelPanels{ex: ex, p: p}
	s.vol, s.phases = newSubpixelPhases(p, nil) // the weights go straight into the panels (packPanels)
	var err error
	if s.span, err = subpixelSpans(s.phases, p.ICG(), s.vol.psz); err != nil {
		return s, fmt.Errorf("%s: %w", name, err)
	}
	s.fillCut = newFillSplit(p, ex.workers, true)
	return s, nil
}

// usePadded gives s the padded copy of the input that all workers fill,
// zero, with slackRows padded rows after the last volume. (Not where each
// worker fills its own copy: a one-shot call would clear it in vain.)
func (s *subpixelPanels) usePadded(slackRows int) {
	s.padded = s.ex.floats(s.p.MB*s.p.IC*s.vol.psz + slackRows*s.vol.wp)
}

// pack packs the weights w (when not nil) and biases b (when not nil) for
// blocks of mr output channels.
func (s *subpixelPanels) pack(w, b []float32, mr int) {
	p := s.p
	s.nob = ceilDiv(p.OCG(), mr)
	s.wp = make([][]float32, len(s.phases))
	for i := range s.phases {
		s.wp[i] = s.ex.floats(p.G * s.nob * s.phases[i].k * mr)
	}
	if w != nil {
		// a phase a task: a one-shot call packs on every call, and on
		// one goroutine the packing was a third of the benchmark's 4×4
		// stride-2 layer's one-shot time on two workers
		s.ex.forEach(len(s.phases), func(_, i int) { s.phases[i].packPanels(s.wp[i], p, w, mr) })
	}
	s.bias = make([]float32, p.G*s.nob*mr)
	if b != nil {
		// the biases alone (k = 0: no weights)
		packBlockedPanels(nil, s.bias, p.G, p.OCG(), 0, mr, nil, b)
	}
}

// fillTask copies fill task t (fillSplit) into its padded volume.
func (s *subpixelPanels) fillTask(_, t int) {
	p := s.p
	isp := conv.Spatial(p.I)
	nc0, nc1, r0, r1 := s.fillCut.task(p, t, p.I[0]*p.I[1])
	for nc := nc0; nc < nc1; nc++ {
		s.vol.fillRows(p, s.x[nc*isp:(nc+1)*isp], s.padded[nc*s.vol.psz:], r0, r1)
	}
}

// run fills the padded copy of x (unless fill is nil: the tasks fill
// what they read), then runs tasks tasks of task (its fill and task
// functions made once, at preparation: see executor.forEach),
// both affine: a task's rows of every phase (subpixelUnits) come from
// about the same share of the input rows, which its worker filled.
func (s *subpixelPanels) run(x, out []float32, fill func(wk, t int), tasks int, task func(wk, t int)) {
	s.x, s.out = x, out
	if fill != nil {
		s.ex.forEachAffine(s.fillCut.tasks(s.p), fill)
	}
	s.ex.forEachAffine(tasks, task)
	s.x, s.out = nil, nil
}
