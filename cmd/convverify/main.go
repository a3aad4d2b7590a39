// Command convverify proves convolution code right and measures how fast it is.
//
//	convverify describe DESCRIPTOR...|SHAPEFILE... [--op OP] [--json]
//	convverify check DESCRIPTOR...|SHAPEFILE... [--op OP] [--seed N] [--mb N] [--workers W]
//	convverify check --golden DIR...
//	convverify check --list
//	convverify export DESCRIPTOR DIR [--op OP] [--force]
//	convverify report [--seed N] [--checks N] [--claims ID,…|list] [--format markdown|html] [-o FILE]
//	convverify bench [...] [-o FILE]
//	convverify compare OLD NEW [--allow-missing]
//	convverify conform --exec 'CMD ARGS' [--op OP,...] [--checks N] [--seed N] [--case-timeout D]
//	convverify help [CMD] | --version
//
// Exit status: 0 when everything checked passed, 1 when a check or a
// regression failed, 2 for bad input (a malformed descriptor, an unknown flag,
// a flag with no effect), 3 for an I/O or resource error (a file that cannot
// be read or written, the memory budget, --timeout).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/boundedread"
)

// usageError is bad input from the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// ioError is a failure to read or write a file, or a resource limit (memory
// budget, --timeout): exit status 3.
type ioError struct{ err error }

func (e ioError) Error() string { return e.err.Error() }
func (e ioError) Unwrap() error { return e.err }

func ioErrorf(format string, args ...any) error { return ioError{fmt.Errorf(format, args...)} }

// errFailed reports that a check ran and found a failure: exit status 1.
var errFailed = errors.New("check failed")

// Exit statuses, one meaning each.
const (
	exitOK       = 0 // everything checked passed
	exitFailed   = 1 // a verification or regression failure
	exitUsage    = 2 // bad input: a malformed descriptor, an unknown flag, a value with no effect
	exitResource = 3 // an I/O or resource error: a file unreadable or unwritable, memory budget, timeout
)

// exitCode maps an error to its exit status. Errors that are not marked are
// classified by what they wrap: a file-system error or a budget refusal is
// an I/O or resource error, anything else is bad input.
func exitCode(err error) int {
	var ue usageError
	var ie ioError
	var pe *fs.PathError
	var le *os.LinkError
	var be *conv.BudgetError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errFailed):
		return exitFailed
	case errors.As(err, &ie), errors.As(err, &be), errors.As(err, &pe), errors.As(err, &le),
		errors.Is(err, boundedread.ErrNotRegular), errors.Is(err, boundedread.ErrTooLarge):
		// Checked before usageError: a budget refusal, a missing file or
		// one that may not be read stays a resource error even where a
		// caller wrapped it as bad input.
		return exitResource
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitUsage
}

var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

// command is one subcommand: its synopsis (with the positional arguments),
// a one-line summary, and the function that runs it.
type command struct {
	name, synopsis, summary string
}

// runner returns the function that runs a command. It is a switch, not a
// field of the table, because the commands read the table for their usage.
func runner(name string) func([]string) error {
	switch name {
	case "describe":
		return cmdDescribe
	case "check":
		return cmdCheck
	case "export":
		return cmdExport
	case "report":
		return cmdReport
	case "bench":
		return cmdBench
	case "compare":
		return cmdCompare
	case "conform":
		return cmdConform
	}
	return nil
}

// commands is the single table behind dispatch, `help`, `help CMD` and `CMD -h`.
var commands = []command{
	{"describe", "describe DESCRIPTOR...|SHAPEFILE... [--op OP] [--json]", "print resolved problems: shapes, parameters, MACs, FLOPs, memory"},
	{"check", "check DESCRIPTOR...|SHAPEFILE... [--op OP] [--seed N] [--mb N] [--workers W] [--budget B]\ncheck --golden DIR... [--budget B]\ncheck --list", "reference, oracles and every variant on random data; or verify golden case folders; or list the variants"},
	{"export", "export DESCRIPTOR DIR [--op OP] [--seed N] [--force]", "write a golden-format case computed by the reference"},
	{"report", "report [--seed N] [--checks N] [--claims ID,...|list] [--format markdown|html] [-o FILE]", "write the findings on the convolution Q&A"},
	{"bench", "bench [DESCRIPTOR...|SHAPEFILE...] [--op OP] [--dir DIR] [--mb N] [--workers 1,2,4] [--impl RE] [--shape RE] [--count N] [--benchtime D] [--format bench|csv|json] [-o FILE]", "benchmark the variants on the built-in layers, descriptors or benchdnn shape files (Go benchmark format; network totals honour *N)"},
	{"conform", "conform --exec 'CMD ARGS' [--op OP,...] [--checks N] [--seed N] [--case-timeout D] [--keep DIR]", "check an implementation in any language through the worker protocol (docs/worker-protocol.md); failures shrunk"},
	{"compare", "compare OLD NEW [--alpha A] [--threshold 5%] [--metric sec/op|GFLOP/s] [--normalize none|peak] [--format text|markdown|csv] [--allow-missing]", "benchstat-style regression verdicts"},
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

const exitDoc = `exit status:
  0  everything checked passed
  1  a verification or regression failure
  2  a usage error: bad flag, malformed descriptor or case, a flag with no effect
  3  an I/O or resource error: unreadable or unwritable file, memory budget, --timeout
`

const globalDoc = `global flags (any command, anywhere on the line):
  --timeout D   stop with exit status 3 after D (e.g. 30s, 5m), naming the stage that was running
`

func usageText() string {
	var b strings.Builder
	b.WriteString("convverify: verify and measure convolution implementations\n\nusage:\n")
	for _, c := range commands {
		for _, l := range strings.Split(c.synopsis, "\n") {
			fmt.Fprintf(&b, "  convverify %s\n", l)
		}
		fmt.Fprintf(&b, "        %s\n", c.summary)
	}
	b.WriteString(`  convverify help [CMD]    this text, or one command's synopsis and flags
  convverify --version     module version and commit

OP is conv, deconv, deform or dynamic. Deform takes --dg N and --mask; dynamic
takes --experts E, --routing sigmoid|softmax and --temperature T (softmax only).

`)
	b.WriteString(globalDoc + "\n" + exitDoc)
	return b.String()
}

func main() {
	handleSignals()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText())
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText())
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, versionText())
		return exitOK
	case "help":
		if len(args) == 1 {
			fmt.Fprint(stdout, usageText())
			return exitOK
		}
		if len(args) > 2 {
			fmt.Fprintf(stderr, "convverify help: want one command, got %d arguments\n", len(args)-1)
			return exitUsage
		}
		c, ok := lookup(args[1])
		if !ok {
			fmt.Fprintf(stderr, "convverify help: unknown command %q (have %s)\n", args[1], commandNames())
			return exitUsage
		}
		helpTo = stdout
		defer func() { helpTo = nil }()
		runner(c.name)([]string{"-h"})
		return exitOK
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "convverify: unknown command %q (have %s; try convverify help)\n", args[0], commandNames())
		return exitUsage
	}
	rest, timeout, err := timeoutFlag(args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "convverify %s: %v\n", c.name, err)
		return exitUsage
	}
	stop := startTimeout(c.name, timeout)
	err = runner(c.name)(rest)
	stop()
	endStages()
	code := exitCode(err)
	if code == exitUsage || code == exitResource {
		fmt.Fprintf(stderr, "%s\n", errorLine(c.name, err))
	}
	return code
}

// errorLine prefixes err with "convverify CMD: " once: messages that already
// start with the command's name (as "check --golden: …") keep theirs.
func errorLine(name string, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, name+": ") || strings.HasPrefix(msg, name+" ") {
		return "convverify " + msg
	}
	return "convverify " + name + ": " + msg
}

func commandNames() string {
	var n []string
	for _, c := range commands {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

// timeoutFlag removes the global --timeout D from args (in any of the flag
// package's spellings) and returns the rest and D (0 when absent).
func timeoutFlag(args []string) ([]string, time.Duration, error) {
	var rest []string
	var d time.Duration
	seen := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "timeout" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, 0, usagef("--timeout: missing value (want a duration such as 30s)")
			}
			i++
			val = args[i]
		}
		if seen {
			return nil, 0, usagef("--timeout: given twice")
		}
		seen = true
		v, err := time.ParseDuration(val)
		if err != nil || v <= 0 {
			return nil, 0, usagef("--timeout: %q: want a positive duration such as 30s or 5m", val)
		}
		d = v
	}
	return rest, d, nil
}

// versionText is the module version and the VCS commit the binary was built
// from, as the Go toolchain stamped them (go build stamps the commit; go run
// does not).
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "convverify (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if rev == "" {
		return fmt.Sprintf("convverify %s (module %s), commit unknown (built without VCS stamping, as go run does; go build stamps it)", v, bi.Main.Path)
	}
	return fmt.Sprintf("convverify %s (module %s), commit %s%s %s, %s", v, bi.Main.Path, rev, dirty, when, bi.GoVersion)
}

// helpTo, when set, receives a command's usage (help CMD prints to stdout;
// CMD -h to stderr, as the flag package does).
var helpTo io.Writer

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (Go's flag package stops at the first positional one).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	out := stderr
	if helpTo != nil {
		out = helpTo
	}
	// The flag package prints its own error and the whole usage on any
	// parse error; we print the error once (in run) and the usage only when
	// it was asked for.
	fs.SetOutput(io.Discard)
	printUsage := func() {
		if c, ok := lookup(fs.Name()); ok {
			for i, l := range strings.Split(c.synopsis, "\n") {
				lead := "usage: "
				if i > 0 {
					lead = "       "
				}
				fmt.Fprintf(out, "%sconvverify %s\n", lead, l)
			}
			fmt.Fprintf(out, "\n%s\n\nflags:\n", c.summary)
		}
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintf(out, "\n%s\n%s", globalDoc, exitDoc)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage()
				return nil, err
			}
			return nil, usagef("%v (see convverify help %s)", err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
