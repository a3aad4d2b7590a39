package conv

import (
	"fmt"
	"strings"
)

// Dir is the direction of a problem, as benchdnn names it (--dir).
//
// The zero value is DirFwdB, the forward pass with bias, which is what every
// problem meant before directions existed: a Problem built without a Dir
// computes, prints and compares exactly as before.
type Dir int

const (
	DirFwdB  Dir = iota // FWD_B: y = F(x, w) + b
	DirFwdD             // FWD_D: y = F(x, w), no bias
	DirBwdD             // BWD_D: the gradients of the data inputs (dx; deform also d(offset), d(mask))
	DirBwdW             // BWD_W: the gradients of the weights (dw; dynamic: d(experts), d(route_w), d(route_b))
	DirBwdWB            // BWD_WB: BWD_W and the gradient of the bias (db)
)

var dirNames = [...]string{"FWD_B", "FWD_D", "BWD_D", "BWD_W", "BWD_WB"}

func (d Dir) String() string {
	if d >= 0 && int(d) < len(dirNames) {
		return dirNames[d]
	}
	return fmt.Sprintf("Dir(%d)", int(d))
}

// Backward reports whether d is one of the gradient directions.
func (d Dir) Backward() bool { return d == DirBwdD || d == DirBwdW || d == DirBwdWB }

// ParseDir reads a direction as benchdnn spells it: FWD_D, FWD_B, BWD_D,
// BWD_W or BWD_WB. benchdnn's FWD_I (inference) is FWD_D without the
// training-only work; convverify has no such distinction and refuses it by name.
func ParseDir(s string) (Dir, error) {
	for i, n := range dirNames {
		if n == s {
			return Dir(i), nil
		}
	}
	if s == "FWD_I" {
		return 0, fmt.Errorf("dir: FWD_I (forward inference) is not a separate direction here; use FWD_D or FWD_B")
	}
	return 0, fmt.Errorf("dir: unknown direction %q (want FWD_D, FWD_B, BWD_D, BWD_W or BWD_WB)", s)
}

// DirToken is the prefix of a direction token in a benchdnn batch file
// (benchdnn writes --dir=BWD_D on its own line; it holds until the next one).
const DirToken = "--dir="

// ParseDirToken reads a shape-file token such as "--dir=BWD_D". ok is false
// for a token that is not a direction (a descriptor).
func ParseDirToken(tok string) (d Dir, ok bool, err error) {
	v, found := strings.CutPrefix(tok, DirToken)
	if !found {
		return 0, false, nil
	}
	d, err = ParseDir(v)
	return d, true, err
}

// TensorSpec is one tensor a direction of an op reads or writes.
type TensorSpec struct {
	// Name is the tensor's name in files and messages: x, w, b, offset, mask,
	// route_w, route_b, y for values; dy, dx, dw, db, doffset, dmask,
	// droute_w, droute_b for gradients.
	Name string `json:"name"`
	// Shape is its shape (see SrcShape, WeightShape, …).
	Shape []int `json:"shape"`
	// Written: the direction computes it; otherwise it is read.
	Written bool `json:"written"`
}

// tensorShapes maps every tensor name to its shape. A gradient has the shape
// of the value it differentiates.
var tensorShapes = map[string]func(p *Problem) []int{
	"x": (*Problem).SrcShape, "w": (*Problem).WeightShape, "b": (*Problem).BiasShape,
	"offset": (*Problem).OffsetShape, "mask": (*Problem).MaskShape,
	"route_w": (*Problem).RouteWShape, "route_b": (*Problem).RouteBShape,
	"y": (*Problem).DstShape,
}

// dirSpec lists, for one op and one direction, the names read and written.
// "mask"/"dmask" apply only to a deform problem with Mask.
type dirSpec struct{ reads, writes []string }

// tensorTable is the one place that says which tensors each direction of each
// op reads and writes. Every gradient direction reads dy (shaped as y).
//
//   - conv, deconv: BWD_D reads dy, w and writes dx; BWD_W reads x, dy and
//     writes dw; BWD_WB also writes db (= Σ dy over batch and space).
//   - deform: the sampling positions depend on the offsets, and the samples
//     on x, so BWD_D also reads x, offset, mask and writes d(offset), d(mask)
//     beside dx (torchvision's deform_conv2d backward gives all three
//     together); BWD_W reads x, offset, mask, dy.
//   - dynamic: α depends on x through the routing, so dx has a term through
//     the routing and BWD_D reads every input; the routing layer is a weight,
//     so d(route_w), d(route_b) belong to BWD_W with d(experts); BWD_WB adds
//     d(bias) [E, OC]. α also depends on the expert biases' contribution, so
//     BWD_W reads b.
var tensorTable = map[Op]map[Dir]dirSpec{
	OpConv:    convSpecs,
	OpDeconv:  convSpecs,
	OpDeform:  deformSpecs,
	OpDynamic: dynamicSpecs,
}

var convSpecs = map[Dir]dirSpec{
	DirFwdB:  {[]string{"x", "w", "b"}, []string{"y"}},
	DirFwdD:  {[]string{"x", "w"}, []string{"y"}},
	DirBwdD:  {[]string{"dy", "w"}, []string{"dx"}},
	DirBwdW:  {[]string{"x", "dy"}, []string{"dw"}},
	DirBwdWB: {[]string{"x", "dy"}, []string{"dw", "db"}},
}

var deformSpecs = map[Dir]dirSpec{
	DirFwdB:  {[]string{"x", "w", "b", "offset", "mask"}, []string{"y"}},
	DirFwdD:  {[]string{"x", "w", "offset", "mask"}, []string{"y"}},
	DirBwdD:  {[]string{"x", "w", "offset", "mask", "dy"}, []string{"dx", "doffset", "dmask"}},
	DirBwdW:  {[]string{"x", "offset", "mask", "dy"}, []string{"dw"}},
	DirBwdWB: {[]string{"x", "offset", "mask", "dy"}, []string{"dw", "db"}},
}

var dynamicSpecs = map[Dir]dirSpec{
	DirFwdB:  {[]string{"x", "w", "b", "route_w", "route_b"}, []string{"y"}},
	DirFwdD:  {[]string{"x", "w", "route_w", "route_b"}, []string{"y"}},
	DirBwdD:  {[]string{"x", "w", "b", "route_w", "route_b", "dy"}, []string{"dx"}},
	DirBwdW:  {[]string{"x", "w", "b", "route_w", "route_b", "dy"}, []string{"dw", "droute_w", "droute_b"}},
	DirBwdWB: {[]string{"x", "w", "b", "route_w", "route_b", "dy"}, []string{"dw", "db", "droute_w", "droute_b"}},
}

// Tensors returns the tensors that p's direction reads (first) and writes,
// in a fixed order. A problem without a valid op or direction is an error
// naming the direction.
func (p *Problem) Tensors() ([]TensorSpec, error) {
	spec, ok := tensorTable[p.Op][p.Dir]
	if !ok {
		return nil, fmt.Errorf("dir: op %s has no direction %s", p.Op, p.Dir)
	}
	var out []TensorSpec
	add := func(names []string, written bool) {
		for _, n := range names {
			base := n
			if len(n) > 1 && n[0] == 'd' && tensorShapes[n[1:]] != nil {
				base = n[1:] // a gradient: the shape of its value
			}
			if base == "mask" && !p.Mask {
				continue // DCNv1 has no mask
			}
			out = append(out, TensorSpec{Name: n, Shape: tensorShapes[base](p), Written: written})
		}
	}
	add(spec.reads, false)
	add(spec.writes, true)
	return out, nil
}

// Writes returns the names of the tensors p's direction writes, in the
// table's order: y, or the gradients.
func (p *Problem) Writes() ([]string, error) {
	specs, err := p.Tensors()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range specs {
		if s.Written {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

// TensorShape returns the shape of a named tensor of p (values and gradients
// alike), or false for an unknown name.
func (p *Problem) TensorShape(name string) ([]int, bool) {
	if f := tensorShapes[name]; f != nil {
		return f(p), true
	}
	if len(name) > 1 && name[0] == 'd' {
		if f := tensorShapes[name[1:]]; f != nil {
			return f(p), true
		}
	}
	return nil, false
}
