package golden

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/convverify/convverify/conv"
)

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
	if err := conv.CheckReads(&p, in, dy); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	specs, _ := p.Tensors() // CheckReads read them
	byName := conv.ReadTensors(in, dy)
	var files []npyOut
	for _, s := range specs {
		if !s.Written {
			files = append(files, npyOut{s.Name + ".npy", s.Shape, byName[s.Name]}) // b may be nil: not written
		}
	}
	bias := in.B != nil && slices.ContainsFunc(files, func(f npyOut) bool { return f.name == "b.npy" })
	return writeScratch(dir, inputsCaseJSON{caseJSON: caseJSONFor(&p, name, "convverify conform"), Geometry: GeometryOf(&p, bias)}, files)
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
