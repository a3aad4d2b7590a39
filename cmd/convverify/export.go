package main

import (
	"convverify/oracles/golden"
	"flag"
	"fmt"
)

func cmdExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var pf problemFlags
	pf.register(fs)
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
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
	c, err := exportCase(p, *seed, pf.budget)
	if err != nil {
		return usageError{err}
	}
	if err := golden.Write(pos[1], c); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", pos[1], p.Command())
	return nil
}
