package golden

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/convverify/convverify/conv"
)

// listedCase is one entry of testdata/onnx/cases.json or pytorch_cases.json.
type listedCase struct {
	Name     string       `json:"name"`
	Op       string       `json:"op"`
	Opset    int          `json:"opset"`
	Resolved *resolved    `json:"resolved"`
	Inputs   []listedFile `json:"inputs"`
	Outputs  []listedFile `json:"outputs"`
}

type listedFile struct {
	File  string `json:"file"`
	Role  string `json:"role"`
	Shape []int  `json:"shape"`
	Dtype string `json:"dtype"`
}

// listings are the index files of an anchor folder and the Source of their cases.
var listings = []struct{ file, source string }{
	{"cases.json", SourceONNXNode},
	{"pytorch_cases.json", SourcePyTorch},
}

// LoadONNX loads every case listed in dir/cases.json (ONNX node tests) and
// dir/pytorch_cases.json (PyTorch exports), using each entry's resolved
// attributes. A missing listing is an error: the anchors are a fixed set.
// The tensors of each case may take conv.DefaultBudget.
func LoadONNX(dir string) ([]Case, error) { return loadONNX(dir, LoadOptions{}) }

func loadONNX(dir string, opt LoadOptions) ([]Case, error) {
	var out []Case
	for _, l := range listings {
		entries, err := readListing(filepath.Join(dir, l.file))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			c, err := loadListed(dir, e, l.source, opt)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", l.file, e.Name, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func readListing(path string) ([]listedCase, error) {
	b, err := readRegular(path, maxListing, "a case listing may have")
	if err != nil {
		return nil, err
	}
	var entries []listedCase
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// loadListed reads one listed case's .pb files and builds its Problem from "resolved".
func loadListed(root string, e listedCase, source string, opt LoadOptions) (Case, error) {
	if e.Resolved == nil {
		return Case{}, errors.New("field resolved: missing")
	}
	if len(e.Outputs) != 1 || e.Outputs[0].Role != "Y" {
		return Case{}, errors.New("field outputs: want exactly one Y")
	}
	data := filepath.Join(root, filepath.FromSlash(e.Name), "test_data_set_0")
	tensors := map[string]*conv.Tensor[float32]{}
	for _, f := range append(append([]listedFile(nil), e.Inputs...), e.Outputs...) {
		switch f.Role {
		case "X", "W", "B", "offset", "mask", "Y":
		default:
			return Case{}, fmt.Errorf("%s: unknown role %q", f.File, f.Role)
		}
		if tensors[f.Role] != nil {
			return Case{}, fmt.Errorf("role %s: given twice", f.Role)
		}
		path := filepath.Join(data, filepath.FromSlash(f.File))
		// The listing gives the shape, so the file may hold its float data
		// and a little more (dims, data_type, name), and no more.
		limit, why := opt.budget(), "the memory budget allows"
		if n, ok := dataBytes(f.Shape, opt.budget()); ok {
			limit, why = n+pbOverhead, fmt.Sprintf("a TensorProto of shape %v may have", f.Shape)
		}
		t, err := readTensorFile(path, limit, why)
		if err != nil {
			return Case{}, err
		}
		if !slices.Equal(t.Shape, f.Shape) {
			return Case{}, fmt.Errorf("%s: shape %v, but the listing says %v", path, t.Shape, f.Shape)
		}
		tensors[f.Role] = &t
	}
	c, err := assemble(e.Op, *e.Resolved, tensors, baseName(e.Name), e.Name, source, opt)
	if err != nil {
		return Case{}, err
	}
	c.Dir = filepath.Join(root, filepath.FromSlash(e.Name))
	c.WantFile = filepath.Join(data, filepath.FromSlash(e.Outputs[0].File))
	return c, nil
}

// assemble checks the tensors against the resolved attributes and builds the Case.
// tensors is keyed by role: X, W, B, offset, mask, Y.
func assemble(op string, r resolved, tensors map[string]*conv.Tensor[float32], name, caseName, source string, opt LoadOptions) (Case, error) {
	for _, role := range []string{"X", "W", "Y"} {
		if tensors[role] == nil {
			return Case{}, fmt.Errorf("role %s: missing", role)
		}
	}
	if op == "DeformConv" && tensors["offset"] == nil {
		return Case{}, errors.New("role offset: missing (DeformConv needs it)")
	}
	shape := func(role string) []int {
		if t := tensors[role]; t != nil {
			return t.Shape
		}
		return nil
	}
	sh := onnxShapes{x: shape("X"), w: shape("W"), b: shape("B"), offset: shape("offset"), mask: shape("mask"), y: shape("Y")}
	p, err := problemFromONNX(op, r, sh, name)
	if err != nil {
		return Case{}, err
	}
	if err := p.CheckBudget(8, opt.budget()); err != nil {
		return Case{}, err
	}
	c := Case{
		Name:    caseName,
		Source:  source,
		Problem: p,
		In: conv.Inputs[float64]{
			X: widen(tensors["X"]), W: widen(tensors["W"]), B: widen(tensors["B"]),
			Offset: widen(tensors["offset"]), Mask: widen(tensors["mask"]),
		},
		Want: conv.Tensor[float64]{Shape: append([]int(nil), sh.y...), Data: widen(tensors["Y"])},
	}
	if err := c.In.Check(&c.Problem); err != nil {
		return Case{}, err
	}
	return c, nil
}

// nodeRoles are the input roles of each op, in ONNX input order.
var nodeRoles = map[string][]string{
	"Conv":          {"X", "W", "B"},
	"ConvTranspose": {"X", "W", "B"},
	"DeformConv":    {"X", "W", "offset", "B", "mask"},
}

// LoadONNXDir loads one ONNX node-test folder: model.onnx (parsed for the
// single Conv, ConvTranspose or DeformConv node, its attributes and
// initializers) and test_data_set_0/input_<i>.pb, output_0.pb. As the ONNX
// backend runner does, input_<i>.pb feeds the i-th graph input that is not an
// initializer. A folder without model.onnx is looked up in the cases.json or
// pytorch_cases.json of a parent folder. The tensors may take
// conv.DefaultBudget, which also caps every file read.
func LoadONNXDir(dir string) (Case, error) { return loadONNXDir(dir, LoadOptions{}) }

func loadONNXDir(dir string, opt LoadOptions) (Case, error) {
	modelPath := filepath.Join(dir, "model.onnx")
	budget := opt.budget()
	const why = "the memory budget allows"
	if _, err := os.Lstat(modelPath); errors.Is(err, os.ErrNotExist) {
		if c, ok, lerr := loadFromParentListing(dir, opt); ok || lerr != nil {
			return c, lerr
		}
		return Case{}, fmt.Errorf("%s: missing (and no parent cases.json lists %s)", modelPath, dir)
	}
	b, err := readRegular(modelPath, budget, why)
	if err != nil {
		return Case{}, err
	}
	m, err := parseONNXModel(b)
	if err != nil {
		return Case{}, fmt.Errorf("%s: %w", modelPath, err)
	}
	if len(m.nodes) != 1 {
		return Case{}, fmt.Errorf("%s: graph has %d nodes; only a single Conv, ConvTranspose or DeformConv node is supported", modelPath, len(m.nodes))
	}
	node := m.nodes[0]
	roles, ok := nodeRoles[node.opType]
	if !ok || (node.domain != "" && node.domain != "ai.onnx") {
		return Case{}, fmt.Errorf("%s: node op_type %q (domain %q): want Conv, ConvTranspose or DeformConv", modelPath, node.opType, node.domain)
	}
	if len(node.inputs) > len(roles) || len(node.outputs) < 1 {
		return Case{}, fmt.Errorf("%s: node %s has %d inputs and %d outputs", modelPath, node.opType, len(node.inputs), len(node.outputs))
	}
	data := filepath.Join(dir, "test_data_set_0")
	var feeds []string
	for _, in := range m.inputs {
		if _, isInit := m.initializers[in]; !isInit {
			feeds = append(feeds, in)
		}
	}
	tensors := map[string]*conv.Tensor[float32]{}
	for i, name := range node.inputs {
		if name == "" {
			continue
		}
		var t conv.Tensor[float32]
		if raw, isInit := m.initializers[name]; isInit {
			t, _, err = ReadTensorProto(raw)
			if err != nil {
				return Case{}, fmt.Errorf("%s: initializer %q: %w", modelPath, name, err)
			}
		} else {
			j := indexOf(feeds, name)
			if j < 0 {
				return Case{}, fmt.Errorf("%s: node input %q is neither a graph input nor an initializer", modelPath, name)
			}
			if t, err = readTensorFile(filepath.Join(data, fmt.Sprintf("input_%d.pb", j)), budget, why); err != nil {
				return Case{}, err
			}
		}
		tensors[roles[i]] = &t
	}
	j := indexOf(m.outputs, node.outputs[0])
	if j < 0 {
		return Case{}, fmt.Errorf("%s: node output %q is not a graph output", modelPath, node.outputs[0])
	}
	wantFile := filepath.Join(data, fmt.Sprintf("output_%d.pb", j))
	y, err := readTensorFile(wantFile, budget, why)
	if err != nil {
		return Case{}, err
	}
	tensors["Y"] = &y
	if tensors["X"] == nil || tensors["W"] == nil {
		return Case{}, fmt.Errorf("%s: node %s lacks X or W", modelPath, node.opType)
	}
	r, err := resolveAttrs(node.opType, node.attrs, onnxShapes{x: tensors["X"].Shape, w: tensors["W"].Shape})
	if err != nil {
		return Case{}, fmt.Errorf("%s: %w", modelPath, err)
	}
	source := SourceONNXNode
	if m.producer == "pytorch" {
		source = SourcePyTorch
	}
	name := baseName(dir)
	if abs, err := filepath.Abs(dir); err == nil {
		name = filepath.Base(abs)
	}
	c, err := assemble(node.opType, r, tensors, name, name, source, opt)
	if err != nil {
		return Case{}, fmt.Errorf("%s: %w", dir, err)
	}
	c.Dir, c.WantFile = dir, wantFile
	return c, nil
}

// loadFromParentListing finds dir in a cases.json or pytorch_cases.json up to
// three folders above it; ok is false when no listing names it.
func loadFromParentListing(dir string, opt LoadOptions) (c Case, ok bool, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Case{}, false, err
	}
	root := abs
	for up := 0; up < 3; up++ {
		root = filepath.Dir(root)
		for _, l := range listings {
			entries, lerr := readListing(filepath.Join(root, l.file))
			if lerr != nil {
				continue
			}
			for _, e := range entries {
				if filepath.Join(root, filepath.FromSlash(e.Name)) == abs {
					c, err := loadListed(root, e, l.source, opt)
					if err != nil {
						return Case{}, true, fmt.Errorf("%s: %s: %w", filepath.Join(root, l.file), e.Name, err)
					}
					// Name the files as the caller reached them, not by absolute path.
					c.Dir = dir
					c.WantFile = filepath.Join(dir, "test_data_set_0", filepath.FromSlash(e.Outputs[0].File))
					return c, true, nil
				}
			}
		}
	}
	return Case{}, false, nil
}

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

func baseName(name string) string {
	name = strings.TrimRight(filepath.ToSlash(name), "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}
