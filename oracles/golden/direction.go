package golden

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/convverify/convverify/conv"
)

// Directions (issue 12). case.json's optional "dir" names the direction as
// benchdnn does (FWD_B, FWD_D, BWD_D, BWD_W, BWD_WB; absent: the forward
// pass, FWD_B, as before directions existed). Which tensors the folder holds
// is not decided here but by the one tensor table, conv.Problem.Tensors: the
// tensors the direction reads are the inputs, those it writes the expected
// outputs, each in the file named after the tensor (dy.npy, dx.npy, …).
//
// Two inputs stay optional, as in the forward format: b (no bias: zero) and
// deform's mask (DCNv1). A deform case with mask.npy is DCNv2, and a
// direction that writes d(mask) then needs dmask.npy too.

// tensorNames are every tensor a golden-format folder may hold, in the order
// the loader looks for them (the forward format's first, so its messages
// come in the order they always did).
var tensorNames = []string{
	"x", "w", "b", "offset", "mask", "route_w", "route_b", "y",
	"dy", "dx", "dw", "db", "doffset", "dmask", "droute_w", "droute_b",
}

// goldenFiles are the .npy files a golden-format folder may hold.
var goldenFiles = func() []string {
	fs := make([]string, len(tensorNames))
	for i, n := range tensorNames {
		fs[i] = n + ".npy"
	}
	return fs
}()

// forwardInputs are the tensors the golden format had before directions: a
// forward case that holds another is refused with the message it always got.
var forwardInputs = []string{"x", "w", "b", "offset", "mask", "route_w", "route_b"}

// optionalTensor says whether a tensor the table lists may be absent: the
// bias (zero) and the mask (DCNv1); dmask follows the mask (see tableFiles).
func optionalTensor(name string) bool { return name == "b" || name == "mask" || name == "dmask" }

// slot returns the field of c that holds the tensor name, or nil for a name
// that is no tensor.
func (c *Case) slot(name string) *[]float64 {
	switch name {
	case "x":
		return &c.In.X
	case "w":
		return &c.In.W
	case "b":
		return &c.In.B
	case "offset":
		return &c.In.Offset
	case "mask":
		return &c.In.Mask
	case "route_w":
		return &c.In.RouteW
	case "route_b":
		return &c.In.RouteB
	case "dy":
		return &c.DY
	case "y":
		return &c.Want.Data
	}
	return c.Grads.Field(name)
}

// Tensor returns the values of the tensor name that c holds (nil when it
// holds none): an input, dy, y or an expected gradient.
func (c *Case) Tensor(name string) []float64 {
	if s := c.slot(name); s != nil {
		return *s
	}
	return nil
}

// File returns the file that holds the tensor name in c's folder (name.npy),
// or "" for a case built in memory.
func (c *Case) File(name string) string {
	if c.Dir == "" {
		return ""
	}
	return filepath.Join(c.Dir, name+".npy")
}

// dirSpecs returns the tensors p's direction reads and writes, with deform's
// mask counted as present (so mask and dmask are listed; both are optional
// in a folder). The error names the op and the direction.
func dirSpecs(p conv.Problem) ([]conv.TensorSpec, error) {
	if p.Op == conv.OpDeform {
		p.Mask = true
	}
	return p.Tensors()
}

// checkTensors checks, against the table, that c holds exactly the tensors
// p's direction reads and writes, each of its shape's length: b may be nil,
// and so may the mask and d(mask) of a DCNv1 problem. Errors name the tensor
// and the direction.
func checkTensors(p *conv.Problem, c *Case) error {
	specs, err := p.Tensors()
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, s := range specs {
		listed[s.Name] = true
		v := c.Tensor(s.Name)
		if v == nil && s.Name == "b" {
			continue
		}
		if len(v) != conv.Elems(s.Shape) {
			verb := "reads"
			if s.Written {
				verb = "writes"
			}
			return fmt.Errorf("%s: %d elements, want %d for shape %s (direction %s of op %s %s it)",
				s.Name, len(v), conv.Elems(s.Shape), conv.ShapeString(s.Shape), p.Dir, p.Op, verb)
		}
	}
	for _, n := range tensorNames {
		if !listed[n] && c.Tensor(n) != nil {
			return fmt.Errorf("%s: given, but direction %s of op %s neither reads nor writes it", n, p.Dir, p.Op)
		}
	}
	if !listed["y"] && c.Want.Shape != nil {
		return fmt.Errorf("y: shape given, but direction %s of op %s writes no y", p.Dir, p.Op)
	}
	return nil
}

// caseFiles are the .npy files of c for p's direction, in table order; a nil
// optional tensor (no bias, no mask) is left out.
func caseFiles(p *conv.Problem, c *Case) ([]npyOut, error) {
	specs, err := p.Tensors()
	if err != nil {
		return nil, err
	}
	var files []npyOut
	for _, s := range specs {
		v := c.Tensor(s.Name)
		if v == nil && optionalTensor(s.Name) {
			continue
		}
		files = append(files, npyOut{s.Name + ".npy", s.Shape, v})
	}
	return files, nil
}

// dirPhrase says, for messages, what p's direction does with the tensor name.
func dirPhrase(p *conv.Problem, name string, written bool) string {
	if written {
		return fmt.Sprintf("direction %s of op %s writes %s", p.Dir, p.Op, name)
	}
	return fmt.Sprintf("direction %s of op %s reads %s", p.Dir, p.Op, name)
}

// dirNames lists the directions for messages.
func dirNames() string {
	names := []string{}
	for d := conv.DirFwdB; d <= conv.DirBwdWB; d++ {
		names = append(names, d.String())
	}
	return strings.Join(names, ", ")
}

// hasDirection says whether op has direction d in the table.
func hasDirection(op conv.Op, d conv.Dir) bool {
	p := conv.New(op, 2)
	p.Dir = d
	_, err := dirSpecs(p)
	return err == nil
}

// directionsOf lists the directions op has.
func directionsOf(op conv.Op) string {
	var ds []string
	for d := conv.DirFwdB; d <= conv.DirBwdWB; d++ {
		if hasDirection(op, d) {
			ds = append(ds, d.String())
		}
	}
	return strings.Join(ds, ", ")
}

// specNames lists the tensors of specs for messages.
func specNames(specs []conv.TensorSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
