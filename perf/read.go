package perf

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// A Set is the measurements of one benchmark file: for every full benchmark
// name (benchproc's .fullname, sub-benchmark keys included), one value per
// result line and unit, in base units (ns/op is read as sec/op).
type Set struct {
	File   string
	Names  []string                        // full names, in order of first appearance
	Values map[string]map[string][]float64 // name → unit → values
	Units  benchfmt.UnitMetadataMap        // "Unit … better=…" metadata lines
}

// ReadFile reads a benchmark file. A missing file, a malformed benchmark line
// (the error names file and line) or a file without any result is an error.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads benchmark results from r; name is used in errors.
func Read(r io.Reader, name string) (*Set, error) {
	var parser benchproc.ProjectionParser
	byName, err := parser.Parse(".fullname", nil)
	if err != nil {
		return nil, err
	}
	s := &Set{File: name, Values: map[string]map[string][]float64{}}
	rd := benchfmt.NewReader(r, name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec // "file:line: message"
		case *benchfmt.Result:
			full := byName.Project(rec).StringValues()
			units, ok := s.Values[full]
			if !ok {
				units = map[string][]float64{}
				s.Values[full] = units
				s.Names = append(s.Names, full)
			}
			for _, v := range rec.Values {
				units[v.Unit] = append(units[v.Unit], v.Value)
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(s.Names) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", name)
	}
	s.Units = rd.Units()
	return s, nil
}
