package golden

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"convverify/conv"
)

// Case is one golden convolution: the resolved problem, its inputs and the
// expected output computed elsewhere.
type Case struct {
	Name    string
	Source  string // "onnx-node", "pytorch", "golden-format"
	Problem conv.Problem
	In      conv.Inputs[float64] // float32 values widened
	Want    conv.Tensor[float64] // expected output with its shape
}

// Sources of a Case.
const (
	SourceONNXNode     = "onnx-node"
	SourcePyTorch      = "pytorch"
	SourceGoldenFormat = "golden-format"
)

// Load detects the folder kind and loads it: case.json makes a golden-format
// folder, model.onnx or test_data_set_0 an ONNX node test.
func Load(dir string) (Case, error) {
	switch {
	case exists(filepath.Join(dir, "case.json")):
		return LoadGoldenFormat(dir)
	case exists(filepath.Join(dir, "model.onnx")), exists(filepath.Join(dir, "test_data_set_0")):
		return LoadONNXDir(dir)
	}
	if fi, err := os.Stat(dir); err != nil {
		return Case{}, fmt.Errorf("%s: %w", dir, err)
	} else if !fi.IsDir() {
		return Case{}, fmt.Errorf("%s: not a folder", dir)
	}
	return Case{}, fmt.Errorf("%s: neither a golden-format folder (case.json) nor an ONNX node test (model.onnx, test_data_set_0)", dir)
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
