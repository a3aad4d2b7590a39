package perf

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/convverify/convverify/internal/boundedread"
)

// A Set is the measurements of one benchmark file: for every full benchmark
// name (benchproc's .fullname, sub-benchmark keys included), one value per
// result line and unit, in base units (ns/op is read as sec/op).
type Set struct {
	File   string
	Names  []string                        // full names, in order of first appearance
	Values map[string]map[string][]float64 // name → unit → values
	Units  benchfmt.UnitMetadataMap        // "Unit … better=…" metadata lines
	// Promised is, per benchmark, how many samples the file's count lines
	// ("# convverify-count: N", see CountPrefix) say it should hold. A
	// benchmark is absent when any of its results comes before every count
	// line: then nothing was promised for it (files from before the line
	// existed, such as benchdata/baseline-avx512.txt).
	Promised map[string]int
	// Config is the configuration of the file's first result ("cpu",
	// "kernel", "gomaxprocs", …: the "key: value" lines above it).
	Config map[string]string
	// Meta is the file's "# key: value" comment lines, first of each key:
	// what bench records per run without splitting benchstat's tables
	// (date, commit, load-average, go). See Meta for older files.
	Meta map[string]string
}

// CountPrefix starts the line with which convverify bench records how many
// samples per benchmark the run intends (its --count):
//
//	# convverify-count: 6
//
// It is a comment, not a "key: value" configuration line, on purpose:
// benchstat splits its tables on every configuration value that differs,
// so a count key would keep a 6-sample baseline and a 10-sample run from
// being compared, by benchstat and by anything grouping on configuration.
// benchfmt ignores the line; Read scans for it itself.
//
// A count line promises N samples to every benchmark whose results follow
// it, up to the next count line. Files concatenated from several runs (cat
// a.txt b.txt, to pool samples) therefore promise each benchmark the sum of
// the counts of the runs that measured it. A benchmark may hold more than
// it was promised (bench's FMA probe runs N times before and N after).
const CountPrefix = "# convverify-count:"

// countLine is one count line: its line number and N.
type countLine struct{ line, n int }

// countLines finds the count lines of data; a malformed one is an error
// naming the file and line.
func countLines(data []byte, name string) ([]countLine, error) {
	var cs []countLine
	for i, l := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), CountPrefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		n := 0
		var err error
		if len(f) > 0 {
			n, err = strconv.Atoi(f[0])
		}
		if len(f) == 0 || err != nil || n < 1 {
			return nil, fmt.Errorf("%s:%d: %s: want a positive sample count, as %q", name, i+1, strings.TrimSpace(CountPrefix), CountPrefix+" 6")
		}
		cs = append(cs, countLine{i + 1, n})
	}
	return cs, nil
}

// MaxFileSize bounds what ReadFile reads: a whole-suite run at --count 100
// is well under a megabyte, so a bigger file is not benchmark output.
const MaxFileSize = 64 << 20

// ReadFile reads a benchmark file. A missing file, anything but a regular
// file (a FIFO would block, /dev/zero never end), one over MaxFileSize, a
// malformed benchmark or count line (the error names file and line) or a
// file without any result is an error.
func ReadFile(path string) (*Set, error) {
	b, err := boundedread.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Read(bytes.NewReader(b), path)
}

// Read reads benchmark results from r; name is used in errors.
func Read(r io.Reader, name string) (*Set, error) {
	var parser benchproc.ProjectionParser
	byName, err := parser.Parse(".fullname", nil)
	if err != nil {
		return nil, err
	}
	// The whole file is read first (benchmark files are kilobytes) because
	// benchfmt drops the comment lines that carry the promised count.
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	counts, err := countLines(data, name)
	if err != nil {
		return nil, err
	}
	s := &Set{File: name, Values: map[string]map[string][]float64{}, Promised: map[string]int{}, Config: map[string]string{}, Meta: metaLines(data)}
	// segment[name] is the last count line (index into counts) that has
	// added to Promised[name]; unpromised names have seen a result that no
	// count line precedes.
	segment := map[string]int{}
	unpromised := map[string]bool{}
	rd := benchfmt.NewReader(bytes.NewReader(data), name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec // "file:line: message"
		case *benchfmt.Result:
			full := byName.Project(rec).StringValues()
			if len(s.Names) == 0 {
				for _, c := range rec.Config {
					s.Config[c.Key] = string(c.Value)
				}
			}
			units, ok := s.Values[full]
			if !ok {
				units = map[string][]float64{}
				s.Values[full] = units
				s.Names = append(s.Names, full)
			}
			_, line := rec.Pos()
			for _, v := range rec.Values {
				// A NaN makes go-moremath's Mann-Whitney U test loop forever
				// (found by FuzzReadAndCompare), and no timing or rate is
				// infinite or negative: such a line is not a measurement.
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || v.Value < 0 {
					return nil, fmt.Errorf("%s:%d: %s: value %v %s is not a finite non-negative measurement", name, line, full, v.OrigValue, v.OrigUnit)
				}
				units[v.Unit] = append(units[v.Unit], v.Value)
			}
			// The count line in force is the last one above this result.
			k := sort.Search(len(counts), func(i int) bool { return counts[i].line > line }) - 1
			if k < 0 {
				unpromised[full] = true
			} else if last, seen := segment[full]; !seen || last != k {
				segment[full] = k
				s.Promised[full] += counts[k].n
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(s.Names) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", name)
	}
	for n := range unpromised {
		delete(s.Promised, n)
	}
	s.Units = rd.Units()
	return s, nil
}

// metaLines reads the "# key: value" comment lines (key: lower-case
// letters, digits and dashes), first of each key. Files from before these
// lines name their load average only in the first comment line
// ("…; load average 2.13 1.37 1.17; …"): that is read as load-average.
func metaLines(data []byte) map[string]string {
	m := map[string]string{}
	for i, l := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "# ")
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(rest, ": "); ok && metaKey(k) {
			if _, seen := m[k]; !seen {
				m[k] = strings.TrimSpace(v)
			}
		}
		if _, after, ok := strings.Cut(rest, "load average "); ok && i < 3 {
			if _, seen := m["load-average"]; !seen {
				m["load-average"], _, _ = strings.Cut(after, ";")
			}
		}
	}
	return m
}

func metaKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Load1 is the 1-minute load average the file recorded at the start of
// its run, and whether it recorded one.
func (s *Set) Load1() (float64, bool) {
	f := strings.Fields(s.Meta["load-average"])
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil && v >= 0
}
