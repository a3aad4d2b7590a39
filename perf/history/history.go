// Package history keeps the nightly benchmark runs and reads trends out of
// them: one Go-benchmark-format file per run under benchdata/history/,
// named by date and commit and carrying both in its "# date:" and
// "# commit:" lines (bench writes them); the regressions of the latest run
// against the baseline and since which run each one has lasted; trend plots
// (GFLOP/s per layer with its confidence interval, and share of peak); and
// the markdown summary a maintainer reads in a minute.
package history

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/perf"
)

// Run is one run of the history.
type Run struct {
	File   string
	Commit string // "unknown" if the file names none
	Date   time.Time
	Set    *perf.Set
}

// Label is the run's short name: the commit and the date.
func (r *Run) Label() string {
	return fmt.Sprintf("%s (%s)", shortCommit(r.Commit), r.Date.UTC().Format("2006-01-02 15:04"))
}

func shortCommit(c string) string {
	if c == "" {
		return "unknown"
	}
	return c[:min(len(c), 12)]
}

// RunOf describes a run read from file: its date and commit from the
// file's "# date:" and "# commit:" lines. A run without a valid date is an
// error: the history is ordered by it.
func RunOf(file string, s *perf.Set) (Run, error) {
	d, err := time.Parse(time.RFC3339, s.Meta["date"])
	if err != nil {
		return Run{}, fmt.Errorf("%s: no valid \"# date:\" line (RFC 3339), which a history run needs: %v", file, err)
	}
	c := s.Meta["commit"]
	if c == "" {
		c = "unknown"
	}
	return Run{File: file, Commit: c, Date: d, Set: s}, nil
}

// FileName is the history file of a run: date (UTC, to the second) and
// commit, so names sort by date and say what was measured.
func FileName(r Run) string {
	safe := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			return c
		}
		return '_'
	}, shortCommit(r.Commit))
	return r.Date.UTC().Format("2006-01-02T150405Z") + "-" + safe + ".txt"
}

// Append writes data, the benchmark file of run r, into dir as
// FileName(r), whole or not at all (internal/atomicfile). A run already in
// the history is refused, not overwritten: history is appended to.
func Append(dir string, r Run, data []byte) (string, error) {
	path := filepath.Join(dir, FileName(r))
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("%s: already in the history", path)
	}
	return path, atomicfile.WriteFile(path, data)
}

// Load reads every *.txt run of dir, oldest first. A file that is not a
// benchmark run with a date is an error naming it: a history that reads
// partly would draw trends through holes.
func Load(dir string) ([]Run, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, f := range files {
		s, err := perf.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r, err := RunOf(f, s)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	slices.SortStableFunc(runs, func(a, b Run) int { return a.Date.Compare(b.Date) })
	return runs, nil
}

// Regression is a benchmark that the latest run measured worse than the
// baseline.
type Regression struct {
	Row perf.Row
	// Since is the first run of the unbroken streak of runs, ending with
	// the latest, in which the benchmark was a regression against the
	// baseline; LastGood the run before it, nil if the streak reaches back
	// to the history's start.
	Since, LastGood *Run
}

// Regressions compares the baseline with the latest run (the last of runs)
// and, for each regression, walks the history back to when it began.
func Regressions(baseline *perf.Set, runs []Run, opt perf.Options) (perf.Report, []Regression, error) {
	if len(runs) == 0 {
		return perf.Report{}, nil, fmt.Errorf("no run in the history")
	}
	reports := make([]*perf.Report, len(runs))
	verdictAt := func(i int, name string) (perf.Verdict, bool) {
		if reports[i] == nil {
			rep, err := perf.Compare(baseline, runs[i].Set, opt)
			if err != nil {
				return perf.Same, false
			}
			reports[i] = &rep
		}
		for _, r := range reports[i].Rows {
			if r.Name == name {
				return r.Verdict, true
			}
		}
		return perf.Same, false
	}
	last := len(runs) - 1
	rep, err := perf.Compare(baseline, runs[last].Set, opt)
	if err != nil {
		return perf.Report{}, nil, err
	}
	reports[last] = &rep
	var regs []Regression
	for _, row := range rep.Rows {
		if row.Verdict != perf.Regression || perf.IsProbe(row.Name) {
			continue
		}
		g := Regression{Row: row, Since: &runs[last]}
		for i := last - 1; i >= 0; i-- {
			if v, ok := verdictAt(i, row.Name); ok && v == perf.Regression {
				g.Since = &runs[i]
				continue
			}
			g.LastGood = &runs[i]
			break
		}
		regs = append(regs, g)
	}
	return rep, regs, nil
}
