package golden

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
)

// FuzzReadTensorProto: no input panics, and an accepted tensor holds exactly
// Πdims elements. Seeds: every .pb file of the ONNX anchors.
func FuzzReadTensorProto(f *testing.F) {
	pbs, _ := filepath.Glob(filepath.Join(onnxDir, "*", "test_data_set_0", "*.pb"))
	more, _ := filepath.Glob(filepath.Join(onnxDir, "*", "*", "test_data_set_0", "*.pb"))
	for _, p := range append(pbs, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tp, _, err := ReadTensorProto(b)
		if err != nil {
			return
		}
		if len(tp.Data) != conv.Elems(tp.Shape) {
			t.Fatalf("shape %v with %d elements", tp.Shape, len(tp.Data))
		}
	})
}

// FuzzParseONNXModel: no model.onnx panics the minimal model parser.
func FuzzParseONNXModel(f *testing.F) {
	models, _ := filepath.Glob(filepath.Join(onnxDir, "*", "model.onnx"))
	for _, p := range models {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseONNXModel(b)
		if err != nil {
			return
		}
		for _, n := range m.nodes {
			if _, ok := nodeRoles[n.opType]; ok {
				// Resolving whatever attributes a fuzzed model carries must not panic either.
				_, _ = resolveAttrs(n.opType, n.attrs, onnxShapes{x: []int{1, 2, 5, 5}, w: []int{2, 1, 3, 3}})
			}
		}
	})
}

// fuzzBases are the folders FuzzLoadGoldenFormat mutates: one per op and layout.
var fuzzBases = []string{"test_Conv2d", "test_convtranspose_output_shape", "test_deform_conv_with_mask_bias", "dynamic_softmax_test_Conv2d_groups", "test_Conv3d_no_bias", "test_Conv1d_groups"}

// fuzzGradBases are the gradient cases (case.json "dir") FuzzLoadGoldenFormat
// also mutates: written by writeGradCaseIn at the start, one per op, every
// backward direction among them.
var fuzzGradBases = []struct {
	op  conv.Op
	dir conv.Dir
}{{conv.OpConv, conv.DirBwdD}, {conv.OpDeconv, conv.DirBwdWB}, {conv.OpDeform, conv.DirBwdD}, {conv.OpDynamic, conv.DirBwdW}, {conv.OpConv, conv.DirFwdD}}

// fuzzFiles are the files one of which each run replaces: every tensor file.
var fuzzFiles = goldenFiles

// FuzzLoadGoldenFormat writes a fuzzed case.json and one fuzzed .npy file
// (chosen by which) over a committed folder or a gradient case (with "dir"). No input panics, and an accepted
// case is consistent: its problem validates and every tensor has its shape.
func FuzzLoadGoldenFormat(f *testing.F) {
	base := map[string]map[string][]byte{}
	folders := map[string]string{}
	bases := slices.Clone(fuzzBases)
	for _, name := range bases {
		folders[name] = filepath.Join(goldenDir, name)
	}
	gradRoot := f.TempDir()
	for _, g := range fuzzGradBases {
		d := writeGradCaseIn(f, gradRoot, g.op, g.dir, true)
		bases = append(bases, filepath.Base(d))
		folders[filepath.Base(d)] = d
	}
	for bi, name := range bases {
		files := map[string][]byte{}
		entries, err := os.ReadDir(folders[name])
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(folders[name], e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			files[e.Name()] = b
		}
		base[name] = files
		for fi, fn := range fuzzFiles {
			if npy, ok := files[fn]; ok {
				f.Add(files["case.json"], npy, uint8(bi*len(fuzzFiles)+fi))
			}
		}
	}
	// One folder per worker process, restored from the base after each run,
	// keeps the per-run file work to a few small writes.
	dir, err := os.MkdirTemp("", "fuzzgolden")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	f.Fuzz(func(t *testing.T, caseJSON, npy []byte, which uint8) {
		name := bases[int(which)/len(fuzzFiles)%len(bases)]
		target := fuzzFiles[int(which)%len(fuzzFiles)]
		for _, fn := range append([]string{"case.json"}, fuzzFiles...) {
			b, ok := base[name][fn]
			path := filepath.Join(dir, fn)
			if !ok {
				if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				continue
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "case.json"), caseJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, target), npy, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadGoldenFormat(dir)
		if err != nil {
			return
		}
		p := c.Problem
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid problem: %v", err)
		}
		if err := checkTensors(&p, &c); err != nil {
			t.Fatalf("accepted tensors that are not the direction's: %v", err)
		}
		if p.Dir.Backward() {
			if err := c.Grads.Check(&p); err != nil {
				t.Fatalf("accepted gradients that do not fit: %v", err)
			}
			return
		}
		if err := c.In.Check(&p); err != nil {
			t.Fatalf("accepted inputs that do not fit: %v", err)
		}
		if err := c.Want.CheckShape("y", p.DstShape()); err != nil {
			t.Fatalf("accepted y: %v", err)
		}
	})
}
