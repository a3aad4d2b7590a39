package perf

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"
)

// PeakPrefix and CopyPrefix name bench's probes: they measure the machine,
// not an implementation, so they get verdicts but never fail a comparison.
const (
	PeakPrefix = "Peak/"
	CopyPrefix = "Copy/"
)

// IsProbe reports whether the benchmark measures the machine.
func IsProbe(name string) bool {
	return strings.HasPrefix(name, PeakPrefix) || strings.HasPrefix(name, CopyPrefix)
}

// workersKey is the /workers=N part of a name, "" if none.
func workersKey(name string) string {
	i := strings.LastIndex(name, "/workers=")
	if i < 0 {
		return ""
	}
	return name[i:]
}

// alignWorkers lets a run of one worker count, whose names carry no
// /workers=N (bench adds the key only when it times several counts), be
// compared with a run of several: where exactly one of the two files has
// keyed names, the other's unkeyed names get the key of the count its run
// timed, read from its "workers" configuration line ("workers: 1"). A
// file without that line, or with several counts in it, is left as it is.
func alignWorkers(old, new *Set) (*Set, *Set) {
	ko, kn := hasWorkersKeys(old), hasWorkersKeys(new)
	switch {
	case ko && !kn:
		return old, withWorkersKey(new)
	case kn && !ko:
		return withWorkersKey(old), new
	}
	return old, new
}

func hasWorkersKeys(s *Set) bool {
	for _, n := range s.Names {
		if workersKey(n) != "" {
			return true
		}
	}
	return false
}

// withWorkersKey is s with "/workers=W" added to every name that has no
// such key, W its configured single worker count; s itself when the
// configuration names none or several.
func withWorkersKey(s *Set) *Set {
	w, err := strconv.Atoi(strings.TrimSpace(s.Config["workers"]))
	if err != nil || w < 1 {
		return s
	}
	key := "/workers=" + strconv.Itoa(w)
	rename := func(n string) string {
		if workersKey(n) != "" {
			return n
		}
		return n + key
	}
	t := *s
	t.Names = make([]string, len(s.Names))
	t.Values = make(map[string]map[string][]float64, len(s.Values))
	t.Promised = make(map[string]int, len(s.Promised))
	for i, n := range s.Names {
		t.Names[i] = rename(n)
	}
	for n, v := range s.Values {
		t.Values[rename(n)] = v
	}
	for n, v := range s.Promised {
		t.Promised[rename(n)] = v
	}
	return &t
}

// PeakOf is the name of the FMA probe that s ran beside bench (the one of
// the same worker count, /workers=N, when the run timed several), or "".
func PeakOf(s *Set, bench string) string {
	wk := workersKey(bench)
	for _, n := range s.Names {
		if strings.HasPrefix(n, PeakPrefix) && workersKey(n) == wk {
			return n
		}
	}
	return ""
}

// Normalization by the peak: a shared machine slows every benchmark of a
// run and its FMA probe alike (clock, other jobs), so each benchmark's
// values are divided (GFLOP/s: higher is better) or multiplied (sec/op:
// lower is better) by the median of its own run's probe of the same worker
// count, p. The U test and the medians are on these shares of peak.
//
// The probe's median is itself uncertain, within its confidence interval
// [p.lo, p.hi] (benchstat's, order statistics: no assumption on the
// distribution). So is the machine factor between the runs, ρ = p_new/p_old,
// within [ρlo, ρhi] = [p_new.lo/p_old.hi, p_new.hi/p_old.lo] (the ratio of
// two intervals). With q the ratio of the raw medians (new/old), the change
// that is the code's, not the machine's, is
//
//	higher better: δ(ρ) = q/ρ − 1, in [q/ρhi − 1, q/ρlo − 1]
//	lower better:  δ(ρ) = q·ρ − 1, in [q·ρlo − 1, q·ρhi − 1]
//
// and the verdict takes the end most favourable to "no change": a
// regression only if even that end is worse than the threshold, an
// improvement likewise; a probe too short for a finite interval therefore
// gives no verdict but "~". The U test must reject too (p ≤ α), as without
// normalization.
func compareNormalized(old, new *Set, name, unit string, th *benchmath.Thresholds, conf float64, better int, threshold float64) (Row, error) {
	po, pn := PeakOf(old, name), PeakOf(new, name)
	if po == "" || pn == "" {
		return Row{}, fmt.Errorf("--normalize peak: %s: no FMA probe of its worker count in %s", name, map[bool]string{true: old.File, false: new.File}[po == ""])
	}
	// The probe in its own headline unit (GFLOP/s: higher is better);
	// files of bench always carry it.
	peakVals := func(s *Set, n string) []float64 { return s.Values[n]["GFLOP/s"] }
	pov, pnv := peakVals(old, po), peakVals(new, pn)
	if len(pov) == 0 || len(pnv) == 0 {
		return Row{}, fmt.Errorf("--normalize peak: %s has no GFLOP/s", po)
	}
	a := benchmath.AssumeNothing
	pso := a.Summary(benchmath.NewSample(append([]float64(nil), pov...), th), conf)
	psn := a.Summary(benchmath.NewSample(append([]float64(nil), pnv...), th), conf)
	if !(pso.Center > 0) || !(psn.Center > 0) || math.IsInf(pso.Center, 0) || math.IsInf(psn.Center, 0) {
		// Dividing by a zero probe would give infinities and NaNs, on which
		// the U test loops forever.
		return Row{}, fmt.Errorf("--normalize peak: %s: the FMA probe's median is %g in %s and %g in %s; want both positive", name, pso.Center, old.File, psn.Center, new.File)
	}
	scale := func(v []float64, p float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			if better > 0 {
				out[i] = x / p
			} else {
				out[i] = x * p
			}
		}
		return out
	}
	ov, nv := old.Values[name][unit], new.Values[name][unit]
	r := compareOne(name, scale(ov, pso.Center), scale(nv, psn.Center), th, conf, better, threshold)
	r.Peak, r.PeakOld, r.PeakNew = pn, pso, psn
	r.Warnings = append(append(r.Warnings, pso.Warnings...), psn.Warnings...)
	// q from the raw medians, the same as from the normalized ones times ρ.
	q := r.New.Center / r.Old.Center
	if better > 0 {
		q *= psn.Center / pso.Center
	} else {
		q /= psn.Center / pso.Center
	}
	rhoLo, rhoHi := psn.Lo/pso.Hi, psn.Hi/pso.Lo
	if !(rhoLo > 0) || math.IsInf(rhoHi, 0) || math.IsNaN(q) {
		r.DeltaLo, r.DeltaHi = math.Inf(-1), math.Inf(1)
	} else if better > 0 {
		r.DeltaLo, r.DeltaHi = q/rhoHi-1, q/rhoLo-1
	} else {
		r.DeltaLo, r.DeltaHi = q*rhoLo-1, q*rhoHi-1
	}
	if r.Verdict == Regression || r.Verdict == Improvement {
		// Most favourable end to "no change": for a regression the best
		// the code can be, for an improvement the worst.
		gainLo, gainHi := float64(better)*r.DeltaLo, float64(better)*r.DeltaHi
		if better < 0 {
			gainLo, gainHi = gainHi, gainLo
		}
		switch {
		case r.Verdict == Regression && !(-gainHi > threshold):
			r.Verdict = Same
		case r.Verdict == Improvement && !(gainLo > threshold):
			r.Verdict = Same
		}
	}
	return r, nil
}

// Geomean is benchstat's summary row: the geometric means of the old and
// new medians over the rows with positive medians in both (probes left
// out: they measure the machine), and the change between them.
type Geomean struct {
	Old, New, Delta float64
	N               int // rows in the mean
}

// Geomean computes the report's geometric-mean row; N = 0 when no row counts.
func (r Report) Geomean() Geomean {
	var so, sn float64
	n := 0
	for _, row := range r.Rows {
		if IsProbe(row.Name) || !(row.Old.Center > 0) || !(row.New.Center > 0) {
			continue
		}
		so += math.Log(row.Old.Center)
		sn += math.Log(row.New.Center)
		n++
	}
	if n == 0 {
		return Geomean{}
	}
	g := Geomean{Old: math.Exp(so / float64(n)), New: math.Exp(sn / float64(n)), N: n}
	g.Delta = g.New/g.Old - 1
	return g
}
