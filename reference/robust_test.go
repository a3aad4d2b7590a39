package reference

import (
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// Forward on arbitrary fields and arbitrary input lengths returns an error or
// an output of the right length; it never panics (rapid reports a panic as a
// failure) and never returns both or neither.
func TestForwardNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		small := rapid.IntRange(-2, 5)
		p := conv.Problem{
			Op:          conv.Op(rapid.IntRange(-1, 4).Draw(t, "op")),
			Rank:        rapid.IntRange(0, 4).Draw(t, "rank"),
			MB:          small.Draw(t, "mb"),
			G:           small.Draw(t, "g"),
			IC:          small.Draw(t, "ic"),
			OC:          small.Draw(t, "oc"),
			DG:          small.Draw(t, "dg"),
			Mask:        rapid.Bool().Draw(t, "mask"),
			E:           small.Draw(t, "e"),
			Routing:     conv.Routing(rapid.IntRange(0, 1).Draw(t, "routing")),
			Temperature: rapid.Float64Range(-1, 2).Draw(t, "temperature"),
		}
		for a := 0; a < 3; a++ {
			p.I[a], p.K[a], p.S[a] = small.Draw(t, "i"), small.Draw(t, "k"), small.Draw(t, "s")
			p.PBegin[a], p.PEnd[a], p.Dil[a] = small.Draw(t, "pb"), small.Draw(t, "pe"), small.Draw(t, "dil")
		}
		if rapid.Bool().Draw(t, "resolve") {
			_ = p.Resolve() // a consistent O more often, so the input checks are reached
		} else {
			for a := 0; a < 3; a++ {
				p.O[a] = small.Draw(t, "o")
			}
		}
		// Each input: the right length for p if p is valid, perhaps off by one, perhaps nil.
		size := func(name string, shape func() []int) []float64 {
			if p.Validate() != nil || rapid.IntRange(0, 9).Draw(t, name+" nil") == 0 {
				return nil
			}
			n := conv.Elems(shape()) + rapid.SampledFrom([]int{0, 0, 0, -1, 1}).Draw(t, name+" skew")
			if n < 0 {
				return nil
			}
			return fill(n, 1)
		}
		in := conv.Inputs[float64]{
			X: size("x", p.SrcShape), W: size("w", p.WeightShape), B: size("b", p.BiasShape),
			Offset: size("offset", p.OffsetShape), Mask: size("mask", p.MaskShape),
			RouteW: size("route_w", p.RouteWShape), RouteB: size("route_b", p.RouteBShape),
		}
		y, err := Forward(&p, in, nil)
		if err != nil {
			if y != nil {
				t.Fatalf("error %v and an output", err)
			}
			if Magnitude(&p, in) != nil {
				t.Fatalf("Forward refused (%v) but Magnitude answered", err)
			}
			return
		}
		if len(y) != conv.Elems(p.DstShape()) {
			t.Fatalf("%#v: %d outputs, want %d", p, len(y), conv.Elems(p.DstShape()))
		}
		if m := Magnitude(&p, in); len(m) != len(y) {
			t.Fatalf("%#v: magnitude of %d elements, output %d", p, len(m), len(y))
		}
	})
}

// Forward and Magnitude read their inputs and never write them.
func TestInputsUnchanged(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genAny(t)
		in := inputsFor(t, p)
		keep := conv.ConvertInputs[float64](in)
		if _, err := Forward(p, in, nil); err != nil {
			t.Fatal(err)
		}
		Magnitude(p, in)
		for name, pair := range map[string][2][]float64{
			"x": {in.X, keep.X}, "w": {in.W, keep.W}, "b": {in.B, keep.B}, "offset": {in.Offset, keep.Offset},
			"mask": {in.Mask, keep.Mask}, "route_w": {in.RouteW, keep.RouteW}, "route_b": {in.RouteB, keep.RouteB},
		} {
			if !slices.Equal(pair[0], pair[1]) {
				t.Fatalf("%s was modified", name)
			}
		}
	})
}
