package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/convverify/convverify/claims"
	"github.com/convverify/convverify/internal/atomicfile"
)

// cmdReport decides every claim of the convolution Q&A and writes the
// findings document with its figures:
//
//	convverify report [--seed N] [--checks N] [--claims ID,…|list] [--format markdown|html] [-o reports/FINDINGS.md]
//
// With --format html it writes one self-contained page (figures inlined);
// -o then defaults to reports/FINDINGS.html.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	seedText := fs.String("seed", "1", "seed of every random draw (rapid and fills); a positive integer")
	checks := fs.Int("checks", 100, "rapid checks per property (deepen for nightly runs)")
	ids := fs.String("claims", "", "comma-separated claim IDs to decide (default all); 'list' prints them")
	out := fs.String("o", "", "file to write (default reports/FINDINGS.md, or reports/FINDINGS.html with --format html); markdown's figures go next to it")
	format := fs.String("format", "markdown", "markdown (with PNG figures beside it) or html (one self-contained file)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	seed, err := strconv.ParseUint(*seedText, 10, 64)
	if err != nil || seed == 0 {
		return usagef("--seed: %q is not a positive integer (0 would let rapid pick a random seed, and the report would not be reproducible)", *seedText)
	}
	if *checks < 1 {
		return usagef("--checks: %d must be ≥ 1", *checks)
	}
	html := false
	switch *format {
	case "markdown", "md":
	case "html":
		html = true
	default:
		return usagef("--format: %q is neither markdown nor html", *format)
	}
	if *out == "" {
		*out = filepath.Join("reports", "FINDINGS.md")
		if html {
			*out = filepath.Join("reports", "FINDINGS.html")
		}
	}
	if *ids == "list" {
		for _, c := range claims.All() {
			fmt.Fprintf(stdout, "%-28s §%-2d %s\n", c.ID, c.Section, c.Paraphrase)
		}
		return nil
	}
	var sel []string
	if *ids != "" {
		for _, id := range strings.Split(*ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				sel = append(sel, id)
			}
		}
		if _, err := claims.Select(sel); err != nil {
			return usageError{err}
		}
	}
	if err := writable(*out); err != nil {
		return err
	}
	// The recipe as it runs from a clone of the repository.
	cmd := "go run ./cmd/convverify report --seed " + strconv.FormatUint(seed, 10) + " --checks " + strconv.Itoa(*checks)
	if *ids != "" {
		cmd += " --claims " + *ids
	}
	if html {
		cmd += " --format html"
	}
	cmd += " -o " + *out
	ds, err := claims.Generate(claims.Options{
		Seed: seed, Checks: *checks, IDs: sel, Out: *out, Command: cmd, HTML: html,
		Progress: func(s string) { fmt.Fprintln(stderr, "report:", s) },
	})
	if err != nil {
		// Every claim ID was checked above: what is left is writing the files.
		return ioError{err}
	}
	count := map[claims.Verdict]int{}
	ext := 0
	for _, d := range ds {
		if d.Extension {
			ext++
			continue
		}
		count[d.Verdict]++
	}
	fmt.Fprintf(stderr, "report: wrote %s: %d claims of the Q&A, %d hold, %d with caveat, %d refuted, %d not checkable; %d extensions of ours\n",
		*out, len(ds)-ext, count[claims.Holds], count[claims.HoldsWithCaveat], count[claims.Refuted], count[claims.NotCheckable], ext)
	return nil
}

// writable checks, before the long computation, that the report can be
// written, and leaves nothing behind: the path must not be a folder, a
// device or anything else atomicfile will not replace, and the nearest
// existing folder on its path must accept a new entry. The probe is an
// atomicfile temporary, removed at once (and by the signal handler if a
// signal lands in between); missing folders are not made here but by
// claims.Generate, once the claim IDs and the output have been accepted.
func writable(path string) error {
	if path == "" {
		return usagef("-o: empty output path")
	}
	if err := atomicfile.CheckTarget(path); err != nil {
		return usagef("-o: %v", err)
	}
	dir := filepath.Dir(path)
	for {
		st, err := os.Stat(dir)
		if err == nil && !st.IsDir() {
			return usagef("-o %s: %s is not a folder", path, dir)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(dir) == dir {
			return ioErrorf("-o %s: %w", path, err)
		}
		dir = filepath.Dir(dir)
	}
	if dir == filepath.Dir(path) {
		f, err := atomicfile.Create(path)
		if err != nil {
			return ioErrorf("-o %s: cannot write in %s: %w", path, dir, err)
		}
		f.Abort()
		return nil
	}
	tmp, err := atomicfile.MkdirTemp(filepath.Join(dir, filepath.Base(path)))
	if err != nil {
		return ioErrorf("-o %s: cannot create folders in %s: %w", path, dir, err)
	}
	return atomicfile.RemoveTemp(tmp)
}
