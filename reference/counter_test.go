package reference

import (
	"math"
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// checkOutput fails on a wrong length or a non-finite element: the direct
// loops write every output element exactly once, so neither may happen.
func checkOutput(t *rapid.T, p *conv.Problem, y []float64) {
	if len(y) != conv.Elems(p.DstShape()) {
		t.Fatalf("output has %d elements, want %d", len(y), conv.Elems(p.DstShape()))
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("y%s = %v", conv.MultiIndex(p.DstShape(), i), v)
		}
	}
}

func TestCounterMatchesFormulas(t *testing.T) {
	gens := map[string]*rapid.Generator[*conv.Problem]{
		"conv":    rapid.Custom(genConv),
		"deconv":  rapid.Custom(genDeconv),
		"deform":  rapid.Custom(genDeform),
		"dynamic": rapid.Custom(genDynamic),
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				p := gen.Draw(t, "p")
				var c Counter
				y, err := Forward(p, inputsFor(t, p), &c)
				if err != nil {
					t.Fatal(err)
				}
				checkOutput(t, p, y)
				if c.Taps != p.MACs() {
					t.Errorf("Taps = %d, p.MACs() = %d", c.Taps, p.MACs())
				}
				if c.MACs != p.BenchdnnMACs() {
					t.Errorf("MACs = %d, p.BenchdnnMACs() = %d", c.MACs, p.BenchdnnMACs())
				}
			})
		})
	}
}

// A nil counter must count nothing and change nothing.
func TestNilCounter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genConv(t)
		in := inputsFor(t, p)
		var c Counter
		a := Conv(p, in.X, in.W, in.B, &c)
		b := Conv(p, in.X, in.W, in.B, nil)
		if !slices.Equal(a, b) {
			t.Fatal("counting changed the output")
		}
	})
}
