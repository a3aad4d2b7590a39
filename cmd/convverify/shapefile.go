package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/boundedread"
)

// maxShapeFile bounds a shape file's size: benchdnn's largest is under
// 100 KiB, so 16 MiB is generous and still keeps /dev/zero out.
const maxShapeFile = 16 << 20

// shapeFileOpWarning returns a warning when a shape file's path says which
// op it holds (benchdnn keeps deconvolutions under deconv/) and --op says
// otherwise: benchdnn's grammar is the same for both, so a deconv file read
// as conv parses into plausible nonsense (negative end padding, huge FLOPs).
func shapeFileOpWarning(path string, op conv.Op) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	deconvPath := slices.Contains(parts[:len(parts)-1], "deconv") || strings.Contains(filepath.Base(path), "deconv")
	if deconvPath && op != conv.OpDeconv {
		return fmt.Sprintf("warning: %s looks like a deconvolution shape file (its path names deconv) but is read as --op %s; add --op deconv", path, op)
	}
	return ""
}

// descriptorsOf returns the descriptors an argument stands for: the argument
// itself, or every problem of a shape file with where each one stands
// (file:line). An argument that looks like a path but names no file is an
// error about the file, not a malformed descriptor.
func descriptorsOf(arg string) (descs, where []string, err error) {
	st, statErr := os.Stat(arg)
	if statErr != nil {
		if _, perr := conv.ParseDescriptor(arg, conv.OpConv); perr != nil && strings.ContainsRune(arg, '/') {
			return nil, nil, ioError{statErr}
		}
		return []string{arg}, nil, nil
	}
	if st.IsDir() {
		return nil, nil, usagef("%s: a folder, not a shape file", arg)
	}
	text, err := boundedread.ReadFile(arg, maxShapeFile)
	if err != nil {
		return nil, nil, ioError{err}
	}
	// benchdnn writes --dir=BWD_D on its own line; it holds for the problems
	// after it, which carry it as a prefix that problemFlags.problem reads.
	dirPrefix := ""
	for i, line := range strings.Split(string(text), "\n") {
		for _, d := range conv.ParseShapeFile(line) {
			if dir, ok, err := conv.ParseDirToken(d); ok {
				if err != nil {
					return nil, nil, usagef("%s:%d: %v", arg, i+1, err)
				}
				dirPrefix = conv.DirToken + dir.String() + " "
				continue
			}
			descs = append(descs, dirPrefix+d)
			where = append(where, fmt.Sprintf("%s:%d", arg, i+1))
		}
	}
	if len(descs) == 0 {
		return nil, nil, usagef("%s: no problem in the shape file", arg)
	}
	return descs, where, nil
}
