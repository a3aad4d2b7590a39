package golden

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/convverify/convverify/conv"
)

// gradFiles are the .npy files a backward case folder may hold beside the
// forward ones: dy, which every backward direction reads, and the gradients
// the directions write, named as conv.Problem.Tensors names them.
var gradFiles = []string{"dy.npy", "dx.npy", "dw.npy", "db.npy", "doffset.npy", "dmask.npy", "droute_w.npy", "droute_b.npy"}

// gradCaseJSON is case.json of a backward case: inputsCaseJSON with the
// direction. (The golden format's own "dir" field, when caseJSONFor writes
// it, is the same field with the same value: the outer one wins in JSON.)
type gradCaseJSON struct {
	caseJSON
	Dir      string   `json:"dir"`
	Geometry Geometry `json:"x-geometry"`
}

// WriteGradInputs writes the inputs of backward problem p (p.Dir is BWD_D,
// BWD_W or BWD_WB) as a case folder at dir, as WriteInputs does for the
// forward pass: case.json with "dir" and "x-geometry", and one .npy file per
// tensor the direction reads, as p.Tensors() names it (dy.npy among them,
// shaped as y); in's other tensors are not written. b.npy is written when
// the direction reads b and in.B is set; geometry's "bias" says whether it
// was. The worker writes the gradients the direction writes (ReadGradOutputs).
func WriteGradInputs(dir string, p conv.Problem, in conv.Inputs[float64], dy []float64, name string) error {
	if !p.Dir.Backward() {
		return fmt.Errorf("%s: dir: %s is not a backward direction (use WriteInputs)", dir, p.Dir)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: problem: %w", dir, err)
	}
	specs, err := p.Tensors()
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	byName := conv.ReadTensors(in, dy)
	var files []npyOut
	bias := false
	for _, s := range specs {
		if s.Written {
			continue
		}
		v, known := byName[s.Name]
		if !known {
			return fmt.Errorf("%s: %s: direction %s of %s reads a tensor this writer does not know", dir, s.Name, p.Dir, p.Op)
		}
		if v == nil && s.Name == "b" {
			continue // no bias
		}
		if len(v) != conv.Elems(s.Shape) {
			return fmt.Errorf("%s: %s: %d elements, want %d for shape %s (direction %s)",
				dir, s.Name, len(v), conv.Elems(s.Shape), conv.ShapeString(s.Shape), p.Dir)
		}
		if s.Name == "b" {
			bias = true
		}
		files = append(files, npyOut{s.Name + ".npy", s.Shape, v})
	}
	if err := clearScratch(dir); err != nil {
		return err
	}
	cj := gradCaseJSON{caseJSON: caseJSONFor(&p, name, "convverify conform"), Dir: p.Dir.String(), Geometry: GeometryOf(&p, bias)}
	jb, err := json.MarshalIndent(cj, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "case.json"), append(jb, '\n'), 0o644); err != nil {
		return err
	}
	for _, f := range files {
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

// ReadGradOutputs reads, from a backward case folder a worker filled in,
// every gradient p.Dir writes (p.Tensors(): dx.npy, dw.npy, db.npy,
// doffset.npy, dmask.npy, droute_w.npy, droute_b.npy as the direction
// says), each treated as hostile exactly as ReadOutput treats y.npy: a
// regular file, '<f4', C order, exactly the tensor's shape, nothing after
// the data. The first bad or missing file is an error naming it.
func ReadGradOutputs(dir string, p conv.Problem) (conv.Grads[float32], error) {
	specs, err := p.Tensors()
	if err != nil {
		return conv.Grads[float32]{}, fmt.Errorf("%s: %w", dir, err)
	}
	d, err := openFolder(dir)
	if err != nil {
		return conv.Grads[float32]{}, err
	}
	defer d.Close()
	var g conv.Grads[float32]
	for _, s := range specs {
		if !s.Written {
			continue
		}
		f := g.Field(s.Name)
		if f == nil {
			return conv.Grads[float32]{}, fmt.Errorf("%s: direction %s of %s writes %s, which is not a gradient", dir, p.Dir, p.Op, s.Name)
		}
		v, err := readNamedOutput(d, s.Name+".npy", s.Shape)
		if err != nil {
			return conv.Grads[float32]{}, err
		}
		*f = v
	}
	return g, nil
}

// readNamedOutput reads the output file name of the open folder d bounded:
// see ReadOutput.
func readNamedOutput(d *folder, name string, want []int) ([]float32, error) {
	f, err := openNpy(d, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: missing (the worker replied ok without writing it)", d.name(name))
		}
		return nil, err
	}
	defer f.Close()
	if !slices.Equal(f.shape, want) {
		return nil, fmt.Errorf("%s: shape %s, want %s", d.name(name), conv.ShapeString(f.shape), conv.ShapeString(want))
	}
	t, err := f.readData()
	if err != nil {
		return nil, err
	}
	return t.Data, nil
}
