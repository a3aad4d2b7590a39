package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/optimized/gemm"
	"github.com/convverify/convverify/perf"
)

// Header is what heads a run's output.
type Header struct {
	Benchtime string
	Count     int
	Workers   []int
	Date      time.Time
	Commit    string // "" if unknown
	Load      string // 1, 5 and 15 minute load averages, "unknown" if unknown
	// Peers describe the outside implementations timed beside ours, one
	// entry each ("peer:pytorch = pytorch 2.6.0, … (command …)"): a
	// comment line, since a peer's version changes from run to run as
	// ours does.
	Peers []string
}

// NewHeader fills a Header from the machine.
func NewHeader(benchtime string, count int, workers []int) Header {
	return Header{Benchtime: benchtime, Count: count, Workers: workers, Date: time.Now().UTC(), Commit: Commit(), Load: LoadAverage()}
}

// Write writes the header in the Go benchmark format. What is the same from
// run to run on one machine and changes what is measured (cpu, kernel,
// workers, GOMAXPROCS) are configuration lines, which benchfmt attaches to
// every following result. What changes from run to run without changing
// what is measured (date, commit, load, Go version) are "# key: value"
// comment lines, which perf.Read reads as metadata: benchstat splits its
// tables on every differing configuration value, so as configuration they
// would keep any two runs from being compared. The count is a comment too
// (perf.CountPrefix), so compare tells a run cut short from one that asked
// for few, while files of different counts still compare.
func (h Header) Write(w io.Writer) {
	fmt.Fprintf(w, "# convverify bench, %s; load average %s; benchtime %s, count %d\n",
		h.Date.Format(time.RFC3339), h.Load, h.Benchtime, h.Count)
	fmt.Fprintf(w, "%s %d (samples per benchmark, twice that for the FMA probe: before and after; compare refuses fewer)\n", perf.CountPrefix, h.Count)
	commit := h.Commit
	if commit == "" {
		commit = "unknown"
	}
	fmt.Fprintf(w, "# date: %s\n# commit: %s\n# load-average: %s\n# go: %s\n", h.Date.Format(time.RFC3339), commit, h.Load, runtime.Version())
	if len(h.Peers) > 0 {
		fmt.Fprintf(w, "# peers: %s\n", strings.Join(h.Peers, "; "))
	}
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: convverify/optimized\ncpu: %s\n", runtime.GOOS, runtime.GOARCH, CPUModel())
	fmt.Fprintf(w, "kernel: %s\nkernels: %s\npeak-unit: %s\n", optimized.Kernel(), optimized.KernelInfo(), gemm.PeakUnit())
	fmt.Fprintf(w, "workers: %s\ngomaxprocs: %d\n", joinInts(h.Workers, ","), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "Unit GFLOP/s better=higher\nUnit GFLOP/s-cpu better=higher\nUnit GB/s better=higher\n")
}

// Map is the header as key → value, for the CSV and JSON formats.
func (h Header) Map() map[string]string {
	return map[string]string{
		"date": h.Date.Format(time.RFC3339), "commit": h.Commit, "load-average": h.Load, "go": runtime.Version(),
		"goos": runtime.GOOS, "goarch": runtime.GOARCH, "pkg": "convverify/optimized", "cpu": CPUModel(),
		"kernel": optimized.Kernel(), "kernels": optimized.KernelInfo(), "peak-unit": gemm.PeakUnit(),
		"workers": joinInts(h.Workers, ","), "gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0)),
		"benchtime": h.Benchtime, "count": strconv.Itoa(h.Count), "peers": strings.Join(h.Peers, "; "),
	}
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// CPUModel is /proc/cpuinfo's model name, as go test prints it.
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

// LoadAverage is the 1, 5 and 15 minute load averages (the machine may be
// shared: a loaded run reads low).
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// Commit is the commit the binary was built from (the module's VCS stamp,
// "-dirty" when the tree had changes), else what git says of the working
// directory (go run stamps nothing), else "".
func Commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if rev != "" {
			return rev[:min(12, len(rev))] + dirty
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
