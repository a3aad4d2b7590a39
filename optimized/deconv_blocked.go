package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

func deconvBlockedVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "deconv-blocked",
			Ops:      []conv.Op{conv.OpDeconv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: each output starts at its bias and adds the products
			// x·w of its phase's (input channel, tap) terms one at a time, in
			// (c, kd, kh, kw) order, the K blocks continuing the same
			// accumulator (blockedKernel): a recursive float32 sum of at most
			// (IC/G)·taps terms (those reaching the output; the padded
			// volume's zeros add exact zeros), error ≤ γ_N·Σ|x·w|.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d, err := newDeconvBlocked(ex, p, w, b)
			if err != nil {
				return nil, err
			}
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// deconvBlocked is deconv-subpixel's decomposition (see deconvSubpixel: Π S
// stride-1 phase correlations over one zero-padded copy of the input) with
// direct-blocked's micro-kernel instead of a GEMM: in a depth plane qd of
// phase s the outputs (qh, qw) sit at flat position qh·wp + qw of the
// padded volume's rows, and every term (c, tap) reads the volume at that
// position plus a fixed offset (s.offs), so a plane is one flat run of
// (QH−1)·wp + QW positions (the wp − QW after each row are garbage, never
// stored). Its tiles of T positions go through blockedKernel, MR output
// channels at a time over K blocks of kc input channels (their window
// stays in L1 across the channel blocks), and the finished tile's valid
// columns go to the phase's strided output positions. A phase no tap
// reaches runs the kernel with no terms: the bias.
//
// Tasks are (image, group, unit), a unit being a range of the tiles of
// one (phase, depth plane); the ranges split only as far as the workers
// need (splitTarget), never below minTaskMACs.
type deconvBlocked struct {
	subpixelPanels // weights packed for blocks of MR channels
	mr, t          int
	kc             int              // input channels per K block
	units          [][]subpixelUnit // per task (subpixelUnits)
	acc            [][]float32      // per worker: a scratch tile per output-channel block, [nob][MR][T]
	fill, task     func(wk, task int)
}

// deconvBlockedRunLen is the flat run length of the phases' planes that
// blockedShape weighs: the largest (the phases of a stride differ by at
// most a row and a column).
func deconvBlockedRunLen(phases []subpixelPhase, wp int) int {
	n := 1
	for _, s := range phases {
		n = max(n, (s.q[1]-1)*wp+s.q[2])
	}
	return n
}

// deconvBlockedUnits is the units of p's phases, ranges of each plane's
// flat tiles of T positions, for the plan and for Tasks.
func deconvBlockedUnits(p *conv.Problem, phases []subpixelPhase, wp, t, workers int) [][]subpixelUnit {
	return subpixelUnits(p, phases, t, workers, func(s *subpixelPhase) int { return ceilDiv((s.q[1]-1)*wp+s.q[2], t) })
}

func newDeconvBlocked(ex *executor, p *conv.Problem, w, b []float32) (*deconvBlocked, error) {
	// a row of slack after the last volume: garbage columns of a plane's
	// last row read up to wp elements past it
	sp, err := newSubpixelPanels(ex, p, "deconv-blocked")
	if err != nil {
		return nil, err
	}
	sp.usePadded(1)
	d := &deconvBlocked{subpixelPanels: sp}
	ocg := p.OCG()
	var nv int
	d.mr, nv = blockedShape(ocg, deconvBlockedRunLen(d.phases, d.vol.wp))
	d.t = 16 * nv
	d.pack(w, b, d.mr)
	d.units = deconvBlockedUnits(p, d.phases, d.vol.wp, d.t, ex.workers)
	// a channel's window in a tile: T positions plus the reach of its
	// taps (the largest offset within one channel's volume)
	reach := 0
	for _, s := range d.phases {
		for _, o := range s.offs {
			reach = max(reach, o%d.vol.psz)
		}
	}
	d.kc = max(1, min(p.ICG(), blockedL1()/(d.t+reach)))
	d.acc = ex.perWorker(d.nob * d.mr * d.t)
	d.fill, d.task = d.fillTask, d.runTask
	return d, nil
}

func (d *deconvBlocked) run(x, out []float32) {
	d.subpixelPanels.run(x, out, d.fill, d.p.MB*d.p.G*len(d.units), d.task)
}

func (d *deconvBlocked) runTask(wk, task int) {
	us := d.units[task%len(d.units)]
	task /= len(d.units)
	g, n := task%d.p.G, task/d.p.G
	for _, u := range us {
		d.runUnit(wk, n, g, u)
	}
}

// runUnit computes unit u of image n, group g on worker wk.
func (d *deconvBlocked) runUnit(wk, n, g int, u subpixelUnit) {
	p, vol := d.p, d.vol
	s := &d.phases[u.phase]
	icg, ocg, mr, T := p.ICG(), p.OCG(), d.mr, d.t
	QH := s.q[1]
	runLen := (QH-1)*vol.wp + s.q[2]
	// the group's volumes from plane qd of the phase (the garbage columns
	// of the last row read into the slack; blockedKernel checks the bound)
	x := d.padded[(n*p.IC+g*icg)*vol.psz+u.qd*vol.hp*vol.wp:]
	span := d.span[u.phase]
	nkb := max(1, ceilDiv(icg, d.kc))
	hitIf(s.ntap == 0, pathDeconvBlkBias)
	hitIf(nkb > 1 && icg%d.kc != 0, pathDeconvBlkKRem)
	hitIf(ocg%mr != 0, pathDeconvBlkOCRem)
	for t := u.t0; t < u.t1; t++ {
		f0 := t * T
		nv := min(T, runLen-f0)
		hitIf(nv < T, pathDeconvBlkTail)
		for kb := 0; kb < nkb; kb++ {
			k0, k1 := min(icg, kb*d.kc)*s.ntap, min(icg, (kb+1)*d.kc)*s.ntap
			for ob := 0; ob < d.nob; ob++ {
				c := d.acc[wk][ob*mr*T : (ob+1)*mr*T]
				pb := g*d.nob + ob
				blockedKernel(mr, T, c, d.bias[pb*mr:(pb+1)*mr], x[f0:], span, s.offs[k0:k1],
					d.wp[u.phase][(pb*s.k+k0)*mr:(pb*s.k+k1)*mr], kb > 0, nv, 4*T)
				if kb == nkb-1 {
					d.store(c, n, g*ocg+ob*mr, min(mr, ocg-ob*mr), s, u.qd, f0, nv)
				}
			}
		}
	}
}

// store scatters the valid columns of a finished tile (nv flat positions
// from f0 of plane qd of phase s; channels oc0… of which rows are real)
// to their strided output positions.
func (d *deconvBlocked) store(c []float32, n, oc0, rows int, s *subpixelPhase, qd, f0, nv int) {
	p, wp, T := d.p, d.vol.wp, d.t
	OH, OW, SW := p.O[1], p.O[2], p.S[2]
	osp := conv.Spatial(p.O)
	od := s.o0[0] + qd*p.S[0]
	for qh := f0 / wp; qh*wp < f0+nv; qh++ {
		lo, hi := max(0, f0-qh*wp), min(s.q[2], f0+nv-qh*wp)
		if lo >= hi {
			continue
		}
		src := qh*wp + lo - f0
		oh := s.o0[1] + qh*p.S[1]
		base := (n*p.OC+oc0)*osp + (od*OH+oh)*OW + s.o0[2] + lo*SW
		spreadRows(d.out[base:], osp, c[src:], T, hi-lo, rows, SW)
	}
}

// deconvBlockedUseful is the share of deconv-blocked's multiply-adds
// that reach an output (blockedGeom.useful's measure): of its tiles'
// positions and its blocks' channels, the phases' outputs and OCG
// channels are real.
func deconvBlockedUseful(p *conv.Problem, v subpixelVolume, phases []subpixelPhase) float64 {
	mr, nv := blockedShape(p.OCG(), deconvBlockedRunLen(phases, v.wp))
	real, done := 0, 0
	for _, s := range phases {
		real += s.q[0] * s.q[1] * s.q[2] * p.OCG()
		done += s.q[0] * ceilDiv((s.q[1]-1)*v.wp+s.q[2], 16*nv) * 16 * nv * ceilDiv(p.OCG(), mr) * mr
	}
	return float64(real) / float64(max(1, done))
}

// deconvBlockedSplit is Tasks' count and description for deconv-blocked.
func deconvBlockedSplit(p *conv.Problem, workers int) (int, string) {
	v, phases := newSubpixelPhases(p, nil)
	_, nv := blockedShape(p.OCG(), deconvBlockedRunLen(phases, v.wp))
	us := deconvBlockedUnits(p, phases, v.wp, 16*nv, workers)
	return p.MB * p.G * len(us), fmt.Sprintf("batch %d × groups %d × chunks %d (each a share of every phase and depth plane: %d phases, tiles of %d positions)",
		p.MB, p.G, len(us), len(phases), 16*nv)
}
