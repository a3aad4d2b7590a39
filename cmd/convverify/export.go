package main

import (
	"flag"
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
)

func cmdExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var pf problemFlags
	pf.register(fs)
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	force := fs.Bool("force", false, "replace DIR if it holds a golden case (case.json and golden-format .npy files only); anything else is never replaced")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("export: want DESCRIPTOR DIR, got %d arguments", len(pos))
	}
	p, err := pf.problem(pos[0])
	if err != nil {
		return err
	}
	if p.Dir == conv.DirFwdD {
		if err := refuseBackward("export", p); err != nil {
			return err
		}
	}
	dir, opt := pos[1], golden.WriteOptions{Force: *force}
	// Refuse a DIR we may not write before spending the reference's time;
	// Write checks again just before it swaps the new case in.
	stage("export", "checking %s", dir)
	if err := golden.CheckTarget(dir, opt); err != nil {
		return ioError{err}
	}
	stage("export", "reference on %s", p.Command())
	export := exportCase
	if p.Dir.Backward() {
		export = exportGradCase // inputs, dy and the reference's gradients
	}
	c, err := export(p, *seed, pf.budget)
	if err != nil {
		return err
	}
	stage("export", "writing %s", dir)
	if err := golden.Write(dir, c, opt); err != nil {
		return ioError{err}
	}
	endStages()
	fmt.Fprintf(stdout, "wrote %s: %s\n", dir, p.Command())
	return nil
}
