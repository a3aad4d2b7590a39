package golden

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
)

const onnxDir = "../../testdata/onnx"

// TestLoadONNXAll: all 50 anchors load (21 node tests, 29 PyTorch exports),
// each problem validates, and every tensor has the problem's shape.
func TestLoadONNXAll(t *testing.T) {
	cs, err := LoadONNX(onnxDir)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	ops := map[conv.Op]int{}
	for _, c := range cs {
		count[c.Source]++
		ops[c.Problem.Op]++
		p := c.Problem
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		if err := c.In.Check(&p); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		if err := c.Want.CheckShape("y", p.DstShape()); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	if count[SourceONNXNode] != 21 || count[SourcePyTorch] != 29 {
		t.Errorf("loaded %v, want 21 onnx-node and 29 pytorch cases", count)
	}
	if ops[conv.OpConv] != 32 || ops[conv.OpDeconv] != 14 || ops[conv.OpDeform] != 4 {
		t.Errorf("ops %v, want 32 conv, 14 deconv, 4 deform", ops)
	}
}

// TestONNXResolvedPadding pins the cases SOURCE.md singles out: floor
// division for a negative ConvTranspose total, SAME_UPPER/SAME_LOWER splits,
// and output_padding becoming end padding.
func TestONNXResolvedPadding(t *testing.T) {
	cs, err := LoadONNX(onnxDir)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]conv.Problem{}
	for _, c := range cs {
		byName[c.Name] = c.Problem
	}
	for _, tc := range []struct {
		name         string
		pBegin, pEnd [3]int
		o            [3]int
	}{
		// total −1: b = −1 − ⌊−1/2⌋ = 0, e = ⌊−1/2⌋ = −1 (truncation would give b = −1).
		{"test_convtranspose_output_shape", [3]int{0, 0, 0}, [3]int{0, -1, -1}, [3]int{1, 10, 8}},
		{"test_convtranspose_autopad_same", [3]int{0, 0, 0}, [3]int{0, 1, 1}, [3]int{1, 6, 6}},
		{"test_conv_with_autopad_same", [3]int{0, 1, 1}, [3]int{0, 1, 1}, [3]int{1, 3, 3}},
		// output_padding 1 on pads 0: end padding −1.
		{"test_convtranspose_pad", [3]int{0, 0, 0}, [3]int{0, -1, -1}, [3]int{1, 10, 8}},
		{"pytorch-converted/test_ConvTranspose2d", [3]int{0, 1, 1}, [3]int{0, 0, 0}, [3]int{1, 20, 12}},
		{"pytorch-operator/test_operator_convtranspose", [3]int{0, 1, 1}, [3]int{0, -1, -1}, [3]int{1, 12, 15}},
		{"test_conv_with_strides_and_asymmetric_padding", [3]int{0, 1, 0}, [3]int{0, 1, 0}, [3]int{1, 4, 2}},
	} {
		p, ok := byName[tc.name]
		if !ok {
			t.Errorf("%s: not loaded", tc.name)
			continue
		}
		if p.PBegin != tc.pBegin || p.PEnd != tc.pEnd || p.O != tc.o {
			t.Errorf("%s: pads %v/%v out %v, want %v/%v out %v", tc.name, p.PBegin, p.PEnd, p.O, tc.pBegin, tc.pEnd, tc.o)
		}
	}
}

// TestLoadONNXDirAgrees: parsing model.onnx and resolving its attributes
// ourselves gives the same problem and tensors as cases.json's resolved
// values, for all 50 folders. The two paths share only the final assembly.
func TestLoadONNXDirAgrees(t *testing.T) {
	cs, err := LoadONNX(onnxDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range cs {
		got, err := LoadONNXDir(filepath.Join(onnxDir, filepath.FromSlash(want.Name)))
		if err != nil {
			t.Errorf("%s: %v", want.Name, err)
			continue
		}
		if got.Problem != want.Problem {
			t.Errorf("%s: model.onnx gives %#v, cases.json %#v", want.Name, got.Problem, want.Problem)
		}
		if got.Source != want.Source {
			t.Errorf("%s: source %q, want %q", want.Name, got.Source, want.Source)
		}
		if !reflect.DeepEqual(got.In, want.In) || !reflect.DeepEqual(got.Want, want.Want) {
			t.Errorf("%s: tensors differ between model.onnx and cases.json paths", want.Name)
		}
	}
}

// TestLoadDetects: Load picks the ONNX reader for a node-test folder, and a
// folder holding only test_data_set_0 is found through the parent listing.
func TestLoadDetects(t *testing.T) {
	c, err := Load(filepath.Join(onnxDir, "test_convtranspose"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Problem.Op != conv.OpDeconv || c.Source != SourceONNXNode {
		t.Errorf("got %s from %s", c.Problem.Command(), c.Source)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("empty folder: %v", err)
	}
}

// TestLoadONNXDirWithoutModel: a copy of a node test without model.onnx, under
// a folder with a cases.json, is loaded through that listing.
func TestLoadONNXDirWithoutModel(t *testing.T) {
	root := t.TempDir()
	listing, err := os.ReadFile(filepath.Join(onnxDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(root, "cases.json"), listing, 0o644))
	name := "test_convtranspose_output_shape"
	copyTree(t, filepath.Join(onnxDir, name, "test_data_set_0"), filepath.Join(root, name, "test_data_set_0"))
	got, err := Load(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadONNXDir(filepath.Join(onnxDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if got.Problem != want.Problem || !reflect.DeepEqual(got.Want, want.Want) {
		t.Errorf("listing path %#v, model path %#v", got.Problem, want.Problem)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	must(t, filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	}))
}
