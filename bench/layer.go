package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// Layer is one problem to time.
type Layer struct {
	// Shape is the descriptor without its name: the benchmark's shape= key.
	Shape string
	// Name is the benchdnn n field ("resnet_50:res2a_branch2b*3"), "" if none.
	Name string
	// Repeat is how many times the layer occurs in its network: the N of a
	// benchdnn name ending in *N, else 1. Network totals weigh by it.
	Repeat int
	// Where is the file:line the layer came from, "" for a command-line
	// descriptor or a built-in layer.
	Where   string
	Problem conv.Problem
}

// DefaultLayers are the built-in benchmark layers (optimized.BenchProblems).
func DefaultLayers() []Layer {
	var ls []Layer
	for _, bp := range optimized.BenchProblems() {
		ls = append(ls, Layer{Shape: bp.Shape, Repeat: 1, Problem: bp.Problem})
	}
	return ls
}

// Repeat is the repeat count a benchdnn layer name carries: N for a name
// ending in *N (N ≥ 1), else 1. benchdnn's shape files write a layer that
// occurs N times in the network once, named so.
func Repeat(name string) (int, error) {
	i := strings.LastIndexByte(name, '*')
	if i < 0 {
		return 1, nil
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("name %q: a repeat count *N wants a positive integer N", name)
	}
	return n, nil
}

// ParseLayers resolves descriptors (where[i], if given, says where the i-th
// came from) as op problems. mb > 0 overrides every problem's batch, as
// benchdnn's --mb does. A descriptor that does not parse or validate is an
// error naming it and where it stands.
func ParseLayers(descs, where []string, op conv.Op, mb int) ([]Layer, error) {
	if mb < 0 {
		return nil, fmt.Errorf("--mb %d: want ≥ 1 (0: as the descriptors say)", mb)
	}
	var ls []Layer
	for i, d := range descs {
		at := ""
		if i < len(where) {
			at = where[i]
		}
		fail := func(err error) error {
			if at != "" {
				return fmt.Errorf("%s: %s: %w", at, d, err)
			}
			return fmt.Errorf("%s: %w", d, err)
		}
		p, err := conv.ParseDescriptor(d, op)
		if err != nil {
			return nil, fail(err)
		}
		if mb > 0 {
			p.MB = mb
		}
		if err := p.Validate(); err != nil {
			return nil, fail(err)
		}
		// Refused now rather than rounds into the run, where every
		// implementation would refuse it.
		if err := p.CheckBudget(4, conv.DefaultBudget); err != nil {
			return nil, fail(err)
		}
		name := p.DisplayName()
		rep, err := Repeat(name)
		if err != nil {
			return nil, fail(err)
		}
		ls = append(ls, Layer{Shape: shapeOf(p), Name: name, Repeat: rep, Where: at, Problem: p})
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no problem to time")
	}
	return ls, nil
}

// shapeOf is p's descriptor without its name.
func shapeOf(p conv.Problem) string {
	p.Name = ""
	return p.Descriptor()
}

// WithBatch returns the layers with batch mb, as benchdnn's --mb: their
// shape keys change with it. A layer the new batch makes invalid (over
// the budget, say) is an error naming it.
func WithBatch(ls []Layer, mb int) ([]Layer, error) {
	if mb < 1 {
		return nil, fmt.Errorf("--mb %d: want ≥ 1", mb)
	}
	out := make([]Layer, len(ls))
	for i, l := range ls {
		l.Problem.MB = mb
		if err := l.Problem.Validate(); err != nil {
			return nil, fmt.Errorf("%s with --mb %d: %w", l.Shape, mb, err)
		}
		if err := l.Problem.CheckBudget(4, conv.DefaultBudget); err != nil {
			return nil, fmt.Errorf("%s with --mb %d: %w", l.Shape, mb, err)
		}
		l.Shape = shapeOf(l.Problem)
		out[i] = l
	}
	return out, nil
}

// key is the layer's part of a benchmark name: shape=… and, for a named
// layer, layer=… (the characters benchfmt gives meaning to, / and
// white space, replaced by _).
func (l *Layer) key() string {
	k := "shape=" + l.Shape
	if l.Name != "" {
		k += "/layer=" + strings.Map(func(r rune) rune {
			if r == '/' || r == ' ' || r == '\t' || r == '=' {
				return '_'
			}
			return r
		}, l.Name)
	}
	return k
}

// Bytes is the least memory traffic of one run of the layer: every input
// read once and the output written once, in float32. A layer whose FLOPs
// per byte are below the machine's ridge point (peak ÷ copy bandwidth) is
// memory-bound: no implementation can run it faster than its bytes move.
func (l *Layer) Bytes() int64 {
	p := &l.Problem
	if p.Dir.Backward() {
		// The tensors the direction reads and writes (conv.Problem.Tensors).
		specs, err := p.Tensors()
		if err == nil {
			n := 0
			for _, s := range specs {
				n += conv.Elems(s.Shape)
			}
			return 4 * int64(n)
		}
	}
	n := conv.Elems(p.SrcShape()) + conv.Elems(p.WeightShape()) + conv.Elems(p.BiasShape()) + conv.Elems(p.DstShape())
	switch p.Op {
	case conv.OpDeform:
		n += conv.Elems(p.OffsetShape())
		if p.Mask {
			n += conv.Elems(p.MaskShape())
		}
	case conv.OpDynamic:
		n += conv.Elems(p.RouteWShape()) + conv.Elems(p.RouteBShape())
	}
	return 4 * int64(n)
}
