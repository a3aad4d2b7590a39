package golden

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/atomicfile"
)

// Case is one golden convolution: the resolved problem, its inputs and the
// expected output computed elsewhere.
//
// A forward case (Problem.Dir FWD_B or FWD_D) holds In and Want. A backward
// case (BWD_D, BWD_W, BWD_WB) holds the inputs its direction reads (In; the
// others nil), DY, and the expected gradients its direction writes in Grads
// (conv.Problem.Tensors names both); Want and WantFile are empty.
type Case struct {
	Name     string
	Source   string // "onnx-node", "pytorch", "golden-format"
	Dir      string // the folder it was loaded from, as reached from the path given
	WantFile string // the file that holds the expected output (y.npy, output_0.pb)
	Problem  conv.Problem
	In       conv.Inputs[float64] // float32 values widened
	Want     conv.Tensor[float64] // expected output with its shape
	DY       []float64            // backward: the output gradient, shaped as the forward output
	Grads    conv.Grads[float64]  // backward: the expected gradients (see File for their files)
}

// Sources of a Case.
const (
	SourceONNXNode     = "onnx-node"
	SourcePyTorch      = "pytorch"
	SourceGoldenFormat = "golden-format"
)

// Load detects the folder kind and loads it: case.json makes a golden-format
// folder, model.onnx or test_data_set_0 an ONNX node test. The tensors may
// take conv.DefaultBudget.
func Load(dir string) (Case, error) { return LoadWith(dir, LoadOptions{}) }

// LoadWith is Load within opt's bounds.
func LoadWith(dir string, opt LoadOptions) (Case, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return Case{}, err
	}
	if !fi.IsDir() {
		return Case{}, fmt.Errorf("%s: not a folder (%s)", dir, kind(fi.Mode()))
	}
	switch {
	case exists(filepath.Join(dir, "case.json")):
		return loadGoldenFormat(dir, opt)
	case exists(filepath.Join(dir, "model.onnx")), exists(filepath.Join(dir, "test_data_set_0")):
		return loadONNXDir(dir, opt)
	}
	return Case{}, fmt.Errorf("%s: neither a golden-format folder (case.json) nor an ONNX node test (model.onnx, test_data_set_0)", dir)
}

// Discover expands each argument into cases: a folder that is a case itself
// (case.json, model.onnx or test_data_set_0), an ONNX anchor folder (one
// holding cases.json), or a folder whose sub-folders are cases, in name
// order. Hidden entries (names starting with a dot) are skipped when a
// folder is expanded: they are temporaries of an export still running or
// killed (atomicfile.IsTemporary), or someone else's. Each case's Dir is its
// folder as reached from the argument. Errors are per folder; the cases that
// loaded are returned with them.
func Discover(args []string, opt LoadOptions) ([]Case, []error) {
	var cases []Case
	var errs []error
	for _, d := range args {
		st, err := os.Stat(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			errs = append(errs, fmt.Errorf("%s: not a folder (%s)", d, kind(st.Mode())))
			continue
		}
		if IsCase(d) {
			c, err := LoadWith(d, opt)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cases = append(cases, c)
			continue
		}
		if exists(filepath.Join(d, "cases.json")) {
			cs, err := loadONNX(d, opt)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cases = append(cases, cs...)
			continue
		}
		names, err := readNames(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var subs []string
		for _, n := range names {
			if atomicfile.IsTemporary(n) {
				continue
			}
			sub := filepath.Join(d, n)
			if st, err := os.Stat(sub); err == nil && st.IsDir() && IsCase(sub) {
				subs = append(subs, sub)
			}
		}
		if len(subs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no golden case in it (want case.json, model.onnx or test_data_set_0 in it or in a folder in it)", d))
			continue
		}
		slices.Sort(subs)
		cs, es := Discover(subs, opt)
		cases, errs = append(cases, cs...), append(errs, es...)
	}
	return cases, errs
}

// IsCase reports whether the folder d is a case by its contents.
func IsCase(d string) bool {
	for _, f := range []string{"case.json", "model.onnx", "test_data_set_0"} {
		if _, err := os.Lstat(filepath.Join(d, f)); err == nil {
			return true
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// widen converts a float32 tensor's data to float64; nil stays nil.
func widen(t *conv.Tensor[float32]) []float64 {
	if t == nil {
		return nil
	}
	out := make([]float64, len(t.Data))
	for i, v := range t.Data {
		out[i] = float64(v)
	}
	return out
}
