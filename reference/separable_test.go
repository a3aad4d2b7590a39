package reference

import (
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// The depthwise separable convolution by its definition: channel c of the
// input convolved alone with its own kernel wdw[c], then at every pixel the
// matrix product with wpw [OC, IC]. Built from single-channel convolutions and
// a hand loop, so Separable's use of groups is checked, not repeated.
func TestSeparableByDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		std := genConv(t)
		std.G = 1
		mustResolve(t, std)
		s, err := conv.NewSeparable(*std)
		if err != nil {
			t.Fatal(err)
		}
		x := ints(t, conv.Elems(std.SrcShape()), 8, "x")
		wdw := ints(t, conv.Elems(s.Depthwise.WeightShape()), 8, "wdw")
		bdw := ints(t, std.IC, 8, "bdw")
		wpw := ints(t, conv.Elems(s.Pointwise.WeightShape()), 8, "wpw")
		bpw := ints(t, std.OC, 8, "bpw")
		var c Counter
		got := Separable(s, x, wdw, bdw, wpw, bpw, &c)

		single := *std
		single.MB, single.IC, single.OC = 1, 1, 1
		mustResolve(t, &single)
		isp, osp, taps := conv.Spatial(std.I), conv.Spatial(std.O), std.Taps()
		want := make([]float64, conv.Elems(std.DstShape()))
		for n := 0; n < std.MB; n++ {
			mid := make([][]float64, std.IC)
			for ch := 0; ch < std.IC; ch++ {
				xc := x[(n*std.IC+ch)*isp : (n*std.IC+ch+1)*isp]
				mid[ch] = Conv(&single, xc, wdw[ch*taps:(ch+1)*taps], bdw[ch:ch+1], nil)
			}
			for m := 0; m < std.OC; m++ {
				for o := 0; o < osp; o++ {
					v := bpw[m]
					for ch := 0; ch < std.IC; ch++ {
						v += wpw[m*std.IC+ch] * mid[ch][o]
					}
					want[(n*std.OC+m)*osp+o] = v
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%#v\nseparable  %v\ndefinition %v", *std, got, want)
		}
		if wantTaps := s.Depthwise.MACs() + s.Pointwise.MACs(); c.Taps != wantTaps {
			t.Fatalf("Taps %d, want %d", c.Taps, wantTaps)
		}
		if wantMACs := s.Depthwise.BenchdnnMACs() + s.Pointwise.BenchdnnMACs(); c.MACs != wantMACs {
			t.Fatalf("MACs %d, want %d", c.MACs, wantMACs)
		}
	})
}
