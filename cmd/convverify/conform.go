package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/properties"
	"github.com/convverify/convverify/worker"
)

// cmdConform checks an outside implementation through the worker protocol
// (docs/worker-protocol.md): problems drawn with rapid, each handed to the
// worker as a golden-format folder, its y.npy judged against the reference;
// a failure shrunk to the smallest problem that still fails.
func cmdConform(args []string) error {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	execLine := fs.String("exec", "", "the worker's command line, run once through the shell as a persistent worker")
	opList := fs.String("op", "conv,deconv,deform,dynamic", "ops to check, comma-separated")
	checks := fs.Int("checks", 100, "problems drawn per op")
	seed := fs.Uint64("seed", 1, "rapid seed of the problems and their inputs")
	caseTimeout := fs.Duration("case-timeout", 20*time.Second, "how long the worker may take over one case before it is killed and restarted")
	startTimeout := fs.Duration("start-timeout", 2*time.Minute, "how long the worker may take to send its handshake")
	keep := fs.String("keep", "", "folder for the failing cases (a new one; default a fresh temporary folder)")
	dirName := fs.String("dir", "FWD_B", "direction: FWD_B, FWD_D (no bias), or BWD_D, BWD_W, BWD_WB (gradients; the worker must declare the \"grad\" capability)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("conform: takes no arguments, got %q (quote the worker's command line: --exec 'CMD ARGS')", pos[0])
	}
	if strings.TrimSpace(*execLine) == "" {
		return usagef("--exec: missing: the worker's command line, e.g. --exec '/usr/bin/python3 adapters/pytorch/worker.py'")
	}
	ops, err := parseOps(*opList)
	if err != nil {
		return err
	}
	dir, err := conv.ParseDir(*dirName)
	if err != nil {
		return usagef("--dir: %v", err)
	}
	if *checks <= 0 {
		return usagef("--checks: %d: want a positive number of problems per op", *checks)
	}
	if *caseTimeout <= 0 || *startTimeout <= 0 {
		return usagef("--case-timeout, --start-timeout: want positive durations")
	}
	root, created, err := keepFolder(*keep)
	if err != nil {
		return err
	}
	w := worker.New(*execLine, worker.Options{Timeout: *caseTimeout, StartTimeout: *startTimeout})
	defer w.Close()
	// An interrupt or the global --timeout exits at once: kill the worker
	// first, so a hung one does not outlive us.
	exit := exitNow
	exitNow = func(code int) { w.Kill(); exit(code) }
	defer func() { exitNow = exit }()
	stage("conform", "starting the worker")
	hello, herr := w.Start()
	if herr == nil && dir.Backward() && !hello.Can(worker.CapGrad) {
		// Nothing is sent: a worker that does not speak gradients would
		// misread a backward case as a forward one.
		if created {
			os.Remove(root)
		}
		return usagef("--dir %s: worker %q does not compute gradients: its handshake lists no %q capability (docs/worker-protocol.md, backward cases)", dir, hello.Name, worker.CapGrad)
	}
	if herr != nil {
		fmt.Fprintf(stdout, "worker   %s\nCRASH    worker did not start: %v\n", *execLine, herr)
	} else {
		fmt.Fprintf(stdout, "worker   %s (%s)\n", hello.Name, *execLine)
	}
	if dir.Backward() {
		fmt.Fprintf(stdout, "checks   %d per op, seed %d, direction %s, bound worker.GradBound (|err| ≤ N·u·Σ|term| per element of each gradient, N per gradient)\n", *checks, *seed, dir)
	} else {
		fmt.Fprintf(stdout, "checks   %d per op, seed %d, direction %s, bound conv.DefaultBound (|err| ≤ N·u·Σ|x·w| per element)\n", *checks, *seed, dir)
	}
	c := &conformRun{w: w, dir: dir, root: root, scratch: filepath.Join(root, ".scratch"), counts: map[rowKey]*rowCounts{}}
	for _, op := range ops {
		c.op(op, *checks, *seed)
	}
	endStages()
	os.RemoveAll(c.scratch)
	c.print()
	if c.kept == 0 && created {
		os.Remove(root)
	}
	if c.total.failed+c.total.crashed > 0 {
		return errFailed
	}
	return nil
}

// parseOps reads --op.
func parseOps(s string) ([]conv.Op, error) {
	var ops []conv.Op
	for _, name := range strings.Split(s, ",") {
		op, err := conv.ParseOp(strings.TrimSpace(name))
		if err != nil {
			return nil, usagef("--op: %v", err)
		}
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	return ops, nil
}

// keepFolder returns the folder failing cases are kept in: dir, which must
// not exist or be empty (a user's files are never mixed with ours), or a
// fresh temporary folder; created says conform made it.
func keepFolder(dir string) (string, bool, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "convverify-conform-")
		if err != nil {
			return "", false, ioError{err}
		}
		return d, true, nil
	}
	names, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", false, ioError{err}
		}
		return dir, true, nil
	case err != nil:
		return "", false, ioErrorf("--keep: %v", err)
	case len(names) > 0:
		return "", false, usagef("--keep: %s is not empty; give a new folder", dir)
	}
	return dir, false, nil
}

type rowKey struct {
	op   conv.Op
	rank int
}

type rowCounts struct{ passed, failed, skipped, crashed int }

func (r *rowCounts) add(k worker.Kind) {
	switch k {
	case worker.Passed:
		r.passed++
	case worker.Failed:
		r.failed++
	case worker.Skipped:
		r.skipped++
	case worker.Crashed:
		r.crashed++
	}
}

// conformRun is one conform run: the worker, where cases go, what was found.
type conformRun struct {
	w             *worker.Worker
	dir           conv.Dir // the direction of every problem drawn
	root, scratch string
	counts        map[rowKey]*rowCounts
	total         rowCounts
	failures      []conformFailure // one per op that failed, shrunk
	crashes       []conformFailure // the first crash of each op
	skips         map[string]int   // skip reasons, counted
	kept          int
}

// conformFailure is a case that failed or crashed, with its kept folder.
type conformFailure struct {
	p      conv.Problem
	reason string
	dir    string
	steps  int // fields refine made smaller after rapid
}

// maxRefineCalls bounds the worker calls refine makes.
const maxRefineCalls = 400

// refine shrinks rapid's smallest failing problem further, greedily: rapid
// shrinks the generator's choices, which can stop at a local minimum (a
// realistic draw cannot have fewer than 3 input elements); here each field
// of the problem itself is tried one step smaller, on fresh inputs, and kept
// smaller while the worker still fails.
func (c *conformRun) refine(f conformFailure, seed uint64) conformFailure {
	calls := 0
	for improved := true; improved && calls < maxRefineCalls; {
		improved = false
		for _, q := range smallerProblems(f.p) {
			if calls >= maxRefineCalls {
				break
			}
			calls++
			rng := rand.New(rand.NewPCG(seed, uint64(calls)))
			in, dy := c.fill(&q, rng)
			o := c.check(q, in, dy)
			if o.Kind != worker.Failed {
				continue
			}
			f.p, f.reason, f.steps = q, c.keepScratch(f.dir, o.Reason), f.steps+1
			improved = true
			break
		}
	}
	return f
}

// problemSize is the measure refine makes smaller: the sum of every field,
// end paddings by their magnitude. Each accepted step lowers it, so refine ends.
func problemSize(p conv.Problem) int {
	n := p.MB + p.G + p.IC + p.OC + p.E + p.DG
	if p.Mask {
		n++
	}
	for _, a := range p.Axes() {
		n += p.I[a] + p.O[a] + p.K[a] + p.S[a] + p.Dil[a] + p.PBegin[a] + max(p.PEnd[a], -p.PEnd[a])
	}
	return n
}

// smallerProblems returns the valid problems one step smaller than p in one
// field: fewer samples, groups, channels, experts or offset groups, no mask,
// and per axis a smaller input, kernel, stride, dilation or padding.
func smallerProblems(p conv.Problem) []conv.Problem {
	var out []conv.Problem
	try := func(edit func(q *conv.Problem)) {
		q := p
		edit(&q)
		if q.Op == conv.OpDeform && (q.DG < 1 || q.IC%q.DG != 0) {
			q.DG = 1
		}
		if q.Resolve() != nil {
			return
		}
		if q.Op != conv.OpDeconv {
			// The tight end padding, as the generator draws it, so the
			// descriptor reproduces the problem exactly.
			for _, a := range q.Axes() {
				q.PEnd[a] = (q.O[a]-1)*q.S[a] - q.I[a] + q.ExtK(a) - q.PBegin[a]
			}
			if q.Resolve() != nil {
				return
			}
		}
		if problemSize(q) < problemSize(p) {
			out = append(out, q)
		}
	}
	icg, ocg := p.ICG(), p.OCG()
	try(func(q *conv.Problem) { q.MB-- })
	try(func(q *conv.Problem) { q.G--; q.IC, q.OC = q.G*icg, q.G*ocg })
	try(func(q *conv.Problem) { q.IC = q.G * (icg - 1) })
	try(func(q *conv.Problem) { q.OC = q.G * (ocg - 1) })
	if p.Op == conv.OpDynamic && p.E > 1 {
		try(func(q *conv.Problem) { q.E-- })
	}
	if p.Op == conv.OpDeform {
		if p.DG > 1 {
			try(func(q *conv.Problem) { q.DG-- })
		}
		if p.Mask {
			try(func(q *conv.Problem) { q.Mask = false })
		}
	}
	for _, a := range p.Axes() {
		try(func(q *conv.Problem) { q.I[a]-- })
		try(func(q *conv.Problem) { q.K[a]-- })
		try(func(q *conv.Problem) { q.S[a]-- })
		try(func(q *conv.Problem) { q.Dil[a]-- })
		try(func(q *conv.Problem) { q.PBegin[a]-- })
		if p.PEnd[a] > 0 {
			try(func(q *conv.Problem) { q.PEnd[a]-- })
		}
		if p.PEnd[a] < 0 {
			try(func(q *conv.Problem) { q.PEnd[a]++ })
		}
	}
	return out
}

// op checks checks problems of op. rapid draws them; after the first failure
// it shrinks: the property keeps being called on smaller problems, and the
// last failing call is the smallest failing problem (rapid replays it last).
// Only the draws before the first failure are counted.
func (c *conformRun) op(op conv.Op, checks int, seed uint64) {
	shrinking := false
	var last *conformFailure
	var firstCrash *conformFailure
	n := 0
	prop := func(t *rapid.T) {
		p := properties.ProblemGen(op).Draw(t, "p")
		p.Dir = c.dir
		in, dy := c.fill(&p, properties.RNG(t))
		if !shrinking {
			n++
			stage("conform", "%s %d/%d", op, n, checks)
		} else {
			stage("conform", "%s: shrinking the failure", op)
		}
		o := c.check(p, in, dy)
		if !shrinking {
			c.row(p).add(o.Kind)
			c.total.add(o.Kind)
			if o.Kind == worker.Skipped {
				if c.skips == nil {
					c.skips = map[string]int{}
				}
				c.skips[op.String()+": "+o.Reason]++
			}
		}
		switch o.Kind {
		case worker.Failed:
			shrinking = true
			dir := filepath.Join(c.root, fmt.Sprintf("%s-failure", op))
			last = &conformFailure{p: p, reason: c.keepScratch(dir, o.Reason), dir: dir}
			t.Fatalf("%s", o.Reason)
		case worker.Crashed:
			if firstCrash == nil && !shrinking {
				dir := filepath.Join(c.root, fmt.Sprintf("%s-crash", op))
				firstCrash = &conformFailure{p: p, reason: c.keepScratch(dir, o.Reason), dir: dir}
			}
		}
	}
	properties.Run(properties.Property{Name: "conform/" + op.String(), Check: prop}, checks, seed)
	if last != nil {
		stage("conform", "%s: shrinking the failure further, one field at a time", op)
		c.failures = append(c.failures, c.refine(*last, seed))
	}
	if firstCrash != nil {
		c.crashes = append(c.crashes, *firstCrash)
	}
}

// fill draws p's inputs, uniform and float32-valued (oracles.RandomFill),
// without the bias for FWD_D, and for a backward direction dy, shaped as
// the output, uniform in [−1, 1], float32-valued and never all zero.
func (c *conformRun) fill(p *conv.Problem, rng *rand.Rand) (conv.Inputs[float64], []float64) {
	in := conv.ConvertInputs[float64](conv.ConvertInputs[float32](oracles.RandomFill(p, rng)))
	if p.Dir == conv.DirFwdD {
		in.B = nil
	}
	if !p.Dir.Backward() {
		return in, nil
	}
	dy := make([]float64, conv.Elems(p.DstShape()))
	nonzero := false
	for i := range dy {
		dy[i] = float64(float32(2*rng.Float64() - 1))
		nonzero = nonzero || dy[i] != 0
	}
	if !nonzero && len(dy) > 0 {
		dy[rng.IntN(len(dy))] = 1
	}
	return in, dy
}

// check runs one case in a fresh scratch folder: conform made it, and the
// worker may have left anything in it (temporaries, a link where y.npy was).
// A backward case goes through worker.CheckGrad with dy.
func (c *conformRun) check(p conv.Problem, in conv.Inputs[float64], dy []float64) worker.Outcome {
	os.RemoveAll(c.scratch)
	if p.Dir.Backward() {
		return worker.CheckGrad(c.w, c.scratch, p, in, dy)
	}
	return worker.Check(c.w, c.scratch, p, in)
}

func (c *conformRun) row(p conv.Problem) *rowCounts {
	k := rowKey{p.Op, p.Rank}
	if c.counts[k] == nil {
		c.counts[k] = &rowCounts{}
	}
	return c.counts[k]
}

// keepScratch moves the scratch folder (inputs and whatever the worker
// wrote) to dir, replacing the folder an earlier, larger failure kept there:
// conform created both. It returns reason with the scratch folder's name
// replaced by dir's.
func (c *conformRun) keepScratch(dir, reason string) string {
	if _, err := os.Stat(c.scratch); err != nil {
		return reason
	}
	if _, err := os.Stat(dir); err == nil {
		os.RemoveAll(dir)
	} else {
		c.kept++
	}
	if err := os.Rename(c.scratch, dir); err != nil {
		fmt.Fprintf(stderr, "convverify conform: keeping %s: %v\n", dir, err)
		return reason
	}
	return strings.ReplaceAll(reason, c.scratch, dir)
}

func (c *conformRun) print() {
	fmt.Fprintf(stdout, "\n%-8s %-5s %7s %7s %8s %8s\n", "op", "rank", "passed", "failed", "skipped", "crashed")
	keys := make([]rowKey, 0, len(c.counts))
	for k := range c.counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rowKey) int {
		if a.op != b.op {
			return int(a.op) - int(b.op)
		}
		return a.rank - b.rank
	})
	for _, k := range keys {
		r := c.counts[k]
		fmt.Fprintf(stdout, "%-8s %-5s %7d %7d %8d %8d\n", k.op, fmt.Sprintf("%dd", k.rank), r.passed, r.failed, r.skipped, r.crashed)
	}
	t := c.total
	fmt.Fprintf(stdout, "%-8s %-5s %7d %7d %8d %8d\n", "total", "", t.passed, t.failed, t.skipped, t.crashed)
	if len(c.skips) > 0 {
		reasons := make([]string, 0, len(c.skips))
		for r := range c.skips {
			reasons = append(reasons, r)
		}
		slices.Sort(reasons)
		fmt.Fprintln(stdout, "\nskipped (the worker answered error):")
		for _, r := range reasons {
			fmt.Fprintf(stdout, "  %d× %s\n", c.skips[r], r)
		}
	}
	for _, f := range c.failures {
		fmt.Fprintf(stdout, "\nFAIL  %s: smallest failing problem (shrunk): %s\n", f.p.Op, f.p.Command())
		if f.steps > 0 {
			fmt.Fprintf(stdout, "      (then %d one-field steps smaller than rapid's minimum)\n", f.steps)
		}
		fmt.Fprintf(stdout, "      %s\n", f.reason)
		outputs := "the worker's y.npy"
		if f.p.Dir.Backward() {
			outputs = "the gradients the worker wrote"
		}
		fmt.Fprintf(stdout, "      case kept in %s (inputs and %s; replay the comparison: convverify check --golden %s)\n", f.dir, outputs, f.dir)
	}
	for _, f := range c.crashes {
		fmt.Fprintf(stdout, "\nCRASH %s: %s\n", f.p.Op, f.p.Command())
		fmt.Fprintf(stdout, "      %s\n", strings.ReplaceAll(f.reason, "\n", "\n      "))
		fmt.Fprintf(stdout, "      case kept in %s\n", f.dir)
	}
	if t.failed+t.crashed > 0 {
		fmt.Fprintf(stdout, "\nFAIL: %d failed, %d crashed (worker started %d times)\n", t.failed, t.crashed, c.w.Starts)
	} else {
		fmt.Fprintf(stdout, "\nok: %d passed, %d skipped\n", t.passed, t.skipped)
	}
}
