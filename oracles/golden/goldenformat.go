package golden

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"convverify/conv"
)

// caseJSON is case.json. Fields a reader does not know are ignored, so
// writers may add their own (we add name and source).
type caseJSON struct {
	Op          *string  `json:"op"`
	Problem     *string  `json:"problem"`
	Routing     *string  `json:"routing,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Name        string   `json:"name,omitempty"`
	Source      string   `json:"source,omitempty"`
}

// LoadGoldenFormat reads a golden-format folder: case.json, x.npy, w.npy,
// optional b.npy, offset.npy and optional mask.npy (op deform), route_w.npy and
// route_b.npy (op dynamic), and y.npy. Every array must be '<f4' in C order
// with the shape the descriptor implies. For deform the offset groups are
// DG = offset.shape[1] / (2·KH·KW); for dynamic the expert count E is w.shape[0],
// and case.json's "routing" (and "temperature", default 1) select the routing.
func LoadGoldenFormat(dir string) (Case, error) {
	jpath := filepath.Join(dir, "case.json")
	jb, err := os.ReadFile(jpath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Case{}, fmt.Errorf("%s: missing", jpath)
		}
		return Case{}, err
	}
	var cj caseJSON
	if err := json.Unmarshal(jb, &cj); err != nil {
		return Case{}, fmt.Errorf("%s: malformed JSON: %w", jpath, err)
	}
	fail := func(field, format string, args ...any) (Case, error) {
		return Case{}, fmt.Errorf("%s: field %s: %s", jpath, field, fmt.Sprintf(format, args...))
	}
	if cj.Op == nil {
		return fail("op", "missing (want conv, deconv, deform or dynamic)")
	}
	op, err := conv.ParseOp(*cj.Op)
	if err != nil {
		return fail("op", "%v", err)
	}
	if cj.Problem == nil {
		return fail("problem", "missing (a benchdnn descriptor)")
	}
	p, err := conv.ParseDescriptor(*cj.Problem, op)
	if err != nil {
		return fail("problem", "%v", err)
	}
	file := func(name string) string { return filepath.Join(dir, name) }
	load := func(name string, optional bool) (*conv.Tensor[float32], error) {
		path := file(name)
		if optional && !exists(path) {
			return nil, nil
		}
		t, err := readNpy(path)
		if err != nil {
			if !optional && !exists(path) {
				return nil, fmt.Errorf("%s: missing (required for op %s)", path, op)
			}
			return nil, err
		}
		return &t, nil
	}
	shapeErr := func(name string, got, want []int) error {
		return fmt.Errorf("%s: shape %s, want %s for %s", file(name), conv.ShapeString(got), conv.ShapeString(want), p.Command())
	}
	ts := map[string]*conv.Tensor[float32]{}
	names := []string{"x.npy", "w.npy", "b.npy", "offset.npy", "mask.npy", "route_w.npy", "route_b.npy", "y.npy"}
	required := map[string]bool{"x.npy": true, "w.npy": true, "y.npy": true}
	allowed := map[string]bool{"x.npy": true, "w.npy": true, "b.npy": true, "y.npy": true}
	switch op {
	case conv.OpDeform:
		required["offset.npy"], allowed["offset.npy"], allowed["mask.npy"] = true, true, true
	case conv.OpDynamic:
		required["route_w.npy"], required["route_b.npy"] = true, true
		allowed["route_w.npy"], allowed["route_b.npy"] = true, true
	}
	for _, n := range names {
		if !allowed[n] {
			if exists(file(n)) {
				return Case{}, fmt.Errorf("%s: present, but op %s takes no such input", file(n), op)
			}
			continue
		}
		t, err := load(n, !required[n])
		if err != nil {
			return Case{}, err
		}
		ts[n] = t
	}
	switch op {
	case conv.OpDeform:
		off := ts["offset.npy"].Shape
		taps2 := 2 * p.K[conv.H] * p.K[conv.W]
		if len(off) != 4 || off[1] == 0 || off[1]%taps2 != 0 {
			return Case{}, fmt.Errorf("%s: shape %s: channel count must be 2·DG·KH·KW = a multiple of %d", file("offset.npy"), conv.ShapeString(off), taps2)
		}
		p.DG = off[1] / taps2
		p.Mask = ts["mask.npy"] != nil
	case conv.OpDynamic:
		w := ts["w.npy"].Shape
		if len(w) == 0 || w[0] <= 0 {
			return Case{}, fmt.Errorf("%s: shape %s: the first dimension is the expert count E", file("w.npy"), conv.ShapeString(w))
		}
		p.E = w[0]
		if cj.Routing == nil {
			return fail("routing", "missing for op dynamic (want sigmoid or softmax)")
		}
		if p.Routing, err = conv.ParseRouting(*cj.Routing); err != nil {
			return fail("routing", "%v", err)
		}
		p.Temperature = 1
		if cj.Temperature != nil {
			p.Temperature = *cj.Temperature
		}
	}
	if err := p.Validate(); err != nil {
		return fail("problem", "%v", err)
	}
	want := map[string][]int{
		"x.npy": p.SrcShape(), "w.npy": p.WeightShape(), "b.npy": p.BiasShape(), "y.npy": p.DstShape(),
		"offset.npy": p.OffsetShape(), "mask.npy": p.MaskShape(), "route_w.npy": p.RouteWShape(), "route_b.npy": p.RouteBShape(),
	}
	for _, n := range names {
		if t := ts[n]; t != nil && !slices.Equal(t.Shape, want[n]) {
			return Case{}, shapeErr(n, t.Shape, want[n])
		}
	}
	name := cj.Name
	if name == "" {
		if abs, err := filepath.Abs(dir); err == nil {
			name = filepath.Base(abs)
		}
	}
	c := Case{
		Name:    name,
		Source:  SourceGoldenFormat,
		Problem: p,
		In: conv.Inputs[float64]{
			X: widen(ts["x.npy"]), W: widen(ts["w.npy"]), B: widen(ts["b.npy"]),
			Offset: widen(ts["offset.npy"]), Mask: widen(ts["mask.npy"]),
			RouteW: widen(ts["route_w.npy"]), RouteB: widen(ts["route_b.npy"]),
		},
		Want: conv.Tensor[float64]{Shape: ts["y.npy"].Shape, Data: widen(ts["y.npy"])},
	}
	if err := c.In.Check(&c.Problem); err != nil {
		return Case{}, fmt.Errorf("%s: %w", dir, err)
	}
	return c, nil
}

// Write writes c as a golden-format folder dir. It builds the folder under a
// temporary name beside dir and renames it into place at the end, so a failure
// never leaves a partial case that looks whole. An existing dir is replaced.
// Every value must be exactly a float32 (the format stores float32).
func Write(dir string, c Case) error {
	p := c.Problem
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: problem: %w", dir, err)
	}
	if err := c.In.Check(&p); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if err := c.Want.CheckShape("y", p.DstShape()); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if p.Op == conv.OpDeform && p.Mask != (c.In.Mask != nil) {
		return fmt.Errorf("%s: mask: Problem.Mask is %v but the mask input is %v", dir, p.Mask, c.In.Mask != nil)
	}
	if back, err := conv.ParseDescriptor(p.Descriptor(), p.Op); err != nil || !sameGeometry(back, p) {
		return fmt.Errorf("%s: problem: descriptor %q does not read back as the same problem (%v)", dir, p.Descriptor(), err)
	}
	opName, desc := p.Op.String(), p.Descriptor()
	cj := caseJSON{Op: &opName, Problem: &desc, Name: c.Name, Source: c.Source}
	if p.Op == conv.OpDynamic {
		r := p.Routing.String()
		cj.Routing = &r
		if p.Routing == conv.RoutingSoftmax {
			cj.Temperature = &p.Temperature
		}
	}
	jb, err := json.MarshalIndent(cj, "", "  ")
	if err != nil {
		return err
	}
	files := []npyFile{
		{"x.npy", p.SrcShape(), c.In.X}, {"w.npy", p.WeightShape(), c.In.W}, {"b.npy", p.BiasShape(), c.In.B},
		{"y.npy", c.Want.Shape, c.Want.Data},
	}
	switch p.Op {
	case conv.OpDeform:
		files = append(files, npyFile{"offset.npy", p.OffsetShape(), c.In.Offset}, npyFile{"mask.npy", p.MaskShape(), c.In.Mask})
	case conv.OpDynamic:
		files = append(files, npyFile{"route_w.npy", p.RouteWShape(), c.In.RouteW}, npyFile{"route_b.npy", p.RouteBShape(), c.In.RouteB})
	}
	encoded := map[string][]byte{"case.json": append(jb, '\n')}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		v, err := narrow(f.name, f.data)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if encoded[f.name], err = encodeNpy(f.shape, v); err != nil {
			return fmt.Errorf("%s: %s: %w", dir, f.name, err)
		}
	}
	return writeAtomically(dir, encoded)
}

// sameGeometry says whether two problems compute the same thing: equal fields,
// except that a conv end padding may differ where the floor in the output-size
// formula drops it (the descriptor keeps only the padding that is read).
func sameGeometry(a, b conv.Problem) bool {
	a.PEnd, b.PEnd = [3]int{}, [3]int{}
	a.DG, b.DG, a.Mask, b.Mask = 1, 1, false, false
	a.E, b.E, a.Routing, b.Routing, a.Temperature, b.Temperature = 1, 1, 0, 0, 1, 1
	return a == b
}

type npyFile struct {
	name  string
	shape []int
	data  []float64
}

func writeAtomically(dir string, files map[string][]byte) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if _, statErr := os.Stat(dir); statErr == nil {
		old, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".old-")
		if err != nil {
			return err
		}
		if err := os.Remove(old); err != nil {
			return err
		}
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil {
			os.Rename(old, dir)
			return err
		}
		return os.RemoveAll(old)
	}
	return os.Rename(tmp, dir)
}
