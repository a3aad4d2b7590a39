package conv

import "fmt"

// Grads are the gradients one backward direction writes, at element type T;
// a field the direction does not write is nil. The names are the tensor
// table's (Problem.Tensors): dx, dw, db, doffset, dmask, droute_w, droute_b,
// each shaped as the value it differentiates.
type Grads[T Float] struct {
	DX, DW, DB       []T
	DOffset, DMask   []T
	DRouteW, DRouteB []T
}

// GradNames are the names of every gradient a direction can write, in the
// order of Grads' fields.
var GradNames = []string{"dx", "dw", "db", "doffset", "dmask", "droute_w", "droute_b"}

// Field returns a pointer to the gradient named name ("dx", "dw", …), or
// nil for a name that is not a gradient.
func (g *Grads[T]) Field(name string) *[]T {
	switch name {
	case "dx":
		return &g.DX
	case "dw":
		return &g.DW
	case "db":
		return &g.DB
	case "doffset":
		return &g.DOffset
	case "dmask":
		return &g.DMask
	case "droute_w":
		return &g.DRouteW
	case "droute_b":
		return &g.DRouteB
	}
	return nil
}

// NewGrads allocates, for p's direction, one slice per gradient it writes
// (the tensor table says which) and leaves the others nil.
func NewGrads[T Float](p *Problem) (Grads[T], error) {
	specs, err := p.Tensors()
	if err != nil {
		return Grads[T]{}, err
	}
	var g Grads[T]
	for _, s := range specs {
		if !s.Written {
			continue
		}
		f := g.Field(s.Name)
		if f == nil {
			return Grads[T]{}, fmt.Errorf("dir: %s of op %s writes %s, which is not a gradient", p.Dir, p.Op, s.Name)
		}
		*f = make([]T, Elems(s.Shape))
	}
	return g, nil
}

// Check returns an error naming the first gradient of g whose length
// disagrees with p's direction: one it writes must have its tensor's
// element count, one it does not write must be nil.
func (g *Grads[T]) Check(p *Problem) error {
	specs, err := p.Tensors()
	if err != nil {
		return err
	}
	want := map[string]int{}
	for _, s := range specs {
		if s.Written {
			want[s.Name] = Elems(s.Shape)
		}
	}
	for _, name := range GradNames {
		got := *g.Field(name)
		n, writes := want[name]
		switch {
		case writes && len(got) != n:
			return fmt.Errorf("%s: %d elements, want %d (direction %s of %s)", name, len(got), n, p.Dir, p.Op)
		case !writes && got != nil:
			return fmt.Errorf("%s: given, but direction %s of %s does not write it", name, p.Dir, p.Op)
		}
	}
	return nil
}

// ReadTensors names the slices of in and dy by the tensor table's names of
// the values a direction can read (x, w, b, offset, mask, route_w, route_b,
// dy), so that code driven by Problem.Tensors finds each one by name.
func ReadTensors[T Float](in Inputs[T], dy []T) map[string][]T {
	return map[string][]T{"x": in.X, "w": in.W, "b": in.B, "offset": in.Offset, "mask": in.Mask,
		"route_w": in.RouteW, "route_b": in.RouteB, "dy": dy}
}

// CheckReads returns an error naming the first tensor that p's direction
// reads whose length disagrees with its shape, and the direction; b may be
// nil (no bias).
func CheckReads[T Float](p *Problem, in Inputs[T], dy []T) error {
	specs, err := p.Tensors()
	if err != nil {
		return err
	}
	byName := ReadTensors(in, dy)
	for _, s := range specs {
		if s.Written {
			continue
		}
		v := byName[s.Name]
		if v == nil && s.Name == "b" {
			continue
		}
		if len(v) != Elems(s.Shape) {
			return fmt.Errorf("%s: %d elements, want %d for shape %s (direction %s)",
				s.Name, len(v), Elems(s.Shape), ShapeString(s.Shape), p.Dir)
		}
	}
	return nil
}
