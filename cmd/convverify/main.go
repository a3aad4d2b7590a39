// Command convverify proves convolution code right and measures how fast it is.
//
//	convverify describe DESCRIPTOR... | SHAPEFILE [--op OP] [--json]
//	convverify check DESCRIPTOR [--op OP] [--seed N]
//	convverify check --golden DIR...
//	convverify check --list
//	convverify export DESCRIPTOR --op OP DIR
//	convverify report [--seed N] [--checks N] [-o reports/FINDINGS.md]
//
// Exit status: 0 when everything checked passed, 1 when a check failed, 2 for
// bad input (a malformed descriptor, a missing file, an unknown flag).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"convverify/conv"
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
	case errors.As(err, &ie):
		return exitResource
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &be), errors.As(err, &pe), errors.As(err, &le):
		return exitResource
	}
	return exitUsage
}

var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

const usage = `convverify: verify and measure convolution implementations

commands:
  describe DESCRIPTOR...|SHAPEFILE [--op OP] [--json]   print resolved problems
  check DESCRIPTOR [--op OP] [--seed N]                   reference, oracles and every variant on random data
  check --golden DIR...                                   verify golden cases (ONNX node tests or golden-format folders)
  check --list                                            list the registered implementations
  export DESCRIPTOR --op OP DIR                           write a golden-format case computed by the reference
  report [--seed N] [--checks N] [-o FILE]                write the findings on the convolution Q&A
  bench [--count N] [--benchtime D] [--impl RE] [--shape RE] [--op OP] [--workers W] [-o FILE]   benchmark the variants (Go benchmark format)
  compare OLD NEW [--alpha A] [--threshold 5%] [--metric sec/op|GFLOP/s]   benchstat-style regression verdicts (exit 1 on a regression)

OP is conv, deconv, deform or dynamic. Deform takes --dg N and --mask; dynamic
takes --experts E, --routing sigmoid|softmax and --temperature T.
`

func main() {
	handleSignals()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func([]string) error{
		"describe": cmdDescribe,
		"check":    cmdCheck,
		"export":   cmdExport,
		"report":   cmdReport,
		"bench":    cmdBench,
		"compare":  cmdCompare,
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "convverify: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := f(args[1:])
	code := exitCode(err)
	if code == exitUsage || code == exitResource {
		fmt.Fprintf(stderr, "convverify %s: %v\n", args[0], err)
	}
	return code
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (Go's flag package stops at the first positional one).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err}
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
