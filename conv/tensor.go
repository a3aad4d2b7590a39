package conv

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Float is the element type of a tensor: float32 for implementations under
// test, float64 for the reference and the oracles.
type Float interface{ ~float32 | ~float64 }

// Tensor is a dense row-major (C order) tensor. Activations are N×C×[D×][H×]W;
// weights follow PyTorch (see Problem.WeightShape).
type Tensor[T Float] struct {
	Shape []int
	Data  []T
}

// NewTensor allocates a zero tensor of the given shape.
func NewTensor[T Float](shape ...int) Tensor[T] {
	return Tensor[T]{Shape: append([]int(nil), shape...), Data: make([]T, Elems(shape))}
}

// Convert returns a copy of t with element type U.
func Convert[U, T Float](t Tensor[T]) Tensor[U] {
	return Tensor[U]{Shape: append([]int(nil), t.Shape...), Data: ConvertSlice[U](t.Data)}
}

// CheckShape returns an error naming the tensor if t's shape is not want.
func (t Tensor[T]) CheckShape(name string, want []int) error {
	if !slices.Equal(t.Shape, want) {
		return fmt.Errorf("%s: shape %s, want %s", name, shapeString(t.Shape), shapeString(want))
	}
	if len(t.Data) != Elems(t.Shape) {
		return fmt.Errorf("%s: %d elements for shape %s", name, len(t.Data), shapeString(t.Shape))
	}
	return nil
}

// Inputs are every input of a problem, as flat NCDHW / PyTorch-layout slices.
// B is nil for no bias. Offset and Mask are for OpDeform (Mask nil = DCNv1),
// RouteW and RouteB for OpDynamic.
type Inputs[T Float] struct {
	X, W, B        []T
	Offset, Mask   []T
	RouteW, RouteB []T
}

// Check returns an error naming the first input whose length disagrees with p.
func (in *Inputs[T]) Check(p *Problem) error {
	chk := func(name string, got []T, shape []int, optional bool) error {
		if optional && got == nil {
			return nil
		}
		if len(got) != Elems(shape) {
			return fmt.Errorf("%s: %d elements, want %d for shape %s", name, len(got), Elems(shape), shapeString(shape))
		}
		return nil
	}
	if err := chk("x", in.X, p.SrcShape(), false); err != nil {
		return err
	}
	if err := chk("w", in.W, p.WeightShape(), false); err != nil {
		return err
	}
	if err := chk("b", in.B, p.BiasShape(), true); err != nil {
		return err
	}
	switch p.Op {
	case OpDeform:
		if err := chk("offset", in.Offset, p.OffsetShape(), false); err != nil {
			return err
		}
		if p.Mask || in.Mask != nil {
			if err := chk("mask", in.Mask, p.MaskShape(), false); err != nil {
				return err
			}
		}
	case OpDynamic:
		if err := chk("route_w", in.RouteW, p.RouteWShape(), false); err != nil {
			return err
		}
		if err := chk("route_b", in.RouteB, p.RouteBShape(), false); err != nil {
			return err
		}
	}
	return nil
}

// ConvertInputs converts every input to element type U (nil stays nil).
func ConvertInputs[U, T Float](in Inputs[T]) Inputs[U] {
	c := func(s []T) []U {
		if s == nil {
			return nil
		}
		return ConvertSlice[U](s)
	}
	return Inputs[U]{X: c(in.X), W: c(in.W), B: c(in.B), Offset: c(in.Offset), Mask: c(in.Mask), RouteW: c(in.RouteW), RouteB: c(in.RouteB)}
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// ShapeString prints a shape as [a b c].
func ShapeString(s []int) string { return shapeString(s) }

func humanBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[i]
}
