package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
	"github.com/convverify/convverify/verify"
)

func cmdCheck(args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var pf problemFlags
	pf.register(fs)
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	goldenMode := fs.Bool("golden", false, "verify golden folders given as arguments")
	list := fs.Bool("list", false, "list the registered implementations and exit")
	workers := fs.Int("workers", 1, "also run every variant with this many workers (1: once, single-threaded)")
	mb := fs.Int("mb", 0, "minibatch: replaces each descriptor's mb (0 keeps it)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	problemOnly := []string{"op", "dg", "mask", "experts", "routing", "temperature", "dir", "seed", "workers", "mb"}
	switch {
	case *list:
		if len(pos) > 0 {
			return usagef("check --list: takes no arguments, got %q", pos[0])
		}
		if err := noEffect(fs, "with --list", append(problemOnly, "golden", "budget")...); err != nil {
			return err
		}
		return listVariants()
	case *goldenMode:
		if len(pos) == 0 {
			return usagef("check --golden: want at least one folder")
		}
		// A golden case carries its own op, inputs and routing.
		if err := noEffect(fs, "with --golden (each case.json names its own problem and inputs)", problemOnly...); err != nil {
			return err
		}
		if pf.budget <= 0 {
			return usagef("--budget: %d bytes: want a positive number of bytes", pf.budget)
		}
		return checkGolden(pos, pf.budget)
	}
	if len(pos) == 0 {
		return usagef("check: want a descriptor or a shape file")
	}
	if *workers < 1 {
		return usagef("--workers: %d: want at least 1", *workers)
	}
	if *mb < 0 {
		return usagef("--mb: %d: want a positive minibatch (0 keeps the descriptor's)", *mb)
	}
	// Resolve every problem before checking any, so bad input never leaves
	// a partial run.
	var ps []conv.Problem
	for _, a := range pos {
		descs, where, err := descriptorsOf(a)
		if err != nil {
			return err
		}
		if op, err := conv.ParseOp(pf.op); err == nil && where != nil {
			if w := shapeFileOpWarning(a, op); w != "" {
				fmt.Fprintln(stderr, w)
			}
		}
		for i, d := range descs {
			p, err := pf.problem(d)
			if err == nil && *mb > 0 {
				p.MB = *mb
				if verr := p.Validate(); verr != nil {
					err = usagef("--mb %d: descriptor %q: %v", *mb, d, verr)
				}
			}
			if err == nil && p.Dir == conv.DirFwdD {
				err = refuseBackward("check", p)
			}
			if err != nil {
				if where != nil {
					return usagef("%s: %v", where[i], err)
				}
				return err
			}
			ps = append(ps, p)
		}
	}
	failed := 0
	for i, p := range ps {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if p.Dir.Backward() {
			fmt.Fprintf(stdout, "problem  %s\nseed     %d\n", p.Command(), *seed)
			err := checkGradients(p, *seed, pf.budget, *workers)
			endStages()
			if errors.Is(err, errFailed) {
				failed++
			} else if err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "problem  %s\nkernel   %s\nseed     %d\n", p.Command(), optimized.Kernel(), *seed)
		lines, err := checkOne(p, *seed, pf.budget, *workers)
		endStages()
		if err != nil {
			return err
		}
		if printLines(lines) != nil {
			failed++
		}
	}
	if len(ps) > 1 {
		fmt.Fprintf(stdout, "\n%d problems, %d failed\n", len(ps), failed)
	}
	if failed > 0 {
		return errFailed
	}
	return nil
}

// checkOne is verify.Random on p, and with workers > 1 every variant again
// with that many workers on the same inputs (the same seed draws the same
// fill as verify.ReferenceCase), judged against the reference.
func checkOne(p conv.Problem, seed uint64, budget int64, workers int) ([]verify.Line, error) {
	progress := func(s string) { stage("check", "%s", s) }
	lines, err := verify.Random(&p, seed, budget, progress)
	if err != nil || workers == 1 {
		return lines, err
	}
	c, err := verify.ReferenceCase(&p, seed, budget, progress)
	if err != nil {
		return nil, err
	}
	stage("check", "reference for %d workers", workers)
	exp, err := reference.Forward(&p, c.In, nil)
	if err != nil {
		return nil, err
	}
	mag := reference.Magnitude(&p, c.In)
	for _, l := range verify.Variants(&p, c.In, exp, mag, workers) {
		l.Name += fmt.Sprintf(", %d workers", workers)
		lines = append(lines, l)
	}
	return lines, nil
}

func printLines(lines []verify.Line) error {
	failed := 0
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
		if !l.OK() {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", failed, len(lines))
		return errFailed
	}
	return nil
}

func listVariants() error {
	fmt.Fprintf(stdout, "GEMM micro-kernel: %s\n", optimized.Kernel())
	fmt.Fprintf(stdout, "%-22s %-28s %-7s %-6s %s\n", "variant", "ops", "boundC", "exact", "deterministic")
	for _, v := range optimized.All() {
		ops := make([]string, len(v.Ops))
		for i, o := range v.Ops {
			ops[i] = o.String()
		}
		fmt.Fprintf(stdout, "%-22s %-28s %-7g %-6v %v\n", v.Name, strings.Join(ops, ","), v.BoundC, v.Exact, v.Deterministic)
	}
	return nil
}

// checkGolden verifies the golden cases found in dirs (golden.Discover):
// a forward case with verify.Golden, a gradient case (case.json "dir":
// BWD_D, BWD_W, BWD_WB) with gradGolden, "reference vs golden" first either
// way. Each case's line starts with its folder as reached from the
// argument, so two folders with the same problem are told apart. The exit status names
// the most serious problem: a folder that could not be read or is over the
// budget (3), a malformed case (2), a check that failed (1).
func checkGolden(dirs []string, budget int64) error {
	fmt.Fprintf(stdout, "kernel %s\n", optimized.Kernel())
	stage("check", "loading golden cases")
	cases, errs := golden.Discover(dirs, golden.LoadOptions{Budget: budget})
	endStages()
	passed, failed, unreadable, malformed := 0, 0, 0, 0
	for _, err := range errs {
		fmt.Fprintf(stdout, "FAIL  %v\n", err)
		if isIOError(err) {
			unreadable++
		} else {
			malformed++
		}
	}
	width, opWidth := 0, 8
	for _, c := range cases {
		width = max(width, len(caseLabel(c)))
		opWidth = max(opWidth, len(opLabel(c.Problem)))
	}
	for i, c := range cases {
		label := caseLabel(c)
		stage("check", "case %d/%d %s", i+1, len(cases), label)
		var lines []verify.Line
		var variants int
		if c.Problem.Dir.Backward() {
			lines, variants = gradGolden(c)
		} else {
			lines = verify.Golden(c)
			variants = len(lines) - 1
		}
		endStages()
		ok := true
		maxErr := 0.0
		for _, l := range lines {
			ok = ok && l.OK()
			if isReferenceLine(l) {
				maxErr = max(maxErr, l.Verdict.MaxErr)
			}
		}
		status := "ok  "
		if ok {
			passed++
		} else {
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(stdout, "%s  %-*s  %-*s %-40s %s max|err| %.3g, %d variants\n", status, width, label, opWidth, opLabel(c.Problem),
			unnamed(c.Problem), verify.ReferenceVsGolden, maxErr, variants)
		for _, l := range lines {
			if !l.OK() {
				fmt.Fprintf(stdout, "      %s: %s\n", label, l)
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed", passed, failed+len(errs))
	if len(errs) > 0 {
		fmt.Fprintf(stdout, " (%d folders could not be read, %d malformed)", unreadable, malformed)
	}
	fmt.Fprintln(stdout)
	switch {
	case unreadable > 0:
		return ioErrorf("check --golden: %d golden folders could not be read (see the FAIL lines)", unreadable)
	case malformed > 0:
		return usagef("check --golden: %d golden folders are malformed (see the FAIL lines)", malformed)
	case failed > 0:
		return errFailed
	}
	return nil
}

// opLabel is the op of a case's line, and its direction when it is a
// backward one ("conv BWD_D").
func opLabel(p conv.Problem) string {
	if p.Dir.Backward() {
		return p.Op.String() + " " + p.Dir.String()
	}
	return p.Op.String()
}

// caseLabel names a case by its folder; a case built in memory has none.
func caseLabel(c golden.Case) string {
	if c.Dir != "" {
		return c.Dir
	}
	return c.Name
}

// isIOError says whether a case failed to load because a file could not be
// read (missing folder, permissions, not a regular file, too large) or the
// problem is over the memory budget, rather than because the case is
// malformed: exitCode's classification, so the two never disagree.
func isIOError(err error) bool { return exitCode(err) == exitResource }

// exportCase is the golden case export writes: inputs from the seed, output from the reference.
func exportCase(p conv.Problem, seed uint64, budget int64) (golden.Case, error) {
	return verify.ReferenceCase(&p, seed, budget, func(s string) { stage("export", "%s", s) })
}

// unnamed drops the name, which the case line already prints.
func unnamed(p conv.Problem) string {
	p.Name = ""
	return p.Descriptor()
}
