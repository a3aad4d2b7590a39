package main

import (
	"bufio"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/convverify/convverify/bench"
	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/optimized"
)

// cmdBench parses bench's flags, hands the work to package bench, and
// prints: the data to stdout or -o, the summary to stdout (with -o) or
// stderr, progress to stderr only when it is a terminal.
func cmdBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	count := fs.Int("count", 6, "measurements per benchmark (rounds, interleaved across benchmarks); 6 is the fewest that gives a finite 95 % median interval")
	benchtime := fs.String("benchtime", "200ms", "time (or Nx iterations) per measurement, as go test -benchtime")
	workersList := fs.String("workers", "1", "goroutines per convolution: a count, or a list (1,2,4) for a scaling table")
	implRe := fs.String("impl", "", "regular expression selecting our implementations by name (a --peer always runs); one that matches \"best\" also times, per layer and worker count, the variant optimized.Best picks (impl=best)")
	shapeRe := fs.String("shape", "", "regular expression selecting layers by descriptor or name")
	opName := fs.String("op", "", "the op of the descriptors and shape files (default conv); with none, only built-in layers of this op: conv, deconv, deform or dynamic")
	dir := fs.String("dir", "FWD_D", "benchdnn's direction: forward (FWD_D, FWD_B, FWD_I: our variants), or BWD_D, BWD_W, BWD_WB (the gradients: our gradient variants, and peers whose handshake lists \"grad\"; named …/dir=D)")
	mb := fs.Int("mb", 0, "override every layer's batch, as benchdnn's --mb (0: as given)")
	format := fs.String("format", "bench", "output format: "+strings.Join(bench.Formats, ", "))
	outPath := fs.String("o", "", "write the benchmark data to this file instead of stdout")
	mode := fs.String("mode", "oneshot", "how our variants are timed: oneshot (each call prepares its weights and finds its workspaces; the names of the committed baselines), plan (prepared once before the timer, Plan.Run timed; named …/mode=plan), or both, interleaved")
	var peerCmds []string
	fs.Func("peer", "time an outside implementation beside ours: a worker command line (docs/worker-protocol.md, timing requests), run through /bin/sh; named impl=peer:NAME; repeatable", func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("empty command")
		}
		peerCmds = append(peerCmds, s)
		return nil
	})
	peerStart := fs.Duration("peer-start-timeout", 2*time.Minute, "how long a peer worker may take to send its handshake")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *count < 1 {
		return usagef("bench: --count %d: want ≥ 1", *count)
	}
	workers, err := parseWorkers(*workersList)
	if err != nil {
		return err
	}
	if !slices.Contains(bench.Formats, *format) {
		return usagef("bench: --format %q: want one of %s", *format, strings.Join(bench.Formats, ", "))
	}
	backward := conv.DirFwdD
	switch d := strings.ToUpper(*dir); d {
	case "FWD_D", "FWD_B", "FWD_I":
	default:
		if backward, err = conv.ParseDir(d); err != nil {
			return usagef("bench: --dir: %v", err)
		}
	}
	if *mb < 0 {
		return usagef("bench: --mb %d: want ≥ 1 (0: as given)", *mb)
	}
	oneShot, planned := *mode == "oneshot" || *mode == "both", *mode == "plan" || *mode == "both"
	if !oneShot && !planned {
		return usagef("bench: --mode %q: want oneshot, plan or both", *mode)
	}
	layers, ops, err := benchLayers(pos, *opName, *mb)
	if err != nil {
		return err
	}
	var impls []bench.Impl
	if backward.Backward() {
		// The gradients: our gradient variants (one-shot; they have no
		// plans and no automatic choice yet) on the layers in that
		// direction, named …/dir=D beside the forward names.
		if planned {
			return usagef("bench: --mode %s with --dir %s: gradient variants have no plans; use --mode oneshot", *mode, backward)
		}
		if bench.SelectsBest(*implRe) {
			return usagef("bench: --impl %q with --dir %s: there is no automatic choice of gradient variants", *implRe, backward)
		}
		layers = bench.WithDir(layers, backward)
		impls = bench.GradVariants(benchGradVariants())
	} else {
		impls = bench.VariantModes(benchVariants(), oneShot, planned)
		if bench.SelectsBest(*implRe) {
			// --impl best: per layer and worker count, optimized.Best's choice
			impls = append(impls, bench.BestImpls(oneShot, planned)...)
		}
	}
	pairs, err := bench.Select(impls, layers, *implRe, *shapeRe, ops)
	if err != nil && !(backward.Backward() && len(peerCmds) > 0) {
		return usagef("bench: %v", err)
	}
	// The layers timed: those some selected one of ours supports, or,
	// with none of ours at all (a backward direction before any gradient
	// variant is registered), every layer --shape and --op select, for
	// the peers alone.
	selected, err := bench.SelectLayers(layers, *shapeRe, ops)
	if err != nil {
		return usagef("bench: %v", err)
	}
	if len(pairs) > 0 {
		selected = slices.DeleteFunc(selected, func(l *bench.Layer) bool {
			return !slices.ContainsFunc(pairs, func(p bench.Pair) bool { return p.Layer == l })
		})
	}
	restore, err := bench.SetBenchtime(*benchtime)
	if err != nil {
		return usagef("bench: %v", err)
	}
	defer restore()

	// With -o the data goes to a hidden temporary beside FILE that becomes
	// FILE only once the whole run has succeeded: an interrupted or failed
	// run used to leave FILE shortened to the lines written so far, which
	// look valid and would pass for a complete run. Without -o, stdout is
	// streamed as each result comes; a consumer that needs it whole must
	// check the count line (compare does).
	data, summary, dataName := stdout, stderr, "stdout"
	var f *atomicfile.File
	if *outPath != "" {
		if err := atomicfile.CheckTarget(*outPath); err != nil {
			return usagef("bench: -o: %v", err)
		}
		if f, err = atomicfile.Create(*outPath); err != nil {
			return ioErrorf("bench: -o %s: %w", *outPath, err)
		}
		defer f.Abort() // does nothing after Commit
		data, summary, dataName = f, stdout, *outPath
	}
	peers, notes, err := startPeers(peerCmds, *peerStart, selected)
	defer func() {
		for _, p := range peers {
			p.Close()
		}
	}()
	if err != nil {
		return err
	}
	if len(peers) > 0 {
		// An interrupt or the global --timeout exits at once: kill the
		// workers first, so that none outlives us.
		exit := exitNow
		exitNow = func(code int) {
			peersKilled.Store(true)
			for _, p := range peers {
				p.Kill()
			}
			exit(code)
		}
		defer func() { exitNow = exit }()
		pairs = withPeers(pairs, peers, selected)
	}
	if len(pairs) == 0 {
		return usagef("bench: nothing to time: no implementation, ours or a peer's, supports the selected layers in direction %s", backward)
	}
	w := bufio.NewWriter(data)
	h := bench.NewHeader(*benchtime, *count, workers)
	for _, p := range peers {
		h.Peers = append(h.Peers, p.Describe())
	}
	opt := bench.Options{Count: *count, Workers: workers, Progress: benchProgress}
	var res *bench.Results
	if *format == "bench" {
		h.Write(w)
		res, err = bench.Run(w, pairs, opt)
		fmt.Fprintf(w, "# load average at end: %s\n", bench.LoadAverage())
	} else if res, err = bench.Run(nil, pairs, opt); err == nil {
		if *format == "csv" {
			res.WriteCSV(w, h)
		} else {
			res.WriteJSON(w, h)
		}
	}
	if err != nil && peersKilled.Load() {
		// The run failed because an interrupt or --timeout killed the
		// peers: that exit, under way, has the last word.
		select {}
	}
	endStages()
	// bufio.Writer keeps its first write error, so a write that failed
	// mid-run (and stopped it) shows here too: that is an I/O error, not a
	// failed benchmark.
	if ferr := w.Flush(); ferr != nil {
		return ioErrorf("bench: writing %s: %w%s", dataName, ferr, unchanged(*outPath))
	}
	if err != nil {
		// main prints nothing for errFailed: say what failed here.
		fmt.Fprintf(stderr, "convverify bench: %v%s\n", err, unchanged(*outPath))
		return errFailed
	}
	if f != nil {
		if err := f.Commit(); err != nil {
			return ioErrorf("bench: -o %s: %w", *outPath, err)
		}
	}
	res.Notes = append(notes, res.Notes...)
	res.WriteSummary(summary, len(pos) > 0)
	return nil
}

// startPeers starts the --peer workers and returns them (each to be
// closed, also on error) with a note for every selected layer one refuses
// by its handshake's ops. A worker that does not start, or cannot time, is
// exit status 1: like a variant that fails, the implementation under test
// failed, not the command line.
func startPeers(cmds []string, startTimeout time.Duration, selected []*bench.Layer) ([]*bench.Peer, []string, error) {
	var peers []*bench.Peer
	var notes []string
	for _, c := range cmds {
		stage("bench", "starting the peer %s", c)
		p, err := bench.StartPeer(c, bench.PeerOptions{StartTimeout: startTimeout})
		if err != nil {
			fmt.Fprintf(stderr, "convverify bench: --peer: %v\n", err)
			return peers, nil, errFailed
		}
		peers = append(peers, p)
		for _, q := range peers[:len(peers)-1] {
			if q.Name() == p.Name() {
				return peers, nil, usagef("bench: --peer: two peers named %s (%q and %q)", p.Name(), q.Command(), p.Command())
			}
		}
		for _, l := range selected {
			if err := p.Supports(&l.Problem); err != nil {
				notes = append(notes, fmt.Sprintf("impl=%s shape=%s: skipped: %v", p.Name(), l.Shape, err))
			}
		}
	}
	return peers, notes, nil
}

// withPeers adds a pair of each peer on every selected layer it supports
// (--impl selects among ours; a peer named by --peer always runs), in
// layer order, so that each round times ours and theirs on one layer
// before the next. selected are the layers timed.
func withPeers(pairs []bench.Pair, peers []*bench.Peer, selected []*bench.Layer) []bench.Pair {
	var out []bench.Pair
	for _, l := range selected {
		for _, p := range pairs {
			if p.Layer == l {
				out = append(out, p)
			}
		}
		for _, p := range peers {
			if p.Supports(&l.Problem) == nil {
				out = append(out, bench.Pair{Impl: p, Layer: l})
			}
		}
	}
	return out
}

// peersKilled is set when an interrupt or --timeout kills the peers.
var peersKilled atomic.Bool

// benchProgress names the stage (for --timeout) and, on a terminal, shows
// how far the run is and when it should end.
func benchProgress(done, total int, what string, eta time.Duration) {
	left := "ETA ?"
	if done > 0 {
		left = "ETA " + eta.Round(time.Second).String()
	}
	stage("bench", "[%d/%d] %s, %s", done+1, total, strings.TrimPrefix(what, "Benchmark"), left)
}

// benchLayers returns the layers the arguments name — descriptors and
// shape files, read as --op (default conv) — or, with none, the built-in
// layers, of --op only if given; and the ops to select.
func benchLayers(pos []string, opName string, mb int) ([]bench.Layer, []conv.Op, error) {
	op := conv.OpConv
	var ops []conv.Op
	if opName != "" {
		var err error
		if op, err = conv.ParseOp(opName); err != nil {
			return nil, nil, usagef("bench: --op: %v", err)
		}
		ops = []conv.Op{op}
	}
	if len(pos) == 0 {
		layers := bench.DefaultLayers()
		if mb > 0 {
			var err error
			if layers, err = bench.WithBatch(layers, mb); err != nil {
				return nil, nil, usagef("bench: %w", err)
			}
		}
		return layers, ops, nil
	}
	var descs, where []string
	for _, arg := range pos {
		d, at, err := descriptorsOf(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: %w", err)
		}
		if at != nil {
			if warn := shapeFileOpWarning(arg, op); warn != "" {
				fmt.Fprintln(stderr, warn)
			}
		} else {
			at = make([]string, len(d))
		}
		descs, where = append(descs, d...), append(where, at...)
	}
	layers, err := bench.ParseLayers(descs, where, op, mb)
	if err != nil {
		// %w: a problem over the memory budget stays a resource error (3).
		return nil, nil, usagef("bench: %w", err)
	}
	return layers, nil, nil
}

// parseWorkers reads --workers: one count or a comma-separated list.
func parseWorkers(s string) ([]int, error) {
	var ws []int
	for _, f := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, usagef("bench: --workers %q: want a count or a list like 1,2,4", s)
		}
		ws = append(ws, w)
	}
	if err := bench.CheckWorkers(ws); err != nil {
		return nil, usagef("bench: %v", err)
	}
	return ws, nil
}

// unchanged is the note that a failed run left -o's file as it was.
func unchanged(outPath string) string {
	if outPath == "" {
		return ""
	}
	return "; " + outPath + " left unchanged"
}

// benchVariants is the registry bench selects from; tests add a variant that
// fails mid-run.
var benchVariants = optimized.All

// benchGradVariants is the registry of gradient variants bench --dir
// BWD_… selects from.
var benchGradVariants = optimized.GradAll
