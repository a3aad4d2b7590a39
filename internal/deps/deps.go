// Package deps pins the modules the project builds on, so that go mod tidy
// keeps them while packages that use them are being written.
package deps

import (
	_ "codeberg.org/sbinet/npyio"
	_ "github.com/google/go-cmp/cmp"
	_ "golang.org/x/perf/benchfmt"
	_ "golang.org/x/perf/benchmath"
	_ "golang.org/x/perf/benchproc"
	_ "golang.org/x/sys/cpu"
	_ "gonum.org/v1/gonum/blas/blas32"
	_ "gonum.org/v1/gonum/dsp/fourier"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/plot"
	_ "google.golang.org/protobuf/encoding/protowire"
	_ "pgregory.net/rapid"
)
