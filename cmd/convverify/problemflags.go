package main

import (
	"flag"
	"math"
	"strings"

	"github.com/convverify/convverify/conv"
)

// problemFlags are the flags that complete a descriptor: the op and the
// extras that benchdnn's grammar has no field for.
type problemFlags struct {
	op          string
	dg          int
	mask        bool
	experts     int
	routing     string
	temperature float64
	dir         string
	budget      int64
	fs          *flag.FlagSet
}

// opOnly names the flags that belong to one op.
var opOnly = map[string]conv.Op{
	"dg": conv.OpDeform, "mask": conv.OpDeform,
	"experts": conv.OpDynamic, "routing": conv.OpDynamic, "temperature": conv.OpDynamic,
}

func (f *problemFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.op, "op", "conv", "operation: conv, deconv, deform or dynamic")
	fs.IntVar(&f.dg, "dg", 1, "deform: offset groups")
	fs.BoolVar(&f.mask, "mask", false, "deform: modulation mask (DCNv2)")
	fs.IntVar(&f.experts, "experts", 2, "dynamic: number of expert kernels E")
	fs.StringVar(&f.routing, "routing", "softmax", "dynamic: routing function, sigmoid (CondConv) or softmax")
	fs.Float64Var(&f.temperature, "temperature", 1, "dynamic: softmax temperature T")
	fs.StringVar(&f.dir, "dir", "FWD_B", "direction: FWD_B, FWD_D, BWD_D, BWD_W or BWD_WB (benchdnn --dir); a shape file's --dir= lines override it for the problems after them")
	fs.Int64Var(&f.budget, "budget", conv.DefaultBudget, "memory budget in bytes for a problem's tensors")
}

// problem parses desc and applies the flags. Errors name the field.
func (f *problemFlags) problem(desc string) (conv.Problem, error) {
	op, err := conv.ParseOp(f.op)
	if err != nil {
		return conv.Problem{}, usageError{err}
	}
	var misplaced error
	f.fs.Visit(func(fl *flag.Flag) {
		if want, ok := opOnly[fl.Name]; ok && want != op && misplaced == nil {
			misplaced = usagef("--%s: applies to --op %s only, not --op %s", fl.Name, want, op)
		}
	})
	if misplaced != nil {
		return conv.Problem{}, misplaced
	}
	if f.budget <= 0 {
		return conv.Problem{}, usagef("--budget: %d bytes: want a positive number of bytes", f.budget)
	}
	dir, err := conv.ParseDir(f.dir)
	if err != nil {
		return conv.Problem{}, usagef("--%v", err)
	}
	// A problem from a shape file carries the file's last --dir= (descriptorsOf).
	if rest, ok := strings.CutPrefix(desc, conv.DirToken); ok {
		tok, d, _ := strings.Cut(rest, " ")
		if dir, err = conv.ParseDir(tok); err != nil {
			return conv.Problem{}, usageError{err}
		}
		desc = d
	}
	p, err := conv.ParseDescriptor(desc, op)
	if err != nil {
		return conv.Problem{}, usageError{err}
	}
	p.Dir = dir
	switch op {
	case conv.OpDeform:
		p.DG, p.Mask = f.dg, f.mask
	case conv.OpDynamic:
		p.E, p.Temperature = f.experts, f.temperature
		if p.Routing, err = conv.ParseRouting(f.routing); err != nil {
			return conv.Problem{}, usageError{err}
		}
		// A temperature only scales softmax logits: with sigmoid routing a
		// value would be silently ignored, so any explicit one is refused.
		if p.Routing == conv.RoutingSigmoid && setFlag(f.fs, "temperature") {
			return conv.Problem{}, usagef("--temperature: has no effect with --routing sigmoid (it scales softmax logits only)")
		}
		if t := f.temperature; !(t > 0) || math.IsInf(t, 0) {
			return conv.Problem{}, usagef("--temperature: %v: want a finite number > 0", t)
		}
	}
	if err := p.Validate(); err != nil {
		return conv.Problem{}, usagef("descriptor %q: %v", desc, err)
	}
	return p, nil
}

// setFlag reports whether the flag name was given on the command line.
func setFlag(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// refuseBackward is the error of a command that runs the forward pass only:
// it refuses every direction but FWD_B rather than run forward silently.
func refuseBackward(cmd string, p conv.Problem) error {
	if p.Dir == conv.DirFwdB {
		return nil
	}
	return usagef("direction %s: not yet supported by %s (it runs FWD_B, the forward pass with bias); see issue 12", p.Dir, cmd)
}

// noEffect returns a usage error naming the first of the flags that was given
// although it does nothing in this context (why says which context).
func noEffect(fs *flag.FlagSet, why string, names ...string) error {
	for _, n := range names {
		if setFlag(fs, n) {
			return usagef("--%s: has no effect %s", n, why)
		}
	}
	return nil
}
