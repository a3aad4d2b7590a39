package golden

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/convverify/convverify/conv"
)

// Geometry is the resolved problem, written into case.json under the
// annotation "x-geometry" by WriteInputs so that a worker in any language can
// run the case without parsing benchdnn descriptors. Spatial arrays have one
// entry per axis of the rank, outermost first (W for 1D; H, W for 2D; D, H, W
// for 3D). Dilation is the framework's (1 = dense). For deconv, IC and I are
// the input side; OutputPadding is PadBegin − PadEnd (negative when the end
// padding exceeds the begin padding).
type Geometry struct {
	Rank          int     `json:"rank"`
	MB            int     `json:"mb"`
	G             int     `json:"groups"`
	IC            int     `json:"ic"`
	OC            int     `json:"oc"`
	In            []int   `json:"in"`
	Out           []int   `json:"out"`
	Kernel        []int   `json:"kernel"`
	Stride        []int   `json:"stride"`
	PadBegin      []int   `json:"pad_begin"`
	PadEnd        []int   `json:"pad_end"`
	Dilation      []int   `json:"dilation"`
	OutputPadding []int   `json:"output_padding,omitempty"`
	DG            int     `json:"offset_groups,omitempty"`
	Mask          bool    `json:"mask,omitempty"`
	Experts       int     `json:"experts,omitempty"`
	Routing       string  `json:"routing,omitempty"`
	Temperature   float64 `json:"temperature,omitempty"`
	Bias          bool    `json:"bias"`
}

// GeometryOf returns p's geometry; bias says whether b.npy is written.
func GeometryOf(p *conv.Problem, bias bool) Geometry {
	g := Geometry{Rank: p.Rank, MB: p.MB, G: p.G, IC: p.IC, OC: p.OC, Bias: bias}
	for _, a := range p.Axes() {
		g.In = append(g.In, p.I[a])
		g.Out = append(g.Out, p.O[a])
		g.Kernel = append(g.Kernel, p.K[a])
		g.Stride = append(g.Stride, p.S[a])
		g.PadBegin = append(g.PadBegin, p.PBegin[a])
		g.PadEnd = append(g.PadEnd, p.PEnd[a])
		g.Dilation = append(g.Dilation, p.Dil[a])
		if p.Op == conv.OpDeconv {
			g.OutputPadding = append(g.OutputPadding, p.OutputPadding(a))
		}
	}
	switch p.Op {
	case conv.OpDeform:
		g.DG, g.Mask = p.DG, p.Mask
	case conv.OpDynamic:
		g.Experts, g.Routing = p.E, p.Routing.String()
		if p.Routing == conv.RoutingSoftmax {
			g.Temperature = p.Temperature
		}
	}
	return g
}

// inputsCaseJSON is case.json as WriteInputs writes it: the strict fields
// that LoadGoldenFormat reads, plus the geometry as an annotation.
type inputsCaseJSON struct {
	caseJSON
	Geometry Geometry `json:"x-geometry"`
}

// WriteInputs writes the inputs of problem p, in, as a golden-format folder
// at dir without y.npy: case.json (with the "x-geometry" annotation), x.npy,
// w.npy, b.npy when in.B is set, offset.npy and mask.npy (deform),
// route_w.npy and route_b.npy (dynamic).
//
// It is for scratch folders that a worker fills in (convverify conform): dir
// must not exist or be an empty folder, or hold only golden-format files
// (a scratch folder reused), which are removed first. Files are written
// plainly, not synced: the folder is rewritten for every case and is not a
// user's file. Every value must be exactly a float32.
func WriteInputs(dir string, p conv.Problem, in conv.Inputs[float64], name string) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: problem: %w", dir, err)
	}
	if err := in.Check(&p); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if p.Op == conv.OpDeform && p.Mask != (in.Mask != nil) {
		return fmt.Errorf("%s: mask: Problem.Mask is %v but the mask input is %v", dir, p.Mask, in.Mask != nil)
	}
	return writeScratch(dir, inputsCaseJSON{caseJSON: caseJSONFor(&p, name, "convverify conform"), Geometry: GeometryOf(&p, in.B != nil)}, inputFiles(&p, in))
}

// writeScratch makes dir an empty scratch folder (clearScratch) and writes
// cj as its case.json and each file of files that has data, as float32 .npy.
func writeScratch(dir string, cj inputsCaseJSON, files []npyOut) error {
	if err := clearScratch(dir); err != nil {
		return err
	}
	jb, err := json.MarshalIndent(cj, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "case.json"), append(jb, '\n'), 0o644); err != nil {
		return err
	}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		v, err := narrow(f.name, f.data)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		b, err := encodeNpyFast(f.shape, v)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", dir, f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// clearScratch makes dir an empty folder: it creates it, or removes the
// golden-format files a previous case left in it. Anything else in it is
// refused, so a mistyped path never loses a user's files.
func clearScratch(dir string) error {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: exists and is %s, not a folder", dir, kind(st.Mode()))
	}
	names, err := readNames(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n != "case.json" && !slices.Contains(goldenFiles, n) {
			return fmt.Errorf("%s: holds %s, which is not a golden-format file; refusing to reuse it as a scratch folder", dir, n)
		}
	}
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

// encodeNpyFast writes a format 1.0 .npy of '<f4' C-order data directly: the
// same bytes numpy.save writes, without the reflection npyio needs.
func encodeNpyFast(shape []int, data []float32) ([]byte, error) {
	if conv.Elems(shape) != len(data) {
		return nil, fmt.Errorf("shape %v holds %d elements, data has %d", shape, conv.Elems(shape), len(data))
	}
	dims := ""
	for i, d := range shape {
		if i > 0 {
			dims += ", "
		}
		dims += fmt.Sprint(d)
	}
	if len(shape) == 1 {
		dims += ","
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims)
	n := 10 + len(dict) + 1
	pad := (64 - n%64) % 64
	hl := len(dict) + pad + 1
	out := make([]byte, 0, 10+hl+4*len(data))
	out = append(out, npyMagic...)
	out = append(out, 1, 0, byte(hl), byte(hl>>8))
	out = append(out, dict...)
	for range pad {
		out = append(out, ' ')
	}
	out = append(out, '\n')
	for _, v := range data {
		u := math.Float32bits(v)
		out = append(out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return out, nil
}

// ReadOutput reads dir/y.npy as a worker wrote it, treating it as hostile:
// only a regular file is read (a link to /dev/zero or a FIFO is refused), its
// header is read bounded and must declare '<f4', C order and exactly the
// shape want, and its size must be the header plus that data, before any data
// is read. Errors name the file and the cause.
func ReadOutput(dir string, want []int) ([]float32, error) {
	d, err := openFolder(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return readNamedOutput(d, "y.npy", want)
}
