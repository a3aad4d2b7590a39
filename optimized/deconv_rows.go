package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

func deconvRowsVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "deconv-rows",
			Ops:      []conv.Op{conv.OpDeconv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: each output starts at its bias and adds the products
			// x·w of its phase's (input channel, tap) terms one at a time,
			// in (c, kd, kh, kw) order, the chunks of terms handing the
			// partial sum on as float32 unchanged (rowsKernel): a recursive
			// float32 sum of at most (IC/G)·taps terms, error ≤ γ_N·Σ|x·w|;
			// the padded volume's zeros add exact zeros.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d, err := newDeconvRows(ex, p, w, b)
			if err != nil {
				return nil, err
			}
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// deconvRows is deconv-blocked's decomposition (the sub-pixel phases, Π S
// stride-1 correlations over one zero-padded copy of the input, subpixel.go)
// on direct-rows' micro-kernel: a phase's output plane (QH × QW outputs of
// depth plane qd) is cut into row segments as direct-rows cuts an output
// plane, each computed as P outputs × a block of output channels from the
// phase's terms (s.offs) and stored, transposed, to the phase's outputs,
// which lie S apart along each axis: at width stride 2 the two width
// phases of a row together (rowsJob, zip2Rows), else through
// scatter2Rows.
//
// Why, beside deconv-blocked: its flat runs carry the padded volume's
// garbage columns, and direct-rows' tile ran 1.18× direct-blocked's on a
// phase's own shape (2×2 taps, 64→32 at 28², paired ratios), 1.25× in 3D
// (2×2×2, 32→16 at 8³).
//
// Tasks are (image, group, unit), a unit being a range of the segments of
// one (phase, depth plane), split as far as the workers need
// (splitTarget), never below minTaskMACs. A task runs its jobs (a unit,
// or a zip pair of units: rowsJob), each with its output-channel blocks
// outermost, each block over the segments in groups of rowsGroupSegs
// (half that for each unit of a pair) and the terms in chunks of whole
// input channels (about rowsChunkTerms), as direct-rows does.
type deconvRows struct {
	subpixelPanels                  // weights packed for blocks of oc channels
	segs           []rowsSegs       // per phase: how its rows are cut
	oc, maxPos     int              // the tile (rowsShape)
	units          [][]subpixelUnit // per task (subpixelUnits)
	jobs           [][]rowsJob      // per task: its units, zip pairs joined (rowsJobs)
	acc            [][]float32      // per worker: a group's partial sums, [gs][P][oc] (and rowsStore's slack)
	tmp            [][]float32      // per worker: a segment transposed, [2][oc][maxPos], for a strided store
	// own: per worker, a padded volume only that worker fills and reads
	// (deconvRowsOwn), taskRows per task the input rows [r0, r1) its units
	// read, ownAt which rows of which run a worker's volume holds
	own        [][]float32
	taskRows   [][2]int
	ownAt      []ownHeld
	runs       int64 // runs so far
	fill, task func(wk, task int)
}

// rowsSegs is how a plane's rows of cols outputs are cut (direct-rows' and
// deconv-rows' rule): the fewest segments of at most maxPos, all of P
// outputs but the last, which holds the rest (a row of 16 gives two of 8,
// not 14 and 2).
type rowsSegs struct{ segs, pos int }

func newRowsSegs(cols, maxPos int) rowsSegs {
	n := ceilDiv(cols, maxPos)
	return rowsSegs{n, ceilDiv(cols, n)}
}

// deconvRowsUnits is the units of p's phases, ranges of each plane's row
// segments, for the plan and for Tasks.
func deconvRowsUnits(p *conv.Problem, phases []subpixelPhase, maxPos, workers int) [][]subpixelUnit {
	return subpixelUnits(p, phases, maxPos, workers, func(s *subpixelPhase) int { return s.q[1] * newRowsSegs(s.q[2], maxPos).segs })
}

func newDeconvRows(ex *executor, p *conv.Problem, w, b []float32) (*deconvRows, error) {
	sp, err := newSubpixelPanels(ex, p, "deconv-rows")
	if err != nil {
		return nil, err
	}
	d := &deconvRows{subpixelPanels: sp}
	d.oc, d.maxPos = rowsShape(p)
	d.pack(w, b, d.oc)
	d.units = deconvRowsUnits(p, d.phases, d.maxPos, ex.workers)
	d.segs = make([]rowsSegs, len(d.phases))
	for i, s := range d.phases {
		d.segs[i] = newRowsSegs(s.q[2], d.maxPos)
	}
	second, first := zipPairs(p, d.phases)
	for _, us := range d.units {
		d.jobs = append(d.jobs, d.rowsJobs(us, second, first))
	}
	d.acc = ex.perWorker((rowsGroupSegs()-1)*d.maxPos*d.oc + rowsStoreFloats)
	d.tmp = ex.perWorker(2 * d.oc * d.maxPos)
	d.fill, d.task = d.fillTask, d.runTask
	if deconvRowsOwn(p, d.vol, ex.workers) {
		d.own, d.ownAt = ownCopies(ex, p.IC*d.vol.psz)
		for _, us := range d.units {
			d.taskRows = append(d.taskRows, d.unitRows(us))
		}
	} else {
		d.usePadded(0)
	}
	return d, nil
}

// deconvRowsOwn reports whether each worker fills its own padded volume,
// the input rows its task reads (unitRows) in every depth plane, when it
// starts a task of rows it does not hold yet in this run, instead of all
// workers filling one volume before the tasks (see rowsOwnPlanes): for
// one image and group, a volume of at most rowsOwnMax floats. Why: with one
// volume a worker read the rows next to its own from the other core's
// cache, and every worker waited for the whole fill. Two workers,
// interleaved A/B, median of paired ratios: the 4×4 stride-2 layers
// 64→32 at 28² 1.14–1.15, 128→64 at 14² 1.34, 32→32 at 56² 1.08, 256→128
// at 7² 1.09; 3×3 stride 1, 64→64 at 28², 1.20. No layer measured lost.
// In 3D too (a task's rows of every depth plane): on the development VM,
// where a cache line takes about 0.9 µs to go from one vCPU to the other
// and back, the benchmark's 4×4×4 stride-2 32→16 at 8³ ran each worker's
// first task of a run from the shared volume in up to 1.8× the time the
// task took alone. Paired, two workers: 32→16 at 8³ 1.23, 64→32 at 8³
// 1.14, 16→16 at 16³ 1.18.
func deconvRowsOwn(p *conv.Problem, vol subpixelVolume, workers int) bool {
	return workers > 1 && p.MB*p.G == 1 && p.IC*vol.psz <= rowsOwnMax
}

// unitRows is the input rows [r0, r1) that units us read, of each depth
// plane: a unit of rows qh0 … qh1−1 of its phase reads padded rows qh +
// each of its taps' row offsets (an offset's row within its depth plane).
func (d *deconvRows) unitRows(us []subpixelUnit) [2]int {
	r0, r1 := d.p.I[1], 0
	for _, u := range us {
		s := &d.phases[u.phase]
		if s.ntap == 0 {
			continue // the bias alone: reads nothing
		}
		sg := d.segs[u.phase]
		lo, hi := d.vol.hp, 0
		for _, off := range s.offs[:s.ntap] { // channel 0's taps
			row := off / d.vol.wp % d.vol.hp
			lo, hi = min(lo, row), max(hi, row)
		}
		qh0, qh1 := u.t0/sg.segs, ceilDiv(u.t1, sg.segs)
		r0, r1 = min(r0, qh0+lo-d.vol.pre[1]), max(r1, qh1+hi-d.vol.pre[1])
	}
	return [2]int{max(0, r0), min(d.p.I[1], r1)}
}

func (d *deconvRows) run(x, out []float32) {
	fill := d.fill
	if d.own != nil {
		d.runs++
		fill = nil // each task fills its worker's own volume
	}
	d.subpixelPanels.run(x, out, fill, d.p.MB*d.p.G*len(d.units), d.task)
}

func (d *deconvRows) runTask(wk, task int) {
	c := task % len(d.units)
	task /= len(d.units)
	g, n := task%d.p.G, task/d.p.G
	vol := d.padded
	if d.own != nil {
		hit(pathDeconvRowsOwn)
		vol = d.own[wk]
		r := d.taskRows[c]
		d.ownAt[wk].zeroOnce(vol)
		if r0, r1 := d.ownAt[wk].takeRows(d.runs, r[0], r[1]); r0 < r1 {
			p, isp := d.p, conv.Spatial(d.p.I)
			hitIf(p.I[0] > 1, pathDeconvRowsOwn3D)
			for nc := range p.IC {
				for id := range p.I[0] {
					d.vol.fillRows(p, d.x[nc*isp:(nc+1)*isp], vol[nc*d.vol.psz:], id*p.I[1]+r0, id*p.I[1]+r1)
				}
			}
		}
	}
	for _, j := range d.jobs[c] {
		d.runJob(wk, n, g, j, vol)
	}
}

// rowsJob is one unit, or two (paired) whose outputs alternate along a
// row: the two width phases of a depth and row phase at width stride 2,
// the same segments of the same planes (zipPartner), computed one after
// the other and stored together (zip2Rows). Why: stored a phase at a time,
// each output line was written twice, by masked stores a phase, from a
// segment transposed and then spread; on the 2-vCPU Zen 5 those stores
// were a tenth of the stride-2 layers' time on one worker and, on two, the
// part that grew (4×4 stride-2 64→32 at 28², instrumented: 6.3 µs a task
// alone, 10.5 in each worker's first task of a run). Paired, that layer's
// plan ran 200–203 GFLOP/s against 191 on one worker and 373–379 against
// 343–351 on two; 4×4×4 stride-2 32→16 at 8³ 170 against 161–164 on one,
// the same on two (go test -bench, 3 alternated rounds).
type rowsJob struct {
	u      [2]subpixelUnit
	paired bool
}

// rowsJobs is the jobs of a task's units us, in us's order: a unit whose
// zip partner is in us with the same depth plane and segments joins it
// (the job stands where the first of the two stood), the rest run alone.
// second and first are zipPairs'.
// Linear in the units (a one-shot call makes the jobs on every call, and
// a 3D task holds a unit per phase and depth plane).
func (d *deconvRows) rowsJobs(us []subpixelUnit, second, first []int) []rowsJob {
	// where each (phase, depth plane) stands in us: index + 1, 0 for none
	nq := 1
	for _, u := range us {
		nq = max(nq, u.qd+1)
	}
	at := make([]int, len(d.phases)*nq)
	for i, u := range us {
		at[u.phase*nq+u.qd] = i + 1
	}
	var jobs []rowsJob
	done := make([]bool, len(us))
	for i, u := range us {
		if done[i] {
			continue
		}
		done[i] = true
		j := rowsJob{u: [2]subpixelUnit{u, u}}
		for _, q := range [2]struct {
			phase  int
			uFirst bool
		}{{second[u.phase], true}, {first[u.phase], false}} {
			if q.phase < 0 {
				continue
			}
			k := at[q.phase*nq+u.qd] - 1
			if k < 0 || done[k] || us[k].t0 != u.t0 || us[k].t1 != u.t1 {
				continue
			}
			j.paired, done[k] = true, true
			if q.uFirst {
				j.u[1] = us[k]
			} else {
				j.u = [2]subpixelUnit{us[k], u}
			}
			break
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// zipPairs returns, per phase, its zip partner (zipPartner) and the phase
// whose partner it is, -1 for none.
func zipPairs(p *conv.Problem, phases []subpixelPhase) (second, first []int) {
	second, first = make([]int, len(phases)), make([]int, len(phases))
	for i := range phases {
		second[i], first[i] = -1, -1
	}
	for a := range phases {
		if b, ok := zipPartner(p, phases, a); ok {
			second[a], first[b] = b, a
		}
	}
	return second, first
}

// zipPartner returns the phase whose outputs follow phase a's along every
// output row, alternating with them: at width stride 2, a neighbour of a
// in newSubpixelPhases' order (width innermost) with the same depth and
// row phase, as many outputs along each axis, and its first output one
// column after a's. a's j-th output of a row segment then lies at 2j and
// the partner's at 2j + 1 from a's first.
func zipPartner(p *conv.Problem, phases []subpixelPhase, a int) (int, bool) {
	if p.S[2] != 2 {
		return 0, false
	}
	s := &phases[a]
	for _, b := range []int{a - 1, a + 1} {
		if b < 0 || b >= len(phases) {
			continue
		}
		t := &phases[b]
		if t.o0[0] == s.o0[0] && t.o0[1] == s.o0[1] && t.q == s.q && t.o0[2] == s.o0[2]+1 {
			return b, true
		}
	}
	return 0, false
}

// runJob computes job j of image n, group g on worker wk, from the padded
// volume vol: its units' segments a group at a time, each unit's into its
// half of the worker's acc when paired, then the group's stores.
func (d *deconvRows) runJob(wk, n, g int, j rowsJob, padded []float32) {
	p, vol := d.p, d.vol
	icg, ocg, oc := p.ICG(), p.OCG(), d.oc
	x := padded[(n*p.IC+g*icg)*vol.psz+j.u[0].qd*vol.hp*vol.wp:]
	halves := 1
	if j.paired {
		halves = 2
	}
	u0 := j.u[0]
	sg := d.segs[u0.phase] // a partner's segments are the same
	P := sg.pos
	gs, acc := max(1, rowsGroupSegs()/halves), d.acc[wk]
	hitIf(u0.t1-u0.t0 > gs, pathDeconvRowsGroups)
	hitIf(j.paired, pathDeconvRowsZip)
	seg := func(t int) (qh, qw, width int) {
		qh, qw = t/sg.segs, t%sg.segs*P
		return qh, qw, min(P, d.phases[u0.phase].q[2]-qw)
	}
	// each unit's phase and terms per chunk (whole input channels of the
	// phase's taps), once a job
	var ph [2]*subpixelPhase
	var kts [2]int
	for h, u := range j.u[:halves] {
		ph[h] = &d.phases[u.phase]
		kts[h] = rowsChunk(ph[h].ntap, oc)
		hitIf(ph[h].ntap == 0, pathDeconvRowsBias)
		hitIf(ph[h].k > kts[h], pathDeconvRowsChunks)
	}
	for ob := 0; ob < d.nob; ob++ {
		pb := g*d.nob + ob
		bias := d.bias[pb*oc : (pb+1)*oc]
		chans := min(oc, ocg-ob*oc)
		for tg := u0.t0; tg < u0.t1; tg += gs {
			te := min(u0.t1, tg+gs)
			for h, u := range j.u[:halves] {
				s, kt, span := ph[h], kts[h], d.span[u.phase]
				w := d.wp[u.phase][pb*s.k*oc : (pb+1)*s.k*oc]
				ah := acc[h*gs*P*oc:]
				// one pass with no terms for a phase no tap reaches: the bias
				for k0 := 0; k0 == 0 || k0 < s.k; k0 += kt {
					k1 := min(s.k, k0+kt)
					for t := tg; t < te; t++ {
						qh, qw, width := seg(t)
						c := ah[(t-tg)*P*oc:]
						init, ldi := bias, 0
						if k0 > 0 {
							init, ldi = c, oc
						}
						rowsKernel(oc, width, c, init, ldi, x[qh*vol.wp+qw:], span, s.offs[k0:k1], w[k0*oc:k1*oc])
					}
				}
			}
			for t := tg; t < te; t++ {
				qh, qw, width := seg(t)
				c := acc[(t-tg)*P*oc:]
				if j.paired {
					d.storePair(wk, c, acc[(gs+t-tg)*P*oc:], n, g*ocg+ob*oc, chans, &d.phases[u0.phase], u0.qd, qh, qw, width)
					continue
				}
				d.store(wk, c, n, g*ocg+ob*oc, chans, &d.phases[u0.phase], u0.qd, qh, qw, width)
			}
		}
	}
}

// storePair writes the finished segments a and b of a zip pair (phase s
// and its partner, zipPartner), width outputs each from (qh, qw) of depth
// plane qd, output channels oc0 … oc0+chans−1: both transposed into the
// worker's tmp, then interleaved into the output rows from s's first.
func (d *deconvRows) storePair(wk int, a, b []float32, n, oc0, chans int, s *subpixelPhase, qd, qh, qw, width int) {
	ta, tb := d.tmp[wk][:d.oc*d.maxPos], d.tmp[wk][d.oc*d.maxPos:]
	rowsStore(d.oc, width, a, ta, d.maxPos, chans)
	rowsStore(d.oc, width, b, tb, d.maxPos, chans)
	zip2Rows(d.out[d.storeAt(n, oc0, s, qd, qh, qw):], conv.Spatial(d.p.O), ta, tb, d.maxPos, width, chans)
}

// store writes a finished segment c (width outputs from (qh, qw) of depth
// plane qd of phase s; output channels oc0 … oc0+chans−1) to the phase's
// outputs: straight through rowsStore at width stride 1, else transposed
// into the worker's tmp and spread S apart.
func (d *deconvRows) store(wk int, c []float32, n, oc0, chans int, s *subpixelPhase, qd, qh, qw, width int) {
	p := d.p
	SW := p.S[2]
	osp := conv.Spatial(p.O)
	base := d.storeAt(n, oc0, s, qd, qh, qw)
	if SW == 1 {
		rowsStore(d.oc, width, c, d.out[base:], osp, chans)
		return
	}
	tmp := d.tmp[wk]
	rowsStore(d.oc, width, c, tmp, d.maxPos, chans)
	hitIf(SW == 2, pathDeconvRowsScatter2)
	spreadRows(d.out[base:], osp, tmp, d.maxPos, width, chans, SW)
}

// storeAt is the output index of the first output of the segment at (qh,
// qw) of depth plane qd of phase s, output channel oc0 of image n.
func (d *deconvRows) storeAt(n, oc0 int, s *subpixelPhase, qd, qh, qw int) int {
	p := d.p
	od, oh := s.o0[0]+qd*p.S[0], s.o0[1]+qh*p.S[1]
	return (n*p.OC+oc0)*conv.Spatial(p.O) + (od*p.O[1]+oh)*p.O[2] + s.o0[2] + qw*p.S[2]
}

// deconvRowsUseful is the share of deconv-rows' multiply-adds that reach
// an output (blockedGeom.useful's measure): of its segments' positions and
// its blocks' channels, the phases' outputs and OCG channels are real.
func deconvRowsUseful(p *conv.Problem, phases []subpixelPhase) float64 {
	oc, maxPos := rowsShape(p)
	real, done := 0, 0
	for _, s := range phases {
		sg := newRowsSegs(s.q[2], maxPos)
		real += s.q[0] * s.q[1] * s.q[2] * p.OCG()
		done += s.q[0] * s.q[1] * sg.segs * sg.pos * ceilDiv(p.OCG(), oc) * oc
	}
	return float64(real) / float64(max(1, done))
}

// deconvRowsSplit is Tasks' count and description for deconv-rows.
func deconvRowsSplit(p *conv.Problem, workers int) (int, string) {
	_, phases := newSubpixelPhases(p, nil)
	oc, maxPos := rowsShape(p)
	us := deconvRowsUnits(p, phases, maxPos, workers)
	return p.MB * p.G * len(us), fmt.Sprintf("batch %d × groups %d × chunks %d (each a share of every phase and depth plane: %d phases, row segments of up to %d outputs × %d output channels, tasks of ≥ %d multiply-adds)",
		p.MB, p.G, len(us), len(phases), maxPos, oc, minTaskMACs())
}
