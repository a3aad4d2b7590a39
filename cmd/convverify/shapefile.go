package main

import (
	"fmt"
	"os"
	"strings"

	"convverify/conv"
)

// descriptorsOf returns the descriptors an argument stands for: the argument
// itself, or every problem of a shape file with where each one stands
// (file:line). An argument that looks like a path but names no file is an
// error about the file, not a malformed descriptor.
func descriptorsOf(arg string) (descs, where []string, err error) {
	st, statErr := os.Stat(arg)
	if statErr != nil {
		if _, perr := conv.ParseDescriptor(arg, conv.OpConv); perr != nil && strings.ContainsRune(arg, '/') {
			return nil, nil, usageError{statErr}
		}
		return []string{arg}, nil, nil
	}
	if st.IsDir() {
		return nil, nil, usagef("%s: a folder, not a shape file", arg)
	}
	text, err := os.ReadFile(arg)
	if err != nil {
		return nil, nil, usageError{err}
	}
	for i, line := range strings.Split(string(text), "\n") {
		for _, d := range conv.ParseShapeFile(line) {
			descs = append(descs, d)
			where = append(where, fmt.Sprintf("%s:%d", arg, i+1))
		}
	}
	if len(descs) == 0 {
		return nil, nil, usagef("%s: no problem in the shape file", arg)
	}
	return descs, where, nil
}
