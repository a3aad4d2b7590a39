package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/convverify/convverify/conv"
)

// caseJSON is case.json.
type caseJSON struct {
	Op          *string  `json:"op"`
	Problem     *string  `json:"problem"`
	Routing     *string  `json:"routing,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Dir         *string  `json:"dir,omitempty"`
	Name        string   `json:"name,omitempty"`
	Source      string   `json:"source,omitempty"`
}

// knownFields are the case.json fields, in the order messages list them.
//
// The original contract (docs/golden-format.md) let readers ignore unknown
// fields. Issue 7 makes them errors: a field such as "dtype": "bf16" or
// "stride" that we silently ignored meant a case was checked as something
// its writer did not mean. Writers that want to annotate a case use fields
// whose names start with "x-" (annotationPrefix); those are ignored.
var knownFields = []string{"op", "problem", "routing", "temperature", "dir", "name", "source"}

const annotationPrefix = "x-"

// knownFieldsText lists the fields for error messages.
func knownFieldsText() string {
	return "known fields: " + strings.Join(knownFields, ", ") + "; free annotations go in fields named " + annotationPrefix + "…"
}

// parseCaseJSON reads case.json strictly: one JSON object, no field twice,
// no field we do not know (except annotations), each of its type.
func parseCaseJSON(path string, b []byte) (caseJSON, error) {
	var cj caseJSON
	malformed := func(err error) (caseJSON, error) {
		return caseJSON{}, fmt.Errorf("%s: malformed JSON: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if tok != json.Delim('{') {
		return malformed(fmt.Errorf("want an object, got %v", tok))
	}
	raw := map[string]json.RawMessage{}
	var unknown []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, ok := tok.(string)
		if !ok {
			return malformed(fmt.Errorf("object key %v is not a string", tok))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return malformed(err)
		}
		if _, dup := raw[key]; dup {
			return caseJSON{}, fmt.Errorf("%s: field %s: given twice", path, key)
		}
		raw[key] = v
		if !slices.Contains(knownFields, key) && !strings.HasPrefix(key, annotationPrefix) {
			unknown = append(unknown, strconv.Quote(key))
		}
	}
	if _, err := dec.Token(); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed(errors.New("data after the object"))
	}
	if len(unknown) > 0 {
		s := ""
		if len(unknown) > 1 {
			s = "s"
		}
		return caseJSON{}, fmt.Errorf("%s: field%s %s: unknown (%s)", path, s, strings.Join(unknown, ", "), knownFieldsText())
	}
	for _, f := range []struct {
		name string
		dst  any
	}{{"op", &cj.Op}, {"problem", &cj.Problem}, {"routing", &cj.Routing}, {"temperature", &cj.Temperature}, {"dir", &cj.Dir}, {"name", &cj.Name}, {"source", &cj.Source}} {
		if v, ok := raw[f.name]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return caseJSON{}, fmt.Errorf("%s: field %s: %s is not a %s", path, f.name, v, jsonType(f.dst))
			}
		}
	}
	return cj, nil
}

func jsonType(dst any) string {
	switch dst.(type) {
	case **float64:
		return "number"
	}
	return "string"
}

// LoadGoldenFormat reads a golden-format folder: case.json, x.npy, w.npy,
// optional b.npy, offset.npy and optional mask.npy (op deform), route_w.npy and
// route_b.npy (op dynamic), and y.npy. Every array must be '<f4' in C order
// with the shape the descriptor implies. For deform the offset groups are
// DG = offset.shape[1] / (2·KH·KW); for dynamic the expert count E is w.shape[0],
// and case.json's "routing" (and "temperature", softmax only, default 1)
// select the routing. The tensors may take conv.DefaultBudget.
func LoadGoldenFormat(dir string) (Case, error) { return loadGoldenFormat(dir, LoadOptions{}) }

// loadAttempts bounds the reloads of a folder that keeps being replaced.
const loadAttempts = 8

// loadGoldenFormat loads dir so that the case is never a mix of two: all its
// files are read through one handle on the folder, and if the folder at dir
// was replaced during the load (export --force swaps in a new folder), the
// load is repeated on the new one. Files rewritten in place inside one folder
// cannot be detected; export never does that.
func loadGoldenFormat(dir string, opt LoadOptions) (Case, error) {
	var last Case
	var lastErr error
	for range loadAttempts {
		before, err := os.Stat(dir)
		if err != nil {
			return Case{}, err
		}
		d, err := openFolder(dir)
		if err != nil {
			return Case{}, err
		}
		opened, err := d.dir.Stat()
		var c Case
		if err == nil {
			c, err = loadFolder(d, opt)
		}
		d.Close()
		after, serr := os.Stat(dir)
		if serr == nil && os.SameFile(before, opened) && os.SameFile(opened, after) {
			return c, err
		}
		last, lastErr = c, err
	}
	// Replaced during every attempt. A load that succeeded still read one
	// folder whole (through one handle): it is an older case, not a torn one.
	if lastErr == nil {
		return last, nil
	}
	return Case{}, fmt.Errorf("%s: replaced %d times while it was read: %w", dir, loadAttempts, lastErr)
}

// loadFolder reads one golden-format folder: case.json, then every .npy
// header, then, once the shapes are the problem's and the problem is within
// the budget, the data.
func loadFolder(d *folder, opt LoadOptions) (Case, error) {
	dir := d.path
	jpath := d.name("case.json")
	jb, err := d.readFile("case.json", maxCaseJSON, "a case.json may have")
	if err != nil {
		return Case{}, err
	}
	cj, err := parseCaseJSON(jpath, jb)
	if err != nil {
		return Case{}, err
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
	if op != conv.OpDynamic {
		if cj.Routing != nil {
			return fail("routing", "given for op %s; only op dynamic has routing", op)
		}
		if cj.Temperature != nil {
			return fail("temperature", "given for op %s; only op dynamic with softmax routing has a temperature", op)
		}
	}
	// The direction decides which tensors the folder holds (the table,
	// conv.Problem.Tensors): those it reads are the inputs, those it writes
	// the expected outputs.
	if cj.Dir != nil {
		if p.Dir, err = conv.ParseDir(*cj.Dir); err != nil {
			return fail("dir", "%v", err)
		}
	}
	specs, err := dirSpecs(p)
	if err != nil {
		return fail("dir", "op %s has no direction %s (it has %s)", op, p.Dir, directionsOf(op))
	}
	explicit := cj.Dir != nil
	required, allowed, written := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range specs {
		f := s.Name + ".npy"
		allowed[f], required[f], written[f] = true, !optionalTensor(s.Name), s.Written
	}
	// context names the tensor and the direction in a file's errors, for a
	// case that names its direction (the forward format's messages are kept).
	context := func(name string) string {
		if !explicit {
			return ""
		}
		t := strings.TrimSuffix(name, ".npy")
		return " (" + dirPhrase(&p, t, written[name]) + ")"
	}
	files := map[string]*npyFile{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, n := range goldenFiles {
		present, err := d.exists(n)
		if err != nil {
			return Case{}, err
		}
		if !allowed[n] {
			if present {
				if !explicit && slices.Contains(forwardInputs, strings.TrimSuffix(n, ".npy")) {
					return Case{}, fmt.Errorf("%s: present, but op %s takes no such input", d.name(n), op)
				}
				return Case{}, fmt.Errorf("%s: present, but direction %s of op %s neither reads nor writes %s (it reads and writes %s)",
					d.name(n), p.Dir, op, strings.TrimSuffix(n, ".npy"), specNames(specs))
			}
			continue
		}
		if !present {
			if required[n] {
				if !explicit {
					return Case{}, fmt.Errorf("%s: missing (required for op %s)", d.name(n), op)
				}
				return Case{}, fmt.Errorf("%s: missing (%s)", d.name(n), dirPhrase(&p, strings.TrimSuffix(n, ".npy"), written[n]))
			}
			continue
		}
		f, err := openNpy(d, n)
		if err != nil {
			return Case{}, fmt.Errorf("%w%s", err, context(n))
		}
		files[n] = f
	}
	if op == conv.OpDeform && allowed["dmask.npy"] && (files["mask.npy"] != nil) != (files["dmask.npy"] != nil) {
		if files["mask.npy"] != nil {
			return Case{}, fmt.Errorf("%s: missing (mask.npy makes the case DCNv2, and %s)", d.name("dmask.npy"), dirPhrase(&p, "dmask", true))
		}
		return Case{}, fmt.Errorf("%s: present without mask.npy (a DCNv1 case has no mask and no d(mask))", d.name("dmask.npy"))
	}
	switch op {
	case conv.OpDeform:
		off := files["offset.npy"].shape
		taps2 := 2 * p.K[conv.H] * p.K[conv.W]
		if len(off) != 4 || off[1] == 0 || off[1]%taps2 != 0 {
			return Case{}, fmt.Errorf("%s: shape %s: channel count must be 2·DG·KH·KW = a multiple of %d", d.name("offset.npy"), conv.ShapeString(off), taps2)
		}
		p.DG = off[1] / taps2
		p.Mask = files["mask.npy"] != nil
	case conv.OpDynamic:
		w := files["w.npy"].shape
		if len(w) == 0 || w[0] <= 0 {
			return Case{}, fmt.Errorf("%s: shape %s: the first dimension is the expert count E", d.name("w.npy"), conv.ShapeString(w))
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
			if p.Routing != conv.RoutingSoftmax {
				return fail("temperature", "has no effect with %s routing (it scales softmax logits only)", p.Routing)
			}
			p.Temperature = *cj.Temperature
		}
	}
	if err := p.Validate(); err != nil {
		return fail("problem", "%v", err)
	}
	for _, n := range tensorNames {
		f := files[n+".npy"]
		if f == nil {
			continue
		}
		want, _ := p.TensorShape(n)
		if !slices.Equal(f.shape, want) {
			return Case{}, fmt.Errorf("%s: shape %s, want %s for %s%s", d.name(n+".npy"), conv.ShapeString(f.shape), conv.ShapeString(want), p.Command(), context(n+".npy"))
		}
	}
	// Only now, with every shape the problem's, is the data read: its size
	// is what the problem implies, and the problem must fit the budget. A
	// backward case holds a gradient beside each value (each has the shape
	// of a forward tensor), so it counts 16 bytes per forward element.
	elem := 8
	if p.Dir.Backward() {
		elem = 16
	}
	if err := p.CheckBudget(elem, opt.budget()); err != nil {
		return Case{}, fmt.Errorf("%s: %w", dir, err)
	}
	ts := map[string]*conv.Tensor[float32]{}
	for n, f := range files {
		t, err := f.readData()
		if err != nil {
			return Case{}, fmt.Errorf("%w%s", err, context(n))
		}
		ts[n] = &t
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
		Dir:     dir,
		Problem: p,
	}
	for _, n := range tensorNames {
		if t := ts[n+".npy"]; t != nil {
			*c.slot(n) = widen(t)
		}
	}
	if y := ts["y.npy"]; y != nil {
		c.WantFile, c.Want.Shape = d.name("y.npy"), y.Shape
	}
	if err := checkTensors(&c.Problem, &c); err != nil {
		return Case{}, fmt.Errorf("%s: %w", dir, err)
	}
	if !p.Dir.Backward() {
		if err := c.In.Check(&c.Problem); err != nil {
			return Case{}, fmt.Errorf("%s: %w", dir, err)
		}
	}
	return c, nil
}

// WriteOptions say what Write may replace.
type WriteOptions struct {
	// Force lets Write replace an existing golden case at dir: a folder that
	// holds case.json and nothing but golden-format files (goldenFiles).
	// Anything else at dir is refused even so: a folder with other files, a
	// file, a symbolic link, a device.
	Force bool
}

// Write writes c as a golden-format folder dir. It never deletes anything it
// did not create: an existing empty folder is filled, an existing golden
// case is replaced only with opt.Force, and anything else is refused.
//
// The folder is built under a hidden temporary name beside dir, each file
// synced, and then renamed into place, or, over an existing folder,
// exchanged with it atomically, so a concurrent reader sees the old case or
// the new one and a failure or a kill never leaves a partial case that looks
// whole. The temporary is registered with atomicfile, so an interrupt removes
// it; a SIGKILL may leave it, hidden from every loader by its leading dot.
// Every value must be exactly a float32 (the format stores float32).
func Write(dir string, c Case, opt WriteOptions) error {
	p := c.Problem
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: problem: %w", dir, err)
	}
	if p.Dir.Backward() {
		// The tensors the direction reads and writes, and no others.
		if err := checkTensors(&p, &c); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	} else {
		if err := c.In.Check(&p); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if err := c.Want.CheckShape("y", p.DstShape()); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if err := checkTensors(&p, &c); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	if p.Op == conv.OpDeform && p.Mask != (c.In.Mask != nil) {
		return fmt.Errorf("%s: mask: Problem.Mask is %v but the mask input is %v", dir, p.Mask, c.In.Mask != nil)
	}
	if back, err := conv.ParseDescriptor(p.Descriptor(), p.Op); err != nil || !sameGeometry(back, p) {
		return fmt.Errorf("%s: problem: descriptor %q does not read back as the same problem (%v)", dir, p.Descriptor(), err)
	}
	cj := caseJSONFor(&p, c.Name, c.Source)
	jb, err := json.MarshalIndent(cj, "", "  ")
	if err != nil {
		return err
	}
	files, err := caseFiles(&p, &c)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
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
	return writeCase(dir, encoded, opt)
}

// sameGeometry says whether two problems compute the same thing: equal fields,
// except that a conv end padding may differ where the floor in the output-size
// formula drops it (the descriptor keeps only the padding that is read).
func sameGeometry(a, b conv.Problem) bool {
	a.PEnd, b.PEnd = [3]int{}, [3]int{}
	a.DG, b.DG, a.Mask, b.Mask = 1, 1, false, false
	a.E, b.E, a.Routing, b.Routing, a.Temperature, b.Temperature = 1, 1, 0, 0, 1, 1
	a.Dir, b.Dir = 0, 0 // case.json says the direction apart from the descriptor
	return a == b
}

type npyOut struct {
	name  string
	shape []int
	data  []float64
}

// caseJSONFor is the case.json of p: op, descriptor, name, source, the
// routing (and softmax temperature) of a dynamic problem, and the direction
// when it is not the default forward pass (FWD_B).
func caseJSONFor(p *conv.Problem, name, source string) caseJSON {
	opName, desc := p.Op.String(), p.Descriptor()
	cj := caseJSON{Op: &opName, Problem: &desc, Name: name, Source: source}
	if p.Dir != conv.DirFwdB {
		d := p.Dir.String()
		cj.Dir = &d
	}
	if p.Op == conv.OpDynamic {
		r := p.Routing.String()
		cj.Routing = &r
		if p.Routing == conv.RoutingSoftmax {
			t := p.Temperature
			cj.Temperature = &t
		}
	}
	return cj
}

// inputFiles are the .npy files of p's inputs, in the golden format's names
// and layouts; a nil tensor (no bias, no mask) is skipped by the writers.
func inputFiles(p *conv.Problem, in conv.Inputs[float64]) []npyOut {
	files := []npyOut{{"x.npy", p.SrcShape(), in.X}, {"w.npy", p.WeightShape(), in.W}, {"b.npy", p.BiasShape(), in.B}}
	switch p.Op {
	case conv.OpDeform:
		files = append(files, npyOut{"offset.npy", p.OffsetShape(), in.Offset}, npyOut{"mask.npy", p.MaskShape(), in.Mask})
	case conv.OpDynamic:
		files = append(files, npyOut{"route_w.npy", p.RouteWShape(), in.RouteW}, npyOut{"route_b.npy", p.RouteBShape(), in.RouteB})
	}
	return files
}
