package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"convverify/conv"
	"convverify/optimized"
	"convverify/oracles/golden"
	"convverify/verify"
)

func cmdCheck(args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var pf problemFlags
	pf.register(fs)
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	goldenMode := fs.Bool("golden", false, "verify golden folders given as arguments")
	list := fs.Bool("list", false, "list the registered implementations and exit")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *list:
		return listVariants()
	case *goldenMode:
		if len(pos) == 0 {
			return usagef("check --golden: want at least one folder")
		}
		return checkGolden(pos, pf.budget)
	}
	if len(pos) != 1 {
		return usagef("check: want exactly one descriptor, got %d arguments", len(pos))
	}
	p, err := pf.problem(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "problem  %s\nkernel   %s\nseed     %d\n", p.Command(), optimized.Kernel(), *seed)
	lines, err := verify.Random(&p, *seed, pf.budget)
	if err != nil {
		return usageError{err}
	}
	return printLines(lines)
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

// goldenCases expands the arguments into case folders: a folder that is a
// case itself, an ONNX anchor folder with cases.json, or a folder of cases.
func goldenCases(dirs []string) ([]golden.Case, []error) {
	var cases []golden.Case
	var errs []error
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			errs = append(errs, fmt.Errorf("%s: not a folder", d))
			continue
		}
		if isCase(d) {
			c, err := golden.Load(d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cases = append(cases, c)
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "cases.json")); err == nil {
			cs, err := golden.LoadONNX(d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cases = append(cases, cs...)
			continue
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var subs []string
		for _, e := range ents {
			if e.IsDir() && isCase(filepath.Join(d, e.Name())) {
				subs = append(subs, filepath.Join(d, e.Name()))
			}
		}
		if len(subs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no golden case in it (want case.json, model.onnx or test_data_set_0)", d))
			continue
		}
		sort.Strings(subs)
		cs, es := goldenCases(subs)
		cases, errs = append(cases, cs...), append(errs, es...)
	}
	return cases, errs
}

func isCase(d string) bool {
	for _, f := range []string{"case.json", "model.onnx", "test_data_set_0"} {
		if _, err := os.Stat(filepath.Join(d, f)); err == nil {
			return true
		}
	}
	return false
}

func checkGolden(dirs []string, budget int64) error {
	fmt.Fprintf(stdout, "kernel %s\n", optimized.Kernel())
	cases, errs := goldenCases(dirs)
	passed, failed := 0, 0
	for _, err := range errs {
		fmt.Fprintf(stdout, "FAIL  %v\n", err)
		failed++
	}
	for _, c := range cases {
		var lines []verify.Line
		if err := c.Problem.CheckBudget(8, budget); err != nil {
			lines = []verify.Line{{Name: "budget", Err: err}}
		} else {
			lines = verify.Golden(c)
		}
		ok := true
		var worst verify.Line
		for _, l := range lines {
			if !l.OK() {
				ok = false
				fmt.Fprintf(stdout, "      %s: %s\n", c.Name, l)
			}
			if l.Name == "golden vs reference" {
				worst = l
			}
		}
		status := "ok  "
		if ok {
			passed++
		} else {
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(stdout, "%s  %-55s %-8s %-40s ref max|err| %.3g, %d variants\n", status, c.Name, c.Problem.Op,
			unnamed(c.Problem), worst.Verdict.MaxErr, len(lines)-1)
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return errFailed
	}
	return nil
}

// exportCase is the golden case export writes: inputs from the seed, output from the reference.
func exportCase(p conv.Problem, seed uint64, budget int64) (golden.Case, error) {
	return verify.ReferenceCase(&p, seed, budget)
}

// unnamed drops the name, which the case line already prints.
func unnamed(p conv.Problem) string {
	p.Name = ""
	return p.Descriptor()
}
